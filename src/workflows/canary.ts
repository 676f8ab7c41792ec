/**
 * Canary steps, the workflow side: the step the rollout is at becomes the planner's partition; once the planner is
 * settled there, the step's hold runs (its analysis, then its pause: an approval or a bake time on a durable timer),
 * then the next step's partition applies. `approve` and `promote` are Updates with validators: a control nothing
 * waits for is refused, never recorded. The rules are pure (src/rollout/canary.ts); this module sequences them.
 */
import { ApplicationFailure, condition, log, setHandler } from '@temporalio/workflow';
import type { RolloutTarget } from '../activities/types.js';
import { NonRetryable } from '../kube/error-types.js';
import {
  CanaryStatus,
  checkApprove,
  checkApprover,
  checkPromote,
  describeCanary,
  formatErrors,
  parseRolloutAnnotations,
  heldPartition,
  stepTargets,
  type AnalysisSpec,
  type CanaryStep,
  type NotifyEvent,
  type PlanSpec,
  type RolloutDecision,
  type RolloutInput,
} from '../rollout/index.js';
import { checkProviders, runAnalysis, type AnalysisVerdict } from './analysis.js';
import type { Controls } from './controls.js';
import { Notifier } from './notifier.js';
import {
  approveUpdate,
  promoteUpdate,
  type ApproveOptions,
  type CanaryControlView,
  type CanaryProgress,
  type PromoteOptions,
  type RolloutOutcome,
  type RolloutProgress,
} from './messages.js';

/** What the canary needs of the run. */
export interface CanaryHost {
  progress: RolloutProgress;
  controls: Controls;
  /** The run's "Current details" and fleet report. */
  render(): void;
  /** A failed analysis: abort and roll the updated Pods back in place (false: no rollback possible). */
  rollback(reason: string): Promise<boolean>;
  /** Records a Kubernetes Event on the CloneSet. */
  event(type: 'Normal' | 'Warning', reason: string, message: string): Promise<void>;
  /** Ends the run as Failed (lanes in flight finish first). */
  fail(message: string, type: string): void;
}

/** What the main loop calls; with no steps every method leaves the loop's values as they are. */
export interface Canary {
  /** The steps, from the input or else the CloneSet's annotation (a bad annotation fails the run, naming the field). */
  configure(target: RolloutTarget): void;
  /**
   * Runs each Prometheus query once, before anything is written: those of the input (`input`, before the target is
   * prepared) or of the annotations (`annotations`, after configure). A rejected query fails the run naming the field.
   */
  check(from: 'input' | 'annotations'): Promise<void>;
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
  /** The run ends: the background analysis stops, the outcome is notified, notifications in flight are awaited. */
  settle(outcome: RolloutOutcome | 'Failed' | null, details?: Record<string, unknown>): Promise<void>;
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
  /** The last round was settled (nothing in flight, nothing about to become available). */
  let settled = false;
  let background: AnalysisSpec | undefined;
  const notifier = new Notifier(input);
  /** The run is ending: the background analysis measures no more. */
  let ending = false;
  const rollout = `${input.namespace}/${input.name}`;
  /** The analyses that came from annotations, by field (checked once configured). */
  let annotated: { field: string; spec: AnalysisSpec | undefined }[] = [];
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
      if (c.heldBy) c.heldBy = null;
      else approvalPending = true;
      c.approvals.push({ step: c.current, control: 'approve', ...who(opts), atMs: null }); // timed by the next observation
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
      c.promoted = { full, ...who(opts), atMs: null };
      c.heldBy = null;
      c.approvals.push({ step: c.current, control: 'promote', ...who(opts), atMs: null, ...(full ? { full } : {}) });
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

  function notify(event: NotifyEvent, details: Record<string, unknown>): void {
    const c = state();
    const step = c && c.steps.length > 0 ? { index: Math.min(c.current, c.steps.length - 1), count: c.steps.length } : null;
    notifier.send(event, step, { revision: progress.toRevision, updated: progress.counts.updated, replicas: progress.counts.desired, ...details }, now() ?? 0);
  }

  /** A failed (or errored) analysis: recorded, an Event, a notification, and the rollback in place. */
  async function failed(v: AnalysisVerdict, step: number | null): Promise<void> {
    const c = state()!;
    const metric = v.run?.metric ?? '?';
    c.failed = { metric, step, ...(v.value !== undefined ? { value: v.value } : {}), condition: v.condition ?? '', message: v.message };
    const where = step === null ? 'background analysis' : `step ${step + 1}'s analysis`;
    const reason = `${where} failed: ${v.message}`;
    log.warn('analysis failed: rolling back', { metric, step: step === null ? null : step + 1, message: v.message });
    changed();
    await host.event('Warning', 'AnalysisFailed', reason);
    notify('AnalysisFailed', { metric, value: v.value ?? null, condition: v.condition ?? '', message: v.message });
    if (!(await host.rollback(reason))) host.fail(`${reason} (and the rollback could not start)`, 'AnalysisFailed');
  }

  /** Waits for an approval (or a promote, or the end); `why` is what the record says the canary waits for. */
  async function awaitApproval(i: number, why: string): Promise<void> {
    const c = state()!;
    c.status = CanaryStatus.Paused;
    c.waitingFor = why;
    approvalPending = false;
    changed();
    notify('ApprovalNeeded', { message: why });
    await condition(() => approvalPending || c.promoted !== null || stopped());
    approvalPending = false;
    log.info('canary released', { step: i + 1 });
  }

  /** The background analysis: from the first round to the end of the run (or a decision). */
  async function watchInBackground(spec: AnalysisSpec): Promise<void> {
    const c = state()!;
    const stop = () => ending || stopped() || c.promoted?.full === true;
    const v = await runAnalysis(spec, { step: null, runs: c.analyses, changed, stop, rollout });
    if (!v || v.phase === 'Successful' || stop()) return;
    if (v.phase === 'Inconclusive') {
      c.heldBy = `background analysis inconclusive: ${v.message}; approve to go on`;
      changed();
      notify('ApprovalNeeded', { message: c.heldBy });
      return;
    }
    await failed(v, null);
  }

  /** Step `i`'s hold: its analysis, then its pause (an approval or a bake time). The loop goes on to the next step. */
  async function hold(i: number): Promise<void> {
    const c = state()!;
    const step = steps[i]!;
    notify('StepReached', { message: `step ${i + 1} of ${steps.length} reached` });
    if (step.analysis && c.promoted?.full !== true && !stopped()) {
      c.status = CanaryStatus.Analysing;
      changed();
      const v = await runAnalysis(step.analysis as AnalysisSpec, {
        step: i,
        runs: c.analyses,
        changed,
        stop: () => stopped() || c.promoted?.full === true,
        rollout,
      });
      if (stopped()) return;
      if (v && (v.phase === 'Failed' || v.phase === 'Error')) return await failed(v, i);
      if (v?.phase === 'Inconclusive' && !c.promoted) await awaitApproval(i, `step ${i + 1}'s analysis inconclusive: ${v.message}; approve to go on`);
    }
    if (step.pause && !c.promoted && !stopped()) {
      if (step.pause.duration === undefined) {
        await awaitApproval(i, `step ${i + 1}'s pause: approve to go on`);
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
    c.steps[i]!.passedAtMs = null; // timed by the next observation (the loop wakes at once)
    c.current = i + 1;
    c.status = c.current >= steps.length ? CanaryStatus.Done : CanaryStatus.Rolling;
    log.info(c.status === CanaryStatus.Done ? 'every step passed: the rest of the Pods move' : `step ${i + 1} passed`, { step: i + 1 });
    changed();
  }

  function startHold(i: number): void {
    const c = state()!;
    c.status = CanaryStatus.Analysing; // reached; the hold says what it waits for
    c.steps[i]!.reachedAtMs = now();
    log.info(`step ${i + 1} reached`, { step: i + 1, pods: c.steps[i]?.pods });
    void hold(i);
  }

  return {
    configure(target) {
      // The input's fields first; a field it leaves out comes from the CloneSet's annotation (controller mode, apply).
      const parsed = parseRolloutAnnotations({
        ...(input.steps === undefined && target.annotations?.steps !== undefined ? { steps: target.annotations.steps } : {}),
        ...(input.analysis === undefined && target.annotations?.analysis !== undefined ? { analysis: target.annotations.analysis } : {}),
        ...(input.notifications === undefined && target.annotations?.notifications !== undefined ? { notifications: target.annotations.notifications } : {}),
      });
      if (!parsed.ok) {
        throw ApplicationFailure.nonRetryable(`CloneSet ${target.namespace}/${target.name}: ${formatErrors(parsed.errors)}`, NonRetryable.InvalidSpec);
      }
      steps = (input.steps ?? parsed.value.steps ?? []) as CanaryStep[];
      const at = (key: string) => `metadata.annotations[cloneset-rollout.io/${key}]`;
      annotated = [
        ...(input.steps === undefined ? steps.map((st, i) => ({ field: `${at('steps')}[${i}].analysis`, spec: st.analysis as AnalysisSpec | undefined })) : []),
        ...(input.analysis === undefined ? [{ field: at('analysis'), spec: parsed.value.analysis }] : []),
      ];
      background = input.analysis ?? parsed.value.analysis;
      notifier.spec = input.notifications ?? parsed.value.notifications;
      if (steps.length === 0 && !background) return;
      progress.canary = carried ?? {
        steps: steps.map((s) => ({
          replicas: s.replicas,
          ...(s.pause ? { pause: s.pause } : {}),
          ...(s.analysis ? { analysis: (s.analysis as AnalysisSpec).metrics.map((m) => m.name) } : {}),
          pods: 0,
        })),
        current: 0,
        status: steps.length === 0 ? CanaryStatus.Done : CanaryStatus.Rolling,
        waitingFor: null,
        heldBy: null,
        bakeUntilMs: null,
        promoted: null,
        approvals: [],
        analyses: [],
      };
      const targets = stepTargets(steps, target.spec.replicas);
      progress.canary.steps.forEach((s, i) => (s.pods = targets[i]!));
    },
    async check(from) {
      if (from === 'annotations') return await checkProviders(annotated);
      if (input.carry) return; // checked by the first run
      await checkProviders([
        ...(input.steps ?? []).map((st, i) => ({ field: `steps[${i}].analysis`, spec: st.analysis })),
        { field: 'analysis', spec: input.analysis },
      ]);
    },
    plan(spec) {
      seen = version;
      const c = state();
      plannedStep = !c || c.status === CanaryStatus.Done || c.status === CanaryStatus.Stopped || stopped() ? -1 : c.current;
      return this.held(spec);
    },
    held(spec) {
      const c = state();
      if (!c || c.status === CanaryStatus.Stopped || stopped()) return spec;
      const out = c.heldBy ? { ...spec, paused: true } : spec; // an inconclusive background analysis holds every Pod
      if (c.status === CanaryStatus.Done) return out;
      return { ...out, partition: heldPartition(steps, c.current, spec) };
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
      settled = planned.done && planned.nextCheckAtMs === null && inFlight === 0;
      const targets = stepTargets(steps, planned.counts.desired);
      c.steps.forEach((s, i) => (s.pods = targets[i]!));
      // What happened in a handler or a hold is timed by this observation, the first after it (activity clock).
      for (const s of c.steps) if (s.passedAtMs === null) s.passedAtMs = now();
      for (const a of c.approvals) a.atMs ??= now();
      if (c.promoted) c.promoted.atMs ??= now();
      if (first) {
        first = false;
        // Nothing to move (every Pod already at the revision): there is no canary to hold, nothing to analyse.
        if (!carried && planned.counts.old === 0 && planned.done && inFlight === 0 && planned.counts.updated >= planned.counts.desired) {
          c.status = CanaryStatus.Done;
          c.current = steps.length;
          log.info('every Pod is at the revision already: no step holds the rollout');
          return gated;
        }
        if (background) void watchInBackground(background);
      }
      if (c.status === CanaryStatus.Rolling && plannedStep === c.current && planned.done && inFlight === 0) startHold(c.current);
      if (HOLDING.includes(c.status)) return { ...gated, waiting: c.waitingFor ?? describeCanary(c) };
      if (c.heldBy) return { ...gated, waiting: c.heldBy };
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
      // Longer only once the round is settled: Pods still becoming available are observed at the planner's pace.
      return c && (HOLDING.includes(c.status) || c.heldBy) && inFlight === 0 && settled ? Math.max(ms, HOLD_RESYNC_MS) : ms;
    },
    canContinueAsNew() {
      const c = state();
      // nor while the background analysis runs: its measurements live in this run
      return !c || (!HOLDING.includes(c.status) && !background);
    },
    carry() {
      const c = state();
      return c ? { ...c, analyses: c.analyses.map((a) => ({ ...a, measurements: a.measurements.slice(-5) })) } : undefined;
    },
    async settle(outcome, details = {}) {
      ending = true;
      const c = state();
      if (c && outcome === 'Completed') notify('Completed', { message: 'every Pod is at the new revision', ...details });
      if (c && outcome === 'RolledBack') notify('RolledBack', { message: controls.state.aborted?.reason ?? 'rolled back', ...details });
      await notifier.flush();
    },
  };
}

function who(opts: ApproveOptions | undefined): { by?: string; reason?: string } {
  return { ...(opts?.by !== undefined ? { by: opts.by } : {}), ...(opts?.reason !== undefined ? { reason: opts.reason } : {}) };
}
