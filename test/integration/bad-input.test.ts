/**
 * Bad input is refused cleanly: every malformed request, sent both through the real `temporal workflow start` CLI
 * and through the typed client, fails non-retryably with a failure type and a message that names the problem, and
 * leaves the cluster exactly as it was (every Pod's and CloneSet's resourceVersion unchanged).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RolloutFailedError, RolloutInputTooLargeError } from '../../src/client/index.js';
import { ROLLOUT_WORKFLOW_TYPE } from '../../src/constants.js';
import { applyCloneSet } from '../../src/kube/apply.js';
import { CLONESET } from '../../src/kube/clients.js';
import { findTemporalCli } from '../../src/temporal/binary.js';
import type { CloneSet, RolloutInput } from '../../src/rollout/index.js';
import { HookActor, withUpdateHook } from '../support/brake.js';
import { ReadinessWatcher } from '../support/watcher.js';
import { applyAndRoll, cloneSet, livePods, startTestEnv, uniqueNamespace, type TestEnv } from '../support/env.js';

const run = promisify(execFile);
const cli = findTemporalCli()!;
const tmp = mkdtempSync(join(tmpdir(), 'bad-input-'));

let env: TestEnv;
const ns = uniqueNamespace('bad');

/** CloneSets whose spec itself is bad, created directly (the apiserver, like a CRD without webhooks, accepts them). */
const brokenSpecs: Record<string, (cs: CloneSet) => void> = {
  'neg-partition': (cs) => (cs.spec.updateStrategy = { type: 'InPlaceIfPossible', partition: -1 }),
  'mu-150': (cs) => (cs.spec.updateStrategy = { type: 'InPlaceIfPossible', maxUnavailable: '150%' }),
  'selector-mismatch': (cs) => (cs.spec.selector = { matchLabels: { app: 'other' } }),
  'zero-window': (cs) => (cs.spec.updateStrategy = { maxUnavailable: 0, maxSurge: 0 }),
  'restart-never': (cs) => ((cs.spec.template.spec as { restartPolicy?: string }).restartPolicy = 'Never'),
  'inplaceonly-surge': (cs) => (cs.spec.updateStrategy = { type: 'InPlaceOnly', maxSurge: 1 }),
  'neg-grace': (cs) => (cs.spec.updateStrategy = { type: 'InPlaceIfPossible', inPlaceUpdateStrategy: { gracePeriodSeconds: -5 } }),
  'bad-template-image': (cs) => (cs.spec.template.spec.containers[0]!.image = 'Nginx:Latest '),
  'bad-quantity': (cs) => (cs.spec.template.spec.containers[0]!.resources = { requests: { cpu: 'lots' } }),
  'request-over-limit': (cs) => (cs.spec.template.spec.containers[0]!.resources = { requests: { memory: '256Mi' }, limits: { memory: '128Mi' } }),
};

interface Row {
  scenario: string;
  input: unknown;
  type: string;
  /** What the failure message must say (it names the field or the object). */
  message: RegExp;
}

const web = (extra: Record<string, unknown>) => ({ namespace: ns, name: 'web', ...extra });
const rows: Row[] = [
  { scenario: 'missing name', input: { namespace: ns }, type: 'InvalidSpec', message: /name: is required/ },
  { scenario: 'missing namespace', input: { name: 'web' }, type: 'InvalidSpec', message: /namespace: is required/ },
  { scenario: 'empty object', input: {}, type: 'InvalidSpec', message: /2 problems:[\s\S]*namespace[\s\S]*name/ },
  { scenario: 'name of the wrong type (name: 5)', input: { namespace: ns, name: 5 }, type: 'InvalidSpec', message: /name: must be a string \(got number\)/ },
  { scenario: 'name not a DNS-1123 subdomain (Web_1)', input: web({ name: 'Web_1' }), type: 'InvalidSpec', message: /name: must be a DNS-1123 subdomain/ },
  {
    scenario: 'namespace longer than 63 characters',
    input: web({ namespace: 'n'.repeat(64) }),
    type: 'InvalidSpec',
    message: /namespace: must be a DNS-1123 label/,
  },
  { scenario: 'unknown field (image instead of images)', input: web({ image: 'nginx:1.27' }), type: 'InvalidSpec', message: /image: unknown field/ },
  {
    scenario: 'two unknown fields, both named',
    input: web({ replicas: 3, dryRun: true }),
    type: 'InvalidSpec',
    message: /replicas: unknown field[\s\S]*dryRun: unknown field/,
  },
  {
    scenario: 'images not an object (a string)',
    input: web({ images: 'nginx:1.27' }),
    type: 'InvalidSpec',
    message: /images: must be an object \(got string\)/,
  },
  { scenario: 'images as a list', input: web({ images: ['nginx:1.27'] }), type: 'InvalidSpec', message: /images: must be an object \(got array\)/ },
  {
    scenario: 'rollbackOnFailure not a boolean ("yes")',
    input: web({ rollbackOnFailure: 'yes' }),
    type: 'InvalidSpec',
    message: /rollbackOnFailure: must be a boolean \(got string\)/,
  },
  { scenario: 'empty image', input: web({ images: { nginx: '' } }), type: 'InvalidSpec', message: /images\.nginx: image must be a non-empty string/ },
  {
    scenario: 'image of the wrong type (number)',
    input: web({ images: { nginx: 127 } }),
    type: 'InvalidSpec',
    message: /images\.nginx: must be a string \(got number\)/,
  },
  {
    scenario: 'image with an empty tag (nginx:)',
    input: web({ images: { nginx: 'nginx:' } }),
    type: 'InvalidSpec',
    message: /images\.nginx: image "nginx:" is not a valid reference/,
  },
  {
    scenario: 'image with upper case (UPPER/case)',
    input: web({ images: { nginx: 'UPPER/case' } }),
    type: 'InvalidSpec',
    message: /images\.nginx: image "UPPER\/case" is not a valid reference/,
  },
  {
    scenario: 'image with spaces',
    input: web({ images: { nginx: 'nginx 1.27' } }),
    type: 'InvalidSpec',
    message: /images\.nginx: image "nginx 1.27" must not contain whitespace/,
  },
  {
    scenario: 'image with a truncated digest',
    input: web({ images: { nginx: 'nginx@sha256:abc' } }),
    type: 'InvalidSpec',
    message: /images\.nginx: .*not a valid reference/,
  },
  {
    scenario: 'container name not a DNS-1123 label',
    input: web({ images: { Nginx_1: 'nginx:1.27' } }),
    type: 'InvalidSpec',
    message: /images\.Nginx_1: container name must be a DNS-1123 label/,
  },
  {
    scenario: 'images for an unknown container',
    input: web({ images: { php: 'php:8' } }),
    type: 'InvalidSpec',
    message: /images\.php: no container named "php" in the template \(containers: nginx\)/,
  },
  { scenario: 'image null', input: web({ images: { nginx: null } }), type: 'InvalidSpec', message: /images\.nginx: must be a string \(got null\)/ },
  { scenario: 'unknown CloneSet', input: { namespace: ns, name: 'nope' }, type: 'CloneSetNotFound', message: new RegExp(`CloneSet ${ns}/nope not found`) },
  {
    scenario: 'negative partition in the CloneSet spec',
    input: { namespace: ns, name: 'neg-partition' },
    type: 'InvalidSpec',
    message: /spec\.updateStrategy\.partition: -1 must be an integer/,
  },
  {
    scenario: 'maxUnavailable "150%" in the CloneSet spec',
    input: { namespace: ns, name: 'mu-150' },
    type: 'InvalidSpec',
    message: /spec\.updateStrategy\.maxUnavailable: "150%" must be .*between 0% and 100%/,
  },
  {
    scenario: 'selector not matching the template labels',
    input: { namespace: ns, name: 'selector-mismatch' },
    type: 'InvalidSpec',
    message: /spec\.template\.metadata\.labels: `selector` does not match template `labels`/,
  },
  {
    scenario: 'maxUnavailable 0 with maxSurge 0 (no Pod could move)',
    input: { namespace: ns, name: 'zero-window' },
    type: 'InvalidSpec',
    message: /spec\.updateStrategy\.maxUnavailable: .*must not both be less than 1/,
  },
  {
    scenario: 'restartPolicy Never in the template',
    input: { namespace: ns, name: 'restart-never' },
    type: 'InvalidSpec',
    message: /spec\.template\.spec\.restartPolicy: "Never" is not supported/,
  },
  {
    scenario: 'InPlaceOnly with maxSurge 1',
    input: { namespace: ns, name: 'inplaceonly-surge' },
    type: 'InvalidSpec',
    message: /spec\.updateStrategy\.maxSurge: 1 can not be used with type InPlaceOnly/,
  },
  {
    scenario: 'negative gracePeriodSeconds',
    input: { namespace: ns, name: 'neg-grace' },
    type: 'InvalidSpec',
    message: /gracePeriodSeconds: -5 must be an integer ≥ 0/,
  },
  {
    scenario: 'invalid image in the CloneSet template itself',
    input: { namespace: ns, name: 'bad-template-image' },
    type: 'InvalidSpec',
    message: /spec\.template\.spec\.containers\[0\]\.image: .*whitespace/,
  },
  { scenario: 'InPlaceOnly with an env change', input: { namespace: ns, name: 'inplaceonly-env' }, type: 'InPlaceNotPossible', message: /InPlaceOnly .*env/ },
  {
    scenario: 'a resource quantity that does not parse',
    input: { namespace: ns, name: 'bad-quantity' },
    type: 'InvalidSpec',
    message: /spec\.template\.spec\.containers\[0\]\.resources\.requests\.cpu: "lots" is not a quantity/,
  },
  {
    scenario: 'a memory request above its limit',
    input: { namespace: ns, name: 'request-over-limit' },
    type: 'InvalidSpec',
    message: /containers\[0\]\.resources\.requests\.memory: 256Mi must be less than or equal to the memory limit of 128Mi/,
  },
  {
    scenario: 'canary steps that go down',
    input: web({ images: { nginx: 'nginx:1.27' }, steps: [{ replicas: 2 }, { replicas: 1 }] }),
    type: 'InvalidSpec',
    message: /steps\[1\]\.replicas: 1 goes down from step 1's 2: steps only add Pods/,
  },
  {
    scenario: 'a canary step over 100%',
    input: web({ images: { nginx: 'nginx:1.27' }, steps: [{ replicas: '150%' }] }),
    type: 'InvalidSpec',
    message: /steps\[0\]\.replicas: "150%" must be an integer ≥ 0 or a percentage between 0% and 100%/,
  },
  {
    scenario: 'a canary step with a negative bake time and a field OpenKruise Rollouts has but we do not (matches)',
    input: web({ images: { nginx: 'nginx:1.27' }, steps: [{ replicas: 1, pause: { duration: -1 }, matches: [] }] }),
    type: 'InvalidSpec',
    message:
      /steps\[0\]\.matches: unknown field[\s\S]*steps\[0\]\.pause\.duration: must be an integer number of seconds|steps\[0\]\.pause\.duration: must be an integer number of seconds[\s\S]*steps\[0\]\.matches: unknown field/,
  },
  {
    scenario: 'InPlaceOnly with a resize that changes the QoS class',
    input: { namespace: ns, name: 'inplaceonly-qos' },
    type: 'InPlaceNotPossible',
    message: /InPlaceOnly .*spec\.containers\[nginx\]\.resources change the Pod's QoS class from Guaranteed to Burstable/,
  },
];

/** Every Pod's and CloneSet's identity and resourceVersion in the namespace: equal snapshots = nothing written. */
async function snapshot() {
  const pods = await env.k.core.listNamespacedPod({ namespace: ns });
  const sets = (await env.k.custom.listNamespacedCustomObject({ ...CLONESET, namespace: ns })) as { items: CloneSet[] };
  return {
    pods: pods.items.map((p) => `${p.metadata!.name}/${p.metadata!.uid}@${p.metadata!.resourceVersion}`).sort(),
    cloneSets: sets.items.map((c) => `${c.metadata.name}@${c.metadata.resourceVersion}`).sort(),
  };
}

/** Starts the workflow with the real CLI, then reads its failure back with `temporal workflow result`. */
async function viaCli(input: unknown): Promise<{ type: string; message: string }> {
  const workflowId = `bad-input-cli-${randomBytes(4).toString('hex')}`;
  const base = ['--address', env.address, '--workflow-id', workflowId];
  await run(cli, ['workflow', 'start', ...base, '--type', ROLLOUT_WORKFLOW_TYPE, '--task-queue', env.taskQueue, '--input', JSON.stringify(input)]);
  const result = await run(cli, ['workflow', 'result', ...base, '--output', 'json']).then(
    (r) => ({ ok: true, out: r.stdout }),
    (e: { stdout: string; stderr: string }) => ({ ok: false, out: `${e.stdout}${e.stderr}` }),
  );
  expect(result.ok, result.out).toBe(false);
  const described = JSON.parse((await run(cli, ['workflow', 'describe', ...base, '--output', 'json'])).stdout) as {
    workflowExecutionInfo: { status: string };
  };
  expect(described.workflowExecutionInfo.status).toMatch(/FAILED/);
  // `result --output json` prints the close event (then a log line); its failure's innermost cause holds the type.
  const printed = JSON.parse(result.out.slice(result.out.indexOf('{'), result.out.lastIndexOf('}') + 1)) as {
    status: string;
    closeEvent: { workflowExecutionFailedEventAttributes: { failure: Failure } };
  };
  expect(printed.status).toBe('FAILED');
  let f = printed.closeEvent.workflowExecutionFailedEventAttributes.failure;
  expect(f.applicationFailureInfo?.nonRetryable).toBe(true);
  while (f.cause) f = f.cause;
  return { type: f.applicationFailureInfo?.type ?? '', message: f.message ?? '' };
}
interface Failure {
  message?: string;
  cause?: Failure;
  applicationFailureInfo?: { type?: string; nonRetryable?: boolean };
}

async function viaClient(input: unknown): Promise<{ type: string; message: string }> {
  const handle = await env.client.start(input as RolloutInput);
  const err = await handle.result().then(
    () => new Error('rollout succeeded'),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RolloutFailedError);
  const f = err as RolloutFailedError;
  const { status } = await handle.workflow.describe();
  expect(status.name).toBe('FAILED');
  return { type: f.type ?? '', message: f.message };
}

beforeAll(async () => {
  env = await startTestEnv();
  await applyAndRoll(env, cloneSet(ns, 'web', { replicas: 2, updateStrategy: { type: 'InPlaceIfPossible' } }));
  for (const [name, breakIt] of Object.entries(brokenSpecs)) {
    const cs = cloneSet(ns, name, { replicas: 1 });
    breakIt(cs);
    await env.k.custom.createNamespacedCustomObject({ ...CLONESET, namespace: ns, body: cs });
  }
  const inPlaceOnly = cloneSet(ns, 'inplaceonly-env', { replicas: 1, updateStrategy: { type: 'InPlaceOnly' } });
  await applyAndRoll(env, inPlaceOnly);
  inPlaceOnly.spec.template.spec.containers[0]!.env = [{ name: 'MODE', value: 'fast' }];
  await applyCloneSet(env.k, inPlaceOnly);
  const guaranteed = { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '100m', memory: '64Mi' } };
  const qos = cloneSet(ns, 'inplaceonly-qos', { replicas: 1, updateStrategy: { type: 'InPlaceOnly' } });
  qos.spec.template.spec.containers[0]!.resources = guaranteed;
  await applyAndRoll(env, qos);
  qos.spec.template.spec.containers[0]!.resources = { ...guaranteed, limits: { cpu: '200m', memory: '64Mi' } };
  await applyCloneSet(env.k, qos);
});
afterAll(async () => {
  await env?.stop();
});

describe('bad rollout input', () => {
  it(`covers at least 20 malformed inputs (${rows.length})`, () => {
    expect(rows.length).toBeGreaterThanOrEqual(20);
  });

  it.each(rows)('refuses $scenario with $type, naming the problem, cluster unchanged', async (row) => {
    const before = await snapshot();
    for (const [path, attempt] of [
      ['cli', viaCli],
      ['client', viaClient],
    ] as const) {
      const got = await attempt(row.input);
      expect(got.type, `${path}: ${got.message}`).toBe(row.type);
      expect(got.message, path).toMatch(row.message);
    }
    expect(await snapshot()).toEqual(before);
  });

  it('refuses an oversized input (a 3 MB image string) at start, before any workflow exists', async () => {
    const before = await snapshot();
    const input = { namespace: ns, name: 'web', images: { nginx: `nginx:${'x'.repeat(3 * 1024 * 1024)}` } };
    // The CLI: one argv string is limited to 128 KiB by Linux, so the payload goes in a file.
    const file = join(tmp, 'big.json');
    writeFileSync(file, JSON.stringify(input));
    const workflowId = `bad-input-cli-big-${randomBytes(4).toString('hex')}`;
    const cliErr = await run(cli, [
      'workflow',
      'start',
      '--address',
      env.address,
      '--workflow-id',
      workflowId,
      '--type',
      ROLLOUT_WORKFLOW_TYPE,
      '--task-queue',
      env.taskQueue,
      '--input-file',
      file,
    ]).then(
      () => '',
      (e: { stderr: string }) => e.stderr,
    );
    expect(cliErr).toMatch(/Blob data size exceeds limit/);
    const clientErr = await env.client.start(input).then(
      () => new Error('started'),
      (e: unknown) => e as Error,
    );
    // The typed client refuses it itself, at once, with the numbers (the SDK would retry the refused start for ~40 s).
    expect(clientErr).toBeInstanceOf(RolloutInputTooLargeError);
    expect(clientErr.message).toMatch(/rollout input is 3\.0 MB, over Temporal's 2 MB payload limit/);
    const describe = await run(cli, ['workflow', 'describe', '--address', env.address, '--workflow-id', workflowId]).then(
      () => 'exists',
      (e: { stderr: string }) => e.stderr,
    );
    expect(describe).toMatch(/not found/i);
    expect(await snapshot()).toEqual(before);
  });

  it('fails with CloneSetNotFound, non-retryably, when the CloneSet is deleted mid-rollout, finishing the Pod in flight', async () => {
    // A rollout (grace 1 s, one Pod at a time), started once through the CLI and once through the client. Slow
    // enough by construction: each first Pod, once patched, is held in Updated (its lane in flight) by its lifecycle
    // hook until its CloneSet is deleted; then the hook lets it finish.
    const names = ['gone-cli', 'gone-client'];
    for (const name of names) {
      await applyAndRoll(
        env,
        withUpdateHook(
          cloneSet(ns, name, {
            replicas: 3,
            updateStrategy: { type: 'InPlaceIfPossible', maxUnavailable: 1, inPlaceUpdateStrategy: { gracePeriodSeconds: 1 } },
          }),
        ),
      );
    }
    const watchers = await Promise.all(
      names.map(async (name) => {
        const w = new ReadinessWatcher(env.cluster.kubeConfig(), ns, `app=${name}`);
        await w.start();
        return w;
      }),
    );
    const hooks = names.map((name) => new HookActor(env.k, ns, `app=${name}`));
    for (const h of hooks) {
      h.holdUpdated(true);
      h.release(1);
    }
    const cliId = `bad-input-cli-gone-${randomBytes(4).toString('hex')}`;
    await run(cli, [
      'workflow',
      'start',
      '--address',
      env.address,
      '--workflow-id',
      cliId,
      '--type',
      ROLLOUT_WORKFLOW_TYPE,
      '--task-queue',
      env.taskQueue,
      '--input',
      JSON.stringify({ namespace: ns, name: 'gone-cli', images: { nginx: 'nginx:1.27' } }),
    ]);
    const handle = await env.client.start({ namespace: ns, name: 'gone-client', images: { nginx: 'nginx:1.27' } });
    // Delete each CloneSet while its first Pod is in flight (patched, held in Updated), then let the Pod finish.
    await Promise.all(
      watchers.map(async (w, i) => {
        await until(() => hooks[i]!.updated().length === 1, 60_000);
        await env.k.custom.deleteNamespacedCustomObject({ ...CLONESET, namespace: ns, name: names[i]! });
        hooks[i]!.open();
      }),
    );
    const viaClientErr = (await handle.result().catch((e: unknown) => e)) as RolloutFailedError;
    expect(viaClientErr).toBeInstanceOf(RolloutFailedError);
    expect(viaClientErr.type).toBe('CloneSetNotFound');
    expect(viaClientErr.message).toMatch(new RegExp(`CloneSet ${ns}/gone-client (not found|was deleted)`));
    const out = await run(cli, ['workflow', 'result', '--address', env.address, '--workflow-id', cliId, '--output', 'json']).then(
      (r) => r.stdout,
      (e: { stdout: string; stderr: string }) => `${e.stdout}${e.stderr}`,
    );
    expect(out).toMatch(/CloneSetNotFound/);
    expect(out).toMatch(new RegExp(`CloneSet ${ns}/gone-cli (not found|was deleted)`));
    // The held Pods finished (hooked again, back to Normal) before the actors stop.
    for (const h of hooks)
      await until(
        () => h.listed().length === 3 && h.listed().every((p) => p.metadata?.labels?.['lifecycle.apps.kruise.io/state'] === 'Normal'),
        60_000,
      ).finally(() => h.stop());
    watchers.forEach((w) => w.stop());
    // The simulated apiserver has no garbage collector, so the orphaned Pods stay (a real cluster would delete them
    // once their owner is gone). What matters while they live: the rollout abandoned none half-way, so each one
    // serves traffic again (gate True, Ready) and the Pod that was mid-update finished on the new image, its
    // container restarted exactly once; the others were never touched.
    for (const [i, name] of names.entries()) {
      const pods = await livePods(env, ns, name);
      expect(pods).toHaveLength(3);
      for (const p of pods) {
        expect(p.status!.conditions!.find((c) => c.type === 'InPlaceUpdateReady')?.status, p.metadata!.name).toBe('True');
      }
      const moved = Object.values(watchers[i]!.pods).filter((h) => h.gateOffAt.length > 0);
      expect(moved).toHaveLength(1);
      expect(moved[0]!.containerIds.nginx).toHaveLength(2);
    }
  });
});

async function until(check: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}
