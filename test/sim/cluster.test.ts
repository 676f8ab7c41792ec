import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { startSimCluster } from '../../src/sim/index.js';
import { FAST, PodClient, cstatus, isReady, podManifest, podName, sleep, waitFor } from './kubelet-helpers.js';

describe('startSimCluster', () => {
  it('starts apiserver + kubelet, writes a usable kubeconfig, runs pods, stops cleanly', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sim-cluster-'));
    const kubeconfigPath = join(dir, 'kubeconfig');
    const cluster = await startSimCluster({ apiserver: { port: 0 }, kubelet: { ...FAST }, kubeconfigPath });
    try {
      expect(cluster.kubeconfigPath).toBe(kubeconfigPath);
      expect(cluster.kubelet).toBeDefined();
      expect(await readFile(kubeconfigPath, 'utf8')).toContain(cluster.api.url);
      // A client built from the file alone sees the cluster.
      const kc = new KubeConfig();
      kc.loadFromFile(kubeconfigPath);
      const pods = new PodClient(kc);
      const name = podName('cluster');
      await pods.create(podManifest(name, { app: 'nginx:1.25' }, { gates: [] }));
      await waitFor('Ready', async () => isReady(await pods.get(name)));
      expect(cluster.kubelet!.stats().bindings).toBeGreaterThanOrEqual(1);
    } finally {
      await cluster.stop();
      await cluster.stop(); // idempotent
      await rm(dir, { recursive: true, force: true });
    }
    await expect(cluster.kubeConfig().makeApiClient(CoreV1Api).listPodForAllNamespaces()).rejects.toThrow();
  });

  it('kubelet: false leaves pods unscheduled', async () => {
    const cluster = await startSimCluster({ apiserver: { port: 0 }, kubelet: false });
    try {
      expect(cluster.kubelet).toBeUndefined();
      const pods = new PodClient(cluster.kubeConfig());
      const name = podName('nokubelet');
      await pods.create(podManifest(name, { app: 'nginx:1.25' }, { gates: [] }));
      await sleep(300);
      const p = await pods.get(name);
      expect(p?.spec.nodeName).toBeUndefined();
      expect(p?.status?.phase).toBe('Pending');
    } finally {
      await cluster.stop();
    }
  });

  it('with a state file, a restarted cluster has its Pods back, still running as they were, and the kubelet carries on', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sim-cluster-state-'));
    const statePath = join(dir, 'cluster.json');
    const running = podName('kept');
    const gated = podName('gated');
    let before: Awaited<ReturnType<PodClient['get']>>[];
    const first = await startSimCluster({ apiserver: { statePath }, kubelet: { ...FAST } });
    try {
      const pods = new PodClient(first.kubeConfig());
      await pods.create(podManifest(running, { app: 'nginx:1.25' }, { gates: [] }));
      await pods.create(podManifest(gated, { app: 'nginx:1.25' })); // running, not Ready: its gate is unset
      await waitFor('Ready', async () => isReady(await pods.get(running)));
      // settled: its container is ready, nothing more for the kubelet to publish
      await waitFor('container ready', async () => cstatus(await pods.get(gated), 'app')?.ready);
      before = [await pods.get(running), await pods.get(gated)];
    } finally {
      await first.stop();
    }

    const second = await startSimCluster({ apiserver: { statePath }, kubelet: { ...FAST } });
    try {
      const pods = new PodClient(second.kubeConfig());
      // a Pod created after the restart is running: the kubelet has long handled the ones it found at start
      const probe = podName('probe');
      await pods.create(podManifest(probe, { app: 'nginx:1.25' }, { gates: [] }));
      await waitFor('probe Ready', async () => isReady(await pods.get(probe)));
      // the found Pods are exactly as stored: same UID, same container, not restarted, no status rewritten
      expect([await pods.get(running), await pods.get(gated)]).toEqual(before);
      expect(second.kubelet!.stats().restarts).toBe(0);

      // and the kubelet runs them on: an image change restarts the stored container in place
      const oldId = cstatus(before[0], 'app')!.containerID;
      await pods.setImage(running, 0, 'nginx:1.27');
      const after = await waitFor('restarted', async () => {
        const p = await pods.get(running);
        return cstatus(p, 'app')?.restartCount === 1 && isReady(p) ? p : undefined;
      });
      expect(after.metadata.uid).toBe(before[0]!.metadata.uid);
      expect(cstatus(after, 'app')?.lastState?.terminated?.containerID).toBe(oldId);
      expect(cstatus(after, 'app')?.image).toBe('nginx:1.27');
    } finally {
      await second.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
