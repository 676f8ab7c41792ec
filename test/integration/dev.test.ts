/**
 * `cloneset-rollout dev` as a user runs it: a child process that writes endpoints.json once Temporal (persisted,
 * with UI), the simulated cluster and a worker are up; the real `temporal` CLI talks to it; SIGTERM stops it cleanly.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { findTemporalCli } from '../../src/temporal/binary.js';

async function waitFor<T>(fn: () => T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('cloneset-rollout dev', () => {
  it('writes endpoints.json, serves Temporal to the temporal CLI and the cluster to client-node, stops on SIGTERM', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'dev-test-'));
    const child = spawn(process.execPath, ['bin/cloneset-rollout.js', 'dev', '--state-dir', stateDir], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LOG_LEVEL: 'warn' },
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    try {
      const file = join(stateDir, 'endpoints.json');
      const endpoints = await waitFor(
        () => (existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>) : undefined),
        90_000,
      ).catch((err) => {
        throw new Error(`${err}: ${stderr}`);
      });
      expect(endpoints).toMatchObject({ namespace: 'default', taskQueue: 'cloneset-rollouts' });
      expect(endpoints.uiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(existsSync(join(stateDir, 'temporal.db'))).toBe(true);

      const out = execFileSync(findTemporalCli()!, ['workflow', 'list', '--address', endpoints.temporalAddress!, '--output', 'json'], {
        encoding: 'utf8',
      });
      expect(() => JSON.parse(out || '[]')).not.toThrow();

      const ui = await fetch(endpoints.uiUrl!);
      expect(ui.status).toBe(200);

      const kc = new KubeConfig();
      kc.loadFromFile(endpoints.kubeconfig!);
      const pods = await kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: 'default' });
      expect(pods.items).toEqual([]);
    } finally {
      child.kill('SIGTERM');
    }
    const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    expect(code).toBe(0);
    expect(existsSync(join(stateDir, 'endpoints.json'))).toBe(false);
  });
});
