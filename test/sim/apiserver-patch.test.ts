/**
 * Simulated apiserver: PATCH semantics for the three patch types, optimistic
 * patches, and content-type negotiation.
 */
import { type V1PodCondition, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sim, KRUISE, NS, asJsonPatch, asMerge, asStrategic, cloneSetManifest, expectStatus, podManifest, startSim } from './apiserver-helpers.js';

let sim: Sim;
beforeAll(async () => {
  sim = await startSim();
});
afterAll(() => sim.server.close());

const conditions = (): V1PodCondition[] => [
  { type: 'PodScheduled', status: 'True' },
  { type: 'Initialized', status: 'True' },
  { type: 'Ready', status: 'False', reason: 'ContainersNotReady' },
];

let seq = 0;
/** A pod whose status has three conditions and two container statuses. */
async function podWithConditions(): Promise<string> {
  const name = `cond-${++seq}`;
  await sim.core.createNamespacedPod({ namespace: NS, body: podManifest(name, {}, { initContainers: [{ name: 'init', image: 'busybox' }] }) });
  await sim.core.patchNamespacedPodStatus(
    {
      namespace: NS,
      name,
      body: {
        status: {
          phase: 'Running',
          conditions: conditions(),
          containerStatuses: [
            { name: 'app', ready: false, restartCount: 0, image: 'nginx:1.25', imageID: '', started: true, state: { running: {} } },
            { name: 'other', ready: true, restartCount: 1, image: 'x', imageID: '' },
          ],
        },
      },
    },
    asMerge,
  );
  return name;
}

const readyPatch = { type: 'Ready', status: 'True' };

describe('patching one pod condition', () => {
  it('strategic merge merges conditions by type and keeps the others', async () => {
    const name = await podWithConditions();
    const out = await sim.core.patchNamespacedPodStatus({ namespace: NS, name, body: { status: { conditions: [readyPatch] } } }, asStrategic);
    expect(out.status?.conditions?.map((c) => `${c.type}=${c.status}`)).toEqual(['PodScheduled=True', 'Initialized=True', 'Ready=True']);
    // merged, not replaced: the old reason stays unless nulled
    expect(out.status?.conditions?.[2]?.reason).toBe('ContainersNotReady');
  });

  it('strategic merge replaces containerStatuses whole (no merge key)', async () => {
    const name = await podWithConditions();
    const out = await sim.core.patchNamespacedPodStatus(
      { namespace: NS, name, body: { status: { containerStatuses: [{ name: 'app', ready: true, restartCount: 0, image: 'nginx:1.25', imageID: '' }] } } },
      asStrategic,
    );
    expect(out.status?.containerStatuses?.map((c) => c.name)).toEqual(['app']);
    expect(out.status?.conditions).toHaveLength(3);
  });

  it('strategic $patch: delete removes one condition', async () => {
    const name = await podWithConditions();
    const out = await sim.core.patchNamespacedPodStatus(
      { namespace: NS, name, body: { status: { conditions: [{ type: 'Initialized', $patch: 'delete' }] } } },
      asStrategic,
    );
    expect(out.status?.conditions?.map((c) => c.type)).toEqual(['PodScheduled', 'Ready']);
  });

  it('a merge patch replaces the whole conditions list', async () => {
    const name = await podWithConditions();
    const out = await sim.core.patchNamespacedPodStatus({ namespace: NS, name, body: { status: { conditions: [readyPatch] } } }, asMerge);
    expect(out.status?.conditions?.map((c) => c.type)).toEqual(['Ready']);
  });

  it('a JSON patch guarded by test changes exactly one element', async () => {
    const name = await podWithConditions();
    const out = await sim.core.patchNamespacedPodStatus(
      {
        namespace: NS,
        name,
        body: [
          { op: 'test', path: '/status/conditions/2/type', value: 'Ready' },
          { op: 'replace', path: '/status/conditions/2/status', value: 'True' },
        ],
      },
      asJsonPatch,
    );
    expect(out.status?.conditions?.map((c) => `${c.type}=${c.status}`)).toEqual(['PodScheduled=True', 'Initialized=True', 'Ready=True']);
  });

  it('a failed JSON patch test is 422 and changes nothing', async () => {
    const name = await podWithConditions();
    const before = await sim.core.readNamespacedPod({ namespace: NS, name });
    const s = await expectStatus(
      sim.core.patchNamespacedPodStatus(
        {
          namespace: NS,
          name,
          body: [
            { op: 'test', path: '/status/conditions/0/type', value: 'Ready' },
            { op: 'replace', path: '/status/conditions/0/status', value: 'False' },
          ],
        },
        asJsonPatch,
      ),
      422,
      'Invalid',
    );
    expect(s.details?.causes?.[0]?.message).toContain('testing value /status/conditions/0/type failed');
    const after = await sim.core.readNamespacedPod({ namespace: NS, name });
    expect(after.metadata?.resourceVersion).toBe(before.metadata?.resourceVersion);
  });

  it.each([
    ['a missing path', [{ op: 'replace', path: '/status/nope/x', value: 1 }], 422],
    ['an index out of range', [{ op: 'remove', path: '/status/conditions/9' }], 422],
    ['an unknown op', [{ op: 'frobnicate', path: '/x' }], 400],
    ['an object instead of a list', { op: 'add', path: '/x', value: 1 }, 400],
  ])('a JSON patch with %s is rejected (%#)', async (_, body, code) => {
    const name = await podWithConditions();
    await expectStatus(sim.core.patchNamespacedPodStatus({ namespace: NS, name, body }, asJsonPatch), code, code === 400 ? 'BadRequest' : 'Invalid');
  });
});

describe('optimistic patches and content types', () => {
  it('a patch carrying a stale resourceVersion is 409; a current one applies', async () => {
    const name = await podWithConditions();
    const pod = await sim.core.readNamespacedPod({ namespace: NS, name });
    const rv = pod.metadata!.resourceVersion!;
    await expectStatus(
      sim.core.patchNamespacedPod({ namespace: NS, name, body: { metadata: { resourceVersion: '1', labels: { a: 'b' } } } }, asMerge),
      409,
      'Conflict',
    );
    const out = await sim.core.patchNamespacedPod({ namespace: NS, name, body: { metadata: { resourceVersion: rv, labels: { a: 'b' } } } }, asMerge);
    expect(out.metadata?.labels).toEqual({ a: 'b' });
  });

  it('strategic merge on metadata.finalizers is a set union; $deleteFromPrimitiveList removes', async () => {
    const name = await podWithConditions();
    await sim.core.patchNamespacedPod({ namespace: NS, name, body: { metadata: { finalizers: ['a.io/x'] } } }, asStrategic);
    const both = await sim.core.patchNamespacedPod({ namespace: NS, name, body: { metadata: { finalizers: ['a.io/y', 'a.io/x'] } } }, asStrategic);
    expect(both.metadata?.finalizers).toEqual(['a.io/x', 'a.io/y']);
    const one = await sim.core.patchNamespacedPod(
      { namespace: NS, name, body: { metadata: { '$deleteFromPrimitiveList/finalizers': ['a.io/x'] } } },
      asStrategic,
    );
    expect(one.metadata?.finalizers).toEqual(['a.io/y']);
  });

  it('strategic merge is refused for custom resources with 415, merge patch works', async () => {
    await sim.custom.createNamespacedCustomObject({ ...KRUISE, namespace: NS, body: cloneSetManifest('smp') });
    const s = await expectStatus(
      sim.custom.patchNamespacedCustomObject({ ...KRUISE, namespace: NS, name: 'smp', body: { spec: { replicas: 5 } } }, asStrategic),
      415,
      'UnsupportedMediaType',
    );
    expect(s.message).toContain('application/merge-patch+json');
    const out = (await sim.custom.patchNamespacedCustomObject({ ...KRUISE, namespace: NS, name: 'smp', body: { spec: { replicas: 5 } } }, asMerge)) as {
      spec: { replicas: number };
    };
    expect(out.spec.replicas).toBe(5);
  });

  it('an unknown patch content type is 415', async () => {
    const name = await podWithConditions();
    await expectStatus(
      sim.core.patchNamespacedPod(
        { namespace: NS, name, body: { metadata: { labels: { a: 'b' } } } },
        setHeaderOptions('Content-Type', 'application/apply-patch+yaml'),
      ),
      415,
      'UnsupportedMediaType',
    );
  });

  it('patching a missing object is 404', async () => {
    await expectStatus(sim.core.patchNamespacedPod({ namespace: NS, name: 'missing', body: { metadata: { labels: { a: 'b' } } } }, asMerge), 404, 'NotFound');
  });
});
