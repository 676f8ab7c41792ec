import { describe, expect, it } from 'vitest';
import {
  nextAvailableAtMs,
  planSpecFrom,
  planStep,
  revisionName,
  validateCloneSet,
  type InFlight,
  type PlanInput,
  type PlanSpec,
  type PodView,
} from '../../../src/rollout/index.js';
import { NOW, planSpec, pod, pods, SEC, seed01, seed02 } from './fixtures.js';
import { simulate } from './sim.js';

const OLD = revisionName('nginxweb1', seed01().spec.template);
const NEW = revisionName('nginxweb1', seed02().spec.template);

function seedSpec(): PlanSpec {
  const r = validateCloneSet(seed02());
  if (!r.ok) throw new Error('seed02 invalid');
  return planSpecFrom(r.value.spec);
}

const spec = (o: Partial<PlanSpec> = {}): PlanSpec => planSpec(o);

function plan(s: PlanSpec, ps: PodView[], inFlight: Record<string, InFlight> = {}, extra: Partial<PlanInput> = {}) {
  return planStep({ spec: s, updateRevision: 'new', pods: ps, inFlight, nowMs: NOW, actionsByRevision: { old: 'inPlace' }, ...extra });
}

const seedPods = (): PodView[] =>
  // nginxweb1-a is the newest pod, nginxweb1-e the oldest.
  ['a', 'b', 'c', 'd', 'e'].map((id, i) => pod(`nginxweb1-${id}`, { revision: OLD, age: 1000 + i * 60 }));

describe('planSpecFrom: the seed CloneSet (nginx02)', () => {
  it('resolves replicas 4, maxUnavailable 20% → 1, scale maxUnavailable 1, minReadySeconds 30', () => {
    expect(seedSpec()).toEqual({
      replicas: 4,
      partition: 0,
      maxUnavailable: 1,
      maxSurge: 0,
      scaleMaxUnavailable: 1,
      podsToDelete: [],
      type: 'InPlaceIfPossible',
      minReadySeconds: 30,
      paused: false,
    });
  });

  it('carries priorityStrategy and resolves percent partition and surge', () => {
    const cs = seed01() as any;
    cs.spec.replicas = 10;
    cs.spec.updateStrategy = { partition: '25%', maxSurge: '10%', maxUnavailable: '25%', priorityStrategy: { orderPriority: [{ orderedKey: 'r' }] } };
    const r = validateCloneSet(cs);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(planSpecFrom(r.value.spec)).toMatchObject({
      partition: 3,
      maxSurge: 1,
      maxUnavailable: 2,
      priorityStrategy: { orderPriority: [{ orderedKey: 'r' }] },
    });
  });
});

describe('planSpecFrom: paused', () => {
  it('treats maxSurge as 0 while paused, so maxUnavailable rounds up', () => {
    const cs = seed01() as any;
    cs.spec.replicas = 4;
    cs.spec.updateStrategy = { paused: true, maxSurge: 1 };
    const r = validateCloneSet(cs);
    if (!r.ok) throw new Error('invalid');
    expect(planSpecFrom(r.value.spec)).toMatchObject({ paused: true, maxSurge: 0, maxUnavailable: 1 });
    cs.spec.updateStrategy.paused = false;
    const r2 = validateCloneSet(cs);
    if (!r2.ok) throw new Error('invalid');
    expect(planSpecFrom(r2.value.spec)).toMatchObject({ paused: false, maxSurge: 1, maxUnavailable: 0 });
  });
});

describe('planStep: the seed scenario step by step (5 × nginx:perl → 4 × nginx:latest in place)', () => {
  const s = seedSpec();
  const run = (ps: PodView[], inFlight: Record<string, InFlight> = {}, nowMs = NOW) =>
    planStep({ spec: s, updateRevision: NEW, pods: ps, inFlight, nowMs, actionsByRevision: { [OLD]: 'inPlace' } });

  const at = (ps: PodView[], names: string[], o: Partial<PodView>) => ps.map((p) => (names.includes(p.name) ? { ...p, ...o } : p));
  const updated = (ps: PodView[], names: string[], readyAgoS = 31) => at(ps, names, { revision: NEW, readySinceMs: NOW - readyAgoS * SEC });

  it('step 1: five serving, floor 4 − 1 = 3, so two update at once; the surplus nginxweb1-a keeps serving meanwhile', () => {
    const d = run(seedPods());
    expect(d).toMatchObject({ phase: 'updating', scaleDown: [], budget: 2, unavailable: 2 });
    expect(d.update).toEqual([
      { name: 'nginxweb1-b', action: 'inPlace' },
      { name: 'nginxweb1-c', action: 'inPlace' },
    ]);
    expect(d.counts).toMatchObject({ desired: 4, current: 5, old: 5, updated: 0, updateNum: 4, serving: 5 });
  });

  it('step 2: with b and c in flight the window is full (2/2) and a still serves: its deletion waits for the updates', () => {
    const d = run(seedPods(), { 'nginxweb1-b': { action: 'inPlace', step: 'grace' }, 'nginxweb1-c': { action: 'inPlace', step: 'patch' } });
    expect(d).toMatchObject({ phase: 'waiting', scaleDown: [], update: [], unavailable: 2, budget: 2 });
    expect(d.waiting).toContain('1 surplus pod(s) kept serving while pods update');
    expect(d.waiting).toContain('window full: 2/2 unavailable');
    expect(d.counts).toMatchObject({ serving: 3, updateNum: 2 });
  });

  it('step 3: b and c back and available: d and e update, a still serves', () => {
    const d = run(updated(seedPods(), ['nginxweb1-b', 'nginxweb1-c']));
    expect(d.update.map((u) => u.name)).toEqual(['nginxweb1-d', 'nginxweb1-e']);
    expect(d.scaleDown).toEqual([]);
  });

  it('step 4: nothing left to update, but a serves and the floor is reached: it waits for d and e', () => {
    const ps = updated(seedPods(), ['nginxweb1-b', 'nginxweb1-c']);
    const d = run(ps, { 'nginxweb1-d': { action: 'inPlace' }, 'nginxweb1-e': { action: 'inPlace' } });
    expect(d).toMatchObject({ phase: 'waiting', scaleDown: [], update: [] });
    expect(d.waiting).toContain('scale-down of 1 pod(s) waiting for the window');
  });

  it('step 5: d and e back: a, the surplus, is deleted', () => {
    const d = run(updated(seedPods(), ['nginxweb1-b', 'nginxweb1-c', 'nginxweb1-d', 'nginxweb1-e']));
    expect(d).toMatchObject({ phase: 'scaling', scaleDown: ['nginxweb1-a'], update: [] });
  });

  it('an updated pod Ready 10s ago that no lane holds serves, though not available yet (minReadySeconds 30); re-plan at +20s', () => {
    const ps = updated(seedPods().slice(1), ['nginxweb1-b'], 10);
    const d = run(ps);
    expect(d).toMatchObject({ phase: 'updating', nextCheckAtMs: NOW + 20 * SEC, nextCheckInMs: 20 * SEC });
    expect(d.update.map((u) => u.name)).toEqual(['nginxweb1-c']);
  });

  it('last step: all 4 on nginx:latest and available → done', () => {
    const ps = seedPods()
      .slice(1)
      .map((p) => ({ ...p, revision: NEW }));
    expect(run(ps)).toMatchObject({ phase: 'done', done: true, waiting: '' });
  });

  it('end to end: at least 3 pods serving at every moment, two waves of two, ends with 4 pods on the new revision', () => {
    const r = simulate({ spec: s, pods: seedPods(), updateRevision: NEW, actionsByRevision: { [OLD]: 'inPlace' } });
    expect(r.done).toBe(true);
    expect(r.minServing).toBe(3);
    expect(r.pods.map((p) => [p.name, p.revision])).toEqual([
      ['nginxweb1-b', NEW],
      ['nginxweb1-c', NEW],
      ['nginxweb1-d', NEW],
      ['nginxweb1-e', NEW],
    ]);
    // Two waves of ~3 s patch + 30 s minReadySeconds, then the surplus pod's deletion (one at a time took > 4 × 33 s).
    expect(r.seconds).toBeLessThan(2 * 33 + 10);
  });
});

describe('planStep: the window', () => {
  it.each([
    [10, 2],
    [5, 1],
    [20, 4],
  ])('keeps at most %i→%i pods unavailable while rolling (maxUnavailable=20%%)', (replicas, max) => {
    const s = spec({ replicas, maxUnavailable: Math.ceil(replicas * 0.2), minReadySeconds: 5 });
    const r = simulate({ spec: s, pods: pods('p', replicas), actionsByRevision: { old: 'inPlace' } });
    expect(r.done).toBe(true);
    expect(r.maxUnavailable).toBe(max);
    expect(r.pods.every((p) => p.revision === 'new')).toBe(true);
  });

  it('starts 2 at once with maxUnavailable 2 and the next as soon as one finishes (a window, not batches)', () => {
    const s = spec({ replicas: 4, maxUnavailable: 2 });
    expect(plan(s, pods('p', 4)).update.map((u) => u.name)).toEqual(['p-0', 'p-1']);
    const ps = pods('p', 4).map((p) => (p.name === 'p-0' ? { ...p, revision: 'new' } : p));
    expect(plan(s, ps, { 'p-1': { action: 'inPlace', step: 'patch' } }).update.map((u) => u.name)).toEqual(['p-2']);
  });

  it('an old pod that is already unavailable is updated at no cost, then one ready pod fills the window', () => {
    const ps = [...pods('p', 9), pod('sick', { readyFor: null })];
    const d = plan(spec({ replicas: 10, maxUnavailable: 2 }), ps);
    expect(d.update.map((u) => u.name)).toEqual(['sick', 'p-0']);
    expect(d.unavailable).toBe(2);
  });

  it('unavailable pods on the new revision count against the window too', () => {
    const ps = [...pods('p', 8), pod('n1', { revision: 'new', readyFor: null }), pod('n2', { revision: 'new', phase: 'Pending', readyFor: null })];
    const d = plan(spec({ replicas: 10, maxUnavailable: 2 }), ps);
    expect(d).toMatchObject({ phase: 'waiting', update: [], unavailable: 2, budget: 2 });
    expect(d.waiting).toBe('window full: 2/2 unavailable');
  });

  it.each<[string, Partial<Parameters<typeof pod>[1]>]>([
    ['gate InPlaceUpdateReady False', { gateReady: false }],
    ['lifecycle state Updating', { lifecycleState: 'Updating' }],
    ['terminating (not ours)', { deleting: true }],
    ['not Ready', { readyFor: null }],
  ])('a pod that serves nothing because of %s fills a window of 1', (_name, o) => {
    const ps = [...pods('p', 4), pod('x', { revision: 'new', ...o })];
    const d = plan(spec({ replicas: 5, maxUnavailable: 1, minReadySeconds: 10 }), ps, {}, {});
    expect(d.update).toEqual([]);
    expect(d.budget - d.unavailable).toBe(0);
  });

  it('a Ready pod inside minReadySeconds serves: it is not counted as taken, so one old pod may go (Kruise would wait)', () => {
    const ps = [...pods('p', 4), pod('x', { revision: 'new', readyFor: 2 })];
    const d = plan(spec({ replicas: 5, maxUnavailable: 1, minReadySeconds: 10 }), ps);
    expect(d.update.map((u) => u.name)).toEqual(['p-0']);
    expect(d.counts).toMatchObject({ serving: 5, available: 4 });
  });

  it('pods in flight count as unavailable even if they still look ready', () => {
    const d = plan(spec({ replicas: 3, maxUnavailable: 1 }), pods('p', 3), { 'p-0': { action: 'inPlace', step: 'gate-off' } });
    expect(d).toMatchObject({ update: [], unavailable: 1 });
    expect(d.waiting).toContain('window full: 1/1');
  });

  it('skips pods in an in-place grace period and pods preparing deletion', () => {
    const ps = [pod('g', { gracePending: true }), pod('pd', { lifecycleState: 'PreparingDelete' }), pod('ok')];
    expect(plan(spec({ replicas: 3, maxUnavailable: 3 }), ps).update.map((u) => u.name)).toEqual(['ok']);
  });

  it('starts a pod already preparing an update before others', () => {
    const ps = [pod('a', { readyFor: null }), pod('b', { lifecycleState: 'PreparingUpdate', readyFor: null })];
    expect(plan(spec({ replicas: 2, maxUnavailable: 1 }), ps).update.map((u) => u.name)).toEqual(['b', 'a']);
  });

  it('does not take a serving (Ready) pod down for free while the window is full, but still starts a non-serving one', () => {
    const ps = [pod('a', { readyFor: null }), pod('b', { lifecycleState: 'PreparingUpdate' })];
    expect(plan(spec({ replicas: 2, maxUnavailable: 1 }), ps).update.map((u) => u.name)).toEqual(['a']);
  });

  it('treats Ready pods still inside minReadySeconds as serving: the seed rollout right after scale-up starts one pod', () => {
    // Four pods Ready for 0.5 s with minReadySeconds=1: unavailable by Kruise's count, but serving traffic.
    const ps = ['a', 'b', 'c', 'd'].map((n) => pod(n, { readyFor: 0.5 }));
    const d = plan(spec({ replicas: 4, maxUnavailable: 1, minReadySeconds: 1 }), ps);
    expect(d.update).toEqual([{ name: 'a', action: 'inPlace' }]);
    expect(d).toMatchObject({ unavailable: 1, budget: 1 });
  });
});

describe('planStep: scatterStrategy', () => {
  const zoneA = (ps: PodView[], names: string[]) => ps.map((p) => (names.includes(p.name) ? { ...p, labels: { ...p.labels, zone: 'a' } } : p));
  const scatter = [{ key: 'zone', value: 'a' }];

  it('planSpecFrom carries scatterStrategy', () => {
    const cs = seed01() as any;
    cs.spec.updateStrategy = { scatterStrategy: [{ key: 'zone', value: 'a' }] };
    const r = validateCloneSet(cs);
    if (!r.ok) throw new Error('invalid');
    expect(planSpecFrom(r.value.spec).scatterStrategy).toEqual([{ key: 'zone', value: 'a' }]);
  });

  it('with maxUnavailable 2 the first wave does not take both matching pods (it would without scatter)', () => {
    const ps = zoneA(pods('p', 10), ['p-0', 'p-1']);
    expect(plan(spec({ replicas: 10, maxUnavailable: 2 }), ps).update.map((u) => u.name)).toEqual(['p-0', 'p-1']);
    expect(plan(spec({ replicas: 10, maxUnavailable: 2, scatterStrategy: scatter }), ps).update.map((u) => u.name)).toEqual(['p-0', 'p-2']);
  });

  it('counts the pods already updated: with p-0 done, p-1 waits for its slot in the whole rollout', () => {
    const ps = zoneA(pods('p', 10), ['p-0', 'p-1', 'p-2', 'p-3']).map((p) => (p.name === 'p-0' ? { ...p, revision: 'new' } : p));
    expect(plan(spec({ replicas: 10, maxUnavailable: 1, scatterStrategy: scatter }), ps).update.map((u) => u.name)).toEqual(['p-4']);
  });

  it('spreads the matching pods over the whole sliding-window rollout, round after round', () => {
    // 4 of 10 pods in zone a, one pod at a time: without scatter they go 1st to 4th; with it 1st, 3rd, 6th and 8th.
    const ps = zoneA(pods('p', 10), ['p-0', 'p-1', 'p-2', 'p-3']);
    const order = (s: PlanSpec) => {
      const r = simulate({ spec: s, pods: ps, actionsByRevision: { old: 'inPlace' } });
      expect(r.done).toBe(true);
      expect(r.maxUnavailable).toBe(1);
      return r.result.waves.map((w) => w.pods.map((p) => p.name).join(','));
    };
    expect(order(spec({ replicas: 10 }))).toEqual(['p-0', 'p-1', 'p-2', 'p-3', 'p-4', 'p-5', 'p-6', 'p-7', 'p-8', 'p-9']);
    expect(order(spec({ replicas: 10, scatterStrategy: scatter }))).toEqual(['p-0', 'p-4', 'p-1', 'p-5', 'p-6', 'p-2', 'p-7', 'p-3', 'p-8', 'p-9']);
  });
});

describe('planStep: partition', () => {
  it('partition=3 of 5 leaves 3 pods on the old revision', () => {
    const r = simulate({ spec: spec({ partition: 3 }), pods: pods('p', 5), actionsByRevision: { old: 'inPlace' } });
    expect(r.done).toBe(true);
    expect(r.pods.filter((p) => p.revision === 'old')).toHaveLength(3);
    expect(r.pods.filter((p) => p.revision === 'new')).toHaveLength(2);
  });

  it('partition=3 of 5 with 2 in flight (labels not yet patched) starts no third pod', () => {
    const d = plan(spec({ partition: 3, maxUnavailable: 5 }), pods('p', 5), {
      'p-0': { action: 'inPlace', step: 'grace' },
      'p-1': { action: 'inPlace', step: 'grace' },
    });
    expect(d.update).toEqual([]);
    expect(d.counts).toMatchObject({ updated: 2, old: 3, updateNum: 0 });
  });

  it('partition equal to replicas updates nothing and is done', () => {
    expect(plan(spec({ partition: 5 }), pods('p', 5))).toMatchObject({ phase: 'done', update: [] });
  });

  it('partition=2 of 5: scale-down takes new pods, not the old ones partition keeps', () => {
    const ps = [...pods('o', 2), ...pods('n', 4, { revision: 'new' })];
    const d = plan(spec({ replicas: 5, partition: 2 }), ps);
    expect(d.scaleDown).toEqual(['n-0']);
  });
});

describe('planStep: paused', () => {
  it('paused: no updates, phase paused with the count left', () => {
    const d = plan(spec({ paused: true }), pods('p', 5));
    expect(d).toMatchObject({ phase: 'paused', update: [], done: false });
    expect(d.waiting).toBe('paused with 5 pod(s) left to update');
  });

  it('paused: scaling continues', () => {
    expect(plan(spec({ paused: true, replicas: 6 }), pods('p', 5))).toMatchObject({ phase: 'scaling', scaleUp: 1 });
  });

  it('paused with everything updated is done', () => {
    expect(plan(spec({ paused: true }), pods('p', 5, { revision: 'new' }))).toMatchObject({ phase: 'done' });
  });
});

describe('planStep: scale up', () => {
  it.each<[string, number | null, PodView[], number]>([
    ['unlimited creates every missing pod at once', null, pods('p', 2, { revision: 'new' }), 3],
    ['scaleStrategy.maxUnavailable=1 creates one at a time', 1, pods('p', 2, { revision: 'new' }), 1],
    [
      'maxUnavailable=2 with one pod already unavailable creates one',
      2,
      [...pods('p', 1, { revision: 'new' }), pod('x', { revision: 'new', readyFor: null })],
      1,
    ],
    [
      'maxUnavailable=1 with a new pod still Pending creates none',
      1,
      [...pods('p', 2, { revision: 'new' }), pod('x', { revision: 'new', phase: 'Pending', readyFor: null })],
      0,
    ],
  ])('%s', (_name, scaleMax, ps, expected) => {
    const d = plan(spec({ scaleMaxUnavailable: scaleMax }), ps);
    expect(d.scaleUp).toBe(expected);
    if (expected === 0) expect(d.waiting).toMatch(/scale-up limited by scaleStrategy.maxUnavailable: 1\/1 unavailable, 2 pod\(s\) missing/);
  });

  it('a pod a lane is creating (not observed yet) holds its slot and counts as unavailable: no double create', () => {
    const d = plan(spec({ scaleMaxUnavailable: 2 }), pods('p', 4, { revision: 'new' }), { 'c-1': { action: 'create' } });
    expect(d).toMatchObject({ scaleUp: 0, unavailable: 1 });
    expect(d.counts).toMatchObject({ current: 5, updated: 5 });
  });

  it('a recreate whose old pod is terminating holds its slot, counted unavailable once', () => {
    const ps = [...pods('p', 4), pod('r', { deleting: true })];
    const d = plan(spec(), ps, { r: { action: 'recreate', step: 'delete' } });
    expect(d).toMatchObject({ scaleUp: 0, unavailable: 1 });
    expect(d.counts.current).toBe(5);
  });

  it('terminating pods are not replicas: a pod deleted by someone else is replaced at once', () => {
    const ps = [...pods('p', 4, { revision: 'new' }), pod('gone', { revision: 'new', deleting: true })];
    expect(plan(spec(), ps)).toMatchObject({ phase: 'scaling', scaleUp: 1 });
  });

  it('Failed (evicted) pods are ignored and replaced', () => {
    const ps = [...pods('p', 4, { revision: 'new' }), pod('evicted', { revision: 'new', phase: 'Failed', readyFor: null })];
    const d = plan(spec(), ps);
    expect(d).toMatchObject({ scaleUp: 1 });
    expect(d.counts.inactive).toBe(1);
  });

  it('reports how many Kruise would create at the old revision to keep partition', () => {
    const ps = [...pods('o', 2), ...pods('n', 2, { revision: 'new' })];
    expect(plan(spec({ partition: 3 }), ps)).toMatchObject({ scaleUp: 1, scaleUpOldRevision: 1 });
  });

  it('a Pod a lane creates at the old revision (the partition share of a scale-up) counts as old, not updated', () => {
    const ps = [...pods('o', 2), ...pods('n', 2, { revision: 'new' })];
    const d = plan(spec({ partition: 3 }), ps, { 'c-1': { action: 'create', revision: 'old' } });
    expect(d).toMatchObject({ scaleUp: 0, update: [] });
    expect(d.counts).toMatchObject({ current: 5, updated: 2, old: 3 });
  });

  it('observed while its lane runs, a Pod created at the old revision still counts as old', () => {
    const ps = [...pods('o', 2), ...pods('n', 2, { revision: 'new' }), pod('c-1', { revision: 'old', readyFor: null })];
    const d = plan(spec({ partition: 3 }), ps, { 'c-1': { action: 'create', revision: 'old' } });
    expect(d.counts).toMatchObject({ current: 5, updated: 2, old: 3 });
    expect(d.update).toEqual([]);
  });

  it('without the old revision the same create counts as updated (as before): the partition asks for one more old Pod', () => {
    const ps = [...pods('o', 2), ...pods('n', 2, { revision: 'new' })];
    const d = plan(spec({ partition: 3 }), ps, { 'c-1': { action: 'create' } });
    expect(d.counts).toMatchObject({ current: 5, updated: 3, old: 2 });
  });

  it('scale-up blocked to 0 lets updates proceed (Kruise runs the update when scaling did nothing)', () => {
    const ps = [...pods('p', 3), pod('x', { revision: 'new', phase: 'Pending', readyFor: null })];
    const d = plan(spec({ scaleMaxUnavailable: 1, maxUnavailable: 3 }), ps);
    expect(d.scaleUp).toBe(0);
    // budget = 3 + (4 − 5) = 2, one already unavailable → one update.
    expect(d.update.map((u) => u.name)).toEqual(['p-0']);
  });
});

describe('planStep: scale down and podsToDelete', () => {
  it('scale down prefers not-ready and old-revision pods', () => {
    const ps = [pod('new-1', { revision: 'new' }), pod('old-ready'), pod('old-sick', { readyFor: null }), pod('new-2', { revision: 'new' })];
    expect(plan(spec({ replicas: 2 }), ps).scaleDown).toEqual(['old-sick', 'old-ready']);
  });

  it('limits how many ready pods go at once (serving − (replicas − maxUnavailable))', () => {
    // 6 pods → 2, all updated: surplus 4, 6 serving − floor 1 = 5: all 4 go.
    expect(plan(spec({ replicas: 2 }), pods('p', 6, { revision: 'new' })).scaleDown).toHaveLength(4);
    // With 2 unavailable new pods, the ready ones are limited: 1 + 4 − 2 = 3 ready pods.
    const ps = [...pods('p', 4), pod('x', { revision: 'new', readyFor: null }), pod('y', { revision: 'new', readyFor: null })];
    expect(plan(spec({ replicas: 2 }), ps).scaleDown).toEqual(['p-0', 'p-1', 'p-2']);
  });

  it('podsToDelete: deletes the named pod (and a replacement is created next round)', () => {
    const s = spec({ podsToDelete: ['p-3'] });
    const d1 = plan(s, pods('p', 5, { revision: 'new' }));
    expect(d1).toMatchObject({ phase: 'scaling', scaleDown: ['p-3'], scaleUp: 0 });
    const after = pods('p', 5, { revision: 'new' }).map((p) => (p.name === 'p-3' ? { ...p, deleting: true } : p));
    expect(plan(s, after, { 'p-3': { action: 'delete' } })).toMatchObject({ phase: 'scaling', scaleUp: 1 });
  });

  it('podsToDelete holds back scale-down while it waits for the window', () => {
    const ps = [...pods('p', 5, { revision: 'new' }), pod('x', { revision: 'new', readyFor: null })];
    // replicas 5, 6 pods: surplus 1, but p-2 is named; limit = 1 + 1 − 1 = 1 → p-2 goes, x is not touched this round.
    expect(plan(spec({ podsToDelete: ['p-2'] }), ps).scaleDown).toEqual(['p-2']);
    // With no room for a ready pod, nothing is deleted and the surplus waits too.
    const full = [...ps, pod('z', { revision: 'new', readyFor: null })];
    const d = plan(spec({ podsToDelete: ['p-2'], maxUnavailable: 1, replicas: 7 }), full);
    expect(d.scaleDown).toEqual([]);
    expect(d.waiting).toContain('podsToDelete waiting for the window');
  });

  it('a not-ready pod in podsToDelete goes regardless of the window', () => {
    const ps = [...pods('p', 4, { revision: 'new' }), pod('x', { revision: 'new', readyFor: null }), pod('y', { revision: 'new', readyFor: null })];
    expect(plan(spec({ replicas: 6, podsToDelete: ['x'] }), ps).scaleDown).toEqual(['x']);
  });

  it('podsToDelete naming a pod that is not there is ignored', () => {
    expect(plan(spec({ podsToDelete: ['ghost'] }), pods('p', 5, { revision: 'new' }))).toMatchObject({ phase: 'done' });
  });

  it('pods in flight are not chosen for scale-down', () => {
    const d = plan(spec({ replicas: 3 }), pods('p', 4, { revision: 'new' }), { 'p-0': { action: 'inPlace' } });
    expect(d.scaleDown).toEqual(['p-1']);
  });

  it.each<[string, PlanSpec, number, string[], string[]]>([
    // 6 old pods → 2 with maxUnavailable 1: floor 1. Without surplus, 2 serving − 1 = room for 1 update; keeping one
    // serving surplus pod lets both update at once, so 3 go now and one stays until the updates are done.
    ['keeps one serving surplus pod so that two updates fit', spec({ replicas: 2 }), 6, ['p-0', 'p-1', 'p-2'], []],
    ['keeps none when the spec is paused (nothing would use it)', spec({ replicas: 2, paused: true }), 6, ['p-0', 'p-1', 'p-2', 'p-3'], []],
    ['keeps none when the room already fits every update', spec({ replicas: 2, maxUnavailable: 2 }), 6, ['p-0', 'p-1', 'p-2', 'p-3'], []],
  ])('scale-down during an update: %s', (_name, s, n, scaleDown, update) => {
    const d = plan(s, pods('p', n));
    expect(d.scaleDown).toEqual(scaleDown);
    expect(d.update.map((u) => u.name)).toEqual(update);
  });
});

describe('planStep: recreate, surge and failure', () => {
  it('ReCreate rolls 5 pods with at most 1 unavailable at any instant', () => {
    const r = simulate({ spec: spec({ type: 'ReCreate' }), pods: pods('p', 5), actionsByRevision: { old: 'recreate' } });
    expect(r.done).toBe(true);
    expect(r.maxUnavailable).toBe(1);
    expect(r.pods.every((p) => p.revision === 'new' && p.name.startsWith('r-'))).toBe(true);
    expect(r.decisions.flatMap((d) => d.decision.update).every((u) => u.action === 'recreate')).toBe(true);
  });

  it('a revision missing from actionsByRevision is recreated (its template is unknown)', () => {
    expect(plan(spec(), pods('p', 5), {}, { actionsByRevision: {} }).update).toEqual([{ name: 'p-0', action: 'recreate' }]);
  });

  it('ReCreate with maxSurge 1 and maxUnavailable 0 keeps 4 pods available throughout, surging one pod first', () => {
    const s = spec({ replicas: 4, type: 'ReCreate', maxSurge: 1, maxUnavailable: 0 });
    const first = plan(s, pods('p', 4), {}, { actionsByRevision: { old: 'recreate' } });
    expect(first).toMatchObject({ phase: 'scaling', scaleUp: 1 });
    expect(first.counts.useSurge).toBe(1);
    const r = simulate({ spec: s, pods: pods('p', 4), actionsByRevision: { old: 'recreate' } });
    expect(r.done).toBe(true);
    expect(r.maxPods).toBeGreaterThanOrEqual(5);
    expect(r.pods).toHaveLength(4);
    expect(r.pods.every((p) => p.revision === 'new')).toBe(true);
    expect(r.maxUnavailable).toBe(1);
  });

  it('maxSurge with an in-place-able change creates no surge pods (unlike Kruise)', () => {
    const s = spec({ replicas: 4, maxSurge: 1, maxUnavailable: 1 });
    expect(plan(s, pods('p', 4)).counts.useSurge).toBe(0);
    const r = simulate({ spec: s, pods: pods('p', 4), actionsByRevision: { old: 'inPlace' } });
    expect(r.done).toBe(true);
    expect(r.maxPods).toBe(4);
  });

  it('InPlaceOnly with a change that is not in-place-able: blocked, naming every pod', () => {
    const d = plan(spec({ replicas: 2, type: 'InPlaceOnly' }), pods('p', 2), {}, { actionsByRevision: { old: 'fail' } });
    expect(d).toMatchObject({ phase: 'blocked', update: [], done: false });
    expect(d.blocked.map((b) => b.name)).toEqual(['p-0', 'p-1']);
    expect(d.blocked[0]!.reason).toMatch(/can not be updated in place \(InPlaceOnly\)/);
  });

  it('a pod that cannot be updated but is kept by partition does not block completion', () => {
    const ps = [pod('a', { revision: 'new' }), pod('b', { revision: 'older' })];
    const d = plan(spec({ replicas: 2, partition: 1, type: 'InPlaceOnly' }), ps, {}, { actionsByRevision: { older: 'fail' } });
    expect(d).toMatchObject({ phase: 'done', blocked: [] });
  });

  it('pods of a revision that cannot be updated do not stop the others', () => {
    const ps = [pod('a', { revision: 'old' }), pod('b', { revision: 'older' })];
    const d = plan(spec({ replicas: 2, maxUnavailable: 2, type: 'InPlaceOnly' }), ps, {}, { actionsByRevision: { old: 'inPlace', older: 'fail' } });
    expect(d.update).toEqual([{ name: 'a', action: 'inPlace' }]);
    expect(d.blocked.map((b) => b.name)).toEqual(['b']);
  });
});

describe('planStep: done detection', () => {
  const all = () => pods('p', 3, { revision: 'new' });
  it.each<[string, PodView[], Record<string, InFlight>, boolean]>([
    ['all updated and available', all(), {}, true],
    ['a lane still in flight', all(), { 'p-0': { action: 'inPlace' } }, false],
    ['a pod Ready but not for minReadySeconds', [...all().slice(1), pod('x', { revision: 'new', readyFor: 1 })], {}, false],
    ['a pod still terminating', [...all(), pod('t', { revision: 'new', deleting: true })], {}, false],
    ['one replica missing', all().slice(1), {}, false],
    ['one old pod left', [...all().slice(1), pod('o')], {}, false],
  ])('%s → done=%s', (_name, ps, inFlight, done) => {
    const d = plan(spec({ replicas: 3, minReadySeconds: 5 }), ps, inFlight);
    expect(d.done).toBe(done);
    expect(d.phase === 'done').toBe(done);
  });

  it('a waiting decision says why', () => {
    const d = plan(spec({ replicas: 3, minReadySeconds: 5 }), [...all().slice(1), pod('x', { revision: 'new', readyFor: 1 })]);
    expect(d.waiting).toBe('waiting for 1 pod(s) to become available (minReadySeconds=5)');
    expect(d.nextCheckAtMs).toBe(NOW + 4 * SEC);
  });
});

describe('nextAvailableAtMs', () => {
  it.each<[string, PodView[], number | null]>([
    ['the earliest of several', [pod('a', { readyFor: 5 }), pod('b', { readyFor: 20 })], NOW + 10 * SEC],
    ['null when all are available', [pod('a'), pod('b')], null],
    ['null when none is ready', [pod('a', { readyFor: null })], null],
  ])('%s', (_n, ps, expected) => {
    expect(nextAvailableAtMs(ps, 30, NOW)).toBe(expected);
  });
});

describe('planStep: purity', () => {
  const fleets: [string, PlanSpec, PodView[], Record<string, InFlight>][] = [
    [
      'mixed fleet rolling',
      spec({ replicas: 6, maxUnavailable: 2 }),
      [...pods('p', 4), pod('n', { revision: 'new', readyFor: 3 }), pod('s', { readyFor: null })],
      {},
    ],
    ['scale down with partition', spec({ replicas: 3, partition: 1 }), [...pods('o', 3), ...pods('n', 2, { revision: 'new' })], {}],
    ['in flight and terminating', spec(), [...pods('p', 4), pod('t', { deleting: true })], { 'p-1': { action: 'inPlace' }, t: { action: 'recreate' } }],
  ];
  it.each(fleets)('%s: the decision does not depend on the order pods are listed in', (_n, s, ps, inFlight) => {
    expect(plan(s, [...ps].reverse(), inFlight)).toEqual(plan(s, ps, inFlight));
  });

  it.each(fleets)('%s: the decision is plain JSON and the input is not modified', (_n, s, ps, inFlight) => {
    const before = JSON.stringify({ s, ps, inFlight });
    const d = plan(s, ps, inFlight);
    expect(JSON.parse(JSON.stringify(d))).toEqual(d);
    expect(JSON.stringify({ s, ps, inFlight })).toBe(before);
  });
});
