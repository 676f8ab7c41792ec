/**
 * `cloneset-rollout dev`: the whole product on one machine — the real Temporal dev server (persisted in the state
 * dir, Web UI on), the embedded simulated cluster (persisted there too, in cluster.json), and a rollout worker — then
 * `endpoints.json` for other tools.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { DEFAULT_TASK_QUEUE } from '../constants.js';
import { startSimCluster, type SimCluster } from '../sim/index.js';
import { startDevServer, type DevServer } from '../temporal/dev-server.js';
import { createRolloutWorker } from '../worker/index.js';
import { Client, Connection } from '@temporalio/client';
import type { KubeConfig } from '@kubernetes/client-node';
import { CloneSetController, selectionSelector } from '../controller/index.js';

/** The controller of `dev --controller`, on the dev server's plaintext connection; returns its stop function. */
async function startController(o: { address: string; namespace: string; taskQueue: string; kubeConfig: KubeConfig; all?: boolean; logger: Logger }) {
  const connection = await Connection.connect({ address: o.address });
  const controller = new CloneSetController({
    kubeConfig: o.kubeConfig,
    client: new Client({ connection, namespace: o.namespace }),
    taskQueue: o.taskQueue,
    labelSelector: selectionSelector({ all: o.all }),
    logger: o.logger,
  });
  await controller.start();
  return async () => {
    await controller.stop();
    await connection.close();
  };
}

export interface DevOptions {
  stateDir: string;
  /** Temporal frontend port (default: free port). */
  port?: number;
  /** Temporal Web UI port (default: free port). */
  uiPort?: number;
  /** Start a worker in this process (default true). */
  worker?: boolean;
  /** Web UI (default true). */
  ui?: boolean;
  namespace?: string;
  taskQueue?: string;
  /** Run the CloneSet controller too (`--controller`); `all` manages every CloneSet, not only labelled ones. */
  controller?: boolean;
  all?: boolean;
  /** Simulated kubelet timings, for quick demos. */
  kubelet?: { startDelayMs?: number; restartDelayMs?: number; readyDelayMs?: number };
  logger: Logger;
}

/** What `endpoints.json` holds: enough for a CLI, a client or a separate worker to join this environment. */
export interface Endpoints {
  temporalAddress: string;
  namespace: string;
  taskQueue: string;
  uiUrl: string | null;
  kubeconfig: string;
}

export interface DevEnvironment {
  endpoints: Endpoints;
  server: DevServer;
  cluster: SimCluster;
  /** Stops worker, cluster and server, in that order. */
  stop: () => Promise<void>;
}

/** Starts the environment and resolves once every part is ready and endpoints.json is written. */
export async function startDev(opts: DevOptions): Promise<DevEnvironment> {
  const stateDir = resolve(opts.stateDir);
  await mkdir(stateDir, { recursive: true });
  const endpointsPath = join(stateDir, 'endpoints.json');
  await rm(endpointsPath, { force: true });
  const log = opts.logger;
  const namespace = opts.namespace ?? 'default';
  const taskQueue = opts.taskQueue ?? DEFAULT_TASK_QUEUE;

  const server = await startDevServer({
    dbFilename: join(stateDir, 'temporal.db'),
    port: opts.port,
    uiPort: opts.uiPort,
    headless: opts.ui === false,
    namespace,
    logger: log,
  });
  const kubeconfig = join(stateDir, 'kubeconfig');
  let cluster: SimCluster | undefined;
  let stopWorker: (() => Promise<void>) | undefined;
  try {
    const simLog = log.child({ component: 'sim' });
    cluster = await startSimCluster({
      kubeconfigPath: kubeconfig,
      // the cluster is kept in the state dir as Temporal is: a restarted `dev` resumes its rollouts on the same objects
      apiserver: { logger: simLog, statePath: join(stateDir, 'cluster.json') },
      kubelet: { ...opts.kubelet, logger: simLog },
    });
    if (opts.worker !== false) {
      const { worker, connection } = await createRolloutWorker({
        address: server.address,
        namespace,
        taskQueue,
        kubeConfig: cluster.kubeConfig(),
        logger: log,
      });
      const running = worker.run();
      stopWorker = async () => {
        // The SDK's own SIGTERM handler may have started draining already.
        if (worker.getState() === 'RUNNING') worker.shutdown();
        await running;
        await connection.close();
      };
    }
    if (opts.controller) {
      const stopController = await startController({
        address: server.address,
        namespace,
        taskQueue,
        kubeConfig: cluster.kubeConfig(),
        all: opts.all,
        logger: log,
      });
      const stopRest = stopWorker;
      stopWorker = async () => {
        await stopController(); // first: no new rollouts while the worker drains
        await stopRest?.();
      };
    }
  } catch (err) {
    await cluster?.stop();
    await server.stop();
    throw err;
  }
  const endpoints: Endpoints = { temporalAddress: server.address, namespace, taskQueue, uiUrl: server.uiUrl, kubeconfig };
  await writeFile(endpointsPath, JSON.stringify(endpoints, null, 2) + '\n');
  log.info({ ...endpoints, endpointsFile: endpointsPath }, 'dev environment ready');
  const simCluster = cluster;
  return {
    endpoints,
    server,
    cluster: simCluster,
    stop: async () => {
      await stopWorker?.();
      await simCluster.stop();
      await server.stop();
      await rm(endpointsPath, { force: true });
    },
  };
}
