/**
 * The long-running process behind `cloneset-rollout worker` and `cloneset-rollout controller`: a rollout worker, a
 * CloneSet controller, or both, plus the health/metrics endpoint, with one graceful shutdown for all of them.
 */
import { Client, Connection } from '@temporalio/client';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { Logger } from 'pino';
import { DEFAULT_TASK_QUEUE } from '../constants.js';
import { CloneSetController, selectionSelector } from '../controller/index.js';
import { loadKubeConfig } from '../kube/clients.js';
import { DEFAULT_CLUSTER, loadClusters, parseClusterFlag, readClustersFile } from '../kube/clusters.js';
import { installTemporalLogging } from '../log.js';
import { rolloutMetrics } from '../metrics/rollout.js';
import { startHealthServer, type HealthServer } from '../metrics/server.js';
import { clientConnectionOptions, describeConnection, loadConnectionSettings, nativeConnectionOptions } from '../temporal/connection.js';
import { createRolloutWorker, defaultMaxCachedWorkflows } from '../worker/index.js';
import { onShutdown } from './signals.js';

export interface ServeFlags {
  address?: string;
  namespace?: string;
  taskQueue: string;
  kubeconfig?: string;
  temporalConfig?: string;
  /** Run the controller in this process. */
  controller?: boolean;
  all?: boolean;
  selector?: string;
  resyncSeconds: number;
  /** /healthz /readyz /metrics port; unset: no endpoint. */
  healthPort?: number;
  /** host:port for the Temporal SDK's Prometheus exporter (appended to /metrics). */
  sdkMetrics?: string;
  /** Rollouts kept in memory between workflow tasks (worker). */
  maxCachedWorkflows?: number;
  /** Named clusters, `NAME=KUBECONFIG[:CONTEXT]` (worker). */
  cluster?: string[];
  /** A clusters file (worker). */
  clustersFile?: string;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`"${value}" is not a positive number`);
  return n;
}

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 2) throw new InvalidArgumentError(`"${value}" is not an integer of at least 2`);
  return n;
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`"${value}" is not a TCP port (0-65535)`);
  return n;
}

/** Options shared by `worker` and `controller`. */
export function addServeOptions(cmd: Command, opts: { controllerFlag: boolean }): Command {
  cmd
    .addOption(new Option('--address <host:port>', 'Temporal frontend (default 127.0.0.1:7233)').env('TEMPORAL_ADDRESS'))
    .addOption(new Option('--namespace <ns>', 'Temporal namespace (default "default")').env('TEMPORAL_NAMESPACE'))
    .addOption(new Option('--task-queue <name>', 'task queue').env('TEMPORAL_TASK_QUEUE').default(DEFAULT_TASK_QUEUE))
    .addOption(new Option('--temporal-config <file>', 'YAML/JSON Temporal connection settings (TLS, API key)').env('TEMPORAL_CONFIG_FILE'))
    .addOption(new Option('--kubeconfig <path>', 'kubeconfig file (default: KUBECONFIG, ~/.kube/config, in-cluster)').env('KUBECONFIG'));
  if (opts.controllerFlag) {
    cmd
      .option('--cluster <name=kubeconfig[:context]>', 'a cluster the worker rolls in, by name (repeatable; `default` replaces --kubeconfig)', collect)
      .addOption(new Option('--clusters-file <file>', 'YAML/JSON clusters: { NAME: { kubeconfig: FILE, context: CTX } }').env('CLONESET_ROLLOUT_CLUSTERS_FILE'))
      .option('--controller', 'also run the CloneSet controller in this process')
      .addOption(
        new Option(
          '--max-cached-workflows <n>',
          `rollouts kept in memory between their workflow tasks (default: one per 2 MiB of heap, ${defaultMaxCachedWorkflows()} here)`,
        )
          .env('WORKER_MAX_CACHED_WORKFLOWS')
          .argParser(positiveInteger),
      );
  }
  return cmd
    .option('--all', 'controller: manage every CloneSet (default: only those labelled cloneset-rollout.io/managed=true)')
    .option('--selector <labels>', 'controller: manage CloneSets matching this label selector instead')
    .addOption(new Option('--resync-seconds <s>', 'controller: re-check every CloneSet this often').argParser(positive).default(30))
    .addOption(new Option('--health-port <port>', 'serve /healthz /readyz /metrics on this port').env('HEALTH_PORT').argParser(port))
    .addOption(new Option('--sdk-metrics <host:port>', 'Temporal SDK Prometheus exporter address (appended to /metrics)').env('TEMPORAL_METRICS_BIND'));
}

/** Runs until SIGTERM/SIGINT; then stops the controller, drains the worker (shutdownGraceTime) and exits. */
export async function serve(f: ServeFlags, parts: { worker: boolean }, logger: Logger): Promise<void> {
  const settings = loadConnectionSettings({ overrides: { address: f.address, namespace: f.namespace }, configFile: f.temporalConfig });
  installTemporalLogging(logger, { metricsBindAddress: f.sdkMetrics });
  const sources = [...(f.clustersFile ? readClustersFile(f.clustersFile) : []), ...(f.cluster ?? []).map(parseClusterFlag)];
  const clusters = loadClusters(sources);
  // The cluster named `default`: the worker's own kubeconfig, unless named clusters alone are given.
  const kubeConfig =
    clusters[DEFAULT_CLUSTER] ?? (sources.length > 0 && !f.kubeconfig && !f.controller ? undefined : loadKubeConfig(f.kubeconfig?.split(':')[0]));
  const stops: (() => Promise<void>)[] = [];
  const checks: Record<string, () => boolean> = {};
  let health: HealthServer | undefined;
  try {
    let running: Promise<void> | undefined;
    if (parts.worker) {
      const { worker, connection } = await createRolloutWorker({
        address: settings.address,
        namespace: settings.namespace,
        taskQueue: f.taskQueue,
        kubeConfig,
        clusters,
        logger,
        connection: nativeConnectionOptions(settings),
        maxCachedWorkflows: f.maxCachedWorkflows,
      });
      running = worker.run().finally(() => connection.close());
      checks.worker = () => worker.getState() === 'RUNNING';
      stops.push(async () => {
        if (worker.getState() === 'RUNNING') worker.shutdown();
        await running;
      });
    }
    if (f.controller) {
      const connection = await Connection.connect(clientConnectionOptions(settings));
      const client = new Client({ connection, namespace: settings.namespace });
      const controller = new CloneSetController({
        kubeConfig: kubeConfig!,
        client,
        taskQueue: f.taskQueue,
        labelSelector: selectionSelector(f),
        resyncMs: f.resyncSeconds * 1000,
        logger,
      });
      await controller.start();
      checks.controller = () => controller.ready();
      // Stop the controller first: it must not start workflows while the worker drains.
      stops.unshift(async () => {
        await controller.stop();
        await connection.close();
      });
    }
    if (f.healthPort !== undefined) {
      health = await startHealthServer({
        port: f.healthPort,
        checks,
        metrics: () => rolloutMetrics.text(),
        sdkMetricsAddress: f.sdkMetrics?.replace(/^0\.0\.0\.0:/, '127.0.0.1:'),
        logger,
      });
    }
    logger.info(
      {
        ...describeConnection(settings),
        taskQueue: f.taskQueue,
        worker: parts.worker,
        controller: !!f.controller,
        clusters: [...(kubeConfig ? [DEFAULT_CLUSTER] : []), ...Object.keys(clusters).filter((c) => c !== DEFAULT_CLUSTER)],
      },
      'started',
    );
    const stopAll = async () => {
      for (const stop of stops) await stop();
      await health?.close();
    };
    onShutdown(stopAll, logger);
    if (running) await running;
  } catch (err) {
    for (const stop of stops) await stop().catch(() => {});
    await health?.close();
    throw err;
  }
}
