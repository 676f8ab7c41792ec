/** The worker as its own OS process (as in production) for a benchmark, on the env's Temporal server and cluster. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestEnv } from '../test/support/env.js';
import { WorkerProcess } from '../test/support/worker-process.js';

export async function withWorkerProcess<T>(
  env: TestEnv,
  fn: (w: WorkerProcess) => Promise<T>,
  extraEnv: Record<string, string> = {},
  nodeArgs: string[] = [],
): Promise<T> {
  const kubeconfigPath = join(mkdtempSync(join(tmpdir(), 'bench-')), 'kubeconfig');
  await env.cluster.api!.writeKubeconfig(kubeconfigPath);
  const worker = new WorkerProcess({ address: env.address, taskQueue: env.taskQueue, kubeconfigPath, env: extraEnv, nodeArgs });
  try {
    await worker.start(60_000);
    return await fn(worker);
  } finally {
    await worker.stop();
  }
}
