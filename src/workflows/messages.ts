/**
 * The rollout workflow's public messages, shared by the workflow and its clients (CLI, typed client, tests).
 * Names are part of the public interface: `temporal workflow query --name progress` uses them.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { SimulationResult } from '../rollout/index.js';

/** Phases of a rollout, in the order a healthy one passes them. */
export const RolloutPhase = {
  /** Reading and validating the CloneSet, resolving the target revision. */
  Preparing: 'Preparing',
  /** Creating or deleting Pods toward spec.replicas. */
  Scaling: 'Scaling',
  /** Moving Pods to the update revision under maxUnavailable. */
  Updating: 'Updating',
  /**
   * No Pod progressed for spec.progressDeadlineSeconds (e.g. an image that cannot be pulled): no new Pods are taken,
   * the CloneSet has Progressing=False (ProgressDeadlineExceeded), and the rollout waits for a new CloneSet spec.
   */
  Stuck: 'Stuck',
  /** Paused by the `pause` control: lanes in flight finished (or are finishing), no new Pod is taken until `resume`. */
  Paused: 'Paused',
  /** `abort` without rollback: lanes in flight finish, no new Pod is taken, then the rollout ends as Aborted. */
  Aborting: 'Aborting',
  /** `abort` with rollback: updated Pods return in place to the revision the rollout started from. */
  RollingBack: 'RollingBack',
  /** Every Pod at the target (except partition) and available. */
  Completed: 'Completed',
  /** Ended by `abort`: Pods already updated stay updated, the others were never touched. */
  Aborted: 'Aborted',
  /** Ended by `abort` with rollback: every Pod is back at the revision the rollout started from. */
  RolledBack: 'RolledBack',
  /** Stopped by a non-retryable error (see `error`). */
  Failed: 'Failed',
} as const;
export type RolloutPhase = (typeof RolloutPhase)[keyof typeof RolloutPhase];

export { PodStep } from '../rollout/steps.js';
import type { CanaryStatus } from '../rollout/canary.js';
import type { PodStep } from '../rollout/steps.js';

/** One Pod's entry in the progress record. */
export interface PodProgress {
  /** What the rollout does with it. */
  action: 'inPlace' | 'recreate' | 'create' | 'delete';
  step: PodStep;
  /** Revision the Pod moves to (for delete: the one it had). */
  revision: string;
  /** Activity-clock times (ms since epoch) of each step's start, for timelines. */
  steps: { step: PodStep; atMs: number }[];
  error?: string;
  /** For a Pod created to replace a recreated one: the old Pod's name. */
  replaces?: string;
}

/** Answer of the `progress` query. */
/** What the earlier runs of a rollout that continued as new did (their Pods are not in this run's record). */
export interface EarlierRuns {
  runs: number;
  updatedInPlace: number;
  recreated: number;
  created: number;
  deleted: number;
}

export interface RolloutProgress {
  phase: RolloutPhase;
  /** Set when this run continues an earlier one (continue-as-new): what the earlier runs did. */
  earlierRuns?: EarlierRuns;
  /** Settled Pods left out of `pods` to keep the record bounded (large CloneSets): counted in the totals. */
  podsOmitted?: number;
  namespace: string;
  name: string;
  fromRevision: string | null;
  toRevision: string | null;
  strategy: string | null;
  counts: {
    /** Desired replicas. */
    desired: number;
    /** Pods that exist now (not being deleted). */
    total: number;
    updated: number;
    ready: number;
    available: number;
    /** Unavailable now, counting Pods in flight. */
    unavailable: number;
  };
  /** Resolved maxUnavailable: the window. */
  window: number;
  /** Why nothing more starts right now, if so. */
  waiting: string | null;
  /** Pods the rollout has touched, by name. */
  pods: Record<string, PodProgress>;
  startedAtMs: number | null;
  updatedAtMs: number | null;
  error: string | null;
  /** Operator controls in effect (pause, overrides, abort); absent on runs from before controls existed. */
  controls?: ControlsState;
  /** The `pause` control is on (the CloneSet's own updateStrategy.paused shows in `waiting`). */
  paused?: boolean;
  /** Wall-clock view of the run (activity clock): ISO-8601 times and the elapsed ms between them. */
  timing?: { startedAt: string | null; updatedAt: string | null; elapsedMs: number | null };
  /** The window at work: its size (resolved maxUnavailable), Pods unavailable now, and lanes running. */
  windowInUse?: { size: number; unavailable: number; inFlight: number };
  /** Canary steps, approvals and analyses (absent: the rollout has none). */
  canary?: CanaryProgress;
}

/** One measurement of a metric, as the progress record keeps it. */
export interface MeasurementView {
  /** Activity-clock time of the measurement (ms since epoch). */
  atMs: number;
  phase: 'Successful' | 'Failed' | 'Inconclusive' | 'Error';
  /** What the provider returned (JSON), absent on an error. */
  value?: unknown;
  /** The condition that decided, or the provider's error. */
  message?: string;
}

/** One metric's run: a step's analysis (step index) or the background analysis (step null). */
export interface AnalysisRunView {
  metric: string;
  step: number | null;
  phase: 'Pending' | 'Running' | 'Successful' | 'Failed' | 'Inconclusive' | 'Error' | 'Skipped';
  message: string;
  /** Measurements taken, all counted; the last 20 are listed. */
  count: number;
  measurements: MeasurementView[];
}

/** Who approved or promoted, when (activity clock) and why. */
export interface ApprovalRecord {
  /** The step (index) the approval released. */
  step: number;
  control: 'approve' | 'promote';
  by?: string;
  reason?: string;
  atMs: number | null;
  /** promote only: it also skipped the analyses. */
  full?: boolean;
}

/** The canary part of the progress record. */
export interface CanaryProgress {
  /** The steps as given, and Pods at the new revision once each is reached (resolved against the replicas now). */
  steps: {
    replicas: IntOrPercent;
    pause?: { duration?: number };
    analysis?: string[];
    pods: number;
    /** Activity-clock times the step was reached (its Pods available) and passed (ms since epoch). */
    reachedAtMs?: number | null;
    passedAtMs?: number | null;
  }[];
  /** The step being worked on (index); steps.length once all passed. */
  current: number;
  status: CanaryStatus;
  /** What a Paused canary waits for (an approval of the step's pause, or of an inconclusive analysis). */
  waitingFor: string | null;
  /** An inconclusive background analysis holds every Pod until approved (or promoted); why. */
  heldBy?: string | null;
  /** Activity-clock time the current bake ends (ms since epoch), while Baking. */
  bakeUntilMs: number | null;
  promoted: { full: boolean; by?: string; reason?: string; atMs: number | null } | null;
  approvals: ApprovalRecord[];
  analyses: AnalysisRunView[];
  /** A failed analysis that rolled the rollout back: the metric, its last value and the condition. */
  failed?: { metric: string; step: number | null; value?: unknown; condition: string; message: string };
}

/** How a rollout ended. A failed one has no result: its failure carries {@link RolloutFailureDetails}. */
export type RolloutOutcome = 'Completed' | 'Aborted' | 'RolledBack';

/** Result of a rollout that ended (completed, or ended by `abort`). */
export interface RolloutResult {
  namespace: string;
  name: string;
  /** Completed: every Pod at the target; Aborted: stopped by `abort`; RolledBack: `abort` with rollback (or rollbackOnFailure). */
  outcome: RolloutOutcome;
  /** The revision the rollout started from. */
  fromRevision: string;
  /** The revision the rollout ended at: the target, or, rolled back, the starting revision again. */
  toRevision: string;
  /** Aborted or rolled back: the target that was given up (a rollback went from it back to `toRevision`). */
  abortedRevision?: string;
  updatedInPlace: number;
  recreated: number;
  created: number;
  deleted: number;
  /** Wall time from start to completion (activity clock), ms. */
  durationMs: number;
  pods: Record<string, PodProgress>;
  /** Set when the rollout was ended by the `abort` control. */
  aborted?: { rollback: boolean; atMs: number | null };
  /** Runs of the workflow the rollout took (more than 1 when it continued as new); `pods` are the last run's. */
  runs?: number;
  /** Settled Pods of the last run left out of `pods` (the most recent are listed); they are in the totals. */
  podsOmitted?: number;
  /** Why the rollout rolled back or aborted by itself (a failed analysis, the progress deadline), when it did. */
  reason?: string;
  /** Canary steps: approvals and analyses (absent: the rollout had none). */
  canary?: CanaryProgress;
}

/** The details of a failed rollout's failure (`ApplicationFailure.details[0]`): how far it got. */
export interface RolloutFailureDetails {
  outcome: 'Failed';
  namespace: string;
  name: string;
  fromRevision: string | null;
  toRevision: string | null;
  updatedInPlace: number;
  recreated: number;
  created: number;
  deleted: number;
}

/** The progress record before anything is known: Preparing, nothing counted (a run's start, or a run that can't answer). */
export function emptyProgress(namespace: string, name: string): RolloutProgress {
  return {
    phase: RolloutPhase.Preparing,
    namespace,
    name,
    fromRevision: null,
    toRevision: null,
    strategy: null,
    counts: { desired: 0, total: 0, updated: 0, ready: 0, available: 0, unavailable: 0 },
    window: 0,
    waiting: null,
    pods: {},
    startedAtMs: null,
    updatedAtMs: null,
    error: null,
  };
}

export const progressQuery = defineQuery<RolloutProgress>('progress');

/**
 * Answer of the `plan` query: what is left of the rollout, as the pure planner simulates it from the last observation
 * (the same planner, overrides of the controls applied, lanes in flight counted). Null before the first observation.
 */
export interface RolloutPlanView extends Omit<SimulationResult, 'trace'> {
  namespace: string;
  name: string;
  /** Activity-clock time of the observation the plan starts from (ms since epoch). */
  observedAtMs: number;
}

export const planQuery = defineQuery<RolloutPlanView | null>('plan');

/** An int-or-percent value as CloneSet fields take it: `2`, `"2"` or `"40%"`. */
export type IntOrPercent = number | string;

/**
 * The operator controls' state: plain JSON, kept in the workflow and shown by the `progress` query and the UI.
 * Overrides replace the CloneSet's own values for the rest of this run (the CloneSet object is not edited).
 */
export interface ControlsState {
  /** `pause` is in effect: no new Pod is taken; lanes in flight finish. */
  paused: boolean;
  /** updateStrategy.partition override (unresolved), or null to use the CloneSet's. */
  partition: IntOrPercent | null;
  /** updateStrategy.maxUnavailable override (unresolved), or null to use the CloneSet's. */
  maxUnavailable: IntOrPercent | null;
  /** Set by `abort`; `rollback`: updated Pods return to `toRevision`. */
  aborted: { rollback: boolean; atMs: number | null; toRevision: string | null; fromTarget?: string | null; reason?: string } | null;
  /** Images of the revision the rollout started from (all containers), seen on its Pods: what rollback restores. */
  previousImages: Record<string, string> | null;
  /** Every accepted control, oldest first (at most the last 20), for the UI and audits. */
  log: { control: string; value?: unknown; atMs: number | null }[];
}

/** What every control Update returns: the controls in effect after it. */
export interface ControlsView {
  paused: boolean;
  partition: IntOrPercent | null;
  maxUnavailable: IntOrPercent | null;
  aborted: ControlsState['aborted'];
  /** Lanes still running (Pods in flight); after `pause`, 0 once the safe point is reached. */
  inFlight: number;
}

/** Input of `abort`. */
export interface AbortOptions {
  /** Return Pods already updated to the revision the rollout started from, in place. Default false. */
  rollback?: boolean;
}

/** Input of `retarget`. */
export interface RetargetOptions {
  /** Container images to set in the CloneSet's template (as the start input's `images`); none: re-read the CloneSet. */
  images?: Record<string, string>;
}

/** Result of `retarget`. */
export interface RetargetResult {
  /** Revision the rollout now moves toward. */
  updateRevision: string;
  images: Record<string, string>;
}

/** Stops taking new Pods once lanes in flight finish; returns when none is in flight (the safe point). */
export const pauseUpdate = defineUpdate<ControlsView>('pause');
/** Lifts `pause`. */
export const resumeUpdate = defineUpdate<ControlsView>('resume');
/** Overrides updateStrategy.partition (int or percent, like the CloneSet field); `null` returns to the CloneSet's. */
export const setPartitionUpdate = defineUpdate<ControlsView, [IntOrPercent | null]>('setPartition');
/** Overrides updateStrategy.maxUnavailable (int or percent, like the CloneSet field); `null` returns to the CloneSet's. */
export const setMaxUnavailableUpdate = defineUpdate<ControlsView, [IntOrPercent | null]>('setMaxUnavailable');
/** Stops the rollout (lanes in flight finish); with `rollback`, updated Pods first return to the previous revision. */
export const abortUpdate = defineUpdate<ControlsView, [AbortOptions]>('abort');
/** Moves a running rollout to a newer template (optionally setting `images` first); Pods in flight finish safely. */
export const retargetUpdate = defineUpdate<RetargetResult, [RetargetOptions]>('retarget');

/** What `specChanged` carries: the CloneSet generation the sender saw (informational; the run reads the CloneSet). */
export interface SpecChanged {
  generation: number;
}

/**
 * The CloneSet's spec changed (the controller saw a generation no rollout has observed): observe now instead of at the
 * next resync. A signal, not an Update: a hint with nothing to validate or answer; sending it twice costs one
 * observation. `temporal workflow signal --name specChanged --input '{"generation": 3}'`.
 */
export const specChangedSignal = defineSignal<[SpecChanged]>('specChanged');

/**
 * Sent by a fleet (`rolloutFleet`) to its running cluster rollouts when the fleet is aborted: the same as the `abort`
 * Update (with rollback when the fleet rolls back), taken only when the rollout could take that Update.
 */
export const fleetAbortSignal = defineSignal<[AbortOptions]>('fleetAbort');

/** Input of `approve`: who approves and why (both optional, recorded). */
export interface ApproveOptions {
  by?: string;
  reason?: string;
}

/** Input of `promote`: who and why; `full` also skips the remaining analyses. */
export interface PromoteOptions extends ApproveOptions {
  full?: boolean;
}

/** What `approve` and `promote` return: where the canary stands after them. */
export interface CanaryControlView {
  status: CanaryStatus;
  /** The step being worked on (index). */
  current: number;
  steps: number;
  promoted: CanaryProgress['promoted'];
}

/** Releases the pause the canary waits at (a step's `pause: {}`, or an inconclusive analysis). */
export const approveUpdate = defineUpdate<CanaryControlView, [ApproveOptions]>('approve');
/** Skips the remaining pauses (bake times too); with `full`, the remaining analyses as well. */
export const promoteUpdate = defineUpdate<CanaryControlView, [PromoteOptions]>('promote');

/** Names of the control Updates, as `temporal workflow update execute --name` takes them. */
export const CONTROL_UPDATES = ['pause', 'resume', 'setPartition', 'setMaxUnavailable', 'abort', 'retarget', 'approve', 'promote'] as const;
