/**
 * `npm run test:chaos`: the full-size chaos run (6 CloneSets × 8 Pods, ≥ 30 worker SIGKILLs, ≥ 2 Temporal server
 * restarts, API faults). See test/chaos/supervisor.ts; the reduced size runs in the normal suite
 * (test/integration/chaos.test.ts).
 */
import { expect, it } from 'vitest';
import { FULL, formatReport, runChaos } from './supervisor.js';
import { assertChaosReport, printChaosReport } from './report.js';

it(
  'rollouts survive worker kills, server restarts and API faults with every invariant kept (full size)',
  async () => {
    const report = await runChaos(FULL, (line) => console.log(line));
    printChaosReport(report, formatReport(report));
    assertChaosReport(report, FULL);
    expect(report.kills.byKind.grace + report.kills.byKind['after-image'] + report.kills.byKind.readiness).toBeGreaterThan(0);
  },
  FULL.deadlineMs + 120_000,
);
