/**
 * Typed client for rollouts: start one, find a CloneSet's rollout, read its progress, wait for its result.
 * The project's CLI and demo use it; applications can too (`import { RolloutClient } from 'cloneset-rollout'`).
 */
import { Client, Connection, WorkflowExecutionAlreadyStartedError, WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { DEFAULT_TASK_QUEUE, ROLLOUT_WORKFLOW_TYPE, rolloutWorkflowId } from '../constants.js';
import { progressQuery, type RolloutProgress, type RolloutResult } from '../workflows/messages.js';
import type { RolloutInput } from '../rollout/index.js';

/** Thrown by {@link RolloutClient.start} when a rollout of that CloneSet is already running. */
export class RolloutAlreadyRunningError extends Error {
  override name = 'RolloutAlreadyRunningError';
  constructor(readonly workflowId: string) {
    super(`a rollout of this CloneSet is already running (workflow ${workflowId}); it moves to the newest spec by itself`);
  }
}

/** Thrown by {@link RolloutHandle.result} when the rollout failed; `message` carries the root cause. */
export class RolloutFailedError extends Error {
  override name = 'RolloutFailedError';
  constructor(message: string, readonly type: string | undefined, readonly workflowId: string) {
    super(message);
  }
}

/** Thrown by {@link RolloutClient.start} for an input Temporal would refuse as too large (before contacting it). */
export class RolloutInputTooLargeError extends Error {
  override name = 'RolloutInputTooLargeError';
  constructor(readonly bytes: number) {
    super(
      `rollout input is ${(bytes / 1024 / 1024).toFixed(1)} MB, over Temporal's ${MAX_INPUT_BYTES / 1024 / 1024} MB payload limit ` +
        '(the server refuses it with "Blob data size exceeds limit"); a rollout input names images, it never needs more than a few KB',
    );
  }
}

/** Temporal's default blob size error limit (2 MB): a larger workflow input is refused at start. */
export const MAX_INPUT_BYTES = 2 * 1024 * 1024;

export interface RolloutClientOptions {
  /** Temporal frontend host:port. */
  address: string;
  /** Default 'default'. */
  namespace?: string;
  /** Default {@link DEFAULT_TASK_QUEUE}. */
  taskQueue?: string;
  /** TLS / API key and other connection options for a secured Temporal. */
  connection?: Omit<Parameters<typeof Connection.connect>[0], 'address'>;
}

/** A handle on one CloneSet's rollout. */
export class RolloutHandle {
  constructor(readonly workflow: WorkflowHandle) {}

  get workflowId(): string {
    return this.workflow.workflowId;
  }

  /** Current progress (the `progress` query). */
  progress(): Promise<RolloutProgress> {
    return this.workflow.query(progressQuery);
  }

  /** Waits for the rollout to finish; throws {@link RolloutFailedError} with the root cause when it failed. */
  async result(): Promise<RolloutResult> {
    try {
      return (await this.workflow.result()) as RolloutResult;
    } catch (err) {
      if (err instanceof WorkflowFailedError) {
        let cause: unknown = err.cause;
        while ((cause as { cause?: unknown })?.cause) cause = (cause as { cause?: unknown }).cause;
        const c = (cause ?? err) as { message: string; type?: string };
        throw new RolloutFailedError(c.message, c.type, this.workflowId);
      }
      throw err;
    }
  }

  /**
   * Yields progress whenever it changes (polling the query every `intervalMs`, default 500) until the rollout
   * closes.
   */
  async *watch(intervalMs = 500): AsyncGenerator<RolloutProgress> {
    let last = '';
    for (;;) {
      let p: RolloutProgress | undefined;
      try {
        p = await this.progress();
      } catch {
        p = undefined; // not queryable for a moment (e.g. no worker yet); the describe below decides
      }
      if (p) {
        const key = JSON.stringify(p);
        if (key !== last) {
          last = key;
          yield p;
        }
      }
      const { status } = await this.workflow.describe();
      if (status.name !== 'RUNNING') return;
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  }
}

export class RolloutClient {
  private constructor(
    readonly client: Client,
    private readonly connection: Connection,
    readonly taskQueue: string,
  ) {}

  static async connect(opts: RolloutClientOptions): Promise<RolloutClient> {
    const connection = await Connection.connect({ address: opts.address, ...opts.connection });
    const client = new Client({ connection, namespace: opts.namespace ?? 'default' });
    return new RolloutClient(client, connection, opts.taskQueue ?? DEFAULT_TASK_QUEUE);
  }

  /** Starts the rollout of a CloneSet; at most one runs per CloneSet ({@link RolloutAlreadyRunningError}). */
  async start(input: RolloutInput): Promise<RolloutHandle> {
    const workflowId = rolloutWorkflowId(input.namespace, input.name);
    const bytes = Buffer.byteLength(JSON.stringify(input) ?? '');
    if (bytes > MAX_INPUT_BYTES) throw new RolloutInputTooLargeError(bytes);
    try {
      const handle = await this.client.workflow.start(ROLLOUT_WORKFLOW_TYPE, {
        workflowId,
        taskQueue: this.taskQueue,
        args: [input],
        workflowIdConflictPolicy: 'FAIL',
        // A workflow task lost with a killed worker is retried after this (default 10 s); ours take milliseconds.
        workflowTaskTimeout: '4s',
        staticSummary: `Roll CloneSet ${input.namespace}/${input.name}${input.images ? ` to ${Object.entries(input.images).map(([c, i]) => `${c}=${i}`).join(', ')}` : ''}`,
      });
      return new RolloutHandle(handle);
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) throw new RolloutAlreadyRunningError(workflowId);
      throw err;
    }
  }

  /** The latest rollout of a CloneSet (running or closed). */
  handle(namespace: string, name: string): RolloutHandle {
    return new RolloutHandle(this.client.workflow.getHandle(rolloutWorkflowId(namespace, name)));
  }

  async close(): Promise<void> {
    await this.connection.close();
  }
}
