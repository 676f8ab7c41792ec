/**
 * deploy/ checked against the code it deploys: manifests parse, kustomization lists them all (and kubectl builds it),
 * the Deployments match the process (probes, grace period, commands), and the ClusterRole grants exactly the API calls
 * the code makes — derived by scanning the source, so a new client-node call without its RBAC rule fails here.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WORKER_NODE_OPTIONS } from '../../bench/worker-settings.js';
import { parseAllDocuments } from 'yaml';

const root = new URL('../../', import.meta.url).pathname;
const deployDir = join(root, 'deploy');

function walk(dir: string, ext: RegExp): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p, ext) : ext.test(name) ? [p] : [];
  });
}

type Doc = { apiVersion?: string; kind?: string; metadata?: { name?: string; namespace?: string }; [k: string]: unknown };

function docsOf(file: string): Doc[] {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((d) => {
      if (d.errors.length > 0) throw new Error(`${file}: ${d.errors[0]!.message}`);
      return d.toJS() as Doc;
    })
    .filter(Boolean);
}

const manifests = walk(deployDir, /\.ya?ml$/).filter((f) => !f.endsWith('kustomization.yaml'));
const all = manifests.flatMap((f) => docsOf(f).map((doc) => ({ file: relative(deployDir, f), doc })));
const find = (kind: string, name: string) => all.find((d) => d.doc.kind === kind && d.doc.metadata?.name === name)?.doc as Record<string, any>;

describe('deploy/ manifests', () => {
  it.each(manifests.map((f) => [relative(deployDir, f), f]))('%s parses into Kubernetes objects', (_name, file) => {
    const docs = docsOf(file);
    expect(docs.length).toBeGreaterThan(0);
    for (const d of docs) {
      expect(d.apiVersion, 'apiVersion').toMatch(/\S/);
      expect(d.kind, 'kind').toMatch(/\S/);
      expect(d.metadata?.name, 'metadata.name').toMatch(/\S/);
    }
  });

  it('kustomization.yaml lists every manifest except *.example.yaml (which would overwrite your Secret)', () => {
    const k = docsOf(join(deployDir, 'kustomization.yaml'))[0] as { resources: string[] };
    const expected = manifests
      .map((f) => relative(deployDir, f))
      .filter((f) => !f.endsWith('.example.yaml'))
      .sort();
    expect([...k.resources].sort()).toEqual(expected);
  });

  it('builds with `kubectl kustomize deploy/` into namespaced workloads and the cluster-scoped CRD and RBAC', () => {
    const kubectl = ['/usr/bin/kubectl', '/usr/local/bin/kubectl'].find((p) => existsSync(p)) ?? 'kubectl';
    const out = execFileSync(kubectl, ['kustomize', deployDir], { encoding: 'utf8' });
    const built = parseAllDocuments(out).map((d) => d.toJS() as Doc);
    const kinds = built.map((d) => `${d.kind}/${d.metadata?.name}`).sort();
    expect(kinds).toEqual([
      'ClusterRole/cloneset-rollout',
      'ClusterRoleBinding/cloneset-rollout',
      'ConfigMap/cloneset-rollout-temporal',
      'CustomResourceDefinition/clonesets.apps.kruise.io',
      'Deployment/cloneset-rollout-controller',
      'Deployment/cloneset-rollout-worker',
      'Namespace/cloneset-rollout',
      'ServiceAccount/cloneset-rollout',
    ]);
    for (const d of built.filter((x) => ['Deployment', 'ConfigMap', 'ServiceAccount'].includes(x.kind!))) {
      expect(d.metadata?.namespace, `${d.kind}/${d.metadata?.name}`).toBe('cloneset-rollout');
    }
  });

  it('keeps the CRD with its status and scale subresources, short name and printer columns', () => {
    const crd = find('CustomResourceDefinition', 'clonesets.apps.kruise.io');
    const v = crd.spec.versions[0];
    expect(crd.spec.names.shortNames).toContain('clone');
    expect(v.subresources).toMatchObject({ status: {}, scale: { specReplicasPath: '.spec.replicas' } });
    expect(v.additionalPrinterColumns.map((c: { name: string }) => c.name)).toEqual(
      expect.arrayContaining(['DESIRED', 'UPDATED', 'UPDATED_READY', 'UPDATED_AVAILABLE', 'READY', 'TOTAL', 'AGE']),
    );
  });
});

describe('deploy/ Deployments match the process', () => {
  const graceSeconds = Number(/shutdownGraceTime:\s*'(\d+)s'/.exec(readFileSync(join(root, 'src/worker/index.ts'), 'utf8'))?.[1]);
  const cli = readFileSync(join(root, 'src/cli/main.ts'), 'utf8');

  it.each([
    ['cloneset-rollout-worker', 'worker'],
    ['cloneset-rollout-controller', 'controller'],
  ])('%s runs `%s` as the ServiceAccount, with /healthz and /readyz probes on HEALTH_PORT', (name, command) => {
    const d = find('Deployment', name);
    const pod = d.spec.template.spec;
    const c = pod.containers[0];
    expect(pod.serviceAccountName).toBe(find('ServiceAccount', 'cloneset-rollout').metadata.name);
    expect(c.args[0]).toBe(command);
    expect(cli).toContain(`.command('${command}')`);
    const healthPort = Number(c.env.find((e: { name: string }) => e.name === 'HEALTH_PORT').value);
    expect(c.ports.find((p: { name: string }) => p.name === c.livenessProbe.httpGet.port).containerPort).toBe(healthPort);
    expect(c.livenessProbe.httpGet.path).toBe('/healthz');
    expect(c.readinessProbe.httpGet.path).toBe('/readyz');
    expect(c.envFrom[0].configMapRef.name).toBe(find('ConfigMap', 'cloneset-rollout-temporal').metadata.name);
    expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true });
  });

  it(`gives the worker time to drain: terminationGracePeriodSeconds > shutdownGraceTime (${graceSeconds}s) + margin`, () => {
    expect(graceSeconds).toBeGreaterThan(0);
    expect(find('Deployment', 'cloneset-rollout-worker').spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(graceSeconds + 10);
  });

  it('bounds the worker heap as the S3 benchmark measured it, with a memory request above the measured peak', () => {
    const c = find('Deployment', 'cloneset-rollout-worker').spec.template.spec.containers[0];
    const nodeOptions = c.env.find((e: { name: string }) => e.name === 'NODE_OPTIONS')?.value as string;
    expect(nodeOptions).toBe(WORKER_NODE_OPTIONS);
    expect(readFileSync(join(root, 'Dockerfile'), 'utf8')).toContain(`ENV NODE_OPTIONS=${WORKER_NODE_OPTIONS}`);
    expect(c.resources.requests.memory).toBe('384Mi');
  });

  it('configures only settings the code reads', () => {
    const data = find('ConfigMap', 'cloneset-rollout-temporal').data as Record<string, string>;
    const sources = ['src/temporal/connection.ts', 'src/cli/serve.ts', 'src/log.ts'].map((f) => readFileSync(join(root, f), 'utf8')).join('\n');
    for (const key of Object.keys(data)) expect(sources, key).toContain(key);
  });
});

/**
 * client-node method → RBAC (apiGroup, resource, verb). Every call found in the scanned code must be in this table:
 * an unknown method fails the test until someone adds its row here and its rule to deploy/rbac.yaml.
 */
const API_CALLS: Record<string, [group: string, resource: string, verb: string][]> = {
  readNamespacedPod: [['', 'pods', 'get']],
  listNamespacedPod: [['', 'pods', 'list']],
  createNamespacedPod: [['', 'pods', 'create']],
  patchNamespacedPod: [['', 'pods', 'patch']],
  deleteNamespacedPod: [['', 'pods', 'delete']],
  patchNamespacedPodStatus: [['', 'pods/status', 'patch']],
  patchNamespacedPodResize: [['', 'pods/resize', 'patch']],
  createNamespacedEvent: [['', 'events', 'create']],
  patchNamespacedEvent: [['', 'events', 'patch']],
  readNamespacedControllerRevision: [['apps', 'controllerrevisions', 'get']],
  listNamespacedControllerRevision: [['apps', 'controllerrevisions', 'list']],
  createNamespacedControllerRevision: [['apps', 'controllerrevisions', 'create']],
  patchNamespacedControllerRevision: [['apps', 'controllerrevisions', 'patch']],
  deleteNamespacedControllerRevision: [['apps', 'controllerrevisions', 'delete']],
  // Custom objects: the only one the code touches is the CloneSet (checked below: every call spreads CLONESET).
  getNamespacedCustomObject: [['apps.kruise.io', 'clonesets', 'get']],
  listClusterCustomObject: [['apps.kruise.io', 'clonesets', 'list']],
  createNamespacedCustomObject: [['apps.kruise.io', 'clonesets', 'create']],
  replaceNamespacedCustomObject: [['apps.kruise.io', 'clonesets', 'update']],
  patchNamespacedCustomObjectStatus: [['apps.kruise.io', 'clonesets/status', 'patch']],
  // The batch waits' watch on a CloneSet's Pods (src/activities/pod-watch.ts; its path is the Pods path, checked below).
  Watch: [['', 'pods', 'watch']],
  // The controller's informer: list, then watch (its path is the CloneSet path, checked below).
  makeInformer: [
    ['apps.kruise.io', 'clonesets', 'list'],
    ['apps.kruise.io', 'clonesets', 'watch'],
  ],
};

/**
 * The code that runs under the ServiceAccount. src/kube/apply.ts is in it: besides the `apply` CLI command, it applies
 * a fleet's manifest (the applyFleetManifest activity).
 */
const IN_CLUSTER_CODE = ['src/activities', 'src/controller', 'src/kube'];
const NOT_IN_CLUSTER: string[] = [];

function scanApiCalls(files: string[]): { method: string; file: string }[] {
  const re = /\b(?:core|apps|custom)\.([a-zA-Z]+)\(|\b(makeInformer)(?:<[^>]*>)?\(|\bnew (Watch)\(/g;
  return files.flatMap((file) => [...readFileSync(file, 'utf8').matchAll(re)].map((m) => ({ method: (m[1] ?? m[2] ?? m[3])!, file: relative(root, file) })));
}

describe('RBAC covers exactly the API calls the code makes', () => {
  const files = IN_CLUSTER_CODE.flatMap((d) => walk(join(root, d), /\.ts$/)).filter((f) => !NOT_IN_CLUSTER.some((x) => f.endsWith(x)));
  const calls = scanApiCalls(files);

  it('finds the calls (the scan itself works)', () => {
    expect(calls.map((c) => c.method)).toEqual(
      expect.arrayContaining(['readNamespacedPod', 'patchNamespacedPodStatus', 'makeInformer', 'createNamespacedEvent']),
    );
  });

  it('knows every client-node method the code calls', () => {
    const unknown = calls.filter((c) => !(c.method in API_CALLS));
    expect(unknown, 'add these to API_CALLS and to deploy/rbac.yaml').toEqual([]);
  });

  it('uses custom-object calls and the informer only for CloneSets, the watch only for Pods', () => {
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      const custom = [...text.matchAll(/\bcustom\.[a-zA-Z]+\(\s*\{\s*\.\.\.CLONESET\b/g)].length;
      expect(custom, file).toBe([...text.matchAll(/\bcustom\.[a-zA-Z]+\(/g)].length);
      if (/makeInformer/.test(text)) expect(text).toMatch(/\/apis\/\$\{CLONESET\.group\}\/\$\{CLONESET\.version\}\/\$\{CLONESET\.plural\}/);
      if (/new Watch\(/.test(text)) expect([...text.matchAll(/`(\/api[^`]*)`/g)].map((m) => m[1])).toEqual(['/api/v1/namespaces/${this.opts.namespace}/pods']);
    }
  });

  it('grants the ClusterRole rules derived from the code, no more and no fewer', () => {
    const needed = new Set(calls.flatMap((c) => (API_CALLS[c.method] ?? []).map(([g, r, v]) => `${g}/${r}:${v}`)));
    const role = find('ClusterRole', 'cloneset-rollout');
    const granted = new Set<string>();
    for (const rule of role.rules as { apiGroups: string[]; resources: string[]; verbs: string[] }[]) {
      for (const g of rule.apiGroups) for (const r of rule.resources) for (const v of rule.verbs) granted.add(`${g}/${r}:${v}`);
    }
    expect([...granted].sort()).toEqual([...needed].sort());
    expect(
      [...granted].some((g) => g.includes('*')),
      'no wildcards',
    ).toBe(false);
  });

  it('binds the ClusterRole to the ServiceAccount the Deployments use', () => {
    const binding = find('ClusterRoleBinding', 'cloneset-rollout');
    const sa = find('ServiceAccount', 'cloneset-rollout');
    expect(binding.roleRef).toMatchObject({ kind: 'ClusterRole', name: 'cloneset-rollout' });
    expect(binding.subjects).toContainEqual({ kind: 'ServiceAccount', name: sa.metadata.name, namespace: sa.metadata.namespace });
  });
});
