/**
 * Vitest globalSetup for the production project: the production topology (scripts/production-topology.sh) started
 * once for the whole tier in a fresh directory — PostgreSQL 15, the Temporal server on it, the Web UI server. Test
 * files read the frontend as `inject('temporalAddress')` (so the shared harness, test/support/env.ts, runs on it
 * unchanged) and the directory as `inject('productionDir')` (to restart the server or the database, see
 * test/support/production.ts). Fails, saying so, when the binaries are not built (scripts/build-temporal-server.sh).
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { ProductionTopology } from '../support/production.js';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    productionDir: string;
    productionUiUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const dir = mkdtempSync(join(tmpdir(), 'production-'));
  chmodSync(dir, 0o755); // PostgreSQL runs as its own user, inside
  const topology = new ProductionTopology(dir);
  try {
    const endpoints = await topology.start(process.pid); // stopped by a watchdog if this run dies before teardown
    project.provide('temporalAddress', endpoints.temporalAddress);
    project.provide('productionDir', dir);
    project.provide('productionUiUrl', endpoints.uiUrl);
  } catch (err) {
    await topology.stop().catch(() => undefined);
    throw err;
  }
  return async () => {
    await topology.stop();
    if (!process.env.KEEP_PRODUCTION_DIR) rmSync(dir, { recursive: true, force: true });
  };
}
