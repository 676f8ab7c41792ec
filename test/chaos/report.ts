/** Printing and asserting a chaos report (shared by the full run and the reduced in-suite run). */
import { mkdirSync, writeFileSync } from 'node:fs';
import { expect } from 'vitest';
import type { ChaosReport, ChaosSize } from './supervisor.js';

export function printChaosReport(report: ChaosReport, table: string): void {
  const { log: _kills, ...kills } = report.kills;
  console.log(`${table}\nCHAOS_JSON ${JSON.stringify({ ...report, kills })}`);
  mkdirSync('test-results', { recursive: true });
  writeFileSync(`test-results/chaos-${report.size}.json`, `${JSON.stringify(report, null, 2)}\n`);
}

export function assertChaosReport(report: ChaosReport, size: ChaosSize): void {
  expect(report.violations).toEqual([]);
  expect(report.rollouts.failed).toEqual([]);
  expect(report.rollouts.completed).toBe(report.rollouts.planned);
  expect(report.kills.total).toBeGreaterThanOrEqual(size.minKills);
  expect(report.serverRestarts.total).toBeGreaterThanOrEqual(size.minServerRestarts);
  expect(report.databaseRestarts.total).toBeGreaterThanOrEqual(size.minDatabaseRestarts ?? 0);
  expect(report.workers).toBe(size.workers ?? 1);
  expect(report.faultsTotal).toBeGreaterThan(0);
  expect(report.resume.samples).toBeGreaterThan(0);
}
