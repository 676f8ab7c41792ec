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
  condition,
  proxyActivities,
  setHandler,
  sleep,
  uuid4,
  workflowInfo,
  log,
  upsertSearchAttributes,
  setCurrentDetails,
} from '@temporalio/workflow';
import type { createActivities } from '../activities/index.js';
import type { PodRef, RevisionPlan, RolloutTarget } from '../activities/types.js';
import { NonRetryable } from '../kube/error-types.js';
import { formatErrors, instanceIdFrom, parseRolloutInput, planStep, type InFlight, type PodView, type RolloutInput } from '../rollout/index.js';
import { PodStep, RolloutPhase, progressQuery, type PodProgress, type RolloutProgress, type RolloutResult } from './messages.js';
import { CloneSetNameKey, CloneSetNamespaceKey, RolloutPhaseKey, TargetRevisionKey } from './search-attributes.js';
import { renderDetails } from './details.js';

type Activities = ReturnType<typeof createActivities>;

const retry = {
  initialInterval: '200ms',
  backoffCoefficient: 2,
  maximumInterval: '5s',
  nonRetryableErrorTypes: Object.values(NonRetryable),
};

/** Quick reads and writes. */
const apiOptions = { startToCloseTimeout: '30s', retry } as const;
const api = proxyActivities<Activities>(apiOptions);

/**
 * Waits on Pods: long but heartbeating every few hundred ms, so a killed worker's wait is retried on another worker
 * within the heartbeat timeout.
 */
const waits = proxyActivities<Activities>({ startToCloseTimeout: '1h', heartbeatTimeout: '5s', retry });

/** How often the loop re-observes when nothing else wakes it (external changes to Pods). */
const RESYNC_MS = 5_000;

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
  setHandler(progressQuery, () => progress);

  let target: RolloutTarget = await api.prepareRollout(input);
  progress.fromRevision = target.currentRevision;
  progress.startedAtMs = target.atMs;
  applyTarget(target);

  /** Pods with a running lane, by name. */
  const inFlight: Record<string, InFlight> = {};
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

  function setPhase(phase: RolloutPhase) {
    if (progress.phase === phase) return;
    progress.phase = phase;
    upsertSearchAttributes([{ key: RolloutPhaseKey, value: phase }]);
  }

  function mark(name: string, step: PodStep, atMs: number | null = progress.updatedAtMs) {
    const p = progress.pods[name];
    if (!p) return;
    p.step = step;
    if (inFlight[name]) inFlight[name].step = step;
    p.steps.push({ step, atMs: atMs ?? 0 });
    setCurrentDetails(renderDetails(progress));
  }

  function track(name: string, action: PodProgress['action'], revision: string) {
    progress.pods[name] = { action, step: PodStep.Pending, revision, steps: [] };
    inFlight[name] = { action, step: PodStep.Pending };
  }

  /** Runs a lane; a Pod that vanished under us is recorded and re-planned, anything else fails the rollout. */
  function launch(name: string, lane: () => Promise<void>) {
    lane()
      .catch((err: unknown) => {
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

  async function inPlaceLane(pod: PodView, plan: RevisionPlan) {
    const r = ref(pod);
    const revision = target.updateRevision;
    mark(pod.name, PodStep.GateOff);
    const off = await api.markPodNotReady.executeWithOptions({ ...apiOptions, summary: `${pod.name}: InPlaceUpdateReady=False` }, [r]);
    const grace = target.spec.gracePeriodSeconds;
    if (grace > 0) {
      mark(pod.name, PodStep.Grace, off.atMs);
      await sleep(grace * 1000, { summary: `grace ${grace}s before patching ${pod.name}` });
    }
    mark(pod.name, PodStep.Patching);
    const patched = await api.patchPodInPlace.executeWithOptions(
      { ...apiOptions, summary: `${pod.name}: patch ${Object.entries(plan.images).map(([c, i]) => `${c}=${i}`).join(', ')}` },
      [{ ...r, revision, images: plan.images, labels: plan.labels, annotations: plan.annotations }],
    );
    mark(pod.name, PodStep.Restarting, patched.atMs);
    await waits.waitPodUpdated({ ...r, images: plan.images, previousImageIDs: patched.previousImageIDs });
    const on = await api.markPodReady.executeWithOptions({ ...apiOptions, summary: `${pod.name}: InPlaceUpdateReady=True` }, [r]);
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

  async function deleteLane(pod: PodView, reason: string) {
    mark(pod.name, PodStep.Deleting);
    const gone = await waits.deletePod({ ...ref(pod), cloneSet: { name: target.name, uid: target.uid }, reason });
    mark(pod.name, PodStep.Done, gone.atMs);
  }

  async function recreateLane(pod: PodView) {
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

  for (;;) {
    if (failure) break;
    const obs = await api.observe({ target });
    progress.updatedAtMs = obs.atMs;
    if (obs.generation !== target.generation) {
      // The CloneSet changed under us: Pods in flight finish, then everything moves toward the newest revision.
      target = await api.prepareRollout({ namespace: target.namespace, name: target.name });
      applyTarget(target);
      continue;
    }
    const decision = planStep({
      spec: target.spec,
      updateRevision: target.updateRevision,
      pods: obs.pods,
      inFlight,
      nowMs: obs.atMs,
      actionsByRevision: Object.fromEntries(Object.entries(target.revisions).map(([rev, p]) => [rev, p.action])),
    });
    progress.counts = {
      desired: decision.counts.desired,
      total: decision.counts.current,
      updated: decision.counts.updated,
      ready: obs.pods.filter((p) => p.ready && !p.deleting).length,
      available: decision.counts.available,
      unavailable: decision.unavailable,
    };
    progress.window = decision.budget;
    progress.waiting = decision.waiting || null;
    if (decision.done && Object.keys(inFlight).length === 0) break;
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

    const byName = Object.fromEntries(obs.pods.map((p) => [p.name, p]));
    if (decision.scaleUp > 0 || decision.scaleDown.length > 0) setPhase(RolloutPhase.Scaling);
    else if (decision.update.length > 0) setPhase(RolloutPhase.Updating);
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
    for (const u of decision.update) {
      const pod = byName[u.name];
      if (!pod) continue;
      const plan = target.revisions[pod.revision ?? ''];
      if (u.action === 'inPlace' && plan) {
        track(pod.name, 'inPlace', target.updateRevision);
        launch(pod.name, () => inPlaceLane(pod, plan));
      } else {
        track(pod.name, 'recreate', target.updateRevision);
        launch(pod.name, () => recreateLane(pod));
      }
    }
    setCurrentDetails(renderDetails(progress));
    wake = false;
    const timeout = decision.nextCheckAtMs === null ? RESYNC_MS : decision.nextCheckAtMs - obs.atMs;
    await condition(() => wake || failure !== null, Math.max(100, Math.min(timeout, RESYNC_MS)));
  }

  if (failure) {
    // Let lanes that are mid-step settle so no Pod is abandoned half-way by this run.
    await condition(() => Object.keys(inFlight).length === 0);
    progress.phase = RolloutPhase.Failed;
    progress.error = (failure as ApplicationFailure).message;
    upsertSearchAttributes([{ key: RolloutPhaseKey, value: RolloutPhase.Failed }]);
    throw failure;
  }
  setPhase(RolloutPhase.Completed);
  setCurrentDetails(renderDetails(progress));
  const count = (action: PodProgress['action']) =>
    Object.values(progress.pods).filter((p) => p.action === action && p.step === PodStep.Done && !p.replaces).length;
  log.info('rollout completed', { toRevision: target.updateRevision, workflowId: workflowInfo().workflowId });
  return {
    namespace: target.namespace,
    name: target.name,
    fromRevision: progress.fromRevision ?? target.currentRevision,
    toRevision: target.updateRevision,
    updatedInPlace: count('inPlace'),
    recreated: count('recreate'),
    created: count('create'),
    deleted: count('delete'),
    durationMs: (progress.updatedAtMs ?? target.atMs) - (progress.startedAtMs ?? target.atMs),
    pods: progress.pods,
  };
}
