import { defineConfig } from 'vitest/config';

/**
 * `npm run histories:record`: re-records test/histories/*.json from real rollouts on the current workflow code (see
 * docs/workflow-versioning.md for when). Never part of the test suite.
 */
export default defineConfig({
  test: {
    pool: 'forks',
    include: ['test/histories/record.test.ts'],
    globalSetup: ['test/setup/temporal-global.ts'],
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 120_000,
  },
});
