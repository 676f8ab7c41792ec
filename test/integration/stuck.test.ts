/**
 * Stuck Pods: an image the kubelet can't pull (or that never gets ready) must not take the CloneSet down. With
 * progressDeadlineSeconds the rollout stops taking Pods, says so on the CloneSet and in its progress, and recovers
 * when the CloneSet gets a new spec; without one it still never exceeds maxUnavailable.
 *
 * Slow enough by construction: the image never pulls (or never gets ready), so each rollout waits, Stuck or not,
 * for the new spec the test applies, however long the test takes to get there.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyCloneSet } from '../../src/kube/apply.js';
import { CLONESET } from '../../src/kube/clients.js';
import type { CloneSet } from '../../src/rollout/index.js';
import { ReadinessWatcher } from '../support/watcher.js';
import { applyAndRoll, cloneSet, livePods, startTestEnv, uniqueNamespace, type TestEnv } from '../support/env.js';

let env: TestEnv;
beforeAll(async () => {
  env = await startTestEnv();
});
afterAll(async () => {
  await env?.stop();
});

async function until<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function setup(ns: string, spec: Partial<CloneSet['spec']>) {
  const cs = cloneSet(ns, 'web', { replicas: 3, ...spec, updateStrategy: { type: 'InPlaceIfPossible', maxUnavailable: 1 } });
  await applyAndRoll(env, cs);
  const w = new ReadinessWatcher(env.cluster.kubeConfig(), ns, 'app=web');
  await w.start();
  w.resetMarks(3);
  return { cs, w };
}

const gateOffs = (w: ReadinessWatcher) => Object.values(w.pods).reduce((n, h) => n + h.gateOffAt.length, 0);

describe('stuck Pods', () => {
  it('stops at the first unpullable Pod after progressDeadlineSeconds=3, reports Stuck and Progressing=False, then recovers on a new image', async () => {
    const ns = uniqueNamespace('stuck');
    const { cs, w } = await setup(ns, { progressDeadlineSeconds: 3 });
    const handle = await env.client.start({ namespace: ns, name: 'web', images: { nginx: 'nginx:unpullable' } });
    // Phase and waiting are set a step apart in the workflow: a query can see Stuck with the round's old waiting.
    const stuck = await until('phase Stuck, saying why', async () => {
      const p = await handle.progress();
      return p.phase === 'Stuck' && /no Pod progressed/.test(p.waiting ?? '') ? p : undefined;
    });
    expect(stuck.waiting).toMatch(/no Pod progressed for 3s \(progressDeadlineSeconds\); waiting on web-\w+ \(nginx: (ErrImagePull|ImagePullBackOff)\)/);
    // The phase is Stuck before the condition's write lands: wait for the write, not for time.
    const progressing = await until('Progressing=False on the CloneSet', async () => {
      const status = ((await env.k.custom.getNamespacedCustomObject({ ...CLONESET, namespace: ns, name: 'web' })) as CloneSet).status!;
      const c = status.conditions?.find((x) => x.type === 'Progressing');
      return c?.status === 'False' ? c : undefined;
    });
    expect(progressing).toMatchObject({ status: 'False', reason: 'ProgressDeadlineExceeded' });
    // It took no other Pod: one drained, two serving.
    await new Promise((r) => setTimeout(r, 2_000));
    expect(gateOffs(w)).toBe(1);
    expect(w.maxUnavailable).toBe(1);

    // A new target: the stuck Pod is re-patched, the others follow; the rollout completes.
    cs.spec.template.spec.containers[0]!.image = 'nginx:1.28';
    await applyCloneSet(env.k, cs);
    const result = await handle.result();
    w.stop();
    expect(result.updatedInPlace).toBeGreaterThanOrEqual(3);
    const pods = await livePods(env, ns, 'web');
    expect(pods.map((p) => p.status!.containerStatuses![0]!.image)).toEqual(['nginx:1.28', 'nginx:1.28', 'nginx:1.28']);
    for (const p of pods) expect(p.status!.conditions!.find((c) => c.type === 'InPlaceUpdateReady')?.status).toBe('True');
    expect(w.maxUnavailable).toBeLessThanOrEqual(1);
    const after = ((await env.k.custom.getNamespacedCustomObject({ ...CLONESET, namespace: ns, name: 'web' })) as CloneSet).status!;
    expect(after.conditions?.find((c) => c.type === 'Progressing')).toMatchObject({ status: 'True', reason: 'CloneSetUpdated' });
  });

  it('never takes a second Pod while one never gets ready and no deadline is set (maxUnavailable=1)', async () => {
    const ns = uniqueNamespace('stuck');
    const { cs, w } = await setup(ns, {});
    const handle = await env.client.start({ namespace: ns, name: 'web', images: { nginx: 'nginx:never-ready' } });
    await until('the first Pod drained', async () => gateOffs(w) > 0);
    await new Promise((r) => setTimeout(r, 5_000));
    expect(gateOffs(w)).toBe(1);
    expect(w.maxUnavailable).toBe(1);
    expect((await handle.progress()).phase).toBe('Updating');
    cs.spec.template.spec.containers[0]!.image = 'nginx:1.28';
    await applyCloneSet(env.k, cs);
    await handle.result();
    w.stop();
    const pods = await livePods(env, ns, 'web');
    expect(pods.every((p) => p.status!.containerStatuses![0]!.image === 'nginx:1.28' && p.status!.containerStatuses![0]!.ready)).toBe(true);
    expect(w.maxUnavailable).toBeLessThanOrEqual(1);
  });

  it('rolls the updated Pod back in place after progressDeadlineSeconds when rollbackOnFailure is set', async () => {
    const ns = uniqueNamespace('stuck');
    const { w } = await setup(ns, { progressDeadlineSeconds: 3 });
    const before = await livePods(env, ns, 'web');
    const handle = await env.client.start({ namespace: ns, name: 'web', images: { nginx: 'nginx:unpullable' }, rollbackOnFailure: true });
    const result = await handle.result();
    w.stop();
    expect(result.aborted).toMatchObject({ rollback: true });
    expect((await handle.progress()).phase).toBe('RolledBack');
    const pods = await livePods(env, ns, 'web');
    // Same Pods (in place, never recreated), all back on the starting image, serving.
    expect(pods.map((p) => p.metadata!.uid).sort()).toEqual(before.map((p) => p.metadata!.uid).sort());
    for (const p of pods) {
      expect(p.status!.containerStatuses![0]).toMatchObject({ image: 'nginx:perl', ready: true });
      expect(p.status!.conditions!.find((c) => c.type === 'InPlaceUpdateReady')?.status).toBe('True');
    }
    // Only the one Pod that was taken ever left service: the window held during the failure and the rollback.
    expect(gateOffs(w)).toBeLessThanOrEqual(2);
    expect(w.maxUnavailable).toBeLessThanOrEqual(1);
    const cs = (await env.k.custom.getNamespacedCustomObject({ ...CLONESET, namespace: ns, name: 'web' })) as CloneSet;
    expect(cs.spec.template.spec.containers[0]!.image).toBe('nginx:perl');
  });
});
