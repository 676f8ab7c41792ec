/**
 * Simulated apiserver: the CloneSet custom resource (generation, status and
 * scale subresources, schema validation) and discovery.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sim, KRUISE, NS, asJsonPatch, asMerge, cloneSetManifest, expectStatus, startSim } from './apiserver-helpers.js';

interface CloneSet {
  apiVersion: string;
  kind: string;
  metadata: { name: string; generation: number; resourceVersion: string; uid: string; labels?: Record<string, string>; finalizers?: string[] };
  spec: { replicas: number; template: { spec: { containers: { name: string; image: string }[] } }; [k: string]: unknown };
  status?: Record<string, unknown>;
}

let sim: Sim;
beforeAll(async () => {
  sim = await startSim();
});
afterAll(() => sim.server.close());

const get = async (name: string) => (await sim.custom.getNamespacedCustomObject({ ...KRUISE, namespace: NS, name })) as CloneSet;
const create = async (name: string, replicas = 3) =>
  (await sim.custom.createNamespacedCustomObject({ ...KRUISE, namespace: NS, body: cloneSetManifest(name, replicas) })) as CloneSet;
const mergePatch = async (name: string, body: object) =>
  (await sim.custom.patchNamespacedCustomObject({ ...KRUISE, namespace: NS, name, body }, asMerge)) as CloneSet;
const statusPatch = async (name: string, body: object) =>
  (await sim.custom.patchNamespacedCustomObjectStatus({ ...KRUISE, namespace: NS, name, body }, asMerge)) as CloneSet;

describe('generation', () => {
  it('starts at 1 and moves only with spec', async () => {
    const cs = await create('gen');
    expect(cs.metadata.generation).toBe(1);
    expect(cs.status).toBeUndefined();
    const steps: [string, () => Promise<CloneSet>, number][] = [
      ['label change', () => mergePatch('gen', { metadata: { labels: { x: '1' } } }), 1],
      ['status change', () => statusPatch('gen', { status: { observedGeneration: 1, replicas: 3 } }), 1],
      ['image change', () => mergePatch('gen', { spec: { template: { spec: { containers: [{ name: 'app', image: 'nginx:1.26' }] } } } }), 2],
      ['replicas change', () => mergePatch('gen', { spec: { replicas: 4 } }), 3],
      ['no-op spec patch', () => mergePatch('gen', { spec: { replicas: 4 } }), 3],
      ['annotation change', () => mergePatch('gen', { metadata: { annotations: { a: 'b' } } }), 3],
    ];
    for (const [what, step, generation] of steps) {
      const out = await step();
      expect(out.metadata.generation, what).toBe(generation);
    }
  });

  it('a no-op patch keeps the resourceVersion', async () => {
    await create('noop');
    const before = await get('noop');
    const out = await mergePatch('noop', { spec: { replicas: 3 } });
    expect(out.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
  });
});

describe('status subresource', () => {
  it('status writes keep spec and metadata; main writes keep status', async () => {
    await create('split');
    const cs = await get('split');
    const viaStatus = (await sim.custom.replaceNamespacedCustomObjectStatus({
      ...KRUISE,
      namespace: NS,
      name: 'split',
      body: { ...cs, metadata: { ...cs.metadata, labels: { changed: 'yes' } }, spec: { ...cs.spec, replicas: 99 }, status: { replicas: 2, readyReplicas: 1 } },
    })) as CloneSet;
    expect(viaStatus.status).toEqual({ replicas: 2, readyReplicas: 1 });
    expect(viaStatus.spec.replicas).toBe(3);
    expect(viaStatus.metadata.labels).toBeUndefined();

    const viaMain = (await sim.custom.replaceNamespacedCustomObject({
      ...KRUISE,
      namespace: NS,
      name: 'split',
      body: { ...viaStatus, status: { replicas: 100 }, spec: { ...viaStatus.spec, replicas: 5 } },
    })) as CloneSet;
    expect(viaMain.status).toEqual({ replicas: 2, readyReplicas: 1 });
    expect(viaMain.spec.replicas).toBe(5);
    expect(viaMain.metadata.generation).toBe(2);
  });
});

describe('schema validation', () => {
  it.each<[string, Record<string, unknown>, string[]]>([
    ['no selector', { template: {} }, ['spec.selector']],
    ['no template', { selector: {} }, ['spec.template']],
    // the scale subresource cannot read replicas either: a second cause, as on a real server
    ['replicas of the wrong type', { selector: {}, template: {}, replicas: 'three' }, ['spec.replicas', '.spec.replicas']],
  ])('rejects a CloneSet with %s', async (_, spec, fields) => {
    const body = { apiVersion: 'apps.kruise.io/v1alpha1', kind: 'CloneSet', metadata: { name: 'bad' }, ...(spec.__omit ? {} : { spec }) };
    const s = await expectStatus(sim.custom.createNamespacedCustomObject({ ...KRUISE, namespace: NS, body }), 422, 'Invalid');
    expect(s.details).toMatchObject({ name: 'bad', group: 'apps.kruise.io', kind: 'CloneSet' });
    expect(s.details?.causes?.map((c) => c.field)).toEqual(fields);
    expect(s.message).toMatch(/^CloneSet\.apps\.kruise\.io "bad" is invalid: /);
  });

  it('removing the selector by patch is rejected too', async () => {
    await create('keep-selector');
    const s = await expectStatus(
      sim.custom.patchNamespacedCustomObject(
        { ...KRUISE, namespace: NS, name: 'keep-selector', body: [{ op: 'remove', path: '/spec/selector' }] },
        asJsonPatch,
      ),
      422,
      'Invalid',
    );
    expect(s.message).toBe('CloneSet.apps.kruise.io "keep-selector" is invalid: spec.selector: Required value');
  });
});

describe('scale subresource', () => {
  it('reads spec/status replicas and the status selector as an autoscaling/v1 Scale', async () => {
    await create('scaled', 3);
    await statusPatch('scaled', { status: { replicas: 2, labelSelector: 'app=scaled' } });
    const scale = (await sim.custom.getNamespacedCustomObjectScale({ ...KRUISE, namespace: NS, name: 'scaled' })) as Record<string, any>;
    const cs = await get('scaled');
    expect(scale).toEqual({
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: expect.objectContaining({ name: 'scaled', namespace: NS, uid: cs.metadata.uid, resourceVersion: cs.metadata.resourceVersion }),
      spec: { replicas: 3 },
      status: { replicas: 2, selector: 'app=scaled' },
    });
  });

  it('writes only spec.replicas, by update and by patch, with optimistic concurrency', async () => {
    await create('scale-w', 3);
    const scale = (await sim.custom.getNamespacedCustomObjectScale({ ...KRUISE, namespace: NS, name: 'scale-w' })) as Record<string, any>;
    const put = (await sim.custom.replaceNamespacedCustomObjectScale({
      ...KRUISE,
      namespace: NS,
      name: 'scale-w',
      body: { ...scale, spec: { replicas: 6 }, status: { replicas: 42 } },
    })) as Record<string, any>;
    expect(put.spec.replicas).toBe(6);
    expect(put.status.replicas).toBe(0);
    const cs = await get('scale-w');
    expect(cs.spec.replicas).toBe(6);
    expect(cs.metadata.generation).toBe(2);

    // the old Scale's resourceVersion is now stale
    await expectStatus(
      sim.custom.replaceNamespacedCustomObjectScale({ ...KRUISE, namespace: NS, name: 'scale-w', body: { ...scale, spec: { replicas: 7 } } }),
      409,
      'Conflict',
    );
    const patched = (await sim.custom.patchNamespacedCustomObjectScale(
      { ...KRUISE, namespace: NS, name: 'scale-w', body: { spec: { replicas: 1 } } },
      asMerge,
    )) as Record<string, any>;
    expect(patched.spec.replicas).toBe(1);
    expect((await get('scale-w')).spec.replicas).toBe(1);
  });

  it('negative replicas are 422 on autoscaling Scale', async () => {
    await create('scale-neg', 1);
    const s = await expectStatus(
      sim.custom.patchNamespacedCustomObjectScale({ ...KRUISE, namespace: NS, name: 'scale-neg', body: { spec: { replicas: -1 } } }, asMerge),
      422,
      'Invalid',
    );
    expect(s.message).toBe('Scale.autoscaling "scale-neg" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0');
  });
});

describe('delete', () => {
  it('answers with a Success Status and honours finalizers', async () => {
    await create('del');
    const status = (await sim.custom.deleteNamespacedCustomObject({ ...KRUISE, namespace: NS, name: 'del' })) as Record<string, any>;
    expect(status).toMatchObject({ kind: 'Status', status: 'Success', details: { name: 'del', group: 'apps.kruise.io', kind: 'clonesets' } });

    await sim.custom.createNamespacedCustomObject({
      ...KRUISE,
      namespace: NS,
      body: { ...cloneSetManifest('held'), metadata: { name: 'held', finalizers: ['rollout.example.com/guard'] } },
    });
    const marked = (await sim.custom.deleteNamespacedCustomObject({ ...KRUISE, namespace: NS, name: 'held' })) as CloneSet & {
      metadata: { deletionTimestamp?: string };
    };
    expect(marked.metadata.deletionTimestamp).toMatch(/Z$/);
    expect(marked.metadata.generation).toBe(2);
    await mergePatch('held', { metadata: { finalizers: [] } });
    await expectStatus(get('held'), 404, 'NotFound');
  });
});

describe('discovery', () => {
  it('lists clonesets with short name clone and their subresources', async () => {
    const res = await fetch(`${sim.server.url}/apis/apps.kruise.io/v1alpha1`);
    const doc = (await res.json()) as {
      kind: string;
      resources: { name: string; kind: string; shortNames?: string[]; namespaced: boolean; verbs: string[] }[];
    };
    expect(doc.kind).toBe('APIResourceList');
    expect(doc.resources.find((r) => r.name === 'clonesets')).toMatchObject({
      kind: 'CloneSet',
      shortNames: ['clone'],
      namespaced: true,
      verbs: expect.arrayContaining(['watch', 'patch']),
    });
    expect(doc.resources.map((r) => r.name)).toEqual(['clonesets', 'clonesets/scale', 'clonesets/status']);
  });

  it.each([
    ['/api', 'APIVersions'],
    ['/api/v1', 'APIResourceList'],
    ['/apis', 'APIGroupList'],
    ['/apis/apps', 'APIGroup'],
    ['/apis/apps/v1', 'APIResourceList'],
  ])('serves %s as %s', async (path, kind) => {
    const doc = (await (await fetch(sim.server.url + path)).json()) as { kind: string };
    expect(doc.kind).toBe(kind);
  });

  it('serves /version and answers unknown paths with a 404 Status', async () => {
    const version = (await (await fetch(`${sim.server.url}/version`)).json()) as { major: string };
    expect(version.major).toBe('1');
    const res = await fetch(`${sim.server.url}/apis/nope.io/v1/things`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ kind: 'Status', reason: 'NotFound', code: 404 });
  });
});
