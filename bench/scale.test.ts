/**
 * `npm run bench`, scale and resumption, with the worker as its own OS process (as in production):
 *
 *  S3 scale:       a 10,000-Pod CloneSet rolls in place to completion; no workflow run exceeds 4,096 history events
 *                  (continue-as-new); the worker process's peak RSS (VmHWM) stays ≤ 400 MB, with the heap bound the
 *                  shipped Dockerfile and Deployment set (worker-settings.ts).
 *  S5 resumption:  SIGKILL the worker mid-rollout and start a new one at once: time from the new worker's spawn to
 *                  the next Pod step an independent watcher sees, p50/p95 over 10 kills.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { pct, printTableAfterAll, report } from './report.js';
import { applyAndRoll, cloneSet, startTestEnv, uniqueNamespace } from '../test/support/env.js';
import { seedCloneSet } from '../test/support/seed.js';
import { listRuns } from '../test/support/runs.js';
import { ReadinessWatcher } from '../test/support/watcher.js';
import { withWorkerProcess } from './worker-process.js';
import { WORKER_NODE_OPTIONS } from './worker-settings.js';

printTableAfterAll();

/** Peak resident set size of a process, from /proc (Linux), in MB. */
function peakRssMb(pid: number): number {
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
  return Math.round(kb / 1024);
}

describe('scale benchmarks', () => {
  it('S3 scale: 10,000 Pods in place, window 500, one worker process', async () => {
    const env = await startTestEnv({ worker: false, kubelet: { startDelayMs: 0, restartDelayMs: 0, readyDelayMs: 0, nodes: 100 } });
    try {
      await withWorkerProcess(
        env,
        async (worker) => {
          const ns = uniqueNamespace('s3');
          const pods = 10_000;
          const seedStart = Date.now();
          await seedCloneSet(env, cloneSet(ns, 'web', { updateStrategy: { type: 'InPlaceIfPossible', maxUnavailable: 500 } }), pods, { timeoutMs: 600_000 });
          const seedS = (Date.now() - seedStart) / 1000;
          const t0 = Date.now();
          const startedAt = Date.now() - 1_000; // the server's clock may be a little behind ours
          const handle = await env.client.start({ namespace: ns, name: 'web', images: { nginx: 'nginx:1.27' } });
          const result = await handle.result();
          const makespanS = (Date.now() - t0) / 1000;
          const runs = await listRuns(env.client.client, handle.workflowId, result.runs ?? 1, startedAt);
          const lengths = runs.map((r) => r.historyLength);
          const rss = peakRssMb(worker.pid!);
          report({
            scenario: 'S3',
            pods,
            window: 500,
            seedS: +seedS.toFixed(1),
            makespanS: +makespanS.toFixed(1),
            podsPerS: +(pods / makespanS).toFixed(1),
            runs: lengths.length,
            maxEventsPerRun: Math.max(...lengths),
            maxHistoryMB: +(Math.max(...runs.map((r) => r.historySizeBytes ?? 0)) / 2 ** 20).toFixed(2),
            workerPeakRssMB: rss,
            target: '≤ 4,096 events per run, worker ≤ 400 MB',
          });
          expect(result.updatedInPlace).toBe(pods);
          expect(Math.max(...lengths)).toBeLessThanOrEqual(4096);
          expect(rss).toBeLessThanOrEqual(400);
        },
        { NODE_OPTIONS: WORKER_NODE_OPTIONS },
      );
    } finally {
      await env.stop();
    }
  });

  it('S5 resumption: SIGKILL the worker mid-rollout, start a new one; time to the next Pod step, over 10 kills', async () => {
    const env = await startTestEnv({ worker: false, kubelet: { startDelayMs: 50, restartDelayMs: 300, readyDelayMs: 50 } });
    try {
      await withWorkerProcess(env, async (worker) => {
        const ns = uniqueNamespace('s5');
        const cs = cloneSet(ns, 'web', { replicas: 40, updateStrategy: { type: 'InPlaceIfPossible', maxUnavailable: 4 } });
        await applyAndRoll(env, cs);
        const w = new ReadinessWatcher(env.cluster.kubeConfig(), ns, 'app=web');
        await w.start();
        const fromSpawn: number[] = [];
        const fromKill: number[] = [];
        for (let i = 0; i < 10; i++) {
          const handle = await env.client.start({ namespace: ns, name: 'web', images: { nginx: `nginx:1.${i + 1}` } });
          await new Promise((r) => setTimeout(r, 300 + Math.random() * 1500)); // a moment somewhere in the rollout
          const killedAt = Date.now();
          await worker.kill();
          const { spawnedAt } = await worker.start(60_000);
          const deadline = Date.now() + 60_000;
          let step = w.firstStepAfter(spawnedAt);
          while (!step) {
            if (Date.now() > deadline) throw new Error(`no Pod step within 60 s of restart ${i}`);
            await new Promise((r) => setTimeout(r, 10));
            step = w.firstStepAfter(spawnedAt);
          }
          fromSpawn.push(step.atMs - spawnedAt);
          fromKill.push(step.atMs - killedAt);
          const r = await handle.result();
          expect(r.toRevision).toBeTruthy();
        }
        w.stop();
        report({
          scenario: 'S5',
          kills: 10,
          spawnToStepP50Ms: pct(fromSpawn, 50),
          spawnToStepP95Ms: pct(fromSpawn, 95),
          killToStepP50Ms: pct(fromKill, 50),
          killToStepP95Ms: pct(fromKill, 95),
        });
      });
    } finally {
      await env.stop();
    }
  });
});
