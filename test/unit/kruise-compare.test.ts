/**
 * The kruise tier's comparison, step by step: equal observables pass, an unlisted difference is reported with both
 * values, a listed one is explained only when both sides show exactly the listed values, and a listed line that no
 * longer holds (equal now, or different otherwise) is reported as stale. Plus the shapes values are compared by.
 */
import { describe, expect, it } from 'vitest';
import { compare, report } from '../kruise/compare.js';
import type { Divergence } from '../kruise/divergences.js';
import { shape } from '../kruise/observables.js';

const line = (over: Partial<Divergence> = {}): Divergence => ({
  id: 'pod-template-hash',
  scenarios: ['seed'],
  observable: 'pod.label.pod-template-hash',
  kruise: ['the revision hash'],
  ours: ['(absent)'],
  reason: 'Kruise labels Pods with it; ours does not.',
  ...over,
});

describe('compare', () => {
  const cases: {
    step: string;
    kruise: Record<string, unknown>;
    ours: Record<string, unknown>;
    table: Divergence[];
    unexpected: string[];
    stale: string[];
    explained: string[];
  }[] = [
    {
      step: '1. equal observables: nothing to report',
      kruise: { a: 1, b: [1, 2] },
      ours: { b: [1, 2], a: 1 },
      table: [],
      unexpected: [],
      stale: [],
      explained: [],
    },
    { step: '2. a difference nobody listed is unexpected', kruise: { a: 1 }, ours: { a: 2 }, table: [], unexpected: ['a'], stale: [], explained: [] },
    { step: '3. a key on one side only is a difference (absent)', kruise: { a: 1 }, ours: {}, table: [], unexpected: ['a'], stale: [], explained: [] },
    {
      step: '4. a listed difference with the listed values is explained',
      kruise: { 'pod.label.pod-template-hash': ['the revision hash'] },
      ours: { 'pod.label.pod-template-hash': ['(absent)'] },
      table: [line()],
      unexpected: [],
      stale: [],
      explained: ['pod-template-hash'],
    },
    {
      step: '5. a listed difference that is gone (fixed) is stale',
      kruise: { 'pod.label.pod-template-hash': ['the revision hash'] },
      ours: { 'pod.label.pod-template-hash': ['the revision hash'] },
      table: [line()],
      unexpected: [],
      stale: ['pod-template-hash'],
      explained: [],
    },
    {
      step: '6. a listed difference that changed its values is stale',
      kruise: { 'pod.label.pod-template-hash': ['the revision hash'] },
      ours: { 'pod.label.pod-template-hash': ['other: <string>'] },
      table: [line()],
      unexpected: [],
      stale: ['pod-template-hash'],
      explained: [],
    },
    {
      step: '7. a line for other scenarios does not apply',
      kruise: { 'pod.label.pod-template-hash': ['the revision hash'] },
      ours: {},
      table: [line({ scenarios: ['partition'] })],
      unexpected: ['pod.label.pod-template-hash'],
      stale: [],
      explained: [],
    },
    {
      step: '8. a line with anyValues holds whenever the sides differ, and is stale when they agree',
      kruise: { 'revision.hash': '775dd67bf6', 'x.hash': 'a' },
      ours: { 'revision.hash': '54cd978c4b', 'x.hash': 'a' },
      table: [line({ id: 'revision-hash', observable: 'revision.hash', anyValues: true }), line({ id: 'x', observable: 'x.hash', anyValues: true })],
      unexpected: [],
      stale: ['x'],
      explained: ['revision-hash'],
    },
  ];
  for (const c of cases) {
    it(c.step, () => {
      const r = compare('seed', c.kruise as never, c.ours as never, c.table);
      expect(r.unexpected.map((d) => d.observable)).toEqual(c.unexpected);
      expect(r.stale.map((s) => s.divergence.id)).toEqual(c.stale);
      expect(r.explained.map((d) => d.id)).toEqual(c.explained);
      expect(report('seed', r) === '').toBe(c.unexpected.length + c.stale.length === 0);
    });
  }
  it('9. the report names the observable and both values', () => {
    const text = report('seed', compare('seed', { a: [1] }, { a: [2] }, []));
    expect(text).toContain('a\n    kruise: [1]\n    ours:   [2]');
  });
});

describe('shape', () => {
  it.each([
    ['2026-12-01T12:00:00Z', '<time:secondsZ>'],
    ['2026-12-01T12:00:00.123Z', '<time:fraction3Z>'],
    ['web-5d8f7c9b4', '<name>-<hash>'],
    ['web-Not_A_Hash', '<name>-<string>'],
    ['anything', '<string>'],
  ])('%s → %s', (value, want) => {
    expect(shape(value, 'web')).toBe(want);
  });
  it('keeps keys, merges array items, marks absent', () => {
    expect(shape({ b: [{ t: '2026-12-01T12:00:00Z' }, { t: '2026-12-01T12:00:01Z' }], a: true, n: 3 }, 'web')).toEqual({
      a: true,
      b: [{ t: '<time:secondsZ>' }],
      n: '<number>',
    });
    expect(shape(undefined, 'web')).toBe('(absent)');
  });
});
