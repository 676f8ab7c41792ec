/**
 * Migrating one CloneSet between OpenKruise's real kruise-manager v1.9.1 and ours, on one real kube-apiserver whose
 * nodes are played by the simulated kubelet (test/support/kruise.ts), watched throughout by an independent recorder
 * (test/support/recorder.ts). The README's "Migrating from OpenKruise" steps, as a user runs them:
 *
 * - adopt (Kruise → ours): examples/nginx01.yaml settled under kruise-manager; kruise-manager stopped (SIGTERM) and its
 *   two webhook configurations deleted, its CRDs kept; `cloneset-rollout worker --controller --all` started. Phase A:
 *   no spec change — the controller lists the CloneSet and, since Kruise's status has observed its generation, does
 *   nothing observable (no log line, no workflow, no write); so a fixed quiet window of 30 s follows ("zero Pod writes
 *   in 30 s after the hand-over"), then no Pod may have been written. Phase B: nginx02, updated in place onto the
 *   revision Kruise would have named, numbered after Kruise's.
 * - handback (ours → Kruise): nginx01 settled under ours (the project's CRD); ours stopped; `cloneset-rollout
 *   kruise-defaults` (the README's hand-back step); Kruise installed (its CRDs replace ours in place, then its webhook
 *   configurations) and kruise-manager started. Phase A: Kruise observes the generation kruise-defaults wrote, keeps our
 *   revision, then 30 s quiet; the Pod writes it made are listed and asserted exactly. Phase B: nginx02 under Kruise,
 *   in place.
 *
 * nginx02 is applied as the tier's seed scenario applies it: a merge patch of its spec with minReadySeconds 30 → 2
 * (4 Pods one at a time would otherwise take over 2 minutes per test). Every wait is on an outcome; the two quiet
 * windows are the only fixed waits, and they only ever prove that nothing happens. Logs of every process stay in
 * test-results/kruise/migrate-<adopt|handback>/.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { AdmissionregistrationV1Api, AppsV1Api, CoreV1Api, CustomObjectsApi, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { WorkflowNotFoundError } from '@temporalio/client';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { RolloutClient } from '../../src/client/index.js';
import { CLONESET } from '../../src/kube/clients.js';
import { completedRun } from '../support/runs.js';
import {
  installKruise,
  KRUISE_WEBHOOKS,
  kruiseMissing,
  startKruiseManager,
  startOursController,
  startTierCluster,
  uninstallKruiseWebhooks,
  type ManagedProcess,
} from '../support/kruise.js';
import { Recorder, type StoredCloneSet } from '../support/recorder.js';
import { create, example, patch, readyForMoreThan, settle, type ScenarioCtx } from './scenarios.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RESULTS = join(ROOT, 'test-results', 'kruise');
const NAME = 'nginxweb1';
/** Kruise's revision names for nginx01 and nginx02 (kruise-manager v1.9.1, measured; ours names them the same). */
const REV1 = `${NAME}-575497dc6b`;
const REV2 = `${NAME}-775dd67bf6`;
/** The issue's window: "zero Pod writes in 30 s after the hand-over (compare resourceVersions)". */
const QUIET_MS = 30_000;
const LIFECYCLE = 'lifecycle.apps.kruise.io/state';
/**
 * The Pod writes kruise-manager makes when it takes a CloneSet over that ours settled, after `kruise-defaults`:
 * measured none (ours' Pods already carry every label Kruise fixes up — pod-template-hash, instance id, lifecycle —
 * and Kruise finds our revision equal to the template, so it has nothing to move). Its only write is the CloneSet's
 * status (observedGeneration of the generation kruise-defaults wrote).
 */
const HANDBACK_PHASE_A_WRITES: PodWrite[] = [];
const perl = { nginx: 'nginx:perl' };
const latest = { nginx: 'nginx:latest' };

// ------------------------------------------------------------------------------------------------ the stage

/** One apiserver + sim kubelet + recorder for the whole migration; controllers come and go on it. */
interface Stage {
  kc: KubeConfig;
  kubeconfigPath: string;
  dir: string;
  ctx: ScenarioCtx;
  rec: Recorder;
  /** Registers a process (stopped at the end, before the kubelet and the apiserver). */
  own(p: ManagedProcess): ManagedProcess;
  stop(): Promise<void>;
}

let stage: Stage | undefined;
afterEach(async () => {
  await stage?.stop();
  stage = undefined;
});

async function startStage(name: string, opts: { oursCrd: boolean }): Promise<Stage> {
  const why = kruiseMissing();
  if (why) throw new Error(why); // never a silent skip
  const dir = join(RESULTS, `migrate-${name}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const cluster = await startTierCluster({ dir, crds: opts.oursCrd ? 'ours' : 'kruise' });
  const { kc } = cluster;
  try {
    // unique: every run of the tier shares one Temporal server, and workflow IDs are cloneset/<namespace>/<name>
    const ns = `migrate-${name}-${randomBytes(3).toString('hex')}`;
    const core = kc.makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: ns } } });
    const rec = new Recorder(kc, ns);
    await rec.start();
    cluster.own(async () => {
      rec.stop();
      writeFileSync(join(dir, 'watch-log.json'), JSON.stringify({ marks: Object.fromEntries(rec.marks), log: rec.log }));
    });
    const ctx: ScenarioCtx = { kc, ns, rec, core, custom: kc.makeApiClient(CustomObjectsApi), extra: {}, snapshots: {} };
    const own = (p: ManagedProcess) => (cluster.own(() => p.stop()), p);
    return { kc, kubeconfigPath: cluster.kubeconfigPath, dir, ctx, rec, own, stop: cluster.stop };
  } catch (err) {
    await cluster.stop();
    throw err;
  }
}

/** `cloneset-rollout worker --controller --all` on the stage, on the tier's Temporal server, stopped with the stage. */
async function startOurs(s: Stage): Promise<ManagedProcess> {
  const taskQueue = `migrate-${randomBytes(4).toString('hex')}`;
  return s.own(await startOursController({ kubeconfigPath: s.kubeconfigPath, dir: s.dir, address: inject('temporalAddress'), taskQueue }));
}

// ------------------------------------------------------------------------------------------------ reading

type PodId = { name: string; uid: string; resourceVersion: string };
const ids = (pods: V1Pod[]): PodId[] =>
  pods
    .map((p) => ({ name: p.metadata!.name!, uid: p.metadata!.uid!, resourceVersion: p.metadata!.resourceVersion! }))
    .sort((a, b) => a.name.localeCompare(b.name));
const cond = (p: V1Pod, type: string) => p.status?.conditions?.find((c) => c.type === type)?.status;

async function pods(s: Stage): Promise<V1Pod[]> {
  return (await s.ctx.core.listNamespacedPod({ namespace: s.ctx.ns })).items;
}

async function cloneSetNow(s: Stage): Promise<StoredCloneSet> {
  return (await s.ctx.custom.getNamespacedCustomObject({ ...CLONESET, namespace: s.ctx.ns, name: NAME })) as StoredCloneSet;
}

async function revisions(s: Stage): Promise<[string, number][]> {
  const list = await s.kc.makeApiClient(AppsV1Api).listNamespacedControllerRevision({ namespace: s.ctx.ns });
  return list.items.map((r) => [r.metadata!.name!, r.revision] as [string, number]).sort((a, b) => a[1] - b[1]);
}

/** Flattens an object to `path → JSON value`; list items keyed by their name / type when every item has a distinct one. */
function flatten(v: unknown, path: string, out: Map<string, string>): Map<string, string> {
  if (Array.isArray(v)) {
    const keyOf = (x: unknown, i: number): string => {
      const o = x as Record<string, unknown> | null;
      const k = o && typeof o === 'object' ? (o.name ?? o.type ?? o.conditionType) : undefined;
      return typeof k === 'string' ? k : String(i);
    };
    const keys = v.map(keyOf);
    const byKey = new Set(keys).size === keys.length;
    v.forEach((x, i) => flatten(x, `${path}[${byKey ? keys[i] : i}]`, out));
    if (v.length === 0) out.set(path, '[]');
  } else if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v);
    for (const [k, x] of entries) flatten(x, `${path}.${k}`, out);
    if (entries.length === 0) out.set(path, '{}');
  } else if (v !== undefined) out.set(path, JSON.stringify(v));
  return out;
}

/** What one write changed: `path: before → after` (∅ absent), resourceVersion and managedFields left out. */
function changes(before: V1Pod, after: V1Pod): string[] {
  const skip = (p: string) => p === '.metadata.resourceVersion' || p.startsWith('.metadata.managedFields');
  const a = flatten(before, '', new Map());
  const b = flatten(after, '', new Map());
  const out: string[] = [];
  for (const p of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    if (!skip(p) && a.get(p) !== b.get(p)) out.push(`${p.slice(1)}: ${a.get(p) ?? '∅'} → ${b.get(p) ?? '∅'}`);
  }
  return out;
}

/** The managers (managedFields) a write stamped. */
function writers(before: V1Pod, after: V1Pod): string[] {
  const k = (m: { manager?: string; operation?: string; subresource?: string }) => `${m.manager}/${m.operation}${m.subresource ? `/${m.subresource}` : ''}`;
  const was = new Map((before.metadata?.managedFields ?? []).map((m) => [k(m), String(m.time)]));
  return (after.metadata?.managedFields ?? []).filter((m) => was.get(k(m)) !== String(m.time)).map(k);
}

interface PodWrite {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  pod: string;
  by?: string[];
  changes?: string[];
}

/** Every Pod write the recorder saw from `mark` on, in order, each modification with what it changed and who wrote it. */
function podWrites(rec: Recorder, mark: string): PodWrite[] {
  const from = rec.seqOf(mark);
  const last = new Map<string, V1Pod>();
  const out: PodWrite[] = [];
  for (const e of rec.log) {
    if (e.kind !== 'Pod') continue;
    const name = e.obj.metadata!.name!;
    const prev = last.get(name);
    if (e.type === 'DELETED') last.delete(name);
    else last.set(name, e.obj);
    if (e.seq < from) continue;
    if (e.type === 'MODIFIED' && prev) out.push({ type: e.type, pod: name, by: writers(prev, e.obj), changes: changes(prev, e.obj) });
    else out.push({ type: e.type, pod: name });
  }
  return out;
}

/** Waits until the process log has a line matching `re` (the log is the process' own account of what it did). */
async function logged(p: ManagedProcess, re: RegExp, what: string, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!re.test(readFileSync(p.logPath, 'utf8'))) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what} (log ${p.logPath}):\n${p.tail(30)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function rolloutExists(client: RolloutClient, ns: string): Promise<boolean> {
  try {
    await client.handle(ns, NAME).workflow.describe();
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

async function kruiseWebhookNames(kc: KubeConfig): Promise<string[]> {
  const adm = kc.makeApiClient(AdmissionregistrationV1Api);
  const m = await adm.listMutatingWebhookConfiguration();
  const v = await adm.listValidatingWebhookConfiguration();
  return [...m.items, ...v.items].map((w) => w.metadata!.name!).filter((n) => Object.values<string>(KRUISE_WEBHOOKS).includes(n));
}

/** nginx01 settled: 5 Pods settled on nginx:perl and the status caught up (scenarios.ts settle), then checked here too. */
async function settleNginx01(s: Stage): Promise<V1Pod[]> {
  await settle(s.ctx, NAME, { replicas: 5, updated: 5, images: perl }, 'nginx01 settled');
  const live = await pods(s);
  expect(live).toHaveLength(5);
  for (const p of live) {
    expect(p.metadata?.labels?.[LIFECYCLE], `${p.metadata!.name} lifecycle`).toBe('Normal');
    expect(cond(p, 'InPlaceUpdateReady'), `${p.metadata!.name} InPlaceUpdateReady`).toBe('True');
    expect(cond(p, 'Ready'), `${p.metadata!.name} Ready`).toBe('True');
    expect(p.metadata?.labels?.['controller-revision-hash']).toBe(REV1);
  }
  const cs = await cloneSetNow(s);
  expect(cs.status).toMatchObject({ observedGeneration: cs.metadata.generation, updatedReadyReplicas: 5, updateRevision: REV1 });
  return live;
}

/**
 * nginx02 as the seed scenario applies it (merge patch of its spec, minReadySeconds 2), settled; then the 4 Pods left
 * must be 4 of `before` (names and UIDs), on nginx:latest after exactly one restart, labelled with Kruise's nginx02
 * revision, none created or marked for deletion, one deleted by the scale-in.
 */
async function nginx02InPlace(s: Stage, before: PodId[]): Promise<void> {
  const cs2 = example('nginx02.yaml');
  (cs2.spec as { minReadySeconds: number }).minReadySeconds = 2;
  await readyForMoreThan(s.ctx, 2);
  s.rec.mark('nginx02');
  await patch(s.ctx, NAME, { spec: cs2.spec });
  await settle(s.ctx, NAME, { replicas: 4, updated: 4, images: latest }, 'nginx02 rolled out');
  const after = await pods(s);
  const uidBefore = new Map(before.map((p) => [p.name, p.uid]));
  expect(
    after.map((p) => [p.metadata!.name, p.metadata!.uid]).filter(([n, u]) => uidBefore.get(n!) === u),
    'the 4 Pods are 4 of nginx01’s, names and UIDs kept',
  ).toHaveLength(4);
  for (const p of after) {
    const c = p.status!.containerStatuses![0]!;
    expect([p.metadata!.name, c.image, c.restartCount], 'in place: the same Pod runs nginx:latest after one restart').toEqual([
      p.metadata!.name,
      'nginx:latest',
      1,
    ]);
    expect(p.metadata?.labels?.['controller-revision-hash']).toBe(REV2);
    expect(p.metadata?.labels?.['pod-template-hash']).toBe(REV2.split('-').pop());
  }
  const writes = podWrites(s.rec, 'nginx02');
  expect(
    writes.filter((w) => w.type === 'ADDED'),
    'no Pod created for nginx02',
  ).toEqual([]);
  const deleted = writes.filter((w) => w.type === 'DELETED').map((w) => w.pod);
  expect(deleted, 'the scale-in deletes one Pod').toHaveLength(1);
  // Marked for deletion (deletionTimestamp set): the deleted Pod only, none of the 4 kept.
  const marked = [...new Set(writes.filter((w) => w.changes?.some((c) => c.startsWith('metadata.deletionTimestamp: ∅ → '))).map((w) => w.pod))];
  expect(marked, 'only the deleted Pod was marked for deletion').toEqual(deleted);
  const cs = await cloneSetNow(s);
  expect(cs.status).toMatchObject({ observedGeneration: cs.metadata.generation, updateRevision: REV2, updatedReadyReplicas: 4, replicas: 4 });
  // the new revision is Kruise's name for nginx02, numbered after nginx01's
  expect(await revisions(s)).toEqual([
    [REV1, 1],
    [REV2, 2],
  ]);
}

const run = promisify(execFile);

// ------------------------------------------------------------------------------------------------ the tests

describe('migrating a CloneSet between kruise-manager v1.9.1 and cloneset-rollout (one apiserver, both controllers in turn)', () => {
  it('adopt: nginx01 settled by Kruise is taken over with no Pod written in 30 s, then nginx02 runs in place onto Kruise’s revision name', async () => {
    const s = (stage = await startStage('adopt', { oursCrd: false }));
    const kruise = s.own(await startKruiseManager({ kubeconfigPath: s.kubeconfigPath, dir: s.dir }));
    await create(s.ctx, example('nginx01.yaml'));
    const settled = ids(await settleNginx01(s));
    expect(await revisions(s)).toEqual([[REV1, 1]]);
    const csSettled = await cloneSetNow(s);
    s.rec.mark('snapshot');

    // The hand-over, as README "Migrating from OpenKruise" steps 2–5: Kruise stopped, its webhooks deleted, CRDs kept.
    const exit = await kruise.stop();
    expect(exit.signal, 'kruise-manager exits on SIGTERM by itself (no SIGKILL)').not.toBe('SIGKILL');
    await uninstallKruiseWebhooks(s.kc);
    expect(await kruiseWebhookNames(s.kc)).toEqual([]);
    const client = await RolloutClient.connect({ address: inject('temporalAddress') });
    try {
      const ours = await startOurs(s);
      // The controller has listed the CloneSets (its informer's first list is in the cache): from here it has seen
      // nginx01, whose status observed its generation — nothing to do, and nothing observable is done. Hold still.
      await logged(ours, /controller watching CloneSets/, 'the controller watching CloneSets');
      s.rec.mark('oursWatching');
      await new Promise((r) => setTimeout(r, QUIET_MS));

      // Phase A: zero Pod writes since the snapshot (the recorder saw none; every resourceVersion is the snapshot's),
      // the CloneSet untouched, no rollout started, Kruise's revision alone.
      expect(podWrites(s.rec, 'snapshot'), 'Pod writes after the hand-over').toEqual([]);
      expect(ids(await pods(s)), 'every Pod as snapshotted (name, uid, resourceVersion)').toEqual(settled);
      expect((await cloneSetNow(s)).metadata.resourceVersion, 'the CloneSet is not written').toBe(csSettled.metadata.resourceVersion);
      expect(await rolloutExists(client, s.ctx.ns), 'no rollout started for a settled CloneSet').toBe(false);
      expect(await revisions(s)).toEqual([[REV1, 1]]);

      // Phase B: nginx02 under ours.
      await nginx02InPlace(s, settled);
      const { result } = await completedRun(client, s.ctx.ns, NAME, { timeoutMs: 120_000 });
      expect(result).toMatchObject({ fromRevision: REV1, toRevision: REV2, updatedInPlace: 4, recreated: 0, created: 0 });
    } finally {
      await client.close();
    }
  });

  it('handback: nginx01 settled by ours, kruise-defaults, then Kruise keeps every Pod (the writes it makes listed) and rolls nginx02 in place', async () => {
    const s = (stage = await startStage('handback', { oursCrd: true }));
    const client = await RolloutClient.connect({ address: inject('temporalAddress') });
    let settled: PodId[];
    try {
      const ours = await startOurs(s);
      await create(s.ctx, example('nginx01.yaml'));
      await settleNginx01(s);
      const { result } = await completedRun(client, s.ctx.ns, NAME, { timeoutMs: 120_000 });
      expect(result).toMatchObject({ toRevision: REV1, created: 5 });
      const exit = await ours.stop(15_000);
      expect(exit.signal, 'the worker exits on SIGTERM by itself (no SIGKILL)').not.toBe('SIGKILL');
      settled = ids(await pods(s));
      expect(settled).toHaveLength(5);
    } finally {
      await client.close();
    }
    s.rec.mark('snapshot');

    // README: before Kruise's controller starts, write Kruise's defaults into the template (the project's CRD stored it as
    // written). It is a CloneSet write only: a new generation.
    const generation = (await cloneSetNow(s)).metadata.generation!;
    const args = ['kruise-defaults', NAME, '-n', s.ctx.ns, '--kubeconfig', s.kubeconfigPath];
    const cli = await run(process.execPath, [join(ROOT, 'bin', 'cloneset-rollout.js'), ...args], { cwd: ROOT });
    expect(cli.stdout).toContain(`CloneSet ${s.ctx.ns}/${NAME}: Kruise's defaults written into the template (generation ${generation + 1}); no Pod changes`);

    // Kruise installed: its 18 CRDs (clonesets.apps.kruise.io replaces ours in place), namespace, webhooks; then the manager.
    const installed = await installKruise(s.kc);
    expect(installed.crds).toBe(18);
    s.rec.mark('kruise');
    s.own(await startKruiseManager({ kubeconfigPath: s.kubeconfigPath, dir: s.dir }));
    const kruiseReady = Date.now();
    // Kruise has reconciled the CloneSet once it has observed the generation kruise-defaults wrote, on our revision.
    await s.rec.until(
      'Kruise observing the new generation on nginx01’s revision',
      () => {
        const cs = s.rec.cloneSet(NAME);
        const st = (cs?.status ?? {}) as Record<string, unknown>;
        return cs && st.observedGeneration === generation + 1 && st.updateRevision === REV1 && st.updatedReadyReplicas === 5;
      },
      60_000,
      () => JSON.stringify(s.rec.cloneSet(NAME)?.status),
    );
    await new Promise((r) => setTimeout(r, Math.max(0, kruiseReady + QUIET_MS - Date.now())));

    // Phase A: no Pod recreated, our revision re-used, and exactly these Pod writes by Kruise.
    expect(
      ids(await pods(s)).map(({ name, uid }) => ({ name, uid })),
      'names and UIDs kept',
    ).toEqual(settled.map(({ name, uid }) => ({ name, uid })));
    expect(await revisions(s), 'Kruise finds our revision equal to the template and re-uses it').toEqual([[REV1, 1]]);
    expect(podWrites(s.rec, 'snapshot'), 'Pod writes from the snapshot to the end of phase A').toEqual(HANDBACK_PHASE_A_WRITES);

    // Phase B: nginx02 under Kruise.
    await nginx02InPlace(s, settled);
  });
});
