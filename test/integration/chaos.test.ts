/**
 * The chaos supervisor at reduced size inside the normal suite: 2 CloneSets × 4 Pods (InPlaceOnly with a sidecar;
 * InPlaceIfPossible with a partition), two image changes each, ≥ 5 worker SIGKILLs (in grace, right after an image
 * patch, in readiness waits), one Temporal server restart, 5xx/409/latency/dropped watches. Its own dev server and
 * cluster (not the suite's shared server): the server is restarted. The full size is `npm run test:chaos`.
 */
import { expect, it } from 'vitest';
import { REDUCED, formatReport, runChaos } from '../chaos/supervisor.js';
import { assertChaosReport, printChaosReport } from '../chaos/report.js';
import { testLogger } from '../support/env.js';

it('rollouts survive worker kills, a server restart and API faults with every invariant kept (reduced size)', async () => {
  const report = await runChaos(REDUCED, (line) => testLogger.info(line));
  printChaosReport(report, formatReport(report));
  assertChaosReport(report, REDUCED);
  expect(report.durationMs).toBeLessThan(REDUCED.deadlineMs);
}, 150_000);
