/**
 * Wiring of the rollout worker: one Temporal worker on the rollout task queue with the workflow bundle and the
 * Kubernetes activities. Everything it needs is passed in, so tests and the `dev` command share it.
 */
import { getHeapStatistics } from 'node:v8';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker, bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { createActivities } from '../activities/index.js';
import { DEFAULT_TASK_QUEUE } from '../constants.js';
import { installTemporalLogging, toTemporalLogger } from '../log.js';
import { rolloutMetrics, type RolloutMetrics } from '../metrics/rollout.js';

export interface RolloutWorkerOptions {
  /** Temporal frontend host:port. */
  address: string;
  /** Default 'default'. */
  namespace?: string;
  /** Default {@link DEFAULT_TASK_QUEUE}. */
  taskQueue?: string;
  /** How the activities reach Kubernetes: the cluster named `default` (optional when `clusters` are given). */
  kubeConfig?: KubeConfig;
  /** More clusters by name, for fleet rollouts and rollouts with a `cluster` (`--cluster NAME=KUBECONFIG[:CONTEXT]`). */
  clusters?: Record<string, KubeConfig>;
  logger: Logger;
  /** A prebuilt bundle (tests pass dist/workflow-bundle.js, test/support/bundle.ts); default: dist/workflow-bundle.js, else bundled at start. */
  workflowBundle?: WorkflowBundleWithSourceMap | { codePath: string };
  /** TLS / API key options for a secured Temporal (see src/temporal/connection.ts). */
  connection?: Parameters<typeof NativeConnection.connect>[0];
  /** Where the rollout metrics go (default: the process's {@link rolloutMetrics}, served on /metrics). */
  metrics?: RolloutMetrics;
  /** Rollouts kept in memory between their workflow tasks; default {@link defaultMaxCachedWorkflows}. */
  maxCachedWorkflows?: number;
}

/**
 * Rollouts a worker keeps in memory between their workflow tasks, by default: one per 2 MiB of heap (144 with the
 * shipped 256 MB heap). A rollout evicted from this cache is replayed from its whole history at its next task, so a
 * cache smaller than the rollouts in flight makes every task a replay; one larger than the heap holds ends the
 * workflow thread out of memory. Measured with the shipped heap: 100 cached rollouts run, 300 run out of memory
 * (about 1 MB each). The SDK's own default (52 at that heap) assumes 1.7 MB and keeps 200 MB aside.
 */
export function defaultMaxCachedWorkflows(heapLimitMiB = getHeapStatistics().heap_size_limit / 2 ** 20): number {
  return Math.max(10, Math.floor(heapLimitMiB / 2));
}

/** Path of the workflows entry module, from source (vitest, tsx) or from the compiled dist tree. */
export function workflowsPath(): string {
  for (const ext of ['.ts', '.js']) {
    const p = fileURLToPath(new URL(`../workflows/index${ext}`, import.meta.url));
    if (existsSync(p)) return p;
  }
  throw new Error('workflows entry module not found next to the worker');
}

/** Bundles the workflow code once (webpack + swc, ~1-2 s); pass the result to several workers. */
export function bundleWorkflows(logger?: Logger): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({
    workflowsPath: workflowsPath(),
    logger: logger ? toTemporalLogger(logger.child({ component: 'bundler' })) : undefined,
  });
}

/**
 * The workflow bundle `npm run build` wrote next to the compiled code (dist/workflow-bundle.js), if this module runs
 * from dist/ and the file is there: workers load it instead of running webpack at start.
 */
export function prebuiltBundle(): { codePath: string } | null {
  const p = fileURLToPath(new URL('../workflow-bundle.js', import.meta.url));
  return import.meta.url.includes('/dist/') && existsSync(p) ? { codePath: p } : null;
}

/** Connects and creates the worker; call `run()` on the result (or `runUntil`). */
export async function createRolloutWorker(opts: RolloutWorkerOptions): Promise<{ worker: Worker; connection: NativeConnection }> {
  installTemporalLogging(opts.logger);
  const connection = await NativeConnection.connect({ address: opts.address, ...opts.connection });
  const worker = await Worker.create({
    connection,
    namespace: opts.namespace ?? 'default',
    taskQueue: opts.taskQueue ?? DEFAULT_TASK_QUEUE,
    workflowBundle: opts.workflowBundle ?? prebuiltBundle() ?? (await bundleWorkflows(opts.logger)),
    activities: createActivities({ kubeConfig: opts.kubeConfig, clusters: opts.clusters, logger: opts.logger }),
    // Rollout metrics (Pods updated in place, in flight...) derived from the activities as they run.
    interceptors: { activity: [(opts.metrics ?? rolloutMetrics).interceptor()] },
    // Waits for Pods are long, mostly idle activities: allow many at once.
    maxConcurrentActivityTaskExecutions: 1_000,
    maxCachedWorkflows: opts.maxCachedWorkflows ?? defaultMaxCachedWorkflows(),
    // A restarted worker picks up a killed worker's workflows quickly instead of after the 10 s default.
    stickyQueueScheduleToStartTimeout: '2s',
    // Let in-flight Kubernetes calls finish on SIGTERM.
    shutdownGraceTime: '10s',
  });
  return { worker, connection };
}
