/**
 * Commands that read the cluster, run by a user with no kubeconfig at all (no --kubeconfig, no KUBECONFIG, no
 * ~/.kube/config, not in a cluster): they say so plainly and how to give one, and exit 1 — not client-node's
 * "HTTP protocol is not allowed when skipTLSVerify is not set or false" from its localhost:8080 fallback.
 * Through bin/cloneset-rollout.js (dist/: run `npm run build` first), with HOME an empty directory.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const BIN = 'bin/cloneset-rollout.js';

async function cli(env: Record<string, string | undefined>, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  if (!existsSync('dist/cli/main.js')) throw new Error('dist/ is missing: run `npm run build` first');
  const home = mkdtempSync(join(tmpdir(), 'no-kubeconfig-home-'));
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'KUBECONFIG' && !k.startsWith('KUBERNETES_')));
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, ...args], {
      env: { ...clean, HOME: home, USERPROFILE: home, ...env },
      timeout: 30_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

describe('no kubeconfig at all', () => {
  it('plan -f says no kubeconfig was found, how to give one, and that --from plans offline; exit 1', async () => {
    const r = await cli({}, 'plan', '-f', 'examples/nginx02.yaml');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^cloneset-rollout plan: no kubeconfig found \(no KUBECONFIG, no .*\.kube\/config, not running in a cluster\)/);
    expect(r.stderr).toContain('--kubeconfig FILE');
    expect(r.stderr).toContain('KUBECONFIG=FILE');
    expect(r.stderr).toContain('~/.kube/config');
    expect(r.stderr).toContain('--from FILE');
    expect(r.stderr).not.toMatch(/HTTP protocol|skipTLSVerify/);
  });

  it('plan -f --from still plans offline without one', async () => {
    const r = await cli({}, 'plan', '-f', 'examples/nginx02.yaml', '--from', 'examples/nginx01.yaml');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
  });

  it('a KUBECONFIG naming no file, and a missing --kubeconfig, are named', async () => {
    const env = await cli({ KUBECONFIG: '/nonexistent/kubeconfig' }, 'plan', '-f', 'examples/nginx02.yaml');
    expect(env.code).toBe(1);
    expect(env.stderr).toContain('KUBECONFIG names no existing file (/nonexistent/kubeconfig)');
    const flag = await cli({}, 'plan', '-f', 'examples/nginx02.yaml', '--kubeconfig', '/nonexistent/kc');
    expect(flag.code).toBe(1);
    expect(flag.stderr).toContain('kubeconfig /nonexistent/kc not found: pass --kubeconfig FILE');
  });

  it('history says the same and exits 1', async () => {
    const r = await cli({}, 'history', 'web');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /no kubeconfig found \(no KUBECONFIG, no .*\.kube\/config, not running in a cluster\): pass --kubeconfig FILE, set KUBECONFIG=FILE, or write ~\/\.kube\/config/,
    );
    expect(r.stderr).not.toMatch(/HTTP protocol|skipTLSVerify/);
  });
});
