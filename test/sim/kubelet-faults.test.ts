/**
 * The simulated kubelet under apiserver faults (5xx / conflicts / latency on writes, dropped watches,
 * expired resourceVersions) and at scale: pods must still converge, each image change restarting its
 * container exactly once.
 */
import { CoreV1Api } from '@kubernetes/client-node';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { startSimApiServer, type SimApiServer } from '../../src/sim/apiserver/index.js';
import { startSimKubelet, type SimKubelet } from '../../src/sim/kubelet/index.js';
import { toPlain, type Pod } from '../../src/sim/kubelet/types.js';
import { FAST, GATE, PodClient, cstatus, isReady, parallel, podManifest, podName, retry, sleep, waitFor } from './kubelet-helpers.js';

let api: SimApiServer | undefined;
let kubelet: SimKubelet | undefined;

afterEach(async () => {
  await kubelet?.stop();
  await api?.close();
  kubelet = undefined;
  api = undefined;
});

async function listPods(core: CoreV1Api, prefix: string): Promise<Pod[]> {
  const list = await retry(() => core.listNamespacedPod({ namespace: 'default' }));
  return list.items.map((p) => toPlain<Pod>(p)).filter((p) => p.metadata.name.startsWith(prefix));
}

describe('sim kubelet under faults', () => {
  it('converges through 5xx on status patches and bindings, lost binding responses, latency and dropped watches', async () => {
    api = await startSimApiServer({ port: 0 });
    kubelet = await startSimKubelet(api.kubeConfig(), { ...FAST });
    const pods = new PodClient(api.kubeConfig());
    const faults = api.faults;
    faults.set({ verb: 'patch', resource: 'pods', subresource: 'status', errorRate: 0.4, code: 503 });
    faults.set({ verb: 'create', resource: 'pods', subresource: 'binding', errorRate: 0.3, code: 500 });
    // The binding is stored but the client is told it failed: the retry meets "already assigned".
    faults.set({ verb: 'create', resource: 'pods', subresource: 'binding', errorRate: 0.2, code: 500, afterCommit: true });
    faults.set({ verb: 'delete', resource: 'pods', errorRate: 0.3, code: 409 });
    faults.set({ resource: 'pods', latencyMs: 5 });
    const dropper = setInterval(() => faults.dropWatches(), 120);
    try {
      const prefix = podName('faulty');
      const names = Array.from({ length: 20 }, (_, i) => `${prefix}-${i}`);
      await parallel(names, 10, (n) => retry(() => pods.create(podManifest(n, { app: 'nginx:1.25', sidecar: 'busybox:1.36' }))));
      await waitFor(
        'all containers running',
        async () => (await listPods(pods.core, prefix)).every((p) => cstatus(p, 'app')?.ready && cstatus(p, 'sidecar')?.ready),
        20_000,
        50,
      );
      await parallel(names, 10, (n) => retry(() => pods.setCondition(n, GATE, 'True')));
      await waitFor('all Ready', async () => (await listPods(pods.core, prefix)).every(isReady), 20_000, 50);
      const before = new Map((await listPods(pods.core, prefix)).map((p) => [p.metadata.name, p]));

      await parallel(names, 10, (n) => retry(() => pods.setImage(n, 0, 'nginx:1.26')));
      await waitFor(
        'all updated and Ready',
        async () => (await listPods(pods.core, prefix)).every((p) => cstatus(p, 'app')?.image === 'nginx:1.26' && isReady(p)),
        20_000,
        50,
      );
      for (const p of await listPods(pods.core, prefix)) {
        expect(cstatus(p, 'app')?.restartCount).toBe(1);
        expect(cstatus(p, 'sidecar')).toEqual(cstatus(before.get(p.metadata.name), 'sidecar'));
      }
      expect(kubelet.stats().restarts).toBe(20);

      await parallel(names, 10, (n) => retry(() => pods.delete(n)));
      await waitFor('all deleted', async () => (await listPods(pods.core, prefix)).length === 0, 20_000, 50);
    } finally {
      clearInterval(dropper);
    }
    const injected = faults.injected();
    expect(injected['patch:pods/status:503']).toBeGreaterThan(0);
    expect(injected['create:pods/binding:500']).toBeGreaterThan(0);
    expect(injected['watchDrop']).toBeGreaterThan(0);
    expect(kubelet.stats().writeRetries).toBeGreaterThan(0);
  }, 60_000);

  it('relists after its resourceVersion expired and still converges', async () => {
    api = await startSimApiServer({ port: 0, watchHistory: 5 });
    const lines: string[] = [];
    const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(s) });
    kubelet = await startSimKubelet(api.kubeConfig(), { ...FAST, logger });
    const pods = new PodClient(api.kubeConfig());
    const prefix = podName('expired');
    // First make sure the kubelet is watching from a real (non-zero) resourceVersion.
    await pods.create(podManifest(`${prefix}-first`, { app: 'nginx:1.25' }, { gates: [] }));
    await waitFor('first pod Ready', async () => isReady(await pods.get(`${prefix}-first`)));
    // Hold the kubelet's re-watch long enough for its resourceVersion to fall out of the history.
    const slow = api.faults.set({ verb: 'watch', resource: 'pods', latencyMs: 400 });
    expect(api.faults.dropWatches()).toBeGreaterThan(0);
    const names = Array.from({ length: 10 }, (_, i) => `${prefix}-${i}`);
    await parallel(names, 5, (n) => pods.create(podManifest(n, { app: 'nginx:1.25' }, { gates: [] })));
    await sleep(500);
    api.faults.clear(slow);
    await waitFor('all Ready', async () => (await listPods(pods.core, prefix)).every(isReady), 15_000, 50);
    expect(lines.some((l) => l.includes('pod watch expired; relisting'))).toBe(true);
  });

  it('handles 300 pods: binds evenly, unique IPs, all Ready, then one in-place restart each', async () => {
    api = await startSimApiServer({ port: 0 });
    kubelet = await startSimKubelet(api.kubeConfig(), { ...FAST, nodes: 3 });
    const pods = new PodClient(api.kubeConfig());
    const prefix = podName('scale');
    const names = Array.from({ length: 300 }, (_, i) => `${prefix}-${i}`);
    const t0 = Date.now();
    await parallel(names, 50, (n) => pods.create(podManifest(n, { app: 'nginx:1.25', sidecar: 'busybox:1.36' }, { gates: [] })));
    await waitFor(
      'all Ready',
      async () => {
        const all = await listPods(pods.core, prefix);
        return all.length === 300 && all.every(isReady);
      },
      40_000,
      200,
    );
    const startedIn = Date.now() - t0;
    const all = await listPods(pods.core, prefix);
    expect(new Set(all.map((p) => p.status?.podIP)).size).toBe(300);
    const perNode = kubelet.nodeLoad();
    expect(perNode).toEqual({ 'node-1': 100, 'node-2': 100, 'node-3': 100 });

    const t1 = Date.now();
    await parallel(names, 50, (n) => pods.setImage(n, 0, 'nginx:1.26'));
    await waitFor(
      'all updated and Ready',
      async () => {
        const ps = await listPods(pods.core, prefix);
        return ps.every((p) => cstatus(p, 'app')?.image === 'nginx:1.26' && isReady(p));
      },
      40_000,
      200,
    );
    const updatedIn = Date.now() - t1;
    expect(kubelet.stats().restarts).toBe(300);
    for (const p of await listPods(pods.core, prefix)) expect(cstatus(p, 'app')?.restartCount).toBe(1);
    // Informational: how fast the simulation runs on this machine.
    console.info(`300 pods: Ready in ${startedIn} ms, in-place update in ${updatedIn} ms; stats ${JSON.stringify(kubelet.stats())}`);
  }, 120_000);
});
