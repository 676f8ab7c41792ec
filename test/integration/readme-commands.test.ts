/**
 * The README's "Operate a rollout" section, run as written: every ```sh block's commands, with the address and the
 * test's namespace and task queue substituted, through the real `temporal` binary against a running rollout on the
 * shared dev server. Each command's output is checked, so the README cannot drift from the workflow.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findTemporalCli } from '../../src/temporal/binary.js';
import { applyCloneSet } from '../../src/kube/apply.js';
import { CLONESET } from '../../src/kube/clients.js';
import { setSpecPaused } from '../support/brake.js';
import { applyAndRoll, cloneSet, livePods, startTestEnv, uniqueNamespace, type TestEnv } from '../support/env.js';
import { eventually } from '../support/until.js';

let env: TestEnv;
beforeAll(async () => {
  env = await startTestEnv();
});
afterAll(async () => {
  await env?.stop();
});

/** The commands of every ```sh block in the README section, continuation lines joined. */
export function sectionCommands(readme: string, heading: string): string[] {
  const start = readme.indexOf(`## ${heading}\n`);
  if (start < 0) throw new Error(`README has no "## ${heading}" section`);
  const end = readme.indexOf('\n## ', start + 3);
  const section = readme.slice(start, end < 0 ? undefined : end);
  const blocks = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
  return blocks.flatMap((b) =>
    b
      .replace(/\\\n\s*/g, '')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#')),
  );
}

/** What each README command must print (the first pattern matching the command applies). */
const checks: [RegExp, (out: string) => void][] = [
  [/workflow start/, (out) => expect(out).toMatch(/Running execution/)],
  [/--name progress/, (out) => expect(out).toMatch(/"name":\s*"nginxweb1"[\s\S]*"timing"/)],
  // `update execute` prints the result as a Go map: `Result    map[... inFlight:0 ... paused:true]`.
  [/--name pause/, (out) => expect(out).toMatch(/Result\s+map\[.*inFlight:0.*paused:true\]/)],
  [/--name setPartition/, (out) => expect(out).toMatch(/Result\s+map\[.*partition:50%/)],
  [/--name setMaxUnavailable/, (out) => expect(out).toMatch(/Result\s+map\[.*maxUnavailable:2 /)],
  [/--name resume/, (out) => expect(out).toMatch(/Result\s+map\[.*paused:false\]/)],
  [/--name abort/, (out) => expect(out).toMatch(/Result\s+map\[aborted:map\[.*rollback:true/)],
  [/workflow describe/, (out) => expect(out).toMatch(/Type\s+rolloutCloneSet[\s\S]*CloneSetName[\s\S]*RolloutPhase/)],
  [/workflow metadata/, (out) => expect(out).toMatch(/controls:.*partition 50% \(override\).*maxUnavailable 2 \(override\)/)],
  [/workflow list/, (out) => expect(out).toMatch(/cloneset\/\S+\/nginxweb1/)],
  [/workflow result/, (out) => expect(out).toMatch(/COMPLETED[\s\S]*"aborted"/)],
];

describe('README "Operate a rollout"', () => {
  it('runs every temporal command of the section against a live rollout: start, query, pause, partition, window, resume, describe, metadata, list, abort with rollback, result', async () => {
    const commands = sectionCommands(readFileSync('README.md', 'utf8'), 'Operate a rollout');
    expect(commands.length).toBeGreaterThanOrEqual(11);
    const ns = uniqueNamespace('readme');
    await applyAndRoll(env, cloneSet(ns, 'nginxweb1', { replicas: 4, minReadySeconds: 2, updateStrategy: { type: 'InPlaceIfPossible', maxUnavailable: 1 } }));
    // What makes the rollout slow enough, on any machine: it starts braked (the CloneSet's own updateStrategy.paused,
    // invisible to the README's commands), so no Pod moves before the README's pause; the brake is released right
    // after it, and from there the pause holds the rollout, then the 50% partition does: it cannot complete before
    // the README's abort.
    await setSpecPaused(env.k, ns, 'nginxweb1', true);
    const temporal = findTemporalCli()!;
    const path = `${dirname(temporal)}:${process.env.PATH}`;
    const checked = new Set<RegExp>();
    for (const raw of commands) {
      expect(raw.startsWith('temporal ')).toBe(true);
      const cmd = raw
        .replaceAll('<temporalAddress>', env.address)
        .replaceAll('--task-queue cloneset-rollouts', `--task-queue ${env.taskQueue}`)
        .replaceAll('cloneset/default/nginxweb1', `cloneset/${ns}/nginxweb1`)
        .replaceAll('"namespace":"default"', `"namespace":"${ns}"`)
        .replaceAll("CloneSetNamespace='default'", `CloneSetNamespace='${ns}'`);
      let out: string;
      try {
        // Asynchronously: the worker of this test runs in this process and must keep answering.
        out = (await promisify(execFile)('bash', ['-c', cmd], { encoding: 'utf8', env: { ...process.env, PATH: path }, timeout: 60_000 })).stdout;
      } catch (err) {
        throw new Error(`README command failed: ${cmd}\n${(err as { stderr?: string }).stderr ?? String(err)}`);
      }
      const check = checks.find(([re]) => re.test(cmd));
      if (!check) throw new Error(`no output check for README command: ${raw}`);
      try {
        check[1](out);
      } catch (err) {
        throw new Error(`README command printed something else: ${cmd}\n${out}\n${(err as Error).message}`);
      }
      checked.add(check[0]);
      if (/--name pause/.test(cmd)) await setSpecPaused(env.k, ns, 'nginxweb1', false);
    }
    expect(checked.size).toBe(checks.length); // every documented control was exercised
    // The abort with rollback left the CloneSet where it started.
    const images = (await livePods(env, ns, 'nginxweb1')).map((p) => p.spec!.containers[0]!.image);
    expect(images).toEqual(Array(4).fill('nginx:perl'));
  });
});

/** The `$ ` commands of the first ```console block after `marker` in the README, continuation lines joined. */
export function consoleCommandsAfter(readme: string, marker: string): string[] {
  const at = readme.indexOf(marker);
  if (at < 0) throw new Error(`README has no "${marker}"`);
  const block = /```console\n([\s\S]*?)```/.exec(readme.slice(at))?.[1];
  if (!block) throw new Error(`no console block after "${marker}"`);
  return block
    .replace(/\\\n\s*/g, '')
    .split('\n')
    .filter((l) => l.startsWith('$ '))
    .map((l) => l.slice(2).trim());
}

describe('README: a second `temporal workflow start` joins the running rollout', () => {
  it('start → start again with other images (--id-conflict-policy Fail): exit 0, the same RunId, images dropped; the retarget Update applies them', async () => {
    const readme = readFileSync('README.md', 'utf8');
    const [again, retarget, ...rest] = consoleCommandsAfter(readme, '**A second `temporal workflow start` joins the running rollout.**');
    expect(rest).toEqual([]);
    expect(again).toMatch(/^temporal workflow start .*--id-conflict-policy Fail .*nginx:1\.28/);
    expect(retarget).toMatch(/^temporal workflow update execute .*--name retarget .*nginx:1\.28/);
    // The first start is the section's own, as documented just above the warning.
    const first = sectionCommands(readme, 'Operate a rollout').find((c) => c.startsWith('temporal workflow start'))!;
    expect(first).toMatch(/nginx:1\.27/);

    const ns = uniqueNamespace('readme2');
    const cs = cloneSet(ns, 'nginxweb1', { replicas: 2, updateStrategy: { type: 'InPlaceIfPossible', maxUnavailable: 1 } });
    await applyAndRoll(env, cs);
    // Deterministically still running when started again: with minReadySeconds an hour, no Pod counts as available
    // yet, so the window is full and the rollout waits (for an hour) before it takes one.
    cs.spec.minReadySeconds = 3600;
    await applyCloneSet(env.k, cs);

    const temporal = findTemporalCli()!;
    const path = `${dirname(temporal)}:${process.env.PATH}`;
    const sh = async (raw: string) => {
      const cmd = raw
        .replaceAll('<temporalAddress>', env.address)
        .replaceAll('--task-queue cloneset-rollouts', `--task-queue ${env.taskQueue}`)
        .replaceAll('cloneset/default/nginxweb1', `cloneset/${ns}/nginxweb1`)
        .replaceAll('"namespace":"default"', `"namespace":"${ns}"`);
      try {
        return (await promisify(execFile)('bash', ['-c', cmd], { encoding: 'utf8', env: { ...process.env, PATH: path }, timeout: 60_000 })).stdout;
      } catch (err) {
        throw new Error(`README command failed: ${cmd}\n${(err as { stderr?: string }).stderr ?? String(err)}`);
      }
    };
    const runIdOf = (out: string) => /RunId\s+(\S+)/.exec(out)?.[1];
    const templateImage = async () =>
      (
        (await env.k.custom.getNamespacedCustomObject({ ...CLONESET, namespace: ns, name: 'nginxweb1' })) as {
          spec: { template: { spec: { containers: { image: string }[] } } };
        }
      ).spec.template.spec.containers[0]!.image;
    const handle = env.client.handle(ns, 'nginxweb1');

    const firstOut = await sh(first);
    const runId = runIdOf(firstOut);
    expect(runId).toBeDefined();
    // The first start set nginx:1.27 in the template and resolved its revision; it now waits, window full.
    const target = await eventually('the first start to resolve its target', async () => {
      const p = await handle.progress().catch(() => null);
      return p?.toRevision && p.waiting ? p.toRevision : undefined;
    });
    expect(await templateImage()).toBe('nginx:1.27');

    const againOut = await sh(again!); // exit 0 (sh throws otherwise)
    expect(againOut).toMatch(/Running execution/);
    expect(runIdOf(againOut)).toBe(runId); // the running run, not a new one
    const runs = await sh(`temporal workflow list --address ${env.address} --query "WorkflowId='cloneset/${ns}/nginxweb1'"`);
    // Two runs under the ID: the one that created the Pods (Completed) and the running one; the second start added none.
    const rows = runs
      .trim()
      .split('\n')
      .filter((l) => l.includes(`cloneset/${ns}/nginxweb1`));
    expect(rows.map((l) => l.trim().split(/\s+/)[0]).sort()).toEqual(['Completed', 'Running']);
    expect(await templateImage()).toBe('nginx:1.27'); // nginx:1.28 dropped
    expect((await handle.progress()).toRevision).toBe(target);
    expect((await handle.workflow.describe()).runId).toBe(runId);

    const retargetOut = await sh(retarget!);
    expect(retargetOut).toMatch(/Result\s+map\[images:map\[nginx:nginx:1\.28\] updateRevision:nginxweb1-\w+\]/);
    const newRevision = /updateRevision:(nginxweb1-\w+)/.exec(retargetOut)![1]!;
    expect(newRevision).not.toBe(target);
    expect(await templateImage()).toBe('nginx:1.28');
    await eventually('the rollout to move toward the retarget revision', async () => ((await handle.progress()).toRevision === newRevision ? true : undefined));
    expect((await handle.workflow.describe()).runId).toBe(runId); // still the same run, now toward nginx:1.28

    await handle.workflow.terminate('test done'); // it would wait its hour

    // The output the README shows has the shape the commands print (the same labels, in the same order).
    const labels = (out: string) =>
      out
        .split('\n')
        .map((l) => /^\s*(\w[\w ]*?)(?::|\s{2,}|$)/.exec(l)?.[1])
        .filter(Boolean);
    const shown = /```console\n([\s\S]*?)```/.exec(readme.slice(readme.indexOf('**A second `temporal workflow start`')))![1]!.split(/^\$ .*(?:\\\n.*)*$/m);
    expect(labels(shown[1]!)).toEqual(labels(againOut));
    expect(labels(shown[2]!)).toEqual(labels(retargetOut));
  });
});
