/**
 * Simulated apiserver: a benchmark-like load — 1000 pods created and their
 * status patched three times each with a few concurrent clients, while
 * watchers with different selectors follow — must finish in seconds and
 * deliver every event.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Sim, NS, WatchRecorder, asStrategic, podManifest, startSim, until } from './apiserver-helpers.js';

const PODS = 1000;
const STATUS_PATCHES = 3;
const CONCURRENCY = 16;

let sim: Sim;
beforeAll(async () => {
  sim = await startSim();
});
afterAll(() => sim.server.close());

/** Runs `fn` for 0..n-1 with at most `limit` in flight. */
async function pool(n: number, limit: number, fn: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < n) await fn(next++);
    }),
  );
}

it(`creates ${PODS} pods and patches each status ${STATUS_PATCHES} times in a few seconds, with watchers`, async () => {
  const all = await new WatchRecorder(sim, `/api/v1/namespaces/${NS}/pods`).start();
  const shard = await new WatchRecorder(sim, `/api/v1/namespaces/${NS}/pods`, { labelSelector: 'shard=0' }).start();
  const node = await new WatchRecorder(sim, '/api/v1/pods', { fieldSelector: 'spec.nodeName=node-0' }).start();

  const t0 = performance.now();
  await pool(PODS, CONCURRENCY, (i) =>
    sim.core.createNamespacedPod({ namespace: NS, body: podManifest(`load-${i}`, { shard: String(i % 4) }, { nodeName: `node-${i % 10}` }) }),
  );
  const created = performance.now();
  await pool(PODS * STATUS_PATCHES, CONCURRENCY, (k) => {
    const i = k % PODS;
    const round = Math.floor(k / PODS);
    return sim.core.patchNamespacedPodStatus(
      {
        namespace: NS,
        name: `load-${i}`,
        body: { status: { phase: 'Running', conditions: [{ type: 'Ready', status: round % 2 ? 'False' : 'True', reason: `r${round}` }] } },
      },
      asStrategic,
    );
  });
  const done = performance.now();
  const total = PODS * (1 + STATUS_PATCHES);
  await until(() => all.events.length === total, 10_000);
  await until(() => shard.events.length === total / 4 && node.events.length === total / 10, 10_000);
  console.info(
    `sim apiserver load: ${PODS} creates in ${Math.round(created - t0)} ms, ${PODS * STATUS_PATCHES} status patches in ${Math.round(done - created)} ms ` +
      `(${Math.round((total / (done - t0)) * 1000)} writes/s over ${CONCURRENCY} clients)`,
  );
  expect(done - t0).toBeLessThan(20_000);
  expect(sim.server.stats().writes).toBe(total);
  const rvs = all.events.map((e) => Number(e.rv));
  expect(rvs.every((rv, i) => i === 0 || rv > rvs[i - 1]!)).toBe(true);

  const list = await sim.core.listNamespacedPod({ namespace: NS, fieldSelector: 'status.phase=Running', labelSelector: 'shard in (1,2)' });
  expect(list.items).toHaveLength(PODS / 2);
  for (const w of [all, shard, node]) w.stop();
}, 60_000);
