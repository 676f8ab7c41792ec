/**
 * Operator controls on a running rollout (Updates through the typed client), on the real dev server and the
 * simulated cluster. The window is checked by an independent watcher of Pod readiness.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RolloutControlRejectedError, RolloutNotRunningError, type RolloutHandle } from '../../src/client/index.js';
import { PodStep, RolloutPhase, type RolloutProgress } from '../../src/workflows/messages.js';
import { watchPods } from '../support/watcher.js';
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

const podsAt = (p: RolloutProgress, step: string) => Object.values(p.pods).filter((x) => x.step === step).length;
const images = async (ns: string) => (await livePods(env, ns, 'web')).map((p) => p.spec!.containers[0]!.image).sort();
const uids = async (ns: string) => (await livePods(env, ns, 'web')).map((p) => p.metadata!.uid).sort();

describe('rollout controls', () => {
  it('pauses at a safe point during a grace period (the lane finishes, no Pod left not-ready), then resumes to completion', async () => {
    const ns = uniqueNamespace('ctl');
    await applyAndRoll(env, cloneSet(ns, 'web', { replicas: 4, updateStrategy: { type: 'InPlaceIfPossible', maxUnavailable: 1, inPlaceUpdateStrategy: { gracePeriodSeconds: 2 } } }));
    const w = await watch(ns, 4);
    const handle = await env.client.start({ namespace: ns, name: 'web', images: { nginx: 'nginx:1.27' } });
    await until(handle, 'a Pod in its grace period', (p) => podsAt(p, PodStep.Grace) === 1);

    const view = await handle.pause();
    const pausedAt = Date.now();
    expect(view).toMatchObject({ paused: true, inFlight: 0 });
    const p = await handle.progress();
    expect(p.phase).toBe(RolloutPhase.Paused);
    expect(p.paused).toBe(true);
    expect(p.counts.updated).toBe(1);
    expect((await livePods(env, ns, 'web')).every((pod) => pod.status!.conditions!.some((c) => c.type === 'Ready' && c.status === 'True'))).toBe(true);

    // Held: no worker step on any Pod for 3 s, and an invalid control is refused with the validator's message.
    await new Promise((r) => setTimeout(r, 3_000));
    expect(w.firstStepAfter(pausedAt)).toBeUndefined();
    const bad = await handle.setPartition('150%').catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(RolloutControlRejectedError);
    expect((bad as Error).message).toMatch(/partition "150%" must be an integer ≥ 0 or a percentage between 0% and 100%/);
    const history = await handle.workflow.fetchHistory();
    const updates = history.events!.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes).map((e) => e.workflowExecutionUpdateAcceptedEventAttributes!.acceptedRequest!.input!.name);
    expect(updates).toEqual(['pause']); // the rejected update never reached history

    expect(await handle.resume()).toMatchObject({ paused: false });
    const result = await handle.result();
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
    await applyAndRoll(env, cloneSet(ns, 'web', { replicas: 4, minReadySeconds: 1, updateStrategy: { type: 'InPlaceIfPossible', maxUnavailable: 1 } }));
    const before = await uids(ns);
    const w = await watch(ns, 4);
    const handle = await env.client.start({ namespace: ns, name: 'web', images: { nginx: 'nginx:1.27' } });
    await until(handle, 'two Pods updated', (p) => podsAt(p, PodStep.Done) >= 2);

    const view = await handle.abort({ rollback: true });
    expect(view.aborted).toMatchObject({ rollback: true });
    await expect(handle.pause()).rejects.toThrow(/being aborted with rollback/);
    const result = await handle.result();
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
    await applyAndRoll(env, cloneSet(ns, 'web', { replicas: 3, updateStrategy: { type: 'InPlaceIfPossible', maxUnavailable: 1, inPlaceUpdateStrategy: { gracePeriodSeconds: 1 } } }));
    const handle = await env.client.start({ namespace: ns, name: 'web', images: { nginx: 'nginx:1.27' } });
    await until(handle, 'a Pod in its grace period', (p) => podsAt(p, PodStep.Grace) === 1);
    await handle.abort();
    const result = await handle.result();
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
    await applyAndRoll(env, cloneSet(ns, 'web', { replicas: 4, minReadySeconds: 1, updateStrategy: { type: 'InPlaceIfPossible', maxUnavailable: 1 } }));
    const before = await uids(ns);
    const w = await watch(ns, 4);
    const { handle, started } = await env.client.startOrRetarget({ namespace: ns, name: 'web', images: { nginx: 'nginx:1.27' } });
    expect(started).toBe(true);
    await until(handle, 'one Pod updated', (p) => podsAt(p, PodStep.Done) >= 1);
    const again = await env.client.startOrRetarget({ namespace: ns, name: 'web', images: { nginx: 'nginx:1.28' } });
    expect(again.started).toBe(false);
    expect(again.handle.workflowId).toBe(handle.workflowId);
    const result = await handle.result();
    w.stop();
    expect(result.toRevision).toBe(again.retarget.updateRevision);
    expect(await images(ns)).toEqual(Array(4).fill('nginx:1.28'));
    expect(await uids(ns)).toEqual(before);
    expect(w.maxUnavailable).toBeLessThanOrEqual(1);
  });

  it('holds a canary at an operator partition, widens the window with setMaxUnavailable, then finishes on setPartition 0', async () => {
    const ns = uniqueNamespace('ctl');
    await applyAndRoll(env, cloneSet(ns, 'web', { replicas: 5, minReadySeconds: 1, updateStrategy: { type: 'InPlaceIfPossible', maxUnavailable: 1, paused: false } }));
    const w = await watch(ns, 5);
    const handle = await env.client.start({ namespace: ns, name: 'web', images: { nginx: 'nginx:1.27' } });
    await handle.setPartition('80%'); // 4 of 5 stay: a one-Pod canary
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
