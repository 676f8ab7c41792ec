/**
 * The install manifests accepted by a real kube-apiserver: `kubectl apply --dry-run=server -k deploy/` and
 * `helm template charts/cloneset-rollout | kubectl apply --dry-run=server -f -` (the chart's CRD included), each
 * object created in dry run only: admission, defaulting and the OpenAPI validation of every field run, nothing is
 * stored. A server-side dry run of a namespaced object still needs its Namespace to exist, so the Namespace is
 * created for real first (as `kubectl apply -k` would have, one object earlier). The CloneSet CRD is not needed
 * beforehand (deploy/ holds no CloneSet): the server is started without it, so the CRD's own creation is dry-run too.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppsV1Api, ApiextensionsV1Api, CoreV1Api } from '@kubernetes/client-node';
import { startRealApiServer, type RealApiServer } from '../../src/realkube/index.js';
import { CHART_DIR, helmBinary, sets } from '../support/helm.js';

const execFileP = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;

let kube: RealApiServer;
beforeAll(async () => {
  helmBinary(); // fail early, saying how to build it
  kube = await startRealApiServer({ installCloneSetCrd: false });
  await kubectl(['apply', '-f', `${root}deploy/namespace.yaml`]);
});
afterAll(async () => {
  await kube?.stop();
});

async function kubectl(args: string[], input?: string): Promise<string> {
  const run = execFileP('kubectl', ['--kubeconfig', kube.kubeconfigPath, ...args], { encoding: 'utf8', maxBuffer: 16 << 20 });
  if (input !== undefined) {
    run.child.stdin!.end(input);
  }
  const { stdout } = await run;
  return stdout;
}

/** `<kind>/<name> created (server dry run)` lines → sorted `kind/name`. */
const dryRunCreated = (out: string) =>
  out
    .trim()
    .split('\n')
    .map((l) => /^(\S+) created \(server dry run\)$/.exec(l)?.[1] ?? `unexpected: ${l}`)
    .sort();

/** Nothing but the Namespace was stored. */
async function nothingStored(): Promise<void> {
  const kc = kube.kubeConfig();
  expect((await kc.makeApiClient(AppsV1Api).listNamespacedDeployment({ namespace: 'cloneset-rollout' })).items).toEqual([]);
  expect((await kc.makeApiClient(ApiextensionsV1Api).listCustomResourceDefinition()).items).toEqual([]);
  const sa = (await kc.makeApiClient(CoreV1Api).listNamespacedServiceAccount({ namespace: 'cloneset-rollout' })).items.map((s) => s.metadata!.name);
  expect(sa).not.toContain('cloneset-rollout');
}

describe('install manifests on a real kube-apiserver (server-side dry run)', () => {
  it('kubectl apply --dry-run=server -k deploy/ creates every object', async () => {
    const out = await kubectl(['apply', '--dry-run=server', '-k', `${root}deploy`]);
    expect(dryRunCreated(out.replace(/^namespace\/cloneset-rollout unchanged \(server dry run\)\n/m, ''))).toEqual([
      'clusterrole.rbac.authorization.k8s.io/cloneset-rollout',
      'clusterrolebinding.rbac.authorization.k8s.io/cloneset-rollout',
      'configmap/cloneset-rollout-temporal',
      'customresourcedefinition.apiextensions.k8s.io/clonesets.apps.kruise.io',
      'deployment.apps/cloneset-rollout-controller',
      'deployment.apps/cloneset-rollout-worker',
      'serviceaccount/cloneset-rollout',
    ]);
    await nothingStored();
  });

  it('helm template charts/cloneset-rollout (CRD, TLS and API key Secrets, dashboard) | kubectl apply --dry-run=server -f - creates every object', async () => {
    // Every option whose objects this server can take (the ServiceMonitor needs prometheus-operator's CRD: off).
    const values = {
      'temporal.address': 'temporal-frontend.temporal.svc.cluster.local:7233',
      'temporal.tls.secretName': 'cloneset-rollout-temporal-tls',
      'temporal.apiKey.secretName': 'cloneset-rollout-temporal-api-key',
      'controller.selector': 'team=shop',
      'grafanaDashboard.enabled': true,
    };
    const rendered = (
      await execFileP(helmBinary(), ['template', 'cloneset-rollout', CHART_DIR, '--namespace', 'cloneset-rollout', '--include-crds', ...sets(values)], {
        encoding: 'utf8',
        maxBuffer: 16 << 20,
      })
    ).stdout;
    const out = await kubectl(['apply', '--dry-run=server', '-f', '-'], rendered);
    expect(dryRunCreated(out)).toEqual([
      'clusterrole.rbac.authorization.k8s.io/cloneset-rollout',
      'clusterrolebinding.rbac.authorization.k8s.io/cloneset-rollout',
      'configmap/cloneset-rollout-dashboard',
      'configmap/cloneset-rollout-temporal',
      'customresourcedefinition.apiextensions.k8s.io/clonesets.apps.kruise.io',
      'deployment.apps/cloneset-rollout-controller',
      'deployment.apps/cloneset-rollout-worker',
      'service/cloneset-rollout-worker-metrics',
      'serviceaccount/cloneset-rollout',
    ]);
    await nothingStored();
  });
});
