/**
 * Simulated apiserver: watch semantics through client-node's Watch and
 * informer — replay from a resourceVersion, resumption after dropped streams,
 * expiry (410), selector move in/out, bookmarks, timeouts and cleanup.
 */
import { type V1Pod, makeInformer } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { type Sim, NS, WatchRecorder, asMerge, podManifest, startSim, until } from './apiserver-helpers.js';

const PODS = `/api/v1/namespaces/${NS}/pods`;
let sim: Sim;
afterEach(async () => {
  await sim?.server.close();
});

const create = (name: string, labels: Record<string, string> = {}, nodeName?: string) =>
  sim.core.createNamespacedPod({ namespace: NS, body: podManifest(name, labels, nodeName ? { nodeName } : {}) });
const label = (name: string, labels: Record<string, string | null>) =>
  sim.core.patchNamespacedPod({ namespace: NS, name, body: { metadata: { labels } } }, asMerge);

describe('watch', () => {
  it('without resourceVersion starts with ADDED for existing objects, then live events', async () => {
    sim = await startSim();
    await create('a');
    await create('b');
    const w = await new WatchRecorder(sim, PODS).start();
    await until(() => w.events.length === 2);
    await label('a', { x: '1' });
    await sim.core.deleteNamespacedPod({ namespace: NS, name: 'b' });
    await until(() => w.events.length === 5);
    // an unbound Pod goes at once, but its deletionTimestamp is written first (MODIFIED), as on a real server
    expect(w.summary()).toEqual(['ADDED a', 'ADDED b', 'MODIFIED a', 'MODIFIED b', 'DELETED b']);
    // a DELETED event carries the deletion's resourceVersion, so resuming after it does not replay it
    const list = await sim.core.listNamespacedPod({ namespace: NS });
    expect(w.lastRv()).toBe(list.metadata?.resourceVersion);
    w.stop();
  });

  it('from a resourceVersion replays exactly the events after it', async () => {
    sim = await startSim();
    const a = await create('a');
    await create('b');
    await label('a', { step: '1' });
    await sim.core.deleteNamespacedPod({ namespace: NS, name: 'b' });
    const w = await new WatchRecorder(sim, PODS, { resourceVersion: a.metadata!.resourceVersion! }).start();
    await until(() => w.events.length === 4);
    expect(w.summary()).toEqual(['ADDED b', 'MODIFIED a', 'MODIFIED b', 'DELETED b']);
    w.stop();
  });

  it('resumes after dropWatches() from the last resourceVersion without missing events', async () => {
    sim = await startSim();
    await create('before');
    const first = await new WatchRecorder(sim, PODS, { resourceVersion: '0' }).start();
    await until(() => first.events.length === 1);
    expect(sim.server.faults.dropWatches()).toBe(1);
    expect(await first.done).toBeNull();
    expect(sim.server.faults.injected().watchDrop).toBe(1);

    // writes while nobody is watching
    await create('while-1');
    await label('before', { changed: 'yes' });
    await create('while-2');
    await sim.core.deleteNamespacedPod({ namespace: NS, name: 'while-1' });

    const resumed = await new WatchRecorder(sim, PODS, { resourceVersion: first.lastRv() }).start();
    await create('after');
    await until(() => resumed.events.length === 6);
    expect(resumed.summary()).toEqual(['ADDED while-1', 'MODIFIED before', 'ADDED while-2', 'MODIFIED while-1', 'DELETED while-1', 'ADDED after']);
    resumed.stop();
  });

  it('a resourceVersion older than the kept history gets ERROR 410 Expired', async () => {
    sim = await startSim({ watchHistory: 3 });
    const first = await create('p0');
    for (let i = 1; i <= 5; i++) await label('p0', { i: String(i) });
    const w = await new WatchRecorder(sim, PODS, { resourceVersion: first.metadata!.resourceVersion! }).start();
    expect(await w.done).toBeNull();
    expect(w.events).toHaveLength(1);
    const ev = w.events[0]!;
    expect(ev.type).toBe('ERROR');
    expect(ev.obj).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Expired', code: 410 });
    expect(ev.obj.message).toMatch(new RegExp(`^too old resource version: ${first.metadata!.resourceVersion!} \\(\\d+\\)$`));

    // the newest kept events are still resumable
    const list = await sim.core.listNamespacedPod({ namespace: NS });
    const recent = await new WatchRecorder(sim, PODS, { resourceVersion: String(Number(list.metadata!.resourceVersion) - 2) }).start();
    await until(() => recent.events.length === 2);
    expect(recent.summary()).toEqual(['MODIFIED p0', 'MODIFIED p0']);
    recent.stop();
  });

  it('a resourceVersion the server never reached is 504, not a silent gap', async () => {
    sim = await startSim();
    const w = await new WatchRecorder(sim, PODS, { resourceVersion: '999999' }).start();
    const err = (await w.done) as { statusCode?: number };
    expect(err?.statusCode).toBe(504);
  });

  it('sends DELETED when an update moves an object out of the label selector and ADDED when it moves in', async () => {
    sim = await startSim();
    await create('m', { role: 'blue' });
    const w = await new WatchRecorder(sim, PODS, { labelSelector: 'role=blue' }).start();
    await until(() => w.events.length === 1);
    const out = await label('m', { role: 'green' });
    await label('m', { role: 'blue' });
    await label('m', { role: 'blue', other: 'x' });
    await until(() => w.events.length === 4);
    expect(w.summary()).toEqual(['ADDED m', 'DELETED m', 'ADDED m', 'MODIFIED m']);
    // the DELETED object is the last state that matched, at the moving update's resourceVersion
    expect(w.events[1]!.obj.metadata?.labels).toEqual({ role: 'blue' });
    expect(w.events[1]!.rv).toBe(out.metadata?.resourceVersion);
    w.stop();
  });

  it('watches a single object by its path', async () => {
    sim = await startSim();
    await create('one');
    await create('two');
    const w = await new WatchRecorder(sim, `${PODS}/one`, { resourceVersion: '0' }).start();
    await label('two', { x: '1' });
    await label('one', { x: '1' });
    await until(() => w.events.length === 2);
    expect(w.summary()).toEqual(['ADDED one', 'MODIFIED one']);
    w.stop();
  });

  it('a kubelet-style cluster-wide watch on spec.nodeName sees a pod as ADDED when it is bound', async () => {
    sim = await startSim();
    const w = await new WatchRecorder(sim, '/api/v1/pods', { fieldSelector: 'spec.nodeName=node-a' }).start();
    await create('unbound');
    await sim.core.createNamespacedPod({ namespace: 'other', body: podManifest('direct', {}, { nodeName: 'node-a' }) });
    await sim.core.createNamespacedPodBinding({
      namespace: NS,
      name: 'unbound',
      body: { metadata: { name: 'unbound' }, target: { kind: 'Node', name: 'node-a' } },
    });
    await until(() => w.events.length === 2);
    expect(w.events.map((e) => `${e.type} ${e.obj.metadata?.namespace}/${e.name}`)).toEqual(['ADDED other/direct', 'ADDED default/unbound']);
    w.stop();
  });

  it('graceful pod deletion is a MODIFIED with deletionTimestamp, then DELETED on the final delete', async () => {
    sim = await startSim();
    await create('g', {}, 'node-a');
    const w = await new WatchRecorder(sim, PODS, { resourceVersion: '0' }).start();
    await until(() => w.events.length === 1);
    await sim.core.deleteNamespacedPod({ namespace: NS, name: 'g' });
    await sim.core.deleteNamespacedPod({ namespace: NS, name: 'g', gracePeriodSeconds: 0 });
    await until(() => w.events.length === 4);
    // the final delete first writes the shortened grace period (MODIFIED, grace 0), then removes the Pod
    expect(w.summary()).toEqual(['ADDED g', 'MODIFIED g', 'MODIFIED g', 'DELETED g']);
    expect((w.events[1]!.obj as V1Pod).metadata?.deletionTimestamp).toBeDefined();
    expect((w.events[2]!.obj as V1Pod).metadata?.deletionGracePeriodSeconds).toBe(0);
    w.stop();
  });

  it('sends BOOKMARKs with the current resourceVersion when allowed', async () => {
    sim = await startSim({ bookmarkIntervalMs: 30 });
    const p = await create('bm');
    const w = await new WatchRecorder(sim, PODS, { allowWatchBookmarks: true, resourceVersion: p.metadata!.resourceVersion! }).start();
    await create('other');
    await until(() => w.events.filter((e) => e.type === 'BOOKMARK').length >= 2);
    const bm = w.events.filter((e) => e.type === 'BOOKMARK').at(-1)!;
    expect(bm.obj).toEqual({ kind: 'Pod', apiVersion: 'v1', metadata: { resourceVersion: expect.stringMatching(/^\d+$/) } });
    expect(Number(bm.rv)).toBeGreaterThanOrEqual(Number(w.events.find((e) => e.type === 'ADDED')!.rv));
    w.stop();
  });

  it('marks the end of initial events with sendInitialEvents', async () => {
    sim = await startSim();
    await create('i1');
    await create('i2');
    const w = await new WatchRecorder(sim, PODS, { sendInitialEvents: true, allowWatchBookmarks: true, resourceVersionMatch: 'NotOlderThan' }).start();
    await until(() => w.events.length === 3);
    expect(w.events.map((e) => e.type)).toEqual(['ADDED', 'ADDED', 'BOOKMARK']);
    expect(w.events[2]!.obj.metadata?.annotations).toEqual({ 'k8s.io/initial-events-end': 'true' });
    w.stop();
  });

  it('ends the stream after timeoutSeconds', async () => {
    sim = await startSim();
    const t0 = Date.now();
    const w = await new WatchRecorder(sim, PODS, { timeoutSeconds: 1 }).start();
    expect(await w.done).toBeNull();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    expect(sim.server.stats().watches).toBe(0);
  });

  it('releases a watch when the client goes away', async () => {
    sim = await startSim();
    const watchers = await Promise.all(Array.from({ length: 5 }, () => new WatchRecorder(sim, PODS, { labelSelector: 'app=x' }).start()));
    await until(() => sim.server.stats().watches === 5);
    for (const w of watchers) w.stop();
    await until(() => sim.server.stats().watches === 0);
    await create('after-stop', { app: 'x' });
    expect(watchers.every((w) => w.events.length === 0)).toBe(true);
  });

  it('keeps a client-node informer consistent across dropped watches', async () => {
    sim = await startSim();
    const kc = sim.server.kubeConfig();
    const informer = makeInformer(kc, PODS, () => sim.core.listNamespacedPod({ namespace: NS }));
    const errors: unknown[] = [];
    informer.on('error', (e) => errors.push(e));
    await informer.start();
    for (let round = 0; round < 3; round++) {
      await create(`inf-${round}`);
      sim.server.faults.dropWatches();
      await create(`inf-${round}-dropped`);
      await label(`inf-${round}`, { round: String(round) });
    }
    await sim.core.deleteNamespacedPod({ namespace: NS, name: 'inf-0' });
    const expected = ['inf-0-dropped', 'inf-1', 'inf-1-dropped', 'inf-2', 'inf-2-dropped'];
    await until(
      () =>
        JSON.stringify(
          informer
            .list()
            .map((p) => p.metadata!.name)
            .sort(),
        ) === JSON.stringify(expected),
    );
    expect(informer.get('inf-2', NS)?.metadata?.labels).toEqual({ round: '2' });
    expect(errors).toEqual([]);
    await informer.stop();
  });
});
