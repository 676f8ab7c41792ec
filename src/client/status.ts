/**
 * A rollout's status: the `progress` record joined with what Temporal says about the execution (describe()).
 *
 * The `progress` query of a closed run answers with the record as it was when the run ended: for a run that failed
 * before it observed anything (a CloneSet that does not exist, an unknown rollback revision, an invalid spec) that is
 * still `Preparing`, with no error, and a terminated run shows whatever phase it was cut off in. The status corrects
 * the phase from the execution's status and takes the error from the run's failure (its root cause):
 *
 * | execution   | phase                                       | error                                    |
 * |-------------|---------------------------------------------|------------------------------------------|
 * | RUNNING     | the record's (Preparing, Updating, Paused…) | the record's                             |
 * | COMPLETED   | the record's (Completed, Aborted, RolledBack) | null                                   |
 * | FAILED      | `Failed`                                    | the failure's root cause message         |
 * | TERMINATED  | `Terminated`                                | `terminated: <reason>`                   |
 * | TIMED_OUT   | `TimedOut`                                  | `timed out: the workflow's timeout passed` |
 * | CANCELLED   | `Canceled`                                  | `canceled`                               |
 */
import { ApplicationFailure, rootCause, TemporalFailure } from '@temporalio/common';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { emptyProgress, progressQuery, RolloutPhase, type RolloutProgress } from '../workflows/messages.js';

/** Phases only the execution's status tells (the workflow never reports them itself: it was stopped from outside). */
export const ClosedPhase = {
  /** Terminated (`temporal workflow terminate`, or a reset): Pods in flight were left where they were. */
  Terminated: 'Terminated',
  /** The workflow's execution or run timeout passed. */
  TimedOut: 'TimedOut',
  /** Canceled (`temporal workflow cancel`). */
  Canceled: 'Canceled',
} as const;
export type ClosedPhase = (typeof ClosedPhase)[keyof typeof ClosedPhase];

/** A phase of {@link RolloutStatus}: the workflow's own phases and those of {@link ClosedPhase}. */
export type RolloutStatusPhase = RolloutPhase | ClosedPhase;

/** Phases of a rollout that ended without completing; the CLI's `status` and `report` exit 2 on them. */
export const UNSUCCESSFUL_PHASES: readonly RolloutStatusPhase[] = [RolloutPhase.Failed, ClosedPhase.Terminated, ClosedPhase.TimedOut, ClosedPhase.Canceled];

/** The progress record with the phase and error corrected from the execution (see the table above). */
export interface RolloutStatus extends Omit<RolloutProgress, 'phase'> {
  phase: RolloutStatusPhase;
  execution: {
    runId: string;
    /** As `describe()` names it: RUNNING, COMPLETED, FAILED, TERMINATED, TIMED_OUT, CANCELLED... */
    status: string;
    /** ISO-8601, null while running. */
    closedAt: string | null;
    /** The failure's type (e.g. `InvalidSpec`, `CloneSetNotFound`) for a FAILED run, else null. */
    failureType: string | null;
  };
}

/** Whether the rollout ended without completing (Failed, Terminated, TimedOut, Canceled). */
export function unsuccessful(s: { phase: string }): boolean {
  return (UNSUCCESSFUL_PHASES as readonly string[]).includes(s.phase);
}

/**
 * The root cause of a client error whose `cause` is a Temporal failure chain (ApplicationFailure inside
 * ActivityFailure inside ...): its message (the SDK's `rootCause`) and, for an ApplicationFailure, its type. The
 * SDK gives only the message; the type needs the innermost failure itself, found the way `rootCause` walks.
 */
export function rootFailure(err: Error & { cause?: unknown }): { message: string; type: string | undefined } {
  let failure: unknown = err.cause;
  while (failure instanceof TemporalFailure && failure.cause) failure = failure.cause;
  return {
    message: (err.cause !== undefined ? rootCause(err.cause) : undefined) ?? err.message,
    type: failure instanceof ApplicationFailure ? (failure.type ?? undefined) : undefined,
  };
}

/** An empty record for a run whose `progress` query cannot be answered (e.g. no worker to replay a closed run). */
function blankProgress(workflowId: string): RolloutProgress {
  const [, namespace = '', name = ''] = /^cloneset\/(?:[^/]+\/)?([^/]+)\/([^/]+)$/.exec(workflowId) ?? [];
  return emptyProgress(namespace, name);
}

/**
 * The status of the latest run of a rollout workflow (see the table above). The query and the failure are read from
 * the run `describe()` named, so a new run starting meanwhile cannot mix two runs into one answer.
 */
export async function rolloutStatus(workflow: WorkflowHandle): Promise<RolloutStatus> {
  const d = await workflow.describe();
  const run = workflow.client.getHandle(workflow.workflowId, d.runId, { followRuns: false });
  const status = d.status.name as string;
  const closedAt = d.closeTime ? d.closeTime.toISOString() : null;
  const open = status === 'RUNNING' || status === 'CONTINUED_AS_NEW';
  let progress: RolloutProgress;
  try {
    progress = await run.query(progressQuery);
  } catch (err) {
    if (open) throw err;
    progress = blankProgress(workflow.workflowId);
  }
  const execution = { runId: d.runId, status, closedAt, failureType: null as string | null };
  if (open || status === 'COMPLETED') return { ...progress, execution };

  let failure: { message: string; type: string | undefined } | null = null;
  try {
    await run.result();
  } catch (err) {
    if (err instanceof WorkflowFailedError) failure = rootFailure(err);
  }
  switch (status) {
    case 'FAILED':
      return {
        ...progress,
        phase: RolloutPhase.Failed,
        error: failure?.message ?? progress.error ?? 'failed',
        execution: { ...execution, failureType: failure?.type ?? null },
      };
    case 'TERMINATED':
      return { ...progress, phase: ClosedPhase.Terminated, error: `terminated: ${failure?.message ?? 'no reason given'}`, execution };
    case 'TIMED_OUT':
      return { ...progress, phase: ClosedPhase.TimedOut, error: "timed out: the workflow's timeout passed", execution };
    case 'CANCELLED':
      return { ...progress, phase: ClosedPhase.Canceled, error: 'canceled', execution };
    default:
      return { ...progress, execution };
  }
}
