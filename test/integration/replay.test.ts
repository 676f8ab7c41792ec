/**
 * Determinism guard: the histories saved from real runs (test/histories/*.json, recorded by `npm run
 * histories:record`) must replay on the current workflow code, the prebuilt bundle workers load. A change to the
 * workflow's logic that would break a running rollout fails here — and the guard is shown to catch such changes: the
 * same histories replayed on deliberately changed workflows (test/histories/changed/) must fail. The versioning rule
 * (patched → deprecatePatch → remove) and when to re-record: docs/workflow-versioning.md.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { beforeAll, describe, expect, it } from 'vitest';

const dir = fileURLToPath(new URL('../histories/', import.meta.url));
const dist = fileURLToPath(new URL('../../dist/', import.meta.url));
const saved = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort();
const history = (file: string) => JSON.parse(readFileSync(join(dir, file), 'utf8')) as unknown;
/** Scenarios recorded with a grace period before the image patch (test/histories/record.test.ts). */
const WITH_GRACE = ['in-place-batched.json', 'controls-pause-abort-rollback.json'];

type Bundle = { code: string };
const current: Bundle = { code: existsSync(join(dist, 'workflow-bundle.js')) ? readFileSync(join(dist, 'workflow-bundle.js'), 'utf8') : '' };

/** The current workflow code with one interceptor module that changes what it does. */
async function changed(module: string): Promise<Bundle> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: join(dist, 'workflows/index.js'),
    workflowInterceptorModules: [fileURLToPath(new URL(`../histories/changed/${module}`, import.meta.url))],
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} },
  });
  return { code };
}

const NONDETERMINISM = /[Nn]ondeterminis|DeterminismViolation/;

describe('workflow replay', () => {
  it('has the prebuilt bundle and the saved histories of every recorded scenario', () => {
    expect(current.code, 'dist/workflow-bundle.js is missing: run npm run build').not.toBe('');
    expect(saved).toEqual(
      expect.arrayContaining([
        'scale-up-5.json',
        'in-place-batched.json',
        'recreate-and-scale-down.json',
        'controls-pause-abort-rollback.json',
        'stuck-then-new-spec.json',
        'lifecycle-hooks.json',
        'continue-as-new.json',
        'continue-as-new-run2.json',
      ]),
    );
  });

  it.each(saved)('replays %s on the current code', async (file) => {
    await expect(Worker.runReplayHistory({ workflowBundle: current }, history(file), file)).resolves.toBeUndefined();
  });

  describe('a changed workflow fails replay', () => {
    let skipGrace: Bundle;
    let extraStep: Bundle;
    beforeAll(async () => {
      [skipGrace, extraStep] = await Promise.all([changed('skip-grace.ts'), changed('extra-step.ts')]);
    }, 120_000);

    it.each(WITH_GRACE)('one that skips the grace period fails on %s', async (file) => {
      await expect(Worker.runReplayHistory({ workflowBundle: skipGrace }, history(file), file)).rejects.toThrow(NONDETERMINISM);
    });

    it('one that skips the grace period still replays scale-up-5.json (no grace there: the guard fails only what changed)', async () => {
      await expect(Worker.runReplayHistory({ workflowBundle: skipGrace }, history('scale-up-5.json'), 'scale-up-5')).resolves.toBeUndefined();
    });

    it.each(saved)('one with an extra step before the rollout fails on %s', async (file) => {
      await expect(Worker.runReplayHistory({ workflowBundle: extraStep }, history(file), file)).rejects.toThrow(NONDETERMINISM);
    });
  });
});
