/**
 * The real rollout workflow (the prebuilt dist/workflow-bundle.js) on the real Temporal dev server, with mocked
 * activities over an in-memory CloneSet (test/support/fake-cluster.ts): no apiserver, no kubelet. The test decides
 * when containers come up (the fake kubelet holds them until released), so nothing here depends on machine speed;
 * the workflow's own timers are short only where its timing is under test (progressDeadlineSeconds).
 */
import { existsSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, inject, it } from 'vitest';
import { NativeConnection, Worker } from '@temporalio/worker';
import { pino } from 'pino';
import type { temporal } from '@temporalio/proto';
import { Client, Connection, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ROLLOUT_WORKFLOW_TYPE, rolloutWorkflowId } from '../../src/constants.js';
import { installTemporalLogging } from '../../src/log.js';
import { DecisionPhase, type RolloutInput } from '../../src/rollout/index.js';
import {
  abortUpdate,
  pauseUpdate,
  progressQuery,
  resumeUpdate,
  retargetUpdate,
  RolloutPhase,
  setMaxUnavailableUpdate,
  setPartitionUpdate,
  type ControlsView,
  type IntOrPercent,
  type RetargetResult,
  type RolloutProgress,
  type RolloutResult,
} from '../../src/workflows/messages.js';
import { FakeClusters, type FakeCluster, type FakeCloneSetOptions } from '../support/fake-cluster.js';

const BUNDLE = fileURLToPath(new URL('../../dist/workflow-bundle.js', import.meta.url));

const clusters = new FakeClusters();
let worker: Worker;
let running: Promise<void>;
let connection: NativeConnection;
let clientConnection: Connection;
let client: Client;
let taskQueue: string;
const started: Rollout[] = [];

/**
 * A rollout through the workflow's public messages (as src/client's RolloutHandle, without its Kubernetes imports,
 * which cost this file seconds to load).
 */
class Rollout {
  constructor(readonly workflow: WorkflowHandle) {}
  get workflowId(): string {
    return this.workflow.workflowId;
  }
  progress(): Promise<RolloutProgress> {
    return this.workflow.query(progressQuery);
  }
  result(): Promise<RolloutResult> {
    return this.workflow.result() as Promise<RolloutResult>;
  }
  pause(): Promise<ControlsView> {
    return this.workflow.executeUpdate(pauseUpdate);
  }
  resume(): Promise<ControlsView> {
    return this.workflow.executeUpdate(resumeUpdate);
  }
  setPartition(v: IntOrPercent | null): Promise<ControlsView> {
    return this.workflow.executeUpdate(setPartitionUpdate, { args: [v] });
  }
  setMaxUnavailable(v: IntOrPercent | null): Promise<ControlsView> {
    return this.workflow.executeUpdate(setMaxUnavailableUpdate, { args: [v] });
  }
  abort(opts: { rollback?: boolean } = {}): Promise<ControlsView> {
    return this.workflow.executeUpdate(abortUpdate, { args: [{ rollback: opts.rollback === true }] });
  }
  retarget(images?: Record<string, string>): Promise<RetargetResult> {
    return this.workflow.executeUpdate(retargetUpdate, { args: [images ? { images } : {}] });
  }
}

beforeAll(async () => {
  if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run npm run build`);
  installTemporalLogging(pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }));
  const address = inject('temporalAddress');
  taskQueue = `fast-${randomBytes(4).toString('hex')}`;
  connection = await NativeConnection.connect({ address });
  worker = await Worker.create({
    connection,
    taskQueue,
    workflowBundle: { code: readFileSync(BUNDLE, 'utf8') },
    activities: clusters.activities(),
    maxConcurrentActivityTaskExecutions: 200,
    shutdownGraceTime: '1s',
  });
  running = worker.run();
  clientConnection = await Connection.connect({ address });
  client = new Client({ connection: clientConnection });
});

afterAll(async () => {
  // A failed test may leave its rollout running (held by the fake kubelet): end it so the worker can stop.
  for (const h of started) await h.workflow.terminate('test over').catch(() => undefined);
  await clientConnection?.close();
  worker?.shutdown();
  await running;
  await connection?.close();
});

function cluster(o: Omit<FakeCloneSetOptions, 'namespace'>): FakeCluster {
  return clusters.add({ namespace: `fast-${randomBytes(4).toString('hex')}`, ...o });
}

async function start(c: FakeCluster, input: Omit<RolloutInput, 'namespace' | 'name'> = {}): Promise<Rollout> {
  const args: RolloutInput = { namespace: c.namespace, name: c.name, ...input };
  const h = new Rollout(
    await client.workflow.start(ROLLOUT_WORKFLOW_TYPE, {
      workflowId: rolloutWorkflowId(c.namespace, c.name),
      taskQueue,
      args: [args],
      workflowTaskTimeout: '4s',
    }),
  );
  started.push(h);
  return h;
}

/** Polls the progress query until `pred` holds (the workflow's state, not elapsed time, decides). */
async function progressUntil(h: Rollout, what: string, pred: (p: RolloutProgress) => boolean, timeoutMs = 20_000): Promise<RolloutProgress> {
  const end = Date.now() + timeoutMs;
  let last: RolloutProgress | null = null;
  for (;;) {
    last = await h.progress().catch(() => last);
    if (last && pred(last)) return last;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** The RolloutPhase values the workflow upserted, in order (its search attribute, from history). */
function phasesIn(events: HistoryEvent[]): string[] {
  const out: string[] = [];
  for (const e of events) {
    const p = e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields?.RolloutPhase;
    if (p?.data) out.push(JSON.parse(Buffer.from(p.data).toString()) as string);
  }
  return out;
}

/** Names of the Updates the workflow accepted (a rejected Update leaves no event at all). */
function acceptedUpdates(events: HistoryEvent[]): string[] {
  return events
    .filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes)
    .map((e) => e.workflowExecutionUpdateAcceptedEventAttributes!.acceptedRequest!.input!.name!);
}

/** Activities the workflow asked to cancel (superseded lanes), with the Pods they were scheduled for. */
function cancelRequested(events: HistoryEvent[]): { activity: string; pods: string[] }[] {
  const ids = new Set(events.map((e) => e.activityTaskCancelRequestedEventAttributes?.scheduledEventId?.toString()).filter(Boolean));
  return events
    .filter((e) => e.activityTaskScheduledEventAttributes && ids.has(e.eventId!.toString()))
    .map((e) => {
      const a = e.activityTaskScheduledEventAttributes!;
      const input = JSON.parse(Buffer.from(a.input!.payloads![0]!.data!).toString()) as { pods?: { name: string }[] };
      return { activity: a.activityType!.name!, pods: sorted((input.pods ?? []).map((p) => p.name)) };
    });
}

/**
 * Resolves once the workflow has taken in every observation it asked for and finished the workflow task after it:
 * its loop is waiting, with no observation in flight.
 */
async function loopIdle(h: Rollout, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const events = await history(h);
    const observing = new Set(
      events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'observePlan').map((e) => e.eventId!.toString()),
    );
    for (const e of events) {
      const done = e.activityTaskCompletedEventAttributes ?? e.activityTaskFailedEventAttributes ?? e.activityTaskTimedOutEventAttributes;
      if (done?.scheduledEventId) observing.delete(done.scheduledEventId.toString());
    }
    let lastCompleted = -1;
    events.forEach((e, i) => {
      if (e.workflowTaskCompletedEventAttributes) lastCompleted = i;
    });
    const taskPending = events.slice(lastCompleted + 1).some((e) => e.workflowTaskScheduledEventAttributes);
    if (observing.size === 0 && lastCompleted >= 0 && !taskPending) return;
    if (Date.now() > end) throw new Error('timed out waiting for the workflow loop to be idle');
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function history(h: Rollout): Promise<HistoryEvent[]> {
  return (await h.workflow.fetchHistory()).events ?? [];
}

const sorted = (xs: string[]) => [...xs].sort();
const progressing = (c: FakeCluster) =>
  c.callsOf('setProgressing').map((x) => {
    const i = x.input as { status: string; reason: string; message: string };
    return { status: i.status, reason: i.reason, message: i.message };
  });

/** The control's rejection: its validator's message (the root cause's, for a raw WorkflowUpdateFailedError). */
async function rejection(p: Promise<unknown>): Promise<string> {
  let err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(err instanceof Error)) throw new Error(`the control should have been rejected; it returned`);
  while ((err as { cause?: unknown }).cause) err = (err as { cause?: unknown }).cause;
  return (err as Error).message;
}

// The scenarios run at once (each has its own CloneSet, workflow and model; the worker is shared), so the file takes
// about as long as its longest scenario, the progress deadline one (two of the workflow's 5 s resyncs). Each rollout
// takes well under a second otherwise: a hang fails fast, naming its test.
describe.concurrent('rolloutCloneSet on the real server, activities mocked', { timeout: 25_000 }, () => {
  it('rolls 4 Pods in place under maxUnavailable 2: Completed, each Pod patched once, never more than 2 not ready', async ({ expect }) => {
    const c = cluster({ replicas: 4, updateStrategy: { maxUnavailable: 2 } });
    const from = c.revisionOf();
    const h = await start(c, { images: { nginx: 'nginx:2.0' } });
    const result = await h.result();
    const to = c.revisionOf();

    expect(to).not.toBe(from);
    expect(result).toMatchObject({ fromRevision: from, toRevision: to, updatedInPlace: 4, recreated: 0, created: 0, deleted: 0 });
    expect((await h.progress()).phase).toBe(RolloutPhase.Completed);
    expect(Object.values(c.images())).toEqual(Array(4).fill('nginx:2.0'));
    expect(c.views().every((p) => p.ready && p.gateReady === true && p.lifecycleState === 'Normal' && p.revision === to)).toBe(true);
    // Each Pod drained, patched and restarted exactly once; two batches of two.
    const patched = c.podsOf('patchPodsInPlace');
    expect(sorted(patched.flat())).toEqual(sorted([...c.pods.keys()]));
    expect(patched.map((b) => b.length)).toEqual([2, 2]);
    expect(c.podsOf('markPodsNotReady')).toEqual(patched);
    expect(c.views().map((p) => p.restartCount)).toEqual([1, 1, 1, 1]);
    // The window was used to the full and never exceeded.
    expect(c.maxNotReady).toBe(2);
    // Per batch: gate off → patch → wait for containers, in that order, and the second batch only after the first.
    const order = c.calls.filter((x) => ['markPodsNotReady', 'patchPodsInPlace', 'finishPodsInPlace'].includes(x.activity)).map((x) => x.activity);
    expect(order).toEqual(['markPodsNotReady', 'patchPodsInPlace', 'finishPodsInPlace', 'markPodsNotReady', 'patchPodsInPlace', 'finishPodsInPlace']);
    expect(c.callsOf('prepareRollout')).toHaveLength(1);
    expect(c.callsOf('setProgressing')).toHaveLength(0);
    expect(phasesIn(await history(h))).toEqual([RolloutPhase.Updating, RolloutPhase.Completed]);
  });

  it('stops at the progress deadline (Stuck, Progressing=False naming the waiting Pods), then a new generation moves it again: superseded lanes cancelled, Pods re-planned to the newer revision', async ({
    expect,
  }) => {
    const c = cluster({ replicas: 4, updateStrategy: { maxUnavailable: 2 }, progressDeadlineSeconds: 2 });
    c.badImages.add('nginx:broken');
    const h = await start(c, { images: { nginx: 'nginx:broken' } });
    const stuck = await progressUntil(h, 'phase Stuck', (p) => p.phase === RolloutPhase.Stuck);
    await c.until('Progressing=False on the CloneSet', () => c.callsOf('setProgressing').length === 1);
    const broken = c.revisionOf();
    const waiting = sorted(c.podsOf('patchPodsInPlace').flat());
    expect(waiting).toHaveLength(2);

    const [off] = progressing(c);
    expect(off).toMatchObject({ status: 'False', reason: 'ProgressDeadlineExceeded' });
    expect(off!.message).toMatch(/^no Pod progressed for 2s \(progressDeadlineSeconds\); waiting on /);
    for (const n of waiting) expect(off!.message).toContain(`${n} (nginx: ImagePullBackOff)`);
    expect(stuck.error).toBe(off!.message);
    expect(c.status.conditions.find((x) => x.type === 'Progressing')).toMatchObject({ status: 'False', reason: 'ProgressDeadlineExceeded' });
    // No new Pod is taken while stuck.
    expect(c.podsOf('markPodsNotReady').flat()).toHaveLength(2);

    // A new spec (kubectl set image): the rollout re-prepares, cancels the lanes heading to the broken revision and
    // moves every Pod to the new one.
    c.setImages({ nginx: 'nginx:2.1' });
    const fixed = c.revisionOf();
    const result = await h.result();
    expect(result).toMatchObject({ toRevision: fixed, updatedInPlace: 4 });
    expect(Object.values(c.images())).toEqual(Array(4).fill('nginx:2.1'));
    expect(c.views().every((p) => p.ready && p.revision === fixed)).toBe(true);
    expect(progressing(c).map(({ status, reason }) => ({ status, reason }))).toEqual([
      { status: 'False', reason: 'ProgressDeadlineExceeded' },
      { status: 'True', reason: 'CloneSetUpdated' },
    ]);
    expect(c.status.conditions.find((x) => x.type === 'Progressing')).toMatchObject({ status: 'True', reason: 'CloneSetUpdated' });
    // The stuck lane's wait was cancelled (a superseded lane), and its Pods were patched again, to the new revision.
    expect(cancelRequested(await history(h))).toEqual([{ activity: 'finishPodsInPlace', pods: waiting }]);
    const patches = c.callsOf('patchPodsInPlace').map((x) => {
      const i = x.input as { revision: string; pods: { name: string; from: string }[] };
      return { revision: i.revision, pods: sorted(i.pods.map((p) => p.name)), from: [...new Set(i.pods.map((p) => p.from))] };
    });
    expect(patches).toHaveLength(3);
    expect(patches[0]).toMatchObject({ revision: broken, pods: waiting });
    expect(patches[1]).toEqual({ revision: fixed, pods: waiting, from: [broken] });
    expect(patches[2]!.revision).toBe(fixed);
    expect(sorted([...patches[2]!.pods, ...waiting])).toEqual(sorted([...c.pods.keys()]));
    expect(c.maxNotReady).toBe(2);
    expect(phasesIn(await history(h))).toEqual([RolloutPhase.Updating, RolloutPhase.Stuck, RolloutPhase.Updating, RolloutPhase.Completed]);
  });

  it('with rollbackOnFailure, a rollout stuck at the deadline rolls back: RollingBack → RolledBack, Pods on the starting images', async ({ expect }) => {
    const c = cluster({ replicas: 4, updateStrategy: { maxUnavailable: 2 }, progressDeadlineSeconds: 2 });
    c.badImages.add('nginx:broken');
    const from = c.revisionOf();
    const h = await start(c, { images: { nginx: 'nginx:broken' }, rollbackOnFailure: true });
    const result = await h.result();

    expect(result.aborted).toEqual({ rollback: true, atMs: expect.any(Number) });
    expect(result).toMatchObject({ fromRevision: from, toRevision: from });
    expect((await h.progress()).phase).toBe(RolloutPhase.RolledBack);
    expect(Object.values(c.images())).toEqual(Array(4).fill('nginx:1.0'));
    expect(c.views().every((p) => p.ready && p.gateReady === true && p.revision === from)).toBe(true);
    // The rollback set the starting images back in the template (as `kubectl rollout undo`).
    expect(c.callsOf('prepareRollout').map((x) => (x.input as { images?: unknown }).images)).toEqual([
      { nginx: 'nginx:broken' },
      { nginx: 'nginx:1.0' },
      undefined,
    ]);
    expect(progressing(c).map(({ status, reason }) => ({ status, reason }))).toEqual([
      { status: 'False', reason: 'ProgressDeadlineExceeded' },
      { status: 'True', reason: 'CloneSetUpdated' },
    ]);
    // Only the two Pods that had been patched went back; the other two were never touched.
    const patched = c.podsOf('patchPodsInPlace');
    expect(patched).toHaveLength(2);
    expect(sorted(patched[1]!)).toEqual(sorted(patched[0]!));
    expect(cancelRequested(await history(h))).toEqual([{ activity: 'finishPodsInPlace', pods: sorted(patched[0]!) }]);
    expect(c.maxNotReady).toBe(2);
    expect(phasesIn(await history(h))).toEqual([RolloutPhase.Updating, RolloutPhase.Stuck, RolloutPhase.RollingBack, RolloutPhase.RolledBack]);
  });

  it('abort while stuck lets go of the Pods stuck on the kubelet: Aborted, those Pods named, nothing else touched', async ({ expect }) => {
    const c = cluster({ replicas: 4, updateStrategy: { maxUnavailable: 2 }, progressDeadlineSeconds: 2 });
    c.badImages.add('nginx:broken');
    const h = await start(c, { images: { nginx: 'nginx:broken' } });
    await progressUntil(h, 'phase Stuck', (p) => p.phase === RolloutPhase.Stuck);
    const stuck = sorted(c.podsOf('patchPodsInPlace').flat());
    expect(stuck).toHaveLength(2);

    expect(await h.abort()).toMatchObject({ aborted: { rollback: false } });
    const result = await h.result();
    expect(result).toMatchObject({ outcome: 'Aborted', updatedInPlace: 0 });
    for (const n of stuck) expect(result.pods[n]!.error).toMatch(/aborted while this Pod was stuck/);
    // Only the stuck batch was ever touched; the two others still serve on the old image.
    expect(c.podsOf('patchPodsInPlace')).toHaveLength(1);
    expect(
      c
        .views()
        .filter((v) => !stuck.includes(v.name))
        .map((v) => [v.containers[0]!.specImage, v.ready]),
    ).toEqual([
      ['nginx:1.0', true],
      ['nginx:1.0', true],
    ]);
    expect(phasesIn(await history(h))).toEqual([RolloutPhase.Updating, RolloutPhase.Stuck, RolloutPhase.Aborting, RolloutPhase.Aborted]);
  });

  it('an abort turns into an abort with rollback: the stuck Pods go back in place, RolledBack', async ({ expect }) => {
    const c = cluster({ replicas: 4, updateStrategy: { maxUnavailable: 2 }, progressDeadlineSeconds: 2 });
    c.badImages.add('nginx:broken');
    const from = c.revisionOf();
    const h = await start(c, { images: { nginx: 'nginx:broken' } });
    await progressUntil(h, 'phase Stuck', (p) => p.phase === RolloutPhase.Stuck);
    // Hold the loop's next round, so both controls land before it looks at the abort.
    const held = c.holdNext('observePlan');
    await loopIdle(h);
    expect(await h.abort()).toMatchObject({ aborted: { rollback: false } });
    expect(await h.abort({ rollback: true })).toMatchObject({ aborted: { rollback: true } });
    expect(await rejection(h.abort())).toBe('abort: the rollout is being aborted with rollback; no further controls are taken');
    held.release();
    const result = await h.result();
    expect(result).toMatchObject({ outcome: 'RolledBack', fromRevision: from, toRevision: from });
    expect(Object.values(c.images())).toEqual(Array(4).fill('nginx:1.0'));
    expect(c.views().every((p) => p.ready && p.gateReady === true && p.revision === from)).toBe(true);
    expect(acceptedUpdates(await history(h))).toEqual(['abort', 'abort']);
  });

  it('continues as new past historyEventsLimit: totals carried over the runs, no Pod taken twice', async ({ expect }) => {
    // ~18 events a round of 2 Pods: 18 rounds pass the limit of 200 once, about two thirds of the way.
    const pods = 36;
    const c = cluster({ replicas: pods, updateStrategy: { maxUnavailable: 2 } });
    const h = await start(c, { images: { nginx: 'nginx:2.0' }, historyEventsLimit: 200 });
    const firstRun = (await h.workflow.describe()).runId;
    const result = await h.result();

    expect(result.runs).toBeGreaterThan(1);
    expect(result.updatedInPlace).toBe(pods);
    expect(Object.values(c.images())).toEqual(Array(pods).fill('nginx:2.0'));
    const patched = c.podsOf('patchPodsInPlace').flat();
    expect(patched).toHaveLength(pods);
    expect(new Set(patched).size).toBe(pods);
    expect(c.views().every((p) => p.restartCount === 1)).toBe(true);
    expect(c.maxNotReady).toBe(2);
    // The first run handed over (continued as new) rather than completing; the last run is the one that completed.
    const first = await client.workflow.getHandle(h.workflowId, firstRun).fetchHistory();
    const last = first.events!.at(-1)!;
    expect(last.workflowExecutionContinuedAsNewEventAttributes).toBeTruthy();
    expect(first.events!.length).toBeLessThan(400);
    const final = await client.workflow.getHandle(h.workflowId).describe();
    expect(final.runId).not.toBe(firstRun);
    expect(final.status.name).toBe('COMPLETED');
    // Every run re-prepared the target; only the first one set the images.
    const prepares = c.callsOf('prepareRollout').map((x) => (x.input as { images?: unknown }).images);
    expect(prepares).toHaveLength(result.runs!);
    expect(prepares.slice(1).every((i) => i === undefined)).toBe(true);
  });

  it('abort while a batch is in flight: Aborting, the lane finishes when released, no new Pod is taken, result aborted', async ({ expect }) => {
    const c = cluster({ replicas: 4, updateStrategy: { maxUnavailable: 2 } });
    c.kubelet.hold();
    const h = await start(c, { images: { nginx: 'nginx:2.0' } });
    await c.until('a batch waiting for its containers', () => c.callsOf('finishPodsInPlace').length === 1);
    const inFlight = sorted(c.podsOf('patchPodsInPlace').flat());
    expect(inFlight).toHaveLength(2);

    const view = await h.abort();
    expect(view).toMatchObject({ aborted: { rollback: false }, inFlight: 2 });
    const p = await h.progress();
    expect(p.phase).toBe(RolloutPhase.Aborting);

    c.kubelet.start(inFlight);
    const result = await h.result();
    expect(result.aborted).toEqual({ rollback: false, atMs: expect.any(Number) });
    expect(result.updatedInPlace).toBe(2);
    expect((await h.progress()).phase).toBe(RolloutPhase.Aborted);
    // Nothing but the lane in flight was ever touched, though the planner still wanted the other two.
    expect(sorted(c.podsOf('markPodsNotReady').flat())).toEqual(inFlight);
    expect(sorted(c.podsOf('patchPodsInPlace').flat())).toEqual(inFlight);
    const untouched = c.views().filter((v) => !inFlight.includes(v.name));
    expect(untouched.map((v) => [v.containers[0]!.specImage, v.ready, v.restartCount])).toEqual([
      ['nginx:1.0', true, 0],
      ['nginx:1.0', true, 0],
    ]);
    // The last round saw the two Pods still to move and started nothing.
    expect(c.decisions.at(-1)).toMatchObject({ update: [], counts: { updateNum: 2 } });
    expect(c.views().every((v) => v.ready)).toBe(true);
    expect(acceptedUpdates(await history(h))).toEqual(['abort']);
  });

  it('pause returns only at a safe point (no lane in flight), nothing starts while paused, resume completes', async ({ expect }) => {
    const c = cluster({ replicas: 4, updateStrategy: { maxUnavailable: 2 } });
    c.kubelet.hold();
    const h = await start(c, { images: { nginx: 'nginx:2.0' } });
    await c.until('a batch waiting for its containers', () => c.callsOf('finishPodsInPlace').length === 1);
    const first = sorted(c.podsOf('patchPodsInPlace').flat());

    let returned = false;
    const pausing = h.pause().finally(() => {
      returned = true;
    });
    const accepted = await progressUntil(h, 'the pause accepted', (p) => p.paused === true);
    // Accepted, but the held lane is still in flight: the Update has not returned.
    expect(accepted.windowInUse?.inFlight).toBe(2);
    expect(acceptedUpdates(await history(h))).toEqual(['pause']);
    expect(returned).toBe(false);

    // Release the containers of one Pod first: the lane is still in flight, the pause still waits.
    c.kubelet.start([first[0]!]);
    await progressUntil(h, 'one Pod of the batch done', (p) => p.windowInUse?.inFlight === 1);
    expect(returned).toBe(false);
    c.kubelet.start([first[1]!]);
    const view = await pausing;
    expect(view).toMatchObject({ paused: true, inFlight: 0 });
    expect((await h.progress()).phase).toBe(RolloutPhase.Paused);

    // The loop keeps observing, but plans with paused and takes nothing.
    await c.until('a round planned while paused', () =>
      c.callsOf('observePlan').some((x) => {
        const i = x.input as { target: { spec: { paused: boolean } } };
        return i.target.spec.paused;
      }),
    );
    expect(c.decisions.some((d) => d.phase === DecisionPhase.Paused && d.update.length === 0)).toBe(true);
    expect(sorted(c.podsOf('markPodsNotReady').flat())).toEqual(first);

    // Resume once the loop has taken in its last observation (none in flight: see the next test for why).
    await loopIdle(h);
    expect(await h.resume()).toMatchObject({ paused: false });
    c.kubelet.release();
    const result = await h.result();
    expect(result.updatedInPlace).toBe(4);
    expect((await h.progress()).phase).toBe(RolloutPhase.Completed);
    expect(sorted(c.podsOf('patchPodsInPlace').flat())).toEqual(sorted([...c.pods.keys()]));
    expect(c.podsOf('patchPodsInPlace')[0]).toEqual(expect.arrayContaining(first));
    expect(c.maxNotReady).toBe(2);
    expect(phasesIn(await history(h))).toEqual([RolloutPhase.Updating, RolloutPhase.Paused, RolloutPhase.Updating, RolloutPhase.Completed]);
    expect(acceptedUpdates(await history(h))).toEqual(['pause', 'resume']);
  });

  // The loop shows Paused only for the CloneSet's own spec.updateStrategy.paused; the pause control shows it at its
  // safe point. A decision planned with the pause control's `paused` and landing after resume must not show it.
  it('a round planned while paused that lands after resume does not show the phase Paused again', async ({ expect }) => {
    const c = cluster({ replicas: 2, updateStrategy: { maxUnavailable: 1 } });
    c.kubelet.hold();
    const h = await start(c, { images: { nginx: 'nginx:2.0' } });
    await c.until('a Pod waiting for its containers', () => c.callsOf('finishPodsInPlace').length === 1);
    const pausing = h.pause();
    c.kubelet.release();
    expect(await pausing).toMatchObject({ paused: true, inFlight: 0 });
    await loopIdle(h);
    // Any control wakes the loop: it observes again, planning with paused; that observation is held across resume.
    const held = c.holdNext('observePlan');
    await h.setPartition(null);
    await held.arrived;
    expect(await h.resume()).toMatchObject({ paused: false });
    expect((await h.progress()).phase).toBe(RolloutPhase.Updating);
    held.release();
    await h.result();
    expect(phasesIn(await history(h))).toEqual([RolloutPhase.Updating, RolloutPhase.Paused, RolloutPhase.Updating, RolloutPhase.Completed]);
  });

  it('rejects invalid controls in their validators, leaving no trace in history; after abort every control is refused', async ({ expect }) => {
    const c = cluster({ replicas: 4, updateStrategy: { maxUnavailable: 1 } });
    c.kubelet.hold();
    const h = await start(c, { images: { nginx: 'nginx:2.0' } });
    await c.until('a Pod waiting for its containers', () => c.callsOf('finishPodsInPlace').length === 1);

    expect(await rejection(h.setPartition('150%'))).toMatch(/partition "150%" must be an integer ≥ 0 or a percentage between 0% and 100%/);
    expect(await rejection(h.setMaxUnavailable(0))).toBe(
      'maxUnavailable 0 with maxSurge 0: maxUnavailable and maxSurge must not both be less than 1 (no pod could ever be updated)',
    );
    expect(await rejection(h.workflow.executeUpdate(abortUpdate, { args: [{ rollback: 'yes' as unknown as boolean }] }))).toBe(
      'abort: rollback must be true or false',
    );
    const bad = await rejection(h.retarget({ nginx: 'Not An Image' }));
    expect(bad).toMatch(/image "Not An Image" must not contain whitespace/);
    expect(await h.setPartition('150%').catch((e: unknown) => e)).toBeInstanceOf(WorkflowUpdateFailedError);
    expect(acceptedUpdates(await history(h))).toEqual([]);
    expect((await h.progress()).controls?.log).toEqual([]);

    expect(await h.abort()).toMatchObject({ aborted: { rollback: false } });
    for (const [control, run] of [
      ['pause', () => h.pause()],
      ['resume', () => h.resume()],
      ['setPartition', () => h.setPartition(1)],
      ['setMaxUnavailable', () => h.setMaxUnavailable(2)],
      ['abort', () => h.abort()],
      ['retarget', () => h.retarget({ nginx: 'nginx:3.0' })],
    ] as const) {
      expect(await rejection(run())).toBe(`${control}: the rollout is being aborted; no further controls are taken but abort with rollback`);
    }
    expect(acceptedUpdates(await history(h))).toEqual(['abort']);
    expect((await h.progress()).controls?.log.map((l) => l.control)).toEqual(['abort']);

    c.kubelet.release();
    const result = await h.result();
    expect(result).toMatchObject({ aborted: { rollback: false }, updatedInPlace: 1 });
    // No control reached the template: one prepareRollout, the rollout's own.
    expect(c.callsOf('prepareRollout')).toHaveLength(1);
    expect(c.maxNotReady).toBe(1);
  });
});
