/**
 * Operator controls on a running rollout (Updates through the typed client), on the real dev server and the
 * simulated cluster. The window is checked by an independent watcher of Pod readiness.
 *
 * No test races the rollout: each one holds it where its control must land, whatever the machine's speed — a Pod
 * held in flight by a lifecycle hook the test releases (support/brake.ts HookActor), or a start braked by the
 * CloneSet's own updateStrategy.paused until the control (a partition) is in place. Each test says which.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RolloutControlRejectedError, RolloutNotRunningError, type RolloutHandle } from '../../src/client/index.js';
import { PodStep, RolloutPhase, type RolloutProgress } from '../../src/workflows/messages.js';
import { HookActor, setSpecPaused, withUpdateHook } from '../support/brake.js';
import { watchPods, type ReadinessWatcher } from '../support/watcher.js';
import { applyAndRoll, cloneSet, livePods, startTestEnv, uniqueNamespace, type TestEnv } from '../support/env.js';

let env: TestEnv;
beforeAll(async () => {
  env = await startTestEnv();
});
afterAll(async () => {
  await env?.stop();
});

const watch = (ns: string, desired: number) => watchPods(env.cluster.kubeConfig(), ns, desired);

async function until(handle: RolloutHandle, what: string, pred: (p: RolloutProgress) => boolean, timeoutMs = 60_000): Promise<RolloutProgress> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const p = await handle.progress().catch(() => null);
    if (p && pred(p)) return p;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(p)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The result, or (after `ms`) an error with the progress and the Pods' hook state, to see where a rollout stopped. */
async function resultWithin(handle: RolloutHandle, w: ReadinessWatcher, ms = 120_000) {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      void (async () => {
        const p = await handle.progress().catch((e: unknown) => String(e));
        const pods = w.livePods().map((x) => ({
          name: x.metadata!.name,
          labels: x.metadata!.labels,
          image: x.spec!.containers[0]!.image,
          gate: x.status?.conditions?.find((c) => c.type === 'InPlaceUpdateReady')?.status,
        }));
        reject(new Error(`no result within ${ms} ms:\n${JSON.stringify(p, null, 1)}\n${JSON.stringify(pods, null, 1)}`));
      })();
    }, ms);
  });
  try {
    return await Promise.race([handle.result(), late]);
  } finally {
    clearTimeout(timer);
  }
}

const podsAt = (p: RolloutProgress, step: string) => Object.values(p.pods).filter((x) => x.step === step).length;
const images = async (ns: string) => (await livePods(env, ns, 'web')).map((p) => p.spec!.containers[0]!.image).sort();
const uids = async (ns: string) => (await livePods(env, ns, 'web')).map((p) => p.metadata!.uid).sort();

describe('rollout controls', () => {
  it('pauses at a safe point during a grace period (the lane finishes, no Pod left not-ready), then resumes to completion', async () => {
    const ns = uniqueNamespace('ctl');
    await applyAndRoll(
      env,
      withUpdateHook(
        cloneSet(ns, 'web', {
          replicas: 4,
          updateStrategy: { type: 'InPlaceIfPossible', maxUnavailable: 1, inPlaceUpdateStrategy: { gracePeriodSeconds: 2 } },
        }),
      ),
    );
    const w = await watch(ns, 4);
    // Slow enough by construction: the first Pod taken is held in flight by its lifecycle hook until the pause is
    // accepted; only then is it let through (hook, drain, 2 s grace, patch...), so the pause lands during its lane.
    const hooks = new HookActor(env.k, ns);
    const handle = await env.client.start({ namespace: ns, name: 'web', images: { nginx: 'nginx:1.27' } });
    await until(handle, 'a Pod held by its hook', (p) => podsAt(p, PodStep.Hooked) === 1);

    const pausing = handle.pause();
    await until(handle, 'the pause accepted', (p) => p.controls?.paused === true);
    hooks.release(1);
    const view = await pausing;
    const pausedAt = Date.now();
    expect(view).toMatchObject({ paused: true, inFlight: 0 });
    const p = await handle.progress();
    expect(p.phase).toBe(RolloutPhase.Paused);
    expect(p.paused).toBe(true);
    expect(p.counts.updated).toBe(1);
    // The lane the pause waited for went through its grace period after the pause was accepted.
    const lane = Object.values(p.pods).find((x) => x.step === PodStep.Done)!;
    const pauseAt = p.controls!.log.find((l) => l.control === 'pause')!.atMs!;
    expect(lane.steps.find((st) => st.step === PodStep.Grace)!.atMs).toBeGreaterThanOrEqual(pauseAt);
    expect((await livePods(env, ns, 'web')).every((pod) => pod.status!.conditions!.some((c) => c.type === 'Ready' && c.status === 'True'))).toBe(true);

    // Held: no worker step on any Pod for 3 s, and an invalid control is refused with the validator's message.
    await new Promise((r) => setTimeout(r, 3_000));
    expect(w.firstStepAfter(pausedAt)).toBeUndefined();
    const bad = await handle.setPartition('150%').catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(RolloutControlRejectedError);
    expect((bad as Error).message).toMatch(/partition "150%" must be an integer ≥ 0 or a percentage between 0% and 100%/);
    const history = await handle.workflow.fetchHistory();
    const updates = history
      .events!.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes)
      .map((e) => e.workflowExecutionUpdateAcceptedEventAttributes!.acceptedRequest!.input!.name);
    expect(updates).toEqual(['pause']); // the rejected update never reached history

    hooks.open();
    expect(await handle.resume()).toMatchObject({ paused: false });
    const result = await handle.result();
    await hooks.stop();
    w.stop();
    expect(result.updatedInPlace).toBe(4);
    expect(result.outcome).toBe('Completed');
    expect(result.abortedRevision).toBeUndefined();
    expect(await images(ns)).toEqual(Array(4).fill('nginx:1.27'));
    expect(w.maxUnavailable).toBeLessThanOrEqual(1);
    expect((await handle.progress()).controls?.log.map((l) => l.control)).toEqual(['pause', 'resume']);
  });

  it('aborts with rollback: updated Pods return in place to the previous images, within maxUnavailable=1', async () => {
    const ns = uniqueNamespace('ctl');
    await applyAndRoll(
      env,
      withUpdateHook(cloneSet(ns, 'web', { replicas: 4, minReadySeconds: 1, updateStrategy: { type: 'InPlaceIfPossible', maxUnavailable: 1 } })),
    );
    const before = await uids(ns);
    const w = await watch(ns, 4);
    // Slow enough by construction: the hook lets two Pods through and holds the third in flight until the abort is in.
    const hooks = new HookActor(env.k, ns);
    hooks.release(2);
    const handle = await env.client.start({ namespace: ns, name: 'web', images: { nginx: 'nginx:1.27' } });
    await until(handle, 'two Pods updated, the third held', (p) => podsAt(p, PodStep.Done) === 2 && podsAt(p, PodStep.Hooked) === 1);

    const view = await handle.abort({ rollback: true });
    hooks.open();
    expect(view.aborted).toMatchObject({ rollback: true });
    await expect(handle.pause()).rejects.toThrow(/being aborted with rollback/);
    const result = await handle.result();
    await hooks.stop();
    w.stop();
    expect(result.aborted).toMatchObject({ rollback: true });
    expect((await handle.progress()).phase).toBe(RolloutPhase.RolledBack);
    // The result says how it ended and between which revisions it moved: the aborted target back to the start.
    expect(result.outcome).toBe('RolledBack');
    expect(result.toRevision).toBe(result.fromRevision);
    expect(result.abortedRevision).toMatch(/^web-/);
    expect(result.abortedRevision).not.toBe(result.fromRevision);
    expect(await images(ns)).toEqual(Array(4).fill('nginx:perl'));
    expect(await uids(ns)).toEqual(before); // in place: same Pods
    const running = (await livePods(env, ns, 'web')).map((p) => p.status!.containerStatuses![0]!.image);
    expect(running).toEqual(Array(4).fill('nginx:perl'));
    expect(w.maxUnavailable).toBeLessThanOrEqual(1);
    expect(Object.values(w.pods).some((h) => h.imagePatchedAt.length === 2)).toBe(true); // forth and back
  });

  it('aborts without rollback: the Pod in flight finishes, the rest stay on the old images, the run ends Aborted', async () => {
    const ns = uniqueNamespace('ctl');
    await applyAndRoll(
      env,
      withUpdateHook(
        cloneSet(ns, 'web', {
          replicas: 3,
          updateStrategy: { type: 'InPlaceIfPossible', maxUnavailable: 1, inPlaceUpdateStrategy: { gracePeriodSeconds: 1 } },
        }),
      ),
    );
    const w = await watch(ns, 3);
    // Slow enough by construction: the first Pod is let through its update but held in Updated (its lane still in
    // flight) until the abort is in; then its lane finishes.
    const hooks = new HookActor(env.k, ns);
    hooks.holdUpdated(true);
    hooks.release(1);
    const handle = await env.client.start({ namespace: ns, name: 'web', images: { nginx: 'nginx:1.27' } });
    await until(handle, 'the first Pod updated, its lane in flight', () => hooks.updated().length === 1);
    await handle.abort();
    hooks.open();
    const result = await handle.result();
    await hooks.stop();
    w.stop();
    expect(result.aborted).toEqual({ rollback: false, atMs: expect.any(Number) });
    expect(result).toMatchObject({ outcome: 'Aborted', abortedRevision: result.toRevision });
    expect(result.toRevision).not.toBe(result.fromRevision);
    expect(result.updatedInPlace).toBe(1);
    expect(await images(ns)).toEqual(['nginx:1.27', 'nginx:perl', 'nginx:perl']);
    expect((await handle.progress()).phase).toBe(RolloutPhase.Aborted);
    await expect(handle.resume()).rejects.toBeInstanceOf(RolloutNotRunningError);
  });

  it('retargets mid-rollout to newer images: Pods in flight finish, every Pod ends on the newest, within maxUnavailable=1', async () => {
    const ns = uniqueNamespace('ctl');
    await applyAndRoll(
      env,
      withUpdateHook(cloneSet(ns, 'web', { replicas: 4, minReadySeconds: 1, updateStrategy: { type: 'InPlaceIfPossible', maxUnavailable: 1 } })),
    );
    const before = await uids(ns);
    const w = await watch(ns, 4);
    // Slow enough by construction: the hook lets one Pod through and holds the second in flight until the retarget
    // is sent; then every Pod goes through.
    const hooks = new HookActor(env.k, ns);
    hooks.release(1);
    const { handle, started } = await env.client.startOrRetarget({ namespace: ns, name: 'web', images: { nginx: 'nginx:1.27' } });
    expect(started).toBe(true);
    await until(handle, 'one Pod updated, the next held', (p) => podsAt(p, PodStep.Done) === 1 && podsAt(p, PodStep.Hooked) === 1);
    const retargeting = env.client.startOrRetarget({ namespace: ns, name: 'web', images: { nginx: 'nginx:1.28' } });
    await until(handle, 'the retarget accepted', (p) => p.controls?.log.some((l) => l.control === 'retarget') === true);
    hooks.open();
    const again = await retargeting;
    expect(again.started).toBe(false);
    expect(again.handle.workflowId).toBe(handle.workflowId);
    const result = await resultWithin(handle, w);
    await hooks.stop();
    w.stop();
    expect(result.toRevision).toBe(again.retarget.updateRevision);
    expect(await images(ns)).toEqual(Array(4).fill('nginx:1.28'));
    expect(await uids(ns)).toEqual(before);
    expect(w.maxUnavailable).toBeLessThanOrEqual(1);
  });

  it('holds a canary at an operator partition, widens the window with setMaxUnavailable, then finishes on setPartition 0', async () => {
    const ns = uniqueNamespace('ctl');
    await applyAndRoll(
      env,
      cloneSet(ns, 'web', { replicas: 5, minReadySeconds: 1, updateStrategy: { type: 'InPlaceIfPossible', maxUnavailable: 1, paused: false } }),
    );
    const w = await watch(ns, 5);
    // Slow enough by construction: the rollout starts braked (the CloneSet's updateStrategy.paused) and the brake is
    // released only once the partition is in place, so exactly one Pod moves before the hold.
    await setSpecPaused(env.k, ns, 'web', true);
    const handle = await env.client.start({ namespace: ns, name: 'web', images: { nginx: 'nginx:1.27' } });
    await handle.setPartition('80%'); // 4 of 5 stay: a one-Pod canary
    await setSpecPaused(env.k, ns, 'web', false);
    const held = await until(handle, 'the canary held at the partition', (p) => p.counts.updated === 1 && /holding at partition/.test(p.waiting ?? ''));
    expect(held.controls).toMatchObject({ partition: '80%' });
    await expect(handle.setMaxUnavailable(0)).rejects.toThrow(/must not both be less than 1/);
    await handle.setMaxUnavailable(2);
    await handle.setPartition(0);
    const result = await handle.result();
    w.stop();
    expect(result.updatedInPlace).toBe(5);
    expect(w.maxUnavailable).toBeLessThanOrEqual(2);
    expect(w.maxUnavailable).toBe(2); // the wider window was used
  });
});
