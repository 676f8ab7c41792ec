/**
 * `cloneset-rollout status|pause|resume|set-partition|set-max-unavailable|abort` as a user runs them (bin/, built),
 * against a rollout on the shared dev server, through the typed client.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setSpecPaused } from '../support/brake.js';
import { projectCli } from '../support/cli.js';
import { applyAndRoll, cloneSet, livePods, startTestEnv, uniqueNamespace, type TestEnv } from '../support/env.js';

let env: TestEnv;
beforeAll(async () => {
  env = await startTestEnv();
});
afterAll(async () => {
  await env?.stop();
});

const cli = (...args: string[]) => projectCli(env.address, args);

describe('cloneset-rollout operating commands', () => {
  it('shows, pauses, refuses a bad partition, widens the window, resumes, follows to completion, writes the HTML timeline, then refuses to abort a closed rollout', async () => {
    const ns = uniqueNamespace('cli');
    await applyAndRoll(env, cloneSet(ns, 'web', { replicas: 4, minReadySeconds: 1, updateStrategy: { type: 'InPlaceIfPossible', maxUnavailable: 1 } }));
    // What makes this rollout slow enough, on any machine: it starts braked (the CloneSet's own
    // updateStrategy.paused), so no Pod moves before the `pause` below is in place; the brake is released only then,
    // and from there the pause holds it until `resume`. After `set-max-unavailable 2` all 4 Pods are still pending,
    // so the first wave after `resume` necessarily takes 2 Pods together: "max in flight: 2" by construction.
    await setSpecPaused(env.k, ns, 'web', true);
    await env.client.start({ namespace: ns, name: 'web', images: { nginx: 'nginx:1.27' } });

    const snapshot = await cli('status', 'web', '-n', ns, '--once');
    expect(snapshot.code).toBe(0);
    expect(snapshot.stdout).toMatch(new RegExp(`${ns}/web\\s+\\w+`));
    expect(snapshot.stdout).toMatch(/updated\s+\[[#-]{20}\] \d\/4/);

    const paused = await cli('pause', 'web', '-n', ns);
    expect(paused).toMatchObject({ code: 0 });
    expect(paused.stdout).toBe(`paused ${ns}/web: paused, 0 Pod(s) in flight\n`);
    await setSpecPaused(env.k, ns, 'web', false); // the brake off: only the pause control holds the rollout now

    const bad = await cli('set-partition', 'web', '150%', '-n', ns);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('partition "150%" must be an integer ≥ 0 or a percentage between 0% and 100%');

    const wider = await cli('set-max-unavailable', 'web', '2', '-n', ns);
    expect(wider.stdout).toContain('paused, maxUnavailable 2, 0 Pod(s) in flight');

    const json = JSON.parse((await cli('status', 'web', '-n', ns, '--once', '--json')).stdout) as {
      paused: boolean;
      phase: string;
      controls: { maxUnavailable: number };
      counts: { updated: number };
    };
    expect(json).toMatchObject({ paused: true, phase: 'Paused', controls: { maxUnavailable: 2 } });
    const table = (await cli('status', 'web', '-n', ns, '--once')).stdout;
    expect(table).toContain('controls: paused · maxUnavailable 2 (override)');
    expect(json).toMatchObject({ counts: { updated: 0 } }); // nothing moved while paused

    expect((await cli('resume', 'web', '-n', ns)).stdout).toContain(`resumed ${ns}/web: running`);
    const live = await cli('status', 'web', '-n', ns, '--interval', '200');
    expect(live.code).toBe(0);
    expect(live.stdout).toMatch(/→ Done/);
    expect(live.stdout.trimEnd().split('\n').at(-1)).toBe(`${ns}/web: Completed`);

    const out = join(mkdtempSync(join(tmpdir(), 'report-')), 'web.html');
    const report = await cli('report', 'web', '-n', ns, '--out', out);
    expect(report.stdout).toBe(`wrote ${out} (4 Pods, Completed)\n`);
    const html = readFileSync(out, 'utf8');
    expect(html).toContain('max in flight: 2'); // the window widened to 2 by set-max-unavailable
    for (const pod of await livePods(env, ns, 'web')) expect(html).toContain(pod.metadata!.name!);

    const late = await cli('abort', 'web', '-n', ns);
    expect(late.code).toBe(1);
    expect(late.stderr).toMatch(/no running rollout cloneset\/.*\/web/);
  });
});
