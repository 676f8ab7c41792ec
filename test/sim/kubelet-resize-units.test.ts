/** The simulated kubelet's in-place resize decisions, pure: fit (Infeasible / Deferred), resizePolicy restarts, the runtime's steps. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_NEVER_READY_IMAGES, DEFAULT_UNPULLABLE_IMAGES } from '../../src/sim/kubelet/images.js';
import {
  changedResources,
  parseAllocatable,
  podRequests,
  quantityValue,
  resizeFit,
  resizeNeedsRestart,
  type Resources,
  type ResourceTotals,
} from '../../src/sim/kubelet/resize.js';
import { stepPod, type NodeCapacity, type PodRuntime, type RuntimeConfig, type RuntimeEvent } from '../../src/sim/kubelet/runtime.js';
import { kubeletStatus, statusPatch, type KubeletStatus } from '../../src/sim/kubelet/status.js';
import type { Pod, PodStatus } from '../../src/sim/kubelet/types.js';

const T0 = Date.parse('2025-03-01T10:00:00Z');
const net = { hostIP: '172.18.0.2', podIP: '10.244.0.1' };
const totals = (cpu: number, memory: number): ResourceTotals => ({ cpu: BigInt(cpu), memory: BigInt(memory) });
const Mi = 1024 * 1024;

describe('quantityValue: cpu in millicores, memory in bytes, rounded up', () => {
  it.each([
    ['cpu', '1', 1000n],
    ['cpu', '100m', 100n],
    ['cpu', '0.5', 500n],
    ['cpu', '1500u', 2n],
    ['memory', '64Mi', 67108864n],
    ['memory', '1G', 1000000000n],
    ['memory', '1.5Ki', 1536n],
    ['memory', undefined, 0n],
  ] as const)('%s %s → %s', (resource, q, want) => {
    expect(quantityValue(resource, q)).toBe(want);
  });

  it('parses nodeAllocatable with the defaults, and refuses what is not a quantity', () => {
    expect(parseAllocatable()).toEqual({ cpu: 64000n, memory: 256n * 1024n * BigInt(Mi) });
    expect(parseAllocatable({ cpu: '4', memory: '8Gi' })).toEqual({ cpu: 4000n, memory: 8n * 1024n * BigInt(Mi) });
    expect(() => parseAllocatable({ cpu: 'lots' })).toThrow(/nodeAllocatable.cpu is not a quantity/);
  });

  it('sums the requests of a Pod', () => {
    expect(podRequests([{ requests: { cpu: '100m', memory: '64Mi' } }, { limits: { cpu: '1' } }, undefined, { requests: { cpu: '0.25' } }])).toEqual(
      totals(350, 64 * Mi),
    );
  });
});

describe('resizeFit: canResizePod', () => {
  const node = totals(4000, 8192 * Mi);
  it.each([
    ['fits on an empty node', totals(3000, 1024 * Mi), totals(0, 0), { fits: true }],
    ['fits exactly next to the others', totals(3000, 1024 * Mi), totals(1000, 7168 * Mi), { fits: true }],
    [
      'more cpu than the node has: Infeasible',
      totals(5000, 1024 * Mi),
      totals(0, 0),
      { fits: false, reason: 'Infeasible', message: "Node didn't have enough capacity: cpu, requested: 5000, capacity: 4000" },
    ],
    [
      'more memory than the node has: Infeasible (memory named first)',
      totals(5000, 9000 * Mi),
      totals(0, 0),
      { fits: false, reason: 'Infeasible', message: `Node didn't have enough capacity: memory, requested: ${9000 * Mi}, capacity: ${8192 * Mi}` },
    ],
    [
      'not next to the others: Deferred (cpu named first)',
      totals(1500, 9 * Mi),
      totals(3000, 8190 * Mi),
      { fits: false, reason: 'Deferred', message: "Node didn't have enough resource: cpu, requested: 1500, used: 3000, capacity: 4000" },
    ],
    [
      'memory short next to the others: Deferred',
      totals(100, 2048 * Mi),
      totals(100, 7168 * Mi),
      {
        fits: false,
        reason: 'Deferred',
        message: `Node didn't have enough resource: memory, requested: ${2048 * Mi}, used: ${7168 * Mi}, capacity: ${8192 * Mi}`,
      },
    ],
  ])('%s', (_, requested, used, want) => {
    expect(resizeFit(requested, node, used)).toEqual(want);
  });
});

describe('resizeNeedsRestart: the resizePolicy of the changed resources', () => {
  const from: Resources = { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '200m', memory: '128Mi' } };
  const cpu: Resources = { requests: { cpu: '150m', memory: '64Mi' }, limits: { cpu: '200m', memory: '128Mi' } };
  const memLimit: Resources = { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '200m', memory: '256Mi' } };
  const restartMemory = [{ resourceName: 'memory', restartPolicy: 'RestartContainer' }];
  it.each([
    ['no policy (NotRequired), cpu changed', undefined, cpu, false],
    ['NotRequired for both, memory changed', [{ resourceName: 'memory', restartPolicy: 'NotRequired' }], memLimit, false],
    ['RestartContainer for memory, only cpu changed', restartMemory, cpu, false],
    ['RestartContainer for memory, the memory limit changed', restartMemory, memLimit, true],
    ['RestartContainer for cpu, cpu changed', [{ resourceName: 'cpu', restartPolicy: 'RestartContainer' }], cpu, true],
    [
      'RestartContainer for memory, nothing changed (same quantity, other spelling)',
      restartMemory,
      { ...from, limits: { cpu: '0.2', memory: '128Mi' } },
      false,
    ],
  ])('%s → %s', (_, policy, to, want) => {
    expect(resizeNeedsRestart(policy, from, to)).toBe(want);
  });

  it('names the changed resources, a request or limit added or removed included', () => {
    expect(changedResources(from, cpu)).toEqual(['cpu']);
    expect(changedResources(from, { requests: from.requests })).toEqual(['cpu', 'memory']);
    expect(changedResources({}, {})).toEqual([]);
  });
});

function config(): RuntimeConfig {
  let n = 0;
  return {
    startDelayMs: 300,
    restartDelayMs: 500,
    readyDelayMs: 100,
    pullBackOffMs: 400,
    deleteDelayMs: 200,
    resizeDelayMs: 200,
    unpullableImages: DEFAULT_UNPULLABLE_IMAGES,
    neverReadyImages: DEFAULT_NEVER_READY_IMAGES,
    newContainerId: () => `containerd://${String(++n).padStart(64, '0')}`,
  };
}

const APP: Resources = { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '200m', memory: '128Mi' } };

function sizedPod(resizePolicy?: object[]): Pod {
  return {
    metadata: { name: 'p', namespace: 'default', uid: 'uid-1', generation: 1 },
    spec: {
      nodeName: 'node-1',
      containers: [
        { name: 'app', image: 'nginx:1.25', resources: structuredClone(APP), ...(resizePolicy ? { resizePolicy } : {}) },
        { name: 'sidecar', image: 'busybox:1.36' },
      ],
    },
    status: {},
  };
}

/** Steps the runtime and keeps the published status on the Pod (status replaced whole: enough for these checks). */
class Harness {
  rt: PodRuntime | undefined;
  events: RuntimeEvent[] = [];
  status!: KubeletStatus;
  constructor(
    public pod: Pod,
    public node: NodeCapacity = { allocatable: totals(4000, 8192 * Mi), usedByOthers: () => totals(0, 0) },
    public cfg = config(),
  ) {}
  at(now: number): this {
    const r = stepPod(this.pod, this.rt, now, this.cfg, this.node);
    this.rt = r.runtime;
    this.events.push(...r.events);
    this.status = kubeletStatus(this.pod, r.runtime, net, now);
    this.pod = { ...this.pod, status: structuredClone(this.status) as unknown as PodStatus };
    return this;
  }
  /** A resize as pods/resize stores it: new app resources, generation +1. */
  resize(resources: Resources, image?: string): this {
    this.pod = structuredClone(this.pod);
    const app = this.pod.spec.containers[0]!;
    app.resources = resources;
    if (image) app.image = image;
    this.pod.metadata.generation = (this.pod.metadata.generation as number) + 1;
    return this;
  }
  app() {
    return this.status.containerStatuses.find((c) => c.name === 'app')!;
  }
  cond(type: string) {
    return this.status.conditions.find((c) => c.type === type);
  }
  kinds(): string[] {
    return this.events.map((e) => (e.container ? `${e.kind}:${e.container}` : e.kind));
  }
}

const CPU_150: Resources = { requests: { cpu: '150m', memory: '64Mi' }, limits: { cpu: '200m', memory: '128Mi' } };
const MEM_256: Resources = { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '200m', memory: '256Mi' } };

describe('stepPod: in-place resize', () => {
  it('reports what each container runs with and was allocated, and the generation it acted on', () => {
    const h = new Harness(sizedPod()).at(T0).at(T0 + 300);
    expect(h.app()).toMatchObject({ resources: APP, allocatedResources: APP.requests });
    const sidecar = h.status.containerStatuses.find((c) => c.name === 'sidecar')!;
    expect(sidecar.resources).toEqual({});
    expect(sidecar.allocatedResources).toBeUndefined();
    expect(h.status.observedGeneration).toBe(1);
  });

  it('NotRequired: allocated at once (PodResizeInProgress), taken in place resizeDelayMs later, no restart', () => {
    const h = new Harness(sizedPod()).at(T0).at(T0 + 400);
    const id = h.app().containerID;
    h.resize(CPU_150).at(T0 + 1000);
    expect(h.app()).toMatchObject({ resources: APP, allocatedResources: CPU_150.requests, restartCount: 0 });
    expect(h.cond('PodResizeInProgress')).toMatchObject({ status: 'True', observedGeneration: 2 });
    expect(h.status.observedGeneration).toBe(2);
    h.at(T0 + 1199);
    expect(h.app().resources).toEqual(APP);
    h.at(T0 + 1200);
    expect(h.app()).toMatchObject({ resources: CPU_150, restartCount: 0, containerID: id, ready: true });
    expect(h.cond('PodResizeInProgress')).toBeUndefined();
    expect(h.kinds().filter((k) => k.startsWith('resize'))).toEqual(['resizeAllocated', 'resized']);
  });

  it('RestartContainer for memory: a memory change restarts the container once; the new instance runs with the new resources', () => {
    const h = new Harness(sizedPod([{ resourceName: 'memory', restartPolicy: 'RestartContainer' }])).at(T0).at(T0 + 400);
    const id = h.app().containerID;
    h.resize(MEM_256)
      .at(T0 + 1000)
      .at(T0 + 1200);
    expect(h.app()).toMatchObject({ ready: false, restartCount: 0, state: { terminated: { containerID: id } } });
    expect(h.cond('PodResizeInProgress')).toBeUndefined();
    h.at(T0 + 1700);
    expect(h.app()).toMatchObject({ resources: MEM_256, restartCount: 1, ready: false });
    expect(h.app().containerID).not.toBe(id);
    h.at(T0 + 1800).at(T0 + 5000);
    expect(h.app()).toMatchObject({ resources: MEM_256, restartCount: 1, ready: true });
    expect(h.kinds().filter((k) => k.includes(':app') && k !== 'started:app')).toEqual(['killed:app', 'restarted:app']);
  });

  it('an image change and a RestartContainer resize in the same spec update restart the container once', () => {
    const h = new Harness(sizedPod([{ resourceName: 'memory', restartPolicy: 'RestartContainer' }])).at(T0).at(T0 + 400);
    h.resize(MEM_256, 'nginx:1.26').at(T0 + 1000);
    for (let t = T0 + 1050; t <= T0 + 4000; t += 50) h.at(t);
    expect(h.app()).toMatchObject({ image: 'nginx:1.26', resources: MEM_256, restartCount: 1, ready: true });
    expect(h.events.filter((e) => e.kind === 'restarted' || e.kind === 'killed')).toHaveLength(2);
  });

  it('Infeasible: PodResizePending with the kubelet message, nothing changes; a feasible resize afterwards proceeds', () => {
    const h = new Harness(sizedPod()).at(T0).at(T0 + 400);
    h.resize({ requests: { cpu: '5', memory: '64Mi' }, limits: { cpu: '6', memory: '128Mi' } }).at(T0 + 1000);
    expect(h.cond('PodResizePending')).toMatchObject({
      status: 'True',
      reason: 'Infeasible',
      message: "Node didn't have enough capacity: cpu, requested: 5000, capacity: 4000",
      observedGeneration: 2,
    });
    h.at(T0 + 5000);
    expect(h.app()).toMatchObject({ resources: APP, allocatedResources: APP.requests });
    expect(h.events.some((e) => e.kind === 'resized')).toBe(false);
    h.resize(CPU_150).at(T0 + 6000);
    expect(h.cond('PodResizePending')).toBeUndefined();
    h.at(T0 + 6200);
    expect(h.app().resources).toEqual(CPU_150);
  });

  it('Deferred: pending while the node is short; admitted when the others free room', () => {
    let used = totals(3900, 0);
    const h = new Harness(sizedPod(), { allocatable: totals(4000, 8192 * Mi), usedByOthers: () => used }).at(T0).at(T0 + 400);
    h.resize(CPU_150).at(T0 + 1000);
    expect(h.cond('PodResizePending')).toMatchObject({
      reason: 'Deferred',
      message: "Node didn't have enough resource: cpu, requested: 150, used: 3900, capacity: 4000",
    });
    h.at(T0 + 3000);
    expect(h.app().resources).toEqual(APP);
    used = totals(1000, 0);
    h.at(T0 + 3500);
    expect(h.cond('PodResizePending')).toBeUndefined();
    expect(h.cond('PodResizeInProgress')).toMatchObject({ status: 'True' });
    h.at(T0 + 3700);
    expect(h.app().resources).toEqual(CPU_150);
  });

  it('a new kubelet finishes a resize that was allocated but not actuated, and repeats nothing that was', () => {
    const cfg = config();
    const h = new Harness(sizedPod()).at(T0).at(T0 + 400);
    h.resize(CPU_150).at(T0 + 1000);
    // the kubelet goes away with the resize allocated: the next one rebuilds its record from the status
    const fresh = new Harness(h.pod, h.node, cfg).at(T0 + 2000);
    expect(fresh.app()).toMatchObject({ resources: APP, allocatedResources: CPU_150.requests });
    expect(fresh.cond('PodResizeInProgress')).toBeDefined();
    fresh.at(T0 + 2200);
    expect(fresh.app()).toMatchObject({ resources: CPU_150, restartCount: 0 });
    // and again, after it was actuated: nothing to do, nothing to write
    const again = new Harness(fresh.pod, h.node, cfg).at(T0 + 3000);
    expect(again.events).toEqual([]);
    expect(statusPatch(fresh.pod.status, kubeletStatus(fresh.pod, again.rt!, net, T0 + 3000))).toBeNull();
  });
});
