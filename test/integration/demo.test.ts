/** The README's main command, as a user runs it (`cloneset-rollout demo`, quick mode, JSON evidence). */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

describe('cloneset-rollout demo --fast --json', () => {
  it('runs the seed walkthrough end to end and prints passing evidence', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['bin/cloneset-rollout.js', 'demo', '--fast', '--json'], {
      env: { ...process.env, LOG_LEVEL: 'error' },
      timeout: 150_000,
    });
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
});
