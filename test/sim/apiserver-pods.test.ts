/**
 * Simulated apiserver: Pod rules — create validation, spec immutability on
 * update, status subresource split, binding, graceful deletion, finalizers and
 * delete preconditions.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sim, NS, asJsonPatch, asMerge, asStrategic, expectStatus, podManifest, startSim } from './apiserver-helpers.js';

let sim: Sim;
beforeAll(async () => {
  sim = await startSim();
});
afterAll(() => sim.server.close());

let seq = 0;
async function newPod(extra: Partial<V1Pod['spec']> = {}, labels: Record<string, string> = {}): Promise<V1Pod> {
  return sim.core.createNamespacedPod({ namespace: NS, body: podManifest(`pod-${++seq}`, labels, extra) });
}

describe('pod create validation', () => {
  it.each<[string, V1Pod['spec'], string, string]>([
    ['no containers', { containers: [] }, 'spec.containers', 'Required value'],
    ['a container without image', { containers: [{ name: 'a', image: '' }] }, 'spec.containers[0].image', 'Required value'],
    ['a container without name', { containers: [{ name: '', image: 'x' }] }, 'spec.containers[0].name', 'Required value'],
    [
      'duplicate container names',
      {
        containers: [
          { name: 'a', image: 'x' },
          { name: 'a', image: 'y' },
        ],
      },
      'spec.containers[1].name',
      'Duplicate value: "a"',
    ],
    [
      'an init container reusing a name',
      { initContainers: [{ name: 'a', image: 'x' }], containers: [{ name: 'a', image: 'y' }] },
      'spec.containers[0].name',
      'Duplicate value: "a"',
    ],
    [
      'an unknown restartPolicy',
      { restartPolicy: 'Sometimes', containers: [{ name: 'a', image: 'x' }] },
      'spec.restartPolicy',
      'Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
    ],
  ])('rejects %s with 422', async (_, spec, fieldPath, message) => {
    const s = await expectStatus(sim.core.createNamespacedPod({ namespace: NS, body: { metadata: { name: 'invalid' }, spec } }), 422, 'Invalid');
    expect(s.details).toMatchObject({ name: 'invalid', kind: 'Pod' });
    expect(s.details?.causes).toContainEqual(expect.objectContaining({ field: fieldPath, message }));
    expect(s.message).toContain(`Pod "invalid" is invalid: `);
  });
});

describe('pod spec immutability', () => {
  it('accepts an image change by merge patch, strategic patch, JSON patch and update', async () => {
    const pod = await newPod();
    const a = await sim.core.patchNamespacedPod(
      { namespace: NS, name: pod.metadata!.name!, body: { spec: { containers: [{ name: 'app', image: 'nginx:1.26' }] } } },
      asStrategic,
    );
    expect(a.spec?.containers[0]?.image).toBe('nginx:1.26');
    expect(a.spec?.containers[0]?.env).toEqual([{ name: 'A', value: '1' }]);
    expect(a.metadata?.generation).toBe(2);

    const b = await sim.core.patchNamespacedPod(
      { namespace: NS, name: pod.metadata!.name!, body: [{ op: 'replace', path: '/spec/containers/0/image', value: 'nginx:1.27' }] },
      asJsonPatch,
    );
    expect(b.spec?.containers[0]?.image).toBe('nginx:1.27');

    b.spec!.containers[0]!.image = 'nginx:1.28';
    const c = await sim.core.replaceNamespacedPod({ namespace: NS, name: pod.metadata!.name!, body: b });
    expect(c.spec?.containers[0]?.image).toBe('nginx:1.28');
    expect(c.metadata?.generation).toBe(4);

    // a merge patch replaces the containers list whole: only allowed when nothing else changes
    const merged = structuredClone(c.spec!.containers);
    merged[0]!.image = 'nginx:1.29';
    const d = await sim.core.patchNamespacedPod({ namespace: NS, name: pod.metadata!.name!, body: { spec: { containers: merged } } }, asMerge);
    expect(d.spec?.containers[0]?.image).toBe('nginx:1.29');
  });

  // the message ends with a diff of the Go structs, so the changed field shows under its Go name
  it.each<[string, string, (p: V1Pod) => void]>([
    ['env', '"Env"', (p) => (p.spec!.containers[0]!.env = [{ name: 'A', value: '2' }])],
    ['ports', '"ContainerPort"', (p) => (p.spec!.containers[0]!.ports = [{ containerPort: 8080 }])],
    ['nodeName', '"NodeName"', (p) => (p.spec!.nodeName = 'node-x')],
    ['restartPolicy', '"RestartPolicy"', (p) => (p.spec!.restartPolicy = 'Never')],
  ])('forbids changing %s by update, naming the updatable fields', async (_, fieldName, mutate) => {
    const pod = await newPod();
    mutate(pod);
    const s = await expectStatus(sim.core.replaceNamespacedPod({ namespace: NS, name: pod.metadata!.name!, body: pod }), 422, 'Invalid');
    expect(s.message).toContain(
      `Pod "${pod.metadata!.name}" is invalid: spec: Forbidden: pod updates may not change fields other than ` +
        '`spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
    );
    expect(s.message).toContain(fieldName);
    expect(s.details?.causes).toEqual([expect.objectContaining({ reason: 'FieldValueForbidden', field: 'spec' })]);
  });

  it('forbids env changes by strategic patch too, and adding a container', async () => {
    const pod = await newPod();
    const name = pod.metadata!.name!;
    const env = { spec: { containers: [{ name: 'app', env: [{ name: 'B', value: 'x' }] }] } };
    const s1 = await expectStatus(sim.core.patchNamespacedPod({ namespace: NS, name, body: env }, asStrategic), 422, 'Invalid');
    expect(s1.details?.causes?.[0]?.reason).toBe('FieldValueForbidden');

    const add = { spec: { containers: [{ name: 'sidecar', image: 'busybox' }] } };
    const s2 = await expectStatus(sim.core.patchNamespacedPod({ namespace: NS, name, body: add }, asStrategic), 422, 'Invalid');
    expect(s2.message).toBe(`Pod "${name}" is invalid: spec.containers: Forbidden: pod updates may not add or remove containers`);
  });

  it('allows adding tolerations and lowering activeDeadlineSeconds, not removing tolerations', async () => {
    const t1 = { key: 'a', operator: 'Exists', effect: 'NoSchedule' };
    const pod = await newPod({ tolerations: [t1], activeDeadlineSeconds: 600 });
    const name = pod.metadata!.name!;
    const t2 = { key: 'b', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 };
    // the list must keep the tolerations admission added at create (not-ready, unreachable)
    const kept = pod.spec!.tolerations!;
    expect(kept).toHaveLength(3);
    const out = await sim.core.patchNamespacedPod({ namespace: NS, name, body: { spec: { tolerations: [...kept, t2], activeDeadlineSeconds: 300 } } }, asMerge);
    expect(out.spec?.tolerations).toHaveLength(4);
    expect(out.spec?.activeDeadlineSeconds).toBe(300);
    await expectStatus(sim.core.patchNamespacedPod({ namespace: NS, name, body: { spec: { tolerations: [t2] } } }, asMerge), 422, 'Invalid');
    const s = await expectStatus(sim.core.patchNamespacedPod({ namespace: NS, name, body: { spec: { activeDeadlineSeconds: 900 } } }, asMerge), 422, 'Invalid');
    expect(s.details?.causes?.[0]?.message).toContain('must be less than or equal to previous value');
  });

  it('metadata-only changes do not bump generation', async () => {
    const pod = await newPod();
    const out = await sim.core.patchNamespacedPod({ namespace: NS, name: pod.metadata!.name!, body: { metadata: { labels: { x: 'y' } } } }, asMerge);
    expect(out.metadata?.labels).toEqual({ x: 'y' });
    expect(out.metadata?.generation).toBe(1);
  });
});

describe('status subresource', () => {
  it('a status write ignores spec but takes metadata (as podStatusStrategy); a main write ignores status', async () => {
    const pod = await newPod();
    const name = pod.metadata!.name!;
    const viaStatus = await sim.core.replaceNamespacedPodStatus({
      namespace: NS,
      name,
      body: {
        ...pod,
        metadata: { ...pod.metadata, labels: { sneaky: 'yes' } },
        spec: { ...pod.spec!, nodeName: 'node-z' },
        status: { phase: 'Running', podIP: '10.1.2.3' },
      },
    });
    expect(viaStatus.status).toMatchObject({ phase: 'Running', podIP: '10.1.2.3', qosClass: 'BestEffort' });
    expect(viaStatus.spec?.nodeName).toBeUndefined();
    expect(viaStatus.metadata?.labels).toEqual({ sneaky: 'yes' });
    expect(viaStatus.metadata?.generation).toBe(1);

    const viaMain = await sim.core.patchNamespacedPod(
      { namespace: NS, name, body: { status: { phase: 'Failed' }, metadata: { labels: { l: '1' } } } },
      asMerge,
    );
    expect(viaMain.status?.phase).toBe('Running');
    expect(viaMain.metadata?.labels).toEqual({ sneaky: 'yes', l: '1' });
  });

  it('a stale resourceVersion on a status update is a Conflict', async () => {
    const pod = await newPod();
    const name = pod.metadata!.name!;
    await sim.core.patchNamespacedPodStatus({ namespace: NS, name, body: { status: { phase: 'Running' } } }, asMerge);
    await expectStatus(sim.core.replaceNamespacedPodStatus({ namespace: NS, name, body: { ...pod, status: { phase: 'Succeeded' } } }), 409, 'Conflict');
  });

  it('timestamps sent back with milliseconds are stored at second precision', async () => {
    const pod = await newPod();
    const name = pod.metadata!.name!;
    const t = new Date('2024-05-01T10:00:00.789Z');
    const out = await sim.core.patchNamespacedPodStatus(
      { namespace: NS, name, body: { status: { startTime: t, conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: t }] } } },
      asStrategic,
    );
    expect(out.status?.startTime?.toISOString()).toBe('2024-05-01T10:00:00.000Z');
    // writing back what was read is then a no-op
    const again = await sim.core.replaceNamespacedPodStatus({ namespace: NS, name, body: out });
    expect(again.metadata?.resourceVersion).toBe(out.metadata?.resourceVersion);
  });
});

describe('binding', () => {
  it('binds an unscheduled pod once; binding again is 409', async () => {
    const pod = await newPod();
    const name = pod.metadata!.name!;
    await sim.core.createNamespacedPodBinding({ namespace: NS, name, body: { metadata: { name }, target: { kind: 'Node', name: 'node-1' } } });
    const bound = await sim.core.readNamespacedPod({ namespace: NS, name });
    expect(bound.spec?.nodeName).toBe('node-1');
    expect(bound.status?.conditions).toEqual([expect.objectContaining({ type: 'PodScheduled', status: 'True' })]);
    const s = await expectStatus(
      sim.core.createNamespacedPodBinding({ namespace: NS, name, body: { metadata: { name }, target: { kind: 'Node', name: 'node-2' } } }),
      409,
      'Conflict',
    );
    expect(s.message).toBe(`Operation cannot be fulfilled on pods/binding "${name}": pod ${name} is already assigned to node "node-1"`);
  });

  it('a binding without a target node is 422', async () => {
    const pod = await newPod();
    const name = pod.metadata!.name!;
    await expectStatus(sim.core.createNamespacedPodBinding({ namespace: NS, name, body: { metadata: { name }, target: {} } }), 422, 'Invalid');
  });
});

describe('deletion', () => {
  it('an unbound pod is removed at once', async () => {
    const pod = await newPod();
    const out = await sim.core.deleteNamespacedPod({ namespace: NS, name: pod.metadata!.name! });
    expect(out.metadata?.name).toBe(pod.metadata!.name);
    await expectStatus(sim.core.readNamespacedPod({ namespace: NS, name: pod.metadata!.name! }), 404, 'NotFound');
  });

  it('a bound pod gets deletionTimestamp = now + grace and goes on a grace-0 delete', async () => {
    const pod = await newPod({ nodeName: 'node-1', terminationGracePeriodSeconds: 20 });
    const name = pod.metadata!.name!;
    const t0 = Date.now();
    const marked = await sim.core.deleteNamespacedPod({ namespace: NS, name });
    expect(marked.metadata?.deletionGracePeriodSeconds).toBe(20);
    const due = marked.metadata!.deletionTimestamp!.getTime();
    expect(due).toBeGreaterThanOrEqual(Math.floor(t0 / 1000) * 1000 + 19_000);
    expect(due).toBeLessThanOrEqual(t0 + 21_000);
    expect(marked.metadata?.generation).toBe(2);
    const still = await sim.core.readNamespacedPod({ namespace: NS, name });
    expect(still.metadata?.deletionTimestamp).toEqual(marked.metadata?.deletionTimestamp);

    // a second delete with a longer grace changes nothing; a shorter one shortens it
    const again = await sim.core.deleteNamespacedPod({ namespace: NS, name, gracePeriodSeconds: 60 });
    expect(again.metadata?.resourceVersion).toBe(marked.metadata?.resourceVersion);
    const shorter = await sim.core.deleteNamespacedPod({ namespace: NS, name, body: { gracePeriodSeconds: 5 } });
    expect(shorter.metadata?.deletionGracePeriodSeconds).toBe(5);

    await sim.core.deleteNamespacedPod({ namespace: NS, name, gracePeriodSeconds: 0 });
    await expectStatus(sim.core.readNamespacedPod({ namespace: NS, name }), 404, 'NotFound');
  });

  it('terminated bound pods and explicit grace 0 go at once', async () => {
    const done = await newPod({ nodeName: 'node-1' });
    await sim.core.patchNamespacedPodStatus({ namespace: NS, name: done.metadata!.name!, body: { status: { phase: 'Succeeded' } } }, asMerge);
    await sim.core.deleteNamespacedPod({ namespace: NS, name: done.metadata!.name! });
    await expectStatus(sim.core.readNamespacedPod({ namespace: NS, name: done.metadata!.name! }), 404, 'NotFound');

    const forced = await newPod({ nodeName: 'node-1' });
    await sim.core.deleteNamespacedPod({ namespace: NS, name: forced.metadata!.name!, gracePeriodSeconds: 0 });
    await expectStatus(sim.core.readNamespacedPod({ namespace: NS, name: forced.metadata!.name! }), 404, 'NotFound');
  });

  it('finalizers hold an object until they are removed', async () => {
    const body = podManifest('finalized');
    body.metadata!.finalizers = ['example.com/hold'];
    await sim.core.createNamespacedPod({ namespace: NS, body });
    const marked = await sim.core.deleteNamespacedPod({ namespace: NS, name: 'finalized' });
    expect(marked.metadata?.deletionTimestamp).toBeInstanceOf(Date);
    expect(marked.metadata?.deletionGracePeriodSeconds).toBe(0);
    await sim.core.readNamespacedPod({ namespace: NS, name: 'finalized' });

    // no finalizer may be added once deletion started
    const s = await expectStatus(
      sim.core.patchNamespacedPod({ namespace: NS, name: 'finalized', body: { metadata: { finalizers: ['example.com/hold', 'example.com/more'] } } }, asMerge),
      422,
      'Invalid',
    );
    expect(s.details?.causes?.[0]?.message).toContain('no new finalizers can be added if the object is being deleted');

    await sim.core.patchNamespacedPod({ namespace: NS, name: 'finalized', body: { metadata: { finalizers: null } } }, asMerge);
    await expectStatus(sim.core.readNamespacedPod({ namespace: NS, name: 'finalized' }), 404, 'NotFound');
  });

  it('a bound pod with finalizers stays after grace 0 until the finalizers go', async () => {
    const body = podManifest('bound-finalized', {}, { nodeName: 'node-1' });
    body.metadata!.finalizers = ['example.com/hold'];
    await sim.core.createNamespacedPod({ namespace: NS, body });
    await sim.core.deleteNamespacedPod({ namespace: NS, name: 'bound-finalized' });
    await sim.core.deleteNamespacedPod({ namespace: NS, name: 'bound-finalized', gracePeriodSeconds: 0 });
    const held = await sim.core.readNamespacedPod({ namespace: NS, name: 'bound-finalized' });
    expect(held.metadata?.deletionGracePeriodSeconds).toBe(0);
    await sim.core.patchNamespacedPod({ namespace: NS, name: 'bound-finalized', body: [{ op: 'remove', path: '/metadata/finalizers' }] }, asJsonPatch);
    await expectStatus(sim.core.readNamespacedPod({ namespace: NS, name: 'bound-finalized' }), 404, 'NotFound');
  });

  it('delete preconditions on uid and resourceVersion must match', async () => {
    const pod = await newPod();
    const name = pod.metadata!.name!;
    const s1 = await expectStatus(sim.core.deleteNamespacedPod({ namespace: NS, name, body: { preconditions: { uid: 'other-uid' } } }), 409, 'Conflict');
    expect(s1.message).toContain('the UID in the precondition (other-uid) does not match the UID in record');
    const s2 = await expectStatus(sim.core.deleteNamespacedPod({ namespace: NS, name, body: { preconditions: { resourceVersion: '1' } } }), 409, 'Conflict');
    expect(s2.message).toContain('the ResourceVersion in the precondition (1) does not match');
    await sim.core.deleteNamespacedPod({
      namespace: NS,
      name,
      body: { preconditions: { uid: pod.metadata!.uid!, resourceVersion: pod.metadata!.resourceVersion! } },
    });
    await expectStatus(sim.core.readNamespacedPod({ namespace: NS, name }), 404, 'NotFound');
  });

  it('deleting a missing pod is 404', async () => {
    await expectStatus(sim.core.deleteNamespacedPod({ namespace: NS, name: 'never-was' }), 404, 'NotFound');
  });

  it('deletecollection removes the selected pods', async () => {
    await newPod({}, { batch: 'gone' });
    await newPod({}, { batch: 'gone' });
    const keep = await newPod({}, { batch: 'kept' });
    await sim.core.deleteCollectionNamespacedPod({ namespace: NS, labelSelector: 'batch=gone' });
    const left = await sim.core.listNamespacedPod({ namespace: NS, labelSelector: 'batch' });
    expect(left.items.map((p) => p.metadata!.name)).toEqual([keep.metadata!.name]);
  });
});
