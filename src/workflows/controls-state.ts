/**
 * Operator controls, the pure part: the plain-JSON state the control Updates change, their synchronous checks, and how
 * that state bends the planner's spec and decision. No Temporal imports: unit tests table-drive it, and the workflow
 * (src/workflows/controls.ts) calls it deterministically.
 */
import {
  checkIntOrPercent,
  parseRolloutInput,
  formatErrors,
  resolveMaxUnavailable,
  resolvePartition,
  scaledValue,
  type PlanSpec,
  type RolloutDecision,
} from '../rollout/index.js';
import { PodStep, RolloutPhase, type ControlsState, type ControlsView, type IntOrPercent, type RolloutProgress } from './messages.js';

/** Controls when the rollout starts: nothing overridden. */
export function initialControls(): ControlsState {
  return { paused: false, partition: null, maxUnavailable: null, aborted: null, previousImages: null, log: [] };
}

/** Why a partition override is invalid (as updateStrategy.partition: integer ≥ 0 or 0%–100%), or null. */
export function checkPartition(value: unknown): string | null {
  if (value === null) return null;
  const problem = checkIntOrPercent(value);
  return problem && `partition ${problem}`;
}

/**
 * Why a maxUnavailable override is invalid, or null: as updateStrategy.maxUnavailable (integer ≥ 0 or 0%–100%), and,
 * as Kruise checks it, not below 1 (rounded up) while maxSurge is 0, since no Pod could ever be updated.
 */
export function checkMaxUnavailable(value: unknown, spec?: Pick<PlanSpec, 'replicas' | 'maxSurge'>): string | null {
  if (value === null) return null;
  const problem = checkIntOrPercent(value);
  if (problem) return `maxUnavailable ${problem}`;
  if (spec && spec.replicas > 0 && spec.maxSurge < 1 && scaledValue(value as IntOrPercent, spec.replicas, true) < 1) {
    return `maxUnavailable ${JSON.stringify(value)} with maxSurge 0: maxUnavailable and maxSurge must not both be less than 1 (no pod could ever be updated)`;
  }
  return null;
}

/** Why images for `retarget` are invalid (container names and image references, as the start input's), or null. */
export function checkRetargetImages(images: unknown): string | null {
  if (images === undefined) return null;
  const r = parseRolloutInput({ namespace: 'x', name: 'x', images });
  return r.ok ? null : formatErrors(r.errors);
}

/** Why a control cannot be taken now (the rollout is ending), or null. */
export function checkNotAborted(c: ControlsState, control: string): string | null {
  if (!c.aborted) return null;
  return c.aborted.rollback
    ? `${control}: the rollout is being aborted with rollback; no further controls are taken`
    : `${control}: the rollout is being aborted; no further controls are taken but abort with rollback`;
}

/** The rollout takes no new Pods: paused, or aborted without rollback. */
export function isHolding(c: ControlsState): boolean {
  return c.paused || (c.aborted !== null && !c.aborted.rollback);
}

/**
 * The planner's spec with the controls applied: partition and maxUnavailable overrides resolved against the
 * CloneSet's replicas (Kruise's rounding), paused when held. A rollback moves every Pod: partition 0, not paused.
 */
export function applyOverrides<T extends PlanSpec>(spec: T, c: ControlsState): T {
  const out: T = { ...spec };
  if (c.partition !== null) out.partition = resolvePartition(c.partition, spec.replicas);
  if (c.maxUnavailable !== null) out.maxUnavailable = resolveMaxUnavailable(c.maxUnavailable, spec.replicas, spec.maxSurge);
  if (isHolding(c)) out.paused = true;
  if (c.aborted?.rollback) {
    out.partition = 0;
    out.paused = false;
  }
  return out;
}

/** Why nothing new starts because of the controls, or '' when they do not hold the rollout. */
export function holdReason(c: ControlsState, rollbackPending: boolean): string {
  if (c.aborted && !c.aborted.rollback) return 'aborting: Pods in flight finish, no new Pod is taken';
  if (rollbackPending) return 'rolling back: setting the previous images in the CloneSet template';
  if (c.paused) return 'paused (the pause control): Pods in flight finish, no new Pod is taken until resume';
  return '';
}

/**
 * The planner's decision with the controls applied. While held (paused, aborting, rollback not yet in the template),
 * nothing starts — no update, no scaling — and, with no lane in flight, the round counts as settled (`done`), so
 * a paused rollout is not mistaken for a stuck one. An operator partition holds a finished rollout open (a canary
 * waits for the next setPartition) instead of completing it.
 */
export function gateDecision(d: RolloutDecision, c: ControlsState, inFlight: number, rollbackPending: boolean): RolloutDecision {
  const reason = holdReason(c, rollbackPending);
  if (reason) {
    const acting = d.scaleUp > 0 || d.scaleDown.length > 0 || d.update.length > 0 || !d.done;
    return {
      ...d,
      scaleUp: 0,
      scaleUpOldRevision: 0,
      scaleDown: [],
      update: [],
      done: d.done || inFlight === 0,
      waiting: acting ? reason : d.waiting,
    };
  }
  if (d.done && holdsAtPartition(c, d)) {
    return { ...d, waiting: `holding at partition ${c.partition} (${d.counts.old} Pod(s) kept on old revisions): setPartition 0 to finish` };
  }
  return d;
}

/** An operator partition keeps Pods on old revisions: the rollout waits for the next setPartition. */
export function holdsAtPartition(c: ControlsState, d: Pick<RolloutDecision, 'counts'>): boolean {
  return c.partition !== null && !c.aborted && d.counts.partition > 0 && d.counts.old > 0;
}

/**
 * Whether the main loop ends now. `plannerDone`: the planner's own verdict (before {@link gateDecision}).
 * Aborting ends once no lane is in flight; a pending rollback or an operator partition keeps it running.
 */
export function isFinished(c: ControlsState, plannerDone: boolean, holdsPartition: boolean, inFlight: number, rollbackPending: boolean): boolean {
  if (inFlight > 0) return false;
  if (c.aborted && !c.aborted.rollback) return true;
  if (rollbackPending) return false;
  return plannerDone && !holdsPartition;
}

/** The phase the rollout shows: the loop's phase translated by the controls (e.g. Updating while rolling back). */
export function controlledPhase(phase: RolloutPhase, c: ControlsState): RolloutPhase {
  if (c.aborted?.rollback) {
    if (phase === RolloutPhase.Updating || phase === RolloutPhase.Scaling) return RolloutPhase.RollingBack;
    if (phase === RolloutPhase.Completed) return RolloutPhase.RolledBack;
  } else if (c.aborted) {
    if (phase === RolloutPhase.Updating || phase === RolloutPhase.Scaling || phase === RolloutPhase.Paused) return RolloutPhase.Aborting;
    if (phase === RolloutPhase.Completed) return RolloutPhase.Aborted;
  }
  return phase;
}

const SETTLED: readonly string[] = [PodStep.Done, PodStep.Failed];

/** Pods with a lane running, from the progress record (a lane cancelled as superseded carries an error). */
export function lanesInFlight(p: Pick<RolloutProgress, 'pods'>): number {
  return Object.values(p.pods).filter((pod) => !SETTLED.includes(pod.step) && !pod.error).length;
}

/** What each control Update returns. */
export function controlsView(c: ControlsState, p: Pick<RolloutProgress, 'pods'>): ControlsView {
  return { paused: c.paused, partition: c.partition, maxUnavailable: c.maxUnavailable, aborted: c.aborted, inFlight: lanesInFlight(p) };
}

/** Records an accepted control (the last 20 are kept). */
export function logControl(c: ControlsState, control: string, value: unknown, atMs: number | null): void {
  c.log.push(value === undefined ? { control, atMs } : { control, value, atMs });
  if (c.log.length > 20) c.log.splice(0, c.log.length - 20);
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

/** The `progress` query's answer: the workflow's record plus the controls, timing and the window at work. */
export function progressView(p: RolloutProgress, c: ControlsState): RolloutProgress {
  return {
    ...p,
    controls: c,
    paused: c.paused,
    timing: {
      startedAt: iso(p.startedAtMs),
      updatedAt: iso(p.updatedAtMs),
      elapsedMs: p.startedAtMs !== null && p.updatedAtMs !== null ? Math.max(0, p.updatedAtMs - p.startedAtMs) : null,
    },
    windowInUse: { size: p.window, unavailable: p.counts.unavailable, inFlight: lanesInFlight(p) },
  };
}
