/**
 * `npm run bench`: rollout speed on the embedded Temporal server and simulated cluster, one machine.
 * Each scenario prints one JSON line (and the table at the end) with the commit and the machine described.
 *
 *  S1 overhead:    200 Pods, maxUnavailable 20, grace 1 s, restart 1 s, minReadySeconds 1 → makespan / ideal,
 *                  ideal = ceil(N/W) × (grace + restart + minReady). Target ≤ 1.05.
 *  S2 throughput:  1,000 Pods, maxUnavailable 100, all delays 0 → Pods per second end to end. Target ≥ 100.
 *  S4 concurrency: 100 CloneSets × 10 Pods at once on one worker → p50/p95 of makespan / ideal, and CPU seconds
 *                  per 1,000 Pod updates of this process (worker + simulated apiserver and kubelet) and the Temporal
 *                  dev server, with the worker's task slots and the server's time per workflow task.
 *                  BENCH_TEMPORAL=production runs the file on the production topology instead (Temporal server
 *                  v1.32 on PostgreSQL 15, 4 history shards: test/setup/production-global.ts), metering PostgreSQL too.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, inject, it } from 'vitest';
import { CpuMeter, perThousand, temporalServerPid } from './cpu.js';
import { withWorkerProcess } from './worker-process.js';
import { WORKER_NODE_OPTIONS } from './worker-settings.js';
import { pct, printTableAfterAll, report } from './report.js';
import { applyAndRoll, cloneSet, startTestEnv, uniqueNamespace, type TestEnv } from '../test/support/env.js';
import { ProductionTopology } from '../test/support/production.js';

/** BENCH_TEMPORAL=production: the Temporal server is the production topology's (vitest.bench.config.ts). */
const production = process.env.BENCH_TEMPORAL === 'production' ? new ProductionTopology(inject('productionDir')) : undefined;

printTableAfterAll();

describe('rollout benchmarks', () => {
  it('S1 overhead: 200 Pods, window 20, grace 1 s + restart 1 s + minReady 1 s', async () => {
    const env: TestEnv = await startTestEnv({ kubelet: { startDelayMs: 100, restartDelayMs: 1000, readyDelayMs: 0 } });
    try {
      const ns = uniqueNamespace('s1');
      const spec = {
        replicas: 200,
        minReadySeconds: 1,
        updateStrategy: { type: 'InPlaceIfPossible' as const, maxUnavailable: 20, inPlaceUpdateStrategy: { gracePeriodSeconds: 1 } },
      };
      await applyAndRoll(env, cloneSet(ns, 'web', spec));
      await new Promise((r) => setTimeout(r, 1500)); // let every Pod pass minReadySeconds first
      const t0 = Date.now();
      const result = await (await env.client.start({ namespace: ns, name: 'web', images: { nginx: 'nginx:1.27' } })).result();
      const makespan = (Date.now() - t0) / 1000;
      const ideal = Math.ceil(200 / 20) * (1 + 1 + 1);
      report({ scenario: 'S1', pods: 200, window: 20, makespanS: makespan, idealS: ideal, ratio: +(makespan / ideal).toFixed(3), target: '≤ 1.05' });
      expect(result.updatedInPlace).toBe(200);
    } finally {
      await env.stop();
    }
  });

  it('S2 throughput: 1,000 Pods, window 100, no delays', async () => {
    const env = await startTestEnv({ kubelet: { startDelayMs: 0, restartDelayMs: 0, readyDelayMs: 0 } });
    try {
      const ns = uniqueNamespace('s2');
      await applyAndRoll(env, cloneSet(ns, 'web', { replicas: 1000, updateStrategy: { type: 'InPlaceIfPossible', maxUnavailable: 100 } }));
      const t0 = Date.now();
      const result = await (await env.client.start({ namespace: ns, name: 'web', images: { nginx: 'nginx:1.27' } })).result();
      const seconds = (Date.now() - t0) / 1000;
      report({ scenario: 'S2', pods: 1000, window: 100, makespanS: seconds, podsPerS: +(1000 / seconds).toFixed(1), target: '≥ 100 Pods/s' });
      expect(result.updatedInPlace).toBe(1000);
    } finally {
      await env.stop();
    }
  });

  it('S4 concurrency: 100 CloneSets × 10 Pods at once on one worker', async () => {
    const env = await startTestEnv({ worker: false, kubelet: { startDelayMs: 100, restartDelayMs: 1000, readyDelayMs: 0 } });
    try {
      // BENCH_CPU_PROF=DIR: the worker writes a V8 CPU profile there when it stops.
      const prof = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
      await withWorkerProcess(
        env,
        async (worker) => {
          const names = Array.from({ length: 100 }, (_, i) => ({ ns: uniqueNamespace('s4'), i }));
          await Promise.all(
            names.map(({ ns }) => applyAndRoll(env, cloneSet(ns, 'web', { replicas: 10, updateStrategy: { type: 'InPlaceIfPossible', maxUnavailable: 2 } }))),
          );
          const ideal = Math.ceil(10 / 2) * 1; // restart 1 s per wave, no grace, no minReady
          const meter = new CpuMeter({
            worker: worker.pid,
            'sim cluster': process.pid,
            temporal: production ? production.serverPid() : temporalServerPid(env.address),
            ...(production ? { postgres: { tree: production.postgresPid() } } : {}),
          }).start();
          const t0 = Date.now();
          const ratios = await Promise.all(
            names.map(async ({ ns }) => {
              const t1 = Date.now();
              const r = await (await env.client.start({ namespace: ns, name: 'web', images: { nginx: 'nginx:1.27' } })).result();
              expect(r.updatedInPlace).toBe(10);
              return (Date.now() - t1) / 1000 / ideal;
            }),
          );
          const wallS = (Date.now() - t0) / 1000;
          const cpu = meter.stop();
          const rss = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${worker.pid}/status`, 'utf8'))?.[1] ?? NaN);
          report({
            scenario: 'S4',
            temporal: production ? `server ${production.endpoints().temporalServerVersion} on PostgreSQL` : 'dev server',
            rollouts: 100,
            podsEach: 10,
            window: 2,
            idealS: ideal,
            p50: +pct(ratios, 50).toFixed(2),
            p95: +pct(ratios, 95).toFixed(2),
            wallS: +wallS.toFixed(1),
            workerPeakRssMB: Math.round(rss / 1024),
            // Cores busy on average over the run, by process: the machine has os.cpus().length of them.
            ...Object.fromEntries(Object.entries(cpu).map(([k, v]) => [`cores.${k}`, +(v / wallS).toFixed(2)])),
            ...Object.fromEntries(Object.entries(perThousand(cpu, 1000)).map(([k, v]) => [`cpuPer1000.${k}`, v])),
          });
        },
        { NODE_OPTIONS: WORKER_NODE_OPTIONS },
        prof,
      );
    } finally {
      await env.stop();
    }
  });
});
