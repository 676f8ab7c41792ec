/**
 * Scale, reduced for CI (the full 10,000-Pod run is `npm run bench`, S3): a 2,000-Pod CloneSet rolls in place to
 * completion with a lowered continue-as-new threshold, and no run's history grows past it by more than the Pods in
 * flight need to finish — the property that lets the full size run under the server's limits — and the Events stay
 * affordable: one per reason on the CloneSet, a few per Pod.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cloneSet, startTestEnv, uniqueNamespace, type TestEnv } from '../support/env.js';
import { seedCloneSet } from '../support/seed.js';
import { listRuns } from '../support/runs.js';

let env: TestEnv;
beforeAll(async () => {
  env = await startTestEnv({ kubelet: { startDelayMs: 0, restartDelayMs: 0, readyDelayMs: 0, nodes: 20 } });
});
afterAll(async () => {
  await env?.stop();
});

describe('a 2,000-Pod CloneSet', () => {
  it('rolls in place to completion over several runs, each history bounded', async () => {
    const ns = uniqueNamespace('scale');
    const pods = 2_000;
    await seedCloneSet(env, cloneSet(ns, 'web', { updateStrategy: { type: 'InPlaceIfPossible', maxUnavailable: 100 } }), pods);
    const limit = 250;
    const startedAt = Date.now() - 1_000; // the server's clock may be a little behind ours
    const handle = await env.client.start({ namespace: ns, name: 'web', images: { nginx: 'nginx:1.27' }, historyEventsLimit: limit });
    const result = await handle.result();
    expect(result.updatedInPlace).toBe(pods);
    expect(result.recreated + result.created + result.deleted).toBe(0);

    const runs = await listRuns(env.client.client, handle.workflowId, result.runs ?? 1, startedAt);
    const lengths = runs.map((r) => r.historyLength);
    expect(lengths.length).toBe(result.runs);
    expect(lengths.length).toBeGreaterThanOrEqual(2);
    for (const n of lengths) expect(n, JSON.stringify(lengths)).toBeLessThanOrEqual(limit + 60);

    // Events a cluster can afford: per-Pod ones on the Pod, the CloneSet's folded into one per reason.
    const events = (await env.k.core.listNamespacedEvent({ namespace: ns })).items;
    const onCloneSet = events.filter((e) => e.involvedObject.kind === 'CloneSet');
    expect(onCloneSet.length, onCloneSet.map((e) => `${e.reason} x${e.count}`).join(', ')).toBeLessThanOrEqual(50);
    const inPlace = onCloneSet.filter((e) => e.reason === 'SuccessfulUpdatePodInPlace');
    expect(inPlace.reduce((sum, e) => sum + (e.count ?? 1), 0)).toBe(pods);
    const perPod = new Map<string, number>();
    for (const e of events) if (e.involvedObject.kind === 'Pod') perPod.set(e.involvedObject.name!, (perPod.get(e.involvedObject.name!) ?? 0) + 1);
    expect(perPod.size).toBe(pods);
    expect(Math.max(...perPod.values())).toBeLessThanOrEqual(3);

    const list = await env.k.core.listNamespacedPod({ namespace: ns, labelSelector: 'app=web' });
    expect(list.items).toHaveLength(pods);
    expect(list.items.every((p) => p.spec!.containers[0]!.image === 'nginx:1.27' && p.status!.containerStatuses![0]!.restartCount === 1)).toBe(true);
  });
});
