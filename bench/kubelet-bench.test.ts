/**
 * Simulated cluster load check (`npm run bench`): 1000 two-container pods through apiserver + kubelet in this one
 * process, then an in-place image update of every pod. Prints timings and the kubelet's counters.
 */
import { expect, it } from 'vitest';
import { startSimCluster } from '../src/sim/index.js';
import { toPlain, type Pod } from '../src/sim/kubelet/types.js';
import { PodClient, cstatus, isReady, parallel, podManifest, sleep, waitFor } from '../test/sim/kubelet-helpers.js';

it('1000 pods: start, in-place update, then idle', async () => {
  const cluster = await startSimCluster({ apiserver: { port: 0 } }); // default kubelet timings
  try {
    const pods = new PodClient(cluster.kubeConfig());
    const kubelet = cluster.kubelet!;
    const names = Array.from({ length: 1000 }, (_, i) => `bench-${i}`);
    const list = async () => (await pods.core.listNamespacedPod({ namespace: 'default' })).items.map((p) => toPlain<Pod>(p));
    const cpu0 = process.cpuUsage();
    const t0 = Date.now();
    await parallel(names, 100, (n) => pods.create(podManifest(n, { app: 'nginx:1.25', sidecar: 'busybox:1.36' }, { gates: [] })));
    const created = Date.now() - t0;
    await waitFor('all Ready', async () => (await list()).every(isReady), 60_000, 500);
    const ready = Date.now() - t0;
    const t1 = Date.now();
    await parallel(names, 100, (n) => pods.setImage(n, 0, 'nginx:1.26'));
    await waitFor('all updated', async () => (await list()).every((p) => cstatus(p, 'app')?.image === 'nginx:1.26' && isReady(p)), 60_000, 500);
    const updated = Date.now() - t1;
    const cpu = process.cpuUsage(cpu0);
    const before = kubelet.stats().statusPatches;
    await sleep(2000);
    expect(kubelet.stats().statusPatches).toBe(before); // no patch churn when idle
    expect(kubelet.stats().restarts).toBe(1000);
    console.info(
      JSON.stringify({
        createdMs: created,
        readyMs: ready,
        updateMs: updated,
        cpuUserMs: Math.round(cpu.user / 1000),
        cpuSystemMs: Math.round(cpu.system / 1000),
        stats: kubelet.stats(),
      }),
    );
  } finally {
    await cluster.stop();
  }
}, 180_000);
