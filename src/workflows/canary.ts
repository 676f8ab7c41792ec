/**
 * Canary steps, the workflow side: the step the rollout is at becomes the planner's partition; once the planner is
 * settled there, the step's hold runs (its analysis, then its pause: an approval or a bake time on a durable timer),
 * then the next step's partition applies. `approve` and `promote` are Updates with validators: a control nothing
 * waits for is refused, never recorded. The rules are pure (src/rollout/canary.ts); this module sequences them.
 */
import { ApplicationFailure, CancellationScope, condition, isCancellation, log, setHandler } from '@temporalio/workflow';
import type { RolloutTarget } from '../activities/types.js';
import { NonRetryable } from '../kube/error-types.js';
import {
  CanaryStatus,
  checkApprove,
  checkApprover,
  checkPromote,
  describeCanary,
  formatErrors,
  parseStepsAnnotation,
  stepPartition,
  stepTargets,
  type CanaryStep,
  type PlanSpec,
  type RolloutDecision,
  type RolloutInput,
} from '../rollout/index.js';
import type { Controls } from './controls.js';
import {
  approveUpdate,
  promoteUpdate,
  type ApproveOptions,
  type CanaryControlView,
  type CanaryProgress,
  type PromoteOptions,
  type RolloutProgress,
} from './messages.js';

/** What the canary needs of the run. */
export interface CanaryHost {
  progress: RolloutProgress;
  controls: Controls;
  /** The run's "Current details" and fleet report. */
  render(): void;
}

/** What the main loop calls; with no steps every method leaves the loop's values as they are. */
export interface Canary {
  /** The steps, from the input or else the CloneSet's annotation (a bad annotation fails the run, naming the field). */
  configure(target: RolloutTarget): void;
  /** The spec to plan with: the current step's partition applied (none once the steps passed or stopped). */
  plan<T extends PlanSpec>(spec: T): T;
  /** The same spec without noting it (for queries). */
  held<T extends PlanSpec>(spec: T): T;
  /**
   * Takes the round: a step whose Pods are settled starts its hold. `planned` is the planner's own decision (before
   * the controls' gate), `gated` the one the loop acts on; the result is `gated` with the canary's waiting reason.
   */
  gate(gated: RolloutDecision, planned: RolloutDecision, inFlight: number): RolloutDecision;
  /** No step is left to hold the rollout (all passed, stopped, or none). */
  finished(): boolean;
  /** The canary changed since the last plan (a step passed, an approval): wake the loop. */
  woke(): boolean;
  /** The loop's wait: longer while a hold waits with nothing in flight (the hold's end wakes the loop). */
  waitMs(ms: number, inFlight: number): number;
  /** Not while a hold runs (its timers and analyses live in this run). */
  canContinueAsNew(): boolean;
  /** What the next run carries. */
  carry(): Record<string, unknown> | undefined;
}

/** How long the loop sleeps while a hold waits (an approval, a bake time) with nothing in flight. */
const HOLD_RESYNC_MS = 60_000;

const HOLDING: readonly CanaryStatus[] = [CanaryStatus.Analysing, CanaryStatus.Paused, CanaryStatus.Baking];

function reject(problem: string | null): void {
  if (problem) throw new Error(problem);
}

/**
 * Registers `approve` and `promote` (before the workflow's first await, like the other controls) and returns the
 * canary. A run that continues an earlier one resumes from the carried state.
 */
export function installCanary(host: CanaryHost, input: RolloutInput): Canary {
  const { progress, controls } = host;
  let steps: CanaryStep[] = [];
  let version = 0;
  let seen = 0;
  /** The step index the last plan() held the partition at; a round reaches only that step. */
  let plannedStep = -1;
  let approvalPending = false;
  let first = true;
  const carried = input.carry?.canary as CanaryProgress | undefined;

  const state = (): CanaryProgress | undefined => progress.canary;
  const changed = () => {
    version++;
    host.render();
  };
  const view = (): CanaryControlView => {
    const c = state()!;
    return { status: c.status, current: c.current, steps: c.steps.length, promoted: c.promoted };
  };
  const now = () => progress.updatedAtMs;
  const stopped = () => controls.state.aborted !== null;

  setHandler(
    approveUpdate,
    (opts: ApproveOptions | undefined) => {
      const c = state()!;
      approvalPending = true;
      c.approvals.push({ step: c.current, control: 'approve', ...who(opts), atMs: now() });
      log.info('step approved', { step: c.current + 1, by: opts?.by, reason: opts?.reason });
      changed();
      return view();
    },
    { validator: (opts: ApproveOptions | undefined) => reject(checkApprover('approve', opts) ?? checkApprove(state() ?? null)) },
  );

  setHandler(
    promoteUpdate,
    (opts: PromoteOptions | undefined) => {
      const c = state()!;
      const full = opts?.full === true;
      c.promoted = { full, ...who(opts), atMs: now() };
      c.approvals.push({ step: c.current, control: 'promote', ...who(opts), atMs: now(), ...(full ? { full } : {}) });
      log.info('rollout promoted: the remaining pauses are skipped', { full, by: opts?.by, reason: opts?.reason });
      changed();
      return view();
    },
    {
      validator: (opts: PromoteOptions | undefined) => {
        reject(checkApprover('promote', opts, ['full']));
        if (opts?.full !== undefined && typeof opts.full !== 'boolean') reject('promote: full must be true or false');
        reject(checkPromote(state() ?? null, opts?.full === true));
      },
    },
  );

  /** Step `i`'s hold: its pause (an approval or a bake time). The loop goes on to the next step when it ends. */
  async function hold(i: number): Promise<void> {
    const c = state()!;
    const step = steps[i]!;
    if (step.pause && !c.promoted && !stopped()) {
      if (step.pause.duration === undefined) {
        c.status = CanaryStatus.Paused;
        c.waitingFor = `step ${i + 1}'s pause: approve to go on`;
        approvalPending = false;
        changed();
        await condition(() => approvalPending || c.promoted !== null || stopped());
        approvalPending = false;
      } else if (step.pause.duration > 0) {
        c.status = CanaryStatus.Baking;
        c.bakeUntilMs = (now() ?? 0) + step.pause.duration * 1000;
        changed();
        await condition(() => c.promoted !== null || stopped(), step.pause.duration * 1000);
      }
    }
    c.waitingFor = null;
    c.bakeUntilMs = null;
    if (stopped()) return;
    c.current = i + 1;
    c.status = c.current >= steps.length ? CanaryStatus.Done : CanaryStatus.Rolling;
    log.info(c.status === CanaryStatus.Done ? 'every step passed: the rest of the Pods move' : `step ${i + 1} passed`, { step: i + 1 });
    changed();
  }

  function startHold(i: number): void {
    const c = state()!;
    c.status = CanaryStatus.Analysing; // reached; the hold says what it waits for
    log.info(`step ${i + 1} reached`, { step: i + 1, pods: c.steps[i]?.pods });
    CancellationScope.cancellable(() => hold(i)).catch((err: unknown) => {
      if (!isCancellation(err)) throw err;
    });
  }

  return {
    configure(target) {
      if (input.steps !== undefined) steps = input.steps as CanaryStep[];
      else if (target.stepsAnnotation !== undefined) {
        const parsed = parseStepsAnnotation(target.stepsAnnotation);
        if (!parsed.ok) {
          throw ApplicationFailure.nonRetryable(`CloneSet ${target.namespace}/${target.name}: ${formatErrors(parsed.errors)}`, NonRetryable.InvalidSpec);
        }
        steps = parsed.value as CanaryStep[];
      }
      if (steps.length === 0) return;
      progress.canary = carried ?? {
        steps: steps.map((s) => ({ replicas: s.replicas, ...(s.pause ? { pause: s.pause } : {}), pods: 0 })),
        current: 0,
        status: CanaryStatus.Rolling,
        waitingFor: null,
        bakeUntilMs: null,
        promoted: null,
        approvals: [],
        analyses: [],
      };
      const targets = stepTargets(steps, target.spec.replicas);
      progress.canary.steps.forEach((s, i) => (s.pods = targets[i]!));
    },
    plan(spec) {
      seen = version;
      const c = state();
      plannedStep = !c || c.status === CanaryStatus.Done || c.status === CanaryStatus.Stopped || stopped() ? -1 : c.current;
      return this.held(spec);
    },
    held(spec) {
      const c = state();
      if (!c || c.status === CanaryStatus.Done || c.status === CanaryStatus.Stopped || stopped()) return spec;
      return { ...spec, partition: Math.max(spec.partition, stepPartition(steps, c.current, spec.replicas)) };
    },
    gate(gated, planned, inFlight) {
      const c = state();
      if (!c) return gated;
      if (stopped()) {
        if (c.status !== CanaryStatus.Stopped) {
          c.status = CanaryStatus.Stopped;
          c.waitingFor = null;
          c.bakeUntilMs = null;
        }
        return gated;
      }
      const targets = stepTargets(steps, planned.counts.desired);
      c.steps.forEach((s, i) => (s.pods = targets[i]!));
      if (first) {
        first = false;
        // Nothing to move (every Pod already at the revision): there is no canary to hold.
        if (!carried && planned.counts.old === 0 && planned.done && inFlight === 0 && planned.counts.updated >= planned.counts.desired) {
          c.status = CanaryStatus.Done;
          c.current = steps.length;
          log.info('every Pod is at the revision already: no step holds the rollout');
          return gated;
        }
      }
      if (c.status === CanaryStatus.Rolling && plannedStep === c.current && planned.done && inFlight === 0) startHold(c.current);
      if (HOLDING.includes(c.status)) return { ...gated, waiting: c.waitingFor ?? describeCanary(c) };
      return gated;
    },
    finished() {
      const c = state();
      // and this round was planned without a step's partition: the last step's hold may have just ended
      return !c || ((c.status === CanaryStatus.Done || c.status === CanaryStatus.Stopped) && plannedStep === -1);
    },
    woke() {
      return version !== seen;
    },
    waitMs(ms, inFlight) {
      const c = state();
      return c && HOLDING.includes(c.status) && inFlight === 0 ? Math.max(ms, HOLD_RESYNC_MS) : ms;
    },
    canContinueAsNew() {
      const c = state();
      return !c || !HOLDING.includes(c.status);
    },
    carry() {
      const c = state();
      return c ? { ...c, analyses: c.analyses.map((a) => ({ ...a, measurements: a.measurements.slice(-5) })) } : undefined;
    },
  };
}

function who(opts: ApproveOptions | undefined): { by?: string; reason?: string } {
  return { ...(opts?.by !== undefined ? { by: opts.by } : {}), ...(opts?.reason !== undefined ? { reason: opts.reason } : {}) };
}
