/**
 * The in-place rollout's behaviour on the real Temporal dev server and the simulated cluster. Invariants are
 * checked by an independent watcher of Pod readiness, never by the workflow's own counters.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RolloutAlreadyRunningError, RolloutFailedError } from '../../src/client/index.js';
import { applyCloneSet } from '../../src/kube/apply.js';
import { watchPods } from '../support/watcher.js';
import { applyAndRoll, cloneSet, livePods, startTestEnv, uniqueNamespace, type TestEnv } from '../support/env.js';

let env: TestEnv;
beforeAll(async () => {
  env = await startTestEnv();
});
afterAll(async () => {
  await env?.stop();
});

const watch = (ns: string, app: string, desired: number) => watchPods(env.cluster.kubeConfig(), ns, desired, `app=${app}`);

const uids = (pods: Awaited<ReturnType<typeof livePods>>) => Object.fromEntries(pods.map((p) => [p.metadata!.name!, p.metadata!.uid!]));

describe('rolloutCloneSet', () => {
  it('keeps at most 2 Pods unavailable while rolling 10 in place (maxUnavailable=2)', async () => {
    const ns = uniqueNamespace();
    const cs = cloneSet(ns, 'web', { replicas: 10, updateStrategy: { type: 'InPlaceIfPossible', maxUnavailable: 2 } });
    await applyAndRoll(env, cs);
    const before = uids(await livePods(env, ns, 'web'));
    const w = await watch(ns, 'web', 10);
    const handle = await env.client.start({ namespace: ns, name: 'web', images: { nginx: 'nginx:1.27' } });
    const result = await handle.result();
    w.stop();
    expect(result.updatedInPlace).toBe(10);
    expect(w.maxUnavailable).toBeLessThanOrEqual(2);
    expect(w.maxUnavailable).toBeGreaterThanOrEqual(1); // the watcher did see the rollout happen
    const after = await livePods(env, ns, 'web');
    expect(uids(after)).toEqual(before);
    expect(after.every((p) => p.status!.containerStatuses![0]!.image === 'nginx:1.27' && p.status!.containerStatuses![0]!.restartCount === 1)).toBe(true);
    // Each container restarted exactly once: two containerIDs seen per Pod (original + after the patch).
    for (const name of Object.keys(before)) expect(w.pods[name]!.containerIds.nginx).toHaveLength(2);
  });

  it('leaves partition=3 of 5 Pods on the old revision', async () => {
    const ns = uniqueNamespace();
    await applyAndRoll(env, cloneSet(ns, 'web', { replicas: 5, updateStrategy: { type: 'InPlaceIfPossible', partition: 3 } }));
    const handle = await env.client.start({ namespace: ns, name: 'web', images: { nginx: 'nginx:1.27' } });
    const result = await handle.result();
    expect(result.updatedInPlace).toBe(2);
    const images = (await livePods(env, ns, 'web')).map((p) => p.status!.containerStatuses![0]!.image).sort();
    expect(images).toEqual(['nginx:1.27', 'nginx:1.27', 'nginx:perl', 'nginx:perl', 'nginx:perl']);
  });

  it('waits gracePeriodSeconds=2 between InPlaceUpdateReady=False and the image patch', async () => {
    const ns = uniqueNamespace();
    await applyAndRoll(
      env,
      cloneSet(ns, 'web', { replicas: 2, updateStrategy: { type: 'InPlaceIfPossible', inPlaceUpdateStrategy: { gracePeriodSeconds: 2 } } }),
    );
    const w = await watch(ns, 'web', 2);
    await (await env.client.start({ namespace: ns, name: 'web', images: { nginx: 'nginx:1.27' } })).result();
    w.stop();
    for (const h of Object.values(w.pods)) {
      expect(h.gateOffAt).toHaveLength(1);
      expect(h.imagePatchedAt).toHaveLength(1);
      expect(h.imagePatchedAt[0]! - h.gateOffAt[0]!).toBeGreaterThanOrEqual(1_900);
    }
  });

  it('restarts only the changed container of a two-container Pod', async () => {
    const ns = uniqueNamespace();
    const cs = cloneSet(ns, 'web', { replicas: 2, updateStrategy: { type: 'InPlaceOnly' } });
    cs.spec.template.spec.containers.push({ name: 'sidecar', image: 'busybox:1.36' });
    await applyAndRoll(env, cs);
    const before = await livePods(env, ns, 'web');
    await (await env.client.start({ namespace: ns, name: 'web', images: { sidecar: 'busybox:1.37' } })).result();
    const after = await livePods(env, ns, 'web');
    for (const pod of after) {
      const old = before.find((b) => b.metadata!.uid === pod.metadata!.uid)!;
      const st = (p: typeof pod, c: string) => p.status!.containerStatuses!.find((x) => x.name === c)!;
      expect(st(pod, 'nginx').containerID).toBe(st(old, 'nginx').containerID);
      expect(st(pod, 'nginx').restartCount).toBe(0);
      expect(st(pod, 'sidecar').containerID).not.toBe(st(old, 'sidecar').containerID);
      expect(st(pod, 'sidecar').restartCount).toBe(1);
      expect(st(pod, 'sidecar').image).toBe('busybox:1.37');
    }
  });

  it('recreates Pods under InPlaceIfPossible when env changes', async () => {
    const ns = uniqueNamespace();
    const cs = cloneSet(ns, 'web', { replicas: 3, updateStrategy: { type: 'InPlaceIfPossible', maxUnavailable: 1 } });
    await applyAndRoll(env, cs);
    const before = uids(await livePods(env, ns, 'web'));
    cs.spec.template.spec.containers[0]!.env = [{ name: 'MODE', value: 'fast' }];
    const w = await watch(ns, 'web', 3);
    const { result } = await applyAndRoll(env, cs);
    w.stop();
    expect(result.recreated).toBe(3);
    expect(result.updatedInPlace).toBe(0);
    const after = await livePods(env, ns, 'web');
    expect(after).toHaveLength(3);
    for (const p of after) expect(Object.values(before)).not.toContain(p.metadata!.uid);
    expect(after.every((p) => (p.spec!.containers[0]!.env ?? []).some((e) => e.name === 'MODE'))).toBe(true);
    expect(w.maxUnavailable).toBeLessThanOrEqual(1);
  });

  it('fails InPlaceOnly with an env change before touching any Pod, naming the field', async () => {
    const ns = uniqueNamespace();
    const cs = cloneSet(ns, 'web', { replicas: 2, updateStrategy: { type: 'InPlaceOnly' } });
    await applyAndRoll(env, cs);
    const before = await livePods(env, ns, 'web');
    cs.spec.template.spec.containers[0]!.env = [{ name: 'MODE', value: 'fast' }];
    await applyCloneSet(env.k, cs);
    const handle = await env.client.start({ namespace: ns, name: 'web' });
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RolloutFailedError);
    expect((err as RolloutFailedError).type).toBe('InPlaceNotPossible');
    expect((err as Error).message).toMatch(/env/);
    const after = await livePods(env, ns, 'web');
    expect(after.map((p) => [p.metadata!.uid, p.metadata!.resourceVersion])).toEqual(before.map((p) => [p.metadata!.uid, p.metadata!.resourceVersion]));
  });

  it('recreates every Pod under ReCreate, within maxUnavailable', async () => {
    const ns = uniqueNamespace();
    const cs = cloneSet(ns, 'web', { replicas: 4, updateStrategy: { type: 'ReCreate', maxUnavailable: 2 } });
    await applyAndRoll(env, cs);
    const before = uids(await livePods(env, ns, 'web'));
    const w = await watch(ns, 'web', 4);
    const result = await (await env.client.start({ namespace: ns, name: 'web', images: { nginx: 'nginx:1.27' } })).result();
    w.stop();
    expect(result.recreated).toBe(4);
    const after = await livePods(env, ns, 'web');
    expect(after).toHaveLength(4);
    for (const p of after) {
      expect(Object.values(before)).not.toContain(p.metadata!.uid);
      expect(p.status!.containerStatuses![0]!.image).toBe('nginx:1.27');
    }
    expect(w.maxUnavailable).toBeLessThanOrEqual(2);
  });

  it('scales up and down, preferring to delete Pods on the old revision', async () => {
    const ns = uniqueNamespace();
    const cs = cloneSet(ns, 'web', { replicas: 2 });
    await applyAndRoll(env, cs);
    cs.spec.replicas = 5;
    const up = await applyAndRoll(env, cs);
    expect(up.result.created).toBe(3);
    expect(await livePods(env, ns, 'web')).toHaveLength(5);
    cs.spec.replicas = 1;
    const down = await applyAndRoll(env, cs);
    expect(down.result.deleted).toBe(4);
    expect(await livePods(env, ns, 'web')).toHaveLength(1);
  });

  it('honours podsToDelete by deleting the named Pod and replacing it', async () => {
    const ns = uniqueNamespace();
    const cs = cloneSet(ns, 'web', { replicas: 3 });
    await applyAndRoll(env, cs);
    const victim = (await livePods(env, ns, 'web'))[0]!.metadata!.name!;
    cs.spec.scaleStrategy = { podsToDelete: [victim] };
    await applyAndRoll(env, cs);
    const names = (await livePods(env, ns, 'web')).map((p) => p.metadata!.name);
    expect(names).toHaveLength(3);
    expect(names).not.toContain(victim);
  });

  it('rejects a second rollout of the same CloneSet while one runs', async () => {
    const ns = uniqueNamespace();
    const cs = cloneSet(ns, 'web', { replicas: 2, minReadySeconds: 2, updateStrategy: { type: 'InPlaceIfPossible' } });
    await applyAndRoll(env, cs);
    const first = await env.client.start({ namespace: ns, name: 'web', images: { nginx: 'nginx:1.27' } });
    await expect(env.client.start({ namespace: ns, name: 'web', images: { nginx: 'nginx:1.28' } })).rejects.toBeInstanceOf(RolloutAlreadyRunningError);
    await first.result();
  });

  it('fails at once, non-retryably, on a CloneSet that does not exist or an unknown container', async () => {
    const ns = uniqueNamespace();
    const missing = await (await env.client.start({ namespace: ns, name: 'nope' })).result().catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(RolloutFailedError);
    expect((missing as RolloutFailedError).type).toBe('CloneSetNotFound');
    // How far it got: nowhere (failed before a revision was known), and the progress record says Failed too.
    expect((missing as RolloutFailedError).details).toEqual({
      outcome: 'Failed',
      namespace: ns,
      name: 'nope',
      fromRevision: null,
      toRevision: null,
      updatedInPlace: 0,
      recreated: 0,
      created: 0,
      deleted: 0,
    });
    const record = await env.client.handle(ns, 'nope').progress();
    expect(record).toMatchObject({ phase: 'Failed', error: expect.stringContaining('nope') });

    await applyAndRoll(env, cloneSet(ns, 'web', { replicas: 1 }));
    const before = await env.k.custom.getNamespacedCustomObject({
      group: 'apps.kruise.io',
      version: 'v1alpha1',
      plural: 'clonesets',
      namespace: ns,
      name: 'web',
    });
    const bad = await (await env.client.start({ namespace: ns, name: 'web', images: { php: 'php:8' } })).result().catch((e: unknown) => e);
    expect((bad as RolloutFailedError).type).toBe('InvalidSpec');
    expect((bad as Error).message).toContain('images.php');
    const after = await env.k.custom.getNamespacedCustomObject({
      group: 'apps.kruise.io',
      version: 'v1alpha1',
      plural: 'clonesets',
      namespace: ns,
      name: 'web',
    });
    expect((after as { metadata: { resourceVersion: string } }).metadata.resourceVersion).toBe(
      (before as { metadata: { resourceVersion: string } }).metadata.resourceVersion,
    );
  });
});
