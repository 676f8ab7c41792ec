/**
 * An independent observer of a CloneSet's Pods for integration tests: its own list+watch through
 * @kubernetes/client-node, nothing shared with the workflow. It records, at every event, how many Pods are not Ready,
 * and per Pod the moments its InPlaceUpdateReady gate went False and its images changed, the container restarts and
 * whether it was deleted — the facts the rollout's invariants are checked against.
 */
import { CoreV1Api, Watch, type KubeConfig, type V1Pod } from '@kubernetes/client-node';

export interface PodHistory {
  uid: string;
  /** ms when the InPlaceUpdateReady condition was first seen False (per spec image set). */
  gateOffAt: number[];
  /** ms when a container's spec image was first seen changed. */
  imagePatchedAt: number[];
  /** Highest restartCount seen per container. */
  restarts: Record<string, number>;
  /** containerIDs seen per container (a new ID is a container start). */
  containerIds: Record<string, string[]>;
  /** Spec images seen per container, in order, consecutive duplicates collapsed (1 + image changes applied). */
  images: Record<string, string[]>;
  /** `lifecycle.apps.kruise.io/state` values seen, in order, consecutive duplicates collapsed. */
  lifecycle: string[];
  /**
   * Every distinct combination of lifecycle state, InPlaceUpdateReady, Ready and binding seen, in order (one entry per
   * event that changed one of them): which writes came together, and in which order.
   */
  states: PodState[];
  deleted: boolean;
}

/** What one event showed of a Pod's lifecycle and readiness (`-` when absent). */
export interface PodState {
  atMs: number;
  lifecycle: string;
  gate: string;
  ready: string;
  bound: boolean;
}

export type WatcherStep = { atMs: number; pod: string; what: 'gate-off' | 'gate-on' | 'image' | 'created' | 'deleting' };

export class ReadinessWatcher {
  /** Highest `desired − Ready Pods` (terminating Pods are not Ready) seen at any event. */
  maxUnavailable = 0;
  /** Replicas the CloneSet should have; set with {@link resetMarks}. */
  desired = 0;
  /** Highest number of Pods seen at once (not terminating). */
  maxPods = 0;
  readonly pods: Record<string, PodHistory> = {};
  private readonly current = new Map<string, V1Pod>();
  private req: { abort(): void } | undefined;
  private stopped = false;
  private started = false;
  private lastImages = new Map<string, string>();
  private lastGate = new Map<string, string | undefined>();
  /**
   * Every step a rollout worker takes on a Pod, as seen from outside: InPlaceUpdateReady flips, image patches, Pods
   * created or marked for deletion. (Container restarts and Ready changes are the kubelet's, not listed.)
   */
  readonly steps: WatcherStep[] = [];
  private readonly stepListeners = new Set<(s: WatcherStep) => void>();
  /** Every change of the Ready count, for diagnosing a violated bound. */
  readonly timeline: { atMs: number; ready: number; live: number; pod: string; type: string }[] = [];

  constructor(
    private readonly kc: KubeConfig,
    private readonly namespace: string,
    private readonly labelSelector: string,
  ) {}

  async start(): Promise<void> {
    const core = this.kc.makeApiClient(CoreV1Api);
    const list = await core.listNamespacedPod({ namespace: this.namespace, labelSelector: this.labelSelector });
    for (const p of list.items) this.apply('ADDED', p);
    this.started = true;
    await this.watch(list.metadata?.resourceVersion ?? '0');
  }

  /**
   * Watches from `resourceVersion`; when the watch ends it starts again from the last version seen, and when that
   * version expired (410) or the watch cannot start, it lists again first, so the record never silently stops.
   */
  private async watch(resourceVersion: string): Promise<void> {
    if (this.stopped) return;
    let rv = resourceVersion;
    let expired = false;
    const again = () => {
      if (this.stopped) return;
      setTimeout(() => void (expired ? this.relist() : this.watch(rv)).catch(() => this.retryRelist()), 50);
    };
    try {
      this.req = await new Watch(this.kc).watch(
        `/api/v1/namespaces/${this.namespace}/pods`,
        { labelSelector: this.labelSelector, resourceVersion: rv, allowWatchBookmarks: true },
        (type: string, obj: V1Pod) => {
          if (type === 'ERROR') {
            expired = true; // e.g. 410 Gone: the version is too old to watch from
            return;
          }
          rv = obj.metadata?.resourceVersion ?? rv;
          if (type !== 'BOOKMARK') this.apply(type, obj);
        },
        () => again(),
      );
    } catch {
      expired = true;
      again();
    }
  }

  /** Lists the Pods again (changes and deletions missed are applied), then watches from the list. */
  private async relist(): Promise<void> {
    if (this.stopped) return;
    const list = await this.kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: this.namespace, labelSelector: this.labelSelector });
    const seen = new Set<string>();
    for (const p of list.items) {
      const name = p.metadata?.name ?? '';
      seen.add(name);
      this.apply(this.current.has(name) ? 'MODIFIED' : 'ADDED', p);
    }
    for (const [name, p] of [...this.current.entries()]) if (!seen.has(name)) this.apply('DELETED', p);
    await this.watch(list.metadata?.resourceVersion ?? '0');
  }

  private retryRelist(): void {
    if (!this.stopped) setTimeout(() => void this.relist().catch(() => this.retryRelist()), 200);
  }

  private apply(type: string, pod: V1Pod): void {
    const name = pod.metadata?.name ?? '';
    const h = (this.pods[name] ??= {
      uid: pod.metadata?.uid ?? '',
      gateOffAt: [],
      imagePatchedAt: [],
      restarts: {},
      containerIds: {},
      images: {},
      lifecycle: [],
      states: [],
      deleted: false,
    });
    const now = Date.now();
    if (type === 'DELETED') {
      h.deleted = true;
      this.current.delete(name);
    } else {
      if (!this.current.has(name) && type === 'ADDED' && this.started) this.step({ atMs: now, pod: name, what: 'created' });
      if (pod.metadata?.deletionTimestamp && !this.current.get(name)?.metadata?.deletionTimestamp) {
        this.step({ atMs: now, pod: name, what: 'deleting' });
      }
      this.current.set(name, pod);
      const images = JSON.stringify(pod.spec?.containers.map((c) => c.image));
      const prevImages = this.lastImages.get(name);
      if (prevImages !== undefined && prevImages !== images) {
        h.imagePatchedAt.push(now);
        this.step({ atMs: now, pod: name, what: 'image' });
      }
      this.lastImages.set(name, images);
      for (const c of pod.spec?.containers ?? []) {
        const seen = (h.images[c.name] ??= []);
        if (c.image !== undefined && seen[seen.length - 1] !== c.image) seen.push(c.image);
      }
      const gate = pod.status?.conditions?.find((c) => c.type === 'InPlaceUpdateReady')?.status;
      const prevGate = this.lastGate.get(name);
      if (gate === 'False' && prevGate !== 'False') {
        h.gateOffAt.push(now);
        this.step({ atMs: now, pod: name, what: 'gate-off' });
      }
      if (gate === 'True' && prevGate === 'False') this.step({ atMs: now, pod: name, what: 'gate-on' });
      this.lastGate.set(name, gate);
      const state = pod.metadata?.labels?.['lifecycle.apps.kruise.io/state'];
      if (state !== undefined && h.lifecycle[h.lifecycle.length - 1] !== state) h.lifecycle.push(state);
      const ready = pod.status?.conditions?.find((c) => c.type === 'Ready')?.status;
      const seen: PodState = { atMs: now, lifecycle: state ?? '-', gate: gate ?? '-', ready: ready ?? '-', bound: !!pod.spec?.nodeName };
      const last = h.states[h.states.length - 1];
      if (!last || last.lifecycle !== seen.lifecycle || last.gate !== seen.gate || last.ready !== seen.ready || last.bound !== seen.bound) h.states.push(seen);
      for (const cs of pod.status?.containerStatuses ?? []) {
        h.restarts[cs.name] = Math.max(h.restarts[cs.name] ?? 0, cs.restartCount);
        const ids = (h.containerIds[cs.name] ??= []);
        if (cs.containerID && !ids.includes(cs.containerID)) ids.push(cs.containerID);
      }
    }
    const live = [...this.current.values()].filter((p) => !p.metadata?.deletionTimestamp);
    const ready = live.filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length;
    this.maxPods = Math.max(this.maxPods, live.length);
    this.maxUnavailable = Math.max(this.maxUnavailable, this.desired - ready);
    this.timeline.push({ atMs: now, ready, live: live.length, pod: name, type });
  }

  private step(s: WatcherStep): void {
    this.steps.push(s);
    for (const fn of this.stepListeners) fn(s);
  }

  /** Calls `fn` synchronously on every step as it is seen; returns the unsubscribe function. */
  onStep(fn: (s: WatcherStep) => void): () => void {
    this.stepListeners.add(fn);
    return () => this.stepListeners.delete(fn);
  }

  /** Starts measuring against `desired` replicas (e.g. after the initial scale-up, before the update under test). */
  resetMarks(desired: number): void {
    this.desired = desired;
    this.maxUnavailable = 0;
    this.maxPods = 0;
  }

  /** The first worker step seen at or after `atMs` (ms since epoch), if any. */
  firstStepAfter(atMs: number): { atMs: number; pod: string; what: string } | undefined {
    return this.steps.find((s) => s.atMs >= atMs);
  }

  /** A Pod as last seen (terminating ones included), if it exists. */
  pod(name: string): V1Pod | undefined {
    return this.current.get(name);
  }

  /** Live Pods (not terminating) as last seen. */
  livePods(): V1Pod[] {
    return [...this.current.values()].filter((p) => !p.metadata?.deletionTimestamp);
  }

  stop(): void {
    this.stopped = true;
    this.req?.abort();
  }
}

/** A started watcher of the Pods matching `labelSelector`, measuring against `desired` replicas. */
export async function watchPods(kc: KubeConfig, namespace: string, desired: number, labelSelector = 'app=web'): Promise<ReadinessWatcher> {
  const w = new ReadinessWatcher(kc, namespace, labelSelector);
  await w.start();
  w.resetMarks(desired);
  return w;
}
