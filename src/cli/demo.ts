/**
 * `cloneset-rollout demo`: the seed walkthrough end to end on the embedded Temporal server and simulated cluster.
 *  1. apply examples/nginx01.yaml (5 replicas, nginx:perl) and roll it out: 5 Pods are created;
 *  2. apply examples/nginx02.yaml (InPlaceIfPossible, 4 replicas, minReadySeconds 30, nginx:latest) and roll it out:
 *     one Pod is scaled away and the other four are upgraded in place;
 *  3. print the evidence: same Pod names and UIDs, restartCount 1, nginx:latest running, 4 replicas, UI link.
 *
 * `demo --resize` rolls a cpu change in place instead: examples/resize01.yaml (nginxweb2, 4 replicas asking for 100m,
 * limit 200m), then examples/resize02.yaml (200m, limit 400m), resized through pods/resize: the same Pods, the
 * kubelet reporting the new cpu, no container restarted.
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import logUpdate from 'log-update';
import type { Logger } from 'pino';
import { RolloutClient } from '../client/index.js';
import { applyCloneSet, parseCloneSets } from '../kube/apply.js';
import { makeClients, type KubeClients } from '../kube/clients.js';
import type { CloneSet } from '../rollout/index.js';
import type { RolloutProgress, RolloutResult } from '../workflows/messages.js';
import { startDev } from './dev.js';
import { progressChanges, renderProgress } from './progress-view.js';

export interface DemoOptions {
  /** Shorten minReadySeconds to this many seconds (default: honour the manifests). */
  minReadySeconds?: number;
  json: boolean;
  stateDir?: string;
  /** Keep the environment (and its UI) running after the demo until Ctrl-C. */
  keep: boolean;
  /** Roll a cpu change in place (examples/resize01.yaml → resize02.yaml) instead of the seed. */
  resize?: boolean;
  logger: Logger;
}

/** One Pod as the evidence shows it. */
export interface PodFacts {
  name: string;
  uid: string;
  node: string;
  ip: string;
  image: string;
  restartCount: number;
  ready: boolean;
  revision: string;
  /** The first container's cpu request as the kubelet reports it running (status resources); '' if not reported. */
  cpu: string;
}

export interface DemoEvidence {
  ok: boolean;
  checks: { name: string; ok: boolean; detail: string }[];
  before: PodFacts[];
  after: PodFacts[];
  result: RolloutResult;
  workflowId: string;
  uiUrl: string | null;
  stateDir: string;
}

export const EXAMPLES_DIR = fileURLToPath(new URL('../../examples/', import.meta.url));

async function podFacts(k: KubeClients, namespace: string, app: string): Promise<PodFacts[]> {
  const list = await k.core.listNamespacedPod({ namespace, labelSelector: `app=${app}` });
  return list.items
    .filter((p) => !p.metadata?.deletionTimestamp)
    .map((p) => ({
      name: p.metadata?.name ?? '',
      uid: p.metadata?.uid ?? '',
      node: p.spec?.nodeName ?? '',
      ip: p.status?.podIP ?? '',
      image: p.status?.containerStatuses?.[0]?.image ?? '',
      restartCount: p.status?.containerStatuses?.reduce((n, c) => n + c.restartCount, 0) ?? 0,
      ready: p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
      revision: p.metadata?.labels?.['controller-revision-hash'] ?? '',
      cpu: String(p.status?.containerStatuses?.[0]?.resources?.requests?.cpu ?? ''),
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

async function loadExample(file: string, minReadySeconds?: number): Promise<CloneSet> {
  const [cs] = parseCloneSets(await readFile(join(EXAMPLES_DIR, file), 'utf8'), file);
  if (minReadySeconds !== undefined && cs!.spec.minReadySeconds !== undefined) cs!.spec.minReadySeconds = minReadySeconds;
  return cs!;
}

/** Runs a rollout to its end, drawing its progress live (TTY) or as lines (pipes, CI). */
async function rollOut(client: RolloutClient, cs: CloneSet, quiet: boolean): Promise<{ result: RolloutResult; workflowId: string }> {
  const handle = await client.start({ namespace: cs.metadata.namespace ?? 'default', name: String(cs.metadata.name) });
  const tty = process.stdout.isTTY && !quiet;
  let prev: RolloutProgress | null = null;
  for await (const p of handle.watch(250)) {
    if (quiet) continue;
    if (tty) logUpdate(renderProgress(p));
    else for (const line of progressChanges(prev, p)) process.stdout.write(line + '\n');
    prev = p;
  }
  const result = await handle.result();
  if (tty) {
    logUpdate(renderProgress(await handle.progress()));
    logUpdate.done();
  }
  return { result, workflowId: handle.workflowId };
}

function check(name: string, ok: boolean, detail: string) {
  return { name, ok, detail };
}

/** A demo: two manifests applied one after the other, and what the evidence checks beyond the common checks. */
interface Scenario {
  first: { file: string; what: string };
  second: { file: string; what: (cs: CloneSet) => string };
  replicas: number;
  checks: (after: PodFacts[]) => DemoEvidence['checks'];
}

/** The seed walkthrough: 5 × nginx:perl, then InPlaceIfPossible to nginx:latest with 4 replicas. */
const SEED: Scenario = {
  first: { file: 'nginx01.yaml', what: '5 replicas, nginx:perl' },
  second: {
    file: 'nginx02.yaml',
    what: (cs) => `InPlaceIfPossible, 4 replicas, minReadySeconds ${cs.spec.minReadySeconds}, nginx:latest`,
  },
  replicas: 4,
  checks: (after) => [
    check(
      'restartCount 1',
      after.every((p) => p.restartCount === 1),
      after.map((p) => `${p.name}=${p.restartCount}`).join(' '),
    ),
    check(
      'nginx:latest running',
      after.every((p) => p.image === 'nginx:latest' && p.ready),
      after.map((p) => p.image).join(' '),
    ),
  ],
};

/** In-place resources: 4 Pods asking for 100m of cpu, then 200m, resized in place without a restart. */
const RESIZE: Scenario = {
  first: { file: 'resize01.yaml', what: '4 replicas, nginx:latest, cpu 100m (limit 200m)' },
  second: { file: 'resize02.yaml', what: () => 'cpu 200m (limit 400m): resized in place through pods/resize' },
  replicas: 4,
  checks: (after) => [
    check(
      'cpu 200m running (the kubelet reports the new request)',
      after.every((p) => p.cpu === '200m' && p.ready),
      after.map((p) => `${p.name}=${p.cpu || '?'}`).join(' '),
    ),
    check(
      'no container restarted',
      after.every((p) => p.restartCount === 0),
      after.map((p) => `${p.name}=${p.restartCount}`).join(' '),
    ),
  ],
};

export async function runDemo(opts: DemoOptions): Promise<DemoEvidence> {
  const stateDir = opts.stateDir ?? (await mkdtemp(join(tmpdir(), 'cloneset-rollout-demo-')));
  const say = (s: string) => {
    if (!opts.json) process.stdout.write(s + '\n');
  };
  say(`Starting Temporal (dev server) and the simulated cluster in ${stateDir} ...`);
  const env = await startDev({ stateDir, logger: opts.logger });
  const client = await RolloutClient.connect({ address: env.endpoints.temporalAddress });
  const k = makeClients(env.cluster.kubeConfig());
  try {
    say(`Temporal UI: ${env.endpoints.uiUrl}\n`);
    const scenario = opts.resize ? RESIZE : SEED;
    const first = await loadExample(scenario.first.file);
    const ns = first.metadata.namespace ?? 'default';
    const name = String(first.metadata.name);
    say(`1. kubectl apply -f examples/${scenario.first.file}  (${name}: ${scenario.first.what})`);
    await applyCloneSet(k, first);
    await rollOut(client, first, opts.json);
    const before = await podFacts(k, ns, name);
    say(`   ${before.length} Pods running: ${before.map((p) => p.name).join(', ')}\n`);

    const second = await loadExample(scenario.second.file, opts.minReadySeconds);
    say(`2. kubectl apply -f examples/${scenario.second.file}  (${scenario.second.what(second)})`);
    await applyCloneSet(k, second);
    const { result, workflowId } = await rollOut(client, second, opts.json);
    const after = await podFacts(k, ns, name);

    const kept = after.filter((a) => before.some((b) => b.name === a.name && b.uid === a.uid));
    const evidence: DemoEvidence = {
      ok: false,
      checks: [
        check(`${scenario.replicas} replicas`, after.length === scenario.replicas, `${after.length} Pods`),
        check('Pod names and UIDs unchanged', kept.length === after.length, `${kept.length}/${after.length} Pods kept name, UID, node and IP`),
        ...scenario.checks(after),
        check(
          'updated in place, none recreated',
          result.updatedInPlace === scenario.replicas && result.recreated === 0,
          `${result.updatedInPlace} in place, ${result.recreated} recreated, ${result.deleted} scaled away`,
        ),
        check(
          'same nodes and IPs',
          kept.every((a) => before.some((b) => b.uid === a.uid && b.node === a.node && b.ip === a.ip)),
          'node and Pod IP per UID',
        ),
      ],
      before,
      after,
      result,
      workflowId,
      uiUrl: env.endpoints.uiUrl ? `${env.endpoints.uiUrl}/namespaces/default/workflows/${encodeURIComponent(workflowId)}` : null,
      stateDir,
    };
    evidence.ok = evidence.checks.every((c) => c.ok);
    if (opts.json) process.stdout.write(JSON.stringify(evidence) + '\n');
    else {
      say('\nEvidence:');
      say(`  ${'POD'.padEnd(18)} ${'UID'.padEnd(36)}  NODE     IMAGE         CPU    RESTARTS`);
      for (const p of after) say(`  ${p.name.padEnd(18)} ${p.uid}  ${p.node.padEnd(7)}  ${p.image.padEnd(12)}  ${(p.cpu || '-').padEnd(5)}  ${p.restartCount}`);
      for (const c of evidence.checks) say(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`);
      say(`\n  rollout took ${(result.durationMs / 1000).toFixed(1)} s; workflow ${workflowId}`);
      say(`  Temporal UI: ${evidence.uiUrl}`);
    }
    if (opts.keep) {
      say(`\nEnvironment kept running (endpoints in ${stateDir}/endpoints.json). Ctrl-C to stop.`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
    }
    return evidence;
  } finally {
    await client.close();
    await env.stop();
  }
}
