import { defineConfig } from 'vitest/config';

/** `npm run bench`: measurements, never part of the test suite (speed targets are met here, not in timed tests). */
export default defineConfig({
  test: {
    pool: 'forks',
    include: ['bench/**/*.test.ts'],
    // The rollout scenarios need a real Temporal server: the dev server, like the integration suite, or with
    // BENCH_TEMPORAL=production the production topology (scripts/production-topology.sh), like the production tier.
    globalSetup: [process.env.BENCH_TEMPORAL === 'production' ? 'test/setup/production-global.ts' : 'test/setup/temporal-global.ts'],
    fileParallelism: false,
    testTimeout: 600_000,
    hookTimeout: 300_000,
  },
});
