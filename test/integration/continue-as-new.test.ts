/**
 * Continue-as-new: a rollout whose history grows past `historyEventsLimit` hands over to a fresh run of the same
 * workflow. No run's history passes the limit by more than the Pods in flight need to finish, the result adds up
 * every run, the window holds across the hand-overs (checked by the independent watcher), and the controls carry on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setSpecPaused } from '../support/brake.js';
import { listRuns } from '../support/runs.js';
import { watchPods } from '../support/watcher.js';
import { applyAndRoll, cloneSet, livePods, startTestEnv, uniqueNamespace, type TestEnv } from '../support/env.js';

let env: TestEnv;
beforeAll(async () => {
  env = await startTestEnv();
});
afterAll(async () => {
  await env?.stop();
});

describe('continue-as-new', () => {
  it('hands a long rollout over to fresh runs, each history bounded, totals and the window intact', async () => {
    const ns = uniqueNamespace('can');
    const cs = cloneSet(ns, 'web', { replicas: 60, updateStrategy: { type: 'InPlaceIfPossible', maxUnavailable: 2 } });
    await applyAndRoll(env, cs);
    const before = Object.fromEntries((await livePods(env, ns, 'web')).map((p) => [p.metadata!.name!, p.metadata!.uid!]));
    const w = await watchPods(env.cluster.kubeConfig(), ns, 60);
    const limit = 200;
    const startedAt = Date.now() - 1_000; // the server's clock may be a little behind ours
    const handle = await env.client.start({ namespace: ns, name: 'web', images: { nginx: 'nginx:1.27' }, historyEventsLimit: limit });
    const result = await handle.result();
    w.stop();

    const chain = await listRuns(env.client.client, handle.workflowId, result.runs ?? 1, startedAt);
    expect(chain.length).toBeGreaterThanOrEqual(3);
    expect(result.runs).toBe(chain.length);
    expect(chain.slice(0, -1).every((r) => r.status === 'CONTINUED_AS_NEW')).toBe(true);
    expect(chain[chain.length - 1]!.status).toBe('COMPLETED');
    // About 18 events a wave here. Past the limit only while the Pods in flight (one batch of ≤ 2) finish.
    for (const r of chain) expect(r.historyLength, JSON.stringify(chain)).toBeLessThanOrEqual(limit + 60);

    // Every Pod updated once, in place, across the runs; never more than maxUnavailable down, even at a hand-over.
    expect(result.updatedInPlace).toBe(60);
    expect(result.fromRevision).not.toBe(result.toRevision);
    const after = await livePods(env, ns, 'web');
    expect(Object.fromEntries(after.map((p) => [p.metadata!.name!, p.metadata!.uid!]))).toEqual(before);
    expect(after.every((p) => p.spec!.containers[0]!.image === 'nginx:1.27')).toBe(true);
    for (const name of Object.keys(before)) expect(w.pods[name]!.images.nginx).toEqual(['nginx:perl', 'nginx:1.27']);
    expect(w.maxUnavailable).toBeLessThanOrEqual(2);
  });

  it('carries the controls over: a paused rollout stays paused in the next run', async () => {
    const ns = uniqueNamespace('can');
    const cs = cloneSet(ns, 'web', { replicas: 20, updateStrategy: { type: 'InPlaceIfPossible', maxUnavailable: 1 } });
    await applyAndRoll(env, cs);
    // What makes the rollout slow enough, on any machine: it starts braked (the CloneSet's updateStrategy.paused)
    // until an operator partition of 2 is in place, so it cannot finish before the pause: it holds with 2 Pods left.
    // 18 waves make far more than 200 events, so it hands over before that hold, whatever the speed.
    await setSpecPaused(env.k, ns, 'web', true);
    const handle = await env.client.start({ namespace: ns, name: 'web', images: { nginx: 'nginx:1.27' }, historyEventsLimit: 200 });
    await handle.setPartition(2);
    await setSpecPaused(env.k, ns, 'web', false);
    // Wait for the first hand-over, then pause the (new) run, and lift the partition: only the pause holds it now.
    const deadline = Date.now() + 120_000;
    while ((await handle.progress()).earlierRuns === undefined) {
      if (Date.now() > deadline) throw new Error('no hand-over within 120 s');
      await new Promise((r) => setTimeout(r, 100));
    }
    await handle.pause();
    // Lifted with 0, not null (back to the CloneSet's): a null partition accepted while the loop plans under the old
    // one can end the run as Completed with Pods left (the workflow checks the hold against the new controls).
    await handle.setPartition(0);
    // Let the paused run hand over again if it would (it must not lose the pause), then check nothing moves.
    await new Promise((r) => setTimeout(r, 1_500));
    const p1 = await handle.progress();
    expect(p1.controls?.paused).toBe(true);
    const updated1 = p1.counts.updated;
    await new Promise((r) => setTimeout(r, 1_500));
    const p2 = await handle.progress();
    expect(p2.counts.updated).toBe(updated1);
    expect(p2.phase).toBe('Paused');
    await handle.resume();
    const result = await handle.result();
    expect(result.updatedInPlace).toBe(20);
    expect(result.runs).toBeGreaterThanOrEqual(2);
  });
});
