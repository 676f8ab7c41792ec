/**
 * One scenario under one controller: a fresh apiserver + sim kubelet + the controller (test/support/kruise.ts), the
 * recorder watching the namespace from before the first write, the scenario, then the end state read back and turned
 * into observables. The run's logs and its observables stay in test-results/kruise/<scenario>-<controller>/.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { CLONESET } from '../../src/kube/clients.js';
import { startControllerRun, type ControllerName } from '../support/kruise.js';
import { Recorder, type StoredCloneSet } from '../support/recorder.js';
import { observe, type Observables } from './observables.js';
import type { Scenario, ScenarioCtx } from './scenarios.js';

const RESULTS = fileURLToPath(new URL('../../test-results/kruise/', import.meta.url));

export async function runScenario(scenario: Scenario, controller: ControllerName, address: string): Promise<Observables> {
  const dir = join(RESULTS, `${scenario.name}-${controller}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const run = await startControllerRun(controller, {
    dir,
    address,
    kubelet: scenario.kubelet,
    kruiseArgs: controller === 'kruise' ? scenario.kruiseArgs : undefined,
  });
  const ns = `${scenario.name}-${randomBytes(3).toString('hex')}`;
  const core = run.kc.makeApiClient(CoreV1Api);
  const rec = new Recorder(run.kc, ns);
  try {
    await core.createNamespace({ body: { metadata: { name: ns } } });
    await rec.start();
    const ctx: ScenarioCtx = { kc: run.kc, ns, rec, core, custom: run.kc.makeApiClient(CustomObjectsApi), extra: {}, snapshots: {} };
    let outcome: Awaited<ReturnType<Scenario['run']>>;
    try {
      outcome = await scenario.run(ctx);
    } catch (err) {
      throw new Error(`${scenario.name} under ${controller}: ${(err as Error).message}\n(logs in ${dir}; controller log tail:)\n${run.process.tail(30)}`);
    }
    const pods = (await ctx.core.listNamespacedPod({ namespace: ns })).items;
    const cloneSet = (await ctx.custom.getNamespacedCustomObject({ ...CLONESET, namespace: ns, name: outcome.name })) as StoredCloneSet;
    const events = await rec.events();
    rec.stop();
    const observables = observe({ rec, ...outcome, pods, cloneSet, events, extra: ctx.extra, snapshots: ctx.snapshots });
    writeFileSync(join(dir, 'observables.json'), JSON.stringify(observables, null, 1));
    writeFileSync(join(dir, 'end.json'), JSON.stringify({ pods, cloneSet, events }, null, 1));
    writeFileSync(join(dir, 'watch-log.json'), JSON.stringify({ marks: Object.fromEntries(rec.marks), log: rec.log }, null, 0));
    return observables;
  } finally {
    rec.stop();
    await run.stop();
  }
}
