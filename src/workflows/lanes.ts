/**
 * The lanes: what the rollout does to a Pod, or to the Pods of one round together — create, delete, recreate, update
 * in place, finish a Pod an earlier run left half-way — as idempotent activities and durable timers, each lane in a
 * cancellation scope of its own. Lanes finish independently and hand each Pod's window slot back as soon as that Pod
 * is available again.
 *
 * Which target a lane reads: only the one it was launched with (`t`), before and after every await — its revision,
 * plans, hooks, grace period and minReadySeconds. A newer CloneSet spec never changes a lane under way; it reaches one
 * by cancellation alone ({@link cancelSuperseded}), after which its Pods are planned again toward the new target.
 */
import { CancellationScope, isCancellation, log, sleep, uuid4 } from '@temporalio/workflow';
import type { PodRef, RevisionPlan, RolloutTarget } from '../activities/types.js';
import { NonRetryable } from '../kube/error-types.js';
import { describeHookWait, instanceIdFrom, LifecycleState, resumeWait, type HookWait, type PodView, type RoundPod } from '../rollout/index.js';
import { api, apiOptions, failureOf, localBatch, localBatchOptions, waitOptions, waits } from './activities.js';
import { PodStep } from './messages.js';
import type { RunState } from './run-state.js';

const SUPERSEDED = 'superseded by a newer CloneSet spec';

/**
 * minReadySeconds up to this many are waited for inside the in-place batch's watching activity rather than with a
 * durable timer: a few seconds cost no history events, and are not rounded up to the server's timer precision
 * (about 1 s: `history.timerProcessorMaxTimeShift`).
 */
const HOLD_MIN_READY_UP_TO_S = 5;

/**
 * Runs `body` for `names` in a new cancellation scope. `release(name)` hands a Pod's slot back as soon as that Pod
 * is done; whatever is left is released when the lane ends. A cancelled lane (superseded) leaves its Pods to be
 * planned again; a Pod that vanished is recorded and planned again; any other error fails the rollout.
 */
function launch(run: RunState, names: readonly string[], body: (release: (name: string) => void) => Promise<void>): void {
  const scope = new CancellationScope();
  for (const n of names) run.scopes[n] = scope;
  const release = (n: string) => {
    if (run.scopes[n] !== scope) return;
    delete run.inFlight[n];
    delete run.scopes[n];
    run.wake();
  };
  scope
    .run(() => body(release))
    .catch((err: unknown) => {
      const open = names.filter((n) => run.scopes[n] === scope);
      if (isCancellation(err)) {
        for (const n of open) {
          const p = run.progress.pods[n];
          if (p) p.error ??= SUPERSEDED; // unless the canceller said why
        }
        return;
      }
      const { message, type } = failureOf(err);
      run.markFailed(open, message);
      if (type !== NonRetryable.PodGone) run.fail(`${open.length === 1 ? `Pod ${open[0]}` : `Pods ${open.join(', ')}`}: ${message}`, type ?? 'RolloutFailed');
    })
    .finally(() => {
      for (const n of names) release(n);
      run.wake();
    });
}

/**
 * Cancels the in-place lanes heading to a revision that is no longer the target while they wait on a grace period or
 * on containers (e.g. an image that can't be pulled, fixed by a new spec). Their Pods are planned again toward the
 * new target: drained already, they cost no window budget, and their grace is not started over.
 */
export function cancelSuperseded(run: RunState, revision: string): void {
  for (const [name, f] of Object.entries(run.inFlight)) {
    const heading = run.progress.pods[name]?.revision;
    if (f.action === 'inPlace' && heading !== revision && (f.step === PodStep.Grace || f.step === PodStep.Restarting)) {
      log.info('cancelling a lane of a superseded revision', { pod: name, revision: heading, target: revision });
      run.scopes[name]?.cancel();
    }
  }
}

/**
 * Lets go of the lanes that wait on the kubelet (containers, Ready) of a rollout aborted while stuck: their Pods stay
 * as they are (at the target revision, not Ready), named with the reason in the progress record and the result.
 */
export function abandonStuckLanes(run: RunState): void {
  for (const [name, f] of Object.entries(run.inFlight)) {
    if (f.step !== PodStep.Restarting && f.step !== PodStep.WaitingReady) continue;
    const p = run.progress.pods[name];
    if (p) p.error = 'left as it is: the rollout was aborted while this Pod was stuck (progressDeadlineSeconds passed)';
    log.warn('abort: letting go of a Pod stuck on the kubelet', { pod: name });
    run.scopes[name]?.cancel();
  }
}

const ref = (t: RolloutTarget, pod: { name: string; uid: string }): PodRef => ({ namespace: t.namespace, name: pod.name, uid: pod.uid });

/** A revision plan's resizes, as the patch steps take them: only when there are some (patches stay as they were). */
const resourcesOf = (plan: RevisionPlan): { resources?: RevisionPlan['resources'] } =>
  plan.resources && Object.keys(plan.resources).length > 0 ? { resources: plan.resources } : {};

function newPodName(t: RolloutTarget) {
  const instanceId = instanceIdFrom(uuid4());
  return { name: `${t.name}-${instanceId}`, instanceId };
}

/** Ready (gate True), then available after minReadySeconds: the end of every single-Pod lane. */
async function untilAvailable(run: RunState, t: RolloutTarget, r: PodRef): Promise<void> {
  run.mark(r.name, PodStep.WaitingReady);
  const ready = await waits.waitPodReady(r);
  const remaining = ready.readySinceMs + t.spec.minReadySeconds * 1000 - ready.atMs;
  if (remaining > 0) {
    run.mark(r.name, PodStep.MinReady, ready.atMs);
    await sleep(remaining, { summary: `minReadySeconds: ${r.name} available in ${Math.ceil(remaining / 1000)}s` });
  }
  run.mark(r.name, PodStep.Done, ready.atMs + Math.max(0, remaining));
}

/**
 * A lifecycle hook (spec.lifecycle) holds the Pod in a state until an external actor releases it (or, for Updated,
 * hooks it again). The wait is an activity that heartbeats: it survives a worker kill and resumes watching.
 */
async function holdForHook(run: RunState, r: PodRef, wait: HookWait, markNotReady = false): Promise<boolean> {
  run.mark(r.name, PodStep.Hooked);
  const held = await waits.awaitLifecycleHook.executeWithOptions({ ...waitOptions, summary: `${r.name}: ${describeHookWait(wait)}` }, [
    { ...r, ...wait, markNotReady },
  ]);
  if (held.held) run.mark(r.name, PodStep.Hooked, held.atMs);
  return held.held;
}

async function createLane(run: RunState, t: RolloutTarget, name: string, instanceId: string, revision = t.updateRevision): Promise<void> {
  run.mark(name, PodStep.Creating);
  const created = await api.createPod({ namespace: t.namespace, cloneSetName: t.name, cloneSetUid: t.uid, revision, instanceId });
  const r = { namespace: t.namespace, name, uid: created.uid };
  await api.markPodReady(r);
  await untilAvailable(run, t, r);
}

async function deleteLane(run: RunState, t: RolloutTarget, pod: RoundPod, reason: string): Promise<void> {
  const hook = t.spec.hooks?.preDelete;
  if (hook !== undefined) {
    await holdForHook(run, ref(t, pod), { state: LifecycleState.PreparingDelete, until: 'released', hook }, hook.markPodNotReady ?? false);
  }
  run.mark(pod.name, PodStep.Deleting);
  const gone = await waits.deletePod({ ...ref(t, pod), cloneSet: { name: t.name, uid: t.uid }, reason });
  run.mark(pod.name, PodStep.Done, gone.atMs);
}

/**
 * A new Pod (scale up): at the target revision, or at `revision` (the current one) when the partition keeps Pods
 * there, as Kruise creates them.
 */
export function startCreate(run: RunState, t: RolloutTarget, revision = t.updateRevision): void {
  const { name, instanceId } = newPodName(t);
  run.track(name, 'create', revision, revision !== t.updateRevision);
  launch(run, [name], () => createLane(run, t, name, instanceId, revision));
}

/** A Pod deleted (scale down), through the preDelete hook if there is one. */
export function startDelete(run: RunState, t: RolloutTarget, pod: RoundPod): void {
  run.track(pod.name, 'delete', pod.revision ?? '');
  launch(run, [pod.name], () => deleteLane(run, t, pod, 'scale down'));
}

/** A Pod that can't change in place: deleted, then a new one created at the target revision in its slot. */
export function startRecreate(run: RunState, t: RolloutTarget, pod: RoundPod): void {
  run.track(pod.name, 'recreate', t.updateRevision);
  launch(run, [pod.name], async () => {
    await deleteLane(run, t, pod, 'recreate');
    // The slot is handed over in one synchronous step: the old Pod leaves the in-flight set as its replacement enters.
    const { name, instanceId } = newPodName(t);
    delete run.inFlight[pod.name];
    run.track(name, 'create', t.updateRevision);
    run.progress.pods[name]!.replaces = pod.name;
    try {
      await createLane(run, t, name, instanceId);
    } finally {
      delete run.inFlight[name];
    }
  });
}

/**
 * One Pod in place with the inPlaceUpdate lifecycle hook: held in PreparingUpdate until released, gate off, grace,
 * patch, containers; then, for a Pod the hook held, gate True in lifecycle Updated until the actor puts it back.
 * (Hooks hold Pods one by one, so hooked Pods never share a batch.)
 */
export function startHookedInPlace(run: RunState, t: RolloutTarget, pod: RoundPod, plan: RevisionPlan): void {
  run.track(pod.name, 'inPlace', t.updateRevision);
  launch(run, [pod.name], async () => {
    const r = ref(t, pod);
    const hook = t.spec.hooks!.inPlaceUpdate!;
    const hooked = await holdForHook(run, r, { state: LifecycleState.PreparingUpdate, until: 'released', hook }, hook.markPodNotReady ?? false);
    run.mark(pod.name, PodStep.GateOff);
    const off = await api.markPodNotReady.executeWithOptions({ ...apiOptions, summary: `${pod.name}: InPlaceUpdateReady=False` }, [r]);
    // The grace counts from when the gate really went False: a retried step (worker killed after the write) or a
    // Pod left drained by an earlier run must not start it over.
    const grace = t.spec.gracePeriodSeconds;
    const remaining = grace * 1000 - (off.offSinceMs === undefined ? 0 : Math.max(0, off.atMs - off.offSinceMs));
    if (remaining > 0) {
      run.mark(pod.name, PodStep.Grace, off.atMs);
      await sleep(remaining, { summary: `grace ${grace}s before patching ${pod.name}` });
    }
    run.mark(pod.name, PodStep.Patching);
    const applied = await api.patchPodInPlace.executeWithOptions(
      {
        ...apiOptions,
        summary: `${pod.name}: patch ${[
          ...Object.entries(plan.images).map(([c, i]) => `${c}=${i}`),
          ...Object.entries(plan.resizes ?? {}).map(([c, changes]) => `resize ${c} ${changes.join(', ')}`),
        ].join(', ')}`,
      },
      [{ ...r, revision: t.updateRevision, images: plan.images, labels: plan.labels, annotations: plan.annotations, ...resourcesOf(plan) }],
    );
    run.mark(pod.name, PodStep.Restarting, applied.atMs);
    const resized = Object.keys(plan.resources ?? {});
    await waits.waitPodUpdated({ ...r, images: plan.images, previousImageIDs: applied.previousImageIDs, ...(resized.length > 0 ? { resized } : {}) });
    if (hooked) {
      // Kruise's order: gate True in lifecycle Updated, then Normal once the actor has put its hook back.
      const updated = await api.markPodReady.executeWithOptions({ ...apiOptions, summary: `${pod.name}: InPlaceUpdateReady=True (Updated)` }, [
        { ...r, lifecycle: LifecycleState.Updated },
      ]);
      run.mark(pod.name, PodStep.GateOn, updated.atMs);
      await holdForHook(run, r, { state: LifecycleState.Updated, until: 'rehooked', hook });
    }
    const on = await api.markPodReady.executeWithOptions({ ...apiOptions, summary: `${pod.name}: InPlaceUpdateReady=True` }, [r]);
    run.mark(pod.name, PodStep.GateOn, on.atMs);
    await untilAvailable(run, t, r);
  });
}

/**
 * The Pods picked in one round, in place, in one lane: each step is one activity for all of them (gate off, one grace
 * timer, patch, then a watch-driven wait that hands each Pod back as it comes up), so a wave costs a handful of
 * history events whatever its size. Pods become available and free their slots in groups. `plans`: by revision.
 */
export function startInPlaceBatch(run: RunState, t: RolloutTarget, pods: RoundPod[], plans: Record<string, RevisionPlan>): void {
  for (const p of pods) run.track(p.name, 'inPlace', t.updateRevision);
  launch(
    run,
    pods.map((p) => p.name),
    (release) => inPlaceBatch(run, t, pods, plans, release),
  );
}

async function inPlaceBatch(run: RunState, t: RolloutTarget, pods: RoundPod[], plans: Record<string, RevisionPlan>, release: (name: string) => void) {
  const { namespace, updateRevision: revision } = t;
  // Plain names and uids, revision plans once per revision: the history grows by a few dozen bytes a Pod.
  let live = pods.map((p) => ({ name: p.name, uid: p.uid, from: p.revision ?? '' }));
  const names = () => live.map((p) => p.name);
  const summary = (what: string) => `${live.length === 1 ? live[0]!.name : `${live.length} Pods`}: ${what}`;
  const drop = (gone: Record<string, string>) => {
    for (const [n, why] of Object.entries(gone)) {
      run.markFailed([n], why);
      release(n);
    }
    live = live.filter((r) => !(r.name in gone));
  };

  run.markAll(names(), PodStep.GateOff);
  const off = await localBatch.markPodsNotReady.executeWithOptions({ ...localBatchOptions, summary: summary('InPlaceUpdateReady=False') }, [
    { namespace, pods: live.map(({ name, uid }) => ({ name, uid })) },
  ]);
  drop(off.gone);
  if (live.length === 0) return;

  // One grace timer for the batch: until the last Pod to go not-ready has had its grace (counted from gate-off).
  const grace = t.spec.gracePeriodSeconds;
  let remaining = 0;
  for (const r of live) remaining = Math.max(remaining, grace * 1000 - Math.max(0, off.atMs - off.results[r.name]!));
  if (remaining > 0) {
    run.markAll(names(), PodStep.Grace, off.atMs);
    await sleep(remaining, { summary: summary(`grace ${grace}s before patching`) });
  }

  run.markAll(names(), PodStep.Patching);
  const from = [...new Set(live.map((p) => p.from))].sort();
  const applied = await localBatch.patchPodsInPlace.executeWithOptions({ ...localBatchOptions, summary: summary(`patch to ${revision}`) }, [
    {
      namespace,
      revision,
      plans: Object.fromEntries(
        from.map((rev) => [rev, { images: plans[rev]!.images, labels: plans[rev]!.labels, annotations: plans[rev]!.annotations, ...resourcesOf(plans[rev]!) }]),
      ),
      pods: live,
      selector: t.selector,
    },
  ]);
  drop(applied.gone);
  run.markAll(names(), PodStep.Restarting, applied.atMs);

  let waiting = live.map(({ name, uid }) => ({ name, uid }));
  const groups: Promise<void>[] = [];
  // The first wait watches from before the patches (no reads); a later one, for Pods still pending, reads them.
  let watchFrom = applied.watchFrom;
  // A short minReadySeconds is waited for by the watching activity (Pods come back available); a long one is a
  // durable timer below (availableThenRelease), visible in the history and the UI.
  const hold = t.spec.minReadySeconds <= HOLD_MIN_READY_UP_TO_S ? t.spec.minReadySeconds * 1000 : 0;
  while (waiting.length > 0) {
    const done = await waits.finishPodsInPlace.executeWithOptions(
      { ...waitOptions, summary: `${waiting.length} Pod(s): containers, InPlaceUpdateReady=True, Ready${hold > 0 ? `, available` : ''}` },
      [{ namespace, selector: t.selector, revision, pods: waiting, holdReadyMs: hold, ...(watchFrom ? { watchFrom } : {}) }],
    );
    watchFrom = undefined;
    drop(done.gone);
    const ready = Object.keys(done.ready);
    if (ready.length > 0) {
      run.markAll(ready, PodStep.GateOn, done.atMs);
      groups.push(availableThenRelease(run, t, ready, done.ready, done.atMs, release));
    }
    const pending = new Set(done.pending);
    waiting = waiting.filter((p) => pending.has(p.name));
  }
  await Promise.all(groups);
}

/** minReadySeconds for a group of Ready Pods (one timer: the last of them to be available), then their slots go back. */
async function availableThenRelease(
  run: RunState,
  t: RolloutTarget,
  names: string[],
  readySince: Record<string, number>,
  atMs: number,
  release: (name: string) => void,
): Promise<void> {
  let remaining = 0;
  for (const n of names) remaining = Math.max(remaining, readySince[n]! + t.spec.minReadySeconds * 1000 - atMs);
  if (remaining > 0) {
    run.markAll(names, PodStep.MinReady, atMs);
    await sleep(remaining, { summary: `minReadySeconds: ${names.length} Pod(s) available in ${Math.ceil(remaining / 1000)}s` });
  }
  run.markAll(names, PodStep.Done, atMs + Math.max(0, remaining));
  for (const n of names) release(n);
}

/**
 * Finishes a Pod an earlier run left at the update revision but not handed back: its containers, the Updated hook if
 * it sits there, then gate True. Unavailable already, it costs no window budget.
 */
export function startResume(run: RunState, t: RolloutTarget, pod: PodView): void {
  log.info('resuming a Pod left half-way by an earlier run', { pod: pod.name, revision: t.updateRevision });
  run.track(pod.name, 'inPlace', t.updateRevision);
  launch(run, [pod.name], async () => {
    const r = ref(t, pod);
    run.mark(pod.name, PodStep.Restarting);
    await waits.waitPodUpdated({ ...r, ...resumeWait(pod, t.updateRevision) });
    const hook = t.spec.hooks?.inPlaceUpdate;
    if (pod.lifecycleState === LifecycleState.Updated && hook !== undefined) {
      await holdForHook(run, r, { state: LifecycleState.Updated, until: 'rehooked', hook });
    }
    const on = await api.markPodReady.executeWithOptions({ ...apiOptions, summary: `${pod.name}: InPlaceUpdateReady=True (resumed)` }, [r]);
    run.mark(pod.name, PodStep.GateOn, on.atMs);
    await untilAvailable(run, t, r);
  });
}
