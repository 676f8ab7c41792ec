/**
 * Lifecycle hooks (spec.lifecycle.inPlaceUpdate / preDelete): the rollout holds a Pod in PreparingUpdate /
 * PreparingDelete until an external actor — this test, acting like a service-registry controller — releases it, and
 * holds an updated Pod in Updated until the actor hooks it again. The worker runs as a separate process and is
 * SIGKILLed while a Pod is held: the hold survives, and nothing moves until the release.
 *
 * Slow enough by construction: every step the test checks happens while a hook holds the Pod, and only the test
 * releases it (the sleeps only check that nothing moves meanwhile).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { V1Pod } from '@kubernetes/client-node';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { ReadinessWatcher } from '../support/watcher.js';
import { WorkerProcess } from '../support/worker-process.js';
import { until } from '../support/until.js';
import { cloneSet, startTestEnv, uniqueNamespace, type TestEnv } from '../support/env.js';
import { applyCloneSet } from '../../src/kube/apply.js';

const STATE = 'lifecycle.apps.kruise.io/state';
const HOOK_LABEL = 'hooks.example.com/in-service';
const HOOK_FINALIZER = 'hooks.example.com/deregister';
const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

let env: TestEnv;
let worker: WorkerProcess;
const kubeconfigPath = join(mkdtempSync(join(tmpdir(), 'lifecycle-')), 'kubeconfig');

beforeAll(async () => {
  env = await startTestEnv({ worker: false });
  await env.cluster.api!.writeKubeconfig(kubeconfigPath);
  worker = new WorkerProcess({ address: env.address, taskQueue: env.taskQueue, kubeconfigPath });
  await worker.start();
});
afterEach(async (ctx) => {
  if (ctx.task.result?.state === 'fail') console.error(`worker log:\n${worker.tail()}`);
  if (!worker.running) await worker.start();
});
afterAll(async () => {
  await worker?.stop();
  await env?.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const state = (p: V1Pod | undefined) => p?.metadata?.labels?.[STATE];
const image = (p: V1Pod | undefined) => p?.spec?.containers[0]?.image;
const gate = (p: V1Pod | undefined) => p?.status?.conditions?.find((c) => c.type === 'InPlaceUpdateReady')?.status;

async function patchPod(ns: string, name: string, metadata: Record<string, unknown>) {
  await env.k.core.patchNamespacedPod({ name, namespace: ns, body: { metadata } }, merge);
}

describe('lifecycle hooks', () => {
  it('inPlaceUpdate: holds each Pod in PreparingUpdate until released (across a worker kill), then Updated until hooked again', async () => {
    const ns = uniqueNamespace('hook');
    const cs = cloneSet(ns, 'web', {
      replicas: 2,
      lifecycle: { inPlaceUpdate: { labelsHandler: { [HOOK_LABEL]: 'true' }, markPodNotReady: true } },
      updateStrategy: { type: 'InPlaceIfPossible', maxUnavailable: 1 },
    });
    cs.spec.template.metadata!.labels![HOOK_LABEL] = 'true';
    await applyCloneSet(env.k, cs);
    await (await env.client.start({ namespace: ns, name: 'web' })).result();
    const w = new ReadinessWatcher(env.cluster.kubeConfig(), ns, 'app=web');
    await w.start();
    const uids = Object.fromEntries(w.livePods().map((p) => [p.metadata!.name!, p.metadata!.uid!]));
    expect(Object.keys(uids)).toHaveLength(2);

    const handle = await env.client.start({ namespace: ns, name: 'web', images: { nginx: 'nginx:1.27' } });
    const first = await until('a Pod in PreparingUpdate', () => w.livePods().find((p) => state(p) === 'PreparingUpdate'));
    const firstName = first.metadata!.name!;
    const otherName = Object.keys(uids).find((n) => n !== firstName)!;
    // markPodNotReady: drained while held; image untouched; the other Pod is not taken (maxUnavailable 1).
    await until('the held Pod drained', () => gate(w.pod(firstName)) === 'False');

    await worker.kill();
    await sleep(1_500);
    await worker.start();
    await sleep(2_000);
    expect(state(w.pod(firstName))).toBe('PreparingUpdate');
    expect(image(w.pod(firstName))).toBe('nginx:perl');
    expect(state(w.pod(otherName))).toBe('Normal');
    expect(image(w.pod(otherName))).toBe('nginx:perl');
    const progress = await handle.progress();
    expect(progress.pods[firstName]?.step).toBe('LifecycleHook');

    // The actor releases the Pod: the update goes on, and stops again in Updated (gate True, hook not back yet).
    await patchPod(ns, firstName, { labels: { [HOOK_LABEL]: 'false' } });
    await until('first Pod Updated', () => state(w.pod(firstName)) === 'Updated', 30_000);
    expect(image(w.pod(firstName))).toBe('nginx:1.27');
    await sleep(1_000);
    expect(state(w.pod(firstName))).toBe('Updated');
    expect(state(w.pod(otherName))).toBe('Normal'); // still the window's one unavailable Pod
    await patchPod(ns, firstName, { labels: { [HOOK_LABEL]: 'true' } });
    await until('first Pod Normal', () => state(w.pod(firstName)) === 'Normal', 30_000);

    // From here the actor answers every hook at once, as a registry controller would.
    const actor = setInterval(() => {
      for (const p of w.livePods()) {
        const name = p.metadata!.name!;
        if (state(p) === 'PreparingUpdate' && p.metadata?.labels?.[HOOK_LABEL] === 'true') void patchPod(ns, name, { labels: { [HOOK_LABEL]: 'false' } });
        if (state(p) === 'Updated' && p.metadata?.labels?.[HOOK_LABEL] === 'false') void patchPod(ns, name, { labels: { [HOOK_LABEL]: 'true' } });
      }
    }, 50);
    try {
      const result = await handle.result();
      expect(result.updatedInPlace).toBe(2);
    } finally {
      clearInterval(actor);
    }
    w.stop();
    for (const [name, uid] of Object.entries(uids)) {
      const h = w.pods[name]!;
      expect(h.uid).toBe(uid); // in place: same Pods
      expect(h.deleted).toBe(false);
      expect(h.images.nginx).toEqual(['nginx:perl', 'nginx:1.27']);
      expect(h.lifecycle).toEqual(['Normal', 'PreparingUpdate', 'Updating', 'Updated', 'Normal']);
    }
  });

  it('preDelete: a Pod scaled away waits in PreparingDelete until its finalizer is removed', async () => {
    const ns = uniqueNamespace('hook');
    const cs = cloneSet(ns, 'web', {
      replicas: 2,
      lifecycle: { preDelete: { finalizersHandler: [HOOK_FINALIZER], markPodNotReady: true } },
    });
    cs.spec.template.metadata!.finalizers = [HOOK_FINALIZER];
    await applyCloneSet(env.k, cs);
    await (await env.client.start({ namespace: ns, name: 'web' })).result();
    const w = new ReadinessWatcher(env.cluster.kubeConfig(), ns, 'app=web');
    await w.start();
    expect(w.livePods().every((p) => p.metadata?.finalizers?.includes(HOOK_FINALIZER))).toBe(true);

    await applyCloneSet(env.k, { ...cs, spec: { ...cs.spec, replicas: 1 } });
    const handle = await env.client.start({ namespace: ns, name: 'web' });
    const held = await until('a Pod in PreparingDelete', () => w.livePods().find((p) => state(p) === 'PreparingDelete'));
    const name = held.metadata!.name!;
    await until('the held Pod drained', () => gate(w.pod(name)) === 'False');
    await sleep(1_500);
    expect(w.pod(name)?.metadata?.deletionTimestamp).toBeUndefined(); // not deleted while hooked
    expect(w.pods[name]!.deleted).toBe(false);

    await patchPod(ns, name, { finalizers: [] });
    const result = await handle.result();
    expect(result.deleted).toBe(1);
    await until('the Pod gone', () => w.pods[name]!.deleted, 10_000);
    w.stop();
    expect(w.pods[name]!.lifecycle).toEqual(['Normal', 'PreparingDelete']);
    expect(w.livePods()).toHaveLength(1);
  });
});
