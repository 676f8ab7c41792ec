/**
 * Pure computation of the status the kubelet publishes for a pod, and of the minimal strategic-merge patch
 * that brings the pod's current status there. Mirrors the real kubelet's status generation (phase from
 * container states, ContainersReady/Ready with readiness gates, lastTransitionTime only moving on a flip), and its
 * lag on readiness gates: a gate condition written by someone else reaches Ready only on the kubelet's next status
 * sync ({@link syncGates}), so whoever takes a Pod out of service must write Ready=False itself to be prompt.
 */
import { copyResources } from './resize.js';
import { isReady, resizeInProgress, type ContainerRuntime, type PodRuntime, type TerminatedRecord } from './runtime.js';
import { rfc3339, type ContainerState, type ContainerStatus, type Pod, type PodCondition, type PodStatus } from './types.js';

/** Condition types owned (written) by the kubelet; any other condition (e.g. readiness gates) is left alone. */
export const KUBELET_CONDITIONS = ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready', 'PodResizePending', 'PodResizeInProgress'] as const;

/** The resize conditions: present only while they hold, removed (SMP `$patch: delete`) when they no longer do. */
export const RESIZE_CONDITIONS = ['PodResizePending', 'PodResizeInProgress'] as const;

/** Where a pod runs: the node's IP and the pod's own IP. */
export interface PodNetwork {
  hostIP: string;
  podIP: string;
}

/** The part of `PodStatus` the kubelet owns. */
export interface KubeletStatus {
  /** metadata.generation of the Pod the status was computed for (absent when the Pod has none). */
  observedGeneration?: number;
  phase: string;
  conditions: PodCondition[];
  containerStatuses: ContainerStatus[];
  hostIP: string;
  hostIPs: { ip: string }[];
  podIP: string;
  podIPs: { ip: string }[];
  startTime: string;
}

function terminatedState(t: TerminatedRecord): ContainerState {
  return {
    terminated: {
      exitCode: t.exitCode,
      reason: t.reason,
      startedAt: t.startedAt !== undefined ? rfc3339(t.startedAt) : undefined,
      finishedAt: rfc3339(t.finishedAt),
      containerID: t.containerID,
    },
  };
}

/** The container status the kubelet reports for one container record. */
export function containerStatusFor(name: string, cr: ContainerRuntime, now: number): ContainerStatus {
  let state: ContainerState;
  const lastTerminated = cr.lastTerminated;
  switch (cr.phase) {
    case 'running':
      state = { running: { startedAt: cr.startedAt !== undefined ? rfc3339(cr.startedAt) : undefined } };
      break;
    case 'creating':
      // After a kill the old instance is reported as terminated until the new one runs (restartCount is
      // only bumped when the new instance starts).
      state = cr.killed ? terminatedState(cr.killed) : { waiting: { reason: 'ContainerCreating' } };
      break;
    case 'pullFailed':
      state = {
        waiting: {
          reason: 'ErrImagePull',
          message: `Failed to pull image "${cr.pullImage}": rpc error: code = NotFound desc = failed to pull and unpack image "${cr.pullImage}": not found`,
        },
      };
      break;
    case 'pullBackOff':
      state = { waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image "${cr.pullImage}"` } };
      break;
    case 'exited':
      state = cr.exited ? terminatedState(cr.exited) : { waiting: { reason: 'ContainerCreating' } };
      break;
  }
  const status: ContainerStatus = {
    name,
    image: cr.image,
    imageID: cr.imageID,
    ready: isReady(cr, now),
    started: cr.phase === 'running',
    restartCount: cr.restartCount,
    state,
    lastState: lastTerminated ? terminatedState(lastTerminated) : {},
    // what the instance runs with; for one that never ran, what it will start with
    resources: copyResources(cr.resources ?? cr.allocated),
  };
  if (cr.containerID) status.containerID = cr.containerID;
  if (cr.allocated.requests) status.allocatedResources = { ...cr.allocated.requests };
  return status;
}

/**
 * Pod phase from container states, as the kubelet derives it for restartPolicy Always (CloneSet pods):
 * any container that never ran and is waiting → Pending; otherwise Running (a container between a kill and
 * its restart counts as running-soon). Once a deleted pod's containers have exited the phase is terminal:
 * Succeeded if all exited with code 0, else Failed.
 */
export function podPhase(statuses: ContainerStatus[], terminated: boolean): string {
  if (terminated) {
    const ok = statuses.length > 0 && statuses.every((s) => s.state?.terminated && s.state.terminated.exitCode === 0);
    return ok ? 'Succeeded' : 'Failed';
  }
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  for (const s of statuses) {
    if (s.state?.running) running++;
    else if (s.state?.terminated) stopped++;
    else if (s.lastState?.terminated) stopped++;
    else waiting++;
  }
  if (waiting > 0) return 'Pending';
  if (running > 0 || stopped > 0) return 'Running';
  return 'Pending';
}

/** Keep the current lastTransitionTime unless the condition's status flips (as the kubelet's status manager does). */
function withTransition(c: Omit<PodCondition, 'lastTransitionTime'>, current: PodCondition[] | undefined, now: number): PodCondition {
  const prev = current?.find((x) => x.type === c.type);
  const lastTransitionTime = prev && prev.status === c.status && prev.lastTransitionTime ? prev.lastTransitionTime : rfc3339(now);
  const out: PodCondition = { type: c.type, status: c.status, lastTransitionTime };
  if (c.reason) out.reason = c.reason;
  if (c.message) out.message = c.message;
  if (c.observedGeneration !== undefined) out.observedGeneration = c.observedGeneration;
  return out;
}

/**
 * ContainersReady and Ready. Ready requires ContainersReady and every readiness gate's condition to be
 * "True"; messages follow the kubelet's wording.
 */
export function readinessConditions(
  pod: Pod,
  statuses: ContainerStatus[],
  phase: string,
): [Omit<PodCondition, 'lastTransitionTime'>, Omit<PodCondition, 'lastTransitionTime'>] {
  let containersReady: Omit<PodCondition, 'lastTransitionTime'>;
  const byName = new Map(statuses.map((s) => [s.name, s]));
  const unknown: string[] = [];
  const unready: string[] = [];
  for (const c of pod.spec.containers) {
    const s = byName.get(c.name);
    if (!s) unknown.push(c.name);
    else if (!s.ready) unready.push(c.name);
  }
  if (phase === 'Succeeded' && unknown.length === 0) {
    containersReady = { type: 'ContainersReady', status: 'False', reason: 'PodCompleted' };
  } else if (unknown.length > 0 || unready.length > 0) {
    const msgs: string[] = [];
    if (unknown.length) msgs.push(`containers with unknown status: [${unknown.join(' ')}]`);
    if (unready.length) msgs.push(`containers with unready status: [${unready.join(' ')}]`);
    containersReady = { type: 'ContainersReady', status: 'False', reason: 'ContainersNotReady', message: msgs.join(', ') };
  } else {
    containersReady = { type: 'ContainersReady', status: 'True' };
  }
  if (containersReady.status !== 'True') {
    return [containersReady, { ...containersReady, type: 'Ready' }];
  }
  const conditions = pod.status?.conditions ?? [];
  const gateMsgs: string[] = [];
  for (const gate of pod.spec.readinessGates ?? []) {
    const c = conditions.find((x) => x.type === gate.conditionType);
    if (!c) gateMsgs.push(`corresponding condition of pod readiness gate "${gate.conditionType}" does not exist.`);
    else if (c.status !== 'True') gateMsgs.push(`the status of pod readiness gate "${gate.conditionType}" is not "True", but ${c.status}`);
  }
  if (gateMsgs.length > 0) {
    return [containersReady, { type: 'Ready', status: 'False', reason: 'ReadinessGatesNotReady', message: gateMsgs.join(', ') }];
  }
  return [containersReady, { type: 'Ready', status: 'True' }];
}

/** The full kubelet-owned status of a bound pod at `now`. Container statuses are sorted by name, as the kubelet does. */
export function kubeletStatus(pod: Pod, rt: PodRuntime, net: PodNetwork, now: number): KubeletStatus {
  const containerStatuses = pod.spec.containers
    .map((c) => rt.containers[c.name] && containerStatusFor(c.name, rt.containers[c.name]!, now))
    .filter((s): s is ContainerStatus => !!s)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const phase = podPhase(containerStatuses, rt.terminated);
  const current = pod.status?.conditions;
  const [containersReady, ready] = readinessConditions(pod, containerStatuses, phase);
  const generation = typeof pod.metadata.generation === 'number' ? pod.metadata.generation : undefined;
  const resize: Omit<PodCondition, 'lastTransitionTime'>[] = [];
  if (rt.pending) {
    const { reason, message, generation: g } = rt.pending;
    resize.push({ type: 'PodResizePending', status: 'True', reason, message, ...(g !== undefined ? { observedGeneration: g } : {}) });
  }
  if (!rt.terminated && resizeInProgress(rt)) {
    const g = rt.resize?.generation ?? generation;
    resize.push({ type: 'PodResizeInProgress', status: 'True', ...(g !== undefined ? { observedGeneration: g } : {}) });
  }
  const conditions = [
    { type: 'PodScheduled', status: 'True' },
    // Init containers are not simulated: a pod is initialized as soon as it is accepted.
    { type: 'Initialized', status: 'True' },
    containersReady,
    ready,
    ...resize,
  ].map((c) => withTransition(c, current, now));
  return {
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
    phase,
    conditions,
    containerStatuses,
    hostIP: net.hostIP,
    hostIPs: [{ ip: net.hostIP }],
    podIP: net.podIP,
    podIPs: [{ ip: net.podIP }],
    startTime: rfc3339(rt.acceptedAt),
  };
}

/** What the kubelet's Ready last reflected of the Pod's readiness gates, and since when a change waits for a sync. */
export interface GateSync {
  /** The gate statuses (JSON, conditionType → status, '' when missing) Ready was last computed from. */
  synced: string;
  /** When a change of them was first seen (epoch ms); null when none waits. */
  pendingSince: number | null;
}

/** The readiness-gate conditions as the kubelet reads them, in spec order: conditionType → status ('' when missing). */
export function gateStatuses(pod: Pod): Record<string, string> {
  const conditions = pod.status?.conditions ?? [];
  return Object.fromEntries((pod.spec.readinessGates ?? []).map((g) => [g.conditionType, conditions.find((c) => c.type === g.conditionType)?.status ?? '']));
}

/**
 * The kubelet's view of the readiness gates at `now`. A change (someone else wrote a gate condition) is taken into
 * Ready only `delayMs` after it was first seen — a real kubelet recomputes Ready on its next status sync, seconds
 * later. Meanwhile `holdReady`: the kubelet leaves the Ready condition as it is in the API (it neither recomputes it
 * nor writes back its older value over someone else's Ready), and `wakeAt` says when to look again. The first sight
 * of a pod (`prev` undefined, e.g. after a kubelet restart) and `delayMs` 0 sync at once.
 */
export function syncGates(pod: Pod, prev: GateSync | undefined, now: number, delayMs: number): { sync: GateSync; holdReady: boolean; wakeAt?: number } {
  const key = JSON.stringify(gateStatuses(pod));
  if (prev === undefined || delayMs <= 0 || key === prev.synced) return { sync: { synced: key, pendingSince: null }, holdReady: false };
  const since = prev.pendingSince ?? now;
  if (now >= since + delayMs) return { sync: { synced: key, pendingSince: null }, holdReady: false };
  return { sync: { synced: prev.synced, pendingSince: since }, holdReady: true, wakeAt: since + delayMs };
}

const TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;

/**
 * Canonical form for comparison: drops undefined/null/''/empty objects and arrays, and truncates timestamps
 * to whole seconds — so a value that round-tripped through an apiserver compares equal to what we computed.
 */
export function canonical(v: unknown): unknown {
  if (typeof v === 'string') return v === '' ? undefined : TIMESTAMP.test(v) ? rfc3339(Date.parse(v)) : v;
  if (v instanceof Date) return rfc3339(v.getTime());
  if (Array.isArray(v)) {
    const arr = v.map(canonical).filter((x) => x !== undefined);
    return arr.length ? arr : undefined;
  }
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const x = canonical((v as Record<string, unknown>)[k]);
      if (x !== undefined) out[k] = x;
    }
    return Object.keys(out).length ? out : undefined;
  }
  if (v === null || v === '') return undefined;
  return v;
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));

/** Fields of a container status the kubelet owns (others a newer apiserver might add are not compared). */
const CONTAINER_STATUS_FIELDS = [
  'name',
  'image',
  'imageID',
  'containerID',
  'ready',
  'started',
  'restartCount',
  'state',
  'lastState',
  'resources',
  'allocatedResources',
] as const;

function sameContainerStatuses(current: ContainerStatus[] | undefined, desired: ContainerStatus[]): boolean {
  const cur = current ?? [];
  if (cur.length !== desired.length) return false;
  const byName = new Map(cur.map((s) => [s.name, s]));
  return desired.every((d) => {
    const c = byName.get(d.name);
    return !!c && CONTAINER_STATUS_FIELDS.every((f) => same(c[f], d[f]));
  });
}

/**
 * The body of a strategic-merge patch on pods/status moving `current` to `desired`, or null when nothing the
 * kubelet owns differs (with `holdReady`, Ready is left out: see {@link syncGates}). Only changed conditions are sent (merged by `type`, so conditions written by others
 * survive); containerStatuses has no merge key, so it is always sent whole.
 */
export function statusPatch(
  current: PodStatus | undefined,
  desired: KubeletStatus,
  opts: { holdReady?: boolean } = {},
): { status: Partial<KubeletStatus> } | null {
  const cur = current ?? {};
  const patch: Partial<KubeletStatus> = {};
  if (cur.phase !== desired.phase) patch.phase = desired.phase;
  if (desired.observedGeneration !== undefined && cur.observedGeneration !== desired.observedGeneration) patch.observedGeneration = desired.observedGeneration;
  for (const f of ['hostIP', 'hostIPs', 'podIP', 'podIPs', 'startTime'] as const) {
    if (!same(cur[f], desired[f])) (patch as Record<string, unknown>)[f] = desired[f];
  }
  const changed: PodCondition[] = [];
  for (const d of desired.conditions) {
    if (opts.holdReady && d.type === 'Ready') continue; // not recomputed before the next status sync (syncGates)
    const c = cur.conditions?.find((x) => x.type === d.type);
    if (c && same({ ...c, lastProbeTime: undefined }, d)) continue;
    // Conditions are merged by type field by field, so a reason/message that no longer applies (e.g. on
    // Ready turning True) must be deleted explicitly with null, as a two-way strategic merge patch does.
    const entry: Record<string, unknown> = { ...d };
    for (const f of ['reason', 'message'] as const) if (c?.[f] && !d[f]) entry[f] = null;
    changed.push(entry as unknown as PodCondition);
  }
  for (const type of RESIZE_CONDITIONS) {
    // a resize condition that no longer holds is removed from the list (merged by type: only a directive removes it)
    if (cur.conditions?.some((c) => c.type === type) && !desired.conditions.some((d) => d.type === type)) {
      changed.push({ type, $patch: 'delete' } as unknown as PodCondition);
    }
  }
  if (changed.length) patch.conditions = changed;
  if (!sameContainerStatuses(cur.containerStatuses, desired.containerStatuses)) patch.containerStatuses = desired.containerStatuses;
  return Object.keys(patch).length ? { status: patch } : null;
}
