import { describe, expect, it } from 'vitest';
import {
  applyRecord,
  formatRollbackMarker,
  knownRevisions,
  nextRevisionNumber,
  parseRollbackMarker,
  planPrune,
  planRecord,
  resolveRevision,
  type RevisionEntry,
} from '../../../src/rollout/history.js';

/** A history from "name:number" pairs, e.g. h('a:1', 'b:2'). */
function h(...pairs: string[]): RevisionEntry[] {
  return pairs.map((p) => {
    const [name, n] = p.split(':');
    return { name: name!, revision: Number(n) };
  });
}

describe('nextRevisionNumber', () => {
  it.each([
    ['no revisions yet', h(), 1],
    ['one revision', h('a:1'), 2],
    ['contiguous', h('a:1', 'b:2', 'c:3'), 4],
    ['after pruning (count + 1 would collide with c)', h('c:3', 'd:4'), 5],
    ['gaps and any order', h('x:7', 'a:2', 'k:5'), 8],
  ])('%s → %i', (_name, revisions, expected) => {
    expect(nextRevisionNumber(revisions)).toBe(expected);
  });
});

describe('planRecord', () => {
  it.each([
    ['first revision', h(), 'a', { action: 'create', name: 'a', revision: 1 }],
    ['a new template', h('a:1', 'b:2'), 'c', { action: 'create', name: 'c', revision: 3 }],
    ['a new template after pruning', h('c:3', 'd:4'), 'e', { action: 'create', name: 'e', revision: 5 }],
    ['the newest again (re-prepare, retry)', h('a:1', 'b:2'), 'b', { action: 'none', name: 'b', revision: 2 }],
    ['only revision', h('a:1'), 'a', { action: 'none', name: 'a', revision: 1 }],
    ['rolling back to an older one moves it to the top', h('a:1', 'b:2', 'c:3'), 'a', { action: 'renumber', name: 'a', from: 1, revision: 4 }],
    ['a middle one', h('a:1', 'b:2', 'c:3'), 'b', { action: 'renumber', name: 'b', from: 2, revision: 4 }],
    ['tied with another at the top', h('a:3', 'b:3'), 'a', { action: 'renumber', name: 'a', from: 3, revision: 4 }],
  ])('%s', (_name, revisions, name, expected) => {
    expect(planRecord(revisions, name)).toEqual(expected);
  });

  it('is idempotent: planning again after applying the plan changes nothing', () => {
    let revisions = h('a:1', 'b:2', 'c:3');
    for (const name of ['a', 'a', 'd', 'd', 'b', 'c', 'c']) {
      const plan = planRecord(revisions, name);
      revisions = applyRecord(revisions, plan, (n, revision) => ({ name: n, revision }));
      expect(planRecord(revisions, name).action).toBe('none');
    }
    expect(revisions.sort((x, y) => x.revision - y.revision)).toEqual(h('a:4', 'd:5', 'b:6', 'c:7'));
  });

  it('applyRecord copies, never modifies its input', () => {
    const revisions = h('a:1', 'b:2');
    const after = applyRecord(revisions, planRecord(revisions, 'a'), (name, revision) => ({ name, revision }));
    expect(after).toEqual(h('a:3', 'b:2'));
    expect(revisions).toEqual(h('a:1', 'b:2'));
  });
});

describe('planPrune', () => {
  it.each([
    ['under the limit', h('a:1', 'b:2', 'c:3'), 10, ['c'], []],
    ['exactly the limit of historic ones', h('a:1', 'b:2', 'c:3'), 2, ['c'], []],
    ['the oldest beyond the limit', h('a:1', 'b:2', 'c:3', 'd:4', 'e:5'), 2, ['e', 'd'], ['a']],
    ['by number, not by order given', h('e:5', 'b:2', 'd:4', 'a:1', 'c:3'), 1, ['e'], ['a', 'b', 'c']],
    ['live revisions never count nor go, however old', h('a:1', 'b:2', 'c:3', 'd:4', 'e:5'), 1, ['e', 'a', 'b'], ['c']],
    ['limit 0 keeps only live ones', h('a:1', 'b:2', 'c:3'), 0, ['c'], ['a', 'b']],
    ['a negative limit counts as 0', h('a:1', 'b:2'), -3, ['b'], ['a']],
    ['a renumbered revision (rollback) is newest', h('b:2', 'c:3', 'd:4', 'a:5'), 1, ['a'], ['b', 'c']],
    ['nothing at all', h(), 2, [], []],
  ])('%s', (_name, revisions, limit, live, deleted) => {
    expect(planPrune(revisions, { limit, live }).map((r) => r.name)).toEqual(deleted);
  });

  it("keeps the caller's entries (extra fields included) and does not reorder its input", () => {
    const revisions = [
      { name: 'b', revision: 2, createdAt: 'y' },
      { name: 'a', revision: 1, createdAt: 'x' },
    ];
    expect(planPrune(revisions, { limit: 0, live: [] })).toEqual([revisions[1], revisions[0]]);
    expect(revisions.map((r) => r.name)).toEqual(['b', 'a']);
  });
});

describe('resolveRevision', () => {
  const opts = { cloneSet: 'prod/web', templateRevision: 'd' };
  it.each([
    ['an explicit number', h('a:1', 'b:2', 'd:4'), 2, 'b'],
    ['the oldest kept', h('a:1', 'b:2', 'd:4'), 1, 'a'],
    ["the current template's own (a no-op rollout)", h('a:1', 'b:2', 'd:4'), 4, 'd'],
    ['0: the previous one', h('a:1', 'b:2', 'd:4'), 0, 'b'],
    ['undefined: the previous one', h('a:1', 'b:2', 'd:4'), undefined, 'b'],
    ['previous after a rollback renumbered an old one', h('b:2', 'c:3', 'd:5'), 0, 'c'],
    ['previous when the template has no revision yet (edited, not rolled out): the newest', h('a:1', 'b:2'), 0, 'b'],
  ])('%s', (_name, revisions, requested, expected) => {
    const r = resolveRevision(revisions, requested, opts);
    expect(r).toEqual({ ok: true, value: revisions.find((x) => x.name === expected) });
  });

  it.each([
    ['an unknown number', h('a:1', 'b:2', 'd:4'), 7, 'CloneSet prod/web has no revision 7 (known: 1, 2, 4)'],
    ['a pruned number', h('c:3', 'd:4'), 1, 'CloneSet prod/web has no revision 1 (known: 3, 4)'],
    ['any number with no history', h(), 1, 'CloneSet prod/web has no revision 1 (known: none)'],
    ["previous with only the template's own", h('d:4'), 0, 'CloneSet prod/web has no previous revision to roll back to (known: 4)'],
    ['previous with no history', h(), undefined, 'CloneSet prod/web has no previous revision to roll back to (known: none)'],
    ['a negative number', h('a:1'), -1, 'revision -1 must be an integer ≥ 0 (0: the previous revision)'],
    ['a fraction', h('a:1'), 1.5, 'revision 1.5 must be an integer ≥ 0 (0: the previous revision)'],
    ['an ambiguous number', h('x:3', 'a:3'), 3, 'CloneSet prod/web has 2 revisions numbered 3 (a, x); roll out one of them by its images instead'],
  ])('refuses %s', (_name, revisions, requested, error) => {
    expect(resolveRevision(revisions, requested, opts)).toEqual({ ok: false, error });
  });
});

describe('knownRevisions', () => {
  it.each([
    [h(), 'none'],
    [h('b:4', 'a:1', 'c:2'), '1, 2, 4'],
    [h('a:3', 'b:3'), '3'],
  ])('%j → %s', (revisions, expected) => {
    expect(knownRevisions(revisions)).toBe(expected);
  });
});

describe('rollback marker', () => {
  it('round-trips', () => {
    const m = { run: 'run-1', revision: 'web-abc', number: 2 };
    expect(parseRollbackMarker(formatRollbackMarker(m))).toEqual(m);
  });

  it.each([[undefined], [''], ['not json'], ['{"run":"r"}'], ['{"run":1,"revision":"x","number":1}'], ['null']])('ignores %j', (value) => {
    expect(parseRollbackMarker(value)).toBeNull();
  });
});
