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
    const created = await applyAndRoll(env, first);
    expect(created.result.created).toBe(5);
    const before = await livePods(env, ns, 'nginxweb1');
    expect(before).toHaveLength(5);
    expect(before.every((p) => p.status?.containerStatuses?.[0]?.image === 'nginx:perl')).toBe(true);
    expect(before.every((p) => p.spec?.readinessGates?.some((g) => g.conditionType === 'InPlaceUpdateReady'))).toBe(true);

    const watcher = new ReadinessWatcher(env.cluster.kubeConfig(), ns, 'app=nginxweb1');
    await watcher.start();
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
      expect(JSON.parse(pod.metadata!.annotations!['apps.kruise.io/inplace-update-state']!)).toMatchObject({ revision: result.toRevision });
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
    });
  });
});
