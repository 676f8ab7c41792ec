/**
 * docker-compose.yml is validated by the real docker-compose (no engine needed for `config`), and kept in step with
 * the native production topology (scripts/production-topology.sh, scripts/build-temporal-server.sh): the same
 * Temporal server, admin-tools, UI and PostgreSQL versions, the same search attributes, shards and dynamic config.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { SEARCH_ATTRIBUTES } from '../../src/workflows/search-attributes.js';

interface ComposeService {
  image?: string;
  command?: string[] | string;
  environment?: Record<string, string>;
  volumes?: string[];
}

const shellVar = (script: string, name: string) => new RegExp(`^${name}="?([^"\n]*)"?$`, 'm').exec(script)?.[1];
const buildDefault = (script: string, env: string) => new RegExp(`\\$\\{${env}:-([^}]+)\\}`).exec(script)?.[1];
const tag = (image: string | undefined) => image?.split(':')[1];

/** Every way docker-compose.yml differs from the native topology (empty: in step). */
export function composeDrift(composeYaml: string, topologyScript: string, buildScript: string): string[] {
  const s = (parse(composeYaml) as { services: Record<string, ComposeService> }).services;
  const drift: string[] = [];
  const same = (what: string, a: unknown, b: unknown) => {
    if (a !== b) drift.push(`${what}: ${String(a)} ≠ ${String(b)}`);
  };
  const server = shellVar(topologyScript, 'TEMPORAL_SERVER_VERSION');
  const ui = shellVar(topologyScript, 'TEMPORAL_UI_VERSION');
  same('temporal image vs production-topology.sh', `v${tag(s.temporal?.image)}`, server);
  same('admin-tools (schema) image vs the server', tag(s['temporal-schema']?.image), tag(s.temporal?.image));
  same('admin-tools (search attributes) image vs the server', tag(s['temporal-search-attributes']?.image), tag(s.temporal?.image));
  same('server version in build-temporal-server.sh', buildDefault(buildScript, 'TEMPORAL_SERVER_VERSION'), server);
  same('ui image vs production-topology.sh', `v${tag(s['temporal-ui']?.image)}`, ui);
  same('ui version in build-temporal-server.sh', buildDefault(buildScript, 'TEMPORAL_UI_VERSION'), ui);
  same('postgres image major vs production-topology.sh', tag(s.postgresql?.image), shellVar(topologyScript, 'POSTGRES_MAJOR'));
  same('history shards', s.temporal?.environment?.NUM_HISTORY_SHARDS, /numHistoryShards: (\d+)/.exec(topologyScript)?.[1]);
  const command = [s['temporal-search-attributes']?.command ?? []].flat().join(' ');
  const composeSas = /for sa in ([^;]+);/.exec(command)?.[1]?.trim();
  same('search attributes in docker-compose.yml vs production-topology.sh', composeSas, shellVar(topologyScript, 'SEARCH_ATTRIBUTES'));
  same(
    'search attributes in production-topology.sh vs the workflow',
    shellVar(topologyScript, 'SEARCH_ATTRIBUTES'),
    SEARCH_ATTRIBUTES.map((a) => a.name).join(' '),
  );
  if (!topologyScript.includes('docker/temporal-dynamicconfig.yaml')) drift.push('production-topology.sh does not use docker/temporal-dynamicconfig.yaml');
  if (!JSON.stringify(s.temporal?.volumes ?? []).includes('docker/temporal-dynamicconfig.yaml'))
    drift.push('docker-compose.yml does not mount docker/temporal-dynamicconfig.yaml');
  return drift;
}

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
    expect(Object.keys(s).sort()).toEqual(['controller', 'postgresql', 'temporal', 'temporal-schema', 'temporal-search-attributes', 'temporal-ui', 'worker']);
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

  it('names the versions, search attributes, shards and dynamic config the native production topology runs', () => {
    const compose = readFileSync('docker-compose.yml', 'utf8');
    const topology = readFileSync('scripts/production-topology.sh', 'utf8');
    const build = readFileSync('scripts/build-temporal-server.sh', 'utf8');
    expect(composeDrift(compose, topology, build)).toEqual([]);
    expect(shellVar(topology, 'TEMPORAL_SERVER_VERSION')).toMatch(/^v1\.32\.\d+$/);
    expect(shellVar(topology, 'TEMPORAL_UI_VERSION')).toMatch(/^v2\.58\.\d+$/);
    expect(shellVar(topology, 'POSTGRES_MAJOR')).toBe('15');
  });

  it('finds a version or a search attribute out of step (the check can fail)', () => {
    const compose = readFileSync('docker-compose.yml', 'utf8');
    const topology = readFileSync('scripts/production-topology.sh', 'utf8');
    const build = readFileSync('scripts/build-temporal-server.sh', 'utf8');
    const server = shellVar(topology, 'TEMPORAL_SERVER_VERSION')!.slice(1);
    expect(composeDrift(compose.replace(`temporalio/server:${server}`, 'temporalio/server:1.31.0'), topology, build)).toHaveLength(3);
    expect(composeDrift(compose.replace('postgres:15', 'postgres:16'), topology, build)).toEqual(['postgres image major vs production-topology.sh: 16 ≠ 15']);
    expect(composeDrift(compose.replace(' RolloutPhase TargetRevision;', ' RolloutPhase;'), topology, build)).toHaveLength(1);
    expect(composeDrift(compose, topology.replace('TargetRevision"', 'TargetRevision Extra"'), build)).toHaveLength(2);
    expect(composeDrift(compose, topology, build.replace(/TEMPORAL_UI_VERSION:-v[\d.]+/, 'TEMPORAL_UI_VERSION:-v2.57.0'))).toHaveLength(1);
  });

  it('is rejected by docker-compose when broken (the check can fail)', () => {
    expect(() =>
      execFileSync('docker-compose', ['-f', '-', 'config'], { input: 'services:\n  x:\n    image: [unclosed\n', stdio: ['pipe', 'pipe', 'pipe'] }),
    ).toThrow();
  });
});
