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
import { startSimKubelet, type SimKubelet } from '../../src/sim/index.js';

let env: TestEnv;
let worker: WorkerProcess;
/** The kubelet started again by a test that stopped the cluster's own. */
let kubelet: SimKubelet | undefined;
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
  await kubelet?.stop();
  await env?.stop();
});

const watch = (ns: string, desired: number) => watchPods(env.cluster.kubeConfig(), ns, desired);

const readyPods = (w: ReadinessWatcher) => w.livePods().filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length;

/**
 * Kills the worker, starts a new one at once, and returns ms from the new worker being up (polling) to the next Pod
 * step, or to the rollout's end if the kill came after its last step (`doneAt`: set when the result arrives). From
 * the new worker's readiness, not its spawn: how long a process takes to start depends on the machine, how long the
 * rollout takes to resume depends on Temporal's timeouts.
 */
async function killAndRestart(w: ReadinessWatcher, why: string, doneAt: () => number | undefined): Promise<number> {
  await worker.kill();
  const { spawnedAt, readyAt } = await worker.start();
  const resumedAt = await until(`a Pod step or the end after the restart (${why})`, () => w.firstStepAfter(spawnedAt)?.atMs ?? doneAt(), 60_000);
  testLogger.info({ why, resumeMs: resumedAt - readyAt, startMs: readyAt - spawnedAt }, 'resumed after kill');
  return Math.max(0, resumedAt - readyAt);
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
    // The kill lands 8 s into the 20 s grace (timers, not speed, make that window).
    await new Promise((r) => setTimeout(r, 8_000));
    await worker.kill();
    await new Promise((r) => setTimeout(r, 1_000));
    const { readyAt } = await worker.start();
    await handle.result();
    w.stop();
    const h = Object.values(w.pods)[0]!;
    const graceMs = h.imagePatchedAt[0]! - gateOff;
    testLogger.info({ graceMs, afterReadyMs: h.imagePatchedAt[0]! - readyAt }, 'grace measured across a kill');
    expect(h.gateOffAt).toHaveLength(1);
    expect(h.imagePatchedAt).toHaveLength(1);
    // Never shorter than the grace. A grace restarted by the new worker would start after it is up (readyAt) and
    // land ≥ 20 s after that; the grace kept lands at gate-off + 20 s, or at once if the new worker came up later.
    // The slack below 20 s covers the sticky queue timeout (2 s) and the workflow task of the fired timer.
    expect(graceMs).toBeGreaterThanOrEqual(19_900);
    expect(h.imagePatchedAt[0]! - readyAt).toBeLessThan(16_000);
    expect(h.containerIds.nginx).toHaveLength(2);
  });

  it('resumes within 15 s of a new worker being up after kills right after an image patch and during readiness waits, restarting each container once', async () => {
    const ns = uniqueNamespace('kill');
    const cs = cloneSet(ns, 'web', {
      replicas: 4,
      minReadySeconds: 1,
      updateStrategy: { type: 'InPlaceIfPossible', maxUnavailable: 2, inPlaceUpdateStrategy: { gracePeriodSeconds: 1 } },
    });
    if (!worker.running) await worker.start();
    await applyCloneSet(env.k, cs);
    await (await env.client.start({ namespace: ns, name: 'web' })).result();
    const w = await watch(ns, 4);
    const handle = await env.client.start({ namespace: ns, name: 'web', images: { nginx: 'nginx:1.27' } });
    let endedAt: number | undefined;
    const done = handle.result().then((r) => {
      endedAt = Date.now();
      return r;
    });
    done.catch(() => undefined); // awaited below; a failure is reported there
    const ended = () => endedAt;
    // Nothing here needs the rollout slower than it is: a kill after its last Pod step counts its end as the
    // resumption, and the resumption is timed from the new worker being up, not from its (machine-bound) start.
    const resumes: number[] = [];
    // 1. Right after the first image patch (the workflow may not have recorded the patch activity yet).
    await until('first image patch', () => w.steps.some((s) => s.what === 'image'));
    resumes.push(await killAndRestart(w, 'right after an image patch', ended));
    // 2. While a patched Pod waits for readiness (gate True, kubelet not Ready yet) or for its containers.
    const patchedSoFar = w.steps.filter((s) => s.what === 'image').length;
    await until(
      'a later patch',
      () => w.steps.filter((s) => s.what === 'image').length > patchedSoFar || (w.steps.some((s) => s.what === 'gate-on') && readyPods(w) < 4),
    );
    resumes.push(await killAndRestart(w, 'during a readiness wait', ended));
    const result = await done;
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
    // Slow enough by construction: the kubelet is stopped, so the patched Pod's container cannot restart and the Pod
    // stays drained at the new revision until the terminate, however fast the worker is; a new kubelet comes after.
    await env.cluster.kubelet!.stop();
    const first = await env.client.start({ namespace: ns, name: 'web', images: { nginx: 'nginx:1.27' } });
    await until('first image patch', () => w.steps.some((s) => s.what === 'image'));
    await first.workflow.terminate('simulated operator mistake');
    kubelet = await startSimKubelet(env.cluster.kubeConfig(), { startDelayMs: 50, restartDelayMs: 100, readyDelayMs: 1_500 });
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
