/**
 * `npm run bench`, side by side with OpenKruise: the same scenarios under kruise-manager v1.9.1 (the kruise tier's
 * binary, scripts/build-kruise.sh) and under cloneset-rollout in controller mode, each on a fresh real kube-apiserver
 * (tools/kube-apiserver) with the same simulated kubelet (test/support/kruise.ts). Kruise runs twice in S1: as
 * installed (client QPS 30, burst 50) and with its client limits lifted (QPS 1000, burst 2000).
 *
 *  S1 real:  200 Pods, maxUnavailable 20, grace 1 s, restart 1 s, minReadySeconds 1 → makespan / ideal, ideal
 *            = ceil(N/W) × (grace + restart + minReady) = 30 s. The clock starts just before the image patch (so the
 *            controller's pickup of the edit is inside it) and stops when the last Pod is available (Ready on the new
 *            image, + minReadySeconds) as a watch sees it; `statusS` is when the CloneSet status says all 200 are
 *            updated and available. CPU seconds per 1,000 Pod updates, by process, over the same interval.
 *  seed:     examples/nginx01.yaml, settled, then nginx02.yaml applied at once (as the walkthrough does) → makespan to
 *            4 Pods on nginx:latest, available, and the status saying so; the most Pods a watch saw below the 4
 *            desired Ready (`maxBelowDesired`; maxUnavailable is 1).
 *  pickup:   20 edits of a settled CloneSet (minReadySeconds toggled: a new generation, no new revision) → time from
 *            the edit's response to the status's observedGeneration reaching it, p50 / p95.
 *
 * Without the Kruise binary the benchmarks run for cloneset-rollout alone and say how to build Kruise.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions, type V1Pod } from '@kubernetes/client-node';
import { Client, Connection } from '@temporalio/client';
import { describe, expect, inject, it } from 'vitest';
import { CLONESET } from '../src/kube/clients.js';
import type { SimKubeletOptions } from '../src/sim/index.js';
import { kruiseMissing, startControllerRun, type ControllerName, type ControllerRun } from '../test/support/kruise.js';
import { Recorder, type StoredCloneSet } from '../test/support/recorder.js';
import { ReadinessWatcher } from '../test/support/watcher.js';
import { cloneSet, example } from '../test/kruise/scenarios.js';
import { apiserverGet, apiserverRequests, CpuMeter, diffCounts, perThousand, temporalServerPid } from './cpu.js';
import { pct, printTableAfterAll, report } from './report.js';

printTableAfterAll();

const RESULTS = fileURLToPath(new URL('../test-results/bench-kruise/', import.meta.url));
const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const json = setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);

interface Side {
  label: string;
  controller: ControllerName;
  kruiseArgs?: string[];
}
const KRUISE: Side = { label: 'kruise', controller: 'kruise' };
const KRUISE_UNTHROTTLED: Side = { label: 'kruise (QPS lifted)', controller: 'kruise', kruiseArgs: ['--rest-config-qps=1000', '--rest-config-burst=2000'] };
const OURS: Side = { label: 'cloneset-rollout', controller: 'ours' };
const missing = kruiseMissing();
/** `BENCH_SIDES=ours` (or `kruise`): run one side only, e.g. while profiling. */
const only = process.env.BENCH_SIDES;
const sides = (all: Side[]) => all.filter((s) => (missing ? s.controller === 'ours' : true) && (!only || s.controller === only));
if (missing) process.stdout.write(`Kruise column left out: ${missing}\n`);

/** The nodes both controllers meet: the bench's S1 knobs, a kubelet status sync of 100 ms (as the sim-backed bench). */
const KUBELET: SimKubeletOptions = { nodes: 3, startDelayMs: 100, restartDelayMs: 1000, readyDelayMs: 0, deleteDelayMs: 100, statusSyncDelayMs: 100 };

interface Ctx {
  run: ControllerRun;
  ns: string;
  rec: Recorder;
  custom: CustomObjectsApi;
  /** CPU meters over the controller, the apiserver, the Temporal server (ours) and this process (the kubelet). */
  meter(): CpuMeter;
}

async function withRun<T>(side: Side, scenario: string, fn: (ctx: Ctx) => Promise<T>): Promise<T> {
  const dir = join(RESULTS, `${scenario}-${side.label.replace(/\W+/g, '-')}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const address = inject('temporalAddress');
  // BENCH_CPU_PROF=1: the worker writes a V8 CPU profile (.cpuprofile) next to the logs when it stops.
  const oursNodeArgs = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : [];
  const apiserverArgs = process.env.BENCH_APISERVER_PROF ? ['--profiling=true'] : [];
  const run = await startControllerRun(side.controller, { dir, address, kubelet: KUBELET, kruiseArgs: side.kruiseArgs, oursNodeArgs, apiserverArgs });
  const ns = `${scenario}-${randomBytes(3).toString('hex')}`;
  const rec = new Recorder(run.kc, ns);
  try {
    await run.kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: ns } } });
    await rec.start();
    const pids: Record<string, number | undefined> = {
      controller: run.process.pid,
      apiserver: run.apiserverPid,
      kubelet: process.pid,
      ...(side.controller === 'ours' ? { temporal: temporalServerPid(address) } : {}),
    };
    const out = await fn({ run, ns, rec, custom: run.kc.makeApiClient(CustomObjectsApi), meter: () => new CpuMeter(pids) });
    if (side.controller === 'ours') await keepHistories(address, ns, dir);
    return out;
  } catch (err) {
    throw new Error(`${scenario} under ${side.label}: ${(err as Error).message}\n(logs in ${dir}; controller log tail:)\n${run.process.tail(20)}`);
  } finally {
    rec.stop();
    await run.stop();
  }
}

/** The rollout workflows' histories of the namespace, next to the logs (for profiling a run). */
async function keepHistories(address: string, ns: string, dir: string): Promise<void> {
  const connection = await Connection.connect({ address });
  try {
    const client = new Client({ connection });
    let i = 0;
    for await (const wf of client.workflow.list({ query: `WorkflowId STARTS_WITH "cloneset/${ns}/"` })) {
      const history = await client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
      writeFileSync(join(dir, `history-${i++}.json`), JSON.stringify(history));
    }
  } finally {
    await connection.close();
  }
}

const cond = (p: V1Pod, type: string) => p.status?.conditions?.find((c) => c.type === type);
const image = (p: V1Pod) => p.spec?.containers[0]?.image;
const status = (cs: StoredCloneSet | undefined) => (cs?.status ?? {}) as Record<string, number | undefined>;

/** Waits until the CloneSet's status shows `replicas` Pods, all updated and available, at its current generation. */
function statusSettled(ctx: Ctx, name: string, replicas: number, timeoutMs: number): Promise<number> {
  return ctx.rec.until(
    `${name}: status with ${replicas} updated and available`,
    () => {
      const cs = ctx.rec.cloneSet(name);
      const s = status(cs);
      const ok =
        s.observedGeneration === cs?.metadata.generation &&
        s.replicas === replicas &&
        s.updatedReplicas === replicas &&
        s.availableReplicas === replicas &&
        s.updatedAvailableReplicas === replicas;
      return ok && Date.now();
    },
    timeoutMs,
    () => JSON.stringify(ctx.rec.cloneSet(name)?.status),
  );
}

/** When each live Pod was first seen Ready on `img` (watch time), once `count` of them are. */
function allReadyOn(ctx: Ctx, img: string, count: number, timeoutMs: number): Promise<number[]> {
  const seen = new Map<string, number>();
  return ctx.rec.until(
    `${count} Pods Ready on ${img}`,
    () => {
      for (const p of ctx.rec.livePods()) {
        if (!seen.has(p.metadata!.uid!) && image(p) === img && cond(p, 'Ready')?.status === 'True') seen.set(p.metadata!.uid!, Date.now());
      }
      const live = ctx.rec.livePods().filter((p) => seen.has(p.metadata!.uid!));
      return live.length === count && ctx.rec.livePods().length === count && [...seen.values()];
    },
    timeoutMs,
    () => `${seen.size} seen Ready on ${img}`,
  );
}

async function create(ctx: Ctx, cs: StoredCloneSet): Promise<void> {
  await ctx.custom.createNamespacedCustomObject({ ...CLONESET, namespace: ctx.ns, body: { ...cs, metadata: { ...cs.metadata, namespace: ctx.ns } } });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('side by side with Kruise on one real apiserver', () => {
  it('S1 real: 200 Pods, window 20, grace 1 s + restart 1 s + minReady 1 s', async () => {
    const rows: Record<string, number | string>[] = [];
    for (const side of sides([KRUISE, KRUISE_UNTHROTTLED, OURS])) {
      rows.push(
        await withRun(side, 's1', async (ctx) => {
          const pods = 200;
          const spec = {
            minReadySeconds: 1,
            updateStrategy: { type: 'InPlaceIfPossible', maxUnavailable: 20, inPlaceUpdateStrategy: { gracePeriodSeconds: 1 } },
          };
          await create(ctx, cloneSet('web', pods, spec));
          await statusSettled(ctx, 'web', pods, 300_000);
          await sleep(1500); // every Pod past minReadySeconds, as the sim-backed S1
          const requestsBefore = await apiserverRequests(ctx.run.kc);
          const meter = ctx.meter().start();
          // BENCH_APISERVER_PROF=1: a 25 s CPU profile of the apiserver during the rollout (go tool pprof -top FILE).
          const profile = process.env.BENCH_APISERVER_PROF
            ? apiserverGet(ctx.run.kc, '/debug/pprof/profile?seconds=25').then((b) => writeFileSync(join(ctx.run.dir, 'apiserver.pprof'), b))
            : Promise.resolve();
          const t0 = Date.now();
          await ctx.custom.patchNamespacedCustomObject(
            { ...CLONESET, namespace: ctx.ns, name: 'web', body: [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'nginx:1.27' }] },
            json,
          );
          const readyAt = await allReadyOn(ctx, 'nginx:1.27', pods, 300_000);
          const statusAt = await statusSettled(ctx, 'web', pods, 300_000);
          const cpu = perThousand(meter.stop(), pods);
          await profile;
          const requests = diffCounts(requestsBefore, await apiserverRequests(ctx.run.kc));
          writeFileSync(join(ctx.run.dir, 'apiserver-requests.json'), JSON.stringify(requests, null, 1));
          const makespanS = (Math.max(...readyAt) + 1000 - t0) / 1000;
          const ideal = Math.ceil(pods / 20) * 3;
          return {
            controller: side.label,
            makespanS: +makespanS.toFixed(2),
            statusS: +((statusAt - t0) / 1000).toFixed(2),
            ratio: +(makespanS / ideal).toFixed(3),
            ...Object.fromEntries(Object.entries(cpu).map(([k, v]) => [`cpuPer1000.${k}`, v])),
          };
        }),
      );
    }
    const ours = rows.find((r) => r.controller === OURS.label);
    const peer = rows.find((r) => r.controller === KRUISE_UNTHROTTLED.label);
    for (const r of rows) report({ scenario: 'S1 real', ...r, target: '≤ 1.05, ≤ 0.95 × Kruise (QPS lifted)' });
    if (ours && peer) report({ scenario: 'S1 real', controller: 'ours / Kruise (QPS lifted)', ratio: +(Number(ours.ratio) / Number(peer.ratio)).toFixed(3) });
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) expect(Number(r.ratio)).toBeGreaterThan(0.9); // well under the ideal would mean a broken clock
  });

  it('seed: nginx01, then nginx02 at once (4 replicas, maxUnavailable 1, minReadySeconds 30)', async () => {
    const rows: Record<string, number | string>[] = [];
    for (const side of sides([KRUISE, OURS])) {
      rows.push(
        await withRun(side, 'seed', async (ctx) => {
          const cs1 = example('nginx01.yaml');
          const cs2 = example('nginx02.yaml');
          const name = cs1.metadata.name;
          await create(ctx, cs1);
          await statusSettled(ctx, name, 5, 300_000);
          const watcher = new ReadinessWatcher(ctx.run.kc, ctx.ns, `app=${name}`);
          await watcher.start();
          watcher.resetMarks(4);
          try {
            const t0 = Date.now();
            await ctx.custom.patchNamespacedCustomObject({ ...CLONESET, namespace: ctx.ns, name, body: { spec: cs2.spec } }, merge);
            const readyAt = await allReadyOn(ctx, 'nginx:latest', 4, 300_000);
            const statusAt = await statusSettled(ctx, name, 4, 300_000);
            const kept = ctx.rec.livePods().filter((p) => (p.status?.containerStatuses?.[0]?.restartCount ?? 0) === 1).length;
            return {
              controller: side.label,
              podsUpdatedReadyS: +((Math.max(...readyAt) - t0) / 1000).toFixed(2),
              makespanS: +((statusAt - t0) / 1000).toFixed(2),
              maxBelowDesired: watcher.maxUnavailable,
              keptInPlace: kept,
            };
          } finally {
            watcher.stop();
          }
        }),
      );
    }
    for (const r of rows) report({ scenario: 'seed real', ...r, target: '≤ Kruise, maxBelowDesired ≤ 1' });
    const ours = rows.find((r) => r.controller === OURS.label);
    const peer = rows.find((r) => r.controller === KRUISE.label);
    if (ours && peer) report({ scenario: 'seed real', controller: 'ours / Kruise', ratio: +(Number(ours.makespanS) / Number(peer.makespanS)).toFixed(3) });
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) expect(r.keptInPlace).toBe(4);
  });

  it('pickup: edit → status.observedGeneration, 20 edits', async () => {
    for (const side of sides([KRUISE, OURS])) {
      await withRun(side, 'pickup', async (ctx) => {
        await create(ctx, cloneSet('web', 5, { updateStrategy: { type: 'InPlaceIfPossible' } }));
        await statusSettled(ctx, 'web', 5, 300_000);
        const ms: number[] = [];
        for (let i = 0; i < 20; i++) {
          const t0 = Date.now();
          const patched = (await ctx.custom.patchNamespacedCustomObject(
            { ...CLONESET, namespace: ctx.ns, name: 'web', body: { spec: { minReadySeconds: (i % 2) + 1 } } },
            merge,
          )) as StoredCloneSet;
          const gen = patched.metadata.generation ?? 0;
          const at = await ctx.rec.until(
            `observedGeneration ${gen}`,
            () => (status(ctx.rec.cloneSet('web')).observedGeneration ?? 0) >= gen && Date.now(),
            60_000,
          );
          ms.push(at - t0);
          await sleep(500);
        }
        report({
          scenario: 'pickup real',
          controller: side.label,
          edits: 20,
          p50Ms: pct(ms, 50),
          p95Ms: pct(ms, 95),
          maxMs: Math.max(...ms),
          target: '≤ 500 ms p95',
        });
        expect(ms).toHaveLength(20);
      });
    }
  });
});
