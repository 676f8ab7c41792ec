/**
 * Integration harness: the real Temporal dev server of the run (globalSetup), a fresh simulated cluster, and the
 * project's own worker on a task queue of its own, so test files never see each other's work.
 */
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { pino } from 'pino';
import { RolloutClient } from '../../src/client/index.js';
import { applyCloneSet } from '../../src/kube/apply.js';
import { makeClients, type KubeClients } from '../../src/kube/clients.js';
import type { CloneSet } from '../../src/rollout/index.js';
import type { KubeConfig } from '@kubernetes/client-node';
import { startRealApiServer } from '../../src/realkube/index.js';
import { startSimCluster, startSimKubelet, type SimApiServer, type SimKubelet, type SimKubeletOptions } from '../../src/sim/index.js';
import { createRolloutWorker } from '../../src/worker/index.js';
import { prebuiltWorkflowBundle } from './bundle.js';

/**
 * Which Kubernetes the suite runs against: `sim` (default: the embedded simulated apiserver) or `real` (a real
 * kube-apiserver with etcd, scripts/build-kube-apiserver.sh). Either way the simulated kubelet plays the nodes.
 */
export const KUBE_BACKEND: 'sim' | 'real' = process.env.KUBE_BACKEND === 'real' ? 'real' : 'sim';

/** The cluster under test; `api` (fault injection) exists only on the simulated backend. */
export interface TestCluster {
  kubeConfig(): KubeConfig;
  /** A kubeconfig file (for kubectl), on the real backend. */
  kubeconfigPath?: string;
  api?: SimApiServer;
  kubelet?: SimKubelet;
  stop(): Promise<void>;
}

async function startCluster(kubelet: SimKubeletOptions): Promise<TestCluster> {
  if (KUBE_BACKEND === 'sim') return startSimCluster({ kubelet });
  const real = await startRealApiServer();
  try {
    // Node objects too: the real apiserver checks a Pod resize against its Node's allocatable.
    const sim = await startSimKubelet(real.kubeConfig(), { registerNodes: true, ...kubelet });
    return {
      kubeConfig: () => real.kubeConfig(),
      kubeconfigPath: real.kubeconfigPath,
      kubelet: sim,
      stop: async () => {
        await sim.stop();
        await real.stop();
      },
    };
  } catch (err) {
    await real.stop();
    throw err;
  }
}

/** Creates the namespace on a real apiserver (which refuses objects in missing namespaces); the simulator has none. */
export async function ensureNamespace(k: KubeClients, namespace: string): Promise<void> {
  if (KUBE_BACKEND === 'sim') return;
  try {
    await k.core.createNamespace({ body: { metadata: { name: namespace } } });
  } catch (err) {
    if ((err as { code?: number }).code !== 409) throw err;
  }
}

export interface TestEnv {
  address: string;
  taskQueue: string;
  cluster: TestCluster;
  k: KubeClients;
  client: RolloutClient;
  /** Stops the worker (gracefully), the client and the cluster. */
  stop(): Promise<void>;
}

export const testLogger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

/** A fresh namespace name per test, so workflow IDs (cloneset/<ns>/<name>) never collide across tests. */
export function uniqueNamespace(prefix = 't'): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

export async function startTestEnv(opts: { kubelet?: SimKubeletOptions; worker?: boolean } = {}): Promise<TestEnv> {
  const address = inject('temporalAddress');
  const taskQueue = `test-${randomBytes(4).toString('hex')}`;
  // A short status sync (100 ms, the default is 1 s) keeps the kubelet's lag on readiness gates real but cheap.
  const cluster = await startCluster({ startDelayMs: 50, restartDelayMs: 100, readyDelayMs: 50, statusSyncDelayMs: 100, ...opts.kubelet });
  let stopWorker = async () => {};
  if (opts.worker !== false) {
    const { worker, connection } = await createRolloutWorker({
      address,
      taskQueue,
      kubeConfig: cluster.kubeConfig(),
      logger: testLogger,
      workflowBundle: prebuiltWorkflowBundle(),
    });
    const running = worker.run();
    stopWorker = async () => {
      worker.shutdown();
      await running;
      await connection.close();
    };
  }
  const client = await RolloutClient.connect({ address, taskQueue });
  return {
    address,
    taskQueue,
    cluster,
    k: makeClients(cluster.kubeConfig()),
    client,
    async stop() {
      await client.close();
      await stopWorker();
      await cluster.stop();
    },
  };
}

/** A CloneSet like the seed's first manifest, with overrides merged into spec. */
export function cloneSet(namespace: string, name: string, spec: Partial<CloneSet['spec']> = {}): CloneSet {
  return {
    apiVersion: 'apps.kruise.io/v1alpha1',
    kind: 'CloneSet',
    metadata: { name, namespace },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'nginx', image: 'nginx:perl', imagePullPolicy: 'IfNotPresent' }] },
      },
      ...spec,
    },
  };
}

/** Applies a CloneSet and runs its rollout to completion (how Pods come to exist in these tests). */
export async function applyAndRoll(env: TestEnv, cs: CloneSet) {
  await ensureNamespace(env.k, cs.metadata.namespace!);
  await applyCloneSet(env.k, cs);
  const handle = await env.client.start({ namespace: cs.metadata.namespace!, name: String(cs.metadata.name) });
  return { handle, result: await handle.result() };
}

/** Live Pods (not terminating) of an app label, sorted by name. */
export async function livePods(env: TestEnv, namespace: string, app: string) {
  const list = await env.k.core.listNamespacedPod({ namespace, labelSelector: `app=${app}` });
  return list.items.filter((p) => !p.metadata?.deletionTimestamp).sort((a, b) => a.metadata!.name!.localeCompare(b.metadata!.name!));
}
