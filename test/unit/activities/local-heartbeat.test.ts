/**
 * The batch steps the workflow runs as local activities (markPodsNotReady, patchPodsInPlace: proxyLocalActivities in
 * src/workflows/activities.ts) must never heartbeat: the server knows nothing of a local activity, and the SDK logs
 * every such heartbeat as a failure ("Activity heartbeat failed", UnknownActivity) — raw JSON lines in the CLI's
 * output. Run under MockActivityEnvironment with `isLocal: true` against the simulated cluster, they emit no
 * heartbeat event; the same steps as regular activities still do (so the test sees heartbeats when there are any).
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../../src/activities/index.js';
import { makeClients } from '../../../src/kube/clients.js';
import { startSimCluster, type SimCluster } from '../../../src/sim/index.js';
import { FAST, podManifest, waitFor } from '../../sim/kubelet-helpers.js';

let cluster: SimCluster;
beforeAll(async () => {
  cluster = await startSimCluster({ kubelet: FAST });
});
afterAll(async () => {
  await cluster?.stop();
});

/** Runs `fn` as an activity (local or not) and returns how many heartbeats it emitted. */
async function heartbeats<A extends unknown[], R>(isLocal: boolean, fn: (...args: A) => Promise<R>, ...args: A): Promise<{ count: number; result: R }> {
  const env = new MockActivityEnvironment({ isLocal, activityType: fn.name, workflowExecution: { workflowId: 'cloneset/default/hb', runId: 'run-1' } });
  let count = 0;
  env.on('heartbeat', () => count++);
  const result = (await env.run(fn, ...args)) as R;
  return { count, result };
}

describe('batch steps run as local activities', () => {
  it('markPodsNotReady and patchPodsInPlace never heartbeat when local, and do as regular activities', async () => {
    const k = makeClients(cluster.kubeConfig());
    const names = ['hb-0', 'hb-1', 'hb-2'];
    const pods = [];
    for (const name of names) {
      const created = await k.core.createNamespacedPod({ namespace: 'default', body: podManifest(name, { nginx: 'nginx:perl' }) });
      pods.push({ name, uid: created.metadata!.uid! });
    }
    await waitFor('Pods running', async () => {
      const list = await k.core.listNamespacedPod({ namespace: 'default' });
      return list.items.filter((p) => names.includes(p.metadata!.name!) && p.status?.phase === 'Running').length === names.length;
    });
    const acts = createActivities({ kubeConfig: cluster.kubeConfig(), logger: pino({ level: 'silent' }) });
    const markPodsNotReady = acts.markPodsNotReady.bind(acts);
    const patchPodsInPlace = acts.patchPodsInPlace.bind(acts);

    const off = await heartbeats(true, markPodsNotReady, { namespace: 'default', pods });
    expect(Object.keys(off.result.results).sort()).toEqual(names);
    expect(off.count).toBe(0);

    const plans = { old: { images: { nginx: 'nginx:1.27' }, labels: {}, annotations: {} } };
    const patched = await heartbeats(true, patchPodsInPlace, {
      namespace: 'default',
      revision: 'web-new',
      plans,
      pods: pods.map((p) => ({ ...p, from: 'old' })),
    });
    expect(patched.result.results).toEqual(Object.fromEntries(names.map((n) => [n, true])));
    expect(patched.count).toBe(0);

    // The same steps as regular activities (idempotent: the Pods are already drained and patched) heartbeat per Pod.
    expect((await heartbeats(false, markPodsNotReady, { namespace: 'default', pods })).count).toBe(names.length);
    expect(
      (await heartbeats(false, patchPodsInPlace, { namespace: 'default', revision: 'web-new', plans, pods: pods.map((p) => ({ ...p, from: 'old' })) })).count,
    ).toBe(names.length);
  });
});
