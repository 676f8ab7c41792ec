import { describe, expect, it } from 'vitest';
import {
  checkResizeCompletion,
  diffContainerResources,
  diffTemplates,
  planPodUpdate,
  qosClass,
  quantityNanos,
  resizeState,
  sameQuantity,
  specHasResize,
  toPodView,
  blockingReasons,
  validateCloneSet,
  type PodTemplateSpec,
  type ResizePodJson,
} from '../../../src/rollout/index.js';
import { seed01 } from './fixtures.js';

const GUARANTEED = { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '100m', memory: '64Mi' } };
const BURSTABLE = { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '200m', memory: '128Mi' } };

const withResources = (resources: unknown, image = 'nginx:perl'): PodTemplateSpec => {
  const t = JSON.parse(JSON.stringify(seed01().spec.template)) as PodTemplateSpec;
  t.spec.containers[0]!.image = image;
  if (resources !== undefined) t.spec.containers[0]!.resources = resources;
  return t;
};

describe('quantityNanos: a quantity by value', () => {
  it.each<[string, unknown, bigint | null]>([
    ['step 1: millicores', '100m', 100_000_000n],
    ['step 2: a decimal fraction is the same value', '0.1', 100_000_000n],
    ['step 3: whole cores', '2', 2_000_000_000n],
    ['step 4: binary suffix', '64Mi', 64n * 1024n * 1024n * 1_000_000_000n],
    ['step 5: decimal suffix', '1k', 1_000_000_000_000n],
    ['step 6: exponent', '1e3', 1_000_000_000_000n],
    ['step 7: a JSON number', 1, 1_000_000_000n],
    ['step 8: below a nano-unit rounds up', '0.0000000001', 1n],
    ['step 9: negative', '-1', -1_000_000_000n],
    ['step 10: not a quantity', 'abc', null],
    ['step 11: an empty string', '', null],
    ['step 12: an object', {}, null],
  ])('%s: %j', (_, q, want) => {
    expect(quantityNanos(q)).toBe(want);
  });

  it('compares by value: 0.5 is 500m, 1Gi is 1024Mi, absent equals absent only', () => {
    expect(sameQuantity('0.5', '500m')).toBe(true);
    expect(sameQuantity('1Gi', '1024Mi')).toBe(true);
    expect(sameQuantity('1G', '1Gi')).toBe(false);
    expect(sameQuantity(undefined, undefined)).toBe(true);
    expect(sameQuantity(undefined, '1')).toBe(false);
  });
});

describe('qosClass: as Kubernetes computes it from cpu and memory', () => {
  it.each<[string, object[], string]>([
    ['step 1: no resources at all', [{}], 'BestEffort'],
    ['step 2: only an ephemeral-storage limit', [{ resources: { limits: { 'ephemeral-storage': '1Gi' } } }], 'BestEffort'],
    ['step 3: zero requests count as unset', [{ resources: { requests: { cpu: '0' } } }], 'BestEffort'],
    ['step 4: requests equal to limits for both', [{ resources: GUARANTEED }], 'Guaranteed'],
    ['step 5: limits only (requests default to them)', [{ resources: { limits: { cpu: '1', memory: '1Gi' } } }], 'Guaranteed'],
    ['step 6: requests below limits', [{ resources: BURSTABLE }], 'Burstable'],
    ['step 7: a cpu limit only', [{ resources: { limits: { cpu: '1' } } }], 'Burstable'],
    ['step 8: one Guaranteed container and one BestEffort', [{ resources: GUARANTEED }, {}], 'Burstable'],
    [
      'step 9: same value written differently is still Guaranteed',
      [{ resources: { requests: { cpu: '0.1', memory: '64Mi' }, limits: { cpu: '100m', memory: '65536Ki' } } }],
      'Guaranteed',
    ],
  ])('%s', (_, containers, want) => {
    expect(qosClass(containers)).toBe(want);
  });
});

describe('diffContainerResources: what a resize can change', () => {
  it.each<[string, unknown, unknown, { resize: unknown; changes: string[]; reasons: string[] }]>([
    ['step 1: unchanged', BURSTABLE, BURSTABLE, { resize: null, changes: [], reasons: [] }],
    [
      'step 2: the same values written differently are no change',
      BURSTABLE,
      { requests: { cpu: '0.1', memory: '65536Ki' }, limits: { cpu: '0.2', memory: '128Mi' } },
      { resize: null, changes: [], reasons: [] },
    ],
    [
      'step 3: a cpu request up: the resize carries every cpu/memory request and limit',
      BURSTABLE,
      { ...BURSTABLE, requests: { cpu: '150m', memory: '64Mi' } },
      { resize: { requests: { cpu: '150m', memory: '64Mi' }, limits: { cpu: '200m', memory: '128Mi' } }, changes: ['cpu 100m→150m'], reasons: [] },
    ],
    [
      'step 4: a memory limit down',
      BURSTABLE,
      { ...BURSTABLE, limits: { cpu: '200m', memory: '96Mi' } },
      { resize: { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '200m', memory: '96Mi' } }, changes: ['memory limit 128Mi→96Mi'], reasons: [] },
    ],
    [
      'step 5: limits only: the defaulted requests move with them',
      { limits: { cpu: '100m', memory: '64Mi' } },
      { limits: { cpu: '200m', memory: '64Mi' } },
      {
        resize: { requests: { cpu: '200m', memory: '64Mi' }, limits: { cpu: '200m', memory: '64Mi' } },
        changes: ['cpu 100m→200m', 'cpu limit 100m→200m'],
        reasons: [],
      },
    ],
    [
      'step 6: a request removed can not be resized',
      BURSTABLE,
      { requests: { memory: '64Mi' }, limits: { memory: '128Mi' } },
      {
        resize: null,
        changes: [],
        reasons: [
          'spec.containers[nginx].resources.requests.cpu removed: a resize can not remove a request',
          'spec.containers[nginx].resources.limits.cpu removed: a resize can not remove a limit',
        ],
      },
    ],
    [
      'step 7: an extended resource changed',
      { limits: { 'nvidia.com/gpu': '1' } },
      { limits: { 'nvidia.com/gpu': '2' } },
      { resize: null, changes: [], reasons: ['spec.containers[nginx].resources.limits.nvidia.com/gpu changed: only cpu and memory can be resized in place'] },
    ],
    [
      'step 8: claims changed',
      { claims: [{ name: 'a' }] },
      { claims: [{ name: 'b' }] },
      { resize: null, changes: [], reasons: ['spec.containers[nginx].resources.claims changed'] },
    ],
  ])('%s', (_, before, after, want) => {
    const d = diffContainerResources('nginx', before, after);
    expect({ resize: d.resize, changes: d.changes, reasons: d.reasons }).toEqual(want);
  });

  it('a Pod spec already asking for the resize needs none (by value, requests defaulted from limits)', () => {
    const want = { requests: { cpu: '200m', memory: '64Mi' }, limits: { cpu: '200m', memory: '64Mi' } };
    expect(specHasResize({ limits: { cpu: '0.2', memory: '64Mi' } }, want)).toBe(true);
    expect(specHasResize({ requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '200m', memory: '64Mi' } }, want)).toBe(false);
  });
});

describe('diffTemplates and planPodUpdate with resources', () => {
  it('step 1: a cpu change that keeps the QoS class is in place, with the resize in words', () => {
    const d = diffTemplates(withResources(BURSTABLE), withResources({ ...BURSTABLE, requests: { cpu: '200m', memory: '64Mi' } }), 'InPlaceIfPossible');
    expect(d).toMatchObject({
      inPlace: true,
      containerImages: {},
      containerResources: { nginx: { requests: { cpu: '200m', memory: '64Mi' }, limits: { cpu: '200m', memory: '128Mi' } } },
      resizes: { nginx: ['cpu 100m→200m'] },
      reasons: [],
    });
  });

  it('step 2: an image and resources in one revision: both in place', () => {
    const d = diffTemplates(
      withResources(GUARANTEED),
      withResources({ requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } }, 'nginx:latest'),
      'InPlaceOnly',
    );
    expect(d.inPlace).toBe(true);
    expect(d.containerImages).toEqual({ nginx: 'nginx:latest' });
    expect(d.resizes.nginx).toEqual(['cpu 100m→1', 'cpu limit 100m→1', 'memory 64Mi→1Gi', 'memory limit 64Mi→1Gi']);
  });

  it('step 3: Guaranteed → Burstable recreates under InPlaceIfPossible, naming the QoS change', () => {
    const plan = planPodUpdate(withResources(GUARANTEED), withResources(BURSTABLE), 'InPlaceIfPossible');
    expect(plan.action).toBe('recreate');
    expect(plan.reasons).toEqual(["spec.containers[nginx].resources change the Pod's QoS class from Guaranteed to Burstable, which a resize can not do"]);
  });

  it('step 4: the same change is refused under InPlaceOnly, naming container, field and reason', () => {
    const plan = planPodUpdate(withResources(GUARANTEED), withResources(BURSTABLE), 'InPlaceOnly');
    expect(plan.action).toBe('fail');
    expect(plan.reasons).toEqual([
      "can not update in-place: spec.containers[nginx].resources change the Pod's QoS class from Guaranteed to Burstable, which a resize can not do",
    ]);
  });

  it('step 5: ReCreate recreates even a pure resize', () => {
    expect(planPodUpdate(withResources(BURSTABLE), withResources({ ...BURSTABLE, limits: { cpu: '1', memory: '128Mi' } }), 'ReCreate').action).toBe('recreate');
  });

  it('step 6: a resources change next to another spec change is not in place', () => {
    const next = withResources({ ...BURSTABLE, limits: { cpu: '1', memory: '128Mi' } });
    next.spec.containers[0]!.env = [{ name: 'A', value: '1' }];
    const d = diffTemplates(withResources(BURSTABLE), next, 'InPlaceIfPossible');
    expect(d.inPlace).toBe(false);
    expect(d.reasons).toEqual(['spec.containers[nginx].env changed']);
  });
});

const resizedPod = (over: {
  spec?: object;
  status?: object;
  conditions?: ResizePodJson['status'] extends infer S ? (S extends { conditions?: infer C } ? C : never) : never;
  generation?: number;
  observedGeneration?: number;
}): ResizePodJson => ({
  metadata: { generation: over.generation ?? 2 },
  spec: { containers: [{ name: 'nginx', resources: over.spec ?? { requests: { cpu: '200m', memory: '64Mi' }, limits: { cpu: '200m', memory: '128Mi' } } }] },
  status: {
    ...(over.observedGeneration !== undefined ? { observedGeneration: over.observedGeneration } : {}),
    conditions: over.conditions ?? [],
    containerStatuses: [{ name: 'nginx', ...(over.status ?? {}) }],
  },
});

describe('checkResizeCompletion: has the kubelet applied the resize', () => {
  const applied = { resources: { requests: { cpu: '200m', memory: '64Mi' }, limits: { cpu: '200m', memory: '128Mi' } } };
  const old = { resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '200m', memory: '128Mi' } } };
  it.each<[string, ResizePodJson, { done: boolean; stuck: string[]; waiting: string[] }]>([
    ['step 1: status still reports the old resources', resizedPod({ status: old }), { done: false, stuck: [], waiting: [] }],
    [
      'step 2: admitted, in progress',
      resizedPod({ status: old, conditions: [{ type: 'PodResizeInProgress', status: 'True' }] }),
      { done: false, stuck: [], waiting: ['resize InProgress'] },
    ],
    [
      'step 3: deferred: waits, names why',
      resizedPod({
        status: old,
        conditions: [{ type: 'PodResizePending', status: 'True', reason: 'Deferred', message: "Node didn't have enough resource: cpu" }],
      }),
      { done: false, stuck: [], waiting: ["resize Deferred: Node didn't have enough resource: cpu"] },
    ],
    [
      'step 4: infeasible: stuck, names why',
      resizedPod({
        status: old,
        conditions: [{ type: 'PodResizePending', status: 'True', reason: 'Infeasible', message: "Node didn't have enough capacity: cpu" }],
      }),
      { done: false, stuck: ["resize Infeasible: Node didn't have enough capacity: cpu"], waiting: [] },
    ],
    [
      'step 5: status reports the new resources (written differently)',
      resizedPod({ status: { resources: { requests: { cpu: '0.2', memory: '64Mi' }, limits: { cpu: '200m', memory: '128Mi' } } } }),
      { done: true, stuck: [], waiting: [] },
    ],
    [
      'step 6: allocatedResources still the old requests',
      resizedPod({ status: { ...applied, allocatedResources: { cpu: '100m', memory: '64Mi' } } }),
      { done: false, stuck: [], waiting: [] },
    ],
    [
      'step 7: allocatedResources the new requests',
      resizedPod({ status: { ...applied, allocatedResources: { cpu: '200m', memory: '64Mi' } } }),
      { done: true, stuck: [], waiting: [] },
    ],
    ['step 8: no status resources, generation not observed', resizedPod({ observedGeneration: 1 }), { done: false, stuck: [], waiting: [] }],
    ['step 9: no status resources, generation observed, no resize condition', resizedPod({ observedGeneration: 2 }), { done: true, stuck: [], waiting: [] }],
  ])('%s', (_, pod, want) => {
    const r = checkResizeCompletion(pod, ['nginx']);
    expect({ done: r.done, stuck: r.stuck, waiting: r.waiting }).toEqual(want);
  });

  it('a container without a status is pending', () => {
    expect(checkResizeCompletion({ spec: { containers: [{ name: 'nginx' }] }, status: {} }, ['nginx']).pending).toEqual(['nginx']);
  });

  it('the Pod view names a resize in flight among its blocking reasons', () => {
    const pod = {
      metadata: { name: 'p', uid: 'u' },
      spec: { containers: [{ name: 'nginx', image: 'nginx' }] },
      status: {
        phase: 'Running',
        conditions: [
          { type: 'PodResizePending', status: 'True', reason: 'Infeasible', message: "Node didn't have enough capacity: cpu, requested: 5000, capacity: 4000" },
        ],
        containerStatuses: [{ name: 'nginx', image: 'nginx', ready: true }],
      },
    };
    expect(resizeState(pod)).toEqual({ reason: 'Infeasible', message: "Node didn't have enough capacity: cpu, requested: 5000, capacity: 4000" });
    expect(blockingReasons(toPodView(pod))).toEqual(["resize Infeasible: Node didn't have enough capacity: cpu, requested: 5000, capacity: 4000"]);
    expect(toPodView({ ...pod, status: { ...pod.status, conditions: [] } })).not.toHaveProperty('resize');
  });
});

describe('validateCloneSet: resources', () => {
  const cloneSet = (resources: unknown) => {
    const cs = JSON.parse(JSON.stringify(seed01())) as { spec: { template: PodTemplateSpec } };
    cs.spec.template.spec.containers[0]!.resources = resources;
    return cs;
  };
  const errors = (resources: unknown) => {
    const v = validateCloneSet(cloneSet(resources));
    return v.ok ? [] : v.errors.map((e) => e.message);
  };
  it.each<[string, unknown, string[]]>([
    ['step 1: valid requests and limits', BURSTABLE, []],
    [
      'step 2: a quantity that does not parse',
      { requests: { cpu: 'abc' } },
      ['spec.template.spec.containers[0].resources.requests.cpu: "abc" is not a quantity (e.g. 100m, 0.5, 128Mi)'],
    ],
    [
      'step 3: a negative quantity',
      { limits: { memory: '-1Mi' } },
      ['spec.template.spec.containers[0].resources.limits.memory: "-1Mi" must be greater than or equal to 0'],
    ],
    [
      'step 4: a request above its limit',
      { requests: { cpu: '300m' }, limits: { cpu: '200m' } },
      ['spec.template.spec.containers[0].resources.requests.cpu: 300m must be less than or equal to the cpu limit of 200m'],
    ],
    ['step 5: requests not a map', { requests: ['1'] }, ['spec.template.spec.containers[0].resources.requests: must be a map of resource name to quantity']],
  ])('%s', (_, resources, want) => {
    expect(errors(resources)).toEqual(want);
  });
});
