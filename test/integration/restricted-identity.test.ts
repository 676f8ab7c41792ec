/**
 * The worker and the controller under the identity deploy/ gives them, on a real kube-apiserver with RBAC on: the
 * Namespace, ServiceAccount, ClusterRole and ClusterRoleBinding of deploy/namespace.yaml and deploy/rbac.yaml are
 * applied as written, a token for the ServiceAccount is minted with the TokenRequest API, and the worker and the
 * controller run with a kubeconfig holding only that bearer token (no client certificate). The seed walkthrough,
 * controller mode and an abort with rollback must pass with exactly those rules; with one rule they need taken away
 * (`patch` on `pods`), the rollout must fail at once with the 403 named, not retry it forever.
 *
 * The test itself (CloneSets, namespaces, the lifecycle hook, the checks) and the simulated kubelet (it plays the
 * nodes) keep the admin kubeconfig. Only on the real backend: the simulated apiserver has no authorization.
 */
import { readFileSync } from 'node:fs';
import { KubeConfig, KubernetesObjectApi, loadAllYaml, type KubernetesObject, type V1ClusterRole } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RolloutClient, RolloutFailedError } from '../../src/client/index.js';
import { CloneSetController, DEFAULT_SELECTOR, MANAGED_LABEL } from '../../src/controller/index.js';
import { applyCloneSet, parseCloneSets } from '../../src/kube/apply.js';
import { makeClients } from '../../src/kube/clients.js';
import { NonRetryable } from '../../src/kube/errors.js';
import type { CloneSet } from '../../src/rollout/index.js';
import { createRolloutWorker } from '../../src/worker/index.js';
import { PodStep, RolloutPhase, type RolloutProgress } from '../../src/workflows/messages.js';
import { HookActor, withUpdateHook } from '../support/brake.js';
import { prebuiltWorkflowBundle } from '../support/bundle.js';
import { applyAndRoll, cloneSet, ensureNamespace, KUBE_BACKEND, livePods, startTestEnv, testLogger, uniqueNamespace, type TestEnv } from '../support/env.js';
import { completedRun } from '../support/runs.js';

const root = new URL('../../', import.meta.url);
const manifest = (path: string) => loadAllYaml(readFileSync(new URL(path, root), 'utf8')) as KubernetesObject[];

/** deploy/'s objects: the Namespace, then the ServiceAccount, ClusterRole and ClusterRoleBinding, as written. */
const deployed = [...manifest('deploy/namespace.yaml'), ...manifest('deploy/rbac.yaml')];
const serviceAccount = deployed.find((o) => o.kind === 'ServiceAccount')!;
const clusterRole = deployed.find((o) => o.kind === 'ClusterRole') as V1ClusterRole;
const SA_NAMESPACE = serviceAccount.metadata!.namespace!;

let env: TestEnv;
let restricted: KubeConfig;
const cleanups: (() => Promise<void>)[] = [];

/** A token for the ServiceAccount from the TokenRequest API (serviceaccounts/token), as the kubelet would mount. */
async function mintToken(admin: KubeConfig, namespace: string, name: string): Promise<string> {
  const req = await makeClients(admin).core.createNamespacedServiceAccountToken({
    namespace,
    name,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  return req.status!.token;
}

/** The admin kubeconfig's server and CA, with the token as the only credential. */
function tokenKubeConfig(admin: KubeConfig, user: string, token: string): KubeConfig {
  const cluster = admin.getCurrentCluster()!;
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'realkube', server: cluster.server, caData: cluster.caData, skipTLSVerify: false }],
    users: [{ name: user, token }],
    contexts: [{ name: user, cluster: 'realkube', user }],
    currentContext: user,
  });
  return kc;
}

/** Applies objects with the admin identity (a re-run against the same server finds them: 409 is fine). */
async function create(admin: KubeConfig, objects: KubernetesObject[]): Promise<void> {
  const api = KubernetesObjectApi.makeApiClient(admin);
  for (const o of objects) {
    await api.create(o).catch((err: unknown) => {
      if ((err as { code?: number }).code !== 409) throw err;
    });
  }
}

/** A rollout worker on `taskQueue` acting with `kubeConfig`; stopped in afterAll. */
async function startWorker(kubeConfig: KubeConfig, taskQueue: string): Promise<void> {
  const { worker, connection } = await createRolloutWorker({
    address: env.address,
    taskQueue,
    kubeConfig,
    logger: testLogger,
    workflowBundle: prebuiltWorkflowBundle(),
  });
  const running = worker.run();
  cleanups.push(async () => {
    worker.shutdown();
    await running;
    await connection.close();
  });
}

async function example(file: string, namespace: string, managed = false): Promise<CloneSet> {
  const [cs] = parseCloneSets(readFileSync(new URL(`examples/${file}`, root), 'utf8'), file);
  cs!.metadata.namespace = namespace;
  if (managed) cs!.metadata.labels = { ...cs!.metadata.labels, [MANAGED_LABEL]: 'true' };
  return cs!;
}

const uidsByName = async (ns: string, app: string) => Object.fromEntries((await livePods(env, ns, app)).map((p) => [p.metadata!.name!, p.metadata!.uid!]));

async function progressUntil(client: RolloutClient, ns: string, name: string, what: string, pred: (p: RolloutProgress) => boolean): Promise<RolloutProgress> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const p = await client
      .handle(ns, name)
      .progress()
      .catch(() => null);
    if (p && pred(p)) return p;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(p)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.runIf(KUBE_BACKEND === 'real')('the restricted identity of deploy/rbac.yaml (real kube-apiserver, RBAC on)', () => {
  beforeAll(async () => {
    env = await startTestEnv({ worker: false });
    const admin = env.cluster.kubeConfig();
    await create(admin, deployed);
    restricted = tokenKubeConfig(admin, 'cloneset-rollout', await mintToken(admin, SA_NAMESPACE, serviceAccount.metadata!.name!));
    await startWorker(restricted, env.taskQueue);
  });
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
    await env?.stop();
  });

  it('is the ServiceAccount, by bearer token only, and is refused what the ClusterRole does not grant', async () => {
    const user = restricted.getCurrentUser()!;
    expect(user.token).toMatch(/^ey/); // a JWT from the TokenRequest API
    expect(user.certData ?? user.certFile ?? user.keyData ?? user.keyFile).toBeUndefined();
    const k = makeClients(restricted);
    const review = await k.core.listNamespacedPod({ namespace: SA_NAMESPACE }); // granted: list pods (any namespace)
    expect(review.items).toEqual([]);
    // Not granted: Secrets, Namespaces, ConfigMaps.
    for (const call of [
      () => k.core.listNamespacedSecret({ namespace: SA_NAMESPACE }),
      () => k.core.listNamespace(),
      () => k.core.createNamespacedConfigMap({ namespace: SA_NAMESPACE, body: { metadata: { name: 'x' } } }),
    ]) {
      await expect(call()).rejects.toMatchObject({ code: 403 });
    }
    const err = (await k.core.listNamespacedSecret({ namespace: SA_NAMESPACE }).then(
      () => ({ body: '{}' }),
      (e: unknown) => e,
    )) as { body: string };
    expect(JSON.parse(err.body).message).toContain(
      `User "system:serviceaccount:${SA_NAMESPACE}:${serviceAccount.metadata!.name}" cannot list resource "secrets"`,
    );
  });

  it('runs the seed walkthrough: 5 × nginx:perl, then 4 × nginx:latest in place with the same UIDs', async () => {
    const ns = uniqueNamespace('rbac-seed');
    const created = await applyAndRoll(env, await example('nginx01.yaml', ns));
    expect(created.result).toMatchObject({ outcome: 'Completed', created: 5 });
    const before = await uidsByName(ns, 'nginxweb1');
    expect(Object.keys(before)).toHaveLength(5);

    const second = await example('nginx02.yaml', ns);
    second.spec.minReadySeconds = 1; // the manifest's 30 s, shortened for the suite
    const { result } = await applyAndRoll(env, second);
    expect(result).toMatchObject({ outcome: 'Completed', updatedInPlace: 4, recreated: 0, deleted: 1, created: 0 });
    const after = await livePods(env, ns, 'nginxweb1');
    expect(after).toHaveLength(4);
    for (const pod of after) {
      expect(pod.metadata!.uid).toBe(before[pod.metadata!.name!]);
      expect(pod.status!.containerStatuses![0]!.image).toBe('nginx:latest');
      expect(pod.status!.containerStatuses![0]!.restartCount).toBe(1);
    }
  });

  it('runs controller mode: a managed CloneSet, applied then edited, is rolled by the controller with the same token', async () => {
    const controller = new CloneSetController({
      kubeConfig: restricted,
      client: env.client.client,
      taskQueue: env.taskQueue,
      labelSelector: DEFAULT_SELECTOR,
      resyncMs: 500,
      logger: testLogger,
    });
    await controller.start();
    cleanups.push(() => controller.stop());
    const ns = uniqueNamespace('rbac-ctl');
    await ensureNamespace(env.k, ns);
    await applyCloneSet(env.k, await example('nginx01.yaml', ns, true));
    const first = await completedRun(env.client, ns, 'nginxweb1');
    expect(first.result.created).toBe(5);
    const before = await uidsByName(ns, 'nginxweb1');

    const edited = await example('nginx02.yaml', ns, true);
    edited.spec.minReadySeconds = 1;
    await applyCloneSet(env.k, edited);
    const second = await completedRun(env.client, ns, 'nginxweb1', { after: first.runId });
    expect(second.result).toMatchObject({ outcome: 'Completed', updatedInPlace: 4, deleted: 1 });
    const after = await livePods(env, ns, 'nginxweb1');
    expect(after.map((p) => [p.metadata!.name, p.metadata!.uid, p.status!.containerStatuses![0]!.image])).toEqual(
      Object.keys(before)
        .filter((n) => after.some((p) => p.metadata!.name === n))
        .map((n) => [n, before[n], 'nginx:latest']),
    );
  });

  it('aborts with rollback: updated Pods return in place to the previous image', async () => {
    const ns = uniqueNamespace('rbac-rb');
    await applyAndRoll(
      env,
      withUpdateHook(cloneSet(ns, 'web', { replicas: 3, minReadySeconds: 1, updateStrategy: { type: 'InPlaceIfPossible', maxUnavailable: 1 } })),
    );
    const before = await uidsByName(ns, 'web');
    // Held by construction: the hook lets one Pod through and holds the next in flight until the abort is in.
    const hooks = new HookActor(env.k, ns);
    cleanups.push(() => hooks.stop());
    hooks.release(1);
    const handle = await env.client.start({ namespace: ns, name: 'web', images: { nginx: 'nginx:1.27' } });
    const podsAt = (p: RolloutProgress, step: string) => Object.values(p.pods).filter((x) => x.step === step).length;
    await progressUntil(env.client, ns, 'web', 'one Pod updated, the next held', (p) => podsAt(p, PodStep.Done) === 1 && podsAt(p, PodStep.Hooked) === 1);

    expect((await handle.abort({ rollback: true })).aborted).toMatchObject({ rollback: true });
    hooks.open();
    const result = await handle.result();
    expect(result).toMatchObject({ outcome: 'RolledBack', aborted: { rollback: true } });
    expect(result.toRevision).toBe(result.fromRevision);
    expect((await handle.progress()).phase).toBe(RolloutPhase.RolledBack);
    const pods = await livePods(env, ns, 'web');
    expect(Object.fromEntries(pods.map((p) => [p.metadata!.name!, p.metadata!.uid!]))).toEqual(before);
    expect(pods.map((p) => p.status!.containerStatuses![0]!.image)).toEqual(Array(3).fill('nginx:perl'));
  });

  it('fails a rollout at once, naming the 403, when the ClusterRole lacks patch on pods', async () => {
    const admin = env.cluster.kubeConfig();
    const name = 'cloneset-rollout-no-pod-patch';
    // deploy/'s ClusterRole with one verb taken away, bound to a ServiceAccount of its own.
    const rules = clusterRole.rules!.map((r) => (r.resources?.includes('pods') ? { ...r, verbs: r.verbs.filter((v) => v !== 'patch') } : r));
    expect(rules).not.toEqual(clusterRole.rules);
    await create(admin, [
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: SA_NAMESPACE } },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name }, rules } as KubernetesObject,
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
        subjects: [{ kind: 'ServiceAccount', name, namespace: SA_NAMESPACE }],
      } as KubernetesObject,
    ]);
    const taskQueue = `${env.taskQueue}-no-pod-patch`;
    await startWorker(tokenKubeConfig(admin, name, await mintToken(admin, SA_NAMESPACE, name)), taskQueue);
    const client = await RolloutClient.connect({ address: env.address, taskQueue });
    cleanups.push(() => client.close());

    const ns = uniqueNamespace('rbac-403');
    await ensureNamespace(env.k, ns);
    await applyCloneSet(env.k, cloneSet(ns, 'web', { replicas: 2 }));
    const handle = await client.start({ namespace: ns, name: 'web' });
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RolloutFailedError);
    const failed = err as RolloutFailedError;
    expect(failed.type).toBe(NonRetryable.Forbidden);
    const forbidden = new RegExp(
      `403 Forbidden: pods "web-\\w+" is forbidden: User "system:serviceaccount:${SA_NAMESPACE}:${name}" cannot patch resource "pods"`,
    );
    expect(failed.message).toMatch(forbidden);
    // The run's progress record says the same (what `cloneset-rollout status` shows).
    const progress = await handle.progress();
    expect(progress.phase).toBe(RolloutPhase.Failed);
    expect(progress.error).toMatch(forbidden);
    // The Pods it could create exist; nothing else was touched.
    expect(await livePods(env, ns, 'web')).toHaveLength(2);
  });
});
