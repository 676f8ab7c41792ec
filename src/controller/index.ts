/**
 * Controller mode: watch CloneSets and start the `rolloutCloneSet` workflow when one has a generation no rollout has
 * observed yet. The workflow does all the work; the controller only starts it, so it is small and stateless:
 *
 * 1. observe — a client-node informer (list + watch) over CloneSets matching the selection, restarted with backoff
 *    on errors (client-node relists by itself on 410 Gone, but stops on any other error);
 * 2. decide — {@link shouldStart} on the cached CloneSet and what Temporal says about its workflow;
 * 3. act — start the workflow with ID `cloneset/<ns>/<name>`; the ID dedupes, so several controller replicas, a
 *    resync and a CLI start can race harmlessly (the loser sees "already started").
 *
 * While a rollout runs, an edit (a generation it has not observed) is signalled to it (`specChanged`), so it observes
 * at once instead of at its next resync: watch-driven pickup, one signal per generation.
 *
 * A periodic resync re-decides every cached CloneSet: it retries after Temporal errors and catches an edit that
 * landed while the previous rollout was finishing (it was still running when the event came).
 *
 * 4. report — the controller follows each run it starts (its result); a run that fails (e.g. a spec the rollout
 *    refuses) is written on the CloneSet as Progressing=False and a Warning Event (./failure.ts). The resync catches
 *    a failure this controller did not see (another replica started the run, or this one restarted).
 */
import { makeInformer, type Informer, type KubeConfig, type KubernetesObject, type ObjectCache } from '@kubernetes/client-node';
import { WorkflowExecutionAlreadyStartedError, WorkflowFailedError, WorkflowNotFoundError, type Client, type WorkflowHandle } from '@temporalio/client';
import type { Logger } from 'pino';
import { recordEvent } from '../activities/context.js';
import { DEFAULT_TASK_QUEUE, ROLLOUT_WORKFLOW_TYPE, rolloutWorkflowId } from '../constants.js';
import { rootFailure } from '../client/status.js';
import { CLONESET, makeClients, type KubeClients } from '../kube/clients.js';
import { CLONESET_API_VERSION } from '../rollout/index.js';
import { needsRollout, shouldSignal, shouldStart, type CloneSetMeta, type RunState } from './decide.js';
import { specChangedSignal } from '../workflows/messages.js';
import { clearFailure, REPORTED_STATUSES, reportFailure, type RunFailure } from './failure.js';

/** A CloneSet as the informer caches it (only metadata and status.observedGeneration are read). */
type CloneSet = KubernetesObject & { metadata: NonNullable<KubernetesObject['metadata']>; status?: { observedGeneration?: number } };

export { DEFAULT_SELECTOR, MANAGED_LABEL, needsRollout, selectionSelector, shouldSignal, shouldStart, type RunState } from './decide.js';
export { CONDITION_TYPE, failureReason, STARTED_REASON } from './failure.js';

export interface ControllerOptions {
  kubeConfig: KubeConfig;
  /** A connected Temporal client (namespace included). */
  client: Client;
  /** Default {@link DEFAULT_TASK_QUEUE}. */
  taskQueue?: string;
  /** Label selector of managed CloneSets; undefined = all (see `selectionSelector`). */
  labelSelector?: string;
  /** Re-decide every cached CloneSet this often (ms). Default 30 000. */
  resyncMs?: number;
  logger: Logger;
}

/** Memo key holding the CloneSet generation a controller-started run was started for. */
export const GENERATION_MEMO = 'cloneSetGeneration';
/** Memo key holding the uid of the CloneSet object a controller-started run was started for. */
export const UID_MEMO = 'cloneSetUid';

export class CloneSetController {
  private readonly log: Logger;
  private readonly taskQueue: string;
  private readonly informer: Informer<CloneSet> & ObjectCache<CloneSet>;
  private readonly core;
  private readonly k: KubeClients;
  private readonly busy = new Set<string>();
  /** Results of the runs this controller started, being awaited (aborted by stop()). */
  private readonly following = new Set<Promise<void>>();
  private readonly abortFollow = new AbortController();
  /** Failed runs already reported (or found reported): the resync does not fetch their failure again. */
  private readonly reported = new Set<string>();
  private readonly dirty = new Set<string>();
  /** The highest generation signalled to each CloneSet's running rollout (`specChanged`). */
  private readonly signalled = new Map<string, number>();
  private resyncTimer: NodeJS.Timeout | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private backoffMs = 500;
  private stopped = true;
  private synced = false;
  private failing = false;
  /** Number of workflows this controller started (for tests and logs). */
  started = 0;
  /** Failed runs this controller has seen on the CloneSet (written by it or by another replica), for tests and logs. */
  reportedRuns(): ReadonlySet<string> {
    return this.reported;
  }

  constructor(private readonly opts: ControllerOptions) {
    this.log = opts.logger.child({ component: 'controller' });
    this.taskQueue = opts.taskQueue ?? DEFAULT_TASK_QUEUE;
    const k = makeClients(opts.kubeConfig);
    this.k = k;
    this.core = k.core;
    const path = `/apis/${CLONESET.group}/${CLONESET.version}/${CLONESET.plural}`;
    const list = () =>
      k.custom.listClusterCustomObject({ ...CLONESET, labelSelector: opts.labelSelector }) as Promise<{
        items: CloneSet[];
        metadata?: { resourceVersion?: string };
      }>;
    this.informer = makeInformer<CloneSet>(opts.kubeConfig, path, list as never, opts.labelSelector);
    const onChange = (cs: CloneSet) => {
      this.backoffMs = 500; // events flow again: the watch is healthy
      this.failing = false;
      this.enqueue(key(cs));
    };
    this.informer.on('add', onChange);
    this.informer.on('update', onChange);
    this.informer.on('error', (err: unknown) => this.restart(err));
  }

  /** Lists, starts watching and resolves once the first list is in the cache (or failed, then retries). */
  async start(): Promise<void> {
    this.stopped = false;
    await this.informer.start();
    this.synced = !this.failing;
    this.log.info({ selector: this.opts.labelSelector ?? '(all)', taskQueue: this.taskQueue }, 'controller watching CloneSets');
    const resyncMs = this.opts.resyncMs ?? 30_000;
    this.resyncTimer = setInterval(() => this.resync(), resyncMs);
    this.resyncTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.resyncTimer);
    clearTimeout(this.restartTimer);
    await this.informer.stop();
    // Let decisions in progress finish, so no start is cut off half-way.
    while (this.busy.size > 0) await new Promise((r) => setTimeout(r, 20));
    this.abortFollow.abort();
    await Promise.allSettled([...this.following]);
  }

  /** Ready: the cache is filled and the watch is not failing (the /readyz probe). */
  ready(): boolean {
    return !this.stopped && this.synced && !this.failing;
  }

  /** Re-decides every cached CloneSet. */
  resync(): void {
    for (const cs of this.informer.list()) this.enqueue(key(cs));
  }

  /** The informer stopped on an error: start it again after a backoff (500 ms doubling to 30 s). */
  private restart(err: unknown): void {
    this.failing = true;
    if (this.stopped) return;
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, 30_000);
    this.log.warn({ err: (err as Error)?.message ?? String(err), retryInMs: delay }, 'CloneSet watch failed; restarting');
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => {
      if (this.stopped) return;
      this.informer.start().then(
        () => {
          if (!this.failing) this.synced = true;
        },
        (e: unknown) => this.restart(e),
      );
    }, delay);
  }

  /** One decision per CloneSet at a time; an event during a decision re-runs it once afterwards. */
  private enqueue(k: string): void {
    if (this.stopped) return;
    if (this.busy.has(k)) {
      this.dirty.add(k);
      return;
    }
    this.busy.add(k);
    void (async () => {
      try {
        do {
          this.dirty.delete(k);
          await this.reconcile(k);
        } while (this.dirty.has(k) && !this.stopped);
      } finally {
        this.busy.delete(k);
      }
    })();
  }

  private async reconcile(k: string): Promise<void> {
    const [namespace, name] = k.split('/') as [string, string];
    const cs = this.informer.get(name, namespace);
    if (!cs || needsRollout(cs as CloneSetMeta) === null) return; // cheap check first: no Temporal call for settled CloneSets
    const workflowId = rolloutWorkflowId(namespace, name);
    const log = this.log.child({ cloneSet: k, workflowId, generation: cs.metadata.generation });
    try {
      const state = await this.runState(workflowId);
      const reason = shouldStart(cs as CloneSetMeta, state);
      const target = { namespace, name, uid: cs.metadata.uid ?? '' };
      if (shouldSignal(cs as CloneSetMeta, state, this.signalled.get(k) ?? null)) {
        // A running rollout re-reads the CloneSet at its next resync; tell it now, so an edit is picked up at once.
        try {
          await this.opts.client.workflow.getHandle(workflowId).signal(specChangedSignal, { generation: cs.metadata.generation ?? 0 });
        } catch (err) {
          if (!(err instanceof WorkflowNotFoundError)) throw err;
          // It closed between the look and the signal: decide again at once (a new run starts), not at the resync.
          log.debug('the rollout closed before the signal; deciding again');
          this.dirty.add(k);
          return;
        }
        this.signalled.set(k, cs.metadata.generation ?? 0);
        log.info('signalled the running rollout: spec changed');
        return;
      }
      if (reason === null) {
        log.debug({ state }, 'no rollout to start');
        // A run for this generation failed: make sure it is on the CloneSet (a replica that started it may be gone).
        if (state.kind === 'closed' && state.runId && state.generation === cs.metadata.generation && REPORTED_STATUSES.includes(state.status)) {
          await this.reportClosed(target, workflowId, state.runId, state.generation, log);
        }
        return;
      }
      const handle = await this.opts.client.workflow.start(ROLLOUT_WORKFLOW_TYPE, {
        workflowId,
        taskQueue: this.taskQueue,
        args: [{ namespace, name }],
        // FAIL (not USE_EXISTING): losing a race to another replica is then visible, and only the winner records the
        // Event. Either way at most one rollout runs per CloneSet.
        workflowIdConflictPolicy: 'FAIL',
        memo: { [GENERATION_MEMO]: cs.metadata.generation ?? 0, [UID_MEMO]: cs.metadata.uid ?? null },
        staticSummary: `Roll CloneSet ${k} (controller: ${reason})`,
      });
      this.started++;
      log.info({ reason }, 'started rollout');
      await recordEvent(
        this.core,
        log,
        { kind: 'CloneSet', apiVersion: CLONESET_API_VERSION, namespace, name, uid: cs.metadata.uid ?? '' },
        'Normal',
        'RolloutStarted',
        `started rollout workflow ${workflowId}: ${reason}`,
      );
      await clearFailure(this.k, target, workflowId, handle.firstExecutionRunId, `started for generation ${cs.metadata.generation ?? 0}`).catch(
        (err: unknown) => log.warn({ err: (err as Error)?.message ?? String(err) }, 'could not update the Progressing condition'),
      );
      this.follow(handle, target, cs.metadata.generation ?? 0, log);
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) {
        log.debug('rollout already running (started elsewhere)');
        return;
      }
      // Temporal unreachable, etc.: the next event or resync decides again.
      log.warn({ err: (err as Error)?.message ?? String(err) }, 'could not decide or start the rollout; will retry on resync');
    }
  }

  /** Awaits the result of a run this controller started; a failure is reported on the CloneSet. */
  private follow(handle: WorkflowHandle, cs: { namespace: string; name: string; uid: string }, generation: number, log: Logger): void {
    const done = this.opts.client
      .withAbortSignal(this.abortFollow.signal, () => handle.result())
      .then(
        // Closed: an edit its last round did not see is a new generation to roll now, not at the next resync.
        () => this.enqueue(`${cs.namespace}/${cs.name}`),
        async (err: unknown) => {
          if (this.stopped || !(err instanceof WorkflowFailedError)) return;
          // The run that failed is the latest one (after any continue-as-new); a newer run supersedes it.
          const d = await handle.describe();
          if (!REPORTED_STATUSES.includes(d.status.name)) return;
          await this.report(cs, { workflowId: handle.workflowId, runId: d.runId, generation, status: d.status.name, ...rootFailure(err) }, log);
        },
      )
      .catch((err: unknown) => {
        if (!this.stopped) log.warn({ err: (err as Error)?.message ?? String(err) }, 'could not follow the rollout; the resync reports a failure');
      });
    this.following.add(done);
    void done.finally(() => this.following.delete(done));
  }

  /** Reports a closed run's failure (once: the resync calls this for every failed run it sees). */
  private async reportClosed(
    cs: { namespace: string; name: string; uid: string },
    workflowId: string,
    runId: string,
    generation: number,
    log: Logger,
  ): Promise<void> {
    if (this.reported.has(runId)) return;
    try {
      await this.opts.client.workflow.getHandle(workflowId, runId, { followRuns: false }).result();
    } catch (err) {
      if (!(err instanceof WorkflowFailedError)) throw err;
      const { status } = await this.opts.client.workflow.getHandle(workflowId, runId).describe();
      await this.report(cs, { workflowId, runId, generation, status: status.name, ...rootFailure(err) }, log);
    }
  }

  private async report(cs: { namespace: string; name: string; uid: string }, f: RunFailure, log: Logger): Promise<void> {
    if (this.reported.has(f.runId)) return;
    await reportFailure(this.k, log, cs, f);
    this.reported.add(f.runId);
  }

  private async runState(workflowId: string): Promise<RunState> {
    try {
      const d = await this.opts.client.workflow.getHandle(workflowId).describe();
      if (d.status.name === 'RUNNING') return { kind: 'running' };
      const g = d.memo?.[GENERATION_MEMO];
      const uid = d.memo?.[UID_MEMO];
      return { kind: 'closed', status: d.status.name, generation: typeof g === 'number' ? g : null, uid: typeof uid === 'string' ? uid : null, runId: d.runId };
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return { kind: 'none' };
      throw err;
    }
  }
}

function key(cs: CloneSet): string {
  return `${cs.metadata.namespace ?? 'default'}/${cs.metadata.name}`;
}
