// ESLint flat config. Type-aware (tsconfig.test.json covers src, test, bench and the vitest configs); Prettier owns
// formatting (eslint-config-prettier, last, turns off every rule that would fight it).
import { builtinModules } from 'node:module';
import { defineConfig } from 'eslint/config';
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const DETERMINISM = 'workflow code must be deterministic and free of I/O (it is replayed in the Temporal sandbox)';

/** Imports banned in the workflow sandbox and in the pure planner it runs (src/rollout is imported by workflows). */
const pureImports = {
  paths: [
    ...builtinModules.filter((m) => !m.startsWith('_')).map((name) => ({ name, message: `Node built-in module: ${DETERMINISM}; do the I/O in an activity.` })),
    { name: '@kubernetes/client-node', message: `Kubernetes API client: ${DETERMINISM}; talk to the cluster in an activity.` },
    { name: 'pino', message: `Node logger: ${DETERMINISM}; use log from @temporalio/workflow (or return data to the caller).` },
    ...['@temporalio/activity', '@temporalio/client', '@temporalio/worker', '@temporalio/testing'].map((name) => ({
      name,
      message: `Node-side Temporal package: ${DETERMINISM}; workflows use @temporalio/workflow and @temporalio/common.`,
    })),
  ],
  patterns: [
    { group: ['node:*'], message: `Node built-in module: ${DETERMINISM}; do the I/O in an activity.` },
    { group: ['@kubernetes/client-node/*', 'pino/*'], message: `Node-side package: ${DETERMINISM}.` },
  ],
};

export default defineConfig(
  { ignores: ['dist/', 'node_modules/', '.tools/', '.state/', 'test-results/', 'tools/', 'coverage/'] },

  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      // tsconfig.test.json, the program `npm run typecheck` checks: tsconfig.json only covers src/, so the project
      // service would put test/, bench/ and the vitest configs in default projects.
      parserOptions: { project: './tsconfig.test.json', tsconfigRootDir: import.meta.dirname },
      globals: { ...globals.node },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // A promise nobody awaits is a lost error (an unhandled rejection kills the worker) or, in a workflow, a step
      // that silently runs concurrently with the next one. `void` marks the deliberate ones.
      '@typescript-eslint/no-floating-promises': 'error',
      // An async callback where a void one is expected (event handlers, forEach, timers): its rejection is dropped.
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],

      // The no-unsafe-* family flags every use of an `any`: JSON.parse results, Kubernetes API objects and test
      // doubles are `any` by design here, and each is validated (zod) or asserted on where it matters.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      // The code is written for noUncheckedIndexedAccess (tsc passes with it): `xs[i]!` and `m[1] as string` state
      // that the element exists. Without that flag in tsconfig.json this rule would strip ~300 of them.
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
    },
  },

  {
    files: ['test/**', 'bench/**'],
    rules: {
      // Doubles, fakes and malformed inputs are written with `any` on purpose.
      '@typescript-eslint/no-explicit-any': 'off',
      // Doubles and polling callbacks are async to match the promise-returning API they stand in for.
      '@typescript-eslint/require-await': 'off',
    },
  },

  // Plain JavaScript (build scripts, the bin shim, this file): not in the TypeScript program.
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },

  // Workflow code and the pure planner it calls: no I/O, no Node.
  {
    files: ['src/workflows/**', 'src/rollout/**'],
    rules: {
      'no-restricted-imports': ['error', pureImports],
    },
  },
  // Workflows only: the sandbox makes these deterministic, but hidden time and randomness make replays hard to
  // reason about; say what is meant with the workflow API.
  {
    files: ['src/workflows/**'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: `${DETERMINISM}: take the time from an activity result or workflowInfo().` },
        { object: 'Math', property: 'random', message: `${DETERMINISM}: use uuid4() from @temporalio/workflow, or decide in an activity.` },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'setTimeout', message: `${DETERMINISM}: use sleep() or condition(fn, timeout) from @temporalio/workflow.` },
        { name: 'setInterval', message: `${DETERMINISM}: loop over sleep() from @temporalio/workflow.` },
        { name: 'process', message: `${DETERMINISM}: there is no process in the workflow sandbox; pass it in the input.` },
      ],
    },
  },

  prettier,
);
