/**
 * A rollout the controller started that failed (a spec the rollout refuses, e.g. `replicas: -1`, which the CRD schema
 * accepts) is shown where `kubectl describe cloneset` users look, not only in Temporal:
 *
 * - the `Progressing` condition (as a Deployment's): status False, reason the failure's type (`InvalidSpec`,
 *   `InPlaceOnlyRefused`...), message the refusal followed by `(rollout workflow ID run RUNID)`; the other conditions
 *   are kept;
 * - a Warning Event on the CloneSet with the same reason and the refusal as its message.
 *
 * Exactly once per failed run, whatever the number of controller replicas and resyncs: the condition's message names
 * the run, and it is written with the CloneSet's resourceVersion, so only one writer wins and only the winner records
 * the Event. When the controller starts the next rollout (a new generation), a condition it wrote for an earlier run
 * turns True (reason `RolloutStarted`), so a fixed spec does not keep showing the old refusal.
 */
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { recordEvent } from '../activities/context.js';
import { CLONESET, type KubeClients } from '../kube/clients.js';
import { isConflict, isNotFound } from '../kube/errors.js';
import { CLONESET_API_VERSION } from '../rollout/index.js';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** The condition type written (the one the rollout's progress deadline also writes). */
export const CONDITION_TYPE = 'Progressing';
/** Reason of the condition when the controller starts a rollout over one it marked failed. */
export const STARTED_REASON = 'RolloutStarted';

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastUpdateTime?: string;
  lastTransitionTime?: string;
}

/** How a run failed: the root cause's message and type. */
export interface RunFailure {
  workflowId: string;
  runId: string;
  /** The CloneSet generation the run was started for. */
  generation: number;
  message: string;
  /** The failure's type (e.g. InvalidSpec); absent or null for a timeout or an untyped failure. */
  type?: string | null;
  /** The execution's status: FAILED or TIMED_OUT. */
  status: string;
}

/** Execution statuses the controller reports (a terminated or canceled run was stopped on purpose). */
export const REPORTED_STATUSES: readonly string[] = ['FAILED', 'TIMED_OUT'];

/** The Event's and the condition's reason: the failure's type, else RolloutFailed / RolloutTimedOut. */
export function failureReason(f: Pick<RunFailure, 'type' | 'status'>): string {
  if (f.type) return f.type;
  return f.status === 'TIMED_OUT' ? 'RolloutTimedOut' : 'RolloutFailed';
}

const marker = (workflowId: string, runId: string) => `(rollout workflow ${workflowId} run ${runId})`;

/** The run a condition written by the controller names, or null (a condition someone else wrote). */
export function markedRun(c: Condition | undefined): string | null {
  const m = /\(rollout workflow \S+ run (\S+)\)$/.exec(c?.message ?? '');
  return m ? m[1]! : null;
}

/**
 * The conditions after reporting `f`, or null when there is nothing to write (already reported for this run).
 * `now` is an ISO-8601 time.
 */
export function withFailure(conditions: readonly Condition[], f: RunFailure, now: string): Condition[] | null {
  const existing = conditions.find((c) => c.type === CONDITION_TYPE);
  if (existing && markedRun(existing) === f.runId) return null;
  const condition: Condition = {
    type: CONDITION_TYPE,
    status: 'False',
    reason: failureReason(f),
    message: `${f.message} ${marker(f.workflowId, f.runId)}`,
    lastUpdateTime: now,
    lastTransitionTime: existing?.status === 'False' ? (existing.lastTransitionTime ?? now) : now,
  };
  return [...conditions.filter((c) => c !== existing), condition];
}

/**
 * The conditions after starting run `runId`, or null when nothing changes: only a False condition the controller
 * wrote for another run is turned True (one the rollout wrote, e.g. ProgressDeadlineExceeded, is the rollout's).
 */
export function withStarted(conditions: readonly Condition[], workflowId: string, runId: string, message: string, now: string): Condition[] | null {
  const existing = conditions.find((c) => c.type === CONDITION_TYPE);
  const run = markedRun(existing);
  if (!existing || existing.status !== 'False' || run === null || run === runId) return null;
  const condition: Condition = {
    type: CONDITION_TYPE,
    status: 'True',
    reason: STARTED_REASON,
    message: `${message} ${marker(workflowId, runId)}`,
    lastUpdateTime: now,
    lastTransitionTime: now,
  };
  return [...conditions.filter((c) => c !== existing), condition];
}

type CloneSetObj = { metadata: { uid?: string; generation?: number; resourceVersion?: string }; status?: { conditions?: Condition[] } };

/**
 * Reads the CloneSet, computes the new conditions and writes them with its resourceVersion (a conflict re-reads).
 * Returns whether this call wrote them. Skips a CloneSet that is gone, was recreated (uid), or, with `generation`,
 * moved on to another generation.
 */
async function updateConditions(
  k: KubeClients,
  namespace: string,
  name: string,
  expect: { uid: string; generation?: number },
  next: (conditions: readonly Condition[]) => Condition[] | null,
): Promise<boolean> {
  for (;;) {
    let cs: CloneSetObj;
    try {
      cs = (await k.custom.getNamespacedCustomObject({ ...CLONESET, namespace, name })) as CloneSetObj;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
    if (expect.uid && cs.metadata.uid !== expect.uid) return false;
    if (expect.generation !== undefined && cs.metadata.generation !== expect.generation) return false;
    const conditions = next(cs.status?.conditions ?? []);
    if (conditions === null) return false;
    try {
      await k.custom.patchNamespacedCustomObjectStatus(
        { ...CLONESET, namespace, name, body: { metadata: { resourceVersion: cs.metadata.resourceVersion }, status: { conditions } } },
        mergePatch,
      );
      return true;
    } catch (err) {
      if (isConflict(err)) continue;
      throw err;
    }
  }
}

/** Writes the Progressing=False condition and the Warning Event for a failed run, once (see the module comment). */
export async function reportFailure(k: KubeClients, log: Logger, cs: { namespace: string; name: string; uid: string }, f: RunFailure): Promise<boolean> {
  const wrote = await updateConditions(k, cs.namespace, cs.name, { uid: cs.uid, generation: f.generation }, (conditions) =>
    withFailure(conditions, f, new Date().toISOString()),
  );
  if (!wrote) return false;
  const reason = failureReason(f);
  log.warn({ reason, runId: f.runId, failure: f.message }, 'rollout failed; recorded on the CloneSet');
  await recordEvent(k.core, log, { kind: 'CloneSet', apiVersion: CLONESET_API_VERSION, ...cs }, 'Warning', reason, f.message);
  return true;
}

/** After starting run `runId`: a failure condition the controller wrote for an earlier run turns True. */
export async function clearFailure(
  k: KubeClients,
  cs: { namespace: string; name: string; uid: string },
  workflowId: string,
  runId: string,
  message: string,
): Promise<boolean> {
  return updateConditions(k, cs.namespace, cs.name, { uid: cs.uid }, (conditions) =>
    withStarted(conditions, workflowId, runId, message, new Date().toISOString()),
  );
}
