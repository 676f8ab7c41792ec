/**
 * Simulator pieces added to match a real kube-apiserver (docs/sim-divergences.md), checked without one: quantity
 * canonicalization, the embedded CRD, Table output and OpenAPI for kubectl, the watch window of custom resources,
 * unknown-field pruning and the admission defaults. test/realkube/apiserver-fidelity.test.ts checks the same rules
 * end to end against both backends.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { CLONESET_CRD } from '../../src/sim/apiserver/crd.js';
import { canonicalQuantity } from '../../src/sim/apiserver/quantity.js';
import { humanDuration, wantsTable } from '../../src/sim/apiserver/table.js';
import { KRUISE, NS, type Sim, cloneSetManifest, podManifest, startSim } from './apiserver-helpers.js';

describe('resource quantities', () => {
  // every row was observed on kube-apiserver v1.37.2 (requests of a created Pod)
  it.each<[string, string]>([
    ['0.5', '500m'],
    ['1.5', '1500m'],
    ['2000m', '2'],
    ['12e2', '1200'],
    ['1.5e3', '1500'],
    ['100e-3', '100e-3'],
    ['1e3', '1e3'],
    ['1k', '1k'],
    ['1.5Gi', '1536Mi'],
    ['1000k', '1M'],
    ['0.5Ki', '512'],
    ['1048576', '1048576'],
    ['2e9', '2e9'],
    ['1000Mi', '1000Mi'],
    ['1025Ki', '1025Ki'],
  ])('%s is stored as %s', (input, stored) => {
    expect(canonicalQuantity(input, 6)).toBe(stored);
  });

  it('rounds a resource list value up to milli-units (0.0001 cpu is 1m)', () => {
    expect(canonicalQuantity('0.0001', 6)).toBe('1m');
    expect(canonicalQuantity('0.0001')).toBe('100u');
  });

  it('leaves what is not a quantity for validation', () => {
    expect(canonicalQuantity('lots')).toBeUndefined();
  });
});

describe('embedded CRD', () => {
  it('is deploy/crd/cloneset.yaml', () => {
    expect(CLONESET_CRD).toEqual(YAML.parse(readFileSync(new URL('../../deploy/crd/cloneset.yaml', import.meta.url), 'utf8')));
  });
});

describe('Table helpers', () => {
  it.each<[number, string]>([
    [-5000, '<invalid>'],
    [-1500, '0s'],
    [59_000, '59s'],
    [119_000, '119s'],
    [125_000, '2m5s'],
    [600_000, '10m'],
    [3 * 3600_000 + 5 * 60_000, '3h5m'],
    [30 * 3600_000, '30h'],
    [50 * 3600_000, '2d2h'],
    [400 * 24 * 3600_000, '400d'],
  ])('ages %d ms as %s', (ms, text) => {
    expect(humanDuration(ms)).toBe(text);
  });

  it('recognizes the Accept header kubectl get sends', () => {
    expect(wantsTable('application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json')).toBe(true);
    expect(wantsTable('application/json')).toBe(false);
    expect(wantsTable(undefined)).toBe(false);
  });
});

describe('served over HTTP', () => {
  let sim: Sim;
  beforeAll(async () => {
    sim = await startSim();
  });
  afterAll(async () => {
    await sim.server.close();
  });
  const get = (path: string, accept = 'application/json') => fetch(`${sim.server.url}${path}`, { headers: { Accept: accept } });

  it('answers a CloneSet list as a Table with the printer columns when asked', async () => {
    const cs = cloneSetManifest('tbl', 4);
    await sim.custom.createNamespacedCustomObject({ ...KRUISE, namespace: NS, body: cs });
    const res = await get(`/apis/apps.kruise.io/v1alpha1/namespaces/${NS}/clonesets`, 'application/json;as=Table;v=v1;g=meta.k8s.io');
    const table = (await res.json()) as {
      kind: string;
      columnDefinitions: { name: string; priority: number }[];
      rows: { cells: unknown[]; object: { kind: string } }[];
    };
    expect(table.kind).toBe('Table');
    expect(table.columnDefinitions.filter((c) => c.priority === 0).map((c) => c.name)).toEqual([
      'Name',
      'DESIRED',
      'UPDATED',
      'UPDATED_READY',
      'UPDATED_AVAILABLE',
      'READY',
      'TOTAL',
      'AGE',
    ]);
    const row = table.rows.find((r) => r.cells[0] === 'tbl')!;
    // no status yet: null cells (kubectl prints them empty); the age is a duration
    expect(row.cells.slice(0, 7)).toEqual(['tbl', 4, null, null, null, null, null]);
    expect(row.cells[7]).toMatch(/^\d+s$/);
    expect(row.object.kind).toBe('PartialObjectMetadata');
    // a plain request still gets the list
    expect(((await (await get(`/apis/apps.kruise.io/v1alpha1/namespaces/${NS}/clonesets`)).json()) as { kind: string }).kind).toBe('CloneSetList');
  });

  it('serves /openapi/v3 with a PATCH operation that takes fieldValidation (what kubectl apply checks)', async () => {
    const root = (await (await get('/openapi/v3')).json()) as { paths: Record<string, { serverRelativeURL: string }> };
    expect(Object.keys(root.paths).sort()).toEqual(['api/v1', 'apis/apps.kruise.io/v1alpha1', 'apis/apps/v1']);
    const doc = (await (await get(root.paths['apis/apps.kruise.io/v1alpha1']!.serverRelativeURL)).json()) as {
      paths: Record<string, { patch?: { parameters: { name: string; in: string }[]; 'x-kubernetes-group-version-kind': unknown } }>;
      components: { schemas: Record<string, unknown> };
    };
    const patch = doc.paths['/apis/apps.kruise.io/v1alpha1/namespaces/{namespace}/clonesets/{name}']!.patch!;
    expect(patch['x-kubernetes-group-version-kind']).toEqual({ group: 'apps.kruise.io', version: 'v1alpha1', kind: 'CloneSet' });
    expect(patch.parameters).toContainEqual(expect.objectContaining({ name: 'fieldValidation', in: 'query' }));
    expect(doc.components.schemas['io.kruise.apps.v1alpha1.CloneSet']).toMatchObject({ type: 'object' });
    expect((await get('/openapi/v3/apis/nope/v1')).status).toBe(404);
  });

  it('prunes unknown CloneSet fields with a Warning, and refuses them with fieldValidation=Strict', async () => {
    const body = { ...cloneSetManifest('prune'), spec: { ...cloneSetManifest('prune').spec, bogus: 1 } };
    const post = (query: string) =>
      fetch(`${sim.server.url}/apis/apps.kruise.io/v1alpha1/namespaces/${NS}/clonesets${query}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
    const strict = await post('?fieldValidation=Strict');
    expect(strict.status).toBe(400);
    expect(((await strict.json()) as { message: string }).message).toBe(
      'CloneSet in version "v1alpha1" cannot be handled as a CloneSet: strict decoding error: unknown field "spec.bogus"',
    );
    const lax = await post('');
    expect(lax.status).toBe(201);
    expect(lax.headers.get('warning')).toBe('299 - "unknown field \\"spec.bogus\\""');
    expect(((await lax.json()) as { spec: Record<string, unknown> }).spec.bogus).toBeUndefined();
  });

  it('starts the CloneSet watch window after the CRD install: resourceVersion 1 is too old, for Pods it is not', async () => {
    const watchFrom = async (path: string) => {
      const res = await get(`${path}?watch=1&resourceVersion=1&timeoutSeconds=1`);
      return { status: res.status, text: await res.text() };
    };
    const cs = await watchFrom(`/apis/apps.kruise.io/v1alpha1/namespaces/${NS}/clonesets`);
    expect(cs.status).toBe(200);
    expect(JSON.parse(cs.text.trim())).toMatchObject({ type: 'ERROR', object: { reason: 'Expired', code: 410, message: 'too old resource version: 1 (2)' } });
    const pods = await watchFrom(`/api/v1/namespaces/${NS}/pods`);
    expect(pods.text).not.toContain('"ERROR"');
  });

  it('adds the admission defaults and canonical quantities to a new Pod', async () => {
    const body = podManifest('adm');
    body.spec!.containers[0]!.resources = { requests: { cpu: '0.25' }, limits: { memory: '0.5Gi' } };
    body.spec!.tolerations = [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 10 }];
    const pod = await sim.core.createNamespacedPod({ namespace: NS, body });
    // an existing toleration for a taint is kept, only the missing one is added
    expect(pod.spec!.tolerations).toEqual([
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 10 },
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    ]);
    expect(pod.spec!.priority).toBe(0);
    expect(pod.spec!.preemptionPolicy).toBe('PreemptLowerPriority');
    expect(pod.spec!.containers[0]!.resources).toEqual({ requests: { cpu: '250m', memory: '512Mi' }, limits: { memory: '512Mi' } });
  });

  it.each<[string, string, string | undefined, number]>([
    ['matching namespaces', NS, NS, 201],
    ['another namespace', NS, 'other', 422],
    ['a cluster-scoped object from default', 'default', undefined, 201],
    ['a cluster-scoped object from another namespace', 'kube-system', undefined, 422],
  ])('checks an Event about %s', async (_, ns, involvedNs, code) => {
    const res = await fetch(`${sim.server.url}/api/v1/namespaces/${ns}/events`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        metadata: { generateName: 'ev.' },
        involvedObject: { kind: 'Node', name: 'n', ...(involvedNs ? { namespace: involvedNs } : {}) },
        reason: 'R',
        message: 'm',
      }),
    });
    expect(res.status).toBe(code);
  });
});
