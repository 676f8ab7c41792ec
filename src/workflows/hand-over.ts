/**
 * Continue-as-new: a long rollout hands over to a fresh run of the same workflow ID before its history grows too
 * long. The run stops taking Pods, lets the ones in flight finish, and the next run starts from the cluster's state
 * with what this one must carry: the starting revision and time, the totals and the controls.
 */
import { log, workflowInfo } from '@temporalio/workflow';
import type { RolloutInput } from '../rollout/index.js';
import type { Controls } from './controls.js';
import type { RunState } from './run-state.js';

/**
 * A run continues as new once its history has this many events (input `historyEventsLimit` overrides): below the
 * 4,096 at which the server suggests it, with room for the Pods in flight to finish first.
 */
export const HISTORY_EVENTS_LIMIT = 3000;

/**
 * Whether the run should start handing over now: the history is long (or the server suggests it) and no control
 * needs this run to the end (an abort, a rollback or a retarget keep their progress in this run only).
 */
export function shouldHandOver(input: RolloutInput, controls: Controls): boolean {
  const info = workflowInfo();
  const long = info.continueAsNewSuggested || info.historyLength >= (input.historyEventsLimit ?? HISTORY_EVENTS_LIMIT);
  return long && controls.canContinueAsNew();
}

/** The next run's input: the same CloneSet and options, and what this run carries over. */
export function nextRunInput(input: RolloutInput, run: RunState, controls: Controls, canary?: Record<string, unknown>): RolloutInput {
  const next: RolloutInput = {
    namespace: input.namespace,
    name: input.name,
    ...(input.cluster !== undefined ? { cluster: input.cluster } : {}),
    // images / revision were applied to the template by the first run: not again.
    ...(input.rollbackOnFailure !== undefined ? { rollbackOnFailure: input.rollbackOnFailure } : {}),
    ...(input.historyEventsLimit !== undefined ? { historyEventsLimit: input.historyEventsLimit } : {}),
    ...(input.steps !== undefined ? { steps: input.steps } : {}),
    carry: {
      runs: (input.carry?.runs ?? 0) + 1,
      startedAtMs: run.progress.startedAtMs,
      fromRevision: run.progress.fromRevision,
      totals: run.totals(),
      controls: { ...controls.state },
      ...(canary ? { canary } : {}),
    },
  };
  log.info('continuing as new', { runs: next.carry!.runs, historyLength: workflowInfo().historyLength, totals: next.carry!.totals });
  return next;
}
