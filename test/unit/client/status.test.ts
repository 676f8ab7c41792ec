/**
 * The status's phase and error for each execution status (src/client/status.ts), on a fake workflow handle: what
 * describe() says, what the progress query answers (the record as the run left it) and how result() fails.
 */
import { ApplicationFailure, CancelledFailure, TerminatedFailure, TimeoutFailure, TimeoutType } from '@temporalio/common';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { rolloutStatus, unsuccessful } from '../../../src/client/status.js';
import { emptyProgress, type RolloutProgress } from '../../../src/workflows/messages.js';

const record = (over: Partial<RolloutProgress> = {}): RolloutProgress => ({ ...emptyProgress('default', 'web'), ...over });

function fake(status: string, opts: { progress?: RolloutProgress | Error; failure?: Error } = {}): WorkflowHandle {
  const run = {
    query: async () => {
      if (opts.progress instanceof Error) throw opts.progress;
      return opts.progress ?? record();
    },
    result: async () => {
      if (opts.failure) throw new WorkflowFailedError('Workflow execution failed', opts.failure, 'NON_RETRYABLE_FAILURE');
      return {};
    },
  };
  return {
    workflowId: 'cloneset/default/web',
    describe: async () => ({ runId: 'run-1', status: { name: status }, closeTime: status === 'RUNNING' ? undefined : new Date(0) }),
    client: { getHandle: () => run },
  } as unknown as WorkflowHandle;
}

const refused = ApplicationFailure.create({ message: 'CloneSet default/web has no revision 7 (known: 1)', type: 'InvalidSpec', nonRetryable: true });

describe('rolloutStatus: the phase and error by execution status', () => {
  it.each<[string, WorkflowHandle, Record<string, unknown>]>([
    [
      'RUNNING keeps the record',
      fake('RUNNING', { progress: record({ phase: 'Updating' }) }),
      { phase: 'Updating', error: null, execution: { status: 'RUNNING', closedAt: null } },
    ],
    ['COMPLETED keeps Completed', fake('COMPLETED', { progress: record({ phase: 'Completed' }) }), { phase: 'Completed', error: null }],
    ['COMPLETED keeps Aborted', fake('COMPLETED', { progress: record({ phase: 'Aborted' }) }), { phase: 'Aborted' }],
    [
      'FAILED in prepare: Failed with the root cause and its type',
      fake('FAILED', { failure: refused }),
      { phase: 'Failed', error: 'CloneSet default/web has no revision 7 (known: 1)', execution: { status: 'FAILED', failureType: 'InvalidSpec' } },
    ],
    [
      'FAILED later: the record already said Failed',
      fake('FAILED', { progress: record({ phase: 'Failed', error: 'x' }), failure: ApplicationFailure.create({ message: 'x', type: 'InPlaceOnly' }) }),
      { phase: 'Failed', error: 'x' },
    ],
    [
      'TERMINATED: Terminated, "terminated: reason"',
      fake('TERMINATED', { progress: record({ phase: 'Paused' }), failure: new TerminatedFailure('operator stop') }),
      { phase: 'Terminated', error: 'terminated: operator stop', execution: { failureType: null } },
    ],
    [
      'TIMED_OUT: TimedOut',
      fake('TIMED_OUT', { failure: new TimeoutFailure('Workflow execution timed out', undefined, TimeoutType.START_TO_CLOSE) }),
      { phase: 'TimedOut', error: "timed out: the workflow's timeout passed" },
    ],
    [
      'CANCELLED: Canceled',
      fake('CANCELLED', { failure: new CancelledFailure('Workflow canceled') }),
      { phase: 'Canceled', error: 'canceled', execution: { status: 'CANCELLED' } },
    ],
    [
      'a closed run no worker can replay: a blank record, still Failed',
      fake('FAILED', { progress: new Error('no poller'), failure: refused }),
      { phase: 'Failed', namespace: 'default', name: 'web', pods: {} },
    ],
  ])('%s', async (_name, handle, expected) => {
    expect(await rolloutStatus(handle)).toMatchObject(expected);
  });

  it('a running run whose query fails throws (not yet queryable)', async () => {
    await expect(rolloutStatus(fake('RUNNING', { progress: new Error('no poller') }))).rejects.toThrow('no poller');
  });

  it.each([
    ['Failed', true],
    ['Terminated', true],
    ['TimedOut', true],
    ['Canceled', true],
    ['Completed', false],
    ['Aborted', false],
    ['RolledBack', false],
    ['Updating', false],
  ])('unsuccessful(%s) = %s', (phase, expected) => {
    expect(unsuccessful({ phase })).toBe(expected);
  });
});
