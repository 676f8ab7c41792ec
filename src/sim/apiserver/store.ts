/**
 * The object store: what etcd plus the watch cache are to a real apiserver.
 *
 * - One global resourceVersion counter, bumped by every write.
 * - Objects indexed by resource, then namespace, then name; each kept frozen
 *   together with its JSON so reads and watch fan-out never re-serialize it.
 * - A bounded per-resource event history for watch resumption; resuming from
 *   a resourceVersion older than what was evicted, or than the start of a
 *   custom resource's window, is "too old" (410).
 *
 * - A snapshot (objects and resourceVersion) can be saved and restored, as etcd
 *   survives an apiserver restart: resourceVersions continue after the highest
 *   restored one, and since the restored store has no event history (a
 *   restarted apiserver's watch cache starts empty), resuming a watch from
 *   before the restore point is "too old" (410).
 *
 * Everything is synchronous: a request's read-check-write happens within one
 * tick, which is what makes optimistic concurrency exact here.
 */
import { type JsonObject, canonical, deepFreeze } from './json.js';
import type { ObjectMeta } from './meta.js';

/** A stored object and its serialized form. */
export interface Entry {
  readonly obj: JsonObject;
  readonly json: string;
  readonly rv: number;
}

/** Watch event types that result from writes. */
export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/**
 * A committed change. `object` is the new state (for DELETED: the last state,
 * stamped with the deletion's resourceVersion, as etcd watches deliver it);
 * `prev` is the state before (absent for ADDED).
 */
export class StoredEvent {
  private deletedJson?: string;

  constructor(
    readonly type: EventType,
    readonly rv: number,
    readonly object: Entry,
    readonly prev: Entry | undefined,
  ) {}

  /**
   * JSON of the previous state carrying this event's resourceVersion: what a
   * watcher receives as DELETED when an update moves an object out of its
   * selector. Computed once, however many watchers need it.
   */
  prevAtThisVersion(): string {
    if (this.type === 'DELETED') return this.object.json;
    if (this.deletedJson === undefined) {
      const o = JSON.parse(this.prev!.json) as JsonObject;
      (o.metadata as ObjectMeta).resourceVersion = String(this.rv);
      this.deletedJson = JSON.stringify(o);
    }
    return this.deletedJson;
  }
}

/** Receives every event of one resource, synchronously, in resourceVersion order. */
export type Listener = (ev: StoredEvent) => void;

/** Ring buffer of the most recent events of one resource. */
class History {
  private readonly buf: (StoredEvent | undefined)[];
  private start = 0;
  private size = 0;
  /** resourceVersion of the newest evicted event: watches must start at or after it. */
  evictedRv = 0;

  constructor(private readonly capacity: number) {
    this.buf = new Array<StoredEvent | undefined>(capacity);
  }

  push(ev: StoredEvent): void {
    if (this.capacity === 0) {
      this.evictedRv = ev.rv;
      return;
    }
    if (this.size === this.capacity) {
      this.evictedRv = this.buf[this.start]!.rv;
      this.buf[this.start] = ev;
      this.start = (this.start + 1) % this.capacity;
    } else {
      this.buf[(this.start + this.size) % this.capacity] = ev;
      this.size++;
    }
  }

  private at(i: number): StoredEvent {
    return this.buf[(this.start + i) % this.capacity]!;
  }

  /** Events with resourceVersion > rv, oldest first (binary search: versions are increasing). */
  after(rv: number): StoredEvent[] {
    let lo = 0;
    let hi = this.size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.at(mid).rv <= rv) lo = mid + 1;
      else hi = mid;
    }
    const out: StoredEvent[] = [];
    for (let i = lo; i < this.size; i++) out.push(this.at(i));
    return out;
  }
}

class ResourceTable {
  readonly byNamespace = new Map<string, Map<string, Entry>>();
  readonly history: History;
  readonly listeners = new Set<Listener>();

  constructor(historyLimit: number) {
    this.history = new History(historyLimit);
  }
}

/** A store's content: every object (as stored, resourceVersion included) per resource, and the newest resourceVersion. */
export interface StoreSnapshot {
  resourceVersion: number;
  resources: Record<string, JsonObject[]>;
}

/** Result of asking for the events after a resourceVersion. */
export type Replay = { ok: true; events: StoredEvent[] } | { ok: false; oldestResumable: number };

/** In-memory storage for all resources; see the module comment. */
export class Store {
  private rv = 0;
  private writeCount = 0;
  private readonly tables = new Map<string, ResourceTable>();
  /** Watches of any resource must start at or after this (the restore point; 0 when never restored). */
  private historyFloor = 0;
  private readonly commitListeners = new Set<() => void>();

  constructor(private readonly historyLimit: number) {}

  /** The newest resourceVersion handed out. */
  get resourceVersion(): number {
    return this.rv;
  }

  /** Number of committed writes (creates, updates, deletes). */
  get writes(): number {
    return this.writeCount;
  }

  private table(resource: string): ResourceTable {
    let t = this.tables.get(resource);
    if (!t) {
      t = new ResourceTable(this.historyLimit);
      t.history.evictedRv = this.historyFloor;
      this.tables.set(resource, t);
    }
    return t;
  }

  /** The stored object, if any. */
  get(resource: string, namespace: string, name: string): Entry | undefined {
    return this.tables.get(resource)?.byNamespace.get(namespace)?.get(name);
  }

  /**
   * Objects of one namespace (or all), in the order of their etcd keys
   * (`<namespace>/<name>` compared as strings), which list paging relies on.
   */
  list(resource: string, namespace?: string): Entry[] {
    const t = this.tables.get(resource);
    if (!t) return [];
    if (namespace !== undefined) {
      const m = t.byNamespace.get(namespace);
      return m ? [...m.keys()].sort().map((name) => m.get(name)!) : [];
    }
    const keyed: [string, Entry][] = [];
    for (const [ns, m] of t.byNamespace) for (const [name, e] of m) keyed.push([`${ns}/${name}`, e]);
    return keyed.sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([, e]) => e);
  }

  /** Stores a new object (which the store takes ownership of and freezes). */
  create(resource: string, obj: JsonObject): Entry {
    const entry = this.seal(obj, ++this.rv);
    const m = meta(obj);
    const t = this.table(resource);
    let ns = t.byNamespace.get(m.namespace!);
    if (!ns) t.byNamespace.set(m.namespace!, (ns = new Map()));
    ns.set(m.name!, entry);
    this.emit(t, new StoredEvent('ADDED', entry.rv, entry, undefined));
    return entry;
  }

  /** Replaces an existing object with `obj` (taken over and frozen). */
  update(resource: string, obj: JsonObject, prev: Entry): Entry {
    const entry = this.seal(obj, ++this.rv);
    const m = meta(obj);
    const t = this.table(resource);
    t.byNamespace.get(m.namespace!)!.set(m.name!, entry);
    this.emit(t, new StoredEvent('MODIFIED', entry.rv, entry, prev));
    return entry;
  }

  /**
   * Removes an object; returns its last state stamped with the deletion's
   * resourceVersion. `lastState` (taken over) replaces the stored state when the
   * delete also changed the object, e.g. set its deletionTimestamp.
   */
  delete(resource: string, prev: Entry, lastState?: JsonObject): Entry {
    const last = this.seal(lastState ?? (JSON.parse(prev.json) as JsonObject), ++this.rv);
    const m = meta(prev.obj);
    const t = this.table(resource);
    const ns = t.byNamespace.get(m.namespace!)!;
    ns.delete(m.name!);
    if (ns.size === 0) t.byNamespace.delete(m.namespace!);
    this.emit(t, new StoredEvent('DELETED', last.rv, last, prev));
    return last;
  }

  /**
   * Registers a resource served from a CRD that is installed as the server starts: the CRD's create and its
   * Established status write take two resourceVersions, and the resource's watch window (its watch cache,
   * on a real server) starts after them — so resuming a watch of it from an older version is "too old" (410),
   * as on a real server where the CRD was created after the server had started.
   */
  installCustomResource(resource: string): void {
    this.rv += 2;
    this.table(resource).history.evictedRv = this.rv;
  }

  /** The events after `rv` if all of them are still kept. */
  eventsAfter(resource: string, rv: number): Replay {
    const h = this.table(resource).history;
    if (rv < h.evictedRv) return { ok: false, oldestResumable: h.evictedRv };
    return { ok: true, events: h.after(rv) };
  }

  /**
   * Every stored object, as its stored JSON, and the newest resourceVersion: the text of a {@link StoreSnapshot}
   * (built from the kept serializations, so saving re-serializes nothing).
   */
  snapshotJson(extra: Record<string, unknown> = {}): string {
    const head = JSON.stringify({ ...extra, resourceVersion: this.rv });
    const resources: string[] = [];
    for (const resource of [...this.tables.keys()].sort()) {
      const items = this.list(resource).map((e) => e.json);
      if (items.length) resources.push(`${JSON.stringify(resource)}:[\n${items.join(',\n')}\n]`);
    }
    return `${head.slice(0, -1)},"resources":{\n${resources.join(',\n')}\n}}\n`;
  }

  /**
   * Loads a snapshot into this store (normally empty: objects with the same key are replaced). No events are sent
   * and no history is kept for what was loaded: resourceVersions continue after the snapshot's, and watches from a
   * resourceVersion before it are "too old".
   */
  restore(snapshot: StoreSnapshot): void {
    let rv = Math.max(this.rv, snapshot.resourceVersion);
    for (const [resource, objects] of Object.entries(snapshot.resources)) {
      const t = this.table(resource);
      for (const obj of objects) {
        const m = meta(obj);
        if (!m?.name || m.namespace === undefined || !/^\d+$/.test(m.resourceVersion ?? '')) {
          throw new Error(`${resource}: stored object without name, namespace or resourceVersion: ${JSON.stringify(obj).slice(0, 200)}`);
        }
        const entry: Entry = { obj: deepFreeze(obj), json: JSON.stringify(obj), rv: Number(m.resourceVersion) };
        rv = Math.max(rv, entry.rv);
        let ns = t.byNamespace.get(m.namespace);
        if (!ns) t.byNamespace.set(m.namespace, (ns = new Map()));
        ns.set(m.name, entry);
      }
    }
    this.rv = rv;
    this.historyFloor = rv;
    for (const t of this.tables.values()) t.history.evictedRv = Math.max(t.history.evictedRv, rv);
  }

  /** Registers a function called after every committed write (for persistence); returns the unsubscribe function. */
  onCommit(listener: () => void): () => void {
    this.commitListeners.add(listener);
    return () => this.commitListeners.delete(listener);
  }

  /** Registers a listener for a resource's future events; returns the unsubscribe function. */
  subscribe(resource: string, listener: Listener): () => void {
    const t = this.table(resource);
    t.listeners.add(listener);
    return () => t.listeners.delete(listener);
  }

  /** Number of registered listeners (for leak checks). */
  listenerCount(): number {
    let n = 0;
    for (const t of this.tables.values()) n += t.listeners.size;
    return n;
  }

  private seal(obj: JsonObject, rv: number): Entry {
    // metadata is rebuilt so resourceVersion lands in canonical key order
    obj.metadata = canonical({ ...meta(obj), resourceVersion: String(rv) });
    deepFreeze(obj);
    this.writeCount++;
    return { obj, json: JSON.stringify(obj), rv };
  }

  private emit(t: ResourceTable, ev: StoredEvent): void {
    t.history.push(ev);
    for (const l of t.listeners) l(ev);
    for (const l of this.commitListeners) l();
  }
}

function meta(o: JsonObject): ObjectMeta {
  return o.metadata as ObjectMeta;
}
