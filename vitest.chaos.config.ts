import { defineConfig } from 'vitest/config';

/** `npm run test:chaos`: the full-size chaos run (test/chaos/supervisor.ts); minutes long, never part of `npm test`. */
export default defineConfig({
  test: {
    pool: 'forks',
    include: ['test/chaos/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 30 * 60_000,
    hookTimeout: 300_000,
  },
});
