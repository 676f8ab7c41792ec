/**
 * Determinism guard: histories saved from real runs (test/histories/*.json) must replay on the current workflow
 * code. A change to the workflow's logic that would break running rollouts fails here; such a change needs
 * `patched()`. Refresh the saved histories with `SAVE_HISTORIES=1 npx vitest run --project integration replay`
 * only when adding scenarios, never to hide a failure.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findTemporalCli } from '../../src/temporal/binary.js';
import { bundleWorkflows } from '../../src/worker/index.js';
import { applyAndRoll, cloneSet, startTestEnv, testLogger, uniqueNamespace, type TestEnv } from '../support/env.js';

const dir = new URL('../histories/', import.meta.url).pathname;
const saved = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();

let env: TestEnv;
let bundle: Awaited<ReturnType<typeof bundleWorkflows>>;
beforeAll(async () => {
  env = await startTestEnv();
  bundle = await bundleWorkflows(testLogger);
});
afterAll(async () => {
  await env?.stop();
});

describe('workflow replay', () => {
  it('has saved histories to replay', () => {
    expect(saved.length).toBeGreaterThanOrEqual(4);
  });

  it.each(saved)('replays %s on the current code', async (file) => {
    const history = JSON.parse(readFileSync(join(dir, file), 'utf8')) as unknown;
    await expect(Worker.runReplayHistory({ workflowBundle: bundle }, history, file)).resolves.toBeUndefined();
  });

  it.each([
    ['scale-up-5', (ns: string) => cloneSet(ns, 'web', { replicas: 5 }), undefined],
    ['in-place-with-grace', (ns: string) => cloneSet(ns, 'web', { replicas: 3, minReadySeconds: 1, updateStrategy: { type: 'InPlaceIfPossible', inPlaceUpdateStrategy: { gracePeriodSeconds: 1 } } }), { nginx: 'nginx:1.27' }],
    ['recreate-and-scale-down', (ns: string) => cloneSet(ns, 'web', { replicas: 3, updateStrategy: { type: 'ReCreate' } }), { nginx: 'nginx:1.27' }],
    // Batched lanes, local activities and planning in the observing activity (the patched paths of today's code).
    ['in-place-batched', (ns: string) => cloneSet(ns, 'web', { replicas: 6, minReadySeconds: 1, updateStrategy: { type: 'InPlaceIfPossible', maxUnavailable: 2, inPlaceUpdateStrategy: { gracePeriodSeconds: 1 } } }), { nginx: 'nginx:1.27' }],
  ] as const)('a fresh %s run replays deterministically', async (scenario, make, images) => {
    const ns = uniqueNamespace('replay');
    await applyAndRoll(env, make(ns));
    const handle = await env.client.start({ namespace: ns, name: 'web', ...(images ? { images } : {}) });
    await handle.result();
    const history = await handle.workflow.fetchHistory();
    await expect(Worker.runReplayHistory({ workflowBundle: bundle }, history, scenario)).resolves.toBeUndefined();
    if (process.env.SAVE_HISTORIES) {
      // The CLI's JSON is the format `temporal workflow show` users save and historyFromJSON reads.
      const json = execFileSync(findTemporalCli()!, ['workflow', 'show', '--address', env.address, '--workflow-id', handle.workflowId, '--output', 'json'], {
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
      });
      writeFileSync(join(dir, `${scenario}.json`), json);
    }
  });
});
