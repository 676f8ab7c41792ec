/**
 * charts/cloneset-rollout checked with helm v3.22.0 (scripts/build-helm.sh) and against deploy/: `helm lint` passes;
 * the rendered ClusterRole grants exactly deploy/rbac.yaml's rules (which test/unit/deploy.test.ts derives from the
 * code) and the CRD is deploy/'s; the Deployments run what deploy/'s run; and a matrix of values shows each setting
 * where it belongs (controller off or its selector, TLS and API key Secrets, ServiceMonitor, dashboard, replicas,
 * resources, metrics port). The same render is applied with --dry-run=server on a real apiserver in
 * test/realkube/manifests.test.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { CHART_DIR, helm, template, type Obj } from '../support/helm.js';

const root = new URL('../../', import.meta.url).pathname;
const deployDocs = (file: string) => parseAllDocuments(readFileSync(join(root, 'deploy', file), 'utf8')).map((d) => d.toJS() as Obj);
const deployed = [...deployDocs('rbac.yaml'), ...deployDocs('worker.yaml'), ...deployDocs('controller.yaml')];
const deployedOf = (kind: string, name: string) => deployed.find((o) => o.kind === kind && o.metadata.name === name)!;

const of = (objs: Obj[], kind: string, name?: string) => objs.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
const one = (objs: Obj[], kind: string, name?: string) => {
  const found = of(objs, kind, name);
  expect(found, `${kind}/${name ?? '*'}`).toHaveLength(1);
  return found[0]!;
};
type Container = { name: string; args: string[]; env?: { name: string; value?: string; valueFrom?: unknown }[]; [k: string]: unknown };
const container = (d: Obj) => d.spec.template.spec.containers[0] as Container;
const envOf = (d: Obj) => Object.fromEntries((container(d).env ?? []).map((e) => [e.name, e.value ?? e.valueFrom]));
const workerOf = (objs: Obj[]) => one(objs, 'Deployment', 'cloneset-rollout-worker');
const controllerOf = (objs: Obj[]) => one(objs, 'Deployment', 'cloneset-rollout-controller');

describe('charts/cloneset-rollout', () => {
  it('passes helm lint, with the defaults and with every option on', () => {
    expect(helm(['lint', '--strict', CHART_DIR])).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
    const all = [
      'temporal.tls.secretName=temporal-tls',
      'temporal.apiKey.secretName=temporal-api-key',
      'controller.selector=team=shop',
      'metrics.serviceMonitor.enabled=true',
      'grafanaDashboard.enabled=true',
    ];
    expect(helm(['lint', '--strict', CHART_DIR, ...all.flatMap((s) => ['--set', s])])).toMatch(/0 chart\(s\) failed/);
  });

  it("grants exactly deploy/rbac.yaml's ClusterRole rules, bound to the ServiceAccount both Deployments use", () => {
    const objs = template();
    const role = one(objs, 'ClusterRole', 'cloneset-rollout');
    expect(role.rules).toEqual(deployedOf('ClusterRole', 'cloneset-rollout').rules);
    const binding = one(objs, 'ClusterRoleBinding', 'cloneset-rollout');
    const sa = one(objs, 'ServiceAccount');
    expect(sa.metadata).toMatchObject({ name: 'cloneset-rollout', namespace: 'cloneset-rollout' });
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role.metadata.name });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: sa.metadata.name, namespace: sa.metadata.namespace }]);
    for (const d of of(objs, 'Deployment')) expect(d.spec.template.spec.serviceAccountName).toBe(sa.metadata.name);
  });

  it('ships deploy/crd/cloneset.yaml as it is, in crds/ (installed before the templates, never templated)', () => {
    expect(readFileSync(join(CHART_DIR, 'crds/cloneset.yaml'), 'utf8')).toBe(readFileSync(join(root, 'deploy/crd/cloneset.yaml'), 'utf8'));
    const withCrds = template({}, ['--include-crds']);
    expect(of(withCrds, 'CustomResourceDefinition').map((c) => c.metadata.name)).toEqual(['clonesets.apps.kruise.io']);
    expect(of(template(), 'CustomResourceDefinition')).toEqual([]);
  });

  it("renders, by default, deploy/'s objects (but its Namespace: helm's --namespace) and a Service for the worker's /metrics", () => {
    const objs = template({ 'temporal.address': 'temporal.example.com:7233' });
    expect(objs.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'ClusterRole/cloneset-rollout',
      'ClusterRoleBinding/cloneset-rollout',
      'ConfigMap/cloneset-rollout-temporal',
      'Deployment/cloneset-rollout-controller',
      'Deployment/cloneset-rollout-worker',
      'Service/cloneset-rollout-worker-metrics',
      'ServiceAccount/cloneset-rollout',
    ]);
    for (const o of objs.filter((x) => !x.kind.startsWith('Cluster'))) expect(o.metadata.namespace, o.kind).toBe('cloneset-rollout');
    expect(one(objs, 'ConfigMap').data).toEqual({
      TEMPORAL_ADDRESS: 'temporal.example.com:7233',
      TEMPORAL_NAMESPACE: 'default',
      TEMPORAL_TASK_QUEUE: 'cloneset-rollouts',
      LOG_LEVEL: 'info',
    });
    // The containers run what deploy/'s run: command, probes, grace periods, resources, security, plain env.
    for (const name of ['cloneset-rollout-worker', 'cloneset-rollout-controller']) {
      const chart = one(objs, 'Deployment', name);
      const kustomize = deployedOf('Deployment', name);
      const pick = (d: Obj) => {
        const c = container(d);
        const pod = d.spec.template.spec;
        return {
          replicas: d.spec.replicas,
          grace: pod.terminationGracePeriodSeconds,
          podSecurity: pod.securityContext,
          args: c.args,
          ports: c.ports,
          probes: [c.livenessProbe, c.readinessProbe, c.startupProbe],
          resources: c.resources,
          securityContext: c.securityContext,
          envFrom: c.envFrom,
          env: (c.env ?? []).filter((e) => e.value !== undefined),
        };
      };
      expect(pick(chart), name).toEqual(pick(kustomize));
    }
    // Nothing of TLS unless asked for.
    for (const d of of(objs, 'Deployment')) {
      expect(Object.keys(envOf(d)).filter((k) => k.startsWith('TEMPORAL_TLS') || k === 'TEMPORAL_API_KEY')).toEqual([]);
      expect(JSON.stringify(d)).not.toContain('temporal-tls');
    }
  });

  it('controller.enabled=false renders no controller Deployment; selector and all become its arguments', () => {
    const off = template({ 'controller.enabled': false });
    expect(of(off, 'Deployment').map((d) => d.metadata.name)).toEqual(['cloneset-rollout-worker']);
    expect(container(controllerOf(template())).args).toEqual(['controller']);
    expect(container(controllerOf(template({ 'controller.selector': 'team=shop' }))).args).toEqual(['controller', '--selector=team=shop']);
    expect(container(controllerOf(template({ 'controller.all': true }))).args).toEqual(['controller', '--all']);
    expect(() => template({ 'controller.all': true, 'controller.selector': 'team=shop' })).toThrow(/controller.all and controller.selector are exclusive/);
  });

  it('a TLS Secret is mounted at /etc/temporal-tls in both Deployments, its files named in TEMPORAL_TLS_*', () => {
    const objs = template({ 'temporal.tls.secretName': 'temporal-tls', 'temporal.tls.serverName': 'temporal.example.com' });
    for (const d of [workerOf(objs), controllerOf(objs)]) {
      expect(envOf(d)).toMatchObject({
        TEMPORAL_TLS: 'true',
        TEMPORAL_TLS_CA: '/etc/temporal-tls/ca.crt',
        TEMPORAL_TLS_CERT: '/etc/temporal-tls/tls.crt',
        TEMPORAL_TLS_KEY: '/etc/temporal-tls/tls.key',
        TEMPORAL_TLS_SERVER_NAME: 'temporal.example.com',
      });
      expect(envOf(d)).not.toHaveProperty('TEMPORAL_API_KEY');
      expect(container(d).volumeMounts).toContainEqual({ name: 'temporal-tls', mountPath: '/etc/temporal-tls', readOnly: true });
      expect(d.spec.template.spec.volumes).toContainEqual({ name: 'temporal-tls', secret: { secretName: 'temporal-tls' } });
    }
    // Server CA only (no client certificate): no TEMPORAL_TLS_CERT/KEY.
    const caOnly = envOf(workerOf(template({ 'temporal.tls.secretName': 'ca', 'temporal.tls.certKey': '', 'temporal.tls.keyKey': '' })));
    expect(Object.keys(caOnly).filter((k) => k.startsWith('TEMPORAL_TLS'))).toEqual(['TEMPORAL_TLS', 'TEMPORAL_TLS_CA']);
    // TLS with the system's CAs: the flag alone.
    const system = workerOf(template({ 'temporal.tls.enabled': true }));
    expect(Object.keys(envOf(system)).filter((k) => k.startsWith('TEMPORAL_TLS'))).toEqual(['TEMPORAL_TLS']);
    expect(JSON.stringify(system)).not.toContain('temporal-tls');
  });

  it('an API key Secret becomes TEMPORAL_API_KEY (and TLS) in both Deployments', () => {
    const objs = template({ 'temporal.apiKey.secretName': 'temporal-cloud', 'temporal.apiKey.key': 'key' });
    for (const d of [workerOf(objs), controllerOf(objs)]) {
      expect(envOf(d)).toMatchObject({ TEMPORAL_TLS: 'true', TEMPORAL_API_KEY: { secretKeyRef: { name: 'temporal-cloud', key: 'key' } } });
      expect(JSON.stringify(d)).not.toContain('temporal-tls'); // no files to mount
    }
  });

  it('sets only environment variables the code reads', () => {
    const objs = template({ 'temporal.tls.secretName': 't', 'temporal.tls.serverName': 'x', 'temporal.apiKey.secretName': 'k' });
    const sources = ['src/temporal/connection.ts', 'src/cli/serve.ts', 'src/log.ts', 'src/cli/main.ts']
      .map((f) => readFileSync(join(root, f), 'utf8'))
      .join('\n');
    const names = new Set([...of(objs, 'Deployment').flatMap((d) => Object.keys(envOf(d))), ...Object.keys(one(objs, 'ConfigMap').data)]);
    for (const name of [...names].filter((n) => n !== 'NODE_OPTIONS')) expect(sources, name).toContain(name);
  });

  it('takes the Temporal address and namespace, replicas, resources and the metrics port from values', () => {
    const objs = template({
      'temporal.address': 'temporal.prod:7233',
      'temporal.namespace': 'rollouts',
      'worker.replicas': 3,
      'controller.replicas': 1,
      'worker.resources.requests.cpu': '250m',
      'controller.resources.limits.memory': '128Mi',
      'metrics.port': 9090,
    });
    expect(one(objs, 'ConfigMap').data).toMatchObject({ TEMPORAL_ADDRESS: 'temporal.prod:7233', TEMPORAL_NAMESPACE: 'rollouts' });
    const worker = workerOf(objs);
    const controller = controllerOf(objs);
    expect([worker.spec.replicas, controller.spec.replicas]).toEqual([3, 1]);
    expect(container(worker).resources).toEqual({ requests: { cpu: '250m', memory: '384Mi' }, limits: { memory: '1Gi' } });
    expect(container(controller).resources).toEqual({ requests: { cpu: '20m', memory: '96Mi' }, limits: { memory: '128Mi' } });
    for (const d of [worker, controller]) {
      expect(envOf(d).HEALTH_PORT).toBe('9090');
      expect(container(d).ports).toEqual([{ name: 'http', containerPort: 9090 }]);
    }
    expect(worker.spec.template.metadata.annotations).toMatchObject({ 'prometheus.io/port': '9090', 'prometheus.io/path': '/metrics' });
    expect(one(objs, 'Service').spec.ports).toEqual([{ name: 'http', port: 9090, targetPort: 'http' }]);
  });

  it('renders the ServiceMonitor only when asked, selecting the worker metrics Service', () => {
    expect(of(template(), 'ServiceMonitor')).toEqual([]);
    const objs = template({
      'metrics.serviceMonitor.enabled': true,
      'metrics.serviceMonitor.labels.release': 'kube-prometheus-stack',
      'metrics.service.enabled': false,
    });
    const sm = one(objs, 'ServiceMonitor');
    const svc = one(objs, 'Service'); // kept for the ServiceMonitor even with metrics.service.enabled=false
    expect(sm.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(sm.metadata.labels).toMatchObject({ release: 'kube-prometheus-stack' });
    expect(svc.metadata.labels).toMatchObject(sm.spec.selector.matchLabels);
    expect(sm.spec.endpoints).toEqual([{ port: svc.spec.ports[0].name, path: '/metrics', interval: '30s' }]);
    // The Service selects the worker's Pods (not the controller's: it serves no rollout metrics).
    expect(workerOf(objs).spec.template.metadata.labels).toMatchObject(svc.spec.selector);
    expect(controllerOf(objs).spec.template.metadata.labels).not.toMatchObject(svc.spec.selector);
  });

  it('ships the Grafana dashboard as a ConfigMap for the dashboard sidecar only when asked', () => {
    expect(of(template(), 'ConfigMap').map((c) => c.metadata.name)).toEqual(['cloneset-rollout-temporal']);
    const cm = one(template({ 'grafanaDashboard.enabled': true }), 'ConfigMap', 'cloneset-rollout-dashboard');
    expect(cm.metadata.labels).toMatchObject({ grafana_dashboard: '1' });
    const file = readFileSync(join(CHART_DIR, 'dashboards/cloneset-rollout-dashboard.json'), 'utf8');
    expect(JSON.parse(cm.data['cloneset-rollout-dashboard.json'])).toEqual(JSON.parse(file));
  });

  it('documents every value it reads in values.yaml (no value without a default)', () => {
    const values = parse(readFileSync(join(CHART_DIR, 'values.yaml'), 'utf8')) as Record<string, unknown>;
    const templates = [
      '_helpers.tpl',
      'configmap.yaml',
      'rbac.yaml',
      'worker.yaml',
      'controller.yaml',
      'service.yaml',
      'servicemonitor.yaml',
      'grafana-dashboard.yaml',
      'NOTES.txt',
    ]
      .map((f) => readFileSync(join(CHART_DIR, 'templates', f), 'utf8'))
      .join('\n');
    const used = new Set([...templates.matchAll(/\.Values\.([\w.]+)/g)].map((m) => m[1]!));
    const has = (path: string) =>
      path.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' && k in o ? (o as Record<string, unknown>)[k] : undefined), values) !== undefined;
    expect([...used].filter((p) => !has(p))).toEqual([]);
  });
});
