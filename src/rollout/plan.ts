/**
 * The window planner: one pure function decides what to do next (scale or update, which pods, within which budget)
 * from observed pods and the pods the workflow is already working on. Like Kruise's controller, every call
 * recomputes from scratch; unlike Kruise, the update is a sliding window, not a batch: a new pod starts as soon as
 * one finishes.
 *
 * The window counts what serves traffic: a pod serves while it is Ready (gate not False), not terminating and no lane
 * works on it. At least `replicas − maxUnavailable` pods serve at every moment (stricter than Kruise, which counts
 * availability: it lets a Ready pod go without counting it when it is still inside minReadySeconds); the room is
 * `serving − (replicas − maxUnavailable)`, which equals Kruise's `maxUnavailable + (pods − replicas) − unavailable`
 * when every pod is available. A Ready pod inside minReadySeconds that no lane holds serves, so it is not counted as
 * taken before it is touched (our own updated pods stay in their lane until available, so they never count early).
 * Surplus pods of a scale-down serve too: while old pods wait for the window, the planner keeps as many serving
 * surplus pods as the window can use and deletes them once the updates no longer need them.
 */
import { choosePodsToDelete, sortForUpdate } from './order.js';
import { PodUpdateAction } from './inplace.js';
import { classify, type PlanState } from './plan-state.js';
import type { PlanInput, PlanSpec } from './plan-types.js';
import type { PodView } from './podview.js';
import { availableAtMs, isPodReady } from './podview.js';
import { resolveMaxSurge, resolveMaxUnavailable, resolvePartition, resolveScaleMaxUnavailable } from './intstr.js';
import { LifecycleState, UpdateStrategyType, type NormalizedCloneSetSpec } from './types.js';

export { InFlightAction, type InFlight, type PlanInput, type PlanSpec } from './plan-types.js';

/** Resolves a normalized spec into a {@link PlanSpec} (Kruise's rounding rules, see intstr.ts). */
export function planSpecFrom(spec: NormalizedCloneSetSpec): PlanSpec {
  const u = spec.updateStrategy;
  const maxSurge = resolveMaxSurge(u.maxSurge, spec.replicas, u.paused);
  const out: PlanSpec = {
    replicas: spec.replicas,
    partition: resolvePartition(u.partition, spec.replicas),
    maxUnavailable: resolveMaxUnavailable(u.maxUnavailable, spec.replicas, maxSurge),
    maxSurge,
    scaleMaxUnavailable: resolveScaleMaxUnavailable(spec.scaleStrategy.maxUnavailable, spec.replicas),
    podsToDelete: [...spec.scaleStrategy.podsToDelete],
    type: u.type,
    minReadySeconds: spec.minReadySeconds,
    paused: u.paused,
  };
  if (u.priorityStrategy) out.priorityStrategy = u.priorityStrategy;
  if (u.scatterStrategy && u.scatterStrategy.length > 0) out.scatterStrategy = u.scatterStrategy;
  return out;
}

/** Phase of a decision: what the workflow should do with it. */
export const DecisionPhase = {
  /** Create `scaleUp` pods and/or delete `scaleDown` pods. */
  Scaling: 'scaling',
  /** Start lanes for `update`. */
  Updating: 'updating',
  /** Nothing to start now; wait for a pod event, a lane, or `nextCheckAtMs`. */
  Waiting: 'waiting',
  /** updateStrategy.paused and pods still need updating. */
  Paused: 'paused',
  /** Only pods that cannot be updated (action fail) remain; see `blocked`. */
  Blocked: 'blocked',
  /** Every replica present, updated (but partition), available, nothing in flight. */
  Done: 'done',
} as const;
export type DecisionPhase = (typeof DecisionPhase)[keyof typeof DecisionPhase];

/** Numbers behind a decision, for logs, queries and tests. */
export interface PlanCounts {
  /** spec.replicas. */
  desired: number;
  /** Replica slots: active pods not being deleted, plus pods lanes are creating. */
  current: number;
  /** Pods listed, including terminating and finished ones. */
  observed: number;
  /** Pods with a deletionTimestamp. */
  deleting: number;
  /** Succeeded/Failed pods: ignored, as Kruise does. */
  inactive: number;
  /** Slots at (or moving to) the update revision. */
  updated: number;
  /** Slots on other revisions. */
  old: number;
  /** Slots available (Running, Ready for minReadySeconds, gate True, lifecycle Normal, not in flight). */
  available: number;
  /** Replica slots taken from the window right now: not serving (not Ready, in flight) or being created. */
  unavailable: number;
  /** Replica slots serving traffic: Ready, gate not False, not terminating, no lane on them. */
  serving: number;
  inFlight: number;
  /** Pods still to move to the update revision (Kruise's updateNum). */
  updateNum: number;
  partition: number;
  maxUnavailable: number;
  maxSurge: number;
  /** Surge pods in use this round. */
  useSurge: number;
}

/** A pod to start updating. */
export interface UpdatePick {
  name: string;
  action: 'inPlace' | 'recreate';
}

/** The planner's decision for one round. */
export interface RolloutDecision {
  phase: DecisionPhase;
  /** Pods to create at updateRevision now. */
  scaleUp: number;
  /**
   * How many of scaleUp Kruise would create at the current revision to honour partition. Informational: creating
   * every pod at updateRevision is acceptable (the pods then count as updated).
   */
  scaleUpOldRevision: number;
  /** Pod names to delete now, in order. */
  scaleDown: string[];
  /** Pods to start updating now, in order. Never in the same round as scaling. */
  update: UpdatePick[];
  /** Pods that need updating but cannot be (action fail), with the reason. */
  blocked: { name: string; reason: string }[];
  /** Replica slots taken from the window after this round's picks (not serving, in flight, being created). */
  unavailable: number;
  /** The window: maxUnavailable plus pods above replicas (Kruise's updateMaxUnavailable), at least 0. */
  budget: number;
  done: boolean;
  /** Why nothing (more) starts, human-readable, e.g. 'window full: 1/1 unavailable'; '' when acting. */
  waiting: string;
  /** Earliest time (ms) a ready pod becomes available by minReadySeconds; re-plan then if no event comes. */
  nextCheckAtMs: number | null;
  /** nextCheckAtMs − nowMs (ms, > 0), or null. */
  nextCheckInMs: number | null;
  counts: PlanCounts;
}

/**
 * Earliest time (ms) any ready-but-not-yet-available pod becomes available; null if none is waiting on
 * minReadySeconds.
 */
export function nextAvailableAtMs(pods: readonly PodView[], minReadySeconds: number, nowMs: number): number | null {
  let next: number | null = null;
  for (const p of pods) {
    const at = availableAtMs(p, minReadySeconds, nowMs);
    if (at !== null && (next === null || at < next)) next = at;
  }
  return next;
}

function defaultAction(type: UpdateStrategyType): PodUpdateAction {
  return type === UpdateStrategyType.InPlaceOnly ? PodUpdateAction.Fail : PodUpdateAction.Recreate;
}

/** Kruise's surge: only while pods must move and (our improvement) only if some of them would be recreated. */
function surgeToUse(s: PlanState, spec: PlanSpec, recreateNeeded: boolean): { useSurge: number; useSurgeOld: number } {
  if (spec.maxSurge <= 0 || spec.paused) return { useSurge: 0, useSurgeOld: 0 };
  const toDelete = s.toDeleteNew + s.toDeleteOld;
  const scaleSurge = Math.min(Math.max(s.unavailableActive + toDelete - spec.maxUnavailable, 0), toDelete);
  const scaleSurgeOld = Math.max(scaleSurge - s.toDeleteNew, 0);
  const updateSurge = recreateNeeded ? s.updateNum : 0;
  if (scaleSurge >= updateSurge) {
    const useSurge = Math.min(spec.maxSurge, scaleSurge);
    return { useSurge, useSurgeOld: Math.min(useSurge, scaleSurgeOld) };
  }
  return { useSurge: Math.min(spec.maxSurge, updateSurge), useSurgeOld: 0 };
}

/**
 * A pod that Services route to right now: Ready with its gate not False, not terminating, not in the middle of an
 * in-place update (lifecycle Updating: its containers restart any moment), and no lane working on it. Taking one away
 * is what the window bounds, whether or not it has been Ready for minReadySeconds yet.
 */
function isServing(p: PodView, s?: PlanState): boolean {
  return isPodReady(p) && !p.deleting && p.lifecycleState !== LifecycleState.Updating && !(s?.isInFlight(p) ?? false);
}

/** Picks ready-limited deletions: pods serving no traffic cost nothing, serving ones one unit of `limit` each. */
function limitDeletes(pods: PodView[], s: PlanState, limit: number): string[] {
  const out: string[] = [];
  let left = limit;
  for (const p of pods) {
    if (!isServing(p, s)) out.push(p.name);
    else if (left > 0) {
      out.push(p.name);
      left--;
    }
  }
  return out;
}

/**
 * An old pod the update may take: no lane on it, no in-place grace pending, not named in podsToDelete, and not held
 * by a lifecycle hook (PreparingDelete, or Updated waiting to be hooked again).
 */
function waitsForUpdate(p: PodView, s: PlanState): boolean {
  if (s.isInFlight(p) || p.inPlaceGracePending || s.isSpecifiedDelete(p)) return false;
  return p.lifecycleState !== LifecycleState.PreparingDelete && p.lifecycleState !== LifecycleState.Updated;
}

/**
 * Which serving surplus pods to keep for now: while old pods wait for the window, a serving surplus pod is worth more
 * serving (it holds the floor, so one more old pod can update) than deleted. Keeps as many as the pending updates can
 * use beyond the room they would have without them; the ones kept are the last in deletion order. None when the
 * spec is paused or nothing waits to update.
 */
function surplusToKeep(chosen: PodView[], s: PlanState, spec: PlanSpec, room: number, updatable: (p: PodView) => boolean): Set<string> {
  if (spec.paused || s.updateNum <= 0) return new Set();
  const surplus = new Set(chosen.map((p) => p.name));
  const pending = s.oldSlots.filter((p) => !surplus.has(p.name) && waitsForUpdate(p, s) && updatable(p));
  // Only serving pods cost room (a pod that serves nothing updates for free).
  const updates = Math.min(s.updateNum, pending.filter((p) => isServing(p, s)).length);
  const servingSurplus = chosen.filter((p) => isServing(p, s));
  const roomWithout = room - servingSurplus.length;
  const need = Math.max(updates - Math.max(roomWithout, 0), 0);
  const keep = servingSurplus.slice(servingSurplus.length - Math.min(need, servingSurplus.length));
  return new Set(keep.map((p) => p.name));
}

/**
 * Plans one round. Order, as Kruise: (1) scale up if replica slots are missing (bounded by
 * scaleStrategy.maxUnavailable, counting unavailable pods); (2) delete podsToDelete; (3) scale down surplus pods;
 * (4) only if none of that acted, start updates within the window. Pods being deleted are not replicas (a
 * replacement is created at once, as Kruise does) but they do count as unavailable in the window.
 */
export function planStep(input: PlanInput): RolloutDecision {
  const { spec, updateRevision } = input;
  const actionFor = (rev: string | null): PodUpdateAction => (rev !== null ? input.actionsByRevision?.[rev] : undefined) ?? defaultAction(spec.type);
  const s = classify(input);
  const recreateNeeded = s.oldSlots.some((p) => actionFor(p.revision) === PodUpdateAction.Recreate);
  const { useSurge, useSurgeOld } = surgeToUse(s, spec, recreateNeeded);
  const expectedTotal = spec.replicas + useSurge;
  const expectedOld = spec.partition + useSurgeOld;
  const budget = Math.max(spec.maxUnavailable + s.current - spec.replicas, 0);
  // The window counts serving pods: taking one costs a unit, a pod that serves nothing is free (see the module doc).
  const serving = s.slots.filter((p) => isServing(p, s)).length;
  const taken = s.current - serving;
  const room = serving - Math.max(spec.replicas - spec.maxUnavailable, 0);
  const deleteReadyLimit = Math.max(room, 0);
  const counts: PlanCounts = {
    desired: spec.replicas,
    current: s.current,
    observed: input.pods.length,
    deleting: s.deleting,
    inactive: s.inactive,
    updated: s.newCount,
    old: s.oldCount,
    available: s.availableSlots,
    unavailable: taken,
    serving,
    inFlight: Object.keys(input.inFlight).length,
    updateNum: s.updateNum,
    partition: spec.partition,
    maxUnavailable: spec.maxUnavailable,
    maxSurge: spec.maxSurge,
    useSurge,
  };
  const nextCheck = nextAvailableAtMs(input.pods, spec.minReadySeconds, input.nowMs);
  const base = {
    scaleUp: 0,
    scaleUpOldRevision: 0,
    scaleDown: [] as string[],
    update: [] as UpdatePick[],
    blocked: [] as { name: string; reason: string }[],
    unavailable: taken,
    budget,
    nextCheckAtMs: nextCheck,
    nextCheckInMs: nextCheck === null ? null : nextCheck - input.nowMs,
    counts,
  };
  const decide = (phase: DecisionPhase, waiting: string, extra: Partial<RolloutDecision> = {}): RolloutDecision => ({
    ...base,
    ...extra,
    phase,
    done: phase === DecisionPhase.Done,
    waiting,
  });
  const waits: string[] = [];

  // 1. Scale up.
  const missing = expectedTotal - s.current;
  const surplusNames = new Set<string>();
  if (missing > 0) {
    const room = spec.scaleMaxUnavailable === null ? missing : Math.max(spec.scaleMaxUnavailable - s.unavailableActive, 0);
    const scaleUp = Math.min(missing, room);
    if (scaleUp > 0) {
      const scaleUpOldRevision = Math.min(scaleUp, Math.max(expectedOld - s.oldCount, 0));
      return decide(DecisionPhase.Scaling, '', { scaleUp, scaleUpOldRevision });
    }
    waits.push(`scale-up limited by scaleStrategy.maxUnavailable: ${s.unavailableActive}/${spec.scaleMaxUnavailable} unavailable, ${missing} pod(s) missing`);
  } else {
    // 2. podsToDelete, then 3. surplus pods; a pending podsToDelete holds back scale-down (Kruise).
    const specified = [...s.toDeleteNewPods, ...s.toDeleteOldPods];
    if (specified.length > 0) {
      const names = limitDeletes(specified, s, deleteReadyLimit);
      if (names.length > 0) return decide(DecisionPhase.Scaling, '', { scaleDown: names });
      waits.push(`podsToDelete waiting for the window: ${taken}/${budget} unavailable`);
    } else {
      const surplus = s.current - expectedTotal;
      if (surplus > 0) {
        const oldSurplus = Math.max(s.oldCount - expectedOld, 0);
        const chosen = choosePodsToDelete(s.deletableSlots, surplus, oldSurplus, updateRevision);
        for (const p of chosen) surplusNames.add(p.name);
        const keep = surplusToKeep(chosen, s, spec, room, (p) => actionFor(p.revision) !== PodUpdateAction.Fail);
        const names = limitDeletes(
          chosen.filter((p) => !keep.has(p.name)),
          s,
          deleteReadyLimit,
        );
        if (names.length > 0) return decide(DecisionPhase.Scaling, '', { scaleDown: names });
        if (keep.size > 0) waits.push(`${keep.size} surplus pod(s) kept serving while pods update`);
        else waits.push(`scale-down of ${surplus} pod(s) waiting for the window: ${taken}/${budget} unavailable`);
      }
    }
  }

  // 4. Update within the window; surplus pods kept serving (step 3) are deleted later, never updated.
  const blocked: { name: string; reason: string }[] = [];
  const candidates: PodView[] = [];
  for (const p of s.oldSlots) {
    if (surplusNames.has(p.name) || !waitsForUpdate(p, s)) continue;
    if (actionFor(p.revision) === PodUpdateAction.Fail) {
      blocked.push({ name: p.name, reason: `revision ${p.revision ?? '(none)'} can not be updated in place (${spec.type})` });
    } else candidates.push(p);
  }
  // Pods that cannot be updated matter only if the others are not enough to reach the target (partition may keep
  // them on their old revision legitimately).
  if (s.updateNum <= candidates.length) blocked.length = 0;
  blocked.sort((a, b) => (a.name < b.name ? -1 : 1));
  const update: UpdatePick[] = [];
  let unavailable = taken;
  if (spec.paused) {
    if (s.updateNum > 0) waits.push(`paused with ${s.updateNum} pod(s) left to update`);
  } else if (s.updateNum > 0) {
    // Scatter counts the pods already at (or moving to) the update revision, so the spread holds across rounds.
    const updated = spec.scatterStrategy ? s.slots.filter((p) => !s.oldSlots.includes(p)) : [];
    const order = sortForUpdate(candidates, { priorityStrategy: spec.priorityStrategy, scatterStrategy: spec.scatterStrategy, updated });
    for (const p of order.slice(0, s.updateNum)) {
      if (isServing(p)) {
        // Taking a serving pod down costs one unit of the window. A pod that serves no traffic (not Ready) costs
        // nothing. Unlike Kruise, a Ready pod still inside minReadySeconds is NOT free: updating it would take a
        // serving endpoint away, and the window bounds what Services lose (it was counted as serving, not as
        // taken, so it costs its unit once). Later pods that serve nothing may still start for free, so look on.
        if (unavailable >= budget) continue;
        unavailable++;
      }
      update.push({ name: p.name, action: actionFor(p.revision) === PodUpdateAction.InPlace ? 'inPlace' : 'recreate' });
    }
    if (update.length === 0 && candidates.length > 0) waits.push(`window full: ${unavailable}/${budget} unavailable`);
  }
  const extra = { update, blocked, unavailable };
  if (update.length > 0) return decide(DecisionPhase.Updating, '', extra);

  const settled = s.current === spec.replicas && s.deleting === 0 && s.phantoms === 0 && s.toDeleteNewPods.length + s.toDeleteOldPods.length === 0;
  const inFlightCount = Object.keys(input.inFlight).length;
  if (settled && s.updateNum === 0 && inFlightCount === 0 && s.availableSlots === s.current && blocked.length === 0) {
    return decide(DecisionPhase.Done, '', extra);
  }
  if (spec.paused && s.updateNum > 0) return decide(DecisionPhase.Paused, waits.join('; '), extra);
  if (blocked.length > 0 && candidates.length === 0 && inFlightCount === 0) {
    return decide(DecisionPhase.Blocked, [...waits, `${blocked.length} pod(s) can not be updated`].join('; '), extra);
  }
  if (inFlightCount > 0) waits.push(`${inFlightCount} pod(s) in flight`);
  if (s.deleting > 0) waits.push(`${s.deleting} pod(s) terminating`);
  const notAvailable = s.current - s.availableSlots;
  if (waits.length === 0 && notAvailable > 0) {
    waits.push(`waiting for ${notAvailable} pod(s) to become available (minReadySeconds=${spec.minReadySeconds})`);
  }
  return decide(DecisionPhase.Waiting, waits.join('; ') || 'waiting', extra);
}
