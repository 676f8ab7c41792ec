/**
 * The README's main command, as a user runs it (`cloneset-rollout demo`, quick mode): with JSON evidence, and as
 * people read it — human lines only, never a raw JSON log line (worker and SDK logs go to a file).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

/** Lines of `text` that parse as a JSON object (a raw log line, or evidence). */
const jsonLines = (text: string) =>
  text.split('\n').filter((l) => {
    try {
      const v: unknown = JSON.parse(l);
      return typeof v === 'object' && v !== null;
    } catch {
      return false;
    }
  });

describe('cloneset-rollout demo --fast', () => {
  it('--json: runs the seed walkthrough end to end and prints passing evidence, one JSON object and nothing else', async () => {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['bin/cloneset-rollout.js', 'demo', '--fast', '--json'], {
      env: { ...process.env, LOG_LEVEL: 'error' },
      timeout: 150_000,
    });
    expect(jsonLines(stderr)).toEqual([]);
    expect(stdout.trim().split('\n')).toHaveLength(1);
    const evidence = JSON.parse(stdout.trim()) as {
      ok: boolean;
      checks: { name: string; ok: boolean }[];
      before: { name: string; uid: string }[];
      after: { name: string; uid: string; image: string; restartCount: number }[];
      result: { updatedInPlace: number; deleted: number };
      uiUrl: string;
    };
    expect(evidence.checks.filter((c) => !c.ok)).toEqual([]);
    expect(evidence.ok).toBe(true);
    expect(evidence.before).toHaveLength(5);
    expect(evidence.after).toHaveLength(4);
    expect(evidence.after.every((p) => evidence.before.some((b) => b.uid === p.uid && b.name === p.name))).toBe(true);
    expect(evidence.after.every((p) => p.image === 'nginx:latest' && p.restartCount === 1)).toBe(true);
    expect(evidence.result).toMatchObject({ updatedInPlace: 4, deleted: 1 });
    expect(evidence.uiUrl).toMatch(/\/namespaces\/default\/workflows\/cloneset%2Fdefault%2Fnginxweb1$/);
  });

  it('--resize --json: rolls a cpu change in place: the same Pods, the new cpu reported, no restart', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['bin/cloneset-rollout.js', 'demo', '--resize', '--json'], {
      env: { ...process.env, LOG_LEVEL: 'error' },
      timeout: 150_000,
    });
    const evidence = JSON.parse(stdout.trim()) as {
      ok: boolean;
      checks: { name: string; ok: boolean }[];
      before: { name: string; uid: string; cpu: string }[];
      after: { name: string; uid: string; cpu: string; restartCount: number }[];
      result: { updatedInPlace: number; recreated: number };
    };
    expect(evidence.checks.filter((c) => !c.ok)).toEqual([]);
    expect(evidence.ok).toBe(true);
    expect(evidence.before.map((p) => p.cpu)).toEqual(['100m', '100m', '100m', '100m']);
    expect(evidence.after.map((p) => `${p.name}/${p.uid}`)).toEqual(evidence.before.map((p) => `${p.name}/${p.uid}`));
    expect(evidence.after.every((p) => p.cpu === '200m' && p.restartCount === 0)).toBe(true);
    expect(evidence.result).toMatchObject({ updatedInPlace: 4, recreated: 0 });
  });

  it('prints human lines only: no line of its output (stdout or stderr) is a JSON object, at the default log level', async () => {
    const env: Record<string, string | undefined> = { ...process.env };
    delete env.LOG_LEVEL;
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['bin/cloneset-rollout.js', 'demo', '--fast'], { env, timeout: 150_000 });
    expect(jsonLines(stdout)).toEqual([]);
    expect(jsonLines(stderr)).toEqual([]);
    expect(stdout).toMatch(/^Logs: .*\.log$/m);
  });
});
