import { describe, expect, it } from 'vitest';
import {
  choosePodsToDelete,
  compareActivePods,
  priorityWeight,
  sortForScaleDown,
  sortForUpdate,
  type PodView,
  type UpdatePriorityStrategy,
} from '../../../src/rollout/index.js';
import { pod } from './fixtures.js';

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
