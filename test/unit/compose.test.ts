/** docker-compose.yml is validated by the real docker-compose (no engine needed for `config`). */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

describe('docker-compose.yml', () => {
  it('passes `docker-compose config` and wires Temporal on PostgreSQL, the UI, the worker and the controller', () => {
    const out = execFileSync('docker-compose', ['-f', 'docker-compose.yml', 'config'], {
      encoding: 'utf8',
      env: { ...process.env, KUBECONFIG_FILE: '/tmp/kubeconfig' },
    });
    const config = parse(out) as {
      services: Record<string, { image?: string; build?: unknown; environment?: Record<string, string>; depends_on?: unknown; volumes?: unknown[] }>;
    };
    const s = config.services;
    expect(Object.keys(s).sort()).toEqual(['controller', 'postgresql', 'temporal', 'temporal-search-attributes', 'temporal-ui', 'worker']);
    expect(s.temporal!.environment).toMatchObject({ DB: 'postgres12', POSTGRES_SEEDS: 'postgresql' });
    expect(s['temporal-ui']!.environment).toMatchObject({ TEMPORAL_ADDRESS: 'temporal:7233' });
    expect(s.worker!.build).toBeDefined();
    expect(s.worker!.environment).toMatchObject({ TEMPORAL_ADDRESS: 'temporal:7233', TEMPORAL_TASK_QUEUE: 'cloneset-rollouts', KUBECONFIG: '/kube/config' });
    expect(JSON.stringify(s.worker!.volumes)).toContain('/tmp/kubeconfig');
    expect(JSON.stringify(s['temporal-search-attributes'])).toContain('CloneSetName');
    // The controller: the worker's image, the `controller` command, the same Temporal and kubeconfig.
    const controller = s.controller as typeof s.worker & { command?: string[] };
    expect(controller.image).toBe(s.worker!.image);
    expect(controller.command).toEqual(['controller']);
    expect(controller.environment).toMatchObject({ TEMPORAL_ADDRESS: 'temporal:7233', TEMPORAL_TASK_QUEUE: 'cloneset-rollouts', KUBECONFIG: '/kube/config' });
    expect(JSON.stringify(controller.volumes)).toContain('/tmp/kubeconfig');
    expect(s.worker!.environment).toMatchObject({ HEALTH_PORT: '8080' });
  });

  it('is rejected by docker-compose when broken (the check can fail)', () => {
    expect(() =>
      execFileSync('docker-compose', ['-f', '-', 'config'], { input: 'services:\n  x:\n    image: [unclosed\n', stdio: ['pipe', 'pipe', 'pipe'] }),
    ).toThrow();
  });
});
