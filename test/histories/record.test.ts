/**
 * Records the saved histories the replay guard (test/integration/replay.test.ts) replays: each scenario runs a real
 * rollout on the dev server and the simulated cluster, and its history is written as `temporal workflow show
 * --output json` prints it. Not part of `npm test`: run `npm run histories:record` after a deliberate change to the
 * workflow that no running history needs to survive (see docs/workflow-versioning.md), and commit the files.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { applyCloneSet } from '../../src/kube/apply.js';
import { findTemporalCli } from '../../src/temporal/binary.js';
import type { CloneSet } from '../../src/rollout/index.js';
import type { RolloutHandle } from '../../src/client/index.js';
import { applyAndRoll, cloneSet, startTestEnv, uniqueNamespace, type TestEnv } from '../support/env.js';

const dir = new URL('./', import.meta.url).pathname;
const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
let env: TestEnv;
beforeAll(async () => {
  env = await startTestEnv();
});
afterAll(async () => {
  await env?.stop();
});

/** Saves the runs of a rollout (one that continued as new has several; the first two are kept): `<scenario>.json`, `-run2`. */
function save(scenario: string, handle: RolloutHandle, runIds: string[]): void {
  expect(runIds.length).toBeGreaterThan(0);
  runIds.slice(0, 2).forEach((runId, i) => {
    const json = execFileSync(
      findTemporalCli()!,
      ['workflow', 'show', '--address', env.address, '--workflow-id', handle.workflowId, '--run-id', runId, '--output', 'json'],
      { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
    );
    writeFileSync(join(dir, `${scenario}${i === 0 ? '' : `-run${i + 1}`}.json`), json);
  });
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function runsOf(handle: RolloutHandle): Promise<string[]> {
  const ids: string[] = [];
  for await (const w of env.client.client.workflow.list({ query: `WorkflowId = '${handle.workflowId}'` })) ids.push(w.runId);
  return ids.reverse();
}

async function roll(scenario: string, cs: CloneSet, images: Record<string, string>, drive?: (h: RolloutHandle, ns: string) => Promise<void>, extra: { historyEventsLimit?: number; rollbackOnFailure?: boolean } = {}) {
  const ns = cs.metadata.namespace!;
  const { handle: first } = await applyAndRoll(env, cs);
  const before = new Set(await runsOf(first)); // the rollout that created the Pods has the same workflow ID
  const handle = await env.client.start({ namespace: ns, name: 'web', images, ...extra });
  await drive?.(handle, ns);
  await handle.result();
  save(scenario, handle, (await runsOf(handle)).filter((r) => !before.has(r)));
}

const inPlace = (maxUnavailable: number, grace: number) => ({ type: 'InPlaceIfPossible' as const, maxUnavailable, inPlaceUpdateStrategy: { gracePeriodSeconds: grace } });

describe('recording saved histories', () => {
  it('scale-up-5: a new CloneSet scaled from nothing to 5 Pods', async () => {
    const ns = uniqueNamespace('rec');
    await applyCloneSet(env.k, cloneSet(ns, 'web', { replicas: 5 }));
    const handle = await env.client.start({ namespace: ns, name: 'web' });
    expect((await handle.result()).created).toBe(5);
    save('scale-up-5', handle, await runsOf(handle));
  });

  it('in-place-batched: 6 Pods in place, two at a time, a grace period and minReadySeconds', async () => {
    await roll('in-place-batched', cloneSet(uniqueNamespace('rec'), 'web', { replicas: 6, minReadySeconds: 1, updateStrategy: inPlace(2, 1) }), { nginx: 'nginx:1.27' });
  });

  it('recreate-and-scale-down: ReCreate with a scale-down in the same rollout', async () => {
    const ns = uniqueNamespace('rec');
    const cs = cloneSet(ns, 'web', { replicas: 4, updateStrategy: { type: 'ReCreate' } });
    const { handle: first } = await applyAndRoll(env, cs);
    const before = new Set(await runsOf(first));
    cs.spec.replicas = 3;
    cs.spec.template.spec.containers[0]!.image = 'nginx:1.27';
    await applyCloneSet(env.k, cs);
    const handle = await env.client.start({ namespace: ns, name: 'web' });
    await handle.result();
    save('recreate-and-scale-down', handle, (await runsOf(handle)).filter((r) => !before.has(r)));
  });

  it('controls: pause at a safe point, resume, then abort with rollback', async () => {
    const cs = cloneSet(uniqueNamespace('rec'), 'web', { replicas: 4, updateStrategy: inPlace(1, 2) });
    await roll('controls-pause-abort-rollback', cs, { nginx: 'nginx:1.27' }, async (h) => {
      await until('a Pod in its grace period', async () => Object.values((await h.progress()).pods).some((p) => p.step === 'GracePeriod'));
      await h.pause();
      await h.resume();
      await until('a Pod updated', async () => (await h.progress()).counts.updated >= 1);
      await h.abort({ rollback: true });
    });
  });

  it('stuck-then-new-spec: the progress deadline passes on an unpullable image, a new image unsticks it', async () => {
    const cs = cloneSet(uniqueNamespace('rec'), 'web', { replicas: 3, progressDeadlineSeconds: 2, updateStrategy: inPlace(1, 0) });
    await roll('stuck-then-new-spec', cs, { nginx: 'nginx:unpullable' }, async (h) => {
      await until('phase Stuck', async () => (await h.progress()).phase === 'Stuck');
      await h.retarget({ nginx: 'nginx:1.28' });
    });
  });

  it('lifecycle-hooks: an inPlaceUpdate hook holds the Pod until released, then in Updated until hooked again', async () => {
    const ns = uniqueNamespace('rec');
    const label = 'hooks.example.com/in-service';
    const cs = cloneSet(ns, 'web', { replicas: 1, lifecycle: { inPlaceUpdate: { labelsHandler: { [label]: 'true' } } }, updateStrategy: inPlace(1, 0) });
    cs.spec.template.metadata!.labels![label] = 'true';
    const pod = async () => (await env.k.core.listNamespacedPod({ namespace: ns, labelSelector: 'app=web' })).items[0]!;
    const state = async () => (await pod()).metadata?.labels?.['lifecycle.apps.kruise.io/state'];
    const setHook = async (value: string | null) => {
      const p = await pod();
      await env.k.core.patchNamespacedPod({ name: p.metadata!.name!, namespace: ns, body: { metadata: { labels: { [label]: value } } } }, merge);
    };
    await roll('lifecycle-hooks', cs, { nginx: 'nginx:1.27' }, async () => {
      await until('PreparingUpdate', async () => (await state()) === 'PreparingUpdate');
      await setHook(null);
      await until('Updated', async () => (await state()) === 'Updated');
      await setHook('true');
    });
  });

  it('continue-as-new: a rollout whose history passes historyEventsLimit hands over to fresh runs', async () => {
    const cs = cloneSet(uniqueNamespace('rec'), 'web', { replicas: 30, updateStrategy: inPlace(2, 0) });
    await roll('continue-as-new', cs, { nginx: 'nginx:1.27' }, undefined, { historyEventsLimit: 200 });
    expect(existsSync(join(dir, 'continue-as-new-run2.json'))).toBe(true);
  });
});
