/**
 * The runs of a rollout that continued as new, from Temporal's visibility store: each run's history length and size,
 * without fetching the histories themselves (a large one does not fit one gRPC message).
 */
import type { Client } from '@temporalio/client';

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
