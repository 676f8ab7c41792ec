import { defineConfig } from 'vitest/config';

/** `npm run bench`: measurements, never part of the test suite (speed targets are met here, not in timed tests). */
export default defineConfig({
  test: {
    pool: 'forks',
    include: ['bench/**/*.test.ts'],
    // The rollout scenarios need the real Temporal dev server, like the integration suite.
    globalSetup: ['test/setup/temporal-global.ts'],
    fileParallelism: false,
    testTimeout: 600_000,
    hookTimeout: 300_000,
  },
});
