/**
 * The simulated kubelet through client-node only, against the simulated API server and — when
 * SIM_KUBELET_REALKUBE=1 and the binary is built (scripts/build-kube-apiserver.sh) — against the real
 * kube-apiserver: scheduling, start, readiness gates, in-place restarts, unpullable / never-ready images,
 * graceful deletion, kubelet restart.
 */
import { PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageIdFor, startSimKubelet, type SimKubelet } from '../../src/sim/kubelet/index.js';
import { FAST, GATE, PodClient, cond, cstatus, isReady, kubeletBackends, podManifest, podName, sleep, waitFor } from './kubelet-helpers.js';

const backends = kubeletBackends();

describe.each(backends.filter((b) => !b.skip))('sim kubelet against $name', (backend) => {
  let stopBackend: () => Promise<void>;
  let kc: KubeConfig;
  let kubelet: SimKubelet;
  let pods: PodClient;

  beforeAll(async () => {
    const b = await backend.start();
    stopBackend = b.stop;
    kc = b.kc;
    kubelet = await startSimKubelet(kc, { ...FAST, nodes: 3 });
    pods = new PodClient(kc);
  }, 240_000);

  afterAll(async () => {
    await kubelet?.stop();
    await stopBackend?.();
  }, 60_000);

  it('binds, starts and reports a pod like a kubelet; Ready follows the readiness gate', async () => {
    const name = podName('start');
    await pods.create(podManifest(name, { app: 'nginx:1.25', sidecar: 'busybox:1.36' }));

    const running = await waitFor('containers ready', async () => {
      const p = await pods.get(name);
      return cond(p, 'ContainersReady')?.status === 'True' ? p : undefined;
    });
    expect(running.spec.nodeName).toMatch(/^node-[123]$/);
    expect(running.status?.phase).toBe('Running');
    expect(running.status?.hostIP).toMatch(/^172\.18\.0\.\d+$/);
    expect(running.status?.podIP).toMatch(/^10\.24[4-7]\.\d+\.\d+$/);
    expect(running.status?.startTime).toMatch(/Z$/);
    expect(cond(running, 'PodScheduled')?.status).toBe('True');
    expect(cond(running, 'Initialized')?.status).toBe('True');
    const app = cstatus(running, 'app')!;
    expect(app).toMatchObject({ image: 'nginx:1.25', imageID: imageIdFor('nginx:1.25'), ready: true, started: true, restartCount: 0 });
    expect(app.containerID).toMatch(/^containerd:\/\/[0-9a-f]{64}$/);
    expect(app.state?.running?.startedAt).toBeDefined();
    expect(running.status?.containerStatuses?.map((c) => c.name)).toEqual(['app', 'sidecar']);
    // Gate condition missing: not Ready.
    expect(cond(running, 'Ready')).toMatchObject({
      status: 'False',
      reason: 'ReadinessGatesNotReady',
      message: `corresponding condition of pod readiness gate "${GATE}" does not exist.`,
    });

    await pods.setCondition(name, GATE, 'False');
    const gatedFalse = await waitFor('Ready message for a False gate', async () => {
      const p = await pods.get(name);
      return cond(p, 'Ready')?.message?.includes('is not "True", but False') ? p : undefined;
    });
    expect(cond(gatedFalse, 'Ready')).toMatchObject({ status: 'False', reason: 'ReadinessGatesNotReady' });

    await pods.setCondition(name, GATE, 'True');
    const ready = await waitFor('Ready', async () => {
      const p = await pods.get(name);
      return isReady(p) ? p : undefined;
    });
    expect(cond(ready, 'Ready')?.reason).toBeUndefined();
    expect(cond(ready, 'Ready')?.message).toBeUndefined();
    expect(cond(ready, GATE)?.status).toBe('True'); // never clobbered by the kubelet's patches

    await pods.setCondition(name, GATE, 'False');
    await waitFor('not Ready again', async () => !isReady(await pods.get(name)));
    // The kubelet-owned status is otherwise unchanged: no container was touched.
    expect(cstatus(await pods.get(name), 'app')).toEqual(app);
  });

  it('restarts only the container whose image changed, exactly once', async () => {
    const name = podName('inplace');
    await pods.create(podManifest(name, { app: 'nginx:1.25', sidecar: 'busybox:1.36' }));
    await pods.setCondition(name, GATE, 'True');
    const before = await waitFor('Ready', async () => {
      const p = await pods.get(name);
      return isReady(p) ? p : undefined;
    });
    const restartsBefore = kubelet.stats().restarts;
    const oldApp = cstatus(before, 'app')!;
    const oldSidecar = cstatus(before, 'sidecar')!;

    await pods.setCondition(name, GATE, 'False');
    await pods.setImage(name, 0, 'nginx:1.26');
    const after = await waitFor('app restarted and ready', async () => {
      const p = await pods.get(name);
      const c = cstatus(p, 'app');
      return c?.image === 'nginx:1.26' && c.ready ? p : undefined;
    });
    const app = cstatus(after, 'app')!;
    expect(app.restartCount).toBe(1);
    expect(app.containerID).not.toBe(oldApp.containerID);
    expect(app.imageID).toBe(imageIdFor('nginx:1.26'));
    expect(app.state?.running).toBeDefined();
    expect(app.lastState?.terminated).toMatchObject({ exitCode: 0, reason: 'Completed', containerID: oldApp.containerID });
    expect(cstatus(after, 'sidecar')).toEqual(oldSidecar);
    expect(isReady(after)).toBe(false); // gate still False

    await pods.setCondition(name, GATE, 'True');
    await waitFor('Ready after update', async () => isReady(await pods.get(name)));
    await sleep(300); // duplicate events, readiness flips: still exactly one restart
    const final = await pods.get(name);
    expect(cstatus(final, 'app')).toMatchObject({ restartCount: 1, containerID: app.containerID });
    expect(cstatus(final, 'sidecar')).toEqual(oldSidecar);
    expect(kubelet.stats().restarts - restartsBefore).toBe(1);
  });

  it('shows the old container terminated and the pod not ready while the new image is pulled', async () => {
    const name = podName('pulling');
    await pods.create(podManifest(name, { app: 'nginx:1.25' }, { gates: [] }));
    const before = await waitFor('Ready', async () => {
      const p = await pods.get(name);
      return isReady(p) ? p : undefined;
    });
    await pods.setImage(name, 0, 'nginx:1.26');
    const killed = await waitFor('old container terminated', async () => {
      const p = await pods.get(name);
      return cstatus(p, 'app')?.state?.terminated ? p : undefined;
    });
    expect(cstatus(killed, 'app')).toMatchObject({ ready: false, restartCount: 0, containerID: cstatus(before, 'app')!.containerID, image: 'nginx:1.25' });
    expect(killed.status?.phase).toBe('Running');
    expect(cond(killed, 'Ready')).toMatchObject({ status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [app]' });
    await waitFor('Ready again', async () => isReady(await pods.get(name)));
  });

  it('unpullable image: ErrImagePull then ImagePullBackOff, restartCount unchanged; fixing the image starts it', async () => {
    const name = podName('unpullable');
    await pods.create(podManifest(name, { app: 'nginx:1.25', sidecar: 'busybox:1.36' }, { gates: [] }));
    const before = await waitFor('Ready', async () => {
      const p = await pods.get(name);
      return isReady(p) ? p : undefined;
    });
    await pods.setImage(name, 0, 'nginx:unpullable');
    const reasons: string[] = [];
    const backoff = await waitFor(
      'ImagePullBackOff',
      async () => {
        const p = await pods.get(name);
        const reason = cstatus(p, 'app')?.state?.waiting?.reason;
        if (reason && reasons[reasons.length - 1] !== reason) reasons.push(reason);
        return reason === 'ImagePullBackOff' ? p : undefined;
      },
      10_000,
      10,
    );
    expect(reasons).toEqual(['ErrImagePull', 'ImagePullBackOff']);
    const app = cstatus(backoff, 'app')!;
    expect(app).toMatchObject({ ready: false, started: false, restartCount: 0 });
    expect(app.state?.waiting?.message).toBe('Back-off pulling image "nginx:unpullable"');
    expect(app.lastState?.terminated?.containerID).toBe(cstatus(before, 'app')!.containerID);
    expect(cstatus(backoff, 'sidecar')).toEqual(cstatus(before, 'sidecar'));
    expect(cond(backoff, 'Ready')?.status).toBe('False');

    await pods.setImage(name, 0, 'nginx:1.27');
    const fixed = await waitFor('fixed image running and ready', async () => {
      const p = await pods.get(name);
      return isReady(p) ? p : undefined;
    });
    expect(cstatus(fixed, 'app')).toMatchObject({ image: 'nginx:1.27', restartCount: 1, state: { running: {} } });
  });

  it('a new pod with an unpullable image stays Pending in ImagePullBackOff', async () => {
    const name = podName('unpullable-new');
    await pods.create(podManifest(name, { app: 'registry.local/does-not-exist/app:1' }, { gates: [] }));
    const p = await waitFor('ImagePullBackOff', async () => {
      const pod = await pods.get(name);
      return cstatus(pod, 'app')?.state?.waiting?.reason === 'ImagePullBackOff' ? pod : undefined;
    });
    expect(p.status?.phase).toBe('Pending');
    expect(cstatus(p, 'app')).toMatchObject({ image: 'registry.local/does-not-exist/app:1', imageID: '', restartCount: 0 });
  });

  it('never-ready image: running and started, never ready', async () => {
    const name = podName('never-ready');
    await pods.create(podManifest(name, { app: 'example/app:never-ready' }, { gates: [] }));
    await waitFor('running', async () => cstatus(await pods.get(name), 'app')?.state?.running !== undefined);
    await sleep(300);
    const p = await pods.get(name);
    expect(cstatus(p, 'app')).toMatchObject({ started: true, ready: false });
    expect(cond(p, 'Ready')).toMatchObject({ status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [app]' });
  });

  it('completes a graceful deletion', async () => {
    const name = podName('delete');
    await pods.create(podManifest(name, { app: 'nginx:1.25' }, { gates: [] }));
    await waitFor('Ready', async () => isReady(await pods.get(name)));
    const deletionsBefore = kubelet.stats().deletions;
    await pods.delete(name);
    const terminating = await pods.get(name);
    expect(terminating?.metadata.deletionTimestamp).toBeDefined(); // bound pod: graceful
    await waitFor('pod gone', async () => (await pods.get(name)) === undefined);
    expect(kubelet.stats().deletions - deletionsBefore).toBe(1);
  });

  it('runs a pod created with spec.nodeName without binding it', async () => {
    const name = podName('prebound');
    const bindingsBefore = kubelet.stats().bindings;
    await pods.create(podManifest(name, { app: 'nginx:1.25' }, { gates: [], nodeName: 'node-2' }));
    const p = await waitFor('Ready', async () => {
      const pod = await pods.get(name);
      return isReady(pod) ? pod : undefined;
    });
    expect(p.spec.nodeName).toBe('node-2');
    expect(p.status?.hostIP).toBe('172.18.0.3');
    expect(kubelet.stats().bindings).toBe(bindingsBefore);
  });

  it('statusSyncDelayMs: a gate written False leaves Ready True until the next status sync; a Ready=False written with it holds', async () => {
    const DELAY = 1_000;
    await kubelet.stop();
    kubelet = await startSimKubelet(kc, { ...FAST, nodes: 3, statusSyncDelayMs: DELAY });
    try {
      const [left, written] = [podName('lag'), podName('lag')];
      for (const n of [left, written]) await pods.create(podManifest(n, { app: 'nginx:1.25' }));
      for (const n of [left, written]) await pods.setCondition(n, GATE, 'True');
      await waitFor('both Ready', async () => (await Promise.all([left, written].map((n) => pods.get(n)))).every(isReady));

      // 1. Only the gate goes False: Services would keep the Pod for the whole delay.
      const offAt = Date.now();
      await pods.setCondition(left, GATE, 'False');
      let insideWindow = 0;
      for (;;) {
        const p = await pods.get(left);
        const elapsed = Date.now() - offAt;
        if (elapsed >= DELAY - 100) break;
        expect(isReady(p), `Ready after ${elapsed} ms`).toBe(true);
        insideWindow++;
        await sleep(100);
      }
      expect(insideWindow).toBeGreaterThan(0);
      const dropped = await waitFor('Ready=False after the sync', async () => {
        const p = await pods.get(left);
        return cond(p, 'Ready')?.status === 'False' ? p : undefined;
      });
      expect(cond(dropped, 'Ready')).toMatchObject({ reason: 'ReadinessGatesNotReady' });
      // Flipped by the kubelet no earlier than the delay after the gate (second precision, as the apiserver stores it).
      expect(Date.parse(cond(dropped, 'Ready')!.lastTransitionTime!)).toBeGreaterThanOrEqual(Math.floor((offAt + DELAY) / 1000) * 1000);

      // 2. Gate False and Ready=False in one write (what the rollout does): out at once, never put back meanwhile.
      const writeAt = Date.now();
      await pods.core.patchNamespacedPodStatus(
        {
          name: written,
          namespace: 'default',
          body: {
            status: {
              conditions: [
                { type: GATE, status: 'False', reason: 'StartInPlaceUpdate' },
                { type: 'Ready', status: 'False', reason: 'ReadinessGatesNotReady' },
              ],
            },
          },
        },
        setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
      );
      while (Date.now() - writeAt < DELAY + 300) {
        expect(isReady(await pods.get(written))).toBe(false);
        await sleep(100);
      }

      // 3. Gate True again: Ready follows on the next sync.
      await pods.setCondition(written, GATE, 'True');
      await waitFor('Ready again', async () => isReady(await pods.get(written)));
    } finally {
      await kubelet.stop();
      kubelet = await startSimKubelet(kc, { ...FAST, nodes: 3 });
    }
  });

  it('a restarted kubelet picks up where the previous one left off without restarting anything', async () => {
    const names = [podName('resume'), podName('resume'), podName('resume')];
    for (const n of names) await pods.create(podManifest(n, { app: 'nginx:1.25', sidecar: 'busybox:1.36' }, { gates: [] }));
    await waitFor('all Ready', async () => (await Promise.all(names.map((n) => pods.get(n)))).every(isReady));
    // One pod is mid-update when the kubelet goes away.
    await pods.setImage(names[0]!, 0, 'nginx:1.26');
    await waitFor('old container killed', async () => cstatus(await pods.get(names[0]!), 'app')?.state?.terminated !== undefined);
    await kubelet.stop();
    const snapshot = await Promise.all(names.map((n) => pods.get(n)));

    kubelet = await startSimKubelet(kc, { ...FAST, nodes: 3 });
    await waitFor('updated pod ready', async () => {
      const p = await pods.get(names[0]!);
      return cstatus(p, 'app')?.image === 'nginx:1.26' && isReady(p);
    });
    await sleep(200);
    const after = await Promise.all(names.map((n) => pods.get(n)));
    expect(cstatus(after[0], 'app')).toMatchObject({ restartCount: 1, lastState: { terminated: { containerID: cstatus(snapshot[0], 'app')!.containerID } } });
    expect(cstatus(after[0], 'sidecar')).toEqual(cstatus(snapshot[0], 'sidecar'));
    for (const i of [1, 2]) expect(after[i]?.status).toEqual(snapshot[i]?.status);
    expect(kubelet.stats().restarts).toBe(1);
  });
});
