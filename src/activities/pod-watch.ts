/**
 * Watch-driven waits on a set of Pods: instead of polling each Pod, one watch on the CloneSet's label selector
 * delivers every change of the Pods the wait cares about, within milliseconds.
 *
 * Start-up is race-free: the watch opens at a resourceVersion taken (LIST with limit=1) *before* each Pod is read,
 * so a change between a read and the watch is delivered by the watch. A closed stream resumes from the last
 * resourceVersion seen; 410 Gone starts over with fresh reads. A slow resync reads the Pods still pending anyway,
 * so a lost event delays a wait by at most `resyncMs` and never hangs it.
 */
import { Watch, type V1Pod } from '@kubernetes/client-node';
import type { KubeClients } from '../kube/clients.js';
import { isNotFound, toActivityError } from '../kube/errors.js';

export interface PodSetWatchOptions {
  namespace: string;
  /** The CloneSet's selector (label selector string); the watch filters to `names` itself. */
  labelSelector: string;
  /** Pods to follow, by name → uid (a Pod recreated under the name is a different Pod: reported as gone). */
  pods: Record<string, string>;
  /** Called with each Pod's current object, or null once it is gone. Called again on every change. */
  onPod(name: string, pod: V1Pod | null): void;
  /** Read pending Pods again this often even without events (ms). Default 3000. */
  resyncMs?: number;
  /** Which Pods still matter (the resync reads only these). Default: all. */
  pending?(): string[];
  /**
   * Start watching from this resourceVersion, taken before the Pods' last change the caller knows of (e.g. before
   * it patched them), without reading them first: that change and every later one arrive as events. Too old (410
   * Gone): started over with reads.
   */
  fromResourceVersion?: string;
}

/** The resourceVersion of the Pods matching `labelSelector` now (a LIST with limit 1): a watch from it misses nothing later. */
export async function collectionVersion(k: KubeClients, namespace: string, labelSelector: string): Promise<string> {
  const list = await k.core
    .listNamespacedPod({ namespace, labelSelector, limit: 1 })
    .catch((err: unknown) => toActivityError(err, `list Pods in ${namespace}`));
  return list.metadata?.resourceVersion ?? '';
}

/** Concurrency-limited map (Kubernetes calls for a batch of Pods). */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  });
  await Promise.all(workers);
  return out;
}

export class PodSetWatch {
  private controller: AbortController | undefined;
  private stopped = false;
  private resourceVersion = '';
  private resync: ReturnType<typeof setInterval> | undefined;
  /** Watch (re)connections and resyncs, for logs and tests. */
  readonly counters = { watches: 0, resyncs: 0, events: 0, restarts: 0, relists: 0 };

  constructor(
    private readonly k: KubeClients,
    private readonly opts: PodSetWatchOptions,
  ) {}

  /** Opens the watch and reads every Pod once (or watches from `fromResourceVersion`); resolves once it is open. */
  async start(): Promise<void> {
    if (this.opts.fromResourceVersion) {
      this.resourceVersion = this.opts.fromResourceVersion;
      await this.open();
    } else await this.begin();
    const every = this.opts.resyncMs ?? 3000;
    this.resync = setInterval(() => {
      this.counters.resyncs++;
      void this.readAll(this.opts.pending?.() ?? Object.keys(this.opts.pods)).catch(() => undefined);
    }, every);
  }

  stop(): void {
    this.stopped = true;
    if (this.resync) clearInterval(this.resync);
    this.controller?.abort();
  }

  private async begin(): Promise<void> {
    if (this.counters.watches > 0) this.counters.relists++;
    this.resourceVersion = await collectionVersion(this.k, this.opts.namespace, this.opts.labelSelector);
    await this.open();
    await this.readAll(Object.keys(this.opts.pods));
  }

  private async readAll(names: readonly string[]): Promise<void> {
    await mapLimit(names, 16, async (name) => {
      if (this.stopped) return;
      try {
        const pod = await this.k.core.readNamespacedPod({ name, namespace: this.opts.namespace });
        this.deliver(pod);
        if (pod.metadata?.uid !== this.opts.pods[name]) this.opts.onPod(name, null);
      } catch (err) {
        if (isNotFound(err)) this.opts.onPod(name, null);
        else throw err;
      }
    });
  }

  private deliver(pod: V1Pod): void {
    const name = pod.metadata?.name ?? '';
    const uid = this.opts.pods[name];
    if (uid === undefined || pod.metadata?.uid !== uid || this.stopped) return;
    this.opts.onPod(name, pod);
  }

  private async open(): Promise<void> {
    if (this.stopped) return;
    this.counters.watches++;
    const path = `/api/v1/namespaces/${this.opts.namespace}/pods`;
    this.controller = await new Watch(this.k.kc).watch(
      path,
      { labelSelector: this.opts.labelSelector, resourceVersion: this.resourceVersion, allowWatchBookmarks: true },
      (type: string, obj: V1Pod & { code?: number }) => {
        if (type === 'ERROR') {
          // 410 Gone: our resourceVersion is too old; start over from fresh reads.
          if (obj.code === 410) this.resourceVersion = '';
          return;
        }
        this.resourceVersion = obj.metadata?.resourceVersion ?? this.resourceVersion;
        if (type === 'BOOKMARK') return;
        this.counters.events++;
        const name = obj.metadata?.name ?? '';
        if (type === 'DELETED') {
          if (this.opts.pods[name] === obj.metadata?.uid) this.opts.onPod(name, null);
          return;
        }
        this.deliver(obj);
      },
      () => {
        if (this.stopped) return;
        this.counters.restarts++;
        setTimeout(() => {
          const again = this.resourceVersion === '' ? this.begin() : this.open();
          again.catch(() => {
            // The resync keeps the wait going; try the stream again later.
            this.resourceVersion = '';
            setTimeout(() => void this.begin().catch(() => undefined), 500);
          });
        }, 50);
      },
    );
  }
}
