/**
 * The workflow's handles on the activities, with their timeouts and retry policy, shared by the rollout loop and
 * the control handlers so both call Kubernetes the same way.
 */
import { ApplicationFailure, proxyActivities, proxyLocalActivities, rootCause } from '@temporalio/workflow';
import type { createActivities } from '../activities/index.js';
import { NonRetryable } from '../kube/error-types.js';

type Activities = ReturnType<typeof createActivities>;

/**
 * The cluster this workflow's activities act on (the rollout input's `cluster`). Module state is per workflow: the
 * SDK evaluates the workflow modules once per workflow. `default` adds nothing to the activities' inputs, so a
 * single-cluster rollout's commands stay exactly as they were; another cluster's name rides in each input's
 * `cluster` field, where the worker's activity router (src/activities/index.ts) reads it.
 */
let cluster = 'default';

/** Sets the cluster every activity of this workflow acts on from now. */
export function useCluster(name: string | undefined): void {
  cluster = name ?? 'default';
}

function withCluster(args: unknown[]): unknown[] {
  if (cluster === 'default') return args;
  const [first, ...rest] = args;
  if (typeof first !== 'object' || first === null || Array.isArray(first)) return args;
  return [{ ...first, cluster }, ...rest];
}

type Callable = ((...args: unknown[]) => Promise<unknown>) & { executeWithOptions(opts: unknown, args: unknown[]): Promise<unknown> };

/** The SDK's activity proxy with the cluster added to every call's input (plain calls and executeWithOptions). */
function routed<T extends object>(proxy: T): T {
  return new Proxy(proxy, {
    get(target, prop) {
      const fn = (target as Record<string | symbol, Callable>)[prop];
      if (typeof fn !== 'function') return fn;
      const call = (...args: unknown[]) => fn(...withCluster(args));
      call.executeWithOptions = (opts: unknown, args: unknown[]) => fn.executeWithOptions(opts, withCluster(args));
      return call;
    },
  });
}

/** Transient failures retry quickly and forever; the non-retryable types end the attempt at once. */
export const retry = {
  initialInterval: '200ms',
  backoffCoefficient: 2,
  maximumInterval: '5s',
  nonRetryableErrorTypes: Object.values(NonRetryable),
};

/**
 * Quick reads and writes (each a few API calls). Short, because a worker killed mid-call is noticed only when this
 * expires: the retry on another worker starts at most 6 s later. Pass with a `summary` to `executeWithOptions`.
 */
export const apiOptions = { startToCloseTimeout: '6s', retry } as const;
export const api = routed(proxyActivities<Activities>(apiOptions));

/**
 * The short batch steps (gate off, patch) as local activities: run by the worker that runs the workflow task, with
 * no task-queue round trip and one marker event instead of three activity events and a workflow task. A worker killed
 * mid-step loses the workflow task; the next worker runs the step again, which is safe because every step is
 * idempotent.
 */
export const localBatchOptions = { startToCloseTimeout: '2m', localRetryThreshold: '10s', retry } as const;
export const localBatch = routed(proxyLocalActivities<Activities>(localBatchOptions));

/**
 * Waits on Pods: long but heartbeating at least every second, so a killed worker's wait is retried on another
 * worker within the heartbeat timeout.
 */
export const waitOptions = { startToCloseTimeout: '1h', heartbeatTimeout: '3s', retry } as const;
export const waits = routed(proxyActivities<Activities>(waitOptions));

/**
 * What an activity error says, for a workflow failure or a Pod's record: the root cause's message (not the
 * ActivityFailure wrapper's) and the type of the ApplicationFailure the activity threw, if any.
 */
export function failureOf(err: unknown): { message: string; type: string | undefined } {
  const app = err instanceof ApplicationFailure ? err : (err as { cause?: unknown } | null)?.cause;
  return {
    message: rootCause(err) ?? String(err),
    type: app instanceof ApplicationFailure ? (app.type ?? undefined) : undefined,
  };
}

/** An activity error re-raised as the run's non-retryable failure, with the activity's own type and message. */
export function toFailure(err: unknown, fallbackType: string): ApplicationFailure {
  const { message, type } = failureOf(err);
  return ApplicationFailure.nonRetryable(message, type ?? fallbackType);
}
