/**
 * `rolloutCloneSet`: one durable workflow per CloneSet rollout.
 *
 * Each round of the loop reads as numbered steps: observe the Pods (the planner runs next to them, in the observing
 * activity), follow a new CloneSet spec, let the controls gate the decision, hand over to a new run when the history
 * grows long, judge the progress deadline, start lanes, wait. The lanes (./lanes.ts) move Pods with idempotent
 * activities and durable timers; the run's state lives in one object (./run-state.ts). Everything that must survive a
 * crash is in this workflow's history or on the Pods themselves.
 */
import { allHandlersFinished, ApplicationFailure, condition, continueAsNew, log, patched, setHandler, workflowInfo } from '@temporalio/workflow';
import type { PlannedObservation, RevisionPlan, RolloutTarget } from '../activities/types.js';
import { NonRetryable } from '../kube/error-types.js';
import {
  DecisionPhase,
  formatErrors,
  judgeDeadline,
  parseRolloutInput,
  simulateRollout,
  type RolloutDecision,
  type RolloutInput,
  type RoundPod,
} from '../rollout/index.js';
import { api, toFailure, useCluster } from './activities.js';
import { fleetReporter } from './fleet-report.js';
import { applyOverrides } from './controls-state.js';
import { installControls, type Controls } from './controls.js';
import { installCanary, type Canary } from './canary.js';
import { nextRunInput, shouldHandOver } from './hand-over.js';
import { abandonStuckLanes, cancelSuperseded, startCreate, startDelete, startHookedInPlace, startInPlaceBatch, startRecreate, startResume } from './lanes.js';
import {
  planQuery,
  RolloutPhase,
  specChangedSignal,
  type ControlsState,
  type RolloutFailureDetails,
  type RolloutOutcome,
  type RolloutResult,
} from './messages.js';
import { initialProgress, RESYNC_MS, RunState } from './run-state.js';

/** The observation carries every Pod (for the `plan` query) up to this many; beyond, only the ones a round acts on. */
/**
 * Patch (docs/workflow-versioning.md): a round that would close the run observes again first when a `specChanged`
 * signal came in while it ran. Histories recorded before it closed without looking.
 */
const OBSERVE_EDIT_BEFORE_FINISH = 'observe-edit-before-finish';

const FULL_PODS_UP_TO = 200;

export async function rolloutCloneSet(rawInput: RolloutInput): Promise<RolloutResult> {
  const parsed = parseRolloutInput(rawInput);
  if (!parsed.ok) {
    throw ApplicationFailure.nonRetryable(`invalid rollout input: ${formatErrors(parsed.errors)}`, NonRetryable.InvalidSpec);
  }
  const input = parsed.value;
  useCluster(input.cluster); // every activity of this rollout acts on its cluster
  const progress = initialProgress(input);
  // The control Updates and the queries, before the first await: Updates delivered with the first workflow task find
  // their handlers. A run that continues an earlier one keeps its controls.
  const controls = installControls(progress, input.carry?.controls as ControlsState | undefined);
  const run = new RunState(progress, controls, input.carry?.totals);
  run.reporter = fleetReporter(input.cluster);
  const canary = installCanary(
    {
      progress,
      controls,
      render: () => run.render(),
      rollback: (reason) => controls.rollbackOnFailure(reason),
      event: async (type, reason, message) => {
        const t = run.target;
        await api.recordCloneSetEvent({ namespace: t.namespace, name: t.name, uid: t.uid, type, reason, message });
      },
      fail: (message, type) => run.fail(message, type),
    },
    input,
  );
  run.wakeOn(() => canary.woke());
  installPlanQuery(run, controls, canary);
  setHandler(specChangedSignal, () => run.noteSpecChanged());

  let target: RolloutTarget;
  try {
    await canary.check('input'); // a Prometheus query its server rejects: refused before the template is written
    target = await api.prepareRollout(input);
  } catch (err) {
    // The activity's own type and message at the top of the workflow failure, not an ActivityFailure wrapper.
    throw failed(run, toFailure(err, 'PrepareFailed'));
  }
  progress.fromRevision ??= target.currentRevision;
  progress.startedAtMs ??= target.atMs;
  try {
    canary.configure(target);
    await canary.check('annotations');
  } catch (err) {
    throw failed(run, toFailure(err, 'InvalidSpec'));
  }
  run.setTarget(target);
  run.lastProgressAtMs = target.atMs;

  while (!run.failure) {
    // 1. Observe: the Pods, and the planner's decision on them (with the controls' overrides in the spec).
    const round = await observe(run, controls, canary);
    if (round === null) break;

    // 2. Follow a new spec: the CloneSet changed under us; lanes of a superseded revision stop, all moves toward the newest.
    if (round.decision === null) {
      await followNewSpec(run);
      continue;
    }

    // 3. Gate: the controls hold what the planner would start (pause, abort, partition) and may end the loop.
    const decision = canary.gate(controls.gate(round.decision, run.lanes), round.decision, run.lanes);
    showRound(run, round, decision);
    if (controls.finished(run.lanes) && canary.finished()) {
      // An edit noted while this round ran: observe it before closing, rather than leave it to a new run.
      if (run.specChangedSinceObservation && patched(OBSERVE_EDIT_BEFORE_FINISH)) continue;
      break;
    }

    // 4. Hand over: a long history continues as new; no Pod is taken, the ones in flight finish first.
    if (!run.handingOver && canary.canContinueAsNew() && shouldHandOver(input, controls)) {
      run.handingOver = true;
      log.info('continuing as new: Pods in flight finish first', { historyLength: workflowInfo().historyLength, inFlight: run.lanes });
    }
    if (run.handingOver) {
      if (run.lanes === 0) break;
      progress.waiting = `continuing as new once ${run.lanes} Pod(s) in flight finish`;
      run.render();
      await run.sleep(RESYNC_MS);
      continue;
    }

    // 5. Progress deadline: stuck on the kubelet for too long → no new Pods until the spec changes (or roll back).
    if (await holdsAtDeadline(run, round, decision, input, controls)) {
      run.render();
      await run.sleep(RESYNC_MS);
      continue;
    }

    // 6. Start lanes: Pods an earlier run left half-way, then what the decision picked.
    startLanes(run, round, decision);

    // 7. Wait: for a lane to hand a Pod back, a control, the planner's next check, or the resync.
    const next = decision.nextCheckAtMs === null ? RESYNC_MS : decision.nextCheckAtMs - round.atMs;
    await run.sleep(canary.waitMs(controls.waitMs(Math.max(100, Math.min(next, RESYNC_MS)), run.lanes), run.lanes));
  }

  return await finish(run, input, controls, canary);
}

/** Step 1. Null when the observation failed for good (e.g. the CloneSet is gone): the run fails once lanes settle. */
async function observe(run: RunState, controls: Controls, canary: Canary): Promise<PlannedObservation | null> {
  const t = run.target;
  let round: PlannedObservation;
  run.observing();
  try {
    round = await api.observePlan({
      target: { ...t, spec: controls.plan({ ...t, spec: canary.plan(t.spec) }) },
      inFlight: run.inFlight,
      fromRevision: run.progress.fromRevision,
      fullPodsUpTo: FULL_PODS_UP_TO,
    });
  } catch (err) {
    run.failure ??= toFailure(err, 'ObserveFailed');
    return null;
  }
  controls.knowPreviousImages(round.previousImages);
  run.progress.updatedAtMs = round.atMs;
  run.lastObservation = round;
  return round;
}

/** Step 2. The new target; a stuck rollout is unstuck by a new spec. */
async function followNewSpec(run: RunState): Promise<void> {
  let t: RolloutTarget;
  try {
    t = await api.prepareRollout({ namespace: run.target.namespace, name: run.target.name });
  } catch (err) {
    run.failure ??= toFailure(err, 'PrepareFailed'); // e.g. the new spec is invalid: lanes in flight finish, the run fails
    return;
  }
  run.setTarget(t);
  cancelSuperseded(run, t.updateRevision);
  run.lastProgressAtMs = Math.max(run.lastProgressAtMs, t.atMs);
  if (run.stuckSinceMs !== null) await unstick(run, `new spec: rolling to revision ${t.updateRevision}`);
}

/** Step 3's record: counts, window and why nothing more starts, for the queries and the UI. */
function showRound(run: RunState, round: PlannedObservation, decision: RolloutDecision): void {
  const c = decision.counts;
  run.progress.counts = {
    desired: c.desired,
    total: c.current,
    updated: c.updated,
    ready: round.ready,
    available: c.available,
    unavailable: decision.unavailable,
  };
  run.progress.window = decision.budget;
  run.progress.waiting = decision.waiting || null;
}

/**
 * Step 5. Judges the deadline and acts on the verdict: stuck → phase Stuck, Progressing=False on the CloneSet and,
 * with rollbackOnFailure, the rollback; moving again → Progressing=True. Returns whether the round holds (stuck,
 * not rolling back): no new Pod is taken.
 */
async function holdsAtDeadline(run: RunState, round: PlannedObservation, decision: RolloutDecision, input: RolloutInput, controls: Controls): Promise<boolean> {
  const t = run.target;
  const deadline = t.spec.progressDeadlineSeconds;
  const verdict = judgeDeadline({
    deadlineSeconds: deadline,
    nowMs: round.atMs,
    lastProgressAtMs: run.lastProgressAtMs,
    stuckSinceMs: run.stuckSinceMs,
    inFlight: run.inFlight,
    settled: decision.done,
    blocking: round.blocking,
  });
  if (verdict.kind === 'exceeded') {
    run.stuckSinceMs = round.atMs;
    run.setPhase(RolloutPhase.Stuck);
    run.progress.error = verdict.message;
    run.progress.waiting = verdict.message; // with the phase, before the await: a query never sees one without the other
    log.warn('rollout stuck', { deadline, blocking: verdict.blocking, revision: t.updateRevision });
    await api.setProgressing({
      namespace: t.namespace,
      name: t.name,
      uid: t.uid,
      status: 'False',
      reason: 'ProgressDeadlineExceeded',
      message: verdict.message,
    });
    // Opt-in: take the updated Pods back to the starting revision in place instead of waiting for a new spec.
    if (input.rollbackOnFailure && (await controls.rollbackOnFailure())) {
      run.rollingBackOnFailure = true;
      log.warn('rolling back after the progress deadline (rollbackOnFailure)', { revision: t.updateRevision });
    }
  } else if (verdict.kind === 'moving') {
    await unstick(run, 'Pods are moving again');
  }
  if (run.stuckSinceMs === null) return false;
  // Aborted (without rollback) while stuck: the lanes waiting on the kubelet would never end, so neither would the
  // abort. They are let go, their Pods named in the record as they are (not Ready, at the target revision).
  if (controls.state.aborted && !controls.state.aborted.rollback) abandonStuckLanes(run);
  run.progress.waiting = run.progress.error;
  return !run.rollingBackOnFailure;
}

async function unstick(run: RunState, message: string): Promise<void> {
  const t = run.target;
  run.stuckSinceMs = null;
  run.progress.error = null;
  run.setPhase(RolloutPhase.Updating);
  await api.setProgressing({ namespace: t.namespace, name: t.name, uid: t.uid, status: 'True', reason: 'CloneSetUpdated', message });
}

/**
 * Step 6. Every lane reads the target of this round (see ./lanes.ts). In-place Pods picked together share one batch
 * lane, except with an inPlaceUpdate hook, which holds Pods one by one.
 */
function startLanes(run: RunState, round: PlannedObservation, decision: RolloutDecision): void {
  const t = run.target;
  // Pods an earlier run left at the update revision, not handed back: unavailable already, they cost no budget.
  for (const name of round.orphans) startResume(run, t, round.orphanPods[name]!);

  if (decision.scaleUp > 0 || decision.scaleDown.length > 0) run.setPhase(RolloutPhase.Scaling);
  else if (decision.update.length > 0) run.setPhase(RolloutPhase.Updating);
  // The CloneSet's own spec.updateStrategy.paused (the pause control shows Paused itself, at its safe point).
  else if (decision.phase === DecisionPhase.Paused && t.spec.paused) run.setPhase(RolloutPhase.Paused);
  if (decision.scaleUp > 0 || decision.scaleDown.length > 0 || decision.update.length > 0) {
    log.debug('plan', {
      generation: t.generation,
      counts: decision.counts,
      budget: decision.budget,
      scaleUp: decision.scaleUp,
      scaleDown: decision.scaleDown,
      update: decision.update.map((u) => u.name),
      inFlight: Object.keys(run.inFlight),
    });
  }

  // The partition's share of a scale-up at the current revision (Kruise's scaleUpOldRevision), when Pods are on it.
  const old = t.currentRevision !== t.updateRevision && t.revisions[t.currentRevision] ? t.currentRevision : null;
  for (let i = 0; i < decision.scaleUp; i++) startCreate(run, t, old && i < decision.scaleUpOldRevision ? old : t.updateRevision);
  for (const name of decision.scaleDown) {
    const pod = round.pods[name];
    if (pod) startDelete(run, t, pod);
  }
  const batch: RoundPod[] = [];
  const plans: Record<string, RevisionPlan> = {};
  for (const u of decision.update) {
    const pod = round.pods[u.name];
    if (!pod) continue;
    const plan = t.revisions[pod.revision ?? ''];
    if (u.action !== 'inPlace' || !plan) startRecreate(run, t, pod);
    else if (t.spec.hooks?.inPlaceUpdate !== undefined) startHookedInPlace(run, t, pod, plan);
    else {
      batch.push(pod);
      plans[pod.revision ?? ''] = plan; // by revision: the same for every Pod on it
    }
  }
  if (batch.length > 0) startInPlaceBatch(run, t, batch, plans);
  run.render();
}

/** How the run ends: failed (once lanes settle), continued as new, or completed (Aborted / RolledBack by the controls). */
async function finish(run: RunState, input: RolloutInput, controls: Controls, canary: Canary): Promise<RolloutResult> {
  const { progress } = run;
  if (run.failure) {
    // Lanes mid-step settle first, so no Pod is abandoned half-way by this run.
    await condition(() => run.lanes === 0);
    await condition(allHandlersFinished); // Updates in flight answer before the run closes
    const failure = failed(run, run.failure);
    await canary.settle('Failed');
    await run.reporter.flush();
    throw failure;
  }
  if (run.handingOver) {
    await canary.settle(null);
    await condition(allHandlersFinished);
    return continueAsNew<typeof rolloutCloneSet>(nextRunInput(input, run, controls, canary.carry()));
  }
  const t = run.target;
  run.setPhase(RolloutPhase.Completed); // the controls make it Aborted / RolledBack
  run.render();
  const outcome = progress.phase as RolloutOutcome;
  await canary.settle(outcome);
  await condition(allHandlersFinished);
  await run.reporter.flush(); // a fleet parent has the last counts before the result
  log.info('rollout completed', { toRevision: t.updateRevision, workflowId: workflowInfo().workflowId });
  return {
    namespace: t.namespace,
    name: t.name,
    outcome,
    fromRevision: progress.fromRevision ?? t.currentRevision,
    toRevision: t.updateRevision,
    ...run.totals(),
    ...(input.carry ? { runs: input.carry.runs + 1 } : {}),
    durationMs: (progress.updatedAtMs ?? t.atMs) - (progress.startedAtMs ?? t.atMs),
    pods: progress.pods,
    ...(progress.podsOmitted ? { podsOmitted: progress.podsOmitted } : {}),
    ...controls.result(),
    ...(progress.canary ? { canary: progress.canary } : {}),
  };
}

/** The run ends as Failed: the progress record says so, and the failure's details say how far the rollout got. */
function failed(run: RunState, failure: ApplicationFailure): ApplicationFailure {
  const { progress } = run;
  progress.error = failure.message;
  run.setPhase(RolloutPhase.Failed);
  run.render();
  const details: RolloutFailureDetails = {
    outcome: 'Failed',
    namespace: progress.namespace,
    name: progress.name,
    fromRevision: progress.fromRevision,
    toRevision: progress.toRevision,
    ...run.totals(),
  };
  return ApplicationFailure.create({ message: failure.message, type: failure.type ?? undefined, nonRetryable: true, details: [details] });
}

/** The `plan` query: the remaining waves, simulated from the last observation (small CloneSets only: it needs every Pod). */
function installPlanQuery(run: RunState, controls: Controls, canary: Canary): void {
  setHandler(planQuery, () => {
    const obs = run.lastObservation;
    if (!obs?.all) return null;
    const t = run.target;
    const sim = simulateRollout({
      spec: applyOverrides(canary.held(t.spec), controls.state), // no side effects: a query must not change the workflow
      updateRevision: t.updateRevision,
      pods: obs.all,
      inFlight: run.inFlight,
      actionsByRevision: Object.fromEntries(Object.entries(t.revisions).map(([rev, p]) => [rev, p.action])),
      timings: { gracePeriodSeconds: t.spec.gracePeriodSeconds },
      startMs: obs.atMs,
      newPodName: (n) => `${t.name}-new-${n}`,
    });
    return { namespace: t.namespace, name: t.name, observedAtMs: obs.atMs, ...sim };
  });
}
