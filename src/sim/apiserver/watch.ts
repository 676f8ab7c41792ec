/**
 * Watch streams: newline-delimited JSON watch events over a chunked response,
 * with the watch cache's semantics:
 *
 * - resourceVersion unset or "0": synthetic ADDED for every current match,
 *   then live events; with resourceVersion N: every kept event after N, then
 *   live events; N older than the kept history: one ERROR (410 Expired).
 * - An update that moves an object into the selector is sent as ADDED, out of
 *   it as DELETED (carrying the previous state at the new resourceVersion).
 * - allowWatchBookmarks: periodic BOOKMARKs with the current resourceVersion;
 *   sendInitialEvents: a BOOKMARK annotated k8s.io/initial-events-end after the
 *   initial ADDED events.
 * - Replay and subscription happen in the same tick, so no event falls between.
 *
 * Each event's JSON is built once however many watchers receive it.
 */
import type { ServerResponse } from 'node:http';
import { badRequest, expired } from './errors.js';
import type { JsonObject } from './json.js';
import { meta } from './meta.js';
import { type Scope, parseResourceVersion, type RestStorage } from './rest.js';
import { FieldSelector, LabelSelector } from './selectors.js';
import type { StoredEvent } from './store.js';

/** Watches that buffer more than this (a client not reading) are closed, as the real server drops slow watchers. */
const MAX_BUFFERED_BYTES = 64 * 1024 * 1024;

/** Tracks open watch streams so they can be dropped together. */
export class WatchHub {
  private readonly open = new Set<WatchStream>();

  constructor(
    private readonly rest: RestStorage,
    private readonly bookmarkIntervalMs: number,
  ) {}

  /** Number of open watch streams. */
  get size(): number {
    return this.open.size;
  }

  /**
   * Serves a watch request. Errors found before streaming starts (bad
   * selectors, future resourceVersion) are thrown for the caller to answer
   * with a Status.
   */
  serve(scope: Scope, res: ServerResponse): void {
    const stream = new WatchStream(this.rest, scope, res, this.bookmarkIntervalMs, () => this.open.delete(stream));
    this.open.add(stream);
    try {
      stream.start();
    } catch (e) {
      this.open.delete(stream);
      throw e;
    }
    // the response closes when the client goes away (abort, socket closed); the
    // request's own 'close' only means its (empty) body was consumed
    res.on('close', () => stream.close());
    res.on('error', () => stream.close());
  }

  /** Ends every open stream cleanly; clients are expected to resume from their last resourceVersion. */
  closeAll(): number {
    const n = this.open.size;
    for (const s of [...this.open]) s.close();
    return n;
  }
}

class WatchStream {
  private readonly labels: LabelSelector;
  private readonly fields: FieldSelector;
  private readonly namespace: string | undefined;
  private unsubscribe: (() => void) | undefined;
  private readonly timers: NodeJS.Timeout[] = [];
  private closed = false;

  constructor(
    private readonly rest: RestStorage,
    private readonly scope: Scope,
    private readonly res: ServerResponse,
    private readonly bookmarkIntervalMs: number,
    private readonly onClose: () => void,
  ) {
    this.labels = LabelSelector.parse(scope.query.get('labelSelector'));
    this.fields = FieldSelector.parse(scope.query.get('fieldSelector'), scope.def.fields);
    this.namespace = scope.namespace ?? this.fields.exact('metadata.namespace');
  }

  start(): void {
    const { def, query } = this.scope;
    const store = this.rest.store;
    const rvParam = query.get('resourceVersion') ?? '';
    const lines: string[] = [];
    if (rvParam === '' || rvParam === '0') {
      for (const e of store.list(def.storeKey, this.namespace)) {
        if (this.matches(e.obj)) lines.push(line('ADDED', e.json));
      }
      if (query.get('sendInitialEvents') === 'true' && isTrue(query.get('allowWatchBookmarks'))) {
        lines.push(this.bookmark({ 'k8s.io/initial-events-end': 'true' }));
      }
    } else {
      const since = parseResourceVersion(rvParam);
      if (query.get('sendInitialEvents') === 'true') throw badRequest('sendInitialEvents is only supported with resourceVersion unset or "0"');
      this.rest.checkNotFromFuture(rvParam);
      const replay = store.eventsAfter(def.storeKey, since);
      if (!replay.ok) {
        // the real server also answers 200 and reports expiry as an ERROR event
        this.writeHead();
        const status = expired(`too old resource version: ${since} (${replay.oldestResumable})`).toStatus();
        this.res.end(line('ERROR', JSON.stringify(status)));
        this.closed = true;
        this.onClose();
        return;
      }
      for (const ev of replay.events) {
        const l = this.lineFor(ev);
        if (l) lines.push(l);
      }
    }
    this.unsubscribe = store.subscribe(def.storeKey, (ev) => {
      const l = this.lineFor(ev);
      if (l) this.write(l);
    });
    this.writeHead();
    if (lines.length) this.write(lines.join(''));

    const timeoutSeconds = Number(query.get('timeoutSeconds') ?? '0');
    if (timeoutSeconds > 0) this.timers.push(setTimeout(() => this.close(), timeoutSeconds * 1000));
    if (isTrue(query.get('allowWatchBookmarks'))) {
      this.timers.push(setInterval(() => this.write(this.bookmark()), this.bookmarkIntervalMs));
    }
    for (const t of this.timers) t.unref();
  }

  /** Ends the stream (idempotent) and releases the subscription and timers. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe?.();
    for (const t of this.timers) clearTimeout(t);
    if (!this.res.writableEnded) this.res.end();
    this.onClose();
  }

  private writeHead(): void {
    this.res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
    this.res.flushHeaders();
  }

  private write(chunk: string): void {
    if (this.closed || this.res.destroyed || this.res.writableEnded) return;
    this.res.write(chunk);
    if (this.res.writableLength > MAX_BUFFERED_BYTES) this.close();
  }

  private matches(o: JsonObject): boolean {
    const m = meta(o);
    if (this.namespace !== undefined && m.namespace !== this.namespace) return false;
    // GET .../{name}?watch=1 watches that one object
    if (this.scope.name !== undefined && m.name !== this.scope.name) return false;
    return this.labels.matches(m.labels) && this.fields.matches(o);
  }

  /** The line this watcher gets for an event, if any (see the module comment for move in/out). */
  private lineFor(ev: StoredEvent): string | undefined {
    const cur = ev.type !== 'DELETED' && this.matches(ev.object.obj);
    const prev = ev.prev !== undefined && this.matches(ev.prev.obj);
    if (cur) return line(prev ? 'MODIFIED' : 'ADDED', ev.object.json);
    if (prev) return line('DELETED', ev.prevAtThisVersion());
    return undefined;
  }

  private bookmark(annotations?: Record<string, string>): string {
    const { def } = this.scope;
    const metadata = { resourceVersion: String(this.rest.store.resourceVersion), ...(annotations ? { annotations } : {}) };
    return line('BOOKMARK', JSON.stringify({ kind: def.kind, apiVersion: def.apiVersion, metadata }));
  }
}

function line(type: string, objectJson: string): string {
  return `{"type":"${type}","object":${objectJson}}\n`;
}

function isTrue(v: string | null): boolean {
  return v === 'true' || v === '1';
}
