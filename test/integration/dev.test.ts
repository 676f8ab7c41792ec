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
      const endpoints = await waitFor(() => (existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>) : undefined), 90_000).catch(
        (err) => {
          throw new Error(`${err}: ${stderr}`);
        },
      );
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
      const core = kc.makeApiClient(CoreV1Api);
      expect((await core.listNamespacedPod({ namespace: 'default' })).items).toEqual([]);

      // The user's path: `apply -f` starts the first rollout (5 Pods) ...
      const node = (...args: string[]) => execFileSync(process.execPath, ['bin/cloneset-rollout.js', ...args], { encoding: 'utf8' });
      const temporal = (...args: string[]) => execFileSync(findTemporalCli()!, [...args, '--address', endpoints.temporalAddress!], { encoding: 'utf8' });
      const applied = node('apply', '-f', 'examples/nginx01.yaml', '--state-dir', stateDir);
      expect(applied).toContain('clonesets.apps.kruise.io/nginxweb1 created');
      expect(applied).toContain('rollout started: workflow cloneset/default/nginxweb1');
      temporal('workflow', 'result', '--workflow-id', 'cloneset/default/nginxweb1');
      expect((await core.listNamespacedPod({ namespace: 'default', labelSelector: 'app=nginxweb1' })).items).toHaveLength(5);

      // ... and the README's `temporal workflow start` command is a complete in-place rollout.
      temporal(
        'workflow',
        'start',
        '--type',
        'rolloutCloneSet',
        '--task-queue',
        'cloneset-rollouts',
        '--workflow-id',
        'cloneset/default/nginxweb1',
        '--input',
        '{"namespace":"default","name":"nginxweb1","images":{"nginx":"nginx:latest"}}',
      );
      const progress = JSON.parse(temporal('workflow', 'query', '--workflow-id', 'cloneset/default/nginxweb1', '--name', 'progress', '--output', 'json')) as {
        queryResult: [{ namespace: string; name: string }];
      };
      expect(progress.queryResult[0]).toMatchObject({ namespace: 'default', name: 'nginxweb1' });
      const result = JSON.parse(temporal('workflow', 'result', '--workflow-id', 'cloneset/default/nginxweb1', '--output', 'json')) as {
        status: string;
        closeEvent: { workflowExecutionCompletedEventAttributes: { result: [{ recreated: number; toRevision: string }] } };
      };
      expect(result.status).toBe('COMPLETED');
      // nginx01.yaml has no updateStrategy: Kruise's default, ReCreate, replaces every Pod.
      expect(result.closeEvent.workflowExecutionCompletedEventAttributes.result[0].recreated).toBe(5);
      const pods = (await core.listNamespacedPod({ namespace: 'default', labelSelector: 'app=nginxweb1' })).items;
      expect(pods.map((p) => p.status?.containerStatuses?.[0]?.image)).toEqual(Array(5).fill('nginx:latest'));
    } finally {
      child.kill('SIGTERM');
    }
    const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    expect(code).toBe(0);
    expect(existsSync(join(stateDir, 'endpoints.json'))).toBe(false);
  });
});
