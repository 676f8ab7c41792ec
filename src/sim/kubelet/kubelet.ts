/**
 * The I/O loop of the simulated kubelet + scheduler: keeps the latest copy of every pod (via PodReflector),
 * and per pod runs the pure decisions (runtime.ts / status.ts) whenever the pod changes or one of its timers
 * fires, then performs at most one write at a time for that pod (bind, status patch, or final delete),
 * retrying failed writes with per-pod exponential backoff. Work is keyed by pod uid and coalesced: many
 * events for one pod before its turn cost one reconcile.
 */
import { CoreV1Api, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { withConnectionReuse } from '../../kube/http.js';
import { PodReflector, httpStatus } from './reflector.js';
import { addTotals, podRequests, type ResourceTotals } from './resize.js';
import { stepPod, type NodeCapacity, type PodRuntime, type RuntimeConfig } from './runtime.js';
import { NodeLoad, PodIPAllocator, hostIPFor, type SimNode } from './scheduler.js';
import { kubeletStatus, statusPatch, syncGates, type GateSync } from './status.js';
import { toPlain, type Pod } from './types.js';

/** Counters exposed by `SimKubelet.stats()`. */
export interface SimKubeletStats {
  /** Container restarts completed (a new instance started for a changed image). */
  restarts: number;
  /** Successful pods/status patches. */
  statusPatches: number;
  /** Successful pods/binding creations. */
  bindings: number;
  /** Successful final deletions (gracePeriodSeconds 0) of terminated pods. */
  deletions: number;
  /** Failed writes that were (or will be) retried. */
  writeRetries: number;
  /** In-place resizes actuated: an admitted resize taken by a Pod's containers (see `resizesByPod`). */
  resizes: number;
}

export interface KubeletLoopConfig extends RuntimeConfig {
  nodes: SimNode[];
  /** Every node's allocatable cpu (millicores) and memory (bytes). */
  allocatable: ResourceTotals;
  /** Register the nodes as Node objects with this allocatable (quantities) before starting; undefined: do not. */
  registerNodes?: { cpu: string; memory: string };
  /** A readiness-gate change reaches Ready this long after it is seen (the kubelet's next status sync), ms. */
  statusSyncDelayMs: number;
  maxConcurrentWrites: number;
  retryMinMs: number;
  retryMaxMs: number;
}

/** Per-pod bookkeeping of the loop (not of the simulated containers: that is PodRuntime). */
interface Slot {
  uid: string;
  timer?: NodeJS.Timeout;
  timerAt?: number;
  retryTimer?: NodeJS.Timeout;
  /** A write for this pod is in flight; reconciles wait for it (`rerun`). */
  inflight: boolean;
  rerun: boolean;
  backoffMs: number;
  /** Node chosen for binding (kept across retries). */
  node?: string;
  podIP?: string;
  /** What Ready last reflected of the readiness gates (see syncGates). */
  gates?: GateSync;
  /** Loop breaker: the last status patch sent and how many times in a row. */
  lastPatchKey?: string;
  samePatchCount: number;
}

/** Identical consecutive status patches tolerated before assuming the apiserver rewrites what we send. */
const MAX_SAME_PATCH = 3;

/** True if resourceVersion `a` is known to be older than `b` (only decidable for numeric versions). */
function isOlder(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b || !/^\d+$/.test(a) || !/^\d+$/.test(b)) return false;
  return a.length !== b.length ? a.length < b.length : a < b;
}

class Semaphore {
  private waiters: (() => void)[] = [];
  constructor(private free: number) {}
  async acquire(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return;
    }
    await new Promise<void>((r) => this.waiters.push(r));
  }
  release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.free++;
  }
}

/** The kubelet's event loop; `startSimKubelet` wraps it. One instance plays all fake nodes. */
export class KubeletLoop {
  private readonly core: CoreV1Api;
  private readonly reflector: PodReflector;
  private readonly pods = new Map<string, Pod>();
  private readonly runtimes = new Map<string, PodRuntime>();
  private readonly slots = new Map<string, Slot>();
  private readonly dirty = new Set<string>();
  private flushScheduled = false;
  private readonly load: NodeLoad;
  private readonly ips = new PodIPAllocator();
  private readonly sem: Semaphore;
  private readonly inflight = new Set<Promise<void>>();
  private stopped = false;
  readonly counters: SimKubeletStats = { restarts: 0, statusPatches: 0, bindings: 0, deletions: 0, writeRetries: 0, resizes: 0 };
  /** Resizes actuated per Pod, keyed `namespace/name`. */
  readonly resizesByPod = new Map<string, number>();
  /** Pods whose resize waits for room on their node (Deferred): looked at again when a Pod there frees some. */
  private readonly deferred = new Set<string>();

  private readonly closeConnections: () => void;

  constructor(
    callerKc: KubeConfig,
    private readonly cfg: KubeletLoopConfig,
    private readonly log: Logger,
  ) {
    const { kc, close } = withConnectionReuse(callerKc, cfg.maxConcurrentWrites + 8);
    this.closeConnections = close;
    this.core = kc.makeApiClient(CoreV1Api);
    this.load = new NodeLoad(cfg.nodes);
    this.sem = new Semaphore(cfg.maxConcurrentWrites);
    this.reflector = new PodReflector(
      kc,
      {
        onReset: (pods) => this.onReset(pods),
        onUpsert: (pod) => this.onUpsert(pod),
        onDelete: (pod) => this.forget(pod.metadata.uid),
      },
      log,
    );
  }

  async start(): Promise<void> {
    if (this.cfg.registerNodes) await this.registerNodes(this.cfg.registerNodes);
    return this.reflector.start();
  }

  /**
   * Creates the Node objects (or keeps existing ones) and sets their capacity and allocatable, as a real kubelet
   * registers its node: a real apiserver's admission of pods/resize looks the Pod's Node up. An apiserver that serves
   * no Nodes (the simulated one) is left alone.
   */
  private async registerNodes(allocatable: { cpu: string; memory: string }): Promise<void> {
    const room = { ...allocatable, pods: '110' };
    const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
    for (const node of this.cfg.nodes) {
      try {
        await this.core.createNode({
          body: { apiVersion: 'v1', kind: 'Node', metadata: { name: node.name, labels: { 'kubernetes.io/hostname': node.name } } },
        });
      } catch (err) {
        const code = httpStatus(err);
        if (code === 404) {
          this.log.debug('the apiserver serves no Nodes; not registering any');
          return;
        }
        if (code !== 409) throw err;
      }
      await this.core.patchNodeStatus(
        { name: node.name, body: { status: { capacity: room, allocatable: room, addresses: [{ type: 'InternalIP', address: node.hostIP }] } } },
        merge,
      );
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.reflector.stop();
    for (const s of this.slots.values()) {
      clearTimeout(s.timer);
      clearTimeout(s.retryTimer);
    }
    await Promise.allSettled([...this.inflight]);
    this.closeConnections();
  }

  /** Pods per node, for tests and logs. */
  nodeLoad(): Record<string, number> {
    return this.load.snapshot();
  }

  /** The latest copy of every Pod this kubelet runs, with its runtime record (for the metrics endpoint). */
  *podRuntimes(): Generator<{ pod: Pod; runtime: PodRuntime }> {
    for (const [uid, runtime] of this.runtimes) {
      const pod = this.pods.get(uid);
      if (pod) yield { pod, runtime };
    }
  }

  // ---- store -------------------------------------------------------------------------------------------

  private onReset(pods: Pod[]): void {
    const seen = new Set(pods.map((p) => p.metadata.uid));
    for (const uid of [...this.pods.keys()]) if (!seen.has(uid)) this.forget(uid);
    // Claim the IPs of pods that already have one before any new pod gets an address.
    for (const pod of pods) this.track(pod);
    for (const pod of pods) this.markDirty(pod.metadata.uid);
  }

  private onUpsert(pod: Pod): void {
    const prev = this.pods.get(pod.metadata.uid);
    // Our own patch responses may already have put a newer version here.
    if (prev && isOlder(pod.metadata.resourceVersion, prev.metadata.resourceVersion)) return;
    this.track(pod);
    this.markDirty(pod.metadata.uid);
  }

  private track(pod: Pod): void {
    const uid = pod.metadata.uid;
    this.pods.set(uid, pod);
    const slot = this.slot(uid);
    if (pod.spec.nodeName) this.load.assign(uid, pod.spec.nodeName);
    const ip = pod.status?.podIP;
    if (pod.spec.nodeName && ip && !slot.podIP && this.ips.reserve(ip)) slot.podIP = ip;
  }

  private forget(uid: string): void {
    const node = this.pods.get(uid)?.spec.nodeName;
    this.deferred.delete(uid);
    this.pods.delete(uid);
    this.runtimes.delete(uid);
    this.load.release(uid);
    const slot = this.slots.get(uid);
    if (!slot) return;
    clearTimeout(slot.timer);
    clearTimeout(slot.retryTimer);
    if (slot.podIP) this.ips.release(slot.podIP);
    this.slots.delete(uid);
    if (node) this.retryDeferred(node);
  }

  /** The requests allocated to the live (not terminated) Pods on `node` other than `uid`. */
  private usedOn(node: string, uid: string): ResourceTotals {
    let used: ResourceTotals = { cpu: 0n, memory: 0n };
    for (const [id, rt] of this.runtimes) {
      if (id === uid || rt.terminated || this.pods.get(id)?.spec.nodeName !== node) continue;
      used = addTotals(used, podRequests(Object.values(rt.containers).map((c) => c.allocated)));
    }
    return used;
  }

  /** Room may have freed up on `node`: Deferred resizes there are admitted again if they now fit. */
  private retryDeferred(node: string, except?: string): void {
    for (const id of this.deferred) if (id !== except && this.pods.get(id)?.spec.nodeName === node) this.markDirty(id);
  }

  private slot(uid: string): Slot {
    let s = this.slots.get(uid);
    if (!s) this.slots.set(uid, (s = { uid, inflight: false, rerun: false, backoffMs: 0, samePatchCount: 0 }));
    return s;
  }

  // ---- scheduling of work --------------------------------------------------------------------------------

  private markDirty(uid: string): void {
    if (this.stopped) return;
    this.dirty.add(uid);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      const batch = [...this.dirty];
      this.dirty.clear();
      for (const id of batch) {
        try {
          this.reconcile(id);
        } catch (err) {
          this.log.error({ err, uid: id }, 'reconcile threw');
        }
      }
    });
  }

  private wakeAt(slot: Slot, at: number | undefined): void {
    if (at === slot.timerAt) return;
    clearTimeout(slot.timer);
    slot.timer = undefined;
    slot.timerAt = at;
    if (at === undefined) return;
    // +1 ms: timers may fire a hair before the wall clock reaches `at`.
    slot.timer = setTimeout(
      () => {
        slot.timer = undefined;
        slot.timerAt = undefined;
        this.markDirty(slot.uid);
      },
      Math.max(0, at - Date.now()) + 1,
    );
  }

  // ---- decisions -------------------------------------------------------------------------------------------

  private reconcile(uid: string): void {
    if (this.stopped) return;
    const pod = this.pods.get(uid);
    const slot = this.slots.get(uid);
    if (!pod || !slot) return;
    if (slot.inflight) {
      slot.rerun = true;
      return;
    }
    if (slot.retryTimer) return; // backing off; the retry reconciles with the then-latest pod

    if (!pod.spec.nodeName) {
      // Unbound and being deleted: the apiserver removes such pods itself.
      if (pod.metadata.deletionTimestamp) return;
      slot.node ??= this.load.pick();
      this.load.assign(uid, slot.node);
      this.write(slot, 'bind', () => this.bind(pod, slot, slot.node!));
      return;
    }

    const now = Date.now();
    const prev = this.runtimes.get(uid);
    const nodeName = pod.spec.nodeName;
    const capacity: NodeCapacity = { allocatable: this.cfg.allocatable, usedByOthers: () => this.usedOn(nodeName, uid) };
    const step = stepPod(pod, prev, now, this.cfg, capacity);
    this.runtimes.set(uid, step.runtime);
    const key = `${pod.metadata.namespace ?? 'default'}/${pod.metadata.name}`;
    for (const e of step.events) {
      if (e.kind === 'restarted') this.counters.restarts++;
      if (e.kind === 'resized') {
        this.counters.resizes++;
        this.resizesByPod.set(key, (this.resizesByPod.get(key) ?? 0) + 1);
      }
      // what this Pod holds on its node changed: a resize waiting there may fit now
      if (e.kind === 'resizeAllocated' || e.kind === 'exited') this.retryDeferred(nodeName, uid);
      this.log.debug({ pod: key, ...e }, e.kind.startsWith('resize') ? e.kind : `container ${e.kind}`);
    }
    if (step.runtime.pending?.reason === 'Deferred') this.deferred.add(uid);
    else this.deferred.delete(uid);
    const gates = syncGates(pod, slot.gates, now, this.cfg.statusSyncDelayMs);
    slot.gates = gates.sync;
    const wakes = [step.wakeAt, gates.wakeAt].filter((t): t is number => t !== undefined);
    this.wakeAt(slot, wakes.length > 0 ? Math.min(...wakes) : undefined);

    const net = { hostIP: hostIPFor(pod.spec.nodeName, this.cfg.nodes), podIP: (slot.podIP ??= this.ips.allocate()) };
    const patch = statusPatch(pod.status, kubeletStatus(pod, step.runtime, net, now), { holdReady: gates.holdReady });
    if (patch) {
      const key = JSON.stringify(patch, (k, v) => (k === 'lastTransitionTime' ? undefined : v));
      if (key === slot.lastPatchKey && slot.samePatchCount >= MAX_SAME_PATCH) {
        if (slot.samePatchCount === MAX_SAME_PATCH) {
          slot.samePatchCount++;
          this.log.warn({ pod: pod.metadata.name, patch }, 'apiserver keeps not reflecting an identical status patch; not resending it');
        }
      } else {
        slot.samePatchCount = key === slot.lastPatchKey ? slot.samePatchCount : 0;
        slot.lastPatchKey = key;
        this.write(slot, 'status', async () => {
          await this.patchStatus(pod, patch);
          slot.samePatchCount++;
          // Look again with the patched pod: e.g. a terminated pod is deleted next.
          slot.rerun = true;
        });
        return;
      }
    }
    if (step.runtime.terminated && pod.metadata.deletionTimestamp) {
      this.write(slot, 'delete', () => this.deletePod(pod));
    }
  }

  // ---- writes ---------------------------------------------------------------------------------------------

  /** Run one write for a pod; on failure retry (by reconciling again) after a per-pod exponential backoff. */
  private write(slot: Slot, what: string, fn: () => Promise<void>): void {
    slot.inflight = true;
    const p = (async () => {
      let retry = false;
      await this.sem.acquire();
      try {
        if (this.stopped) return;
        await fn();
        slot.backoffMs = 0;
      } catch (err) {
        const code = httpStatus(err);
        if (code === 404) {
          // The pod is gone; its DELETED event will clean up.
          this.log.debug({ uid: slot.uid, what }, 'pod gone');
        } else {
          retry = true;
          this.counters.writeRetries++;
          slot.backoffMs = Math.min(this.cfg.retryMaxMs, Math.max(this.cfg.retryMinMs, slot.backoffMs * 2));
          this.log.debug({ uid: slot.uid, what, status: code, err: code ? undefined : err, backoffMs: slot.backoffMs }, 'write failed; will retry');
          if (what === 'bind' && code === 409) await this.refresh(slot.uid);
        }
      } finally {
        this.sem.release();
        slot.inflight = false;
        if (!this.stopped && this.slots.get(slot.uid) === slot) {
          if (retry) {
            slot.rerun = false;
            const delay = slot.backoffMs * (0.5 + Math.random() / 2);
            slot.retryTimer = setTimeout(() => {
              slot.retryTimer = undefined;
              this.markDirty(slot.uid);
            }, delay);
          } else if (slot.rerun) {
            slot.rerun = false;
            this.markDirty(slot.uid);
          }
        }
      }
    })();
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }

  /** Store a pod returned by a write (or read), unless the watch already delivered something newer. */
  private storeIfNewer(obj: unknown, uid: string): void {
    const pod = toPlain<Pod>(obj);
    if (pod?.metadata?.uid !== uid || !this.pods.has(uid)) return;
    const prev = this.pods.get(uid)!;
    if (isOlder(pod.metadata.resourceVersion, prev.metadata.resourceVersion)) return;
    this.track(pod);
  }

  private async bind(pod: Pod, slot: Slot, node: string): Promise<void> {
    const { name, namespace = 'default', uid } = pod.metadata;
    await this.core.createNamespacedPodBinding({
      name,
      namespace,
      body: { apiVersion: 'v1', kind: 'Binding', metadata: { name, namespace, uid }, target: { apiVersion: 'v1', kind: 'Node', name: node } },
    });
    this.counters.bindings++;
    // Start the pod right away instead of waiting for the watch to show the binding.
    const current = this.pods.get(uid);
    if (current && !current.spec.nodeName) this.pods.set(uid, { ...current, spec: { ...current.spec, nodeName: node } });
    slot.rerun = true;
  }

  /** After a binding conflict: maybe the pod is already bound and our watch has not caught up yet. */
  private async refresh(uid: string): Promise<void> {
    const pod = this.pods.get(uid);
    if (!pod) return;
    try {
      const fresh = await this.core.readNamespacedPod({ name: pod.metadata.name, namespace: pod.metadata.namespace ?? 'default' });
      this.storeIfNewer(fresh, uid);
    } catch {
      // The retry will sort it out.
    }
  }

  private async patchStatus(pod: Pod, patch: { status: object }): Promise<void> {
    const { name, namespace = 'default', uid } = pod.metadata;
    // metadata.uid makes the patch fail rather than land on a same-named successor pod (the real kubelet does this).
    const res = await this.core.patchNamespacedPodStatus(
      { name, namespace, body: { metadata: { uid }, ...patch } },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    this.counters.statusPatches++;
    this.storeIfNewer(res, uid);
  }

  private async deletePod(pod: Pod): Promise<void> {
    const { name, namespace = 'default', uid } = pod.metadata;
    await this.core.deleteNamespacedPod({ name, namespace, gracePeriodSeconds: 0, body: { gracePeriodSeconds: 0, preconditions: { uid } } });
    this.counters.deletions++;
  }
}
