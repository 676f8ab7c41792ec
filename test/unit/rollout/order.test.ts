import { describe, expect, it } from 'vitest';
import {
  choosePodsToDelete,
  compareActivePods,
  priorityWeight,
  scatterPods,
  sortForScaleDown,
  sortForUpdate,
  type PodView,
  type UpdatePriorityStrategy,
  type UpdateScatterTerm,
} from '../../../src/rollout/index.js';
import { pod, pods } from './fixtures.js';

const names = (ps: PodView[]) => ps.map((p) => p.name);

describe('compareActivePods: the least established pod first', () => {
  it.each<[string, PodView, PodView]>([
    ['unscheduled before scheduled', pod('b', { nodeName: null, phase: 'Pending', readyFor: null }), pod('a', { phase: 'Pending', readyFor: null })],
    ['Pending before Running', pod('b', { phase: 'Pending', readyFor: null }), pod('a', { readyFor: null })],
    ['Pending before Unknown', pod('b', { phase: 'Pending', readyFor: null }), pod('a', { phase: 'Unknown', readyFor: null })],
    ['Unknown before Running', pod('b', { phase: 'Unknown', readyFor: null }), pod('a', { readyFor: null })],
    ['not ready before ready', pod('b', { readyFor: null }), pod('a')],
    ['ready for less time first', pod('b', { readyFor: 10 }), pod('a', { readyFor: 100 })],
    ['more restarts first', pod('b', { restarts: 3 }), pod('a', { restarts: 1 })],
    ['newer first', pod('b', { age: 10 }), pod('a', { age: 100 })],
    ['by name when all else is equal', pod('a'), pod('b')],
  ])('%s', (_name, first, second) => {
    expect(compareActivePods(first, second)).toBeLessThan(0);
    expect(compareActivePods(second, first)).toBeGreaterThan(0);
  });

  it('readiness outranks restarts and age', () => {
    const restartingReady = pod('r', { restarts: 10, age: 1 });
    const notReady = pod('n', { readyFor: null, age: 10_000 });
    expect(names(sortForScaleDown([restartingReady, notReady]))).toEqual(['n', 'r']);
  });

  it('is total: sorting any permutation gives the same order', () => {
    const ps = [pod('c'), pod('a', { readyFor: 5 }), pod('b', { restarts: 2 }), pod('d', { phase: 'Pending', readyFor: null })];
    const expected = names(sortForScaleDown(ps));
    expect(names(sortForScaleDown([...ps].reverse()))).toEqual(expected);
    expect(expected).toEqual(['d', 'a', 'b', 'c']);
  });
});

describe('sortForUpdate', () => {
  it('puts pods already preparing an update first', () => {
    const ps = [pod('a', { readyFor: null }), pod('b', { lifecycleState: 'PreparingUpdate' })];
    expect(names(sortForUpdate(ps))).toEqual(['b', 'a']);
  });

  it('updates not-ready pods before ready ones (they cost nothing in the window)', () => {
    expect(names(sortForUpdate([pod('a'), pod('b', { readyFor: null }), pod('c', { readyFor: 5 })]))).toEqual(['b', 'c', 'a']);
  });

  it('weightPriority: higher summed weight first, then the default order', () => {
    const prio: UpdatePriorityStrategy = {
      weightPriority: [
        { weight: 50, matchSelector: { matchLabels: { tier: 'canary' } } },
        { weight: 30, matchSelector: { matchLabels: { zone: 'a' } } },
      ],
    };
    const ps = [
      pod('plain', { readyFor: null }),
      pod('zone-a', { labels: { zone: 'a' } }),
      pod('canary', { labels: { tier: 'canary' } }),
      pod('both', { labels: { tier: 'canary', zone: 'a' } }),
    ];
    expect(priorityWeight(ps[3]!, prio)).toBe(80);
    expect(names(sortForUpdate(ps, { priorityStrategy: prio }))).toEqual(['both', 'canary', 'zone-a', 'plain']);
  });

  it('orderPriority: larger trailing integer first, labelled before unlabelled', () => {
    const prio = { orderPriority: [{ orderedKey: 'rank' }] };
    const ps = [pod('none'), pod('r2', { labels: { rank: 'web-2' } }), pod('r10', { labels: { rank: 'web-10' } })];
    expect(names(sortForUpdate(ps, { priorityStrategy: prio }))).toEqual(['r10', 'r2', 'none']);
  });
});

describe('sortForUpdate: scatterStrategy', () => {
  /** `count` equally ready pods p-0..p-(count-1), p-0 the newest (so the default order is p-0, p-1, ...). */
  const fleet = (count: number, labelled: Record<string, Record<string, string>>): PodView[] =>
    pods('p', count).map((p) => ({ ...p, labels: { ...p.labels, ...(labelled[p.name] ?? {}) } }));
  const zoneA = { zone: 'a' };
  const rack1 = { rack: 'r1' };
  const zone: UpdateScatterTerm[] = [{ key: 'zone', value: 'a' }];

  it.each<[string, number, Record<string, Record<string, string>>, UpdateScatterTerm[], string[]]>([
    ['no scatter: the default order', 10, { 'p-0': zoneA, 'p-1': zoneA }, [], ['p-0', 'p-1', 'p-2', 'p-3', 'p-4', 'p-5', 'p-6', 'p-7', 'p-8', 'p-9']],
    [
      '2 of 10 bunched at the front go to positions 0 and 5',
      10,
      { 'p-0': zoneA, 'p-1': zoneA },
      zone,
      ['p-0', 'p-2', 'p-3', 'p-4', 'p-5', 'p-1', 'p-6', 'p-7', 'p-8', 'p-9'],
    ],
    [
      '2 of 10 bunched at the end go to positions 0 and 5',
      10,
      { 'p-8': zoneA, 'p-9': zoneA },
      zone,
      ['p-8', 'p-0', 'p-1', 'p-2', 'p-3', 'p-9', 'p-4', 'p-5', 'p-6', 'p-7'],
    ],
    [
      '3 of 9 go to positions 0, 3 and 6',
      9,
      { 'p-6': zoneA, 'p-7': zoneA, 'p-8': zoneA },
      zone,
      ['p-6', 'p-0', 'p-1', 'p-7', 'p-2', 'p-3', 'p-8', 'p-4', 'p-5'],
    ],
    ['all matching: nothing to spread, the default order', 4, { 'p-0': zoneA, 'p-1': zoneA, 'p-2': zoneA, 'p-3': zoneA }, zone, ['p-0', 'p-1', 'p-2', 'p-3']],
    ['none matching: the default order', 4, { 'p-0': { zone: 'b' } }, zone, ['p-0', 'p-1', 'p-2', 'p-3']],
    ['one matching: nothing to spread, the default order', 4, { 'p-3': zoneA }, zone, ['p-0', 'p-1', 'p-2', 'p-3']],
    ['the key must match with the value', 6, { 'p-0': { zone: 'b' }, 'p-1': { zone: 'b' } }, zone, ['p-0', 'p-1', 'p-2', 'p-3', 'p-4', 'p-5']],
    [
      'two terms apply one after the other: zone spreads p-0/p-1, then rack spreads p-2/p-3 over the result',
      10,
      { 'p-0': zoneA, 'p-1': zoneA, 'p-2': rack1, 'p-3': rack1 },
      [
        { key: 'zone', value: 'a' },
        { key: 'rack', value: 'r1' },
      ],
      ['p-2', 'p-0', 'p-4', 'p-5', 'p-1', 'p-3', 'p-6', 'p-7', 'p-8', 'p-9'],
    ],
  ])('%s', (_name, count, labelled, scatterStrategy, expected) => {
    const ps = fleet(count, labelled);
    expect(names(sortForUpdate(ps, { scatterStrategy }))).toEqual(expected);
    // Deterministic: the order pods are listed in does not matter.
    expect(names(sortForUpdate([...ps].reverse(), { scatterStrategy }))).toEqual(expected);
  });

  it('priority decides first, then scatter spreads: the top matching pod keeps its rank, the others keep the priority order', () => {
    const ps = fleet(6, { 'p-4': { ...zoneA, tier: 'canary' }, 'p-5': { ...zoneA, tier: 'canary' } });
    const priorityStrategy: UpdatePriorityStrategy = { weightPriority: [{ weight: 100, matchSelector: { matchLabels: { tier: 'canary' } } }] };
    expect(names(sortForUpdate(ps, { priorityStrategy }))).toEqual(['p-4', 'p-5', 'p-0', 'p-1', 'p-2', 'p-3']);
    expect(names(sortForUpdate(ps, { priorityStrategy, scatterStrategy: zone }))).toEqual(['p-4', 'p-0', 'p-1', 'p-5', 'p-2', 'p-3']);
  });

  it('orderPriority then scatter', () => {
    const ps = fleet(4, { 'p-0': { rank: 'x-1' }, 'p-1': { rank: 'x-2' }, 'p-2': { rank: 'x-3', ...zoneA }, 'p-3': { rank: 'x-4', ...zoneA } });
    const priorityStrategy: UpdatePriorityStrategy = { orderPriority: [{ orderedKey: 'rank' }] };
    expect(names(sortForUpdate(ps, { priorityStrategy }))).toEqual(['p-3', 'p-2', 'p-1', 'p-0']);
    expect(names(sortForUpdate(ps, { priorityStrategy, scatterStrategy: zone }))).toEqual(['p-3', 'p-1', 'p-2', 'p-0']);
  });

  it('pods already preparing an update still go first', () => {
    const ps = fleet(6, { 'p-0': zoneA, 'p-1': zoneA }).map((p) => (p.name === 'p-4' ? { ...p, lifecycleState: 'PreparingUpdate' } : p));
    expect(names(sortForUpdate(ps, { scatterStrategy: zone }))).toEqual(['p-4', 'p-0', 'p-2', 'p-3', 'p-1', 'p-5']);
  });

  it.each<[string, string[], string[]]>([
    // 10 pods, 4 in zone a (p-0 done, p-1..p-3 left): over the whole rollout they go at 0, 2, 5 and 7.
    ['one matching pod already updated: the next one waits for its slot', ['p-0'], ['p-4', 'p-1', 'p-5', 'p-6', 'p-2', 'p-7', 'p-3', 'p-8', 'p-9']],
    // Without the updated pods, the 3 remaining would be spread over the 9 alone (0, 3, 6): p-1 right away.
    ['nothing updated yet: spread over the candidates alone', [], ['p-1', 'p-4', 'p-5', 'p-2', 'p-6', 'p-7', 'p-3', 'p-8', 'p-9']],
  ])('updated pods count as the head of the order: %s', (_name, updatedNames, expected) => {
    const all = fleet(10, { 'p-0': zoneA, 'p-1': zoneA, 'p-2': zoneA, 'p-3': zoneA });
    const candidates = all.filter((p) => p.name !== 'p-0');
    const updated = all.filter((p) => updatedNames.includes(p.name));
    expect(names(sortForUpdate(candidates, { scatterStrategy: zone, updated }))).toEqual(expected);
  });

  it('matching pods behind schedule (only non-matching pods updated so far) are spread over the pods left, not bunched', () => {
    const all = fleet(10, { 'p-8': zoneA, 'p-9': zoneA });
    // 5 non-matching pods done: both zone-a slots of the whole order (0 and 5) have passed.
    const updated = all.filter((p) => ['p-0', 'p-1', 'p-2', 'p-3', 'p-4'].includes(p.name));
    const left = all.filter((p) => !updated.includes(p));
    expect(names(scatterPods(left, zone[0]!, updated))).toEqual(['p-8', 'p-5', 'p-9', 'p-6', 'p-7']);
  });
});

describe('choosePodsToDelete (scale down)', () => {
  const upd = 'new';
  const fleet = [
    pod('old-ready', { revision: 'old' }),
    pod('old-notready', { revision: 'old', readyFor: null }),
    pod('new-ready', { revision: upd }),
    pod('new-notready', { revision: upd, readyFor: null }),
  ];
  it.each<[string, number, number, string[]]>([
    ['deletes old pods first when old pods exceed partition', 2, 2, ['old-notready', 'old-ready']],
    ['prefers the not-ready old pod', 1, 2, ['old-notready']],
    ['partition keeps the old pods: deletes new pods, not-ready first', 2, 0, ['new-notready', 'new-ready']],
    ['one old beyond partition, then new', 2, 1, ['old-notready', 'new-notready']],
    ['nothing to delete', 0, 2, []],
    ['falls back to old pods when there are too few new ones', 3, 0, ['new-notready', 'new-ready', 'old-notready']],
  ])('%s', (_name, count, oldCount, expected) => {
    expect(names(choosePodsToDelete(fleet, count, oldCount, upd))).toEqual(expected);
  });

  it('seed: 5 equally ready nginx:perl pods → the newest goes first', () => {
    const ps = [0, 1, 2, 3, 4].map((i) => pod(`nginxweb1-${i}`, { age: 1000 - i * 10 }));
    expect(names(choosePodsToDelete(ps, 1, 5, 'new'))).toEqual(['nginxweb1-4']);
  });
});
