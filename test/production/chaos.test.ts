/**
 * Chaos on the production topology: the reduced chaos run's CloneSets and faults (test/chaos/supervisor.ts), with two
 * worker processes on the one task queue (each kill SIGKILLs one of them, chosen at random, at a chosen instant), a
 * restart of the Temporal server process (stopped, held, started again on the same PostgreSQL) and a PostgreSQL
 * restart (`pg_ctl restart -m fast`) under the running server, both while rollouts run. The same invariants as the
 * other chaos runs: unavailable never above maxUnavailable (an independent watcher per CloneSet), every rollout
 * completed, no Pod recreated, every container restarted once per image change, 0 violations.
 */
import { expect, inject, it } from 'vitest';
import { REDUCED, formatReport, runChaos, type ChaosBackend, type ChaosSize } from '../chaos/supervisor.js';
import { assertChaosReport, printChaosReport } from '../chaos/report.js';
import { testLogger } from '../support/env.js';
import { ProductionTopology } from '../support/production.js';

const PRODUCTION: ChaosSize = {
  ...REDUCED,
  name: 'production',
  workers: 2,
  minKills: 5,
  maxKills: 8,
  // Early in the run, so that rollouts are still running whatever the machine's speed (asserted below).
  serverRestartAtKills: [1],
  databaseRestartAtKills: [3],
  minDatabaseRestarts: 1,
  deadlineMs: 300_000,
};

it('rollouts survive SIGKILLs of either of two workers, a Temporal server restart and a PostgreSQL restart', async () => {
  const topology = new ProductionTopology(inject('productionDir'));
  const backend: ChaosBackend = {
    start: async () => inject('temporalAddress'),
    async restartServer(holdMs) {
      await topology.stopTemporal();
      await new Promise((r) => setTimeout(r, holdMs));
      await topology.startTemporal();
    },
    async restartDatabase() {
      await topology.restartPostgres();
    },
    stop: async () => undefined, // the topology is the tier's (globalSetup)
  };
  const report = await runChaos(PRODUCTION, (line) => testLogger.info(line), backend);
  printChaosReport(report, formatReport(report));
  assertChaosReport(report, PRODUCTION);
  expect(report.serverRestarts.total).toBe(1);
  expect(report.databaseRestarts.total).toBe(1);
  // Both mid-rollout.
  expect(report.serverRestarts.log[0]!.rolloutsRunning).not.toEqual([]);
  expect(report.databaseRestarts.log[0]!.rolloutsRunning).not.toEqual([]);
}, 360_000);
