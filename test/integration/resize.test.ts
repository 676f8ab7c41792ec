/**
 * In-place resources: a change of a container's cpu or memory is rolled through `pods/resize`, Pod by Pod under
 * maxUnavailable, with the readiness-gate dance of an image update — same Pods (names and UIDs), the kubelet's
 * status reporting the new resources, a container restarted only where its resizePolicy says RestartContainer.
 * A change a resize can not make (the QoS class) recreates under InPlaceIfPossible and is refused under InPlaceOnly;
 * a resize no node can fit blocks the rollout, named, until its progress deadline.
 *
 * Runs on both backends (KUBE_BACKEND=real: the real kube-apiserver validates the resizes). Slow enough by
 * construction where it matters: the kubelet holds every resize for `resizeDelayMs` before applying it.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RolloutFailedError } from '../../src/client/index.js';
import { applyCloneSet } from '../../src/kube/apply.js';
import type { CloneSet } from '../../src/rollout/index.js';
import { eventually } from '../support/until.js';
import { ReadinessWatcher } from '../support/watcher.js';
import { WorkerProcess } from '../support/worker-process.js';
import { applyAndRoll, cloneSet, ensureNamespace, KUBE_BACKEND, livePods, startTestEnv, uniqueNamespace, type TestEnv } from '../support/env.js';

const BURSTABLE = { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '200m', memory: '128Mi' } };
const GUARANTEED = { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '100m', memory: '64Mi' } };

let env: TestEnv;
beforeAll(async () => {
  env = await startTestEnv({ kubelet: { resizeDelayMs: 200 } });
});
afterAll(async () => {
  await env?.stop();
});

interface Started {
  cs: CloneSet;
  w: ReadinessWatcher;
  before: V1Pod[];
}

/** A CloneSet `web` with these resources rolled out, and a window watcher on it (on `on`, default the file's env). */
async function setup(
  ns: string,
  replicas: number,
  resources: object,
  extra: Partial<CloneSet['spec']> = {},
  resizePolicy?: object[],
  on: TestEnv = env,
): Promise<Started> {
  const cs = cloneSet(ns, 'web', { replicas, updateStrategy: { type: 'InPlaceIfPossible', maxUnavailable: 1 }, ...extra });
  cs.spec.template.spec.containers[0]!.resources = resources;
  if (resizePolicy) cs.spec.template.spec.containers[0]!.resizePolicy = resizePolicy;
  await applyAndRoll(on, cs);
  const w = new ReadinessWatcher(on.cluster.kubeConfig(), ns, 'app=web');
  await w.start();
  w.resetMarks(replicas);
  return { cs, w, before: await livePods(on, ns, 'web') };
}

const uids = (pods: V1Pod[]) => pods.map((p) => `${p.metadata!.name}/${p.metadata!.uid}`);
const statusResources = (p: V1Pod) => p.status!.containerStatuses![0]!.resources;
const specResources = (p: V1Pod) => p.spec!.containers[0]!.resources;

async function roll(s: Started, resources: object, image?: string) {
  s.cs.spec.template.spec.containers[0]!.resources = resources;
  if (image) s.cs.spec.template.spec.containers[0]!.image = image;
  await applyCloneSet(env.k, s.cs);
  return env.client.start({ namespace: s.cs.metadata.namespace!, name: 'web' });
}

describe('in-place resources', () => {
  it('step 1: a cpu change rolls in place: same Pods, status resources updated, no restart (resizePolicy NotRequired)', async () => {
    const ns = uniqueNamespace('resize');
    const s = await setup(ns, 3, BURSTABLE);
    const handle = await roll(s, { ...BURSTABLE, requests: { cpu: '150m', memory: '64Mi' } });
    const result = await handle.result();
    s.w.stop();
    expect(result.updatedInPlace).toBe(3);
    const pods = await livePods(env, ns, 'web');
    expect(uids(pods)).toEqual(uids(s.before));
    for (const p of pods) {
      expect(specResources(p)!.requests).toMatchObject({ cpu: '150m', memory: '64Mi' });
      expect(statusResources(p)!.requests).toMatchObject({ cpu: '150m', memory: '64Mi' });
      expect(p.status!.containerStatuses![0]!.restartCount).toBe(0);
      expect(p.status!.conditions!.find((c) => c.type === 'InPlaceUpdateReady')?.status).toBe('True');
      expect(JSON.parse(p.metadata!.annotations!['apps.kruise.io/inplace-update-state']!)).toMatchObject({
        updateResources: true,
        lastContainerStatuses: { nginx: { resources: { requests: { cpu: '100m' } } } },
      });
    }
    // Every Pod left service for its resize (the gate), never more than one at a time.
    expect(Object.values(s.w.pods).every((h) => h.gateOffAt.length >= 1)).toBe(true);
    expect(s.w.maxUnavailable).toBeLessThanOrEqual(1);
  });

  it('step 2: a memory change with resizePolicy RestartContainer restarts the container exactly once', async () => {
    const ns = uniqueNamespace('resize');
    const s = await setup(ns, 2, BURSTABLE, {}, [
      { resourceName: 'cpu', restartPolicy: 'NotRequired' },
      { resourceName: 'memory', restartPolicy: 'RestartContainer' },
    ]);
    const handle = await roll(s, { ...BURSTABLE, limits: { cpu: '200m', memory: '256Mi' } });
    await handle.result();
    s.w.stop();
    const pods = await livePods(env, ns, 'web');
    expect(uids(pods)).toEqual(uids(s.before));
    for (const p of pods) {
      expect(statusResources(p)!.limits).toMatchObject({ memory: '256Mi' });
      expect(p.status!.containerStatuses![0]!.restartCount).toBe(1);
    }
    expect(s.w.maxUnavailable).toBeLessThanOrEqual(1);
  });

  it('step 3: an image and resources in one revision: both land in place', async () => {
    const ns = uniqueNamespace('resize');
    const s = await setup(ns, 3, GUARANTEED);
    const bigger = { requests: { cpu: '300m', memory: '128Mi' }, limits: { cpu: '300m', memory: '128Mi' } };
    const handle = await roll(s, bigger, 'nginx:latest');
    const result = await handle.result();
    s.w.stop();
    expect(result.updatedInPlace).toBe(3);
    const pods = await livePods(env, ns, 'web');
    expect(uids(pods)).toEqual(uids(s.before));
    for (const p of pods) {
      expect(p.status!.containerStatuses![0]).toMatchObject({ image: 'nginx:latest', ready: true });
      expect(statusResources(p)).toMatchObject(bigger);
      expect(p.status!.qosClass).toBe('Guaranteed');
    }
    expect(s.w.maxUnavailable).toBeLessThanOrEqual(1);
  });

  it('step 4: a change of QoS class recreates the Pods under InPlaceIfPossible', async () => {
    const ns = uniqueNamespace('resize');
    const s = await setup(ns, 2, GUARANTEED);
    const handle = await roll(s, BURSTABLE);
    const result = await handle.result();
    s.w.stop();
    expect(result.updatedInPlace).toBe(0);
    const pods = await livePods(env, ns, 'web');
    expect(pods).toHaveLength(2);
    for (const p of pods) {
      expect(uids(s.before)).not.toContain(`${p.metadata!.name}/${p.metadata!.uid}`);
      expect(p.status!.qosClass).toBe('Burstable');
    }
  });

  it('step 5: the same change under InPlaceOnly is refused before any Pod is touched, naming container, field and reason', async () => {
    const ns = uniqueNamespace('resize');
    const s = await setup(ns, 2, GUARANTEED, { updateStrategy: { type: 'InPlaceOnly', maxUnavailable: 1 } });
    const handle = await roll(s, BURSTABLE);
    const err = await handle.result().then(
      () => null,
      (e: unknown) => e,
    );
    s.w.stop();
    expect(err).toBeInstanceOf(RolloutFailedError);
    expect(String((err as Error).message)).toMatch(
      /InPlaceOnly .*spec\.containers\[nginx\]\.resources change the Pod's QoS class from Guaranteed to Burstable/,
    );
    const pods = await livePods(env, ns, 'web');
    expect(pods.map((p) => `${p.metadata!.uid}@${p.metadata!.resourceVersion}`)).toEqual(
      s.before.map((p) => `${p.metadata!.uid}@${p.metadata!.resourceVersion}`),
    );
  });
});

describe('in-place resources on full nodes (2 nodes of 1 cpu)', () => {
  let full: TestEnv;
  beforeAll(async () => {
    full = await startTestEnv({ kubelet: { nodes: 2, nodeAllocatable: { cpu: '1', memory: '16Gi' }, resizeDelayMs: 200 } });
  });
  afterAll(async () => {
    await full?.stop();
  });

  /** A Pod asking for 500m on each node, so a resize to 600m waits for room there (Deferred). */
  async function fillNodes(ns: string): Promise<string[]> {
    const names: string[] = [];
    for (const node of ['node-1', 'node-2']) {
      const name = `filler-${node}`;
      await full.k.core.createNamespacedPod({
        namespace: ns,
        body: {
          metadata: { name, labels: { app: 'filler' } },
          spec: { nodeName: node, containers: [{ name: 'c', image: 'busybox:1', resources: { requests: { cpu: '500m' }, limits: { cpu: '500m' } } }] },
        },
      });
      names.push(name);
    }
    return names;
  }

  const DEFERRED = { requests: { cpu: '600m', memory: '64Mi' }, limits: { cpu: '600m', memory: '128Mi' } };

  it('step 6: a resize the node has no room for now is Deferred: the rollout blocks at its first Pod, Stuck with the reason named, and goes on once room frees up', async () => {
    const ns = uniqueNamespace('resize-full');
    await ensureNamespace(full.k, ns);
    const fillers = await fillNodes(ns);
    const s = await setup(ns, 2, BURSTABLE, { progressDeadlineSeconds: 3 }, undefined, full);
    s.cs.spec.template.spec.containers[0]!.resources = DEFERRED;
    await applyCloneSet(full.k, s.cs);
    const handle = await full.client.start({ namespace: ns, name: 'web' });
    // Deferred stays until the test frees the nodes: nothing to race.
    const stuck = await eventually('phase Stuck, naming the Deferred resize', async () => {
      const p = await handle.progress();
      return p.phase === 'Stuck' && /resize Deferred/.test(p.waiting ?? '') ? p : undefined;
    });
    expect(stuck.waiting).toMatch(
      /no Pod progressed for 3s \(progressDeadlineSeconds\); waiting on web-\w+ \(resize Deferred: Node didn't have enough resource: cpu/,
    );
    const waitingPods = (await livePods(full, ns, 'web')).filter((p) =>
      p.status!.conditions!.some((c) => c.type === 'PodResizePending' && c.reason === 'Deferred'),
    );
    expect(waitingPods).toHaveLength(1);
    expect(s.w.maxUnavailable).toBeLessThanOrEqual(1);

    // Room on the nodes: the deferred resize is applied, the other Pod follows, the rollout completes.
    for (const f of fillers) await full.k.core.deleteNamespacedPod({ namespace: ns, name: f, gracePeriodSeconds: 0 });
    const result = await handle.result();
    s.w.stop();
    expect(result.updatedInPlace).toBe(2);
    const pods = await livePods(full, ns, 'web');
    expect(uids(pods)).toEqual(uids(s.before));
    for (const p of pods) expect(statusResources(p)!.requests).toMatchObject({ cpu: '600m' });
    expect(s.w.maxUnavailable).toBeLessThanOrEqual(1);
  });

  it('step 7: with rollbackOnFailure, a resize still Deferred at its progress deadline is rolled back in place', async () => {
    const ns = uniqueNamespace('resize-full');
    await ensureNamespace(full.k, ns);
    await fillNodes(ns);
    const s = await setup(ns, 2, BURSTABLE, { progressDeadlineSeconds: 3 }, undefined, full);
    s.cs.spec.template.spec.containers[0]!.resources = DEFERRED;
    await applyCloneSet(full.k, s.cs);
    const handle = await full.client.start({ namespace: ns, name: 'web', rollbackOnFailure: true });
    const result = await handle.result();
    s.w.stop();
    expect(result.aborted).toMatchObject({ rollback: true });
    expect((await handle.progress()).phase).toBe('RolledBack');
    const pods = await livePods(full, ns, 'web');
    expect(uids(pods)).toEqual(uids(s.before));
    for (const p of pods) {
      expect(specResources(p)!.requests).toMatchObject({ cpu: '100m' });
      expect(statusResources(p)!.requests).toMatchObject({ cpu: '100m' });
      expect(p.status!.conditions!.some((c) => c.type === 'PodResizePending')).toBe(false);
      expect(p.status!.conditions!.find((c) => c.type === 'InPlaceUpdateReady')?.status).toBe('True');
    }
    // Only the one Pod taken ever left service: the window held during the failure and the rollback.
    expect(s.w.maxUnavailable).toBeLessThanOrEqual(1);
  });

  it('step 8: a resize beyond what a node has: refused at start by the apiserver (real) or Infeasible on the kubelet (simulated), named either way', async () => {
    const ns = uniqueNamespace('resize-full');
    const s = await setup(ns, 1, BURSTABLE, { progressDeadlineSeconds: 3 }, undefined, full);
    s.cs.spec.template.spec.containers[0]!.resources = { requests: { cpu: '2', memory: '64Mi' }, limits: { cpu: '2', memory: '128Mi' } };
    await applyCloneSet(full.k, s.cs);
    const handle = await full.client.start({ namespace: ns, name: 'web' });
    if (KUBE_BACKEND === 'real') {
      // The real apiserver checks a resize against the Pod's Node: the dry-run at start hears it, nothing is touched.
      const err = await handle.result().then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(RolloutFailedError);
      expect(String((err as Error).message)).toMatch(
        /refuses to resize Pod web-\w+ on node-\d .*node didn't have enough allocatable resources: cpu, requested: 2000, allocatable: 1000/,
      );
      const pods = await livePods(full, ns, 'web');
      expect(pods.map((p) => `${p.metadata!.uid}@${p.metadata!.resourceVersion}`)).toEqual(
        s.before.map((p) => `${p.metadata!.uid}@${p.metadata!.resourceVersion}`),
      );
    } else {
      const stuck = await eventually('phase Stuck, naming the Infeasible resize', async () => {
        const p = await handle.progress();
        return p.phase === 'Stuck' && /resize Infeasible/.test(p.waiting ?? '') ? p : undefined;
      });
      expect(stuck.waiting).toMatch(/waiting on web-\w+ \(resize Infeasible: Node didn't have enough capacity: cpu, requested: 2000, capacity: 1000\)/);
      await handle.abort({ rollback: true });
      await handle.result().catch(() => undefined);
    }
    s.w.stop();
    expect(s.w.maxUnavailable).toBeLessThanOrEqual(1);
  });
});

describe('in-place resources: worker SIGKILL between the resize and its completion', () => {
  let slow: TestEnv;
  let worker: WorkerProcess;
  beforeAll(async () => {
    // The kubelet holds each resize 8 s: the kill lands after the resize was written and before it is applied.
    slow = await startTestEnv({ worker: false, kubelet: { resizeDelayMs: 8_000 } });
    let kubeconfigPath = slow.cluster.kubeconfigPath;
    if (!kubeconfigPath) {
      kubeconfigPath = join(mkdtempSync(join(tmpdir(), 'resize-kill-')), 'kubeconfig');
      await slow.cluster.api!.writeKubeconfig(kubeconfigPath);
    }
    worker = new WorkerProcess({ address: slow.address, taskQueue: slow.taskQueue, kubeconfigPath });
  });
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') console.error(`worker log:\n${worker.tail()}`);
  });
  afterAll(async () => {
    await worker?.stop();
    await slow?.stop();
  });

  it('resumes without a second resize or a second restart', async () => {
    const ns = uniqueNamespace('resize-kill');
    const cs = cloneSet(ns, 'web', { replicas: 1, updateStrategy: { type: 'InPlaceIfPossible' } });
    cs.spec.template.spec.containers[0]!.resources = BURSTABLE;
    cs.spec.template.spec.containers[0]!.resizePolicy = [{ resourceName: 'cpu', restartPolicy: 'RestartContainer' }];
    await worker.start();
    await ensureNamespace(slow.k, ns);
    await applyCloneSet(slow.k, cs);
    await (await slow.client.start({ namespace: ns, name: 'web' })).result();
    const [before] = await livePods(slow, ns, 'web');

    cs.spec.template.spec.containers[0]!.resources = { ...BURSTABLE, requests: { cpu: '150m', memory: '64Mi' } };
    await applyCloneSet(slow.k, cs);
    const handle = await slow.client.start({ namespace: ns, name: 'web' });
    // The resize is written (the Pod's spec asks for 150m), the kubelet has not applied it yet.
    const resized = await eventually('the resize written', async () => {
      const [p] = await livePods(slow, ns, 'web');
      return specResources(p!)?.requests?.cpu === '150m' ? p : undefined;
    });
    await worker.kill();
    expect(statusResources(resized!)!.requests).toMatchObject({ cpu: '100m' });
    const [atKill] = await livePods(slow, ns, 'web');
    expect(statusResources(atKill!)!.requests).toMatchObject({ cpu: '100m' });
    await worker.start();
    const result = await handle.result();
    expect(result.updatedInPlace).toBe(1);
    const [after] = await livePods(slow, ns, 'web');
    expect(after!.metadata!.uid).toBe(before!.metadata!.uid);
    expect(statusResources(after!)!.requests).toMatchObject({ cpu: '150m' });
    expect(after!.status!.containerStatuses![0]!.restartCount).toBe(1);
    expect(slow.cluster.kubelet!.resizesByPod()).toEqual({ [`${ns}/${before!.metadata!.name}`]: 1 });
    // One resize: the Pod's generation moved once (created at 1).
    expect(after!.metadata!.generation).toBe(2);
  });
});
