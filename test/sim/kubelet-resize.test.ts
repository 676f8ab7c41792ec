/**
 * In-place Pod resize (pods/resize) played by the simulated kubelet, through client-node only, against the simulated
 * API server and — when SIM_KUBELET_REALKUBE=1 and the binary is built — against the real kube-apiserver (whose
 * admission wants the Pod's Node registered with room: the test registers node-1 and node-2 there).
 */
import { CoreV1Api, PatchStrategy, setHeaderOptions, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimKubelet, type SimKubelet, type SimKubeletOptions } from '../../src/sim/kubelet/index.js';
import type { Pod } from '../../src/sim/kubelet/types.js';
import { FAST, PodClient, cond, cstatus, isReady, kubeletBackends, podName, sleep, waitFor } from './kubelet-helpers.js';

// The real admission of pods/resize looks the Pod's node up and checks its allocatable: register roomy nodes there.
const backends = kubeletBackends(async (kc) => {
  const core = kc.makeApiClient(CoreV1Api);
  for (const name of ['node-1', 'node-2']) {
    await core.createNode({ body: { metadata: { name } } });
    const room = { cpu: '1000', memory: '1Ti', pods: '1000' };
    await core.patchNodeStatus({ name, body: { status: { capacity: room, allocatable: room } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
  }
});

/** Two nodes of 4 cpu / 8Gi; resizes taken 150 ms after they are admitted. */
const KUBELET: SimKubeletOptions = { ...FAST, nodes: 2, nodeAllocatable: { cpu: '4', memory: '8Gi' }, resizeDelayMs: 150 };

interface Resources {
  requests?: Record<string, string>;
  limits?: Record<string, string>;
}

const APP: Resources = { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '200m', memory: '128Mi' } };

/** A Pod bound to `node` at create: `app` with resources (and a resize policy), `sidecar` without. */
function sizedPod(name: string, opts: { node: string; app?: Resources; resizePolicy?: object[] }): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels: { app: 'kubelet-resize' } },
    spec: {
      nodeName: opts.node,
      containers: [
        { name: 'app', image: 'nginx:1.25', resources: structuredClone(opts.app ?? APP), ...(opts.resizePolicy ? { resizePolicy: opts.resizePolicy } : {}) },
        { name: 'sidecar', image: 'busybox:1.36' },
      ],
    },
  } as V1Pod;
}

describe.each(backends.filter((b) => !b.skip))('sim kubelet resizes Pods in place against $name', (backend) => {
  let stopBackend: () => Promise<void>;
  let kc: KubeConfig;
  let kubelet: SimKubelet;
  let pods: PodClient;

  beforeAll(async () => {
    const b = await backend.start();
    stopBackend = b.stop;
    kc = b.kc;
    kubelet = await startSimKubelet(kc, KUBELET);
    pods = new PodClient(kc);
  }, 240_000);

  afterAll(async () => {
    await kubelet?.stop();
    await stopBackend?.();
  }, 60_000);

  async function resize(name: string, app: Resources): Promise<Pod> {
    const res = await pods.core.patchNamespacedPodResize(
      { name, namespace: 'default', body: { spec: { containers: [{ name: 'app', resources: app }] } } },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    return res as unknown as Pod;
  }

  async function ready(name: string): Promise<Pod> {
    return waitFor(`${name} Ready`, async () => {
      const p = await pods.get(name);
      return isReady(p) ? p : undefined;
    });
  }

  /** The Pod once the kubelet published status for its generation and no resize condition is left. */
  async function settled(name: string): Promise<Pod> {
    return waitFor(`${name} settled`, async () => {
      const p = await pods.get(name);
      const generation = p?.metadata.generation;
      const open = cond(p, 'PodResizeInProgress') || cond(p, 'PodResizePending');
      return p && p.status?.observedGeneration === generation && !open && isReady(p) ? p : undefined;
    });
  }

  const key = (name: string) => `default/${name}`;

  it('cpu with NotRequired: the container takes the new resources in place (no restart), once', async () => {
    const name = podName('rs-cpu');
    await pods.create(sizedPod(name, { node: 'node-1', app: { ...APP } }));
    const before = await ready(name);
    const app0 = cstatus(before, 'app')!;
    expect(app0.resources).toEqual(APP);
    expect(app0.allocatedResources).toEqual(APP.requests);
    expect(cstatus(before, 'sidecar')!.resources).toEqual({});
    expect(before.status?.observedGeneration).toBe(1);

    const target = { requests: { cpu: '150m', memory: '64Mi' }, limits: { cpu: '200m', memory: '128Mi' } };
    await resize(name, target);
    const after = await waitFor('resources taken', async () => {
      const p = await pods.get(name);
      return cstatus(p, 'app')?.resources?.requests?.cpu === '150m' ? p : undefined;
    });
    expect(cstatus(after, 'app')).toMatchObject({ resources: target, allocatedResources: target.requests, restartCount: 0, containerID: app0.containerID });
    const final = await settled(name);
    expect(final.metadata.generation).toBe(2);
    expect(final.status?.observedGeneration).toBe(2);
    expect(cstatus(final, 'sidecar')).toEqual(cstatus(before, 'sidecar'));
    expect(kubelet.resizesByPod()[key(name)]).toBe(1);
  });

  it('memory with RestartContainer: the container is restarted exactly once for the resize', async () => {
    const name = podName('rs-mem');
    await pods.create(sizedPod(name, { node: 'node-1', resizePolicy: [{ resourceName: 'memory', restartPolicy: 'RestartContainer' }] }));
    const before = await ready(name);
    const restarts = kubelet.stats().restarts;
    const target = { requests: { cpu: '100m', memory: '96Mi' }, limits: { cpu: '200m', memory: '256Mi' } };
    await resize(name, target);
    const final = await waitFor('restarted with the new resources and Ready', async () => {
      const p = await pods.get(name);
      const app = cstatus(p, 'app');
      return app?.restartCount === 1 && app.ready && app.resources?.limits?.memory === '256Mi' && isReady(p) ? p : undefined;
    });
    const app = cstatus(final, 'app')!;
    expect(app.containerID).not.toBe(cstatus(before, 'app')!.containerID);
    expect(app.lastState?.terminated).toMatchObject({ containerID: cstatus(before, 'app')!.containerID });
    expect(app.allocatedResources).toEqual(target.requests);
    expect(cstatus(final, 'sidecar')).toEqual(cstatus(before, 'sidecar'));
    await sleep(300); // further status syncs: still one restart
    expect(cstatus(await pods.get(name), 'app')!.restartCount).toBe(1);
    expect(kubelet.stats().restarts - restarts).toBe(1);
    expect(kubelet.resizesByPod()[key(name)]).toBe(1);
  });

  it('more than the node has: PodResizePending Infeasible with the kubelet message; nothing changes until a resize that fits', async () => {
    const name = podName('rs-infeasible');
    await pods.create(sizedPod(name, { node: 'node-1' }));
    const before = await ready(name);
    await resize(name, { requests: { cpu: '5', memory: '64Mi' }, limits: { cpu: '6', memory: '128Mi' } });
    const pending = await waitFor('PodResizePending', async () => {
      const p = await pods.get(name);
      return cond(p, 'PodResizePending') ? p : undefined;
    });
    expect(cond(pending, 'PodResizePending')).toMatchObject({
      status: 'True',
      reason: 'Infeasible',
      message: "Node didn't have enough capacity: cpu, requested: 5000, capacity: 4000",
      observedGeneration: 2,
    });
    expect(pending.status?.observedGeneration).toBe(2);
    expect(cond(pending, 'PodResizeInProgress')).toBeUndefined();
    expect(cstatus(pending, 'app')).toMatchObject({ resources: APP, allocatedResources: APP.requests, restartCount: 0 });
    expect(isReady(pending)).toBe(true);

    await resize(name, { requests: { cpu: '1', memory: '64Mi' }, limits: { cpu: '2', memory: '128Mi' } });
    const final = await settled(name);
    expect(cstatus(final, 'app')).toMatchObject({ resources: { requests: { cpu: '1', memory: '64Mi' } }, restartCount: 0 });
    expect(cstatus(final, 'app')!.containerID).toBe(cstatus(before, 'app')!.containerID);
    expect(kubelet.resizesByPod()[key(name)]).toBe(1);
  });

  it('no room next to the node’s other Pods: Deferred, then taken when another Pod on the node is deleted', async () => {
    const [big, small] = [podName('rs-big'), podName('rs-small')];
    await pods.create(sizedPod(big, { node: 'node-2', app: { requests: { cpu: '3', memory: '64Mi' }, limits: { cpu: '3', memory: '128Mi' } } }));
    await pods.create(sizedPod(small, { node: 'node-2', app: { requests: { cpu: '500m', memory: '64Mi' }, limits: { cpu: '2', memory: '128Mi' } } }));
    await ready(big);
    await ready(small);
    await resize(small, { requests: { cpu: '1500m', memory: '64Mi' }, limits: { cpu: '2', memory: '128Mi' } });
    const deferred = await waitFor('Deferred', async () => {
      const p = await pods.get(small);
      return cond(p, 'PodResizePending') ? p : undefined;
    });
    expect(cond(deferred, 'PodResizePending')).toMatchObject({
      reason: 'Deferred',
      message: "Node didn't have enough resource: cpu, requested: 1500, used: 3000, capacity: 4000",
    });
    expect(cstatus(deferred, 'app')!.resources!.requests!.cpu).toBe('500m');
    await sleep(300);
    expect(cstatus(await pods.get(small), 'app')!.resources!.requests!.cpu).toBe('500m');

    await pods.delete(big);
    const final = await settled(small);
    expect(cstatus(final, 'app')).toMatchObject({ resources: { requests: { cpu: '1500m' } }, allocatedResources: { cpu: '1500m' }, restartCount: 0 });
    expect(kubelet.resizesByPod()[key(small)]).toBe(1);
    await waitFor('big gone', async () => (await pods.get(big)) === undefined);
  });

  it('a restarted kubelet finishes an allocated resize and repeats nothing already actuated', async () => {
    const [done, open] = [podName('rs-done'), podName('rs-open')];
    await pods.create(sizedPod(done, { node: 'node-1', resizePolicy: [{ resourceName: 'memory', restartPolicy: 'RestartContainer' }] }));
    await pods.create(sizedPod(open, { node: 'node-1' }));
    await ready(done);
    await ready(open);
    await resize(done, { requests: { cpu: '100m', memory: '80Mi' }, limits: { cpu: '200m', memory: '160Mi' } });
    await waitFor('done restarted for its resize', async () => cstatus(await settled(done), 'app')?.restartCount === 1);

    // a kubelet that admits resizes but takes ten minutes to actuate them: the next resize stays in progress
    await kubelet.stop();
    kubelet = await startSimKubelet(kc, { ...KUBELET, resizeDelayMs: 600_000 });
    const target = { requests: { cpu: '120m', memory: '64Mi' }, limits: { cpu: '200m', memory: '128Mi' } };
    await resize(open, target);
    const inProgress = await waitFor('PodResizeInProgress', async () => {
      const p = await pods.get(open);
      return cond(p, 'PodResizeInProgress') ? p : undefined;
    });
    expect(cond(inProgress, 'PodResizeInProgress')).toMatchObject({ status: 'True', observedGeneration: 2 });
    expect(cstatus(inProgress, 'app')).toMatchObject({ resources: APP, allocatedResources: target.requests });
    expect(kubelet.stats().resizes).toBe(0);
    await kubelet.stop();
    const snapshot = await pods.get(done);

    kubelet = await startSimKubelet(kc, KUBELET);
    const finished = await settled(open);
    expect(cstatus(finished, 'app')).toMatchObject({ resources: target, restartCount: 0 });
    await sleep(400);
    const after = await pods.get(done);
    expect(after?.status).toEqual(snapshot?.status);
    expect(kubelet.resizesByPod()).toEqual({ [key(open)]: 1 });
    expect(kubelet.stats().restarts).toBe(0);
  });

  it('an image change and a RestartContainer resize seen together restart the container once', async () => {
    const name = podName('rs-image');
    await pods.create(sizedPod(name, { node: 'node-1', resizePolicy: [{ resourceName: 'memory', restartPolicy: 'RestartContainer' }] }));
    await ready(name);
    // with the kubelet away, both writes land before it looks again
    await kubelet.stop();
    await pods.setImage(name, 0, 'nginx:1.26');
    const target = { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '200m', memory: '192Mi' } };
    await resize(name, target);
    kubelet = await startSimKubelet(kc, KUBELET);
    const final = await waitFor('new image with the new resources, Ready', async () => {
      const p = await pods.get(name);
      const app = cstatus(p, 'app');
      return app?.image === 'nginx:1.26' && app.resources?.limits?.memory === '192Mi' && isReady(p) ? p : undefined;
    });
    await sleep(300);
    expect(cstatus(await pods.get(name), 'app')).toMatchObject({ restartCount: 1, containerID: cstatus(final, 'app')!.containerID });
    expect(kubelet.stats().restarts).toBe(1);
    expect(final.status?.observedGeneration).toBe(3);
  });

  it('registerNodes: Nodes with nodeAllocatable on a real apiserver, whose admission then refuses a resize beyond it; nothing on the simulated one', async () => {
    await kubelet.stop();
    kubelet = await startSimKubelet(kc, { ...KUBELET, registerNodes: true });
    const name = podName('rs-admission');
    await pods.create(sizedPod(name, { node: 'node-1' }));
    await ready(name);
    const tooBig = { requests: { cpu: '5', memory: '64Mi' }, limits: { cpu: '6', memory: '128Mi' } };
    if (backend.name === 'a real kube-apiserver') {
      const node = await pods.core.readNode({ name: 'node-1' });
      expect(node.status?.allocatable).toMatchObject({ cpu: '4', memory: '8Gi' });
      const err = await resize(name, tooBig).then(
        () => undefined,
        (e: { code?: number; body?: string }) => e,
      );
      expect(err?.code).toBe(403);
      expect(JSON.parse(err!.body!)).toMatchObject({
        reason: 'Forbidden',
        message: `pods "${name}" is forbidden: node didn't have enough allocatable resources: cpu, requested: 5000, allocatable: 4000`,
        details: { causes: [{ reason: 'NodeCapacity' }] },
      });
    } else {
      // no Node objects: the kubelet is the one to say no
      await resize(name, tooBig);
      await waitFor('Infeasible', async () => cond(await pods.get(name), 'PodResizePending')?.reason === 'Infeasible');
    }
  });
});
