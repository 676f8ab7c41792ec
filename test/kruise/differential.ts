/**
 * The differential tier's test body: each scenario runs under OpenKruise's kruise-manager, then under ours, each on a
 * fresh apiserver, and the observables must match up to the divergence table. Scenarios run one after the other in a
 * file; the tier is split in two files so vitest runs two at a time.
 */
import { describe, expect, inject, it } from 'vitest';
import { kruiseMissing } from '../support/kruise.js';
import { compare, report } from './compare.js';
import { DIVERGENCES } from './divergences.js';
import { runScenario } from './run.js';
import { scenario } from './scenarios.js';

export function differential(names: string[]): void {
  describe('kruise differential: the same scenario under kruise-manager and under ours', () => {
    it('has kruise-manager built', () => {
      // never a silent skip: without the binary the tier fails, saying how to build it
      expect(kruiseMissing(), 'kruise-manager').toBeNull();
    });
    for (const name of names) {
      const s = scenario(name);
      it(`${s.name}: ${s.title}`, async () => {
        const why = kruiseMissing();
        if (why) throw new Error(why);
        const address = inject('temporalAddress');
        const kruise = await runScenario(s, 'kruise', address);
        const ours = await runScenario(s, 'ours', address);
        const c = compare(s.name, kruise, ours, DIVERGENCES);
        const text = report(s.name, c);
        expect(c.unexpected.length + c.stale.length, text).toBe(0);
      });
    }
  });
}
