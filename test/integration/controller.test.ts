/**
 * Controller mode end to end: the seed walkthrough driven by `applyCloneSet` alone (what `apply --no-rollout` and
 * `kubectl apply` do). Two controller replicas watch the cluster; nobody calls the rollout client. The rollouts must
 * start by themselves, exactly once per generation, and show in the CloneSet's status and in Kubernetes Events.
 */
import { readFile } from 'node:fs/promises';
import type { CoreV1Event } from '@kubernetes/client-node';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { WorkflowFailedError, WorkflowNotFoundError } from '@temporalio/client';
import { rootFailure } from '../../src/client/status.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloneSetController, DEFAULT_SELECTOR, MANAGED_LABEL } from '../../src/controller/index.js';
import { applyCloneSet, parseCloneSets } from '../../src/kube/apply.js';
import { CLONESET } from '../../src/kube/clients.js';
import { cloneSet, ensureNamespace, livePods, startTestEnv, testLogger, uniqueNamespace, type TestEnv } from '../support/env.js';
import { completedRun } from '../support/runs.js';
import { eventually } from '../support/until.js';

let env: TestEnv;
let controllers: CloneSetController[] = [];

beforeAll(async () => {
  env = await startTestEnv();
  // Two replicas, as a Deployment with replicas: 2 would run: workflow IDs must dedupe their starts.
  controllers = [0, 1].map(
    (i) =>
      new CloneSetController({
        kubeConfig: env.cluster.kubeConfig(),
        client: env.client.client,
        taskQueue: env.taskQueue,
        labelSelector: DEFAULT_SELECTOR,
        resyncMs: 500 + i * 300,
        logger: testLogger,
      }),
  );
  await Promise.all(controllers.map((c) => c.start()));
});
afterAll(async () => {
  await Promise.all(controllers.map((c) => c.stop()));
  await env?.stop();
});

async function example(file: string, namespace: string) {
  const [cs] = parseCloneSets(await readFile(new URL(`../../examples/${file}`, import.meta.url), 'utf8'), file);
  cs!.metadata.namespace = namespace;
  cs!.metadata.labels = { ...cs!.metadata.labels, [MANAGED_LABEL]: 'true' };
  return cs!;
}

async function cloneSetNow(ns: string, name: string) {
  return (await env.k.custom.getNamespacedCustomObject({ ...CLONESET, namespace: ns, name })) as {
    metadata: { generation: number };
    status: Record<string, unknown>;
  };
}

async function eventsOf(ns: string, kind: string, name: string): Promise<CoreV1Event[]> {
  const list = await env.k.core.listNamespacedEvent({ namespace: ns });
  return list.items.filter((e) => e.involvedObject.kind === kind && e.involvedObject.name === name);
}

describe('controller mode (seed walkthrough, applyCloneSet only)', () => {
  it('creates 5 Pods, then rolls nginx02 in place by itself, once per generation, with status and Events', async () => {
    const ns = uniqueNamespace('ctl');
    await ensureNamespace(env.k, ns);

    // An unmanaged CloneSet in the same namespace: the default selection must leave it alone.
    const unmanaged = await example('nginx01.yaml', ns);
    unmanaged.metadata.name = 'unmanaged';
    delete unmanaged.metadata.labels![MANAGED_LABEL];
    unmanaged.spec.selector = { matchLabels: { app: 'unmanaged' } };
    unmanaged.spec.template.metadata = { labels: { app: 'unmanaged' } };
    await applyCloneSet(env.k, unmanaged);

    await applyCloneSet(env.k, await example('nginx01.yaml', ns));
    const first = await completedRun(env.client, ns, 'nginxweb1');
    expect(first.result.created).toBe(5);
    const before = await livePods(env, ns, 'nginxweb1');
    expect(before).toHaveLength(5);
    const generation1 = (await cloneSetNow(ns, 'nginxweb1')).metadata.generation;

    const second = await example('nginx02.yaml', ns);
    second.spec.minReadySeconds = 1; // the manifest's 30 s, shortened for the suite
    const applied = await applyCloneSet(env.k, second);
    expect(applied).toMatchObject({ action: 'configured' });
    expect(applied.generation).toBeGreaterThan(generation1);

    const { result } = await completedRun(env.client, ns, 'nginxweb1', { after: first.runId });
    expect(result).toMatchObject({ updatedInPlace: 4, recreated: 0, deleted: 1, created: 0 });
    const after = await livePods(env, ns, 'nginxweb1');
    expect(after).toHaveLength(4);
    for (const pod of after) {
      const old = before.find((b) => b.metadata?.name === pod.metadata?.name);
      expect(old?.metadata?.uid, `${pod.metadata?.name} kept its uid`).toBe(pod.metadata?.uid);
      expect(pod.status?.containerStatuses?.[0]?.image).toBe('nginx:latest');
    }

    const cs = await cloneSetNow(ns, 'nginxweb1');
    expect(cs.status).toMatchObject({
      observedGeneration: applied.generation,
      replicas: 4,
      updatedReplicas: 4,
      updatedReadyReplicas: 4,
      updateRevision: result.toRevision,
      currentRevision: result.toRevision,
    });

    // Events: one RolloutStarted per generation (two replicas and resyncs notwithstanding), and the rollout's own.
    const events = await eventsOf(ns, 'CloneSet', 'nginxweb1');
    const reasons = events.map((e) => e.reason);
    expect(reasons.filter((r) => r === 'RolloutStarted')).toHaveLength(2);
    // Per-Pod occurrences fold into one Event per reason on the CloneSet, counting them (src/activities/events.ts).
    const series = (reason: string) => events.filter((e) => e.reason === reason).map((e) => e.count);
    expect(series('SuccessfulCreate')).toEqual([5]);
    expect(series('SuccessfulDelete')).toEqual([1]);
    expect(controllers.reduce((n, c) => n + c.started, 0)).toBe(2);
    // Each in-place update is on the Pod itself, and counted in the CloneSet's series, whose message is the latest.
    const [inPlace, ...more] = events.filter((e) => e.reason === 'SuccessfulUpdatePodInPlace');
    expect(more).toEqual([]);
    expect(inPlace!.count).toBe(after.length);
    expect(
      after.map((p) => `(combined from ${after.length} similar events) successfully update pod ${p.metadata!.name} in-place(revision ${result.toRevision})`),
    ).toContain(inPlace!.message);
    for (const pod of after) {
      const podEvents = await eventsOf(ns, 'Pod', pod.metadata!.name!);
      expect(podEvents.filter((e) => e.reason === 'SuccessfulUpdatePodInPlace' && e.involvedObject.uid === pod.metadata!.uid)).toHaveLength(1);
    }

    // The unmanaged CloneSet never got a workflow.
    await expect(env.client.handle(ns, 'unmanaged').workflow.describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
    expect(controllers.every((c) => c.ready())).toBe(true);
  });

  it('records a Warning FailedUpdate on the Pod and the CloneSet when an in-place update is stuck (image never pulls)', async () => {
    const ns = uniqueNamespace('ctlwarn');
    await ensureNamespace(env.k, ns);
    const cs = cloneSet(ns, 'stuck');
    cs.metadata.labels = { [MANAGED_LABEL]: 'true' };
    cs.spec.replicas = 1;
    await applyCloneSet(env.k, cs);
    const first = await completedRun(env.client, ns, 'stuck');
    cs.spec.updateStrategy = { type: 'InPlaceIfPossible' };
    // Stuck by construction (the image never pulls): the rollout is still running when the test terminates it.
    cs.spec.template.spec.containers[0]!.image = 'nginx:unpullable';
    await applyCloneSet(env.k, cs);
    const warnings = await eventually('a FailedUpdate Warning on the CloneSet', async () => {
      const w = (await eventsOf(ns, 'CloneSet', 'stuck')).filter((e) => e.type === 'Warning' && e.reason === 'FailedUpdate');
      return w.length > 0 ? w : undefined;
    });
    expect(warnings[0]!.message).toMatch(/in-place update of pod stuck-\w+ is stuck: nginx: (ErrImagePull|ImagePullBackOff)/);
    const [pod] = await livePods(env, ns, 'stuck');
    const onPod = (await eventsOf(ns, 'Pod', pod!.metadata!.name!)).filter((e) => e.type === 'Warning' && e.reason === 'FailedUpdate');
    expect(onPod).toHaveLength(1);
    // Stop the stuck rollout so it does not outlive this file's worker.
    await env.client.client.workflow.getHandle(`cloneset/${ns}/stuck`).terminate('test done');
    expect(first.result.created).toBe(1);
  });

  it('picks up an edit while its rollout runs at once: the controller signals specChanged, the rollout observes without waiting for its resync', async () => {
    const ns = uniqueNamespace('ctlpick');
    await ensureNamespace(env.k, ns);
    const cs = cloneSet(ns, 'pick');
    cs.metadata.labels = { [MANAGED_LABEL]: 'true' };
    cs.spec.replicas = 2;
    await applyCloneSet(env.k, cs);
    await completedRun(env.client, ns, 'pick');
    // A new image with the spec-level brake: the rollout the controller starts takes no Pod. Paused on top, with
    // nothing in flight, its loop sleeps a minute between observations — an edit now is picked up only if signalled.
    cs.spec.updateStrategy = { type: 'InPlaceIfPossible', paused: true };
    cs.spec.template.spec.containers[0]!.image = 'nginx:1.27';
    await applyCloneSet(env.k, cs);
    const handle = env.client.handle(ns, 'pick');
    const { generation: braked } = (await cloneSetNow(ns, 'pick')).metadata;
    await eventually('the braked rollout to observe its generation', async () =>
      (await cloneSetNow(ns, 'pick')).status.observedGeneration === braked ? true : undefined,
    );
    await handle.pause();
    const pausedAt = (await handle.workflow.fetchHistory()).events!.length;

    cs.spec.template.spec.containers[0]!.image = 'nginx:1.28';
    await applyCloneSet(env.k, cs);
    const { generation: edited } = (await cloneSetNow(ns, 'pick')).metadata;
    expect(edited).toBe(braked + 1);
    // Well inside the paused loop's one-minute sleep.
    await eventually(
      'the rollout to observe the edit',
      async () => ((await cloneSetNow(ns, 'pick')).status.observedGeneration === edited ? true : undefined),
      30_000,
    );

    // The history says why: the signal, then an observation, and no timer fired in between.
    const events = (await handle.workflow.fetchHistory()).events!.slice(pausedAt);
    const signalled = events.findIndex((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'specChanged');
    expect(signalled).toBeGreaterThanOrEqual(0);
    const observed = events.findIndex((e, i) => i > signalled && e.activityTaskScheduledEventAttributes?.activityType?.name === 'observePlan');
    expect(observed).toBeGreaterThan(signalled);
    expect(events.slice(0, observed).filter((e) => e.timerFiredEventAttributes)).toEqual([]);
    // Two controller replicas, one signal each at most; the status writes after the edit never signal again.
    expect(events.filter((e) => e.workflowExecutionSignaledEventAttributes).length).toBeLessThanOrEqual(controllers.length);
    await handle.workflow.terminate('test done');
  });

  it('rolls out a CloneSet deleted and created again under the same name (its generations start over)', async () => {
    const ns = uniqueNamespace('ctlagain');
    await ensureNamespace(env.k, ns);
    const cs = cloneSet(ns, 'again');
    cs.metadata.labels = { [MANAGED_LABEL]: 'true' };
    cs.spec.replicas = 1;
    await applyCloneSet(env.k, cs);
    const first = await completedRun(env.client, ns, 'again');
    expect(first.result.created).toBe(1);
    await env.k.custom.deleteNamespacedCustomObject({ ...CLONESET, namespace: ns, name: 'again' });
    // What the garbage collector does once the owner is gone (the simulated cluster has none): its Pods and revisions go.
    for (const p of await livePods(env, ns, 'again')) await env.k.core.deleteNamespacedPod({ namespace: ns, name: p.metadata!.name! });
    for (const r of (await env.k.apps.listNamespacedControllerRevision({ namespace: ns })).items) {
      await env.k.apps.deleteNamespacedControllerRevision({ namespace: ns, name: r.metadata!.name! });
    }
    await eventually('the old Pods gone', async () => ((await livePods(env, ns, 'again')).length === 0 ? true : undefined));
    await applyCloneSet(env.k, { ...cs, metadata: { ...cs.metadata, resourceVersion: undefined, uid: undefined } });
    const second = await completedRun(env.client, ns, 'again', { after: first.runId });
    expect(second.result.created).toBe(1);
    expect(await livePods(env, ns, 'again')).toHaveLength(1);
  });

  it('a spec the rollout refuses (replicas -1, which the CRD accepts): a Warning InvalidSpec Event and Progressing=False on the CloneSet, once; the fixed spec turns it True', async () => {
    const ns = uniqueNamespace('ctlbad');
    await ensureNamespace(env.k, ns);
    const cs = cloneSet(ns, 'bad');
    cs.spec.replicas = -1;
    // Created unmanaged first, with a condition of someone else's, which the controller must keep.
    await applyCloneSet(env.k, cs);
    await env.k.custom.patchNamespacedCustomObjectStatus(
      {
        ...CLONESET,
        namespace: ns,
        name: 'bad',
        body: { status: { conditions: [{ type: 'Audited', status: 'True', reason: 'Checked', message: 'by a test' }] } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    cs.metadata.labels = { [MANAGED_LABEL]: 'true' };
    await applyCloneSet(env.k, cs);

    const handle = env.client.client.workflow.getHandle(`cloneset/${ns}/bad`);
    const failure = await eventually('the rollout to fail', async () => {
      try {
        await handle.result();
        throw new Error('the rollout of replicas -1 completed');
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return undefined; // not started yet
        if (err instanceof WorkflowFailedError) return err;
        throw err;
      }
    });
    const { runId } = await handle.describe();
    const refusal = rootFailure(failure).message;
    expect(refusal).toContain('spec.replicas: -1 must be an integer ≥ 0');

    type Cond = { type: string; status: string; reason?: string; message?: string };
    const conditionsNow = async () => ((await cloneSetNow(ns, 'bad')).status?.conditions ?? []) as Cond[];
    const progressing = await eventually('Progressing=False on the CloneSet', async () =>
      (await conditionsNow()).find((c) => c.type === 'Progressing' && c.status === 'False'),
    );
    expect(progressing).toMatchObject({ reason: 'InvalidSpec', message: `${refusal} (rollout workflow cloneset/${ns}/bad run ${runId})` });
    expect((await conditionsNow()).find((c) => c.type === 'Audited')).toMatchObject({ status: 'True', reason: 'Checked' });

    // Both replicas settle on this run (the one that wrote it, the other finding it written on its resync): one Event.
    await eventually('both controllers to see the failure reported', async () => (controllers.every((c) => c.reportedRuns().has(runId)) ? true : undefined));
    const warnings = (await eventsOf(ns, 'CloneSet', 'bad')).filter((e) => e.type === 'Warning');
    expect(warnings.map((e) => [e.reason, e.message])).toEqual([['InvalidSpec', refusal]]);
    // The rollout is not retried on the same spec.
    expect((await handle.describe()).runId).toBe(runId);

    // The fixed spec: a new run starts, the condition is True again, and the rollout completes.
    cs.spec.replicas = 2;
    await applyCloneSet(env.k, cs);
    const fixed = await completedRun(env.client, ns, 'bad', { after: runId });
    expect(fixed.result.created).toBe(2);
    const after = await conditionsNow();
    expect(after.find((c) => c.type === 'Progressing')).toMatchObject({
      status: 'True',
      reason: 'RolloutStarted',
      message: `started for generation 2 (rollout workflow cloneset/${ns}/bad run ${fixed.runId})`,
    });
    expect(after.find((c) => c.type === 'Audited')).toMatchObject({ status: 'True' });
  });
});
