/**
 * The workflow bundle `npm run build` wrote (dist/workflow-bundle.js, scripts/bundle-workflows.mjs), shared by the test
 * files instead of each one running webpack (about 3 s a file). It is built from dist/, compiled from src/: if any
 * source module it bundles is newer than it, the tests would run old workflow code, so that is refused.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const WORKFLOW_BUNDLE_PATH = `${ROOT}dist/workflow-bundle.js`;

let cached: { codePath: string } | undefined;

/**
 * The prebuilt bundle, for `createRolloutWorker({ workflowBundle })` (loaded as production workers load it, by path);
 * throws "run npm run build" if it is missing or stale.
 */
export function prebuiltWorkflowBundle(): { codePath: string } {
  if (cached) return cached;
  if (!existsSync(WORKFLOW_BUNDLE_PATH)) throw new Error(`${WORKFLOW_BUNDLE_PATH} is missing: run \`npm run build\` first`);
  const builtAt = statSync(WORKFLOW_BUNDLE_PATH).mtimeMs;
  const code = readFileSync(WORKFLOW_BUNDLE_PATH, 'utf8');
  // The bundle names its modules by path ("./dist/workflows/rollout.js"): each comes from src/<same>.ts.
  const modules = new Set([...code.matchAll(/"\.\/dist\/([\w/.-]+)\.js"/g)].map((m) => m[1]!));
  if (modules.size === 0) throw new Error(`${WORKFLOW_BUNDLE_PATH} lists no dist/ module: run \`npm run build\``);
  const newer = [...modules].map((m) => `src/${m}.ts`).filter((src) => existsSync(ROOT + src) && statSync(ROOT + src).mtimeMs > builtAt);
  if (newer.length > 0) throw new Error(`${WORKFLOW_BUNDLE_PATH} is stale (older than ${newer.join(', ')}): run \`npm run build\``);
  cached = { codePath: WORKFLOW_BUNDLE_PATH };
  return cached;
}
