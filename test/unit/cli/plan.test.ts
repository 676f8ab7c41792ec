import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { planCli } from '../../support/plan-cli.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPlan, cloneSetFromText, formatDuration, renderPlan, runPlan, type CloneSetPlan, type PlanFlags } from '../../../src/cli/plan.js';
import { applyCloneSet } from '../../../src/kube/apply.js';
import { makeClients } from '../../../src/kube/clients.js';
import { buildPod, revisionName, type CloneSet } from '../../../src/rollout/index.js';
import { startSimApiServer, type SimApiServer } from '../../../src/sim/index.js';

const examples = fileURLToPath(new URL('../../../examples/', import.meta.url));
const NGINX01 = join(examples, 'nginx01.yaml');
const NGINX02 = join(examples, 'nginx02.yaml');
const OLD = revisionName('nginxweb1', cloneSetFromText(await readFile(NGINX01, 'utf8'), 'nginx01').spec.template);
const NEW = revisionName('nginxweb1', cloneSetFromText(await readFile(NGINX02, 'utf8'), 'nginx02').spec.template);

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'plan-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Writes nginx02.yaml with `edit` applied to its text; returns the path. */
async function manifest(name: string, edit: (text: string) => string, base = NGINX02): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, edit(await readFile(base, 'utf8')));
  return file;
}

const cli = planCli;

const json = (stdout: string) => JSON.parse(stdout) as CloneSetPlan;
const compact = (p: CloneSetPlan) =>
  p.waves.map((w) => `${w.atSeconds} ${w.pods.map((m) => `${m.action}:${m.name}:${m.from ?? '-'}>${m.to ?? '-'}`).join(' ')}`);

describe('cloneset-rollout plan --from (offline)', () => {
  it('the seed: nginx01 → nginx02 --json is one JSON document with the waves', async () => {
    const r = await cli('-f', NGINX02, '--from', NGINX01, '--json');
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const p = json(r.stdout);
    expect(p).toMatchObject({
      namespace: 'default',
      name: 'nginxweb1',
      source: 'offline',
      exists: true,
      outcome: 'done',
      done: true,
      updateRevision: NEW,
      current: { replicas: 5, revisions: { [OLD]: { pods: 5, action: 'inPlace', reasons: [], images: { nginx: 'nginx:latest' } } } },
      desired: { replicas: 4, revision: NEW },
      spec: { replicas: 4, maxUnavailable: 1, scaleMaxUnavailable: 1, minReadySeconds: 30, type: 'InPlaceIfPossible' },
      totals: { waves: 3, inPlace: 4, recreate: 0, create: 0, delete: 1, surge: 0, maxUnavailable: 2, minServing: 3, maxPods: 5, remainingOld: 0 },
      estimatedSeconds: 75,
      timings: { gracePeriodSeconds: 0, restartSeconds: 5, startSeconds: 10, terminateSeconds: 5, minReadySeconds: 30 },
    });
    // Two at a time while the surplus Pod (nginxweb1-1, to be deleted) serves; it goes once nothing waits for it.
    expect(compact(p)).toEqual([
      `0 inPlace:nginxweb1-2:${OLD}>${NEW} inPlace:nginxweb1-3:${OLD}>${NEW}`,
      `35 inPlace:nginxweb1-4:${OLD}>${NEW} inPlace:nginxweb1-5:${OLD}>${NEW}`,
      `70 delete:nginxweb1-1:${OLD}>-`,
    ]);
    expect(p.waves.map((w) => w.phase)).toEqual(['updating', 'updating', 'scaling']);
  });

  it('in-place resources: resize01 → resize02 names the resize of each revision, in place', async () => {
    const r = await cli('-f', join(examples, 'resize02.yaml'), '--from', join(examples, 'resize01.yaml'));
    expect(r.code).toBe(0);
    const from = revisionName('nginxweb2', cloneSetFromText(await readFile(join(examples, 'resize01.yaml'), 'utf8'), 'resize01').spec.template);
    expect(r.stdout.split('\n')).toContain(`  ${from}: in place (resize nginx cpu 100m→200m, cpu limit 200m→400m)`);
    const p = json((await cli('-f', join(examples, 'resize02.yaml'), '--from', join(examples, 'resize01.yaml'), '--json')).stdout);
    expect(p.current.revisions[from]).toMatchObject({ action: 'inPlace', images: {}, resizes: { nginx: ['cpu 100m→200m', 'cpu limit 200m→400m'] } });
    expect(p.totals).toMatchObject({ inPlace: 4, recreate: 0 });
  });

  it('prints a human table and a summary line', async () => {
    const r = await cli('-f', NGINX02, '--from', NGINX01);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe(`CloneSet default/nginxweb1 (offline): 5 Pod(s) at ${OLD} → 4 Pod(s) at ${NEW}`);
    expect(lines).toContain(`  ${OLD}: in place (nginx=nginx:latest)`);
    expect(lines).toContain('WAVE  START   POD          ACTION   FROM → TO');
    expect(lines).toContain(`1     +0s     nginxweb1-2  inPlace  ${OLD} → ${NEW}`);
    expect(lines).toContain(`              nginxweb1-3  inPlace  ${OLD} → ${NEW}`);
    expect(lines).toContain(`3     +1m10s  nginxweb1-1  delete   ${OLD} → (gone)`);
    expect(lines).toContain(
      'Summary: 4 in place, 0 recreated, 0 created, 1 deleted in 3 wave(s); at least 3 serving, at most 2 unavailable, no surge; done in about 1m15s ' +
        '(restart 5s, start 10s, terminate 5s, grace 0s, minReady 30s).',
    );
    expect(lines).toContain('Nothing was changed on the cluster.');
  });

  it('--restart-seconds and --start-seconds change the estimate', async () => {
    const p = json((await cli('-f', NGINX02, '--from', NGINX01, '--json', '--restart-seconds', '1', '--start-seconds', '2')).stdout);
    // 2 waves × (1 s restart + 30 s minReadySeconds), then 5 s terminate.
    expect(p.estimatedSeconds).toBe(2 * 31 + 5);
    expect(p.timings).toMatchObject({ restartSeconds: 1, startSeconds: 2 });
  });

  it('maxUnavailable 2, no scale-down: two Pods per wave', async () => {
    const file = await manifest('mu2.yaml', (t) =>
      t.replace('type: InPlaceIfPossible', 'type: InPlaceIfPossible\n    maxUnavailable: 2').replace('replicas: 4', 'replicas: 5'),
    );
    const p = json((await cli('-f', file, '--from', NGINX01, '--json')).stdout);
    expect(p.waves.map((w) => w.pods.map((m) => m.name))).toEqual([['nginxweb1-1', 'nginxweb1-2'], ['nginxweb1-3', 'nginxweb1-4'], ['nginxweb1-5']]);
    expect(p.totals).toMatchObject({ inPlace: 5, maxUnavailable: 2 });
  });

  it('ReCreate with maxSurge: recreates name their replacement, the surge Pod is a create', async () => {
    const file = await manifest('surge.yaml', (t) =>
      t.replace('type: InPlaceIfPossible', 'type: ReCreate\n    maxSurge: 1\n    maxUnavailable: 0').replace('replicas: 4', 'replicas: 5'),
    );
    const r = await cli('-f', file, '--from', NGINX01);
    expect(r.stdout).toContain(`  ${OLD}: recreate (update strategy is ReCreate)`);
    expect(r.stdout).toContain(
      `2     +40s    nginxweb1-1      recreate  ${OLD} → ${revisionName('nginxweb1', cloneSetFromText(await readFile(file, 'utf8'), 'f').spec.template)} (as nginxweb1-new-2)`,
    );
    expect(r.stdout).toMatch(
      /Summary: 0 in place, 4 recreated, 1 created, 1 deleted in 6 wave\(s\); at least 5 serving, at most 1 unavailable, 1 surge Pod\(s\); done in about 3m45s/,
    );
  });

  it('paused with the same replicas: no waves, and it says paused', async () => {
    const paused = (t: string) => t.replace('replicas: 5', 'replicas: 5\n  updateStrategy:\n    paused: true');
    const file = await manifest('paused.yaml', (t) => paused(t).replace('nginx:perl', 'nginx:latest'), NGINX01);
    const r = await cli('-f', file, '--from', NGINX01);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('No waves: nothing would move.');
    expect(r.stdout).toContain('Summary: nothing moves: paused with 5 pod(s) left to update (updateStrategy.paused).');
    expect(json((await cli('-f', file, '--from', NGINX01, '--json')).stdout)).toMatchObject({ outcome: 'paused', waves: [], done: false });
  });

  it('InPlaceOnly with a change that is not in-place-able: refused before anything moves, as the workflow does', async () => {
    const file = await manifest('only.yaml', (t) =>
      t.replace('type: InPlaceIfPossible', 'type: InPlaceOnly').replace('imagePullPolicy: IfNotPresent', 'imagePullPolicy: Always'),
    );
    const r = await cli('-f', file, '--from', NGINX01, '--json');
    expect(r.code).toBe(0);
    const p = json(r.stdout);
    expect(p).toMatchObject({ outcome: 'blocked', waves: [], totals: { waves: 0, remainingOld: 5 } });
    expect(p.reason).toBe(
      `the rollout would be refused: InPlaceOnly but revision ${OLD}: can not update in-place: spec.containers[nginx].imagePullPolicy changed`,
    );
    expect(p.blocked.map((b) => b.name)).toEqual(['nginxweb1-1', 'nginxweb1-2', 'nginxweb1-3', 'nginxweb1-4', 'nginxweb1-5']);
  });
});

describe('cloneset-rollout plan: errors', () => {
  it('a bad manifest: names the field, exits 1, prints nothing on stdout', async () => {
    const file = await manifest('bad.yaml', (t) => t.replace('replicas: 4', 'replicas: -1').replace('maxUnavailable: 1', 'maxUnavailable: "1.5%"'));
    const r = await cli('-f', file, '--from', NGINX01);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`cloneset-rollout plan: ${file}: document 1: 2 problems:`);
    expect(r.stderr).toContain('  - spec.replicas: -1 must be an integer ≥ 0');
    expect(r.stderr).toContain('  - spec.scaleStrategy.maxUnavailable:');
  });

  it.each<[string, (file: string) => PlanFlags, RegExp]>([
    ['a missing file', () => ({ filename: join(dir, 'nope.yaml'), from: NGINX01 }), /nope\.yaml: no such file/],
    ['a bad --from manifest', (bad) => ({ filename: NGINX02, from: bad }), /document 1: 1 problem:\n {2}- spec\.replicas: -1 must be an integer ≥ 0/],
    ['two CloneSets in FILE', () => ({ filename: join(dir, 'two.yaml'), from: NGINX01 }), /two\.yaml: 2 CloneSets found; plan takes a file with one/],
    [
      'a different selector (immutable)',
      () => ({ filename: join(dir, 'selector.yaml'), from: NGINX01 }),
      /spec\.selector: differs from .*nginx01\.yaml's, and the selector of a CloneSet is immutable/,
    ],
  ])('%s', async (_name, flags, message) => {
    const bad = await manifest('bad-from.yaml', (t) => t.replace('replicas: 5', 'replicas: -1'), NGINX01);
    await writeFile(join(dir, 'two.yaml'), `${await readFile(NGINX01, 'utf8')}\n---\n${await readFile(NGINX02, 'utf8')}`);
    await manifest('selector.yaml', (t) => t.replaceAll('app: nginxweb1', 'app: other'));
    let out = '';
    let err = '';
    const code = await runPlan(flags(bad), { stdout: (t) => (out += t), stderr: (t) => (err += t) });
    expect(code).toBe(1);
    expect(out).toBe('');
    expect(err).toMatch(/^cloneset-rollout plan: /);
    expect(err).toMatch(message);
  });

  it('rejects a negative --restart-seconds', async () => {
    const r = await cli('-f', NGINX02, '--from', NGINX01, '--restart-seconds', '-3');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`option '--restart-seconds <n>' argument '-3' is invalid. "-3" is not a number of seconds ≥ 0`);
  });
});

describe('cloneset-rollout plan (from the cluster)', () => {
  let api: SimApiServer;
  let kubeconfig: string;
  beforeAll(async () => {
    api = await startSimApiServer({ port: 0 });
    kubeconfig = join(dir, 'kubeconfig');
    await api.writeKubeconfig(kubeconfig);
  });
  afterAll(async () => {
    await api.close();
  });

  it('a CloneSet that does not exist: every replica is a create', async () => {
    const r = await cli('-f', NGINX02, '--kubeconfig', kubeconfig, '--json');
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const p = json(r.stdout);
    expect(p).toMatchObject({ source: 'cluster', exists: false, outcome: 'done', totals: { create: 4, inPlace: 0, delete: 0 } });
    // scaleStrategy.maxUnavailable 1: one create at a time, each 10 s to start + 30 s minReadySeconds.
    expect(compact(p)).toEqual([0, 40, 80, 120].map((at, i) => `${at} create:nginxweb1-new-${i + 1}:->${NEW}`));
  });

  it('reads the live CloneSet and its Pods (not foreign ones), plans them, and writes nothing', async () => {
    const k = makeClients(api.kubeConfig());
    const cs = cloneSetFromText(await readFile(NGINX01, 'utf8'), 'nginx01');
    await applyCloneSet(k, cs as CloneSet);
    const live = (await k.custom.getNamespacedCustomObject({
      group: 'apps.kruise.io',
      version: 'v1alpha1',
      plural: 'clonesets',
      namespace: 'default',
      name: 'nginxweb1',
    })) as CloneSet;
    const hourAgo = new Date(Date.now() - 3_600_000);
    const names: string[] = [];
    for (const [i, id] of ['bbbbb', 'ccccc', 'ddddd'].entries()) {
      const pod = buildPod(live, cs.spec.template, OLD, id, hourAgo.getTime());
      pod.metadata.labels['lifecycle.apps.kruise.io/state'] = 'Normal'; // bound an hour ago: Normal by now
      const created = await k.core.createNamespacedPod({ namespace: 'default', body: { ...pod, spec: { ...pod.spec, nodeName: 'node-1' } } as never });
      await k.core.replaceNamespacedPodStatus({
        namespace: 'default',
        name: pod.metadata.name,
        body: {
          ...created,
          status: {
            phase: 'Running',
            conditions: [
              { type: 'Ready', status: 'True', lastTransitionTime: hourAgo },
              { type: 'InPlaceUpdateReady', status: 'True', lastTransitionTime: hourAgo },
            ],
            containerStatuses: [{ name: 'nginx', image: 'nginx:perl', imageID: 'nginx@sha256:1', ready: true, restartCount: i, started: true } as never],
          },
        },
      });
      names.push(pod.metadata.name);
    }
    // Matches the selector but the CloneSet does not own it.
    await k.core.createNamespacedPod({
      namespace: 'default',
      body: { metadata: { name: 'stray', labels: { app: 'nginxweb1' } }, spec: { containers: [{ name: 'nginx', image: 'nginx:perl' }] } },
    });

    const writes = api.stats().writes;
    const r = await cli('-f', NGINX02, '--kubeconfig', kubeconfig, '--json');
    expect(api.stats().writes).toBe(writes);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const p = json(r.stdout);
    expect(p).toMatchObject({
      source: 'cluster',
      exists: true,
      outcome: 'done',
      current: { replicas: 3, revisions: { [OLD]: { pods: 3, action: 'inPlace', images: { nginx: 'nginx:latest' } } } },
      totals: { inPlace: 3, create: 1, delete: 0 },
    });
    // 3 Pods → 4: one create first (scaling before updating), then the updates one at a time, the most restarted first.
    expect(compact(p)).toEqual([
      `0 create:nginxweb1-new-1:->${NEW}`,
      `40 inPlace:${names[2]}:${OLD}>${NEW}`,
      `75 inPlace:${names[1]}:${OLD}>${NEW}`,
      `110 inPlace:${names[0]}:${OLD}>${NEW}`,
    ]);
    const human = await cli('-f', NGINX02, '--kubeconfig', kubeconfig);
    expect(human.stdout.split('\n')[0]).toBe(`CloneSet default/nginxweb1 (from the cluster): 3 Pod(s) at ${OLD} → 4 Pod(s) at ${NEW}`);
  });
});

describe('plan rendering helpers', () => {
  it.each([
    [0, '0s'],
    [4.5, '4.5s'],
    [59, '59s'],
    [145, '2m25s'],
    [7322, '2h2m2s'],
  ])('formatDuration(%s) = %s', (s, text) => {
    expect(formatDuration(s)).toBe(text);
  });

  it('a CloneSet not in the cluster yet says so', () => {
    const desired = cloneSetFromText(
      'apiVersion: apps.kruise.io/v1alpha1\nkind: CloneSet\nmetadata: {name: web}\nspec:\n  replicas: 2\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: c, image: "nginx:1"}]}\n',
      'web',
    );
    const text = renderPlan(buildPlan(desired, { exists: false, pods: [], templates: {} }, 'cluster'));
    expect(text.split('\n')[0]).toBe(`CloneSet default/web (not in the cluster yet): no Pods → 2 Pod(s) at ${revisionName('web', desired.spec.template)}`);
    expect(text).toContain('Summary: 0 in place, 0 recreated, 2 created, 0 deleted in 1 wave(s); at most 2 unavailable, no surge; done in about 10s');
  });
});
