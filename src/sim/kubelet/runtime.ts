/**
 * The simulated container runtime: a pure state machine per pod that decides, given the pod's spec, the
 * kubelet's record of its containers and the clock, which containers are being pulled, running, killed for
 * an in-place image change, failing to pull, or exited for deletion. No I/O, no timers: callers pass `now`
 * and get back the next instant at which something will change (`wakeAt`).
 */
import { imageIdFor } from './images.js';
import { copyResources, podRequests, resizeFit, resizeNeedsRestart, sameResizable, type ResizePolicy, type Resources, type ResourceTotals } from './resize.js';
import { parseTime, type ContainerStateTerminated, type ContainerStatus, type Pod, type PodContainerSpec } from './types.js';

/** Timings of the simulated runtime, all in milliseconds. */
export interface RuntimeTiming {
  /** New pod accepted → each container running (sandbox + image pull + start). */
  startDelayMs: number;
  /** Container killed because its spec image changed → new container running (pull + start). */
  restartDelayMs: number;
  /** Container started → ready (first successful readiness probe). */
  readyDelayMs: number;
  /** `ErrImagePull` → `ImagePullBackOff`. */
  pullBackOffMs: number;
  /** Cap on the graceful-termination wait: containers exit after min(deletionGracePeriodSeconds, this). */
  deleteDelayMs: number;
  /** A resize allocated → the containers run with the new resources (or restart for them). Default 200. */
  resizeDelayMs?: number;
}

/** Default of `resizeDelayMs`. */
export const DEFAULT_RESIZE_DELAY_MS = 200;

/** What the node has room for, for the resize of one of its Pods (see resize.ts). */
export interface NodeCapacity {
  allocatable: ResourceTotals;
  /** The requests allocated to the node's other live Pods (asked only when a resize is to be admitted). */
  usedByOthers(): ResourceTotals;
}

export interface RuntimeConfig extends RuntimeTiming {
  /** Images matching never pull. */
  unpullableImages: RegExp;
  /** Images matching start but never become ready. */
  neverReadyImages: RegExp;
  /** Source of container IDs (injected so tests are deterministic). */
  newContainerId: () => string;
}

/** How a container instance ended (times in epoch ms). */
export interface TerminatedRecord {
  exitCode: number;
  reason: string;
  startedAt?: number;
  finishedAt: number;
  containerID?: string;
}

/**
 * - `creating`: waiting for the image pull + start to finish at `dueAt` (after a kill, `killed` holds the old
 *   container, which the status shows as terminated meanwhile);
 * - `running`;
 * - `pullFailed`: `ErrImagePull` until `dueAt`, then `pullBackOff` (`ImagePullBackOff`) until the spec image changes;
 * - `exited`: the pod is being deleted and its containers have exited.
 */
export type ContainerPhase = 'creating' | 'running' | 'pullFailed' | 'pullBackOff' | 'exited';

/** The kubelet's record of one container of one pod (what the real kubelet would ask the CRI runtime for). */
export interface ContainerRuntime {
  phase: ContainerPhase;
  /** Epoch ms of the pending transition of `creating` / `pullFailed`. */
  dueAt?: number;
  /** Image of the current (or last) container instance; the spec image if no instance ever ran. */
  image: string;
  /** imageID of the current (or last) instance; '' if no instance ever ran. */
  imageID: string;
  /** ID of the current (or last) instance; undefined if no instance ever ran. */
  containerID?: string;
  restartCount: number;
  /** Epoch ms the current (or last) instance started. */
  startedAt?: number;
  /** While running: epoch ms from which the container is ready; null = never. */
  readyAt: number | null;
  /** While `creating` after a kill: the killed instance, reported as `state.terminated`. */
  killed?: TerminatedRecord;
  /** The previous instance's end, reported as `lastState.terminated`. */
  lastTerminated?: TerminatedRecord;
  /** While `exited`: this instance's end, reported as `state.terminated`. */
  exited?: TerminatedRecord;
  /** While `pullFailed` / `pullBackOff`: the image that could not be pulled. */
  pullImage?: string;
  /** The resources the current (or last) instance runs with (status.containerStatuses[].resources). */
  resources?: Resources;
  /** The resources the kubelet admitted for the container: a new instance starts with them (allocatedResources). */
  allocated: Resources;
}

/** The kubelet's record of one pod, keyed by pod uid. */
export interface PodRuntime {
  uid: string;
  /** Epoch ms at which the kubelet accepted the pod (reported as status.startTime). */
  acceptedAt: number;
  /** Keyed by container name. */
  containers: Record<string, ContainerRuntime>;
  /** Deletion: epoch ms at which the containers exit. */
  deleteAt?: number;
  /** Deletion: all containers have exited; the pod object may now be removed. */
  terminated: boolean;
  /** A resize allocated and not yet actuated: the running containers take the allocated resources at `actuateAt`. */
  resize?: { actuateAt: number; generation?: number; since: number };
  /** A resize the node cannot take now (Deferred) or ever (Infeasible): the PodResizePending condition. */
  pending?: { reason: 'Infeasible' | 'Deferred'; message: string; generation?: number; since: number };
}

/** `resizeAllocated`: a resize was admitted (the node's use changed); `resized`: the Pod's containers took it. */
export type RuntimeEventKind = 'started' | 'killed' | 'restarted' | 'pullFailed' | 'pullBackOff' | 'exited' | 'resizeAllocated' | 'resized';
export interface RuntimeEvent {
  kind: RuntimeEventKind;
  container?: string;
  image?: string;
  at: number;
}

export interface StepResult {
  runtime: PodRuntime;
  events: RuntimeEvent[];
  /** Epoch ms of the next scheduled transition (start, pull result, readiness, exit); undefined = none. */
  wakeAt?: number;
}

/** Default grace period of a pod (seconds) when the apiserver did not report one. */
const DEFAULT_GRACE_SECONDS = 30;

const specImage = (c: { image?: string }): string => c.image ?? '';

function creating(image: string, dueAt: number, allocated: Resources): ContainerRuntime {
  return { phase: 'creating', dueAt, image, imageID: '', restartCount: 0, readyAt: null, allocated };
}

const specResources = (c: PodContainerSpec): Resources => copyResources(c.resources);
const generationOf = (pod: Pod): number | undefined => (typeof pod.metadata.generation === 'number' ? pod.metadata.generation : undefined);

/** Record for a pod this kubelet has just accepted: every container starts after `startDelayMs`. */
export function newPodRuntime(pod: Pod, now: number, cfg: RuntimeConfig): PodRuntime {
  const containers: Record<string, ContainerRuntime> = {};
  for (const c of pod.spec.containers) containers[c.name] = creating(specImage(c), now + cfg.startDelayMs, specResources(c));
  return { uid: pod.metadata.uid, acceptedAt: now, containers, terminated: false };
}

function terminatedFrom(t: ContainerStateTerminated | undefined, fallback: number): TerminatedRecord | undefined {
  if (!t) return undefined;
  return {
    exitCode: t.exitCode ?? 0,
    reason: t.reason ?? 'Completed',
    startedAt: parseTime(t.startedAt),
    finishedAt: parseTime(t.finishedAt) ?? fallback,
    containerID: t.containerID,
  };
}

/**
 * Rebuild the record of a pod from its published status — for when this kubelet (re)starts and finds pods
 * already bound. The status is the only memory the kubelet has, so this is written to make the round trip
 * status → runtime → status a no-op: no container is restarted twice for the same image change.
 */
export function reconstructPodRuntime(pod: Pod, now: number, cfg: RuntimeConfig): PodRuntime {
  const statuses = new Map<string, ContainerStatus>();
  for (const cs of pod.status?.containerStatuses ?? []) statuses.set(cs.name, cs);
  const deleting = !!pod.metadata.deletionTimestamp;
  const containers: Record<string, ContainerRuntime> = {};
  let allExited = pod.spec.containers.length > 0;
  for (const c of pod.spec.containers) {
    const cs = statuses.get(c.name);
    if (!cs) {
      containers[c.name] = creating(specImage(c), now + cfg.startDelayMs, specResources(c));
      allExited = false;
      continue;
    }
    const base: ContainerRuntime = {
      ...resourcesFromStatus(c, cs),
      phase: 'creating',
      image: cs.image || specImage(c),
      imageID: cs.imageID ?? '',
      containerID: cs.containerID,
      restartCount: cs.restartCount ?? 0,
      startedAt: parseTime(cs.state?.running?.startedAt ?? cs.state?.terminated?.startedAt),
      readyAt: null,
      lastTerminated: terminatedFrom(cs.lastState?.terminated, now),
    };
    const state = cs.state ?? {};
    if (state.running) {
      base.phase = 'running';
      if (cs.ready) base.readyAt = base.startedAt ?? now;
      else if (!cfg.neverReadyImages.test(base.image)) base.readyAt = now + cfg.readyDelayMs;
    } else if (state.terminated) {
      if (deleting) {
        base.phase = 'exited';
        base.exited = terminatedFrom(state.terminated, now);
      } else {
        // Killed for an image change; the new instance was still being pulled.
        base.killed = terminatedFrom(state.terminated, now);
        base.dueAt = now + cfg.restartDelayMs;
      }
    } else {
      const reason = state.waiting?.reason;
      const image = specImage(c);
      if ((reason === 'ErrImagePull' || reason === 'ImagePullBackOff') && cfg.unpullableImages.test(image)) {
        base.phase = reason === 'ErrImagePull' ? 'pullFailed' : 'pullBackOff';
        base.pullImage = image;
        if (base.phase === 'pullFailed') base.dueAt = now + cfg.pullBackOffMs;
      } else {
        base.dueAt = now + (base.containerID ? cfg.restartDelayMs : cfg.startDelayMs);
      }
      if (!base.containerID) base.image = image;
    }
    if (base.phase !== 'exited') allExited = false;
    containers[c.name] = base;
  }
  const acceptedAt = parseTime(pod.status?.startTime) ?? now;
  // A pod that already reached a terminal phase is never brought back to life.
  const terminalPhase = pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
  const terminated = terminalPhase || (deleting && allExited);
  const rt: PodRuntime = { uid: pod.metadata.uid, acceptedAt, containers, terminated, deleteAt: terminated ? now : undefined };
  // A resize allocated but not yet taken by a running container when the previous kubelet stopped: actuate it.
  if (!terminated && Object.values(containers).some((cr) => cr.phase === 'running' && !sameResizable(cr.resources, cr.allocated))) {
    const inProgress = pod.status?.conditions?.find((x) => x.type === 'PodResizeInProgress');
    const generation = typeof inProgress?.observedGeneration === 'number' ? inProgress.observedGeneration : generationOf(pod);
    rt.resize = { actuateAt: now + (cfg.resizeDelayMs ?? DEFAULT_RESIZE_DELAY_MS), generation, since: parseTime(inProgress?.lastTransitionTime) ?? now };
  }
  return rt;
}

/**
 * What a published container status says of its resources: `resources` (what the instance runs with; the spec's
 * when a status predates them) and `allocatedResources` (the admitted requests). The admitted limits are not
 * published: they are the spec's when the admitted requests are the spec's, else the running ones.
 */
function resourcesFromStatus(c: PodContainerSpec, cs: ContainerStatus): Pick<ContainerRuntime, 'resources' | 'allocated'> {
  const spec = specResources(c);
  const resources = cs.resources !== undefined ? copyResources(cs.resources) : spec;
  const requests = cs.allocatedResources !== undefined ? { ...(cs.allocatedResources as Record<string, string>) } : resources.requests;
  const admittedSpec = sameResizable({ requests }, { requests: spec.requests });
  const allocated: Resources = {};
  if (requests && Object.keys(requests).length) allocated.requests = requests;
  const limits = admittedSpec ? spec.limits : resources.limits;
  if (limits) allocated.limits = { ...limits };
  return { resources, allocated };
}

/** Whether a container is ready at `now`. */
export function isReady(cr: ContainerRuntime, now: number): boolean {
  return cr.phase === 'running' && cr.readyAt !== null && now >= cr.readyAt;
}

function cloneRuntime(rt: PodRuntime): PodRuntime {
  const containers: Record<string, ContainerRuntime> = {};
  for (const [k, v] of Object.entries(rt.containers)) containers[k] = { ...v };
  return { ...rt, containers };
}

/** Kill a running container; a new instance is pulled and started `restartDelayMs` later. */
function kill(name: string, cr: ContainerRuntime, now: number, cfg: RuntimeConfig, events: RuntimeEvent[]): void {
  cr.killed = { exitCode: 0, reason: 'Completed', startedAt: cr.startedAt, finishedAt: now, containerID: cr.containerID };
  cr.phase = 'creating';
  cr.dueAt = now + cfg.restartDelayMs;
  cr.readyAt = null;
  events.push({ kind: 'killed', container: name, image: cr.image, at: now });
}

/**
 * The kubelet's allocation of a resize (before the containers are stepped, so that a container restarted for an image
 * change in the same spec update starts with the new resources): a spec whose cpu/memory differ from what was
 * admitted is admitted if the node has room (allocated, actuated `resizeDelayMs` later), else left pending.
 */
function allocateResize(pod: Pod, rt: PodRuntime, now: number, cfg: RuntimeConfig, node: NodeCapacity | undefined, events: RuntimeEvent[]): void {
  const wanted = pod.spec.containers.map(specResources);
  const differs = pod.spec.containers.some((c, i) => rt.containers[c.name] && !sameResizable(wanted[i], rt.containers[c.name]!.allocated));
  if (!differs) {
    rt.pending = undefined;
    return;
  }
  const fit = node ? resizeFit(podRequests(wanted), node.allocatable, node.usedByOthers()) : { fits: true as const };
  const generation = generationOf(pod);
  if (!fit.fits) {
    const since = rt.pending?.reason === fit.reason ? rt.pending.since : now;
    rt.pending = { reason: fit.reason, message: fit.message, generation, since };
    return;
  }
  pod.spec.containers.forEach((c, i) => {
    const cr = rt.containers[c.name];
    if (cr) cr.allocated = wanted[i]!;
  });
  rt.pending = undefined;
  rt.resize = { actuateAt: now + (cfg.resizeDelayMs ?? DEFAULT_RESIZE_DELAY_MS), generation, since: rt.resize?.since ?? now };
  events.push({ kind: 'resizeAllocated', at: now });
}

/**
 * Actuation of an allocated resize: each running container takes its allocated resources — in place, or by a restart
 * when a changed resource's resizePolicy says RestartContainer. Containers being (re)created start with them anyway.
 */
function actuateResize(pod: Pod, rt: PodRuntime, now: number, cfg: RuntimeConfig, events: RuntimeEvent[]): void {
  for (const c of pod.spec.containers) {
    const cr = rt.containers[c.name];
    if (!cr || cr.phase !== 'running' || sameResizable(cr.resources, cr.allocated)) continue;
    if (resizeNeedsRestart(c.resizePolicy as ResizePolicy, cr.resources, cr.allocated)) kill(c.name, cr, now, cfg, events);
    else cr.resources = copyResources(cr.allocated);
  }
  rt.resize = undefined;
  events.push({ kind: 'resized', at: now });
}

/** A resize is in progress while some running container does not yet run with what was allocated (PodResizeInProgress). */
export function resizeInProgress(rt: PodRuntime): boolean {
  return Object.values(rt.containers).some((cr) => cr.phase === 'running' && !sameResizable(cr.resources, cr.allocated));
}

/** Advance one container to `now`, applying every transition that is due (possibly several). */
function stepContainer(name: string, image: string, cr: ContainerRuntime, now: number, cfg: RuntimeConfig, events: RuntimeEvent[]): void {
  // Bounded: each pass either returns or moves to a phase whose next pass returns.
  for (let guard = 0; guard < 8; guard++) {
    switch (cr.phase) {
      case 'running':
        if (image === cr.image) return;
        // The spec image changed: kill this container (the old instance is gone, as with the real kubelet's
        // hash-changed restart) and pull the new image.
        kill(name, cr, now, cfg, events);
        continue;
      case 'creating': {
        if (cr.dueAt === undefined || now < cr.dueAt) {
          // A never-started container reports its spec image, whatever the spec says now.
          if (!cr.containerID) cr.image = image;
          return;
        }
        const at = cr.dueAt;
        if (cr.killed) {
          cr.lastTerminated = cr.killed;
          cr.killed = undefined;
        }
        if (cfg.unpullableImages.test(image)) {
          cr.phase = 'pullFailed';
          cr.pullImage = image;
          cr.dueAt = at + cfg.pullBackOffMs;
          if (!cr.containerID) cr.image = image;
          events.push({ kind: 'pullFailed', container: name, image, at });
          continue;
        }
        const restarted = cr.containerID !== undefined;
        if (restarted) cr.restartCount += 1;
        cr.containerID = cfg.newContainerId();
        cr.image = image;
        cr.imageID = imageIdFor(image);
        // a new instance runs with what the kubelet admitted (a resize that came with the image change included)
        cr.resources = copyResources(cr.allocated);
        cr.startedAt = at;
        cr.readyAt = cfg.neverReadyImages.test(image) ? null : at + cfg.readyDelayMs;
        cr.phase = 'running';
        cr.dueAt = undefined;
        cr.pullImage = undefined;
        events.push({ kind: restarted ? 'restarted' : 'started', container: name, image, at });
        continue;
      }
      case 'pullFailed':
      case 'pullBackOff':
        if (image !== cr.pullImage) {
          // The spec moved on: pull the new image (a real kubelet's next sync would do the same).
          cr.phase = 'creating';
          cr.dueAt = now + cfg.restartDelayMs;
          cr.pullImage = undefined;
          continue;
        }
        if (cr.phase === 'pullFailed' && cr.dueAt !== undefined && now >= cr.dueAt) {
          cr.phase = 'pullBackOff';
          events.push({ kind: 'pullBackOff', container: name, image, at: cr.dueAt });
          cr.dueAt = undefined;
        }
        return;
      case 'exited':
        return;
    }
  }
}

/** Stop every container of a pod that is being deleted. */
function exitAll(rt: PodRuntime, now: number, events: RuntimeEvent[]): void {
  for (const [name, cr] of Object.entries(rt.containers)) {
    if (cr.phase === 'running') {
      cr.exited = { exitCode: 0, reason: 'Completed', startedAt: cr.startedAt, finishedAt: now, containerID: cr.containerID };
    } else if (cr.phase === 'creating' && cr.killed) {
      cr.exited = cr.killed;
      cr.killed = undefined;
    }
    cr.phase = 'exited';
    cr.dueAt = undefined;
    cr.readyAt = null;
    events.push({ kind: 'exited', container: name, at: now });
  }
  rt.terminated = true;
}

/**
 * Advance a pod's runtime record to `now` against the pod as last seen. Pure: returns a new record.
 * Pass `prev` undefined for a pod this kubelet has no record of: it is rebuilt from the pod's status when
 * the pod already has container statuses, otherwise the pod is accepted afresh.
 */
export function stepPod(pod: Pod, prev: PodRuntime | undefined, now: number, cfg: RuntimeConfig, node?: NodeCapacity): StepResult {
  const hasStatuses = (pod.status?.containerStatuses?.length ?? 0) > 0;
  const rt = prev ? cloneRuntime(prev) : hasStatuses ? reconstructPodRuntime(pod, now, cfg) : newPodRuntime(pod, now, cfg);
  const events: RuntimeEvent[] = [];
  const deleting = !!pod.metadata.deletionTimestamp;

  if (!rt.terminated) {
    if (deleting && rt.deleteAt === undefined) {
      const graceMs = (pod.metadata.deletionGracePeriodSeconds ?? DEFAULT_GRACE_SECONDS) * 1000;
      rt.deleteAt = now + Math.max(0, Math.min(graceMs, cfg.deleteDelayMs));
    }
    for (const c of pod.spec.containers) {
      // Containers cannot be added to a pod, but be defensive about a record built from a partial status.
      rt.containers[c.name] ??= creating(specImage(c), now + cfg.startDelayMs, specResources(c));
    }
    // A terminating pod is not resized.
    if (!deleting) allocateResize(pod, rt, now, cfg, node, events);
    for (const c of pod.spec.containers) {
      // A terminating pod gets no new containers (the real kubelet only kills during termination).
      if (!deleting) stepContainer(c.name, specImage(c), rt.containers[c.name]!, now, cfg, events);
    }
    if (!deleting && rt.resize && now >= rt.resize.actuateAt) actuateResize(pod, rt, now, cfg, events);
    if (deleting && rt.deleteAt !== undefined && now >= rt.deleteAt) exitAll(rt, now, events);
  }

  let wakeAt: number | undefined;
  const consider = (t: number | undefined) => {
    if (t !== undefined && t > now && (wakeAt === undefined || t < wakeAt)) wakeAt = t;
  };
  if (!rt.terminated) {
    if (deleting) consider(rt.deleteAt);
    else consider(rt.resize?.actuateAt);
    for (const cr of Object.values(rt.containers)) {
      if (!deleting) consider(cr.dueAt);
      if (cr.phase === 'running' && cr.readyAt !== null) consider(cr.readyAt);
    }
  }
  return { runtime: rt, events, wakeAt };
}
