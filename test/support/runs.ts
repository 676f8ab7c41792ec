/**
 * Rollout runs as tests wait for them: the next completed run of a CloneSet's workflow, and the runs of a rollout that
 * continued as new, from Temporal's visibility store (each run's history length and size, without fetching the
 * histories themselves: a large one does not fit one gRPC message).
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { RolloutClient } from '../../src/client/index.js';
import type { RolloutResult } from '../../src/workflows/messages.js';

/**
 * Waits for a completed run of the workflow of CloneSet `namespace/name` other than `after` (an earlier run of the same
 * ID); returns its run ID and result. Fails after `timeoutMs`, naming the last status seen.
 */
export async function completedRun(
  client: RolloutClient,
  namespace: string,
  name: string,
  opts: { after?: string; timeoutMs?: number } = {},
): Promise<{ runId: string; result: RolloutResult }> {
  const handle = client.handle(namespace, name).workflow;
  const end = Date.now() + (opts.timeoutMs ?? 60_000);
  for (;;) {
    const d = await handle.describe().catch((err: unknown) => {
      if (err instanceof WorkflowNotFoundError) return undefined;
      throw err;
    });
    if (d && d.runId !== opts.after && d.status.name === 'COMPLETED') {
      return { runId: d.runId, result: (await client.client.workflow.getHandle(handle.workflowId, d.runId).result()) as RolloutResult };
    }
    if (Date.now() > end) throw new Error(`timed out waiting for a completed rollout of ${namespace}/${name} (last: ${d?.status.name ?? 'none'})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface RunInfo {
  runId: string;
  historyLength: number;
  historySizeBytes: number | undefined;
  status: string;
}

/**
 * Every run of `workflowId` started at or after `sinceMs` (earlier rollouts of the same CloneSet share the ID), oldest
 * first; waits (up to 10 s) until visibility lists `expected` closed runs.
 */
export async function listRuns(client: Client, workflowId: string, expected: number, sinceMs: number): Promise<RunInfo[]> {
  const end = Date.now() + 10_000;
  for (;;) {
    const runs: RunInfo[] = [];
    const started: number[] = [];
    for await (const wf of client.workflow.list({ query: `WorkflowId = "${workflowId}"` })) {
      if (wf.startTime.getTime() < sinceMs) continue;
      runs.push({ runId: wf.runId, historyLength: wf.historyLength, historySizeBytes: wf.historySize, status: wf.status.name });
      started.push(wf.startTime.getTime());
    }
    const order = runs.map((_, i) => i).sort((a, b) => started[a]! - started[b]!);
    const sorted = order.map((i) => runs[i]!);
    if (sorted.length >= expected && sorted.every((r) => r.status !== 'RUNNING')) return sorted;
    if (Date.now() > end) throw new Error(`visibility lists ${sorted.length} run(s) of ${workflowId}, expected ${expected}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
