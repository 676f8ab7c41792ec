import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities, UNKNOWN_CLUSTER } from '../../src/activities/index.js';
import { applyCloneSet } from '../../src/kube/apply.js';
import { makeClients } from '../../src/kube/clients.js';
import { ClusterConfigError, loadClusters, parseClusterFlag, readClustersFile } from '../../src/kube/clusters.js';
import { startSimCluster, type SimCluster } from '../../src/sim/index.js';
import { cloneSet } from '../support/env.js';

const dir = mkdtempSync(join(tmpdir(), 'clusters-'));
const kubeconfig = (name: string, contexts: string[]) => {
  const path = join(dir, `${name}.yaml`);
  writeFileSync(
    path,
    [
      'apiVersion: v1',
      'kind: Config',
      `clusters: [${contexts.map((c) => `{name: ${c}, cluster: {server: "http://127.0.0.1:1"}}`).join(', ')}]`,
      'users: [{name: u, user: {token: x}}]',
      `contexts: [${contexts.map((c) => `{name: ${c}, context: {cluster: ${c}, user: u}}`).join(', ')}]`,
      `current-context: ${contexts[0]}`,
    ].join('\n'),
  );
  return path;
};

describe('--cluster NAME=KUBECONFIG[:CONTEXT], step by step', () => {
  it.each<[string, string, { name: string; kubeconfig: string; context?: string } | RegExp]>([
    ['step 1: a name and a file', 'eu-1=/k/eu.yaml', { name: 'eu-1', kubeconfig: '/k/eu.yaml' }],
    ['step 2: a name, a file and a context', 'eu-1=/k/eu.yaml:admin@eu-1', { name: 'eu-1', kubeconfig: '/k/eu.yaml', context: 'admin@eu-1' }],
    ['step 3: no "=" is refused', 'eu-1', /expected NAME=KUBECONFIG\[:CONTEXT\]/],
    ['step 4: a name that is not a DNS label is refused, naming it', 'EU_1=/k/eu.yaml', /cluster name "EU_1" must be a DNS-1123 label/],
    ['step 5: no file is refused', 'eu-1=', /no kubeconfig file/],
  ])('%s', (_n, flag, expected) => {
    if (expected instanceof RegExp) expect(() => parseClusterFlag(flag)).toThrow(expected);
    else expect(parseClusterFlag(flag)).toEqual(expected);
  });

  it('step 6: loads each cluster with its context; a name given twice, a missing file or an unknown context is refused, naming it', () => {
    const eu = kubeconfig('eu', ['eu-1', 'eu-2']);
    const loaded = loadClusters([parseClusterFlag(`eu-1=${eu}:eu-1`), parseClusterFlag(`eu-2=${eu}:eu-2`)]);
    expect(loaded['eu-1']!.getCurrentContext()).toBe('eu-1');
    expect(loaded['eu-2']!.getCurrentContext()).toBe('eu-2');
    expect(() => loadClusters([parseClusterFlag(`a=${eu}`), parseClusterFlag(`a=${eu}`)])).toThrow(/cluster a: given twice/);
    expect(() => loadClusters([parseClusterFlag(`a=${join(dir, 'none.yaml')}`)])).toThrow(/cluster a: kubeconfig .*none.yaml not found/);
    expect(() => loadClusters([parseClusterFlag(`a=${eu}:mars`)])).toThrow(/cluster a: context mars not in .* \(contexts: eu-1, eu-2\)/);
  });

  it('step 7: a clusters file names clusters with paths relative to it; a bad entry is refused, naming it', () => {
    kubeconfig('us', ['us-1']);
    const file = join(dir, 'clusters.yaml');
    writeFileSync(file, 'clusters:\n  us-1: {kubeconfig: us.yaml}\n  us-2: {kubeconfig: us.yaml, context: us-1}\n');
    expect(readClustersFile(file)).toEqual([
      { name: 'us-1', kubeconfig: join(dir, 'us.yaml') },
      { name: 'us-2', kubeconfig: join(dir, 'us.yaml'), context: 'us-1' },
    ]);
    writeFileSync(file, 'clusters:\n  us-1: {context: x}\n');
    expect(() => readClustersFile(file)).toThrow(ClusterConfigError);
    expect(() => readClustersFile(file)).toThrow(/clusters.us-1.kubeconfig: is required/);
    writeFileSync(file, 'clusters: [a]\n');
    expect(() => readClustersFile(file)).toThrow(/clusters: must be a map/);
  });
});

describe('the activity router: each input runs in the cluster it names', () => {
  let a: SimCluster;
  let b: SimCluster;
  beforeAll(async () => {
    a = await startSimCluster({ kubelet: false });
    b = await startSimCluster({ kubelet: false });
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
  });
  const logger = pino({ level: 'silent' });

  it('step 1: no cluster is the cluster named default; "b" is b; an unknown cluster fails non-retryably, naming it and the known ones', async () => {
    await applyCloneSet(makeClients(a.kubeConfig()), cloneSet('default', 'only-a'));
    await applyCloneSet(makeClients(b.kubeConfig()), cloneSet('default', 'only-b'));
    const acts = createActivities({ kubeConfig: a.kubeConfig(), clusters: { b: b.kubeConfig() }, logger });
    await expect(acts.prepareRollout({ namespace: 'default', name: 'only-a' })).resolves.toMatchObject({ name: 'only-a' });
    await expect(acts.prepareRollout({ namespace: 'default', name: 'only-b' })).rejects.toThrow(/CloneSet default\/only-b not found/);
    await expect(acts.prepareRollout({ namespace: 'default', name: 'only-b', cluster: 'b' } as never)).resolves.toMatchObject({ name: 'only-b' });
    const err = await acts.prepareRollout({ namespace: 'default', name: 'only-a', cluster: 'mars' } as never).catch((e: unknown) => e);
    expect(err).toMatchObject({ type: UNKNOWN_CLUSTER, nonRetryable: true });
    expect((err as Error).message).toMatch(/cluster "mars" is not known to this worker \(known: b, default; add --cluster mars=KUBECONFIG\)/);
  });

  it('step 2: the fleet check reads every cluster once, naming each problem', async () => {
    const acts = createActivities({ kubeConfig: a.kubeConfig(), clusters: { b: b.kubeConfig() }, logger });
    const r = await acts.checkFleetClusters({ namespace: 'default', name: 'only-a', clusters: ['default', 'b', 'mars'], images: { nginx: 'nginx:2' } });
    expect(r.clusters).toEqual({ default: { exists: true, revision: null, images: { nginx: 'nginx:perl' }, generation: 1 } });
    expect(r.problems).toEqual(['cluster b: CloneSet default/only-a not found', 'cluster mars: not known to the worker (known: b, default)']);
    const bad = await acts.checkFleetClusters({ namespace: 'default', name: 'only-a', clusters: ['default'], images: { php: 'php:8' } });
    expect(bad.problems[0]).toMatch(/^cluster default: CloneSet default\/only-a: .*images.php: no container named "php"/);
  });

  it('step 3: with a manifest, a cluster without the CloneSet is fine (the fleet creates it there)', async () => {
    const acts = createActivities({ kubeConfig: a.kubeConfig(), clusters: { b: b.kubeConfig() }, logger });
    const r = await acts.checkFleetClusters({ namespace: 'default', name: 'only-a', clusters: ['default', 'b'], manifest: true });
    expect(r.problems).toEqual([]);
    expect(r.clusters.b).toEqual({ exists: false, revision: null, images: {}, generation: 0 });
    expect(r.clusters.default).toMatchObject({ exists: true });
  });
});
