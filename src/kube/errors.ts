/**
 * One place that turns Kubernetes API errors into the rollout's error vocabulary: what Temporal should retry
 * (conflicts, 5xx, throttling, transport errors) and what it must not (bad specs, missing objects).
 */
import { ApplicationFailure } from '@temporalio/common';

import { NonRetryable } from './error-types.js';

export { NonRetryable, type NonRetryableType } from './error-types.js';

/** A Kubernetes `Status` object as the apiserver returns it in error bodies. */
export interface KubeStatus {
  kind?: string;
  code?: number;
  reason?: string;
  message?: string;
  details?: { name?: string; kind?: string; causes?: { field?: string; message?: string; reason?: string }[] };
}

/** HTTP status code of a client-node error, or undefined for transport errors. */
export function statusCode(err: unknown): number | undefined {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'number' ? code : undefined;
}

/** The parsed Status body of a client-node ApiException (its body is JSON text in client-node 1.x). */
export function statusBody(err: unknown): KubeStatus | undefined {
  const body = (err as { body?: unknown })?.body;
  if (!body) return undefined;
  if (typeof body === 'object') return body as KubeStatus;
  if (typeof body !== 'string') return { message: String(body as number | boolean) };
  try {
    return JSON.parse(body) as KubeStatus;
  } catch {
    return { message: body };
  }
}

export const isNotFound = (err: unknown): boolean => statusCode(err) === 404;
export const isConflict = (err: unknown): boolean => statusCode(err) === 409 && statusBody(err)?.reason !== 'AlreadyExists';
export const isAlreadyExists = (err: unknown): boolean => statusCode(err) === 409 && statusBody(err)?.reason === 'AlreadyExists';

/** A short human-readable description of an API error (never includes request headers or credentials). */
export function describe(err: unknown): string {
  const code = statusCode(err);
  const status = statusBody(err);
  if (code !== undefined) return `${code} ${status?.reason ?? ''}: ${status?.message ?? (err as Error).message}`.trim();
  return (err as Error)?.message ?? String(err);
}

/**
 * Rethrows an API error in the form Temporal should see: 422/400 become non-retryable `Rejected`; 403 becomes
 * non-retryable `Forbidden` (a missing RBAC permission: retrying would only hide it); anything else (409 conflicts,
 * 429, 5xx, network) stays retryable with a readable message.
 */
export function toActivityError(err: unknown, what: string): never {
  if (err instanceof ApplicationFailure) throw err;
  const code = statusCode(err);
  if (code === 422 || code === 400) {
    throw ApplicationFailure.nonRetryable(`${what}: ${describe(err)}`, NonRetryable.Rejected);
  }
  if (code === 403) {
    // The apiserver's message names the user, the verb and the resource ("... cannot patch resource "pods" ...").
    throw ApplicationFailure.nonRetryable(
      `${what}: ${describe(err)} (the worker's ClusterRole must grant it, as deploy/rbac.yaml does)`,
      NonRetryable.Forbidden,
    );
  }
  throw ApplicationFailure.retryable(`${what}: ${describe(err)}`, code ? `Http${code}` : 'TransportError');
}
