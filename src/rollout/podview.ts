/**
 * PodView: the compact, plain-JSON view of a Pod that the planner works on (in the observing activity, and in the
 * simulations of the `plan` command and query), and the readiness predicates the planner and the status computation
 * share.
 */
import { resizeState } from './resources.js';
import { Annotations, Conditions, LifecycleState, Labels, PodPhase, type InPlaceUpdateState } from './types.js';

/**
 * The minimal structure of a Pod this module reads. Accepts plain JSON (timestamps as RFC3339 strings) and
 * @kubernetes/client-node objects (timestamps as Date) alike, without importing the client. No index signatures, so
 * that classes such as client-node's V1Pod are assignable.
 */
export interface PodJson {
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    creationTimestamp?: unknown;
    deletionTimestamp?: unknown;
  };
  spec?: {
    nodeName?: string;
    containers?: { name: string; image?: string }[];
    readinessGates?: { conditionType: string }[];
  };
  status?: {
    phase?: string;
    conditions?: { type: string; status: string; lastTransitionTime?: unknown; reason?: string; message?: string }[];
    containerStatuses?: {
      name: string;
      image?: string;
      imageID?: string;
      ready?: boolean;
      restartCount?: number;
      started?: boolean;
      state?: { waiting?: { reason?: string } };
    }[];
  };
}

/** One container as the rollout sees it. */
export interface ContainerView {
  name: string;
  /** Image in the pod spec (what we asked for). */
  specImage: string;
  /** Image the kubelet reports running; null if the container has no status yet. */
  statusImage: string | null;
  /** Resolved image ID (digest) the kubelet reports; null if no status (or empty). */
  imageID: string | null;
  ready: boolean;
  restartCount: number;
  /** Started probe result; null if not reported. */
  started: boolean | null;
  /** e.g. `ImagePullBackOff`, `ErrImagePull`, `CrashLoopBackOff`; null if not waiting. */
  waitingReason: string | null;
}

/** A compact, plain-JSON view of a Pod. Timestamps are epoch milliseconds. */
export interface PodView {
  name: string;
  uid: string;
  /** `controller-revision-hash` label; null if absent. */
  revision: string | null;
  /** `apps.kruise.io/cloneset-instance-id` label; null if absent. */
  instanceId: string | null;
  /** metadata.creationTimestamp in ms; null if absent. */
  creationTimestamp: number | null;
  /** status.phase; `Pending` if absent (a pod just created has no status). */
  phase: string;
  /** metadata.deletionTimestamp is set. */
  deleting: boolean;
  /** spec.nodeName; null if unscheduled. */
  nodeName: string | null;
  /** The Ready condition is True. */
  ready: boolean;
  /** lastTransitionTime of the Ready condition while it is True (ms); null otherwise. */
  readySinceMs: number | null;
  /** The InPlaceUpdateReady condition is True (true), not True (false), or absent (null). */
  gateReady: boolean | null;
  /** spec.readinessGates includes InPlaceUpdateReady. */
  hasGate: boolean;
  /** Spec containers joined with their statuses by name, in spec order. */
  containers: ContainerView[];
  /** Sum of container restart counts. */
  restartCount: number;
  /** `lifecycle.apps.kruise.io/state` label; null if absent. */
  lifecycleState: string | null;
  /** Parsed `apps.kruise.io/inplace-update-state` annotation; null if absent or malformed. */
  inPlaceState: InPlaceUpdateState | null;
  /** `apps.kruise.io/inplace-update-grace` annotation present (a grace period is running). */
  inPlaceGracePending: boolean;
  /** All pod labels (priority/scatter strategies and selectors read them). */
  labels: Record<string, string>;
  /**
   * A resize the kubelet has not finished, from the PodResizePending / PodResizeInProgress conditions, e.g.
   * `resize Infeasible: Node didn't have enough capacity: cpu, requested: 5000, capacity: 4000`; absent when there is
   * none.
   */
  resize?: string;
}

/** Epoch ms from an RFC3339 string, a Date-like object or a number; null if absent or unparsable. */
export function toMs(value: unknown): number | null {
  if (value === null || value === undefined || value === '') return null;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'string') {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? null : ms;
  }
  if (typeof value === 'object' && typeof (value as { getTime?: unknown }).getTime === 'function') {
    const ms = (value as { getTime(): number }).getTime();
    return Number.isNaN(ms) ? null : ms;
  }
  return null;
}

/** Parses the inplace-update-state annotation; null if absent or not the expected shape. */
export function parseInPlaceUpdateState(raw: string | undefined | null): InPlaceUpdateState | null {
  if (!raw) return null;
  try {
    const v = JSON.parse(raw) as unknown;
    if (typeof v !== 'object' || v === null) return null;
    const o = v as Record<string, unknown>;
    if (typeof o.revision !== 'string') return null;
    const last = typeof o.lastContainerStatuses === 'object' && o.lastContainerStatuses !== null ? o.lastContainerStatuses : {};
    return {
      ...o,
      revision: o.revision,
      updateTimestamp: typeof o.updateTimestamp === 'string' ? o.updateTimestamp : '',
      lastContainerStatuses: last as Record<string, { imageID: string }>,
    };
  } catch {
    return null;
  }
}

/** Builds a PodView from a Pod (plain JSON or a client-node object). Pure: reads nothing else. */
export function toPodView(pod: PodJson): PodView {
  const md = pod.metadata ?? {};
  const labels = { ...(md.labels ?? {}) };
  const annotations = md.annotations ?? {};
  const conditions = pod.status?.conditions ?? [];
  const readyCond = conditions.find((c) => c.type === Conditions.ready);
  const gateCond = conditions.find((c) => c.type === Conditions.inPlaceUpdateReady);
  const ready = readyCond?.status === 'True';
  const statuses = pod.status?.containerStatuses ?? [];
  const containers: ContainerView[] = (pod.spec?.containers ?? []).map((c) => {
    const st = statuses.find((s) => s.name === c.name);
    return {
      name: c.name,
      specImage: c.image ?? '',
      statusImage: st?.image || null,
      imageID: st?.imageID || null,
      ready: st?.ready ?? false,
      restartCount: st?.restartCount ?? 0,
      started: st?.started ?? null,
      waitingReason: st?.state?.waiting?.reason ?? null,
    };
  });
  const resize = describeResize(pod);
  return {
    name: md.name ?? '',
    uid: md.uid ?? '',
    revision: labels[Labels.revision] ?? null,
    instanceId: labels[Labels.instanceId] ?? null,
    creationTimestamp: toMs(md.creationTimestamp),
    phase: pod.status?.phase || PodPhase.Pending,
    deleting: md.deletionTimestamp !== undefined && md.deletionTimestamp !== null && md.deletionTimestamp !== '',
    nodeName: pod.spec?.nodeName || null,
    ready,
    readySinceMs: ready ? toMs(readyCond?.lastTransitionTime) : null,
    gateReady: gateCond ? gateCond.status === 'True' : null,
    hasGate: (pod.spec?.readinessGates ?? []).some((g) => g.conditionType === Conditions.inPlaceUpdateReady),
    containers,
    restartCount: statuses.reduce((n, s) => n + (s.restartCount ?? 0), 0),
    lifecycleState: labels[Labels.lifecycleState] ?? null,
    inPlaceState: parseInPlaceUpdateState(annotations[Annotations.inPlaceUpdateState]),
    inPlaceGracePending: annotations[Annotations.inPlaceUpdateGrace] !== undefined,
    labels,
    // Only when there is one: the view travels in workflow histories, once per Pod.
    ...(resize ? { resize } : {}),
  };
}

/** Succeeded/Failed pods (e.g. evicted) are not replicas: like Kruise, we neither count nor update them. */
export function isPodActive(p: PodView): boolean {
  return !p.deleting && p.phase !== PodPhase.Succeeded && p.phase !== PodPhase.Failed;
}

/**
 * Ready as CloneSet status counts it: Running, Ready condition True, and InPlaceUpdateReady not False
 * (a pod with the gate but no condition yet is not ready either).
 */
export function isPodReady(p: Pick<PodView, 'phase' | 'ready' | 'gateReady' | 'hasGate'>): boolean {
  if (p.phase !== PodPhase.Running || !p.ready) return false;
  if (p.gateReady === false) return false;
  if (p.hasGate && p.gateReady !== true) return false;
  return true;
}

/**
 * Ready for at least minReadySeconds at `nowMs`. Boundary: available at exactly readySince + minReadySeconds, so a
 * timer set to {@link availableAtMs} wakes up to an available pod (Kubernetes uses a strict `before`; 1 ms apart).
 */
export function isPodAvailable(p: PodView, minReadySeconds: number, nowMs: number): boolean {
  if (!isPodReady(p)) return false;
  if (minReadySeconds <= 0) return true;
  return p.readySinceMs !== null && p.readySinceMs + minReadySeconds * 1000 <= nowMs;
}

/** Lifecycle state absent or Normal: Kruise counts any other state as unavailable. */
export function isLifecycleNormal(p: PodView): boolean {
  return p.lifecycleState === null || p.lifecycleState === '' || p.lifecycleState === LifecycleState.Normal;
}

/**
 * Available for the update window: not being deleted, lifecycle Normal, and {@link isPodAvailable}.
 * (Pods in flight are counted unavailable separately by the planner.)
 */
export function isPodAvailableForWindow(p: PodView, minReadySeconds: number, nowMs: number): boolean {
  return !p.deleting && isLifecycleNormal(p) && isPodAvailable(p, minReadySeconds, nowMs);
}

/**
 * When a pod that is ready (but not yet available for minReadySeconds) becomes available, in ms; null if it is not
 * on its way (not ready, deleting, lifecycle not Normal) or is available already at `nowMs`.
 */
export function availableAtMs(p: PodView, minReadySeconds: number, nowMs: number): number | null {
  if (p.deleting || !isLifecycleNormal(p) || !isPodReady(p) || minReadySeconds <= 0) return null;
  if (p.readySinceMs === null) return null;
  const at = p.readySinceMs + minReadySeconds * 1000;
  return at > nowMs ? at : null;
}

/**
 * Images (every container) of the revision the rollout started from, read from a Pod still on it: what a
 * rollback restores. Null when no such Pod is seen.
 */
export function imagesOfRevision(pods: readonly PodView[], revision: string | null): Record<string, string> | null {
  if (!revision) return null;
  const pod = pods.find((p) => p.revision === revision && !p.deleting && p.containers.length > 0);
  return pod ? Object.fromEntries(pod.containers.map((c) => [c.name, c.specImage])) : null;
}

/** What a rollout round needs of a Pod it acts on (the rest stays with the observing activity). */
export type RoundPod = Pick<PodView, 'name' | 'uid' | 'revision' | 'lifecycleState'>;

export function roundPod(p: PodView): RoundPod {
  return { name: p.name, uid: p.uid, revision: p.revision, lifecycleState: p.lifecycleState };
}

function describeResize(pod: PodJson): string | null {
  const state = resizeState(pod);
  return state ? `resize ${state.reason}${state.message ? `: ${state.message}` : ''}` : null;
}

/**
 * Why a Pod is not up: each container waiting or not ready, e.g. `nginx: ImagePullBackOff`, and a resize the kubelet
 * has not finished (`resize Deferred: …`); empty when all are up.
 */
export function blockingReasons(p: Pick<PodView, 'containers' | 'resize'>): string[] {
  const containers = p.containers.filter((c) => c.waitingReason || !c.ready).map((c) => `${c.name}: ${c.waitingReason ?? 'not ready'}`);
  return p.resize ? [...containers, p.resize] : containers;
}
