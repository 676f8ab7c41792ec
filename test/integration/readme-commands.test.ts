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
import { setSpecPaused } from '../support/brake.js';
import { applyAndRoll, cloneSet, livePods, startTestEnv, uniqueNamespace, type TestEnv } from '../support/env.js';

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
  return blocks.flatMap((b) => b.replace(/\\\n\s*/g, '').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#')));
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
        throw new Error(`README command failed: ${cmd}\n${(err as { stderr?: string }).stderr ?? err}`);
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
