/** docs/kruise-divergences.md mirrors test/kruise/divergences.ts line by line, and every line has a reason. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DIVERGENCES, docRow } from './divergences.js';
import { SCENARIOS } from './scenarios.js';

const DOC = new URL('../../docs/kruise-divergences.md', import.meta.url);

describe('the divergence table', () => {
  it('is mirrored row by row in docs/kruise-divergences.md', () => {
    const rows = readFileSync(DOC, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('| ') && !l.startsWith('| id ') && !l.startsWith('|--'));
    expect(rows, 'docs/kruise-divergences.md table rows (expected: one docRow per DIVERGENCES entry, same order)').toEqual(DIVERGENCES.map(docRow));
  });

  it('names real scenarios, unique ids, one line per observable and scenario, and a reason each', () => {
    const names = new Set(SCENARIOS.map((s) => s.name));
    const ids = new Set<string>();
    const seen = new Set<string>();
    for (const d of DIVERGENCES) {
      expect(ids.has(d.id), `duplicate id ${d.id}`).toBe(false);
      ids.add(d.id);
      expect(d.reason.trim().length, `${d.id} has a reason`).toBeGreaterThan(20);
      const scenarios = d.scenarios === 'all' ? [...names] : d.scenarios;
      for (const s of scenarios) {
        expect(names.has(s), `${d.id}: scenario ${s}`).toBe(true);
        expect(seen.has(`${s} ${d.observable}`), `${d.id}: ${d.observable} listed twice for ${s}`).toBe(false);
        seen.add(`${s} ${d.observable}`);
      }
    }
  });
});
