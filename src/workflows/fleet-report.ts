/**
 * A rollout started by a fleet (`rolloutFleet`, ./fleet.ts) tells its parent its phase and counts as they change, with
 * the `clusterProgress` signal, so the fleet's `progress` query and UI show every cluster without querying them. A
 * rollout with no fleet parent sends nothing (its commands are those of a single-cluster rollout).
 */
import { getExternalWorkflowHandle, log, workflowInfo } from '@temporalio/workflow';
import { clusterProgressSignal, type ClusterReport } from './fleet-messages.js';
import type { RolloutProgress } from './messages.js';

export interface FleetReporter {
  /** Call after each change of the progress record: sends it when phase, counts or revisions changed. */
  report(p: RolloutProgress): void;
  /**
   * Waits for the last report to be delivered. Call before the run closes: a signal initiated in the closing workflow
   * task is never delivered.
   */
  flush(): Promise<void>;
}

/** The reporter of a rollout; a no-op without a fleet parent. */
export function fleetReporter(cluster: string | undefined): FleetReporter {
  const parent = workflowInfo().parent;
  if (!parent || !parent.workflowId.startsWith('fleet/')) return { report: () => {}, flush: () => Promise.resolve() };
  let last = '';
  let pending: Promise<void> = Promise.resolve();
  const report = (p: RolloutProgress) => {
    const report: ClusterReport = {
      cluster: cluster ?? 'default',
      phase: p.phase,
      counts: p.counts,
      fromRevision: p.fromRevision,
      toRevision: p.toRevision,
      waiting: p.waiting,
      startedAtMs: p.startedAtMs,
      updatedAtMs: p.updatedAtMs,
    };
    const key = JSON.stringify(report);
    if (key === last) return;
    last = key;
    pending = getExternalWorkflowHandle(parent.workflowId)
      .signal(clusterProgressSignal, report)
      .catch((err: unknown) => log.debug('fleet progress not delivered', { err: String(err) }));
  };
  return { report, flush: () => pending };
}
