/**
 * The seed walkthrough as an acceptance test: nginxweb1 with 5 × nginx:perl, then InPlaceIfPossible with 4 replicas,
 * scaleStrategy.maxUnavailable 1 and nginx:latest. The four remaining Pods are upgraded in place.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCloneSets } from '../../src/kube/apply.js';
import { ReadinessWatcher } from '../support/watcher.js';
import { applyAndRoll, livePods, startTestEnv, uniqueNamespace, type TestEnv } from '../support/env.js';

let env: TestEnv;
beforeAll(async () => {
  env = await startTestEnv();
});
afterAll(async () => {
  await env?.stop();
});

async function example(file: string, namespace: string) {
  const [cs] = parseCloneSets(await readFile(new URL(`../../examples/${file}`, import.meta.url), 'utf8'), file);
  cs!.metadata.namespace = namespace;
  return cs!;
}

describe('seed walkthrough (examples/nginx01.yaml → examples/nginx02.yaml)', () => {
  it('creates 5 Pods, then upgrades 4 in place keeping names, UIDs, nodes and IPs', async () => {
    const ns = uniqueNamespace('seed');
    const first = await example('nginx01.yaml', ns);
    const watcher = new ReadinessWatcher(env.cluster.kubeConfig(), ns, 'app=nginxweb1');
    await watcher.start();
    const created = await applyAndRoll(env, first);
    expect(created.result.created).toBe(5);
    const before = await livePods(env, ns, 'nginxweb1');
    expect(before).toHaveLength(5);
    expect(before.every((p) => p.status?.containerStatuses?.[0]?.image === 'nginx:perl')).toBe(true);
    expect(before.every((p) => p.spec?.readinessGates?.some((g) => g.conditionType === 'InPlaceUpdateReady'))).toBe(true);
    for (const pod of before) {
      const name = pod.metadata!.name!;
      // As Kruise: pod-template-hash is the hash part of the revision; the lifecycle state is dated (RFC 3339, seconds).
      expect(pod.metadata?.labels?.['pod-template-hash']).toBe(created.result.toRevision.split('-').pop());
      expect(pod.metadata?.labels?.['lifecycle.apps.kruise.io/state']).toBe('Normal');
      expect(pod.metadata?.annotations?.['lifecycle.apps.kruise.io/timestamp']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      // Created PreparingNormal; the gate goes True, then Normal once bound, never before.
      const states = watcher.pods[name]!.states;
      expect(states[0]!.lifecycle, JSON.stringify(states)).toBe('PreparingNormal');
      const normal = states.findIndex((x) => x.lifecycle === 'Normal');
      expect(states[normal]!.bound, JSON.stringify(states)).toBe(true);
      expect(states[normal]!.gate, JSON.stringify(states)).toBe('True');
      expect(
        states.slice(0, normal).every((x) => x.lifecycle === 'PreparingNormal'),
        JSON.stringify(states),
      ).toBe(true);
    }

    const marks = watcher.pods;
    const seen = Object.fromEntries(Object.entries(marks).map(([n, h]) => [n, h.states.length]));
    watcher.resetMarks(4);
    const second = await example('nginx02.yaml', ns);
    second.spec.minReadySeconds = 1; // the manifest's 30 s, shortened for the suite
    const { result } = await applyAndRoll(env, second);
    watcher.stop();

    expect(result).toMatchObject({ updatedInPlace: 4, recreated: 0, deleted: 1, created: 0 });
    const after = await livePods(env, ns, 'nginxweb1');
    expect(after).toHaveLength(4);
    for (const pod of after) {
      const old = before.find((b) => b.metadata?.name === pod.metadata?.name);
      expect(old, `${pod.metadata?.name} existed before`).toBeDefined();
      expect(pod.metadata?.uid).toBe(old!.metadata?.uid);
      expect(pod.spec?.nodeName).toBe(old!.spec?.nodeName);
      expect(pod.status?.podIP).toBe(old!.status?.podIP);
      const c = pod.status!.containerStatuses![0]!;
      expect(c.image).toBe('nginx:latest');
      expect(c.restartCount).toBe(1);
      expect(c.ready).toBe(true);
      expect(pod.metadata?.labels?.['controller-revision-hash']).toBe(result.toRevision);
      expect(pod.status?.conditions?.find((x) => x.type === 'InPlaceUpdateReady')?.status).toBe('True');
      // Kruise's shape, key order as it serializes it, whole-second timestamps.
      const raw = pod.metadata!.annotations!['apps.kruise.io/inplace-update-state']!;
      const state = JSON.parse(raw) as Record<string, unknown>;
      expect(Object.keys(state)).toEqual(['revision', 'updateTimestamp', 'lastContainerStatuses', 'updateImages', 'containerBatchesRecord']);
      expect(state).toEqual({
        revision: result.toRevision,
        updateTimestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
        lastContainerStatuses: { nginx: { imageID: old!.status!.containerStatuses![0]!.imageID } },
        updateImages: true,
        containerBatchesRecord: [{ timestamp: state.updateTimestamp, containers: ['nginx'] }],
      });
      expect(pod.metadata?.labels?.['lifecycle.apps.kruise.io/state']).toBe('Normal');
      // The update as the watcher saw it: the gate and Ready went False in one write (Ready=False at the very first
      // event with the gate False, though the kubelet's status sync lags); then Updating; then the gate True while
      // still Updating (Kruise's order); then Normal.
      const update = marks[pod.metadata!.name!]!.states.slice(seen[pod.metadata!.name!]);
      const why = JSON.stringify(update);
      const off = update.findIndex((x) => x.gate === 'False');
      expect(update[off], why).toMatchObject({ gate: 'False', ready: 'False', lifecycle: 'Normal' });
      const on = update.findIndex((x, i) => i > off && x.gate === 'True');
      expect(update[on], why).toMatchObject({ gate: 'True', lifecycle: 'Updating' });
      expect(
        update.slice(off, on).every((x) => x.ready !== 'True'),
        why,
      ).toBe(true);
      expect(
        update.findIndex((x, i) => i > on && x.lifecycle === 'Normal'),
        why,
      ).toBeGreaterThan(on);
    }
    // maxUnavailable defaults to 20% of 4 → 1 (rounded up): never more than one Pod down at once.
    expect(watcher.maxUnavailable, JSON.stringify(watcher.timeline)).toBeLessThanOrEqual(1);

    const cs = (await env.k.custom.getNamespacedCustomObject({
      group: 'apps.kruise.io',
      version: 'v1alpha1',
      plural: 'clonesets',
      namespace: ns,
      name: 'nginxweb1',
    })) as {
      metadata: { generation: number };
      status: Record<string, unknown>;
    };
    expect(cs.status).toMatchObject({
      replicas: 4,
      readyReplicas: 4,
      updatedReplicas: 4,
      updatedReadyReplicas: 4,
      expectedUpdatedReplicas: 4,
      updateRevision: result.toRevision,
      currentRevision: result.toRevision,
      observedGeneration: cs.metadata.generation,
      collisionCount: 0,
      labelSelector: 'app=nginxweb1', // the scale subresource's labelSelectorPath (what an HPA reads)
    });
    // The scale subresource serves it.
    const scale = (await env.k.custom.getNamespacedCustomObjectScale({
      group: 'apps.kruise.io',
      version: 'v1alpha1',
      plural: 'clonesets',
      namespace: ns,
      name: 'nginxweb1',
    })) as { status?: { replicas?: number; selector?: string } };
    expect(scale.status).toMatchObject({ replicas: 4, selector: 'app=nginxweb1' });
  });
});
