import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { startSimCluster } from '../../src/sim/index.js';
import { FAST, PodClient, isReady, podManifest, podName, sleep, waitFor } from './kubelet-helpers.js';

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
});
