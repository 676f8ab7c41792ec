/**
 * Helpers every activity shares: a logger carrying the Temporal context (workflowId, runId, activity) plus the Pod,
 * heartbeating waits that poll the API server, and Kubernetes Events.
 */
import { Context, sleep } from '@temporalio/activity';
import type { CoreV1Api } from '@kubernetes/client-node';
import type { Logger } from 'pino';

/** pino child logger bound to the current activity's workflow/run/activity and extra fields (e.g. pod). */
export function activityLogger(base: Logger, fields: Record<string, unknown> = {}): Logger {
  try {
    const info = Context.current().info;
    return base.child({
      workflowId: info.workflowExecution?.workflowId,
      runId: info.workflowExecution?.runId,
      activity: info.activityType,
      attempt: info.attempt,
      ...fields,
    });
  } catch {
    return base.child(fields);
  }
}

/**
 * Heartbeats if running inside a (regular) activity. A no-op in a local activity — the server knows nothing of
 * those, and the SDK would log "Activity heartbeat failed" (UnknownActivity) at each call; the batch steps run as
 * local activities (src/workflows/activities.ts) and share the per-Pod helpers with regular ones — and in plain
 * function calls (e.g. unit tests).
 */
export function heartbeat(details?: unknown): void {
  let ctx: Context;
  try {
    ctx = Context.current();
  } catch {
    return; // not in an activity context
  }
  if (ctx.info.isLocal) return;
  try {
    ctx.heartbeat(details);
  } catch {
    // best effort, as before: a heartbeat that cannot be sent never fails the step
  }
}

/**
 * Polls `check` until it returns a value other than undefined, heartbeating each round so a dead worker is noticed
 * within the heartbeat timeout. The interval backs off from 100 ms to `maxIntervalMs`. Cancellation (activity
 * cancelled, or worker shutting down) ends the wait with the SDK's cancellation error.
 */
export async function pollUntil<T>(
  check: () => Promise<{ done: true; value: T } | { done: false; detail?: unknown }>,
  opts: { maxIntervalMs?: number } = {},
): Promise<T> {
  let interval = 100;
  for (;;) {
    const r = await check();
    if (r.done) return r.value;
    heartbeat(r.detail);
    await sleepInActivity(interval);
    interval = Math.min(interval * 2, opts.maxIntervalMs ?? 500);
  }
}

function sleepInActivity(ms: number): Promise<void> {
  try {
    Context.current();
    return sleep(ms);
  } catch {
    return new Promise((r) => setTimeout(r, ms));
  }
}

export interface EventTarget {
  kind: 'CloneSet' | 'Pod';
  apiVersion: string;
  namespace: string;
  name: string;
  uid: string;
}

/** The body of a core/v1 Event on `target`, as cloneset-rollout reports it. */
export function eventBody(
  target: EventTarget,
  type: 'Normal' | 'Warning',
  reason: string,
  message: string,
  series: { count: number; firstTimestamp: Date; lastTimestamp: Date } = { count: 1, firstTimestamp: new Date(), lastTimestamp: new Date() },
) {
  return {
    metadata: { generateName: `${target.name}.`, namespace: target.namespace },
    involvedObject: { kind: target.kind, apiVersion: target.apiVersion, namespace: target.namespace, name: target.name, uid: target.uid },
    type,
    reason,
    message,
    source: { component: 'cloneset-rollout' },
    reportingComponent: 'cloneset-rollout',
    reportingInstance: 'cloneset-rollout',
    ...series,
  };
}

/**
 * Records one Kubernetes Event (best effort: a failure is logged, never fails the rollout), with reasons users can
 * grep: RolloutStarted, Progressing reasons, FailedUpdate, Lifecycle*... Events that recur once per Pod on a CloneSet
 * go through {@link EventSeries} (src/activities/events.ts) instead, which folds them into one Event per reason.
 */
export async function recordEvent(
  core: CoreV1Api,
  log: Logger,
  target: EventTarget,
  type: 'Normal' | 'Warning',
  reason: string,
  message: string,
): Promise<void> {
  try {
    await core.createNamespacedEvent({ namespace: target.namespace, body: eventBody(target, type, reason, message) });
  } catch (err) {
    log.warn({ err: (err as Error).message, reason }, 'could not record event');
  }
}
