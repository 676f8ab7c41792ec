/**
 * CloneSet parity on the real Temporal dev server and the simulated cluster: maxSurge (only where a Pod must be
 * recreated), priorityStrategy order, spec-level paused, Ready=False with the gate-off write against a kubelet that
 * lags on readiness gates, and lifecycle writes resumed after a lost worker — each checked by the independent watcher
 * of the Pods, not by the workflow's own counters.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { applyCloneSet } from '../../src/kube/apply.js';
import { HookActor, withUpdateHook } from '../support/brake.js';
import { watchPods } from '../support/watcher.js';
import { applyAndRoll, cloneSet, ensureNamespace, livePods, startTestEnv, uniqueNamespace, type TestEnv } from '../support/env.js';

let env: TestEnv;
beforeAll(async () => {
  env = await startTestEnv();
});
afterAll(async () => {
  await env?.stop();
});

const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const smp = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);

const watch = (ns: string, desired: number) => watchPods(env.cluster.kubeConfig(), ns, desired);

const uids = (pods: Awaited<ReturnType<typeof livePods>>) => Object.fromEntries(pods.map((p) => [p.metadata!.name!, p.metadata!.uid!]));

describe('maxSurge', () => {
  it('recreate with maxSurge 1, maxUnavailable 0: one surge Pod at a time, never a Ready Pod short', async () => {
    const ns = uniqueNamespace('surge');
    const cs = cloneSet(ns, 'web', { replicas: 4, updateStrategy: { type: 'ReCreate', maxSurge: 1, maxUnavailable: 0 } });
    await applyAndRoll(env, cs);
    const before = uids(await livePods(env, ns, 'web'));
    const w = await watch(ns, 4);
    const result = await (await env.client.start({ namespace: ns, name: 'web', images: { nginx: 'nginx:1.27' } })).result();
    w.stop();
    // Every Pod replaced; the surge Pod was created first and the surplus removed at the end.
    const after = await livePods(env, ns, 'web');
    expect(after).toHaveLength(4);
    for (const p of after) {
      expect(Object.values(before)).not.toContain(p.metadata!.uid);
      expect(p.status!.containerStatuses![0]!.image).toBe('nginx:1.27');
    }
    expect(w.maxPods).toBe(5); // replicas + maxSurge, never more
    expect(w.maxUnavailable).toBe(0); // Ready Pods never dropped below replicas
    expect(result.created + result.recreated).toBeGreaterThanOrEqual(4);
    expect(w.steps.find((s) => s.what === 'created')!.atMs).toBeLessThan(w.steps.find((s) => s.what === 'deleting')!.atMs);
  });

  it('an in-place-able change with maxSurge creates no surge Pod', async () => {
    const ns = uniqueNamespace('surge');
    const cs = cloneSet(ns, 'web', { replicas: 4, updateStrategy: { type: 'InPlaceIfPossible', maxSurge: 2, maxUnavailable: 1 } });
    await applyAndRoll(env, cs);
    const before = uids(await livePods(env, ns, 'web'));
    const w = await watch(ns, 4);
    const result = await (await env.client.start({ namespace: ns, name: 'web', images: { nginx: 'nginx:1.27' } })).result();
    w.stop();
    expect(result.updatedInPlace).toBe(4);
    expect(result.created).toBe(0);
    expect(w.maxPods).toBe(4);
    expect(w.steps.filter((s) => s.what === 'created' || s.what === 'deleting')).toEqual([]);
    expect(uids(await livePods(env, ns, 'web'))).toEqual(before);
    expect(w.maxUnavailable).toBeLessThanOrEqual(1);
  });
});

describe('priorityStrategy', () => {
  it('orderPriority: the watcher sees Pods drained in descending order of their label', async () => {
    const ns = uniqueNamespace('prio');
    const cs = cloneSet(ns, 'web', {
      replicas: 5,
      updateStrategy: { type: 'InPlaceIfPossible', maxUnavailable: 1, priorityStrategy: { orderPriority: [{ orderedKey: 'rank' }] } },
    });
    await applyAndRoll(env, cs);
    const names = Object.keys(uids(await livePods(env, ns, 'web'))).sort();
    // Ranks in an order unrelated to names or creation: highest rank goes first.
    const ranks = [3, 10, 1, 7, 5];
    for (const [i, name] of names.entries()) {
      await env.k.core.patchNamespacedPod({ name, namespace: ns, body: { metadata: { labels: { rank: `r-${ranks[i]}` } } } }, merge);
    }
    const w = await watch(ns, 5);
    await (await env.client.start({ namespace: ns, name: 'web', images: { nginx: 'nginx:1.27' } })).result();
    w.stop();
    const drained = w.steps.filter((s) => s.what === 'gate-off').map((s) => s.pod);
    const expected = names
      .map((n, i) => [n, ranks[i]!] as const)
      .sort((a, b) => b[1] - a[1])
      .map(([n]) => n);
    expect(drained).toEqual(expected);
    expect(w.maxUnavailable).toBeLessThanOrEqual(1);
  });

  it('weightPriority: Pods matching heavier terms go first', async () => {
    const ns = uniqueNamespace('prio');
    const cs = cloneSet(ns, 'web', {
      replicas: 4,
      updateStrategy: {
        type: 'InPlaceIfPossible',
        maxUnavailable: 1,
        priorityStrategy: {
          weightPriority: [
            { weight: 50, matchSelector: { matchLabels: { canary: 'true' } } },
            { weight: 10, matchSelector: { matchLabels: { zone: 'a' } } },
          ],
        },
      },
    });
    await applyAndRoll(env, cs);
    const names = Object.keys(uids(await livePods(env, ns, 'web'))).sort();
    const labels: Record<string, string>[] = [{ zone: 'a' }, {}, { canary: 'true', zone: 'a' }, { canary: 'true' }];
    for (const [i, name] of names.entries()) {
      await env.k.core.patchNamespacedPod({ name, namespace: ns, body: { metadata: { labels: labels[i]! } } }, merge);
    }
    const w = await watch(ns, 4);
    await (await env.client.start({ namespace: ns, name: 'web', images: { nginx: 'nginx:1.27' } })).result();
    w.stop();
    const drained = w.steps.filter((s) => s.what === 'gate-off').map((s) => s.pod);
    // weights: [10, 0, 60, 50] → order 2, 3, 0, 1
    expect(drained).toEqual([names[2], names[3], names[0], names[1]]);
  });
});

describe('updateStrategy.paused in the spec', () => {
  it('scaling goes on while paused; updates wait until the spec unpauses', async () => {
    const ns = uniqueNamespace('pause');
    const cs = cloneSet(ns, 'web', { replicas: 2, updateStrategy: { type: 'InPlaceIfPossible', maxUnavailable: 1 } });
    await applyAndRoll(env, cs);
    const before = uids(await livePods(env, ns, 'web'));
    const w = await watch(ns, 3);
    const paused = { ...cs, spec: { ...cs.spec, replicas: 3, updateStrategy: { ...cs.spec.updateStrategy, paused: true } } };
    paused.spec.template = { ...cs.spec.template, spec: { containers: [{ name: 'nginx', image: 'nginx:1.27', imagePullPolicy: 'IfNotPresent' }] } };
    await applyCloneSet(env.k, paused);
    const handle = await env.client.start({ namespace: ns, name: 'web' });
    const deadline = Date.now() + 30_000;
    while (w.livePods().length < 3 || (await handle.progress()).phase !== 'Paused') {
      if (Date.now() > deadline) throw new Error(`not paused with 3 Pods: ${JSON.stringify(await handle.progress())}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 1_000));
    // The new Pod is at the new revision; the old two are untouched.
    expect(w.steps.filter((s) => s.what === 'gate-off' || s.what === 'image')).toEqual([]);
    for (const name of Object.keys(before)) expect(w.pod(name)?.spec?.containers[0]?.image).toBe('nginx:perl');
    await applyCloneSet(env.k, { ...paused, spec: { ...paused.spec, updateStrategy: { ...paused.spec.updateStrategy, paused: false } } });
    const result = await handle.result();
    w.stop();
    expect(result.updatedInPlace).toBe(2);
    expect(w.livePods().map((p) => p.spec!.containers[0]!.image)).toEqual(['nginx:1.27', 'nginx:1.27', 'nginx:1.27']);
  });
});

describe('the plan query', () => {
  it('shows what is left from the last observation: the Pod in flight, then the others one wave each', async () => {
    const ns = uniqueNamespace('plan');
    const cs = withUpdateHook(
      cloneSet(ns, 'web', { replicas: 4, updateStrategy: { type: 'InPlaceIfPossible', maxUnavailable: 1, inPlaceUpdateStrategy: { gracePeriodSeconds: 3 } } }),
    );
    await applyAndRoll(env, cs);
    const names = Object.keys(uids(await livePods(env, ns, 'web'))).sort();
    // Slow enough by construction: the first Pod taken is held in flight by its lifecycle hook until the plan is read.
    const w = await watch(ns, 4);
    const hooks = new HookActor(env.k, ns);
    const handle = await env.client.start({ namespace: ns, name: 'web', images: { nginx: 'nginx:1.27' } });
    let plan = await handle.plan();
    const deadline = Date.now() + 60_000;
    while (!plan || plan.inFlight.length === 0) {
      if (Date.now() > deadline) throw new Error(`no plan with a Pod in flight: ${JSON.stringify(plan)}`);
      await new Promise((r) => setTimeout(r, 100));
      plan = await handle.plan();
    }
    expect(plan.namespace).toBe(ns);
    expect(plan.outcome).toBe('done');
    expect(plan.inFlight.map((m) => m.action)).toEqual(['inPlace']);
    const moving = plan.inFlight[0]!.name;
    expect(plan.waves.map((w) => w.pods.map((m) => m.action))).toEqual([['inPlace'], ['inPlace'], ['inPlace']]); // window 1
    expect(plan.waves.flatMap((w) => w.pods.map((m) => m.name)).sort()).toEqual(names.filter((n) => n !== moving));
    expect(plan.waves.every((w) => w.pods.every((m) => m.to === plan!.updateRevision))).toBe(true);
    expect(plan.estimatedSeconds).toBeGreaterThanOrEqual(3 * 3); // three more waves, each at least the 3 s grace
    hooks.open();
    await handle.result();
    await hooks.stop();
    w.stop();
  });
});

describe('Pods leave service as with Kruise: Ready=False in the gate-off write (the kubelet lags on gates)', () => {
  const SYNC_MS = 1_500;
  let lagging: TestEnv;
  beforeAll(async () => {
    // A kubelet that takes a readiness-gate change into Ready only SYNC_MS later, like a real one on its next sync.
    lagging = await startTestEnv({ kubelet: { statusSyncDelayMs: SYNC_MS } });
  });
  afterAll(async () => {
    await lagging?.stop();
  });

  it('a gate flipped alone leaves its Pod Ready for the sync delay; the rollout takes each Pod out at the first event', async () => {
    const ns = uniqueNamespace('ready');
    await ensureNamespace(lagging.k, ns);
    // The control: a Pod outside the CloneSet with the same gate, flipped without Ready.
    const control = 'control';
    await lagging.k.core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: { name: control, labels: { app: 'control' } },
        spec: { containers: [{ name: 'nginx', image: 'nginx:perl' }], readinessGates: [{ conditionType: 'InPlaceUpdateReady' }] },
      },
    });
    const gate = (status: string) => ({ status: { conditions: [{ type: 'InPlaceUpdateReady', status, lastTransitionTime: new Date().toISOString() }] } });
    await lagging.k.core.patchNamespacedPodStatus({ name: control, namespace: ns, body: gate('True') }, smp);
    const readyOf = async (name: string) =>
      (await lagging.k.core.readNamespacedPod({ name, namespace: ns })).status?.conditions?.find((c) => c.type === 'Ready')?.status;
    for (const end = Date.now() + 30_000; (await readyOf(control)) !== 'True';) {
      if (Date.now() > end) throw new Error('control Pod never Ready');
      await new Promise((r) => setTimeout(r, 50));
    }
    const cs = cloneSet(ns, 'web', { replicas: 3, updateStrategy: { type: 'InPlaceIfPossible', maxUnavailable: 1 } });
    await applyAndRoll(lagging, cs);
    const w = await watchPods(lagging.cluster.kubeConfig(), ns, 3);

    // 1. Without a Ready=False write the Pod stays Ready, in its Services' endpoints, for the whole sync delay.
    const offAt = Date.now();
    await lagging.k.core.patchNamespacedPodStatus({ name: control, namespace: ns, body: gate('False') }, smp);
    let observed = 0;
    for (;;) {
      const ready = await readyOf(control);
      const elapsed = Date.now() - offAt;
      if (elapsed >= SYNC_MS - 200) break;
      expect(ready, `control Ready ${elapsed} ms after its gate went False`).toBe('True');
      observed++;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(observed).toBeGreaterThan(0);

    // 2. The rollout: at the first event showing a Pod's gate False, its Ready is False too (one write).
    const result = await (await lagging.client.start({ namespace: ns, name: 'web', images: { nginx: 'nginx:1.27' } })).result();
    w.stop();
    expect(result.updatedInPlace).toBe(3);
    for (const [name, h] of Object.entries(w.pods)) {
      const off = h.states.find((x) => x.gate === 'False');
      expect(off, `${name}: ${JSON.stringify(h.states)}`).toMatchObject({ gate: 'False', ready: 'False' });
    }
    // Never more than the window out of service (the lagging kubelet would have kept drained Pods Ready otherwise).
    expect(w.maxUnavailable).toBeLessThanOrEqual(1);
    expect(await readyOf(control)).toBe('False'); // the kubelet did take the control's gate in, after the delay
  });
});

describe('a worker lost between two lifecycle writes leaves nothing stuck', () => {
  it('gate True but still Updating (killed before the label write), or a new Pod left PreparingNormal: the next run finishes both', async () => {
    const ns = uniqueNamespace('crash');
    const cs = cloneSet(ns, 'web', { replicas: 3, updateStrategy: { type: 'InPlaceIfPossible', maxUnavailable: 1 } });
    await applyAndRoll(env, cs);
    const [updating, preparing, untouched] = Object.keys(uids(await livePods(env, ns, 'web'))).sort();
    // The states a worker killed mid-lane leaves: in-place update after the gate write, creation before the label write.
    const label = (state: string) => ({ metadata: { labels: { 'lifecycle.apps.kruise.io/state': state } } });
    await env.k.core.patchNamespacedPod({ name: updating!, namespace: ns, body: label('Updating') }, merge);
    await env.k.core.patchNamespacedPod({ name: preparing!, namespace: ns, body: label('PreparingNormal') }, merge);
    const restarts = Object.fromEntries((await livePods(env, ns, 'web')).map((p) => [p.metadata!.name!, p.status!.containerStatuses![0]!.restartCount]));
    const w = await watch(ns, 3);
    const result = await (await env.client.start({ namespace: ns, name: 'web' })).result();
    w.stop();
    expect(result.outcome).toBe('Completed');
    const after = await livePods(env, ns, 'web');
    expect(after.map((p) => p.metadata!.labels!['lifecycle.apps.kruise.io/state'])).toEqual(['Normal', 'Normal', 'Normal']);
    for (const p of after) {
      expect(p.status!.containerStatuses![0]!.restartCount, p.metadata!.name).toBe(restarts[p.metadata!.name!]); // nothing restarted
      expect(p.metadata!.annotations!['lifecycle.apps.kruise.io/timestamp']).toMatch(/Z$/);
    }
    // Finished where they were: no gate flipped, no image patched, the healthy Pod untouched.
    expect(w.steps.filter((s) => s.what !== 'created')).toEqual([]);
    expect(w.pods[untouched!]!.lifecycle).toEqual(['Normal']);
  });
});
