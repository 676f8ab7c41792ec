/**
 * PodSetWatch (src/activities/pod-watch.ts) against the simulated apiserver: every change of the followed Pods is
 * delivered, others are not, a dropped stream resumes without losing a change, an expired resourceVersion starts
 * over from fresh reads, and a Pod deleted or replaced under its name is reported gone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { V1Pod } from '@kubernetes/client-node';
import { collectionVersion, PodSetWatch, mapLimit } from '../../src/activities/pod-watch.js';
import { makeClients, type KubeClients } from '../../src/kube/clients.js';
import { asMerge, NS, podManifest, startSim, type Sim } from './apiserver-helpers.js';

let sim: Sim;
let k: KubeClients;
beforeAll(async () => {
  sim = await startSim({ watchHistory: 20 });
  k = makeClients(sim.server.kubeConfig());
});
afterAll(async () => {
  await sim.server.close();
});

async function until(what: string, check: () => boolean, timeoutMs = 5_000) {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function createPods(prefix: string, n: number): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (let i = 0; i < n; i++) {
    const pod = await sim.core.createNamespacedPod({ namespace: NS, body: podManifest(`${prefix}-${i}`, { app: prefix }) });
    out[pod.metadata!.name!] = pod.metadata!.uid!;
  }
  return out;
}

const label = (name: string, value: string) => sim.core.patchNamespacedPod({ name, namespace: NS, body: { metadata: { labels: { step: value } } } }, asMerge);

function follow(pods: Record<string, string>, app: string, fromResourceVersion?: string) {
  const seen: Record<string, (string | null)[]> = {};
  const w = new PodSetWatch(k, {
    namespace: NS,
    fromResourceVersion,
    labelSelector: `app=${app}`,
    pods,
    resyncMs: 60_000, // the resync must not be what delivers changes here
    onPod(name, pod: V1Pod | null) {
      const v = pod === null ? null : (pod.metadata?.labels?.step ?? '');
      const list = (seen[name] ??= []);
      if (list[list.length - 1] !== v) list.push(v);
    },
  });
  return { w, seen };
}

describe('PodSetWatch', () => {
  it('reads every followed Pod once at start, then delivers their changes and nothing else', async () => {
    const pods = await createPods('a', 3);
    const followed = { 'a-0': pods['a-0']!, 'a-1': pods['a-1']! };
    const { w, seen } = follow(followed, 'a');
    await w.start();
    expect(seen).toEqual({ 'a-0': [''], 'a-1': [''] });
    await label('a-0', 'one');
    await label('a-2', 'not-followed');
    await label('a-1', 'two');
    await until('both changes', () => seen['a-0']!.includes('one') && seen['a-1']!.includes('two'));
    await new Promise((r) => setTimeout(r, 50));
    expect(Object.keys(seen).sort()).toEqual(['a-0', 'a-1']); // a-2 changed too, but is not followed
    w.stop();
  });

  it('resumes a dropped stream from the last resourceVersion without losing a change', async () => {
    const pods = await createPods('b', 2);
    const { w, seen } = follow(pods, 'b');
    await w.start();
    expect(sim.server.faults.dropWatches()).toBeGreaterThan(0);
    await label('b-0', 'after-drop');
    await until('the change after the drop', () => seen['b-0']!.includes('after-drop'));
    expect(w.counters.restarts).toBeGreaterThanOrEqual(1);
    w.stop();
  });

  it('starts over with fresh reads when its resourceVersion expired', async () => {
    const pods = await createPods('c', 1);
    const { w, seen } = follow(pods, 'c');
    await w.start();
    // Push the history window (20 events) past the watch's resourceVersion (none of these events match its
    // selector, so it does not advance), then drop the stream: resuming is "too old" (410).
    await createPods('c-noise', 25);
    sim.server.faults.dropWatches();
    await until('a fresh start', () => w.counters.relists >= 1);
    await label('c-0', 'late');
    await until('the change after the fresh start', () => seen['c-0']!.includes('late'));
    w.stop();
  });

  it('reports a Pod gone when deleted, and when another Pod took its name', async () => {
    const pods = await createPods('d', 2);
    const { w, seen } = follow(pods, 'd');
    await w.start();
    await sim.core.deleteNamespacedPod({ name: 'd-0', namespace: NS, body: { gracePeriodSeconds: 0 } });
    await until('d-0 gone', () => seen['d-0']!.at(-1) === null);
    await sim.core.deleteNamespacedPod({ name: 'd-1', namespace: NS, body: { gracePeriodSeconds: 0 } });
    await sim.core.createNamespacedPod({ namespace: NS, body: podManifest('d-1', { app: 'd', step: 'impostor' }) });
    await until('d-1 gone', () => seen['d-1']!.at(-1) === null);
    expect(seen['d-1']).not.toContain('impostor');
    w.stop();
  });
});

describe('PodSetWatch from a known resourceVersion', () => {
  it('reads no Pod: the changes made after that resourceVersion arrive as events, in order', async () => {
    const pods = await createPods('e', 2);
    const from = await collectionVersion(k, NS, 'app=e');
    await label('e-0', 'patched'); // made before the watch opens, after `from`: delivered all the same
    const counting = sim.server.faults.set({ verb: 'get', resource: 'pods', latencyMs: 1 }); // counts Pod reads
    const reads = () => sim.server.faults.injected()['get:pods:latency'] ?? 0;
    const before = reads();
    const { w, seen } = follow(pods, 'e', from);
    await w.start();
    await until('the change made before the watch opened', () => seen['e-0']?.includes('patched') === true);
    expect(seen['e-1']).toBeUndefined(); // unchanged since `from`, and not read
    expect(reads()).toBe(before);
    sim.server.faults.clear(counting);
    await label('e-1', 'later');
    await until('a change after the watch opened', () => seen['e-1']?.includes('later') === true);
    expect(w.counters.relists).toBe(0);
    w.stop();
  });

  it('starts over with fresh reads when that resourceVersion is too old', async () => {
    const pods = await createPods('f', 1);
    const from = await collectionVersion(k, NS, 'app=f');
    await createPods('f-noise', 25); // past the history window (20 events)
    const { w, seen } = follow(pods, 'f', from);
    await w.start();
    await until('a fresh start with reads', () => w.counters.relists >= 1 && seen['f-0']?.includes('') === true);
    await label('f-0', 'late');
    await until('the change after the fresh start', () => seen['f-0']!.includes('late'));
    w.stop();
  });
});

describe('mapLimit', () => {
  it('keeps order and never runs more than the limit at once', async () => {
    let running = 0;
    let peak = 0;
    const out = await mapLimit([5, 1, 4, 2, 3, 0], 2, async (n) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, n));
      running--;
      return n * 10;
    });
    expect(out).toEqual([50, 10, 40, 20, 30, 0]);
    expect(peak).toBe(2);
  });
});
