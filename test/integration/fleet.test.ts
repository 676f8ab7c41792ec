/**
 * Fleet rollouts on one worker process that knows four clusters by name: three simulated clusters and one real
 * kube-apiserver, each with its own simulated kubelet and kubeconfig file. The fleet rolls a CloneSet in three waves
 * in place (same Pod UIDs), the window holds in every cluster, a worker SIGKILL during a bake keeps the bake's timer,
 * the last wave is approved with the Temporal CLI; a broken image in wave 2 halts the fleet and, with
 * rollbackOnFailure, returns waves 2 and 1 to the old image in place; bad input is refused before any cluster is
 * touched.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { FleetFailedError, RolloutClient, type FleetHandle } from '../../src/client/index.js';
import { applyCloneSet } from '../../src/kube/apply.js';
import { CLONESET, makeClients, type KubeClients } from '../../src/kube/clients.js';
import { startRealApiServer, type RealApiServer } from '../../src/realkube/index.js';
import type { CloneSet, FleetInput } from '../../src/rollout/index.js';
import { startSimCluster, startSimKubelet, type SimCluster, type SimKubelet } from '../../src/sim/index.js';
import { findTemporalCli } from '../../src/temporal/binary.js';
import type { FleetProgress } from '../../src/workflows/fleet-messages.js';
import { cloneSet, testLogger, uniqueNamespace } from '../support/env.js';
import { eventually } from '../support/until.js';
import { watchPods, type ReadinessWatcher } from '../support/watcher.js';
import { WorkerProcess } from '../support/worker-process.js';

const run = promisify(execFile);

/** eu-1 is the real kube-apiserver; the others are simulated. eu-2's registry has no nginx:1.28 (it never pulls). */
const NAMES = ['canary', 'eu-1', 'eu-2', 'us-1'] as const;
type Name = (typeof NAMES)[number];
const KUBELET = { startDelayMs: 50, restartDelayMs: 100, readyDelayMs: 50, statusSyncDelayMs: 100 };

interface Cluster {
  k: KubeClients;
  kubeconfigPath: string;
  stop(): Promise<void>;
}

const clusters = {} as Record<Name, Cluster>;
const dir = mkdtempSync(join(tmpdir(), 'fleet-'));
let address: string;
let taskQueue: string;
let worker: WorkerProcess;
let client: RolloutClient;
let real: RealApiServer | undefined;
let realKubelet: SimKubelet | undefined;
const sims: SimCluster[] = [];
const simOf = {} as Record<Name, SimCluster>;

beforeAll(async () => {
  address = inject('temporalAddress');
  taskQueue = `test-fleet-${Math.random().toString(16).slice(2, 10)}`;
  for (const name of ['canary', 'eu-2', 'us-1'] as const) {
    const kubeconfigPath = join(dir, `${name}.kubeconfig`);
    const sim = await startSimCluster({
      kubeconfigPath,
      kubelet: { ...KUBELET, ...(name === 'eu-2' ? { unpullableImages: /nginx:1\.28$|unpullable/ } : {}) },
    });
    sims.push(sim);
    simOf[name] = sim;
    clusters[name] = { k: makeClients(sim.kubeConfig()), kubeconfigPath, stop: () => sim.stop() };
  }
  real = await startRealApiServer();
  realKubelet = await startSimKubelet(real.kubeConfig(), KUBELET);
  clusters['eu-1'] = { k: makeClients(real.kubeConfig()), kubeconfigPath: real.kubeconfigPath, stop: async () => {} };
  // A cluster the worker knows but cannot reach: nothing listens on port 1.
  const gone = join(dir, 'gone.kubeconfig');
  writeFileSync(
    gone,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters: [{name: gone, cluster: {server: "http://127.0.0.1:1"}}]',
      'users: [{name: gone, user: {token: x}}]',
      'contexts: [{name: gone, context: {cluster: gone, user: gone}}]',
      'current-context: gone',
    ].join('\n'),
  );
  worker = new WorkerProcess({
    address,
    taskQueue,
    kubeconfigPath: clusters.canary.kubeconfigPath,
    args: [...NAMES.flatMap((n) => ['--cluster', `${n}=${clusters[n].kubeconfigPath}`]), '--cluster', `gone=${gone}`],
  });
  await worker.start();
  client = await RolloutClient.connect({ address, taskQueue });
}, 240_000);

afterEach(async (ctx) => {
  if (ctx.task.result?.state === 'fail') console.error(`worker log:\n${worker.tail(80)}`);
});

afterAll(async () => {
  await client?.close();
  await worker?.stop();
  for (const s of sims) await s.stop();
  await realKubelet?.stop();
  await real?.stop();
});

/** The CloneSet in every cluster with its first Pods (one rollout per cluster, each by its cluster name). */
async function seed(ns: string, spec: Partial<CloneSet['spec']> = {}, name = 'web'): Promise<void> {
  const cs = cloneSet(ns, name, {
    replicas: 3,
    updateStrategy: { type: 'InPlaceIfPossible', maxUnavailable: 1, inPlaceUpdateStrategy: { gracePeriodSeconds: 1 } },
    ...spec,
  });
  await Promise.all(
    NAMES.map(async (cluster) => {
      const { k } = clusters[cluster];
      try {
        await k.core.createNamespace({ body: { metadata: { name: ns } } });
      } catch (err) {
        if ((err as { code?: number }).code !== 409 && cluster === 'eu-1') throw err;
      }
      await applyCloneSet(k, cs);
      const h = await client.start({ namespace: ns, name, cluster });
      expect(h.workflowId).toBe(`cloneset/${cluster}/${ns}/${name}`);
      expect((await h.result()).outcome).toBe('Completed');
    }),
  );
}

async function pods(name: Name, ns: string, app = 'web') {
  const list = await clusters[name].k.core.listNamespacedPod({ namespace: ns, labelSelector: `app=${app}` });
  return list.items.filter((p) => !p.metadata?.deletionTimestamp).sort((a, b) => a.metadata!.name!.localeCompare(b.metadata!.name!));
}

const uids = async (name: Name, ns: string, app = 'web') => (await pods(name, ns, app)).map((p) => p.metadata!.uid!);

async function watchAll(ns: string): Promise<Record<Name, ReadinessWatcher>> {
  const out = {} as Record<Name, ReadinessWatcher>;
  for (const n of NAMES) out[n] = await watchPods(clusters[n].k.kc, ns, 3);
  return out;
}

const gateOffs = (w: ReadinessWatcher) => w.steps.filter((s) => s.what === 'gate-off').map((s) => s.atMs);

async function phaseIs(h: FleetHandle, phase: FleetProgress['phase'], wave?: number, timeoutMs = 120_000): Promise<FleetProgress> {
  return eventually(
    `fleet ${phase}${wave === undefined ? '' : ` (wave ${wave + 1})`}`,
    async () => {
      const p = await h.progress().catch(() => undefined);
      return p && p.phase === phase && (wave === undefined || p.wave === wave) ? p : undefined;
    },
    timeoutMs,
  );
}

async function expectAllOn(name: Name, ns: string, image: string, before: string[], app = 'web') {
  const ps = await pods(name, ns, app);
  expect(ps.map((p) => p.metadata!.uid).sort(), `${name}: same Pods`).toEqual([...before].sort());
  for (const p of ps) {
    expect(p.spec!.containers[0]!.image, name).toBe(image);
    expect(p.status!.containerStatuses![0], name).toMatchObject({ image, ready: true });
  }
}

describe('rolloutFleet across three simulated clusters and a real kube-apiserver', () => {
  it('rolls 4 clusters in 3 waves in place with bakes, keeps the bake across a worker SIGKILL, and takes the approval of the last wave from the Temporal CLI', async () => {
    const ns = uniqueNamespace('fleet');
    await seed(ns);
    const before = Object.fromEntries(await Promise.all(NAMES.map(async (n) => [n, await uids(n, ns)] as const))) as Record<Name, string[]>;
    const w = await watchAll(ns);
    const BAKE = 15;
    const input: FleetInput = {
      namespace: ns,
      name: 'web',
      images: { nginx: 'nginx:1.27' },
      waves: [
        { clusters: ['canary'], bake: BAKE },
        { clusters: ['eu-1', 'eu-2'], bake: 1 },
        { clusters: ['us-1'], approval: true },
      ],
      maxParallel: 2,
    };
    const h = await client.startFleet(input);
    expect(h.workflowId).toBe(`fleet/${ns}/web`);

    // Wave 1 baked: the worker is killed 8 s into the 15 s bake and a new one started.
    const baking = await phaseIs(h, 'Baking', 0);
    expect(baking.clusters.canary).toMatchObject({ state: 'Completed', phase: 'Completed' });
    expect(baking.clusters['eu-1']!.state).toBe('Pending');
    const bakeStart = baking.bake!.startedAtMs;
    await new Promise((r) => setTimeout(r, Math.max(0, bakeStart + 8_000 - Date.now())));
    await worker.kill();
    const { readyAt } = await worker.start();

    // Wave 2, then the approval the last wave waits for.
    const awaiting = await phaseIs(h, 'AwaitingApproval', 2);
    expect(awaiting.clusters['eu-1']).toMatchObject({ state: 'Completed', counts: { updated: 3, desired: 3 } });
    expect(awaiting.clusters['eu-2']!.state).toBe('Completed');
    expect(w['us-1'].steps).toEqual([]);
    const wave2Start = Math.min(...gateOffs(w['eu-1']), ...gateOffs(w['eu-2']));
    testLogger.info({ bakeMs: wave2Start - bakeStart, afterReadyMs: wave2Start - readyAt }, 'bake across a kill');
    // Never shorter than the bake; a bake restarted by the new worker would end ≥ 15 s after it was up.
    expect(wave2Start - bakeStart).toBeGreaterThanOrEqual(BAKE * 1000 - 50);
    expect(wave2Start - readyAt).toBeLessThan(BAKE * 1000);
    const history = await h.workflow.fetchHistory();
    const bakeTimers = history.events!.filter(
      (e) => e.timerStartedEventAttributes && Number(e.timerStartedEventAttributes.startToFireTimeout?.seconds) === BAKE,
    );
    expect(bakeTimers).toHaveLength(1);

    const temporal = findTemporalCli()!;
    const { stdout } = await run(temporal, ['workflow', 'update', 'execute', '--address', address, '--workflow-id', h.workflowId, '--name', 'approve']);
    expect(stdout).toMatch(/approvedWave:2/);

    const result = await h.result();
    for (const x of Object.values(w)) x.stop();
    expect(result.outcome).toBe('Completed');
    for (const n of NAMES) {
      await expectAllOn(n, ns, 'nginx:1.27', before[n]);
      expect(w[n].maxUnavailable, `${n}: window`).toBeLessThanOrEqual(1);
      expect(gateOffs(w[n]), `${n}: each Pod left service once`).toHaveLength(3);
      expect(result.clusters[n]).toMatchObject({ state: 'Completed', phase: 'Completed' });
    }
    // Waves in order: wave 3 only after wave 2, wave 2 only after wave 1.
    expect(Math.min(...gateOffs(w['us-1']))).toBeGreaterThan(Math.max(...gateOffs(w['eu-1']), ...gateOffs(w['eu-2'])));
    expect(wave2Start).toBeGreaterThan(Math.max(...gateOffs(w.canary)));
  });

  it('halts on a broken image in wave 2 and, with rollbackOnFailure, returns waves 2 and 1 to the old image in place (same UIDs)', async () => {
    const ns = uniqueNamespace('fleet');
    await seed(ns, { progressDeadlineSeconds: 4 });
    const before = Object.fromEntries(await Promise.all(NAMES.map(async (n) => [n, await uids(n, ns)] as const))) as Record<Name, string[]>;
    const w = await watchAll(ns);
    const h = await client.startFleet({
      namespace: ns,
      name: 'web',
      images: { nginx: 'nginx:1.28' },
      waves: [['canary'], ['eu-1', 'eu-2'], ['us-1']],
      bake: 1,
      rollbackOnFailure: true,
    });
    const result = await h.result();
    for (const x of Object.values(w)) x.stop();
    expect(result.outcome).toBe('RolledBack');
    expect(result.halted).toMatchObject({ cluster: 'eu-2' });
    expect(result.clusters['eu-2']).toMatchObject({ state: 'RolledBack' });
    expect(result.clusters['eu-1']).toMatchObject({ state: 'Completed', rolledBack: 'RolledBack' });
    expect(result.clusters.canary).toMatchObject({ state: 'Completed', rolledBack: 'RolledBack' });
    expect(result.clusters['us-1']).toMatchObject({ state: 'Pending' });
    for (const n of ['canary', 'eu-1', 'eu-2'] as const) {
      await expectAllOn(n, ns, 'nginx:perl', before[n]);
      expect(w[n].maxUnavailable, `${n}: window`).toBeLessThanOrEqual(1);
      const cs = (await clusters[n].k.custom.getNamespacedCustomObject({ ...CLONESET, namespace: ns, name: 'web' })) as CloneSet;
      expect(cs.spec.template.spec.containers[0]!.image).toBe('nginx:perl');
    }
    // us-1 was never touched; wave 2 went back before wave 1 (reverse wave order).
    expect(w['us-1'].steps).toEqual([]);
    await expectAllOn('us-1', ns, 'nginx:perl', before['us-1']);
    const canary = gateOffs(w.canary);
    expect(canary).toHaveLength(6); // 3 forward, 3 back
    expect(canary[3]!).toBeGreaterThan(Math.max(...gateOffs(w['eu-1'])));
  });

  it('pauses between clusters (none starts until resume) and resumes', async () => {
    const ns = uniqueNamespace('fleet');
    await seed(ns);
    const w = await watchAll(ns);
    const h = await client.startFleet({ namespace: ns, name: 'web', images: { nginx: 'nginx:1.27' }, waves: [['canary'], ['us-1']] });
    const paused = await h.pause();
    expect(paused.paused).toBe(true);
    // Held: the clusters running (canary, if it had started) finish, no other starts.
    const held = await phaseIs(h, 'Paused');
    expect(Object.values(held.clusters).filter((c) => c.state === 'Running')).toEqual([]);
    expect(held.clusters['us-1']!.state).toBe('Pending');
    expect(w['us-1'].steps).toEqual([]);
    await expect(h.approve()).rejects.toThrow(/approve: the fleet is not awaiting approval \(phase Paused/);
    const resumedAt = Date.now();
    expect((await h.resume()).paused).toBe(false);
    const result = await h.result();
    for (const x of Object.values(w)) x.stop();
    expect(result.outcome).toBe('Completed');
    expect(Math.min(...gateOffs(w['us-1']))).toBeGreaterThan(resumedAt);
    await expect(h.pause()).rejects.toThrow(/no running rollout fleet\//);
  });

  it('a cluster unreachable mid-fleet blocks its own rollout, not the worker: the rest of its wave completes, and it completes once reachable', async () => {
    const ns = uniqueNamespace('fleet');
    await seed(ns);
    const before = await uids('us-1', ns);
    const w = await watchAll(ns);
    const h = await client.startFleet({ namespace: ns, name: 'web', images: { nginx: 'nginx:1.27' }, waves: [['us-1', 'canary']] });
    // us-1's control plane answers nothing but 503 from its first Pod step on.
    await eventually('a us-1 Pod step', async () => (w['us-1'].steps.length > 0 ? true : undefined));
    const outage = simOf['us-1'].api.faults.set({ code: 503 });
    const canaryDone = await eventually('canary completed', async () => {
      const p = await h.progress();
      return p.clusters.canary!.state === 'Completed' ? p : undefined;
    });
    expect(canaryDone.clusters['us-1']!.state).toBe('Running');
    expect(canaryDone.phase).toBe('Rolling');
    simOf['us-1'].api.faults.clear(outage);
    const result = await h.result();
    for (const x of Object.values(w)) x.stop();
    expect(result.outcome).toBe('Completed');
    await expectAllOn('us-1', ns, 'nginx:1.27', before);
    expect(w['us-1'].maxUnavailable).toBeLessThanOrEqual(1);
  });

  it('applies a manifest wave by wave: aborted with rollback, the cluster rolled returns to its revision in place; then in place where the CloneSet exists, created where it does not', async () => {
    const ns = uniqueNamespace('fleet');
    const spec = { replicas: 3, updateStrategy: { type: 'InPlaceIfPossible' as const, maxUnavailable: 1, inPlaceUpdateStrategy: { gracePeriodSeconds: 1 } } };
    for (const n of ['canary', 'eu-1'] as const) {
      const k = clusters[n].k;
      if (n === 'eu-1') await k.core.createNamespace({ body: { metadata: { name: ns } } });
      await applyCloneSet(k, cloneSet(ns, 'web', spec));
      expect((await (await client.start({ namespace: ns, name: 'web', cluster: n })).result()).outcome).toBe('Completed');
    }
    await clusters['us-1'].k.core.createNamespace({ body: { metadata: { name: ns } } }).catch(() => undefined);
    const before = { canary: await uids('canary', ns), 'eu-1': await uids('eu-1', ns) };
    const manifest = cloneSet(ns, 'web', spec);
    manifest.spec.template.metadata!.labels = { app: 'web', tier: 'web' };
    manifest.spec.template.spec.containers[0]!.image = 'nginx:1.27';
    const input: FleetInput = { namespace: ns, name: 'web', manifest: manifest as never, waves: [['canary'], ['eu-1', 'us-1']], approval: true };

    // 1. Aborted with rollback while wave 2 awaits approval: canary returns to the revision it was on, in place.
    const first = await client.startFleet(input);
    await phaseIs(first, 'AwaitingApproval', 1);
    await first.abort({ rollback: true });
    const back = await first.result();
    expect(back.outcome).toBe('RolledBack');
    expect(back.clusters.canary).toMatchObject({ state: 'Completed', rolledBack: 'RolledBack' });
    await expectAllOn('canary', ns, 'nginx:perl', before.canary);
    expect((await pods('canary', ns)).every((p) => p.metadata!.labels!.tier === undefined)).toBe(true);
    expect(await pods('us-1', ns)).toEqual([]);

    // 2. The same manifest approved: in place in canary and eu-1, created in us-1.
    const second = await client.startFleet(input);
    await phaseIs(second, 'AwaitingApproval', 1);
    await second.approve();
    const done = await second.result();
    expect(done.outcome).toBe('Completed');
    for (const n of ['canary', 'eu-1'] as const) {
      await expectAllOn(n, ns, 'nginx:1.27', before[n]);
      expect((await pods(n, ns)).every((p) => p.metadata!.labels!.tier === 'web')).toBe(true);
    }
    const created = await pods('us-1', ns);
    expect(created).toHaveLength(3);
    expect(created.every((p) => p.spec!.containers[0]!.image === 'nginx:1.27' && p.metadata!.labels!.tier === 'web')).toBe(true);
  });

  it('a single rollout naming a cluster the worker does not know fails at once, naming it', async () => {
    const ns = uniqueNamespace('fleetbad');
    const h = await client.start({ namespace: ns, name: 'web', cluster: 'mars' });
    expect(h.workflowId).toBe(`cloneset/mars/${ns}/web`);
    await expect(h.result()).rejects.toThrow(/cluster "mars" is not known to this worker \(known: canary, default, eu-1, eu-2, gone, us-1/);
  });

  it.each<[string, (ns: string) => FleetInput, RegExp]>([
    [
      'an unknown cluster',
      (ns) => ({ namespace: ns, name: 'web', images: { nginx: 'nginx:2' }, waves: [['canary'], ['mars-1']] }),
      /cluster mars-1: not known to the worker/,
    ],
    [
      'a cluster unreachable at start',
      (ns) => ({ namespace: ns, name: 'web', images: { nginx: 'nginx:2' }, waves: [['canary'], ['gone']] }),
      /cluster gone: unreachable/,
    ],
    [
      'a cluster listed twice',
      (ns) => ({ namespace: ns, name: 'web', images: { nginx: 'nginx:2' }, waves: [['canary'], ['eu-1', 'canary']] }),
      /waves\[1\]: cluster canary is listed twice/,
    ],
    ['an empty wave', (ns) => ({ namespace: ns, name: 'web', images: { nginx: 'nginx:2' }, waves: [['canary'], []] }), /waves\[1\]: is empty/],
  ])('refuses %s before any cluster is touched, naming it', async (_what, input, message) => {
    const ns = uniqueNamespace('fleetbad');
    const cs = cloneSet(ns, 'web');
    await applyCloneSet(clusters.canary.k, cs);
    const h = await client.startFleet(input(ns));
    const err = await h.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FleetFailedError);
    expect((err as Error).message).toMatch(message);
    const after = (await clusters.canary.k.custom.getNamespacedCustomObject({ ...CLONESET, namespace: ns, name: 'web' })) as CloneSet;
    expect(after.metadata.generation).toBe(1);
    expect(after.spec.template.spec.containers[0]!.image).toBe('nginx:perl');
    await expect(client.handle(ns, 'web', 'canary').workflow.describe()).rejects.toThrow(/not found/i);
  });
});

/** The commands of the ```sh blocks of the README's "Fleet rollouts" section (continuation lines joined). */
function readmeFleetCommands(): string[] {
  const readme = readFileSync('README.md', 'utf8');
  const start = readme.indexOf('## Fleet rollouts\n');
  const section = readme.slice(start, readme.indexOf('\n## ', start + 3));
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) =>
    m[1]!
      .replace(/\\\n\s*/g, '')
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean),
  );
}

describe('README "Fleet rollouts": the commands as written', () => {
  it.each<[string, string]>([
    ['the Temporal CLI', 'temporal '],
    ['the cloneset-rollout CLI', 'cloneset-rollout '],
  ])('with %s: start, follow, approve the next wave, abort with rollback: every rolled cluster is back in place', async (_what, prefix) => {
    const commands = readmeFleetCommands().filter((c) => c.startsWith(prefix));
    expect(commands.length).toBeGreaterThanOrEqual(5);
    const ns = uniqueNamespace('readme');
    await seed(ns, {}, 'nginxweb1');
    const before = Object.fromEntries(await Promise.all(NAMES.map(async (n) => [n, await uids(n, ns, 'nginxweb1')] as const))) as Record<Name, string[]>;
    const h = client.fleetHandle(ns, 'nginxweb1');
    const temporal = findTemporalCli()!;
    for (const raw of commands) {
      const cmd = raw
        .replaceAll('<temporalAddress>', address)
        .replaceAll('--task-queue cloneset-rollouts', `--task-queue ${taskQueue}`)
        .replaceAll('fleet/default/nginxweb1', `fleet/${ns}/nginxweb1`)
        .replaceAll('"namespace":"default"', `"namespace":"${ns}"`)
        .replaceAll('--out fleet.html', `--out ${join(dir, `${ns}.html`)}`);
      // What each command needs, the fleet holds at: the approval of wave 2, then of wave 3.
      if (/approve/.test(cmd)) await phaseIs(h, 'AwaitingApproval', 1);
      if (/abort/.test(cmd)) await phaseIs(h, 'AwaitingApproval', 2);
      const [bin, args] = cmd.startsWith('temporal ')
        ? [temporal, cmd.slice('temporal '.length)]
        : [process.execPath, `bin/cloneset-rollout.js ${cmd.slice(prefix.length)} -n ${ns}`];
      const { stdout } = await run('/bin/sh', ['-c', `"${bin}" ${args}`], { env: { ...process.env, TEMPORAL_TASK_QUEUE: taskQueue } });
      testLogger.info({ cmd, stdout }, 'README command');
      if (prefix === 'cloneset-rollout ' && !/--json/.test(cmd)) expect(stdout.split('\n').filter((l) => l.startsWith('{'))).toEqual([]);
      if (/workflow start/.test(cmd)) expect(stdout).toMatch(/Running execution[\s\S]*rolloutFleet/);
      else if (/fleet start/.test(cmd)) expect(stdout).toMatch(new RegExp(`fleet rollout started: workflow fleet/${ns}/nginxweb1`));
      else if (/workflow metadata/.test(cmd)) expect(stdout).toMatch(/fleet \S+\/nginxweb1[\s\S]*\| wave \| cluster \| state[\s\S]*\| 1 \| canary \|/);
      else if (/fleet report/.test(cmd)) {
        expect(stdout).toMatch(/wrote \S+\.html \(4 clusters, RolledBack\)/);
        const html = readFileSync(join(dir, `${ns}.html`), 'utf8');
        expect([...html.matchAll(/class="lane" data-cluster="([\w-]+)"/g)].map((m) => m[1])).toEqual(['canary', 'eu-1', 'eu-2', 'us-1']);
        expect(html).toMatch(/fleet rollback RolledBack/);
        expect(html).toMatch(/bake after wave 1: 2 s/);
      } else if (/--name progress/.test(cmd)) expect(stdout).toMatch(/"phase":\s*"\w+"[\s\S]*"clusters"/);
      else if (/--name approve/.test(cmd)) expect(stdout).toMatch(/approvedWave:1/);
      else if (/fleet approve/.test(cmd)) expect(stdout).toMatch(/wave 2 approved/);
      else if (/--name abort/.test(cmd)) expect(stdout).toMatch(/Result\s+map\[aborted:map\[rollback:true\]/);
      else if (/fleet abort/.test(cmd)) expect(stdout).toMatch(/aborted, rolling back/);
      else if (/workflow result/.test(cmd)) expect(stdout).toMatch(/COMPLETED[\s\S]*"outcome":\s*"RolledBack"/);
      else if (/fleet status .*--wait/.test(cmd)) expect(stdout).toMatch(/fleet \S+: RolledBack[\s\S]*canary\s+Completed\s+rolled back/);
      else if (/fleet status/.test(cmd)) expect(stdout).toMatch(/fleet \S+: \w+[\s\S]*canary/);
      else throw new Error(`no check for README command: ${cmd}`);
    }
    const result = await h.result();
    expect(result.outcome).toBe('RolledBack');
    for (const n of ['canary', 'eu-1', 'eu-2'] as const) await expectAllOn(n, ns, 'nginx:perl', before[n], 'nginxweb1');
    expect(result.clusters['us-1']).toMatchObject({ state: 'Pending' });
  });
});
