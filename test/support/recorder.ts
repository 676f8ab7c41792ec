/**
 * An independent record of what a user can observe of one CloneSet, whoever controls it: its own list+watch of the
 * namespace's Pods and CloneSets (nothing shared with the controller under test), every watch event kept in arrival
 * order with the full object, and named marks in that sequence (e.g. "update" when the test changed the spec), so
 * maxima and orderings are computed afterwards from the log — by sequence, never by clock. The end state (Pods,
 * CloneSet, Events) is read with plain lists.
 */
import { CoreV1Api, CustomObjectsApi, Watch, type CoreV1Event, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { CLONESET } from '../../src/kube/clients.js';

/** A CloneSet as stored (only what the recorder reads is typed). */
export interface StoredCloneSet {
  metadata: {
    name: string;
    namespace: string;
    uid?: string;
    generation?: number;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec: Record<string, unknown> & { replicas?: number };
  status?: Record<string, unknown>;
}

export type WatchType = 'ADDED' | 'MODIFIED' | 'DELETED';
export type Recorded = { seq: number; kind: 'Pod'; type: WatchType; obj: V1Pod } | { seq: number; kind: 'CloneSet'; type: WatchType; obj: StoredCloneSet };

export class Recorder {
  readonly log: Recorded[] = [];
  readonly marks = new Map<string, number>();
  private readonly pods = new Map<string, V1Pod>();
  private readonly sets = new Map<string, StoredCloneSet>();
  private readonly watches: { abort(): void }[] = [];
  private readonly listeners = new Set<() => void>();
  private stopped = false;

  constructor(
    private readonly kc: KubeConfig,
    readonly namespace: string,
  ) {}

  async start(): Promise<void> {
    await Promise.all([this.follow('Pod'), this.follow('CloneSet')]);
  }

  stop(): void {
    this.stopped = true;
    for (const w of this.watches) w.abort();
  }

  /** Names the current point of the log (the next event recorded has this seq). */
  mark(name: string): void {
    this.marks.set(name, this.log.length);
  }

  seqOf(mark: string): number {
    const s = this.marks.get(mark);
    if (s === undefined) throw new Error(`no mark ${mark}`);
    return s;
  }

  /** Pods as last seen (terminating ones included). */
  currentPods(): V1Pod[] {
    return [...this.pods.values()];
  }

  livePods(): V1Pod[] {
    return this.currentPods().filter((p) => !p.metadata?.deletionTimestamp);
  }

  cloneSet(name: string): StoredCloneSet | undefined {
    return this.sets.get(name);
  }

  /** Resolves when `check` holds (evaluated at every event), fails naming `what` after `timeoutMs` with `detail()`. */
  until<T>(what: string, check: () => T | undefined | false, timeoutMs: number, detail?: () => string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const tryIt = () => {
        try {
          const v = check();
          if (v) {
            done();
            resolve(v);
          }
        } catch (err) {
          done();
          reject(err as Error);
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail ? `\n${detail()}` : ''}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.listeners.delete(tryIt);
      };
      this.listeners.add(tryIt);
      tryIt();
    });
  }

  private apply(kind: 'Pod' | 'CloneSet', type: WatchType, obj: V1Pod | StoredCloneSet): void {
    const map = (kind === 'Pod' ? this.pods : this.sets) as Map<string, V1Pod | StoredCloneSet>;
    const name = obj.metadata?.name ?? '';
    const prev = map.get(name);
    // a relist replays what was seen already
    if (type !== 'DELETED' && prev && prev.metadata?.uid === obj.metadata?.uid && prev.metadata?.resourceVersion === obj.metadata?.resourceVersion) return;
    if (type === 'DELETED') map.delete(name);
    else map.set(name, obj);
    const realType: WatchType = type === 'DELETED' ? 'DELETED' : prev && prev.metadata?.uid === obj.metadata?.uid ? 'MODIFIED' : 'ADDED';
    this.log.push({ seq: this.log.length, kind, type: realType, obj } as Recorded);
    for (const l of [...this.listeners]) l();
  }

  private path(kind: 'Pod' | 'CloneSet'): string {
    return kind === 'Pod'
      ? `/api/v1/namespaces/${this.namespace}/pods`
      : `/apis/${CLONESET.group}/${CLONESET.version}/namespaces/${this.namespace}/${CLONESET.plural}`;
  }

  private async list(kind: 'Pod' | 'CloneSet'): Promise<{ items: (V1Pod | StoredCloneSet)[]; rv: string }> {
    if (kind === 'Pod') {
      const l = await this.kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: this.namespace });
      return { items: l.items, rv: l.metadata?.resourceVersion ?? '0' };
    }
    const l = (await this.kc.makeApiClient(CustomObjectsApi).listNamespacedCustomObject({ ...CLONESET, namespace: this.namespace })) as {
      items: StoredCloneSet[];
      metadata?: { resourceVersion?: string };
    };
    return { items: l.items, rv: l.metadata?.resourceVersion ?? '0' };
  }

  /** List, then watch from the list; a watch that ends resumes from the last version, an expired one relists. */
  private async follow(kind: 'Pod' | 'CloneSet'): Promise<void> {
    const map = (kind === 'Pod' ? this.pods : this.sets) as Map<string, V1Pod | StoredCloneSet>;
    const { items, rv: listed } = await this.list(kind);
    const seen = new Set<string>();
    for (const o of items) {
      seen.add(o.metadata!.name!);
      this.apply(kind, 'MODIFIED', o);
    }
    for (const [name, o] of [...map.entries()]) if (!seen.has(name)) this.apply(kind, 'DELETED', o);
    let rv = listed;
    let expired = false;
    const again = () => {
      if (this.stopped) return;
      setTimeout(() => void (expired ? this.follow(kind) : watch()).catch(() => again()), 50);
    };
    const watch = async () => {
      if (this.stopped) return;
      try {
        const req = await new Watch(this.kc).watch(
          this.path(kind),
          { resourceVersion: rv, allowWatchBookmarks: true },
          (type: string, obj: V1Pod | StoredCloneSet) => {
            if (type === 'ERROR') {
              expired = true;
              return;
            }
            rv = obj.metadata?.resourceVersion ?? rv;
            if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED') this.apply(kind, type, obj);
          },
          () => again(),
        );
        this.watches.push(req);
      } catch {
        expired = true;
        again();
      }
    };
    await watch();
  }

  /** Events of the namespace, read until two lists 300 ms apart agree (the recorders write them asynchronously). */
  async events(): Promise<CoreV1Event[]> {
    const core = this.kc.makeApiClient(CoreV1Api);
    const key = (es: CoreV1Event[]) => es.map((e) => `${e.metadata?.name}/${e.metadata?.resourceVersion}`).join(',');
    let last = (await core.listNamespacedEvent({ namespace: this.namespace })).items;
    for (let i = 0; i < 20; i++) {
      await new Promise((r) => setTimeout(r, 300));
      const now = (await core.listNamespacedEvent({ namespace: this.namespace })).items;
      if (key(now) === key(last)) return now;
      last = now;
    }
    return last;
  }
}
