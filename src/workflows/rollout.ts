/**
 * `rolloutCloneSet`: one durable workflow per CloneSet rollout.
 *
 * The loop is observe → plan → act → wait. Observation is an activity (list Pods, refresh CloneSet status); the plan
 * is the pure planner in src/rollout, fed with the activity's clock so the workflow stays deterministic; each Pod
 * that moves runs in its own "lane" (an async function in this workflow) made of idempotent activities and durable
 * timers. Lanes finish independently, so the maxUnavailable window refills as soon as a Pod is available again.
 * Everything that must survive a crash is in this workflow's history or on the Pods themselves.
 */
import {
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  sleep,
  uuid4,
  workflowInfo,
  log,
  patched,
  upsertSearchAttributes,
  setCurrentDetails,
  allHandlersFinished,
  continueAsNew,
  setHandler,
} from '@temporalio/workflow';
import type { PlannedObservation, PodRef, RevisionPlan, RolloutTarget } from '../activities/types.js';
import { NonRetryable } from '../kube/error-types.js';
import {
  DecisionPhase,
  describeHookWait,
  formatErrors,
  instanceIdFrom,
  LifecycleState,
  parseRolloutInput,
  planStep,
  podsToResume,
  resumeWait,
  simulateRollout,
  imagesOfRevision,
  blockingReasons,
  type RoundPod,
  type HookWait,
  type InFlight,
  type PodView,
  type RolloutDecision,
  type RolloutInput,
} from '../rollout/index.js';
import { planQuery, PodStep, RolloutPhase, type ControlsState, type PodProgress, type RolloutProgress, type RolloutResult } from './messages.js';
import { applyOverrides } from './controls-state.js';
import { CloneSetNameKey, CloneSetNamespaceKey, RolloutPhaseKey, TargetRevisionKey } from './search-attributes.js';
import { renderDetails } from './details.js';
import { installControls } from './controls.js';
import { api, apiOptions, localBatch, localBatchOptions, waitOptions, waits } from './activities.js';

/** The observation carries every Pod (for the `plan` query) up to this many; beyond, only the ones a round needs. */
const FULL_PODS_UP_TO = 200;

/** One observation and the planner's decision on it, with the Pods the round acts on (see observeRound). */
type Round = PlannedObservation;

/**
 * A run continues as new once its history has this many events (input `historyEventsLimit` overrides): below the
 * 4,096 at which the server suggests it, with room for the Pods in flight to finish first.
 */
const HISTORY_EVENTS_LIMIT = 3000;

/** Settled Pods the progress record keeps (beyond those in flight); older ones are counted, not listed. */
const PODS_KEPT = 250;

/** How often the loop re-observes when nothing else wakes it (external changes to Pods). */
const RESYNC_MS = 5_000;

/** The root ApplicationFailure of an activity error, re-raised non-retryably with its type and message. */
function toFailure(err: unknown, fallbackType: string, prefix = ''): ApplicationFailure {
  const cause = err instanceof ApplicationFailure ? err : (err as { cause?: unknown })?.cause;
  const type = cause instanceof ApplicationFailure ? cause.type : undefined;
  const message = (cause as Error | undefined)?.message ?? (err as Error)?.message ?? String(err);
  return ApplicationFailure.nonRetryable(`${prefix}${message}`, type ?? fallbackType);
}

export async function rolloutCloneSet(rawInput: RolloutInput): Promise<RolloutResult> {
  const parsed = parseRolloutInput(rawInput);
  if (!parsed.ok) {
    throw ApplicationFailure.nonRetryable(`invalid rollout input: ${formatErrors(parsed.errors)}`, NonRetryable.InvalidSpec);
  }
  const input = parsed.value;
  const progress: RolloutProgress = {
    phase: RolloutPhase.Preparing,
    namespace: input.namespace,
    name: input.name,
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
  // controls: pause/resume/setPartition/setMaxUnavailable/abort/retarget Updates, and the progress query with
  // controls, timing and window (src/workflows/controls.ts). Before the first await.
  const carry = input.carry;
  if (carry) {
    progress.fromRevision = carry.fromRevision;
    progress.startedAtMs = carry.startedAtMs;
    progress.earlierRuns = { runs: carry.runs, ...carry.totals };
  }
  const controls = installControls(progress, carry?.controls as ControlsState | undefined);
  /** The last observation, for the `plan` query (which needs every Pod: kept for small CloneSets only). */
  let lastObs: Round | null = null;
  setHandler(planQuery, () => {
    if (!lastObs?.all) return null;
    const sim = simulateRollout({
      spec: applyOverrides(target.spec, controls.state), // no side effects: a query must not change the workflow
      updateRevision: target.updateRevision,
      pods: lastObs.all,
      inFlight,
      actionsByRevision: Object.fromEntries(Object.entries(target.revisions).map(([rev, p]) => [rev, p.action])),
      timings: { gracePeriodSeconds: target.spec.gracePeriodSeconds },
      startMs: lastObs.atMs,
      newPodName: (n) => `${target.name}-new-${n}`,
    });
    return { namespace: target.namespace, name: target.name, observedAtMs: lastObs.atMs, ...sim };
  });

  let target: RolloutTarget;
  try {
    target = await api.prepareRollout(input);
  } catch (err) {
    // Surface the activity's own type and message at the top of the workflow failure (what `temporal workflow
    // result` and the client show), not an ActivityFailure wrapper.
    throw toFailure(err, 'PrepareFailed');
  }
  progress.fromRevision ??= target.currentRevision;
  progress.startedAtMs ??= target.atMs;
  applyTarget(target);

  /** Pods with a running lane, by name. */
  const inFlight: Record<string, InFlight> = {};
  /** Each running lane's cancellation scope, by Pod name (a lane heading to a superseded revision is cancelled). */
  const scopes: Record<string, CancellationScope> = {};
  /** Pods this run moved to the end (Done), by name: what the totals count (the progress record is bounded). */
  const doneAs: Record<string, PodProgress['action']> = {};
  /** Set once this run decided to continue as new (see historyTooLong). */
  let handingOver = false;
  const historyLimit = input.historyEventsLimit ?? HISTORY_EVENTS_LIMIT;
  const historyTooLong = () => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength >= historyLimit;
  /** Activity-clock time of the last Pod step (progressDeadlineSeconds counts from it). */
  let lastProgressAtMs = target.atMs;
  /** Set once rollbackOnFailure started a rollback: the stuck rollout moves (backwards) again. */
  let rollingBackOnFailure = false;
  /** Since when the rollout is stuck (no step for progressDeadlineSeconds), or null. */
  let stuckSinceMs: number | null = null;
  let wake = false;
  let failure: ApplicationFailure | null = null;

  function applyTarget(t: RolloutTarget) {
    progress.toRevision = t.updateRevision;
    progress.strategy = t.spec.type;
    upsertSearchAttributes([
      { key: CloneSetNamespaceKey, value: t.namespace },
      { key: CloneSetNameKey, value: t.name },
      { key: TargetRevisionKey, value: t.updateRevision },
    ]);
  }

  function setPhase(loopPhase: RolloutPhase) {
    const phase = controls.phase(loopPhase); // controls: e.g. Updating → RollingBack
    if (progress.phase === phase) return;
    progress.phase = phase;
    upsertSearchAttributes([{ key: RolloutPhaseKey, value: phase }]);
  }

  function mark(name: string, step: PodStep, atMs: number | null = progress.updatedAtMs, render = true) {
    const p = progress.pods[name];
    if (!p) return;
    p.step = step;
    if (inFlight[name]) inFlight[name].step = step;
    p.steps.push({ step, atMs: atMs ?? 0 });
    if (step === PodStep.Done && !p.replaces) doneAs[name] = p.action;
    if (atMs !== null && atMs > lastProgressAtMs) lastProgressAtMs = atMs;
    if (render) setCurrentDetails(renderDetails(progress));
  }

  /** The same step for a batch of Pods, the details rendered once. */
  function markAll(names: readonly string[], step: PodStep, atMs: number | null = progress.updatedAtMs) {
    for (const n of names) mark(n, step, atMs, false);
    setCurrentDetails(renderDetails(progress));
  }

  function track(name: string, action: PodProgress['action'], revision: string) {
    progress.pods[name] = { action, step: PodStep.Pending, revision, steps: [] };
    inFlight[name] = { action, step: PodStep.Pending };
    if (Object.keys(progress.pods).length > 2 * PODS_KEPT) forgetSettledPods();
  }

  /**
   * Keeps the progress record (queries, UI, result) bounded however many Pods the run moves: Pods in flight stay,
   * and of the settled ones (Done, Failed) the PODS_KEPT most recent. The totals are kept apart (doneAs).
   */
  function forgetSettledPods() {
    const settled = Object.entries(progress.pods)
      .filter(([n, p]) => !inFlight[n] && (p.step === PodStep.Done || p.step === PodStep.Failed))
      .map(([n, p]) => ({ n, at: p.steps[p.steps.length - 1]?.atMs ?? 0 }))
      .sort((a, b) => a.at - b.at || (a.n < b.n ? -1 : 1));
    for (const { n } of settled.slice(0, Math.max(0, settled.length - PODS_KEPT))) {
      delete progress.pods[n];
      progress.podsOmitted = (progress.podsOmitted ?? 0) + 1;
    }
  }

  /** Runs a lane; a Pod that vanished under us is recorded and re-planned, anything else fails the rollout. */
  function launch(name: string, lane: () => Promise<void>) {
    const scope = new CancellationScope();
    scopes[name] = scope;
    scope
      .run(lane)
      .catch((err: unknown) => {
        if (isCancellation(err)) {
          // Superseded by a newer target: the Pod is re-planned toward it (see the generation change below).
          const p = progress.pods[name];
          if (p) p.error = 'superseded by a newer CloneSet spec';
          return;
        }
        const type = err instanceof ApplicationFailure ? err.type : (err as { cause?: ApplicationFailure })?.cause?.type;
        const message = (err as { cause?: Error })?.cause?.message ?? (err as Error)?.message ?? String(err);
        const p = progress.pods[name];
        if (p) {
          p.error = message;
          mark(name, PodStep.Failed);
        }
        if (type !== NonRetryable.PodGone) {
          failure ??= ApplicationFailure.nonRetryable(`Pod ${name}: ${message}`, type ?? 'RolloutFailed');
        }
      })
      .finally(() => {
        delete inFlight[name];
        delete scopes[name];
        wake = true;
      });
  }

  /**
   * Runs one lane for several Pods (a batch that starts together). `release(name)` hands a Pod's window slot back
   * as soon as that Pod is done; whatever is left is released when the lane ends. A failure that is not about one
   * Pod being gone fails the rollout, as a single lane's does.
   */
  function launchBatch(names: string[], lane: (release: (name: string) => void) => Promise<void>) {
    const scope = new CancellationScope();
    for (const n of names) scopes[n] = scope;
    const release = (n: string) => {
      if (scopes[n] !== scope) return;
      delete inFlight[n];
      delete scopes[n];
      wake = true;
    };
    scope
      .run(() => lane(release))
      .catch((err: unknown) => {
        const open = names.filter((n) => scopes[n] === scope);
        if (isCancellation(err)) {
          for (const n of open) if (progress.pods[n]) progress.pods[n]!.error = 'superseded by a newer CloneSet spec';
          return;
        }
        const type = err instanceof ApplicationFailure ? err.type : (err as { cause?: ApplicationFailure })?.cause?.type;
        const message = (err as { cause?: Error })?.cause?.message ?? (err as Error)?.message ?? String(err);
        for (const n of open) {
          const p = progress.pods[n];
          if (p) {
            p.error = message;
            mark(n, PodStep.Failed);
          }
        }
        if (type !== NonRetryable.PodGone) {
          failure ??= ApplicationFailure.nonRetryable(`Pods ${open.join(', ')}: ${message}`, type ?? 'RolloutFailed');
        }
      })
      .finally(() => {
        for (const n of names) release(n);
        wake = true;
      });
  }

  const ref = (pod: { name: string; uid: string }): PodRef => ({ namespace: target.namespace, name: pod.name, uid: pod.uid });

  /** Ready (gate True) and then available after minReadySeconds, the last part of every lane. */
  async function untilAvailable(r: PodRef) {
    mark(r.name, PodStep.WaitingReady);
    const ready = await waits.waitPodReady(r);
    const remaining = ready.readySinceMs + target.spec.minReadySeconds * 1000 - ready.atMs;
    if (remaining > 0) {
      mark(r.name, PodStep.MinReady, ready.atMs);
      await sleep(remaining, { summary: `minReadySeconds: ${r.name} available in ${Math.ceil(remaining / 1000)}s` });
    }
    mark(r.name, PodStep.Done, ready.atMs + Math.max(0, remaining));
  }

  /**
   * Lifecycle hook (spec.lifecycle): hold the Pod in `state` until an external actor releases it (or, for Updated,
   * hooks it again). The wait is an activity that heartbeats, so it survives a worker kill and resumes watching.
   */
  async function holdForHook(r: PodRef, wait: HookWait, markNotReady = false): Promise<boolean> {
    mark(r.name, PodStep.Hooked);
    const held = await waits.awaitLifecycleHook.executeWithOptions(
      { ...waitOptions, summary: `${r.name}: ${describeHookWait(wait)}` },
      [{ ...r, ...wait, markNotReady }],
    );
    if (held.held) mark(r.name, PodStep.Hooked, held.atMs);
    return held.held;
  }

  async function inPlaceLane(pod: RoundPod, plan: RevisionPlan) {
    const r = ref(pod);
    const revision = target.updateRevision;
    const hook = target.spec.hooks?.inPlaceUpdate;
    const hooked = hook !== undefined && patched('lifecycle-hooks')
      ? await holdForHook(r, { state: LifecycleState.PreparingUpdate, until: 'released', hook }, hook.markPodNotReady ?? false)
      : false;
    mark(pod.name, PodStep.GateOff);
    const off = await api.markPodNotReady.executeWithOptions({ ...apiOptions, summary: `${pod.name}: InPlaceUpdateReady=False` }, [r]);
    const grace = target.spec.gracePeriodSeconds;
    // The grace counts from when the gate really went False: a retried step (worker killed after the write) or a
    // Pod left drained by an earlier run must not start it over.
    const drained = off.offSinceMs === undefined ? 0 : Math.max(0, off.atMs - off.offSinceMs);
    const remaining = grace * 1000 - drained;
    if (remaining > 0) {
      mark(pod.name, PodStep.Grace, off.atMs);
      await sleep(remaining, { summary: `grace ${grace}s before patching ${pod.name}` });
    }
    mark(pod.name, PodStep.Patching);
    const applied = await api.patchPodInPlace.executeWithOptions(
      { ...apiOptions, summary: `${pod.name}: patch ${Object.entries(plan.images).map(([c, i]) => `${c}=${i}`).join(', ')}` },
      [{ ...r, revision, images: plan.images, labels: plan.labels, annotations: plan.annotations }],
    );
    mark(pod.name, PodStep.Restarting, applied.atMs);
    await waits.waitPodUpdated({ ...r, images: plan.images, previousImageIDs: applied.previousImageIDs });
    if (hooked && hook) {
      // Kruise's order: gate True in lifecycle Updated, then Normal once the actor has put its hook back.
      const updated = await api.markPodReady.executeWithOptions({ ...apiOptions, summary: `${pod.name}: InPlaceUpdateReady=True (Updated)` }, [
        { ...r, lifecycle: LifecycleState.Updated },
      ]);
      mark(pod.name, PodStep.GateOn, updated.atMs);
      await holdForHook(r, { state: LifecycleState.Updated, until: 'rehooked', hook });
    }
    const on = await api.markPodReady.executeWithOptions({ ...apiOptions, summary: `${pod.name}: InPlaceUpdateReady=True` }, [r]);
    mark(pod.name, PodStep.GateOn, on.atMs);
    await untilAvailable(r);
  }

  /**
   * The in-place lane for a batch of Pods picked in the same round: each step is one activity for all of them
   * (gate off, one grace timer, patch, then a watch-driven wait that hands each Pod back as it comes up), so a wave
   * costs a handful of history events whatever its size. Pods become available and free their slots in groups.
   */
  async function inPlaceBatchLane(pods: RoundPod[], plans: Record<string, RevisionPlan>, release: (name: string) => void) {
    const revision = target.updateRevision;
    const namespace = target.namespace;
    // Plain names and uids, revision plans once per revision: the history grows by a few dozen bytes a Pod.
    let live = pods.map((p) => ({ name: p.name, uid: p.uid, from: p.revision ?? '' }));
    const names = () => live.map((p) => p.name);
    const summary = (what: string) => `${live.length === 1 ? live[0]!.name : `${live.length} Pods`}: ${what}`;
    const drop = (gone: Record<string, string>) => {
      for (const [n, why] of Object.entries(gone)) {
        const p = progress.pods[n];
        if (p) {
          p.error = why;
          mark(n, PodStep.Failed, progress.updatedAtMs, false);
        }
        release(n);
      }
      live = live.filter((r) => !(r.name in gone));
    };
    markAll(names(), PodStep.GateOff);
    const off = await localBatch.markPodsNotReady.executeWithOptions({ ...localBatchOptions, summary: summary('InPlaceUpdateReady=False') }, [
      { namespace, pods: live.map(({ name, uid }) => ({ name, uid })) },
    ]);
    drop(off.gone);
    if (live.length === 0) return;
    // One grace timer for the batch: until the last Pod to go not-ready has had its grace (see inPlaceLane).
    const grace = target.spec.gracePeriodSeconds;
    let remaining = 0;
    for (const r of live) remaining = Math.max(remaining, grace * 1000 - Math.max(0, off.atMs - off.results[r.name]!));
    if (remaining > 0) {
      markAll(names(), PodStep.Grace, off.atMs);
      await sleep(remaining, { summary: summary(`grace ${grace}s before patching`) });
    }
    markAll(names(), PodStep.Patching);
    const from = [...new Set(live.map((p) => p.from))].sort();
    const applied = await localBatch.patchPodsInPlace.executeWithOptions({ ...localBatchOptions, summary: summary(`patch to ${revision}`) }, [
      {
        namespace,
        revision,
        plans: Object.fromEntries(from.map((rev) => [rev, { images: plans[rev]!.images, labels: plans[rev]!.labels, annotations: plans[rev]!.annotations }])),
        pods: live,
      },
    ]);
    drop(applied.gone);
    markAll(names(), PodStep.Restarting, applied.atMs);
    let waiting = live.map(({ name, uid }) => ({ name, uid }));
    const groups: Promise<void>[] = [];
    while (waiting.length > 0) {
      const done = await waits.finishPodsInPlace.executeWithOptions({ ...waitOptions, summary: `${waiting.length} Pod(s): containers, InPlaceUpdateReady=True, Ready` }, [
        { namespace, selector: target.selector, revision, pods: waiting },
      ]);
      drop(done.gone);
      const ready = Object.keys(done.ready);
      if (ready.length > 0) {
        markAll(ready, PodStep.GateOn, done.atMs);
        groups.push(availableThenRelease(ready, done.ready, done.atMs, release));
      }
      const pending = new Set(done.pending);
      waiting = waiting.filter((p) => pending.has(p.name));
    }
    await Promise.all(groups);
  }

  /** minReadySeconds for a group of Ready Pods (one timer: the last of them to be available), then their slots go back. */
  async function availableThenRelease(names: string[], readySince: Record<string, number>, atMs: number, release: (name: string) => void) {
    let remaining = 0;
    for (const n of names) remaining = Math.max(remaining, readySince[n]! + target.spec.minReadySeconds * 1000 - atMs);
    if (remaining > 0) {
      markAll(names, PodStep.MinReady, atMs);
      await sleep(remaining, { summary: `minReadySeconds: ${names.length} Pod(s) available in ${Math.ceil(remaining / 1000)}s` });
    }
    markAll(names, PodStep.Done, atMs + Math.max(0, remaining));
    for (const n of names) release(n);
  }

  /** Finishes a Pod an earlier run left at the update revision but not ready: containers, then gate True. */
  async function resumeLane(pod: PodView) {
    const r = ref(pod);
    const wait = resumeWait(pod, target.updateRevision);
    mark(pod.name, PodStep.Restarting);
    await waits.waitPodUpdated({ ...r, ...wait });
    const hook = target.spec.hooks?.inPlaceUpdate;
    if (pod.lifecycleState === LifecycleState.Updated && hook !== undefined && patched('lifecycle-hooks')) {
      await holdForHook(r, { state: LifecycleState.Updated, until: 'rehooked', hook });
    }
    const on = await api.markPodReady.executeWithOptions({ ...apiOptions, summary: `${pod.name}: InPlaceUpdateReady=True (resumed)` }, [r]);
    mark(pod.name, PodStep.GateOn, on.atMs);
    await untilAvailable(r);
  }

  async function createLane(name: string, instanceId: string, revision: string) {
    mark(name, PodStep.Creating);
    const created = await api.createPod({ namespace: target.namespace, cloneSetName: target.name, cloneSetUid: target.uid, revision, instanceId });
    const r = { namespace: target.namespace, name, uid: created.uid };
    await api.markPodReady(r);
    await untilAvailable(r);
  }

  async function deleteLane(pod: RoundPod, reason: string) {
    const hook = target.spec.hooks?.preDelete;
    if (hook !== undefined && patched('lifecycle-hooks')) {
      await holdForHook(ref(pod), { state: LifecycleState.PreparingDelete, until: 'released', hook }, hook.markPodNotReady ?? false);
    }
    mark(pod.name, PodStep.Deleting);
    const gone = await waits.deletePod({ ...ref(pod), cloneSet: { name: target.name, uid: target.uid }, reason });
    mark(pod.name, PodStep.Done, gone.atMs);
  }

  async function recreateLane(pod: RoundPod) {
    await deleteLane(pod, 'recreate');
    // Hand the slot over in one synchronous step: the old Pod leaves the in-flight set as its replacement enters.
    const { name, instanceId } = newPodName();
    delete inFlight[pod.name];
    track(name, 'create', target.updateRevision);
    progress.pods[name]!.replaces = pod.name;
    try {
      await createLane(name, instanceId, target.updateRevision);
    } finally {
      delete inFlight[name];
    }
  }

  function newPodName() {
    const instanceId = instanceIdFrom(uuid4());
    return { name: `${target.name}-${instanceId}`, instanceId };
  }

  /**
   * One observation and the planner's decision on it (before the controls' gate). The planner runs in the observing
   * activity, next to the Pods, so only the Pods the round acts on enter the history (patched: older histories
   * observed every Pod and planned here).
   */
  async function observeRound(): Promise<Round> {
    if (patched('plan-in-observe')) {
      const spec = controls.plan(target);
      const r = await api.observePlan({ target, spec, inFlight, fromRevision: progress.fromRevision, fullPodsUpTo: FULL_PODS_UP_TO });
      controls.knowPreviousImages(r.previousImages);
      return r;
    }
    const obs = await api.observe({ target });
    const byName = Object.fromEntries(obs.pods.map((p) => [p.name, p]));
    const round = { atMs: obs.atMs, generation: obs.generation, all: obs.pods, ready: obs.pods.filter((p) => p.ready && !p.deleting).length, previousImages: null };
    if (obs.generation !== target.generation) return { ...round, decision: null, pods: {}, orphans: [], orphanPods: {}, blocking: {} };
    controls.knowPreviousImages(imagesOfRevision(obs.pods, progress.fromRevision));
    const decision = planStep({
      spec: controls.plan(target),
      updateRevision: target.updateRevision,
      pods: obs.pods,
      inFlight,
      nowMs: obs.atMs,
      actionsByRevision: Object.fromEntries(Object.entries(target.revisions).map(([rev, p]) => [rev, p.action])),
    });
    return {
      ...round,
      decision,
      pods: byName,
      orphans: podsToResume(obs.pods, target.updateRevision, inFlight),
      orphanPods: byName,
      blocking: Object.fromEntries(obs.pods.map((p) => [p.name, blockingReasons(p)])),
    };
  }

  for (;;) {
    if (failure) break;
    let obs: Round;
    try {
      obs = await observeRound();
    } catch (err) {
      // The CloneSet is gone (or anything else non-retryable): stop taking Pods; lanes in flight finish below.
      failure = toFailure(err, 'ObserveFailed');
      break;
    }
    progress.updatedAtMs = obs.atMs;
    lastObs = obs;
    if (obs.generation !== target.generation || obs.decision === null) {
      // The CloneSet changed under us: Pods in flight finish, then everything moves toward the newest revision.
      target = await api.prepareRollout({ namespace: target.namespace, name: target.name });
      applyTarget(target);
      if (patched('cancel-superseded-lanes')) {
        // In-place lanes still in their grace period or waiting for containers of a revision that is no longer the
        // target (e.g. an image that can't be pulled, fixed by a new spec) are cancelled; their Pods are re-planned
        // toward the new target (drained already, they cost no budget and their grace is not started over).
        for (const [name, f] of Object.entries(inFlight)) {
          const heading = progress.pods[name]?.revision;
          if (f.action === 'inPlace' && heading !== target.updateRevision && (f.step === PodStep.Grace || f.step === PodStep.Restarting)) {
            log.info('cancelling a lane of a superseded revision', { pod: name, revision: heading, target: target.updateRevision });
            scopes[name]?.cancel();
          }
        }
        lastProgressAtMs = Math.max(lastProgressAtMs, target.atMs);
        if (stuckSinceMs !== null) {
          stuckSinceMs = null;
          progress.error = null;
          setPhase(RolloutPhase.Updating);
          await api.setProgressing({
            namespace: target.namespace,
            name: target.name,
            uid: target.uid,
            status: 'True',
            reason: 'CloneSetUpdated',
            message: `new spec: rolling to revision ${target.updateRevision}`,
          });
        }
      }
      continue;
    }
    // controls: overrides in the spec, nothing new starts while held.
    const decision = controls.gate(obs.decision, Object.keys(inFlight).length);
    progress.counts = {
      desired: decision.counts.desired,
      total: decision.counts.current,
      updated: decision.counts.updated,
      ready: obs.ready,
      available: decision.counts.available,
      unavailable: decision.unavailable,
    };
    progress.window = decision.budget;
    progress.waiting = decision.waiting || null;
    if (controls.finished(Object.keys(inFlight).length)) break; // controls: planner done, or aborted
    // Long rollouts continue as new before the history grows too long: no new Pod is taken, the Pods in flight
    // finish, then a fresh run (same workflow ID) carries on from the cluster's state.
    if (!handingOver && controls.canContinueAsNew() && historyTooLong() && patched('continue-as-new')) {
      handingOver = true;
      log.info('continuing as new: Pods in flight finish first', { historyLength: workflowInfo().historyLength, inFlight: Object.keys(inFlight).length });
    }
    if (handingOver) {
      if (Object.keys(inFlight).length === 0) break;
      progress.waiting = `continuing as new once ${Object.keys(inFlight).length} Pod(s) in flight finish`;
      setCurrentDetails(renderDetails(progress));
      wake = false;
      await condition(() => wake || failure !== null, RESYNC_MS);
      continue;
    }
    if (decision.scaleUp > 0 || decision.scaleDown.length > 0 || decision.update.length > 0) {
      log.debug('plan', {
        generation: target.generation,
        counts: decision.counts,
        budget: decision.budget,
        scaleUp: decision.scaleUp,
        scaleDown: decision.scaleDown,
        update: decision.update.map((u) => u.name),
        inFlight: Object.keys(inFlight),
      });
    }

    const byName = obs.pods;

    // Progress deadline: no Pod step for progressDeadlineSeconds while lanes wait on the kubelet (not on our own
    // timers) → stop taking new Pods, say so on the CloneSet, and wait for a new spec (or for the Pods to move).
    const deadline = target.spec.progressDeadlineSeconds;
    if (deadline !== null && patched('progress-deadline')) {
      const timerDriven = Object.values(inFlight).some((f) => f.step === PodStep.Grace || f.step === PodStep.MinReady || f.step === PodStep.Hooked);
      const working = Object.keys(inFlight).length > 0 || !decision.done;
      if (stuckSinceMs === null && working && !timerDriven && obs.atMs - lastProgressAtMs > deadline * 1000) {
        stuckSinceMs = obs.atMs;
        const blocking = Object.keys(inFlight)
          .sort()
          .map((n) => {
            const why = obs.blocking[n] ?? [];
            return `${n}${why.length > 0 ? ` (${why.join(', ')})` : ''}`;
          });
        const message = `no Pod progressed for ${deadline}s (progressDeadlineSeconds)${blocking.length > 0 ? `; waiting on ${blocking.join('; ')}` : ''}; no new Pods are taken until the CloneSet spec changes`;
        setPhase(RolloutPhase.Stuck);
        progress.error = message;
        log.warn('rollout stuck', { deadline, blocking, revision: target.updateRevision });
        await api.setProgressing({ namespace: target.namespace, name: target.name, uid: target.uid, status: 'False', reason: 'ProgressDeadlineExceeded', message });
        // Opt-in: take the updated Pods back to the starting revision in place instead of waiting for a new spec.
        if (input.rollbackOnFailure && (await controls.rollbackOnFailure())) {
          rollingBackOnFailure = true;
          log.warn('rolling back after the progress deadline (rollbackOnFailure)', { revision: target.updateRevision });
        }
      } else if (stuckSinceMs !== null && lastProgressAtMs > stuckSinceMs) {
        stuckSinceMs = null;
        progress.error = null;
        setPhase(RolloutPhase.Updating);
        await api.setProgressing({ namespace: target.namespace, name: target.name, uid: target.uid, status: 'True', reason: 'CloneSetUpdated', message: 'Pods are moving again' });
      }
    }
    progress.waiting = stuckSinceMs !== null ? progress.error : progress.waiting;
    if (stuckSinceMs !== null && !rollingBackOnFailure) {
      setCurrentDetails(renderDetails(progress));
      wake = false;
      await condition(() => wake || failure !== null, RESYNC_MS);
      continue;
    }
    // Pods an earlier run left half-way (at the update revision, not handed back): finish them. They are unavailable
    // already, so they cost no window budget. (Patched: histories from before this step never took it.)
    const orphans = obs.orphans;
    if (orphans.length > 0 && patched('resume-orphaned-pods')) {
      for (const name of orphans) {
        const pod = obs.orphanPods[name]!;
        log.info('resuming a Pod left half-way by an earlier run', { pod: name, revision: target.updateRevision });
        track(name, 'inPlace', target.updateRevision);
        launch(name, () => resumeLane(pod));
      }
    }
    if (decision.scaleUp > 0 || decision.scaleDown.length > 0) setPhase(RolloutPhase.Scaling);
    else if (decision.update.length > 0) setPhase(RolloutPhase.Updating);
    else if (decision.phase === DecisionPhase.Paused && patched('spec-paused-phase')) setPhase(RolloutPhase.Paused); // spec.updateStrategy.paused
    for (let i = 0; i < decision.scaleUp; i++) {
      const { name, instanceId } = newPodName();
      track(name, 'create', target.updateRevision);
      launch(name, () => createLane(name, instanceId, target.updateRevision));
    }
    for (const name of decision.scaleDown) {
      const pod = byName[name];
      if (!pod) continue;
      track(name, 'delete', pod.revision ?? '');
      launch(name, () => deleteLane(pod, 'scale down'));
    }
    const batched: RoundPod[] = [];
    const batchPlans: Record<string, RevisionPlan> = {};
    for (const u of decision.update) {
      const pod = byName[u.name];
      if (!pod) continue;
      const plan = target.revisions[pod.revision ?? ''];
      if (u.action === 'inPlace' && plan && target.spec.hooks?.inPlaceUpdate === undefined && patched('batched-in-place')) {
        // Pods that start together go together: one batch lane (hooks hold Pods one by one, so not with hooks).
        track(pod.name, 'inPlace', target.updateRevision);
        batched.push(pod);
        batchPlans[pod.revision ?? ''] = plan; // by revision: the same for every Pod on it
      } else if (u.action === 'inPlace' && plan) {
        track(pod.name, 'inPlace', target.updateRevision);
        launch(pod.name, () => inPlaceLane(pod, plan));
      } else {
        track(pod.name, 'recreate', target.updateRevision);
        launch(pod.name, () => recreateLane(pod));
      }
    }
    if (batched.length > 0) {
      launchBatch(
        batched.map((p) => p.name),
        (release) => inPlaceBatchLane(batched, batchPlans, release),
      );
    }
    setCurrentDetails(renderDetails(progress));
    wake = false;
    const timeout = decision.nextCheckAtMs === null ? RESYNC_MS : decision.nextCheckAtMs - obs.atMs;
    await condition(
      () => wake || failure !== null || controls.woke(),
      controls.waitMs(Math.max(100, Math.min(timeout, RESYNC_MS)), Object.keys(inFlight).length),
    );
  }

  if (failure) {
    // Let lanes that are mid-step settle so no Pod is abandoned half-way by this run.
    await condition(() => Object.keys(inFlight).length === 0);
    await condition(allHandlersFinished); // controls: Updates in flight answer before the run closes
    progress.phase = RolloutPhase.Failed;
    progress.error = (failure as ApplicationFailure).message;
    upsertSearchAttributes([{ key: RolloutPhaseKey, value: RolloutPhase.Failed }]);
    throw failure;
  }
  const count = (action: PodProgress['action']) => Object.values(doneAs).filter((a) => a === action).length;
  const earlier = carry?.totals ?? { updatedInPlace: 0, recreated: 0, created: 0, deleted: 0 };
  const totals = {
    updatedInPlace: earlier.updatedInPlace + count('inPlace'),
    recreated: earlier.recreated + count('recreate'),
    created: earlier.created + count('create'),
    deleted: earlier.deleted + count('delete'),
  };
  if (handingOver) {
    await condition(allHandlersFinished); // controls: Updates in flight answer before the run closes
    const next: RolloutInput = {
      namespace: input.namespace,
      name: input.name,
      // images / revision were applied to the template by the first run: not again.
      ...(input.rollbackOnFailure !== undefined ? { rollbackOnFailure: input.rollbackOnFailure } : {}),
      ...(input.historyEventsLimit !== undefined ? { historyEventsLimit: input.historyEventsLimit } : {}),
      carry: {
        runs: (carry?.runs ?? 0) + 1,
        startedAtMs: progress.startedAtMs,
        fromRevision: progress.fromRevision,
        totals,
        controls: { ...controls.state },
      },
    };
    log.info('continuing as new', { runs: next.carry!.runs, historyLength: workflowInfo().historyLength, totals });
    return continueAsNew<typeof rolloutCloneSet>(next);
  }
  setPhase(RolloutPhase.Completed); // controls: Aborted / RolledBack after abort
  setCurrentDetails(renderDetails(progress));
  await condition(allHandlersFinished); // controls: Updates in flight answer before the run closes
  log.info('rollout completed', { toRevision: target.updateRevision, workflowId: workflowInfo().workflowId });
  return {
    namespace: target.namespace,
    name: target.name,
    fromRevision: progress.fromRevision ?? target.currentRevision,
    toRevision: target.updateRevision,
    ...totals,
    ...(carry ? { runs: carry.runs + 1 } : {}),
    durationMs: (progress.updatedAtMs ?? target.atMs) - (progress.startedAtMs ?? target.atMs),
    pods: progress.pods,
    ...(progress.podsOmitted ? { podsOmitted: progress.podsOmitted } : {}),
    ...controls.result(), // controls: `aborted`
  };
}
