/**
 * Rollouts survive their worker being SIGKILLed: the worker runs as a separate process (dist/, built by `npm run
 * build`), is killed at chosen moments and started again, and an independent watcher of the Pods checks the timing
 * and the invariants.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ReadinessWatcher, watchPods } from '../support/watcher.js';
import { WorkerProcess } from '../support/worker-process.js';
import { until } from '../support/until.js';
import { cloneSet, startTestEnv, testLogger, uniqueNamespace, type TestEnv } from '../support/env.js';
import { applyCloneSet } from '../../src/kube/apply.js';

let env: TestEnv;
let worker: WorkerProcess;
const kubeconfigPath = join(mkdtempSync(join(tmpdir(), 'worker-kill-')), 'kubeconfig');

beforeAll(async () => {
  // Slow enough readiness that a kill can land inside a readiness wait.
  env = await startTestEnv({ worker: false, kubelet: { readyDelayMs: 1_500 } });
  await env.cluster.api!.writeKubeconfig(kubeconfigPath);
  worker = new WorkerProcess({ address: env.address, taskQueue: env.taskQueue, kubeconfigPath });
});
afterEach(async (ctx) => {
  if (ctx.task.result?.state === 'fail') console.error(`worker log:\n${worker.tail()}`);
});
afterAll(async () => {
  await worker?.stop();
  await env?.stop();
});

const watch = (ns: string, desired: number) => watchPods(env.cluster.kubeConfig(), ns, desired);

const readyPods = (w: ReadinessWatcher) =>
  w.livePods().filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length;

/** Kills the worker, starts a new one at once, and returns ms from the new worker's spawn to the next Pod step. */
async function killAndRestart(w: ReadinessWatcher, why: string): Promise<number> {
  await worker.kill();
  const { spawnedAt } = await worker.start();
  const step = await until(`a Pod step after the restart (${why})`, () => w.firstStepAfter(spawnedAt), 30_000);
  testLogger.info({ why, resumeMs: step.atMs - spawnedAt, step }, 'resumed after kill');
  return step.atMs - spawnedAt;
}

describe('worker SIGKILL', () => {
  it('does not restart a 20 s grace period when the worker is killed in its middle: the patch lands ≈20 s after gate-off', async () => {
    const ns = uniqueNamespace('kill');
    const cs = cloneSet(ns, 'web', { replicas: 1, updateStrategy: { type: 'InPlaceIfPossible', inPlaceUpdateStrategy: { gracePeriodSeconds: 20 } } });
    await worker.start();
    await applyCloneSet(env.k, cs);
    await (await env.client.start({ namespace: ns, name: 'web' })).result();
    const w = await watch(ns, 1);
    const handle = await env.client.start({ namespace: ns, name: 'web', images: { nginx: 'nginx:1.27' } });
    const gateOff = await until('gate off', () => Object.values(w.pods)[0]?.gateOffAt[0]);
    await new Promise((r) => setTimeout(r, 8_000));
    await worker.kill();
    await new Promise((r) => setTimeout(r, 1_000));
    await worker.start();
    await handle.result();
    w.stop();
    const h = Object.values(w.pods)[0]!;
    const graceMs = h.imagePatchedAt[0]! - gateOff;
    testLogger.info({ graceMs }, 'grace measured across a kill');
    expect(h.gateOffAt).toHaveLength(1);
    expect(h.imagePatchedAt).toHaveLength(1);
    // Never shorter than the grace; a restarted grace would land at ≥ 29 s (kill at 8 s + 1 s + 20 s). The slack
    // above 20 s is the sticky queue timeout (3 s) for the workflow task of the fired timer.
    expect(graceMs).toBeGreaterThanOrEqual(19_900);
    expect(graceMs).toBeLessThan(25_000);
    expect(h.containerIds.nginx).toHaveLength(2);
  });

  it('resumes within 15 s after kills right after an image patch and during readiness waits, restarting each container once', async () => {
    const ns = uniqueNamespace('kill');
    const cs = cloneSet(ns, 'web', { replicas: 4, minReadySeconds: 1, updateStrategy: { type: 'InPlaceIfPossible', maxUnavailable: 2, inPlaceUpdateStrategy: { gracePeriodSeconds: 1 } } });
    if (!worker.running) await worker.start();
    await applyCloneSet(env.k, cs);
    await (await env.client.start({ namespace: ns, name: 'web' })).result();
    const w = await watch(ns, 4);
    const handle = await env.client.start({ namespace: ns, name: 'web', images: { nginx: 'nginx:1.27' } });
    const resumes: number[] = [];
    // 1. Right after the first image patch (the workflow may not have recorded the patch activity yet).
    await until('first image patch', () => w.steps.some((s) => s.what === 'image'));
    resumes.push(await killAndRestart(w, 'right after an image patch'));
    // 2. While a patched Pod waits for readiness (gate True, kubelet not Ready yet) or for its containers.
    const patchedSoFar = w.steps.filter((s) => s.what === 'image').length;
    await until('a later patch', () => w.steps.filter((s) => s.what === 'image').length > patchedSoFar || (w.steps.some((s) => s.what === 'gate-on') && readyPods(w) < 4));
    resumes.push(await killAndRestart(w, 'during a readiness wait'));
    const result = await handle.result();
    w.stop();
    testLogger.info({ resumes }, 'resumption times');
    expect(result.updatedInPlace).toBe(4);
    for (const ms of resumes) expect(ms).toBeLessThanOrEqual(15_000);
    for (const [name, h] of Object.entries(w.pods)) {
      expect(h.containerIds.nginx, name).toHaveLength(2); // original container + exactly one restart
      expect(h.deleted, name).toBe(false);
    }
    const pods = await env.k.core.listNamespacedPod({ namespace: ns });
    for (const p of pods.items) {
      expect(p.status!.conditions!.find((c) => c.type === 'InPlaceUpdateReady')?.status, p.metadata!.name).toBe('True');
      expect(p.status!.containerStatuses![0]!.image).toBe('nginx:1.27');
    }
    expect(w.maxUnavailable).toBeLessThanOrEqual(2);
  });

  it('finishes a Pod left drained by a terminated rollout (gate False at the new revision) without restarting it again', async () => {
    const ns = uniqueNamespace('kill');
    const cs = cloneSet(ns, 'web', { replicas: 3, updateStrategy: { type: 'InPlaceIfPossible', maxUnavailable: 1 } });
    if (!worker.running) await worker.start();
    await applyCloneSet(env.k, cs);
    await (await env.client.start({ namespace: ns, name: 'web' })).result();
    const w = await watch(ns, 3);
    const first = await env.client.start({ namespace: ns, name: 'web', images: { nginx: 'nginx:1.27' } });
    await until('first image patch', () => w.steps.some((s) => s.what === 'image'));
    await first.workflow.terminate('simulated operator mistake');
    const drained = (await env.k.core.listNamespacedPod({ namespace: ns })).items.filter(
      (p) => p.status?.conditions?.find((c) => c.type === 'InPlaceUpdateReady')?.status === 'False',
    );
    expect(drained).toHaveLength(1); // the terminated run left one Pod out of the endpoints, at the new revision
    const result = await (await env.client.start({ namespace: ns, name: 'web' })).result();
    w.stop();
    expect(result.pods[drained[0]!.metadata!.name!]?.action).toBe('inPlace');
    for (const [name, h] of Object.entries(w.pods)) expect(h.containerIds.nginx, name).toHaveLength(2);
    for (const p of (await env.k.core.listNamespacedPod({ namespace: ns })).items) {
      expect(p.status!.conditions!.find((c) => c.type === 'InPlaceUpdateReady')?.status, p.metadata!.name).toBe('True');
      expect(p.metadata!.labels!['lifecycle.apps.kruise.io/state']).toBe('Normal');
    }
    expect(w.maxUnavailable).toBeLessThanOrEqual(1);
  });
});
