/**
 * `cloneset-rollout status|status --json|report` of rollouts that did not complete, as a user meets them: a rollout
 * of a CloneSet that does not exist (started with the README's `temporal workflow start`), a `rollback --to-revision`
 * to a revision the CloneSet never had, and a run stopped with `temporal workflow terminate`. The progress record of
 * such a run still says where it was cut off (Preparing, Paused); the CLI must say how it ended, and exit 2.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyCloneSet } from '../../src/kube/apply.js';
import { findTemporalCli } from '../../src/temporal/binary.js';
import { applyAndRoll, cloneSet, ensureNamespace, startTestEnv, uniqueNamespace, type TestEnv } from '../support/env.js';

const run = promisify(execFile);
let env: TestEnv;
beforeAll(async () => {
  env = await startTestEnv();
});
afterAll(async () => {
  await env?.stop();
});

type Out = { code: number; stdout: string; stderr: string };

async function exec(file: string, args: string[]): Promise<Out> {
  try {
    const { stdout, stderr } = await run(file, args, { timeout: 90_000, encoding: 'utf8' });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** The project's CLI as a user runs it (bin/, built), against this file's task queue. */
const cli = (...args: string[]) => exec(process.execPath, ['bin/cloneset-rollout.js', ...args, '--address', env.address, '--task-queue', env.taskQueue]);
/** The Temporal CLI. */
const temporal = (...args: string[]) => exec(findTemporalCli()!, [...args, '--address', env.address]);

/** Waits (by the Temporal CLI's long poll, not a timer) for the run to close; returns what `result` printed. */
async function closed(workflowId: string): Promise<Out> {
  return temporal('workflow', 'result', '--workflow-id', workflowId);
}

/** `status --once`, `status --once --json`, live `status` and `report` of one CloneSet's rollout. */
async function views(ns: string, name: string) {
  const once = await cli('status', name, '-n', ns, '--once');
  const jsonOut = await cli('status', name, '-n', ns, '--once', '--json');
  const live = await cli('status', name, '-n', ns, '--interval', '200');
  const file = join(mkdtempSync(join(tmpdir(), 'closed-report-')), `${name}.html`);
  const report = await cli('report', name, '-n', ns, '--out', file);
  return {
    once,
    json: { ...jsonOut, value: JSON.parse(jsonOut.stdout || 'null') as Record<string, unknown> | null },
    live,
    report,
    html: readFileSync(file, 'utf8'),
    file,
  };
}

describe('status and report of rollouts that did not complete', () => {
  it('a rollout of a CloneSet that does not exist (temporal workflow start): Failed with "not found", exit 2', async () => {
    const ns = uniqueNamespace('gone');
    const id = `cloneset/${ns}/nginxweb1`;
    const start = await temporal(
      'workflow',
      'start',
      '--type',
      'rolloutCloneSet',
      '--task-queue',
      env.taskQueue,
      '--workflow-id',
      id,
      '--input',
      JSON.stringify({ namespace: ns, name: 'nginxweb1' }),
    );
    expect(start.code, start.stderr).toBe(0);
    const result = await closed(id);
    expect(result.code).not.toBe(0);
    const message = `CloneSet ${ns}/nginxweb1 not found`;

    const v = await views(ns, 'nginxweb1');
    expect(v.once.code).toBe(2);
    expect(v.once.stdout.split('\n')[0]).toBe(`${ns}/nginxweb1  Failed  ? → ?  (?)`);
    expect(v.once.stdout).toContain(`  error: ${message}`);
    expect(v.once.stdout).not.toContain('Preparing');

    expect(v.json.code).toBe(2);
    expect(v.json.value).toMatchObject({ phase: 'Failed', error: message, execution: { status: 'FAILED', failureType: 'CloneSetNotFound' } });

    expect(v.live.code).toBe(2);
    expect(v.live.stdout.trimEnd().split('\n').at(-1)).toBe(`${ns}/nginxweb1: Failed (${message})`);

    expect(v.report.code).toBe(2);
    expect(v.report.stdout).toBe(`wrote ${v.file} (0 Pods, Failed: ${message})\n`);
    expect(v.html).toContain(`Rollout ${ns}/nginxweb1 — Failed`);
    expect(v.html).toContain(`<b>error:</b> ${message}`);
  });

  it('`rollback --to-revision 7` of a CloneSet without revision 7: Failed with "has no revision 7", exit 2', async () => {
    const ns = uniqueNamespace('norev');
    await applyAndRoll(env, cloneSet(ns, 'web', { replicas: 2 }));
    const rollback = await cli('rollback', 'web', '-n', ns, '--to-revision', '7');
    expect(rollback.code).toBe(1);
    expect(rollback.stderr).toMatch(/has no revision 7 \(known: 1\)/);
    const message = `CloneSet ${ns}/web has no revision 7 (known: 1)`;

    const v = await views(ns, 'web');
    expect(v.once.code).toBe(2);
    expect(v.once.stdout).toMatch(new RegExp(`^${ns}/web  Failed  `));
    expect(v.once.stdout).toContain(`  error: ${message}`);
    expect(v.json.code).toBe(2);
    expect(v.json.value).toMatchObject({ phase: 'Failed', error: message, execution: { status: 'FAILED', failureType: 'InvalidSpec' } });
    expect(v.live.code).toBe(2);
    expect(v.live.stdout.trimEnd().split('\n').at(-1)).toBe(`${ns}/web: Failed (${message})`);
    expect(v.report.code).toBe(2);
    expect(v.report.stdout).toBe(`wrote ${v.file} (0 Pods, Failed: ${message})\n`);
    expect(v.html).toContain(`<b>error:</b> ${message}`);
  });

  it('a run stopped by `temporal workflow terminate --reason`: Terminated with "terminated: reason", exit 2; a completed run stays Completed, exit 0', async () => {
    const ns = uniqueNamespace('term');
    await applyAndRoll(env, cloneSet(ns, 'web', { replicas: 2 }));
    // Completed: exit 0, no error.
    const done = await cli('status', 'web', '-n', ns, '--once', '--json');
    expect(done.code).toBe(0);
    expect(JSON.parse(done.stdout)).toMatchObject({ phase: 'Completed', error: null, execution: { status: 'COMPLETED' } });

    // A new image under a paused spec: the rollout observes, reports Paused and holds (deterministically) until terminated.
    await ensureNamespace(env.k, ns);
    const paused = cloneSet(ns, 'web', { replicas: 2, updateStrategy: { paused: true } });
    paused.spec.template.spec.containers[0]!.image = 'nginx:1.27';
    await applyCloneSet(env.k, paused);
    const h = await env.client.start({ namespace: ns, name: 'web' });
    for (;;) {
      const p = await h.progress().catch(() => null);
      if (p?.phase === 'Paused') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const running = await cli('status', 'web', '-n', ns, '--once');
    expect(running.code).toBe(0);
    expect(running.stdout).toMatch(new RegExp(`^${ns}/web  Paused  `));

    const term = await temporal('workflow', 'terminate', '--workflow-id', h.workflowId, '--reason', 'operator stop');
    expect(term.code, term.stderr).toBe(0);
    await closed(h.workflowId);
    expect((await h.progress()).phase).toBe('Paused'); // the record as the run left it

    const v = await views(ns, 'web');
    expect(v.once.code).toBe(2);
    expect(v.once.stdout).toMatch(new RegExp(`^${ns}/web  Terminated  `));
    expect(v.once.stdout).toContain('  error: terminated: operator stop');
    expect(v.json.code).toBe(2);
    expect(v.json.value).toMatchObject({ phase: 'Terminated', error: 'terminated: operator stop', execution: { status: 'TERMINATED', failureType: null } });
    expect(v.live.code).toBe(2);
    expect(v.live.stdout.trimEnd().split('\n').at(-1)).toBe(`${ns}/web: Terminated (terminated: operator stop)`);
    expect(v.report.code).toBe(2);
    expect(v.report.stdout).toBe(`wrote ${v.file} (0 Pods, Terminated: terminated: operator stop)\n`);
    expect(v.html).toContain(`Rollout ${ns}/web — Terminated`);

    // The typed client says the same.
    expect(await h.status()).toMatchObject({ phase: 'Terminated', error: 'terminated: operator stop' });
  });
});
