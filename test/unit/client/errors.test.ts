/**
 * The client's errors keep what they stand for as `cause` (so `err.cause` leads to the Temporal failure) and surface
 * the root cause's message and type. The handles are fed the errors the Temporal client throws; no server needed.
 */
import { WorkflowExecutionAlreadyStartedError, WorkflowFailedError, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure, RetryState, WorkflowNotFoundError } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import {
  RolloutAlreadyRunningError,
  RolloutClient,
  RolloutControlRejectedError,
  RolloutFailedError,
  RolloutHandle,
  RolloutNotRunningError,
} from '../../../src/client/index.js';

const WORKFLOW_ID = 'cloneset/prod/web';

/** A RolloutHandle over a workflow handle whose calls fail with `err`. */
function failingHandle(err: Error): RolloutHandle {
  const reject = () => Promise.reject(err);
  return new RolloutHandle({ workflowId: WORKFLOW_ID, result: reject, executeUpdate: reject, query: reject } as unknown as WorkflowHandle);
}

describe('RolloutFailedError', () => {
  it("carries the root cause's message and type, and the client's error as cause", async () => {
    const app = ApplicationFailure.nonRetryable('CloneSet prod/web not found', 'CloneSetNotFound');
    const activity = new ActivityFailure('Activity task failed', 'prepareRollout', '1', RetryState.NON_RETRYABLE_FAILURE, 'worker', app);
    const failed = new WorkflowFailedError('Workflow execution failed', activity, RetryState.NON_RETRYABLE_FAILURE);
    const err = await failingHandle(failed)
      .result()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RolloutFailedError);
    const f = err as RolloutFailedError;
    expect(f).toMatchObject({ message: 'CloneSet prod/web not found', type: 'CloneSetNotFound', workflowId: WORKFLOW_ID });
    expect(f.cause).toBe(failed);
    expect((f.cause as WorkflowFailedError).cause).toBe(activity);
    expect(activity.cause).toBe(app);
  });

  it('a failure thrown by the workflow itself (no activity in between)', async () => {
    const app = ApplicationFailure.nonRetryable('CloneSet prod/web has no revision 7 (known: 1, 2)', 'InvalidSpec');
    const failed = new WorkflowFailedError('Workflow execution failed', app, RetryState.NON_RETRYABLE_FAILURE);
    const err = (await failingHandle(failed)
      .result()
      .catch((e: unknown) => e)) as RolloutFailedError;
    expect(err).toMatchObject({ message: app.message, type: 'InvalidSpec' });
    expect(err.cause).toBe(failed);
  });

  it("a failure with no cause: the client error's message, no type", async () => {
    const failed = new WorkflowFailedError('Workflow execution terminated', undefined, RetryState.NON_RETRYABLE_FAILURE);
    const err = (await failingHandle(failed)
      .result()
      .catch((e: unknown) => e)) as RolloutFailedError;
    expect(err).toMatchObject({ message: 'Workflow execution terminated', type: undefined });
    expect(err.cause).toBe(failed);
  });

  it('other errors pass through unchanged', async () => {
    const other = new Error('connection refused');
    await expect(failingHandle(other).result()).rejects.toBe(other);
  });
});

describe('control errors', () => {
  it("a refused control: the validator's message, the client's error as cause", async () => {
    const app = ApplicationFailure.create({ message: 'partition "150%" must be between 0% and 100%', type: 'Rejected', nonRetryable: true });
    const updateFailed = new WorkflowUpdateFailedError('Workflow Update failed', app);
    const err = (await failingHandle(updateFailed)
      .setPartition('150%')
      .catch((e: unknown) => e)) as RolloutControlRejectedError;
    expect(err).toBeInstanceOf(RolloutControlRejectedError);
    expect(err).toMatchObject({ control: 'setPartition', message: app.message, workflowId: WORKFLOW_ID });
    expect(err.cause).toBe(updateFailed);
    expect((err.cause as WorkflowUpdateFailedError).cause).toBe(app);
  });

  it('no running rollout: RolloutNotRunningError with the client error as cause', async () => {
    const notFound = new WorkflowNotFoundError('workflow not found', WORKFLOW_ID, undefined);
    const err = (await failingHandle(notFound)
      .pause()
      .catch((e: unknown) => e)) as RolloutNotRunningError;
    expect(err).toBeInstanceOf(RolloutNotRunningError);
    expect(err.message).toBe(`no running rollout ${WORKFLOW_ID}: not found`);
    expect(err.cause).toBe(notFound);
  });
});

describe('RolloutClient.start', () => {
  it('a rollout already running: RolloutAlreadyRunningError with the client error as cause', async () => {
    const started = new WorkflowExecutionAlreadyStartedError('Workflow execution already started', WORKFLOW_ID, 'rollout');
    const client = Object.create(RolloutClient.prototype) as RolloutClient;
    Object.assign(client, { taskQueue: 'q', client: { workflow: { start: () => Promise.reject(started) } } });
    const err = (await client.start({ namespace: 'prod', name: 'web' }).catch((e: unknown) => e)) as RolloutAlreadyRunningError;
    expect(err).toBeInstanceOf(RolloutAlreadyRunningError);
    expect(err.workflowId).toBe(WORKFLOW_ID);
    expect(err.cause).toBe(started);
  });
});
