/**
 * The comparison of one scenario's observables under Kruise and under ours: every observable must be equal, except
 * those the divergence table lists for this scenario, which must differ exactly as listed (so a fix that removes a
 * difference fails the test until its line is removed, and a difference that changes shape is seen).
 */
import { stableJson, type Json, type Observables } from './observables.js';
import type { Divergence } from './divergences.js';

export interface Difference {
  observable: string;
  kruise: Json;
  ours: Json;
}

export interface Comparison {
  /** Differences no divergence explains. */
  unexpected: Difference[];
  /** Divergences listed for this scenario whose observable is equal on both sides, or differs otherwise than listed. */
  stale: { divergence: Divergence; actual: Difference }[];
  /** Divergences seen as listed. */
  explained: Divergence[];
}

const ABSENT = '(absent)';

export function appliesTo(d: Divergence, scenario: string): boolean {
  return d.scenarios === 'all' || d.scenarios.includes(scenario);
}

export function compare(scenario: string, kruise: Observables, ours: Observables, table: readonly Divergence[]): Comparison {
  const out: Comparison = { unexpected: [], stale: [], explained: [] };
  const listed = table.filter((d) => appliesTo(d, scenario));
  const keys = [...new Set([...Object.keys(kruise), ...Object.keys(ours), ...listed.map((d) => d.observable)])].sort();
  for (const observable of keys) {
    const actual: Difference = { observable, kruise: kruise[observable] ?? ABSENT, ours: ours[observable] ?? ABSENT };
    const same = stableJson(actual.kruise) === stableJson(actual.ours);
    const d = listed.find((x) => x.observable === observable);
    if (d) {
      const asListed = d.anyValues || (stableJson(d.kruise) === stableJson(actual.kruise) && stableJson(d.ours) === stableJson(actual.ours));
      if (!same && asListed) out.explained.push(d);
      else out.stale.push({ divergence: d, actual });
    } else if (!same) {
      out.unexpected.push(actual);
    }
  }
  return out;
}

/** A readable account of what did not match, for the failure message (empty when everything matched). */
export function report(scenario: string, c: Comparison): string {
  const lines: string[] = [];
  if (c.unexpected.length) {
    lines.push(`${scenario}: ${c.unexpected.length} difference(s) between Kruise and ours that test/kruise/divergences.ts does not list:`);
    for (const d of c.unexpected) lines.push(`  ${d.observable}\n    kruise: ${stableJson(d.kruise)}\n    ours:   ${stableJson(d.ours)}`);
  }
  if (c.stale.length) {
    lines.push(
      `${scenario}: ${c.stale.length} divergence(s) listed in test/kruise/divergences.ts that no longer hold as written (remove or update the line and its row in docs/kruise-divergences.md):`,
    );
    for (const { divergence: d, actual } of c.stale) {
      lines.push(
        `  ${d.id} (${d.observable})\n    listed: kruise ${stableJson(d.kruise)} / ours ${stableJson(d.ours)}\n    seen:   kruise ${stableJson(actual.kruise)} / ours ${stableJson(actual.ours)}`,
      );
    }
  }
  return lines.join('\n');
}
