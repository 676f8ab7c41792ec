import { defineConfig } from 'vitest/config';

/** `npm run bench`: measurements, never part of the test suite (speed targets are met here, not in timed tests). */
export default defineConfig({
  test: {
    pool: 'forks',
    include: ['bench/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 600_000,
    hookTimeout: 300_000,
  },
});
