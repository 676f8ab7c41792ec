/**
 * List+watch of all pods, cluster-wide, through @kubernetes/client-node — a small reflector:
 * list → watch from the list's resourceVersion → on a dropped stream resume from the last seen
 * resourceVersion (bookmarks included) → on 410 Gone relist → on errors back off and retry.
 */
import { CoreV1Api, Watch, type KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { toPlain, type Pod } from './types.js';

export interface PodHandlers {
  /** A (re)list completed: `pods` is the complete current set; anything not in it is gone. */
  onReset(pods: Pod[]): void;
  onUpsert(pod: Pod): void;
  onDelete(pod: Pod): void;
}

export interface ReflectorOptions {
  /** First retry delay after a failure (ms, doubles up to `maxBackoffMs`). Default 50. */
  minBackoffMs?: number;
  /** Default 2000. */
  maxBackoffMs?: number;
}

/** HTTP status of an error thrown by client-node (ApiException `.code`, watch errors `.statusCode`). */
export function httpStatus(err: unknown): number | undefined {
  if (err && typeof err === 'object') {
    const e = err as { code?: unknown; statusCode?: unknown };
    if (typeof e.code === 'number') return e.code;
    if (typeof e.statusCode === 'number') return e.statusCode;
  }
  return undefined;
}

interface WatchOutcome {
  expired: boolean;
  error?: unknown;
  events: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Keeps `handlers` informed of every pod in the cluster until `stop()`. */
export class PodReflector {
  private readonly core: CoreV1Api;
  private readonly watch: Watch;
  private stopped = false;
  private controller?: AbortController;
  private resourceVersion = '';
  private loop?: Promise<void>;
  /** Lists and watch (re)connections, for logs and tests. */
  readonly counters = { lists: 0, watches: 0, expired: 0, errors: 0 };

  constructor(
    kc: KubeConfig,
    private readonly handlers: PodHandlers,
    private readonly log: Logger,
    private readonly opts: ReflectorOptions = {},
  ) {
    this.core = kc.makeApiClient(CoreV1Api);
    this.watch = new Watch(kc);
  }

  /** Start; resolves once the first list has been delivered (retrying until it succeeds or `stop`). */
  start(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.loop = this.run(resolve).catch(reject);
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.controller?.abort();
    await this.loop?.catch(() => undefined);
  }

  private async run(synced: () => void): Promise<void> {
    const min = this.opts.minBackoffMs ?? 50;
    const max = this.opts.maxBackoffMs ?? 2000;
    let backoff = 0;
    let needList = true;
    const fail = async (what: string, err: unknown) => {
      this.counters.errors++;
      backoff = Math.min(max, Math.max(min, backoff * 2));
      this.log.debug({ err, status: httpStatus(err), backoffMs: backoff }, `pod ${what} failed; retrying`);
      await sleep(backoff * (0.5 + Math.random() / 2));
    };
    while (!this.stopped) {
      if (needList) {
        try {
          this.counters.lists++;
          const list = await this.core.listPodForAllNamespaces({});
          if (this.stopped) return;
          this.resourceVersion = list.metadata?.resourceVersion ?? '';
          this.handlers.onReset((list.items ?? []).map((p) => toPlain<Pod>(p)));
          needList = false;
          backoff = 0;
          synced();
        } catch (err) {
          await fail('list', err);
          continue;
        }
      }
      const outcome = await this.watchOnce();
      if (this.stopped) return;
      if (outcome.expired) {
        // Our resourceVersion fell out of the apiserver's watch window: only a relist can catch up.
        this.counters.expired++;
        this.log.debug({ resourceVersion: this.resourceVersion }, 'pod watch expired; relisting');
        needList = true;
        continue;
      }
      if (outcome.error !== undefined && outcome.error !== null) {
        await fail('watch', outcome.error);
      } else if (outcome.events > 0) {
        backoff = 0;
      } else {
        // Closed cleanly without delivering anything: don't spin if that keeps happening.
        backoff = Math.min(max, Math.max(min, backoff * 2));
        await sleep(backoff);
      }
    }
  }

  /** One watch connection from the current resourceVersion; resolves when it ends. */
  private watchOnce(): Promise<WatchOutcome> {
    return new Promise<WatchOutcome>((resolve) => {
      const outcome: WatchOutcome = { expired: false, events: 0 };
      let settled = false;
      const finish = (error?: unknown) => {
        if (settled) return;
        settled = true;
        if (httpStatus(error) === 410) outcome.expired = true;
        else if (error) outcome.error = error;
        resolve(outcome);
      };
      const onEvent = (type: string, obj: unknown) => {
        if (settled) return;
        outcome.events++;
        if (type === 'ERROR') {
          const status = obj as { code?: number; message?: string } | undefined;
          if (status?.code === 410) outcome.expired = true;
          else outcome.error = Object.assign(new Error(status?.message ?? 'watch error'), { statusCode: status?.code });
          this.controller?.abort();
          finish(outcome.error);
          return;
        }
        const pod = obj as Pod | undefined;
        const rv = pod?.metadata?.resourceVersion;
        if (rv) this.resourceVersion = rv;
        if (type === 'BOOKMARK' || !pod?.metadata?.uid) return;
        // Watch objects are JSON.parse output (timestamps already strings): no toPlain copy needed.
        try {
          if (type === 'DELETED') this.handlers.onDelete(pod);
          else if (type === 'ADDED' || type === 'MODIFIED') this.handlers.onUpsert(pod);
        } catch (err) {
          this.log.error({ err }, 'pod event handler threw');
        }
      };
      this.counters.watches++;
      // Like client-go's reflector: ask the server to end the watch after 5-10 min so connections recycle.
      const timeoutSeconds = 300 + Math.floor(Math.random() * 300);
      this.watch
        .watch('/api/v1/pods', { resourceVersion: this.resourceVersion || undefined, allowWatchBookmarks: true, timeoutSeconds }, onEvent, (err) => finish(err))
        .then((controller) => {
          this.controller = controller;
          if (this.stopped || settled) controller.abort();
        })
        .catch((err) => finish(err ?? new Error('watch failed')));
    });
  }
}
