/**
 * The state of one run of `rolloutCloneSet`, in one place: the progress record (what the queries, the UI and the
 * result show), the target the loop rolls toward, the lanes in flight with their cancellation scopes, what this run
 * moved to the end, the progress deadline's clock, and the loop's wake-up. The loop (./rollout.ts) and the lanes
 * (./lanes.ts) change it only through these methods. Deterministic: no I/O; every time is the activities' clock.
 */
import { ApplicationFailure, condition, setCurrentDetails, upsertSearchAttributes, type CancellationScope } from '@temporalio/workflow';
import type { PlannedObservation, RolloutTarget } from '../activities/types.js';
import type { InFlight, RolloutInput } from '../rollout/index.js';
import type { Controls } from './controls.js';
import { renderDetails } from './details.js';
import type { FleetReporter } from './fleet-report.js';
import { emptyProgress, PodStep, type PodProgress, type RolloutPhase, type RolloutProgress } from './messages.js';
import { CloneSetNameKey, CloneSetNamespaceKey, RolloutPhaseKey, TargetRevisionKey } from './search-attributes.js';

/** Settled Pods the progress record keeps (beyond those in flight); older ones are counted, not listed. */
const PODS_KEPT = 250;

/** How often the loop re-observes when nothing else wakes it (external changes to Pods). */
export const RESYNC_MS = 5_000;

/** What a rollout did to Pods, summed over its runs. */
export interface Totals {
  updatedInPlace: number;
  recreated: number;
  created: number;
  deleted: number;
}

const NO_TOTALS: Totals = { updatedInPlace: 0, recreated: 0, created: 0, deleted: 0 };

/** The progress record a run starts with; a run that continues an earlier one starts from what that one carried. */
export function initialProgress(input: RolloutInput): RolloutProgress {
  const carry = input.carry;
  return {
    ...emptyProgress(input.namespace, input.name),
    fromRevision: carry?.fromRevision ?? null,
    startedAtMs: carry?.startedAtMs ?? null,
    ...(carry ? { earlierRuns: { runs: carry.runs, ...carry.totals } } : {}),
  };
}

export class RunState {
  /**
   * The target the loop rolls toward now, replaced when the CloneSet changes. Lanes never read it: each takes the
   * target it was launched for (see ./lanes.ts). Set by the first `setTarget`, before the loop starts.
   */
  target!: RolloutTarget;
  /** Pods with a running lane, by name: what the planner counts as in flight. */
  readonly inFlight: Record<string, InFlight> = {};
  /** Each running lane's cancellation scope, by Pod name (the Pods of one batch share one). */
  readonly scopes: Record<string, CancellationScope> = {};
  /** The last observation (the `plan` query simulates from it). */
  lastObservation: PlannedObservation | null = null;
  /** Activity-clock time of the last Pod step or new target: progressDeadlineSeconds counts from it. */
  lastProgressAtMs = 0;
  /** Since when the rollout is stuck (progress deadline passed), or null. */
  stuckSinceMs: number | null = null;
  /** rollbackOnFailure started a rollback: the stuck rollout moves again, backwards. */
  rollingBackOnFailure = false;
  /** This run decided to continue as new: no new Pod is taken, the Pods in flight finish. */
  handingOver = false;
  /** What ends the run as Failed (the first non-retryable error); lanes in flight finish first. */
  failure: ApplicationFailure | null = null;
  /** Pods this run moved to the end, by name and action: what the totals count (the progress record is bounded). */
  private readonly doneAs: Record<string, PodProgress['action']> = {};
  private woken = false;
  private readonly wakers: (() => boolean)[] = [];
  /** The spec changed since the last observation began (the `specChanged` signal): the next sleep returns at once. */
  private specChanged = false;

  constructor(
    readonly progress: RolloutProgress,
    private readonly controls: Controls,
    private readonly earlier: Totals = NO_TOTALS,
  ) {}

  /** How many Pods have a lane running. */
  get lanes(): number {
    return Object.keys(this.inFlight).length;
  }

  setTarget(t: RolloutTarget): void {
    this.target = t;
    this.progress.toRevision = t.updateRevision;
    this.progress.strategy = t.spec.type;
    upsertSearchAttributes([
      { key: CloneSetNamespaceKey, value: t.namespace },
      { key: CloneSetNameKey, value: t.name },
      { key: TargetRevisionKey, value: t.updateRevision },
    ]);
  }

  /** The one place the phase changes (the controls translate it, e.g. Updating → RollingBack). */
  setPhase(loopPhase: RolloutPhase): void {
    const phase = this.controls.phase(loopPhase);
    if (this.progress.phase === phase) return;
    this.progress.phase = phase;
    upsertSearchAttributes([{ key: RolloutPhaseKey, value: phase }]);
  }

  /** Called after each render: a fleet's child reports its progress to the fleet (./fleet-report.ts). */
  reporter: FleetReporter = { report: () => {}, flush: () => Promise.resolve() };

  /** The Temporal UI's "Current details". */
  render(): void {
    setCurrentDetails(renderDetails(this.progress));
    this.reporter.report(this.progress);
  }

  /** A Pod enters the run: in flight, Pending. */
  track(name: string, action: PodProgress['action'], revision: string, createdAtOldRevision = false): void {
    this.progress.pods[name] = { action, step: PodStep.Pending, revision, steps: [] };
    this.inFlight[name] = { action, step: PodStep.Pending, ...(createdAtOldRevision ? { revision } : {}) };
    if (Object.keys(this.progress.pods).length > 2 * PODS_KEPT) this.forgetSettledPods();
  }

  /** A Pod's lane reached `step` at `atMs` (a step counts as progress for the deadline). */
  mark(name: string, step: PodStep, atMs: number | null = this.progress.updatedAtMs, render = true): void {
    const p = this.progress.pods[name];
    if (!p) return;
    p.step = step;
    const f = this.inFlight[name];
    if (f) f.step = step;
    p.steps.push({ step, atMs: atMs ?? 0 });
    if (step === PodStep.Done && !p.replaces) this.doneAs[name] = p.action;
    if (atMs !== null && atMs > this.lastProgressAtMs) this.lastProgressAtMs = atMs;
    if (render) this.render();
  }

  /** The same step for several Pods, the details rendered once. */
  markAll(names: readonly string[], step: PodStep, atMs: number | null = this.progress.updatedAtMs): void {
    for (const n of names) this.mark(n, step, atMs, false);
    this.render();
  }

  /** A lane failed for these Pods: they are marked Failed with the reason. */
  markFailed(names: readonly string[], error: string): void {
    for (const n of names) {
      const p = this.progress.pods[n];
      if (!p) continue;
      p.error = error;
      this.mark(n, PodStep.Failed, this.progress.updatedAtMs, false);
    }
    this.render();
  }

  /** Records the first failure that ends the run. */
  fail(message: string, type: string): void {
    this.failure ??= ApplicationFailure.nonRetryable(message, type);
  }

  /** Wakes the loop (a lane ended or handed a Pod back). */
  wake(): void {
    this.woken = true;
  }

  /**
   * The CloneSet's spec changed: observe again now. Unlike {@link wake}, a sleep starting later still sees it, until
   * the next observation begins ({@link observing}): an edit that lands while the loop observes is never lost.
   */
  noteSpecChanged(): void {
    this.specChanged = true;
  }

  /** A spec change was noted since the last observation began: what that observation read may be stale. */
  get specChangedSinceObservation(): boolean {
    return this.specChanged;
  }

  /** An observation begins: it reads the CloneSet as it is now, so earlier spec-change notes are answered. */
  observing(): void {
    this.specChanged = false;
  }

  /** Also wake the loop when `woke` says so (e.g. the canary passed a step). */
  wakeOn(woke: () => boolean): void {
    this.wakers.push(woke);
  }

  /** Waits until a lane wakes the loop, a control changes something, the spec changed, the run fails, or `ms` pass. */
  async sleep(ms: number): Promise<void> {
    this.woken = false;
    await condition(() => this.woken || this.specChanged || this.failure !== null || this.controls.woke() || this.wakers.some((w) => w()), ms);
  }

  /** The totals of the rollout so far: the earlier runs' and this run's. */
  totals(): Totals {
    const count = (action: PodProgress['action']) => Object.values(this.doneAs).filter((a) => a === action).length;
    return {
      updatedInPlace: this.earlier.updatedInPlace + count('inPlace'),
      recreated: this.earlier.recreated + count('recreate'),
      created: this.earlier.created + count('create'),
      deleted: this.earlier.deleted + count('delete'),
    };
  }

  /**
   * Keeps the progress record bounded however many Pods the run moves: Pods in flight stay, and of the settled ones
   * (Done, Failed) the PODS_KEPT most recent. The totals are kept apart (doneAs).
   */
  private forgetSettledPods(): void {
    const settled = Object.entries(this.progress.pods)
      .filter(([n, p]) => !this.inFlight[n] && (p.step === PodStep.Done || p.step === PodStep.Failed))
      .map(([n, p]) => ({ n, at: p.steps[p.steps.length - 1]?.atMs ?? 0 }))
      .sort((a, b) => a.at - b.at || (a.n < b.n ? -1 : 1));
    for (const { n } of settled.slice(0, Math.max(0, settled.length - PODS_KEPT))) {
      delete this.progress.pods[n];
      this.progress.podsOmitted = (this.progress.podsOmitted ?? 0) + 1;
    }
  }
}
