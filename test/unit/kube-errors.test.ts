/**
 * How Kubernetes API errors reach Temporal (src/kube/errors.ts toActivityError): which ones end a rollout at once and
 * which ones retry, with messages that say what was refused.
 */
import { ApiException } from '@kubernetes/client-node';
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { NonRetryable, toActivityError } from '../../src/kube/errors.js';

/** An error as client-node 1.x throws it: the Status body as JSON text. */
function apiError(code: number, status: Record<string, unknown>): ApiException<string> {
  return new ApiException(code, `HTTP-Code: ${code}`, JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, ...status }), {});
}

function thrown(err: unknown, what: string): ApplicationFailure {
  try {
    toActivityError(err, what);
  } catch (e) {
    expect(e).toBeInstanceOf(ApplicationFailure);
    return e as ApplicationFailure;
  }
  throw new Error('toActivityError returned');
}

describe('toActivityError', () => {
  it('makes a 403 (missing RBAC permission) non-retryable Forbidden, naming the user, verb and resource', () => {
    const message =
      'pods "web-x7k2p" is forbidden: User "system:serviceaccount:cloneset-rollout:cloneset-rollout" cannot patch resource "pods/status" in API group "" in the namespace "shop"';
    const f = thrown(apiError(403, { reason: 'Forbidden', message, details: { name: 'web-x7k2p', kind: 'pods' } }), 'set InPlaceUpdateReady on Pod web-x7k2p');
    expect(f.nonRetryable).toBe(true);
    expect(f.type).toBe(NonRetryable.Forbidden);
    expect(f.message).toBe(
      `set InPlaceUpdateReady on Pod web-x7k2p: 403 Forbidden: ${message} (the worker's ClusterRole must grant it, as deploy/rbac.yaml does)`,
    );
  });

  it('keeps 400/422 non-retryable Rejected and conflicts, throttling, 5xx and transport errors retryable', () => {
    expect(thrown(apiError(422, { reason: 'Invalid', message: 'bad' }), 'x')).toMatchObject({ nonRetryable: true, type: NonRetryable.Rejected });
    expect(thrown(apiError(400, { reason: 'BadRequest', message: 'bad' }), 'x')).toMatchObject({ nonRetryable: true, type: NonRetryable.Rejected });
    for (const code of [409, 429, 500, 503]) {
      expect(thrown(apiError(code, { reason: 'X', message: 'later' }), 'x')).toMatchObject({ nonRetryable: false, type: `Http${code}` });
    }
    expect(thrown(new Error('connect ECONNREFUSED 127.0.0.1:6443'), 'list Pods')).toMatchObject({
      nonRetryable: false,
      type: 'TransportError',
      message: 'list Pods: connect ECONNREFUSED 127.0.0.1:6443',
    });
  });

  it('is among the types the workflows never retry', async () => {
    const { retry } = await import('../../src/workflows/activities.js');
    expect(retry.nonRetryableErrorTypes).toContain(NonRetryable.Forbidden);
  });
});
