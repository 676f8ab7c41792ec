/**
 * Typed client for rollouts: start one, find a CloneSet's rollout, read its progress, wait for its result.
 * The project's CLI and demo use it; applications can too (`import { RolloutClient } from 'cloneset-rollout'`).
 */
import {
  Client,
  Connection,
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type WorkflowHandle,
  type WorkflowStartOptions,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { DEFAULT_TASK_QUEUE, FLEET_WORKFLOW_TYPE, fleetWorkflowId, ROLLOUT_WORKFLOW_TYPE, rolloutWorkflowId } from '../constants.js';
import {
  approveUpdate,
  fleetAbortUpdate,
  fleetPauseUpdate,
  fleetProgressQuery,
  fleetResumeUpdate,
  type FleetControlsView,
  type FleetProgress,
  type FleetResult,
} from '../workflows/fleet-messages.js';
import {
  abortUpdate,
  approveUpdate as approveStepUpdate,
  promoteUpdate,
  pauseUpdate,
  planQuery,
  progressQuery,
  resumeUpdate,
  retargetUpdate,
  setMaxUnavailableUpdate,
  setPartitionUpdate,
  type ApproveOptions,
  type CanaryControlView,
  type ControlsView,
  type IntOrPercent,
  type PromoteOptions,
  type RetargetResult,
  type RolloutPlanView,
  type RolloutProgress,
  type RolloutResult,
  type RolloutFailureDetails,
} from '../workflows/messages.js';
import type { FleetInput, RolloutRequest as RolloutInput } from '../rollout/index.js';

export { readHistory, type CloneSetHistory, type RevisionInfo } from './history.js';
export { ClosedPhase, UNSUCCESSFUL_PHASES, unsuccessful, type RolloutStatus, type RolloutStatusPhase } from './status.js';
import { rolloutStatus, rootFailure, type RolloutStatus } from './status.js';

/**
 * Thrown by {@link RolloutClient.start} when a rollout of that CloneSet is already running; `cause` is the client's
 * WorkflowExecutionAlreadyStartedError.
 */
export class RolloutAlreadyRunningError extends Error {
  override name = 'RolloutAlreadyRunningError';
  constructor(
    readonly workflowId: string,
    options?: ErrorOptions,
  ) {
    super(`a rollout of this CloneSet is already running (workflow ${workflowId}); it moves to the newest spec by itself`, options);
  }
}

/**
 * Thrown by {@link RolloutHandle.result} when the rollout failed: `message` and `type` are the root cause's (e.g.
 * type `InvalidSpec`); `cause` is the client's WorkflowFailedError, whose `cause` chain holds the Temporal failures.
 */
export class RolloutFailedError extends Error {
  override name = 'RolloutFailedError';
  /** How far the rollout got (outcome Failed, its revisions and totals), when the workflow said so. */
  readonly details: RolloutFailureDetails | undefined;
  constructor(
    message: string,
    readonly type: string | undefined,
    readonly workflowId: string,
    options?: ErrorOptions & { details?: RolloutFailureDetails },
  ) {
    super(message, options);
    this.details = options?.details;
  }
}

/**
 * Thrown by a control ({@link RolloutHandle.pause}, `setPartition`, `abort`...) the rollout refused: its validator's
 * message (e.g. `partition "150%" must be ... between 0% and 100%`), or why the control failed while running.
 */
export class RolloutControlRejectedError extends Error {
  override name = 'RolloutControlRejectedError';
  constructor(
    readonly control: string,
    message: string,
    readonly workflowId: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * Thrown by a control or a query when no rollout of that CloneSet is running (never started, or closed); `cause` is
 * the client's error saying so.
 */
export class RolloutNotRunningError extends Error {
  override name = 'RolloutNotRunningError';
  constructor(
    readonly workflowId: string,
    detail: string,
    options?: ErrorOptions,
  ) {
    super(`no running rollout ${workflowId}: ${detail}`, options);
  }
}

/** Turns a control's transport error into a domain error, keeping it as `cause`. */
function controlError(control: string, workflowId: string, err: unknown): Error {
  if (err instanceof WorkflowUpdateFailedError) return new RolloutControlRejectedError(control, rootFailure(err).message, workflowId, { cause: err });
  if (err instanceof WorkflowNotFoundError) return new RolloutNotRunningError(workflowId, 'not found', { cause: err });
  const message = (err as Error)?.message ?? '';
  if (/already completed|workflow execution already completed|not found/i.test(message)) return new RolloutNotRunningError(workflowId, message, { cause: err });
  return err as Error;
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

/**
 * The UI's "static details" of a rollout (Markdown, fixed at start): the CloneSet, the images it moves to, and how to
 * operate it. The revisions from → to and the strategy are resolved by the workflow and shown in its current details.
 */
export function staticDetails(input: RolloutInput): string {
  const id = rolloutWorkflowId(input.namespace, input.name, input.cluster);
  const lines = [
    `**CloneSet** \`${input.namespace}/${input.name}\``,
    '',
    input.revision !== undefined
      ? `**rollback** → ${input.revision ? `revision ${input.revision}` : 'the previous revision'} (its template is set in the CloneSet first)`
      : input.images
        ? `**images** → ${Object.entries(input.images)
            .map(([c, i]) => `\`${c}\`: \`${i}\``)
            .join(', ')}`
        : '**images**: the CloneSet template as it is',
    '',
    "**strategy**: the CloneSet's updateStrategy (in place when only images change; see current details)",
    '',
    `operate: \`cloneset-rollout pause|resume|abort ${input.name} -n ${input.namespace}\` or \`temporal workflow update execute -w ${id} --name pause\``,
  ];
  return lines.join('\n');
}

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

  /**
   * Current progress (the `progress` query): phase, counts, window, controls, timing and each Pod's step. For a closed
   * run this is the record as the run left it (a run that failed while preparing still says Preparing); use
   * {@link status} for what became of the run.
   */
  progress(): Promise<RolloutProgress> {
    return this.workflow.query(progressQuery);
  }

  /**
   * The progress record with the phase and error taken from the execution (describe()): a failed run is `Failed`
   * with its root cause, a terminated one `Terminated` ("terminated: reason"), then `TimedOut`, `Canceled`.
   */
  status(): Promise<RolloutStatus> {
    return rolloutStatus(this.workflow);
  }

  /**
   * What is left to do (the `plan` query): the waves the planner would run from the last observation, with the
   * controls' overrides and the lanes in flight. Null until the rollout has observed its Pods once.
   */
  plan(): Promise<RolloutPlanView | null> {
    return this.workflow.query(planQuery);
  }

  private async control<R>(name: string, run: () => Promise<R>): Promise<R> {
    try {
      return await run();
    } catch (err) {
      throw controlError(name, this.workflowId, err);
    }
  }

  /**
   * Pauses at a safe point: resolves once the lanes in flight finished (every Pod they held is available again); no
   * new Pod is taken until {@link resume}.
   */
  pause(): Promise<ControlsView> {
    return this.control('pause', () => this.workflow.executeUpdate(pauseUpdate));
  }

  /** Lifts a pause. */
  resume(): Promise<ControlsView> {
    return this.control('resume', () => this.workflow.executeUpdate(resumeUpdate));
  }

  /** Overrides updateStrategy.partition for this rollout (`3`, `"40%"`; `null`: the CloneSet's own again). */
  setPartition(value: IntOrPercent | null): Promise<ControlsView> {
    return this.control('setPartition', () => this.workflow.executeUpdate(setPartitionUpdate, { args: [value] }));
  }

  /** Overrides updateStrategy.maxUnavailable, the window (`2`, `"50%"`; `null`: the CloneSet's own again). */
  setMaxUnavailable(value: IntOrPercent | null): Promise<ControlsView> {
    return this.control('setMaxUnavailable', () => this.workflow.executeUpdate(setMaxUnavailableUpdate, { args: [value] }));
  }

  /**
   * Stops the rollout: Pods in flight finish, no new Pod is taken, the run ends as Aborted. With `rollback`, the
   * previous images go back into the CloneSet template and updated Pods return to them in place (RolledBack).
   */
  abort(opts: { rollback?: boolean } = {}): Promise<ControlsView> {
    return this.control('abort', () => this.workflow.executeUpdate(abortUpdate, { args: [{ rollback: opts.rollback === true }] }));
  }

  /** Releases the pause the canary waits at (a step's `pause: {}`, or an inconclusive analysis); who and why are recorded. */
  approve(opts: ApproveOptions = {}): Promise<CanaryControlView> {
    return this.control('approve', () => this.workflow.executeUpdate(approveStepUpdate, { args: [opts] }));
  }

  /** Skips the canary's remaining pauses and bake times; with `full`, its remaining analyses too. */
  promote(opts: PromoteOptions = {}): Promise<CanaryControlView> {
    return this.control('promote', () => this.workflow.executeUpdate(promoteUpdate, { args: [opts] }));
  }

  /** Moves the running rollout to new images (set in the CloneSet template); Pods in flight finish first. */
  retarget(images?: Record<string, string>): Promise<RetargetResult> {
    return this.control('retarget', () => this.workflow.executeUpdate(retargetUpdate, { args: [images ? { images } : {}] }));
  }

  /** Waits for the rollout to finish; throws {@link RolloutFailedError} with the root cause when it failed. */
  async result(): Promise<RolloutResult> {
    try {
      return (await this.workflow.result()) as RolloutResult;
    } catch (err) {
      if (err instanceof WorkflowFailedError) {
        const root = rootFailure(err);
        const top = err.cause instanceof ApplicationFailure ? err.cause.details?.[0] : undefined;
        const details = (top as RolloutFailureDetails | undefined)?.outcome === 'Failed' ? (top as RolloutFailureDetails) : undefined;
        throw new RolloutFailedError(root.message, root.type, this.workflowId, { cause: err, details });
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

/** Thrown by {@link FleetHandle.result} when the fleet failed: refused, halted by a cluster, or a rollback failed. */
export class FleetFailedError extends Error {
  override name = 'FleetFailedError';
  constructor(
    message: string,
    readonly type: string | undefined,
    readonly workflowId: string,
    options: { cause?: unknown; progress?: FleetProgress } = {},
  ) {
    super(message, { cause: options.cause });
    this.progress = options.progress;
  }
  readonly progress: FleetProgress | undefined;
}

/** A handle on one CloneSet's fleet rollout (`fleet/<namespace>/<name>`). */
export class FleetHandle {
  constructor(readonly workflow: WorkflowHandle) {}

  get workflowId(): string {
    return this.workflow.workflowId;
  }

  /** The `progress` query: the fleet's phase, wave, bake timer and each cluster's phase and counts. */
  progress(): Promise<FleetProgress> {
    return this.workflow.query(fleetProgressQuery);
  }

  private async control<R>(name: string, run: () => Promise<R>): Promise<R> {
    try {
      return await run();
    } catch (err) {
      throw controlError(name, this.workflowId, err);
    }
  }

  /** Lets the wave awaiting approval start. */
  approve(): Promise<{ approvedWave: number }> {
    return this.control('approve', () => this.workflow.executeUpdate(approveUpdate));
  }

  /** No new cluster starts until {@link resume} (running clusters finish, the bake runs on). */
  pause(): Promise<FleetControlsView> {
    return this.control('pause', () => this.workflow.executeUpdate(fleetPauseUpdate));
  }

  resume(): Promise<FleetControlsView> {
    return this.control('resume', () => this.workflow.executeUpdate(fleetResumeUpdate));
  }

  /** Aborts the running clusters' rollouts and starts no new one; with rollback, every rolled cluster returns. */
  abort(opts: { rollback?: boolean } = {}): Promise<FleetControlsView> {
    return this.control('abort', () => this.workflow.executeUpdate(fleetAbortUpdate, { args: [{ rollback: opts.rollback === true }] }));
  }

  /** Waits for the fleet to end; throws {@link FleetFailedError} (refused, halted, rollback failed). */
  async result(): Promise<FleetResult> {
    try {
      return (await this.workflow.result()) as FleetResult;
    } catch (err) {
      if (err instanceof WorkflowFailedError) {
        const root = rootFailure(err);
        const top = err.cause instanceof ApplicationFailure ? (err.cause.details?.[0] as FleetProgress | undefined) : undefined;
        throw new FleetFailedError(root.message, root.type, this.workflowId, { cause: err, progress: top });
      }
      throw err;
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

  /** Start options shared by {@link start} and {@link startOrRetarget}: ID, queue, timeouts, the UI's summary and details. */
  private startOptions(input: RolloutInput, workflowId: string): WorkflowStartOptions {
    const images = input.images
      ? Object.entries(input.images)
          .map(([c, i]) => `${c}=${i}`)
          .join(', ')
      : '';
    return {
      workflowId,
      taskQueue: this.taskQueue,
      args: [input],
      // A workflow task lost with a killed worker is retried after this (default 10 s); ours take milliseconds.
      workflowTaskTimeout: '4s',
      staticSummary:
        input.revision !== undefined
          ? `Roll back CloneSet ${input.namespace}/${input.name} to ${input.revision ? `revision ${input.revision}` : 'the previous revision'}`
          : `Roll CloneSet ${input.namespace}/${input.name}${images ? ` to ${images}` : ''}`,
      staticDetails: staticDetails(input),
    };
  }

  /** Starts the rollout of a CloneSet; at most one runs per CloneSet ({@link RolloutAlreadyRunningError}). */
  async start(input: RolloutInput): Promise<RolloutHandle> {
    const workflowId = rolloutWorkflowId(input.namespace, input.name, input.cluster);
    const bytes = Buffer.byteLength(JSON.stringify(input) ?? '');
    if (bytes > MAX_INPUT_BYTES) throw new RolloutInputTooLargeError(bytes);
    try {
      const handle = await this.client.workflow.start(ROLLOUT_WORKFLOW_TYPE, {
        ...this.startOptions(input, workflowId),
        workflowIdConflictPolicy: 'FAIL',
      });
      return new RolloutHandle(handle);
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) throw new RolloutAlreadyRunningError(workflowId, { cause: err });
      throw err;
    }
  }

  /**
   * Starts the rollout of a CloneSet, or, if one is running, retargets it to `input.images` (Update-with-Start with
   * workflowIdConflictPolicy USE_EXISTING): one call whatever the state. `started` says which happened.
   */
  async startOrRetarget(input: RolloutInput): Promise<{ handle: RolloutHandle; retarget: RetargetResult; started: boolean }> {
    const workflowId = rolloutWorkflowId(input.namespace, input.name, input.cluster);
    const bytes = Buffer.byteLength(JSON.stringify(input) ?? '');
    if (bytes > MAX_INPUT_BYTES) throw new RolloutInputTooLargeError(bytes);
    const op = new WithStartWorkflowOperation(ROLLOUT_WORKFLOW_TYPE, {
      ...this.startOptions(input, workflowId),
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
    const running = await this.client.workflow
      .getHandle(workflowId)
      .describe()
      .then((d) => (d.status.name === 'RUNNING' ? d.runId : null))
      .catch(() => null);
    let retarget: RetargetResult;
    try {
      retarget = await this.client.workflow.executeUpdateWithStart(retargetUpdate, {
        args: [input.images ? { images: input.images } : {}],
        startWorkflowOperation: op,
      });
    } catch (err) {
      throw controlError('retarget', workflowId, err);
    }
    const wf = await op.workflowHandle();
    const runId = (await wf.describe()).runId;
    return { handle: new RolloutHandle(wf), retarget, started: runId !== running };
  }

  /**
   * Rolls a CloneSet back to revision `toRevision` of its history (`readHistory`; default 0: the previous revision,
   * like `kubectl rollout undo`), as a rollout like any other: the workflow first sets that ControllerRevision's
   * template in the CloneSet, then moves the Pods (in place when only images differ). An unknown revision fails the
   * rollout ({@link RolloutFailedError}, type InvalidSpec) with the CloneSet unchanged. At most one rollout runs per
   * CloneSet: {@link RolloutAlreadyRunningError} while one does (abort it, or wait for it).
   */
  async rollback(namespace: string, name: string, opts: { toRevision?: number } = {}): Promise<RolloutHandle> {
    const revision = opts.toRevision ?? 0;
    if (!Number.isSafeInteger(revision) || revision < 0) throw new RangeError(`toRevision ${revision} must be an integer ≥ 0 (0: the previous revision)`);
    return this.start({ namespace, name, revision });
  }

  /** The latest rollout of a CloneSet (running or closed). */
  handle(namespace: string, name: string, cluster?: string): RolloutHandle {
    return new RolloutHandle(this.client.workflow.getHandle(rolloutWorkflowId(namespace, name, cluster)));
  }

  /** Starts the fleet rollout of a CloneSet across clusters (`rolloutFleet`, workflow ID `fleet/<namespace>/<name>`). */
  async startFleet(input: FleetInput): Promise<FleetHandle> {
    const workflowId = fleetWorkflowId(input.namespace, input.name);
    const waves = (input.waves ?? []).map((w) => (Array.isArray(w) ? w : w.clusters).join(', ')).join(' → ');
    try {
      const handle = await this.client.workflow.start(FLEET_WORKFLOW_TYPE, {
        workflowId,
        taskQueue: this.taskQueue,
        args: [input],
        workflowTaskTimeout: '4s',
        workflowIdConflictPolicy: 'FAIL',
        staticSummary: `Roll CloneSet ${input.namespace}/${input.name} across clusters: ${waves}`,
      });
      return new FleetHandle(handle);
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) throw new RolloutAlreadyRunningError(workflowId, { cause: err });
      throw err;
    }
  }

  /** The latest fleet rollout of a CloneSet (running or closed). */
  fleetHandle(namespace: string, name: string): FleetHandle {
    return new FleetHandle(this.client.workflow.getHandle(fleetWorkflowId(namespace, name)));
  }

  async close(): Promise<void> {
    await this.connection.close();
  }
}
