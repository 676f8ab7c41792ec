import { defineConfig } from 'vitest/config';

/**
 * Six projects:
 * - `unit`: pure modules and the simulated cluster; no Temporal server.
 * - `realkube`: the same API rules checked against a real kube-apiserver (scripts/build-kube-apiserver.sh).
 * - `integration`: workflows on a real Temporal dev server shared by the whole run (globalSetup).
 * - `integration-real`: the rollout suite against a real kube-apiserver instead of the simulated one.
 * - `kruise`: the same scenarios under OpenKruise's kruise-manager and under ours, compared (scripts/build-kruise.sh).
 * - `production`: the production topology (scripts/production-topology.sh: PostgreSQL 15, the Temporal server on it,
 *   the Web UI server), started once for the tier: the seed and chaos with two workers and server/database restarts.
 */
export default defineConfig({
  test: {
    pool: 'forks',
    // Two files at a time: the integration files mostly wait on Pods and timers, so on 2 cores this halves the wall
    // time without starving them (each file has its own cluster and task queue; the Temporal server is shared).
    maxWorkers: 2,
    reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }]],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'test/sim/**/*.test.ts'],
          testTimeout: 30_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'realkube',
          include: ['test/realkube/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 240_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          // restricted-identity needs a real apiserver's RBAC: it runs in integration-real only.
          exclude: ['test/integration/kubectl-seed.test.ts', 'test/integration/restricted-identity.test.ts'],
          globalSetup: ['test/setup/temporal-global.ts'],
          testTimeout: 180_000,
          hookTimeout: 120_000,
        },
      },
      {
        extends: true,
        test: {
          // The rollout suite again, against a real kube-apiserver (the simulated kubelet plays the nodes).
          name: 'integration-real',
          include: [
            'test/integration/seed.test.ts',
            'test/integration/rollout.test.ts',
            'test/integration/kubectl-seed.test.ts',
            'test/integration/resize.test.ts',
            // The worker and the controller with only deploy/rbac.yaml's rules (a ServiceAccount token).
            'test/integration/restricted-identity.test.ts',
          ],
          env: { KUBE_BACKEND: 'real' },
          globalSetup: ['test/setup/temporal-global.ts'],
          testTimeout: 180_000,
          hookTimeout: 240_000,
        },
      },
      {
        extends: true,
        test: {
          // Differential: each scenario under kruise-manager v1.9.1, then under ours (Temporal for ours), compared up
          // to test/kruise/divergences.ts. Fails (never skips) when kruise-manager is not built.
          name: 'kruise',
          include: ['test/kruise/**/*.test.ts'],
          globalSetup: ['test/setup/temporal-global.ts'],
          testTimeout: 300_000,
          hookTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          // One topology for the tier (globalSetup); its files one at a time, since the chaos file restarts the
          // Temporal server and PostgreSQL under it. Fails (never skips) when scripts/build-temporal-server.sh has not run.
          name: 'production',
          include: ['test/production/**/*.test.ts'],
          globalSetup: ['test/setup/production-global.ts'],
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
