/**
 * The seed walkthrough (test/integration/seed.test.ts, unchanged) on the production topology: the shared harness
 * (test/support/env.ts) reads `inject('temporalAddress')`, which the production globalSetup points at the Temporal
 * server on PostgreSQL.
 */
import '../integration/seed.test.js';
