/**
 * Vitest globalSetup for the integration project: one real Temporal dev server (headless, in memory) shared by the
 * whole run. Test files read its address with `inject('temporalAddress')`. startDevServer picks its ports below the
 * kernel's ephemeral range and retries with other ports when one is taken before the server binds it, so the suite
 * does not fail on a port race with other processes on the machine.
 */
import type { TestProject } from 'vitest/node';
import { startDevServer } from '../../src/temporal/dev-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
  }
}

export default async function setup(project: TestProject) {
  const server = await startDevServer({ headless: true, logLevel: 'error' });
  project.provide('temporalAddress', server.address);
  return async () => {
    await server.stop();
  };
}
