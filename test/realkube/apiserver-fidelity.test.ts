/**
 * The API rules cloneset-rollout depends on, checked against a real kube-apiserver (and, with
 * FIDELITY_BACKENDS=real,sim, against the simulator with the very same table). Every expectation here is what the
 * real server does; docs/sim-divergences.md lists them with the exact wording.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppsV1Api, CoreV1Api, CustomObjectsApi, PatchStrategy, Watch, setHeaderOptions, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { backends, type RunningBackend } from './backends.js';

const execFileP = promisify(execFile);

const CS = { group: 'apps.kruise.io', version: 'v1alpha1', plural: 'clonesets' } as const;
const NS = 'default';
const smp = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);
const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

const UPDATABLE =
  'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

function uniq(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString('hex')}`;
}

function podManifest(name: string): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app: 'fidelity' } },
    spec: {
      containers: [
        { name: 'nginx', image: 'nginx:perl', env: [{ name: 'A', value: '1' }], ports: [{ containerPort: 80 }] },
        { name: 'sidecar', image: 'busybox:1.36' },
      ],
    },
  };
}

function cloneSetManifest(name: string, replicas = 2): Record<string, unknown> {
  return {
    apiVersion: 'apps.kruise.io/v1alpha1',
    kind: 'CloneSet',
    metadata: { name, namespace: NS },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'nginx', image: 'nginx:perl' }] },
      },
    },
  };
}

interface CloneSetObj {
  metadata: { name: string; generation: number; resourceVersion: string; labels?: Record<string, string> };
  spec: { replicas: number; [k: string]: unknown };
  status?: Record<string, unknown>;
}

/** The HTTP code and parsed Status body of a client-node ApiException. */
async function apiError(p: Promise<unknown>): Promise<{ code: number; body: Record<string, any> }> {
  try {
    await p;
  } catch (err) {
    const e = err as { code?: number; body?: unknown };
    if (typeof e.code !== 'number') throw err;
    const body = typeof e.body === 'string' ? (JSON.parse(e.body) as Record<string, any>) : (e.body as Record<string, any>);
    return { code: e.code, body };
  }
  throw new Error('expected the request to fail');
}

interface WatchEvent {
  type: string;
  object: Record<string, any>;
}

/** Opens a watch and collects events until `until` says enough (or the timeout). */
async function collectWatch(
  kc: KubeConfig,
  path: string,
  params: Record<string, string | number | boolean>,
  until: (events: WatchEvent[]) => boolean,
  timeoutMs = 10_000,
): Promise<{ events: WatchEvent[]; error?: unknown }> {
  const events: WatchEvent[] = [];
  return new Promise((resolve) => {
    let req: AbortController | undefined;
    let done = false;
    const finish = (error?: unknown) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req?.abort();
      resolve({ events, ...(error !== undefined ? { error } : {}) });
    };
    const timer = setTimeout(() => finish(), timeoutMs);
    new Watch(kc)
      .watch(
        path,
        params,
        (type, object) => {
          events.push({ type, object });
          if (until(events)) finish();
        },
        (err) => finish(err ?? undefined),
      )
      .then((r) => {
        req = r;
        if (done) r.abort();
      })
      .catch((err) => finish(err));
  });
}

// Backends not enabled register no tests at all (a skipped test proves nothing; a missing binary fails the run).
for (const backend of backends.filter((b) => b.skipReason === null)) {
  describe(`apiserver fidelity: ${backend.name}`, () => {
    let b: RunningBackend;
    let core: CoreV1Api;
    let custom: CustomObjectsApi;

    beforeAll(async () => {
      b = await backend.start();
      core = b.kc.makeApiClient(CoreV1Api);
      custom = b.kc.makeApiClient(CustomObjectsApi);
    });
    afterAll(async () => {
      await b?.stop();
    });

    async function createPod(name = uniq('pod')): Promise<V1Pod> {
      return core.createNamespacedPod({ namespace: NS, body: podManifest(name) });
    }

    async function bind(name: string, node = 'node-1'): Promise<void> {
      await core.createNamespacedPodBinding({
        namespace: NS,
        name,
        body: { apiVersion: 'v1', kind: 'Binding', metadata: { name }, target: { apiVersion: 'v1', kind: 'Node', name: node } },
      });
    }

    async function createCloneSet(name = uniq('cs')): Promise<CloneSetObj> {
      return (await custom.createNamespacedCustomObject({ ...CS, namespace: NS, body: cloneSetManifest(name) })) as CloneSetObj;
    }

    async function getCloneSet(name: string): Promise<CloneSetObj> {
      return (await custom.getNamespacedCustomObject({ ...CS, namespace: NS, name })) as CloneSetObj;
    }

    describe('Pod create', () => {
      it('applies the Pod defaults and starts the status at Pending', async () => {
        const pod = await createPod();
        const spec = pod.spec!;
        expect(spec.restartPolicy).toBe('Always');
        expect(spec.terminationGracePeriodSeconds).toBe(30);
        expect(spec.dnsPolicy).toBe('ClusterFirst');
        expect(spec.schedulerName).toBe('default-scheduler');
        expect(spec.securityContext).toEqual({});
        expect(spec.enableServiceLinks).toBe(true);
        const [nginx, sidecar] = spec.containers;
        expect(nginx!.imagePullPolicy).toBe('IfNotPresent');
        expect(sidecar!.imagePullPolicy).toBe('IfNotPresent');
        expect(nginx!.terminationMessagePath).toBe('/dev/termination-log');
        expect(nginx!.terminationMessagePolicy).toBe('File');
        expect(nginx!.resources).toEqual({});
        expect(nginx!.ports).toEqual([{ containerPort: 80, protocol: 'TCP' }]);
        expect(pod.status?.phase).toBe('Pending');
        expect(pod.status?.qosClass).toBe('BestEffort');
        expect(pod.metadata?.generation).toBe(1);
        expect(pod.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
        expect(pod.metadata?.resourceVersion).toMatch(/^\d+$/);
        expect(pod.metadata?.creationTimestamp).toBeInstanceOf(Date);
      });

      it('defaults imagePullPolicy to Always for :latest and untagged images', async () => {
        const name = uniq('pod');
        const body = podManifest(name);
        body.spec!.containers[0]!.image = 'nginx:latest';
        body.spec!.containers[1]!.image = 'busybox';
        const pod = await core.createNamespacedPod({ namespace: NS, body });
        expect(pod.spec!.containers.map((c) => c.imagePullPolicy)).toEqual(['Always', 'Always']);
      });

      it('adds the tolerations and priority of the default admission plugins', async () => {
        // DefaultTolerationSeconds and Priority are on by default in every kube-apiserver
        const pod = await createPod();
        expect(pod.spec!.tolerations).toEqual([
          { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
          { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
        ]);
        expect(pod.spec!.priority).toBe(0);
        expect(pod.spec!.preemptionPolicy).toBe('PreemptLowerPriority');
      });

      it('records managedFields for the writer (real); the simulator deliberately keeps none', async () => {
        const pod = await createPod();
        if (backend.name === 'real') {
          expect(pod.metadata!.managedFields).toHaveLength(1);
          expect(pod.metadata!.managedFields![0]).toMatchObject({ operation: 'Update', apiVersion: 'v1', fieldsType: 'FieldsV1' });
        } else {
          // docs/sim-divergences.md 1.6: no server-side apply, so no field ownership to record
          expect(pod.metadata!.managedFields).toBeUndefined();
        }
      });

      it('answers a create in a namespace that does not exist with 404 (real); the simulator has every namespace', async () => {
        const name = uniq('pod');
        if (backend.name === 'real') {
          const { code, body } = await apiError(core.createNamespacedPod({ namespace: 'no-such-ns', body: podManifest(name) }));
          expect(code).toBe(404);
          expect(body.reason).toBe('NotFound');
          expect(body.message).toBe('namespaces "no-such-ns" not found');
          expect(body.details).toEqual({ name: 'no-such-ns', kind: 'namespaces' });
        } else {
          // docs/sim-divergences.md 1.8: the simulator serves no Namespace objects and accepts any namespace name
          const pod = await core.createNamespacedPod({ namespace: 'no-such-ns', body: podManifest(name) });
          expect(pod.metadata!.namespace).toBe('no-such-ns');
        }
      });

      it('rejects a duplicate name with 409 AlreadyExists', async () => {
        const pod = await createPod();
        const { code, body } = await apiError(core.createNamespacedPod({ namespace: NS, body: podManifest(pod.metadata!.name!) }));
        expect(code).toBe(409);
        expect(body.reason).toBe('AlreadyExists');
        expect(body.message).toBe(`pods "${pod.metadata!.name}" already exists`);
        expect(body.details).toEqual({ name: pod.metadata!.name, kind: 'pods' });
      });
    });

    describe('Pod update rules', () => {
      it('accepts a container image change by strategic merge patch, keeping the other fields', async () => {
        const pod = await createPod();
        const name = pod.metadata!.name!;
        const patched = await core.patchNamespacedPod({ namespace: NS, name, body: { spec: { containers: [{ name: 'nginx', image: 'nginx:latest' }] } } }, smp);
        const [nginx, sidecar] = patched.spec!.containers;
        expect(nginx!.image).toBe('nginx:latest');
        // merged by name: the rest of the container and the other container are untouched
        expect(nginx!.env).toEqual([{ name: 'A', value: '1' }]);
        expect(sidecar!.image).toBe('busybox:1.36');
        // defaults are not re-applied on update: the policy defaulted for nginx:perl stays
        expect(nginx!.imagePullPolicy).toBe('IfNotPresent');
        expect(Number(patched.metadata!.resourceVersion)).toBeGreaterThan(Number(pod.metadata!.resourceVersion));
        // a spec change bumps the Pod's generation
        expect(patched.metadata!.generation).toBe(2);
      });

      it('keeps the container order when a strategic merge patch names only some containers', async () => {
        const pod = await createPod();
        const name = pod.metadata!.name!;
        const patched = await core.patchNamespacedPod(
          { namespace: NS, name, body: { spec: { containers: [{ name: 'sidecar', image: 'busybox:1.37' }] } } },
          smp,
        );
        expect(patched.spec!.containers.map((c) => [c.name, c.image])).toEqual([
          ['nginx', 'nginx:perl'],
          ['sidecar', 'busybox:1.37'],
        ]);
      });

      it('rejects (422 Forbidden) a strategic merge patch naming containers in another order than the Pod: SMP reorders the list', async () => {
        const pod = await createPod();
        const name = pod.metadata!.name!;
        const { code, body } = await apiError(
          core.patchNamespacedPod(
            {
              namespace: NS,
              name,
              body: {
                spec: {
                  containers: [
                    { name: 'sidecar', image: 'busybox:1.37' },
                    { name: 'nginx', image: 'nginx:latest' },
                  ],
                },
              },
            },
            smp,
          ),
        );
        expect(code).toBe(422);
        expect(body.message).toContain(`Pod "${name}" is invalid: spec: Forbidden: ${UPDATABLE}`);
        // the same change in the Pod's order is fine
        const ok = await core.patchNamespacedPod(
          {
            namespace: NS,
            name,
            body: {
              spec: {
                containers: [
                  { name: 'nginx', image: 'nginx:latest' },
                  { name: 'sidecar', image: 'busybox:1.37' },
                ],
              },
            },
          },
          smp,
        );
        expect(ok.spec!.containers.map((c) => c.image)).toEqual(['nginx:latest', 'busybox:1.37']);
      });

      it('bumps the Pod generation for an accepted spec change and not for a no-op patch', async () => {
        const pod = await createPod();
        const name = pod.metadata!.name!;
        const body = { spec: { containers: [{ name: 'nginx', image: 'nginx:1.27' }] } };
        const first = await core.patchNamespacedPod({ namespace: NS, name, body }, smp);
        const again = await core.patchNamespacedPod({ namespace: NS, name, body }, smp);
        expect(first.metadata!.generation).toBe(2);
        expect(again.metadata!.generation).toBe(2);
        expect(again.metadata!.resourceVersion).toBe(first.metadata!.resourceVersion);
        const deadline = await core.patchNamespacedPod({ namespace: NS, name, body: { spec: { activeDeadlineSeconds: 600 } } }, smp);
        expect(deadline.metadata!.generation).toBe(3);
      });

      it('normalizes resource quantities in a Pod and defaults requests from limits', async () => {
        const name = uniq('pod');
        const body = podManifest(name);
        body.spec!.containers[0]!.resources = { requests: { cpu: '0.5', memory: '1Gi' } };
        body.spec!.containers[1]!.resources = { limits: { cpu: '250m', memory: '64Mi' } };
        const pod = await core.createNamespacedPod({ namespace: NS, body });
        expect(pod.spec!.containers[0]!.resources).toEqual({ requests: { cpu: '500m', memory: '1Gi' } });
        expect(pod.spec!.containers[1]!.resources).toEqual({ limits: { cpu: '250m', memory: '64Mi' }, requests: { cpu: '250m', memory: '64Mi' } });
        expect(pod.status!.qosClass).toBe('Burstable');
      });

      it('rejects a change to another spec field (env) with 422 Invalid, Forbidden', async () => {
        const pod = await createPod();
        const name = pod.metadata!.name!;
        const { code, body } = await apiError(
          core.patchNamespacedPod({ namespace: NS, name, body: { spec: { containers: [{ name: 'nginx', env: [{ name: 'A', value: '2' }] }] } } }, smp),
        );
        expect(code).toBe(422);
        expect(body.reason).toBe('Invalid');
        expect(body.status).toBe('Failure');
        expect(body.message).toContain(`Pod "${name}" is invalid: spec: Forbidden: ${UPDATABLE}`);
        expect(body.details.name).toBe(name);
        expect(body.details.kind).toBe('Pod');
        expect(body.details.causes[0].reason).toBe('FieldValueForbidden');
        expect(body.details.causes[0].field).toBe('spec');
        expect(body.details.causes[0].message).toContain(`Forbidden: ${UPDATABLE}`);
      });

      it('rejects adding a container with 422', async () => {
        const pod = await createPod();
        const name = pod.metadata!.name!;
        const { code, body } = await apiError(
          core.patchNamespacedPod({ namespace: NS, name, body: { spec: { containers: [{ name: 'extra', image: 'busybox' }] } } }, smp),
        );
        expect(code).toBe(422);
        expect(body.message).toBe(`Pod "${name}" is invalid: spec.containers: Forbidden: pod updates may not add or remove containers`);
      });

      it('re-defaults a containers list replaced by a JSON merge patch, so nginx:latest changes imagePullPolicy (Forbidden)', async () => {
        const pod = await createPod();
        const name = pod.metadata!.name!;
        const { code, body } = await apiError(
          core.patchNamespacedPod(
            {
              namespace: NS,
              name,
              body: {
                spec: {
                  containers: [
                    { name: 'nginx', image: 'nginx:latest', env: [{ name: 'A', value: '1' }], ports: [{ containerPort: 80 }] },
                    { name: 'sidecar', image: 'busybox:1.36' },
                  ],
                },
              },
            },
            merge,
          ),
        );
        expect(code).toBe(422);
        expect(body.message).toContain(`Pod "${name}" is invalid: spec: Forbidden: ${UPDATABLE}`);
        expect(body.message).toMatch(/imagePullPolicy/i);
        expect(body.message).not.toMatch(/"?env"?/i);
      });

      it('ends the Forbidden message with a unified diff of the internal Pod spec (Go field names)', async () => {
        const pod = await createPod();
        const name = pod.metadata!.name!;
        const { body } = await apiError(
          core.patchNamespacedPod({ namespace: NS, name, body: { spec: { containers: [{ name: 'nginx', env: [{ name: 'A', value: '2' }] }] } } }, smp),
        );
        const diff = (body.message as string).slice(`Pod "${name}" is invalid: spec: Forbidden: ${UPDATABLE}`.length);
        expect(diff).toMatch(/^\n@@ -\d+,\d+ \+\d+,\d+ @@\n/);
        expect(diff).toContain('    "Env": [\n');
        expect(diff).toContain('-     "Value": "1",\n+     "Value": "2",\n');
        expect(body.details.causes[0].message).toBe(`Forbidden: ${UPDATABLE}${diff}`);
      });

      it('does not bump the Pod generation for metadata changes', async () => {
        const pod = await createPod();
        const name = pod.metadata!.name!;
        const patched = await core.patchNamespacedPod({ namespace: NS, name, body: { metadata: { labels: { x: 'y' } } } }, merge);
        expect(patched.metadata!.generation).toBe(1);
      });

      it('accepts an unconditional PUT of a Pod (no resourceVersion)', async () => {
        const pod = await createPod();
        const name = pod.metadata!.name!;
        const body = structuredClone(pod);
        delete body.metadata!.resourceVersion;
        body.metadata!.labels = { ...body.metadata!.labels, put: 'yes' };
        const put = await core.replaceNamespacedPod({ namespace: NS, name, body });
        expect(put.metadata!.labels!.put).toBe('yes');
      });

      it('answers an update with a stale resourceVersion with 409 Conflict', async () => {
        const pod = await createPod();
        const name = pod.metadata!.name!;
        await core.patchNamespacedPod({ namespace: NS, name, body: { metadata: { labels: { touched: 'yes' } } } }, merge);
        const stale = { ...pod, metadata: { ...pod.metadata!, labels: { app: 'fidelity', stale: 'yes' } } };
        const { code, body } = await apiError(core.replaceNamespacedPod({ namespace: NS, name, body: stale }));
        expect(code).toBe(409);
        expect(body.reason).toBe('Conflict');
        expect(body.message).toBe(
          `Operation cannot be fulfilled on pods "${name}": the object has been modified; please apply your changes to the latest version and try again`,
        );
        expect(body.details).toEqual({ name, kind: 'pods' });
      });

      it('answers a patch carrying a stale resourceVersion with 409 Conflict', async () => {
        const pod = await createPod();
        const name = pod.metadata!.name!;
        await core.patchNamespacedPod({ namespace: NS, name, body: { metadata: { labels: { touched: 'yes' } } } }, merge);
        const { code, body } = await apiError(
          core.patchNamespacedPod({ namespace: NS, name, body: { metadata: { resourceVersion: pod.metadata!.resourceVersion, labels: { x: 'y' } } } }, merge),
        );
        expect(code).toBe(409);
        expect(body.reason).toBe('Conflict');
      });
    });

    describe('Pod status subresource', () => {
      it('merges conditions by type on a strategic merge patch of pods/status', async () => {
        const pod = await createPod();
        const name = pod.metadata!.name!;
        await core.patchNamespacedPodStatus(
          {
            namespace: NS,
            name,
            body: {
              status: {
                conditions: [
                  { type: 'InPlaceUpdateReady', status: 'True' },
                  { type: 'Ready', status: 'False' },
                ],
              },
            },
          },
          smp,
        );
        const patched = await core.patchNamespacedPodStatus(
          { namespace: NS, name, body: { status: { conditions: [{ type: 'InPlaceUpdateReady', status: 'False', reason: 'Updating' }] } } },
          smp,
        );
        const conds = patched.status!.conditions!;
        expect(conds.map((c) => [c.type, c.status])).toEqual([
          ['InPlaceUpdateReady', 'False'],
          ['Ready', 'False'],
        ]);
        expect(conds[0]!.reason).toBe('Updating');
        // pods/status ignores spec and metadata.generation stays
        expect(patched.metadata!.generation).toBe(1);
      });

      it('stores a condition sent without times with lastProbeTime and lastTransitionTime null, and skips no-op writes', async () => {
        const pod = await createPod();
        const name = pod.metadata!.name!;
        const body = { status: { conditions: [{ type: 'InPlaceUpdateReady', status: 'True' }] } };
        const first = await core.patchNamespacedPodStatus({ namespace: NS, name, body }, smp);
        expect(first.status!.conditions).toEqual([{ type: 'InPlaceUpdateReady', status: 'True', lastProbeTime: null, lastTransitionTime: null }]);
        const again = await core.patchNamespacedPodStatus({ namespace: NS, name, body }, smp);
        expect(again.metadata!.resourceVersion).toBe(first.metadata!.resourceVersion);
      });

      it('does not validate phase or condition status values on pods/status', async () => {
        const pod = await createPod();
        const name = pod.metadata!.name!;
        const patched = await core.patchNamespacedPodStatus(
          { namespace: NS, name, body: { status: { phase: 'Dancing', conditions: [{ type: 'Ready', status: 'Maybe' }] } } },
          merge,
        );
        expect(patched.status!.phase).toBe('Dancing');
        expect(patched.status!.conditions![0]!.status).toBe('Maybe');
      });

      it('truncates status times to seconds and adds lastState: {} to container statuses', async () => {
        const pod = await createPod();
        const name = pod.metadata!.name!;
        const patched = await core.patchNamespacedPodStatus(
          {
            namespace: NS,
            name,
            body: {
              status: {
                startTime: '2026-01-02T03:04:05.678Z',
                containerStatuses: [
                  {
                    name: 'nginx',
                    image: 'nginx:perl',
                    imageID: '',
                    ready: true,
                    restartCount: 0,
                    state: { running: { startedAt: '2026-01-02T03:04:06.5Z' } },
                  },
                ],
              },
            },
          },
          smp,
        );
        expect(patched.status!.startTime!.toISOString()).toBe('2026-01-02T03:04:05.000Z');
        const cs = patched.status!.containerStatuses![0]!;
        expect(cs.state!.running!.startedAt!.toISOString()).toBe('2026-01-02T03:04:06.000Z');
        expect(cs.lastState).toEqual({});
      });

      it('replaces conditions whole on a JSON merge patch of pods/status', async () => {
        const pod = await createPod();
        const name = pod.metadata!.name!;
        await core.patchNamespacedPodStatus(
          {
            namespace: NS,
            name,
            body: {
              status: {
                conditions: [
                  { type: 'A', status: 'True' },
                  { type: 'B', status: 'True' },
                ],
              },
            },
          },
          smp,
        );
        const patched = await core.patchNamespacedPodStatus({ namespace: NS, name, body: { status: { conditions: [{ type: 'B', status: 'False' }] } } }, merge);
        expect(patched.status!.conditions!.map((c) => [c.type, c.status])).toEqual([['B', 'False']]);
      });

      it('applies label changes sent to pods/status', async () => {
        const pod = await createPod();
        const name = pod.metadata!.name!;
        const patched = await core.patchNamespacedPodStatus(
          { namespace: NS, name, body: { metadata: { labels: { viaStatus: 'yes' } }, status: { phase: 'Running' } } },
          merge,
        );
        expect(patched.metadata!.labels).toEqual({ app: 'fidelity', viaStatus: 'yes' });
        expect(patched.status!.phase).toBe('Running');
      });

      it('ignores spec changes sent to pods/status', async () => {
        const pod = await createPod();
        const name = pod.metadata!.name!;
        const body = structuredClone(pod);
        body.spec!.containers[0]!.image = 'nginx:changed';
        body.status = { ...body.status, phase: 'Running' };
        const updated = await core.replaceNamespacedPodStatus({ namespace: NS, name, body });
        expect(updated.spec!.containers[0]!.image).toBe('nginx:perl');
        expect(updated.status!.phase).toBe('Running');
      });

      it('ignores status changes sent to the main resource', async () => {
        const pod = await createPod();
        const name = pod.metadata!.name!;
        const patched = await core.patchNamespacedPod({ namespace: NS, name, body: { status: { phase: 'Running' }, metadata: { labels: { a: 'b' } } } }, merge);
        expect(patched.status!.phase).toBe('Pending');
        expect(patched.metadata!.labels).toEqual({ app: 'fidelity', a: 'b' });
      });
    });

    describe('Pod resize subresource', () => {
      const jsonPatch = setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);
      const QUANTITY_ERROR = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

      /** nginx requests cpu 100m / memory 64Mi, limits 200m / 128Mi, beside a sidecar without resources: Burstable. */
      async function createSizedPod(name = uniq('rs')): Promise<V1Pod> {
        const body = podManifest(name);
        body.spec!.containers[0]!.resources = { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '200m', memory: '128Mi' } };
        return core.createNamespacedPod({ namespace: NS, body });
      }

      function resize(name: string, body: object, options = smp, dryRun?: string): Promise<V1Pod> {
        return core.patchNamespacedPodResize({ namespace: NS, name, body, ...(dryRun ? { dryRun } : {}) }, options);
      }

      const nginxResources = (cpu: string) => ({ spec: { containers: [{ name: 'nginx', resources: { requests: { cpu } } }] } });

      it('is listed in discovery as pods/resize (kind Pod; get, patch, update)', async () => {
        const list = await core.getAPIResources();
        const names = list.resources.map((r) => r.name).filter((n) => n.startsWith('pods'));
        expect(names.indexOf('pods/resize')).toBe(names.indexOf('pods/status') - 1);
        const entry = list.resources.find((r) => r.name === 'pods/resize')!;
        expect(entry).toMatchObject({ name: 'pods/resize', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get', 'patch', 'update'] });
      });

      it('changes a container cpu request by strategic merge patch: generation +1, the rest and the QoS class kept, a no-op not written', async () => {
        const pod = await createSizedPod();
        const name = pod.metadata!.name!;
        const got = await core.readNamespacedPodResize({ namespace: NS, name });
        expect(got.kind).toBe('Pod');
        expect(got.spec).toEqual(pod.spec);
        const resized = await resize(name, nginxResources('150m'));
        expect(resized.spec!.containers[0]!.resources).toEqual({ requests: { cpu: '150m', memory: '64Mi' }, limits: { cpu: '200m', memory: '128Mi' } });
        expect(resized.spec!.containers[0]!.env).toEqual([{ name: 'A', value: '1' }]);
        expect(resized.spec!.containers[1]).toEqual(pod.spec!.containers[1]);
        expect(resized.metadata!.generation).toBe(2);
        // the answer carries the status as it was: nothing there says a resize is pending
        expect(resized.status).toEqual({ phase: 'Pending', qosClass: 'Burstable' });
        const again = await resize(name, nginxResources('150m'));
        expect(again.metadata!.generation).toBe(2);
        expect(again.metadata!.resourceVersion).toBe(resized.metadata!.resourceVersion);
      });

      it('stores resized quantities in canonical form (0.16 → 160m)', async () => {
        const pod = await createSizedPod();
        const resized = await resize(pod.metadata!.name!, nginxResources('0.16'));
        expect(resized.spec!.containers[0]!.resources!.requests).toEqual({ cpu: '160m', memory: '64Mi' });
      });

      it('rejects a request above the limit with 422 Invalid naming the limit', async () => {
        const pod = await createSizedPod();
        const name = pod.metadata!.name!;
        const { code, body } = await apiError(resize(name, nginxResources('300m')));
        expect(code).toBe(422);
        expect(body.message).toBe(
          `Pod "${name}" is invalid: spec.containers[0].resources.requests: Invalid value: "300m": must be less than or equal to cpu limit of 200m`,
        );
        expect(body.details).toEqual({
          name,
          kind: 'Pod',
          causes: [
            {
              reason: 'FieldValueInvalid',
              message: 'Invalid value: "300m": must be less than or equal to cpu limit of 200m',
              field: 'spec.containers[0].resources.requests',
            },
          ],
        });
      });

      it('accepts a memory limit decrease (v1.37), then refuses a memory request above the new limit', async () => {
        const pod = await createSizedPod();
        const name = pod.metadata!.name!;
        const lowered = await resize(name, { spec: { containers: [{ name: 'nginx', resources: { limits: { memory: '100Mi' } } }] } });
        expect(lowered.spec!.containers[0]!.resources!.limits).toEqual({ cpu: '200m', memory: '100Mi' });
        const { code, body } = await apiError(resize(name, { spec: { containers: [{ name: 'nginx', resources: { requests: { memory: '200Mi' } } }] } }));
        expect(code).toBe(422);
        expect(body.message).toBe(
          `Pod "${name}" is invalid: spec.containers[0].resources.requests: Invalid value: "200Mi": must be less than or equal to memory limit of 100Mi`,
        );
      });

      it('rejects a negative request with 422 naming the resource', async () => {
        const pod = await createSizedPod();
        const name = pod.metadata!.name!;
        const { code, body } = await apiError(resize(name, { spec: { containers: [{ name: 'nginx', resources: { requests: { memory: '-1' } } }] } }));
        expect(code).toBe(422);
        expect(body.message).toBe(
          `Pod "${name}" is invalid: spec.containers[0].resources.requests[memory]: Invalid value: "-1": must be greater than or equal to 0`,
        );
      });

      it('answers a malformed quantity with 422 Invalid on the patch itself (no kind, no name; the SMP as a Go map), on pods/resize as on the Pod', async () => {
        const pod = await createSizedPod();
        const name = pod.metadata!.name!;
        const value = 'map[spec:map[containers:[map[name:nginx resources:map[requests:map[cpu:abc]]]]]]';
        // one request at a time: a second request started before the first is awaited would reject unobserved
        for (const send of [
          () => resize(name, nginxResources('abc')),
          () => core.patchNamespacedPod({ namespace: NS, name, body: nginxResources('abc') }, smp),
        ]) {
          const { code, body } = await apiError(send());
          expect(code).toBe(422);
          expect(body.reason).toBe('Invalid');
          expect(body.message).toBe(` "" is invalid: patch: Invalid value: "${value}": ${QUANTITY_ERROR}`);
          expect(body.details).toEqual({ causes: [{ reason: 'FieldValueInvalid', message: `Invalid value: "${value}": ${QUANTITY_ERROR}`, field: 'patch' }] });
        }
        // a JSON patch quotes the whole patched object (real: with its managedFields, which the simulator has none of)
        const { code, body } = await apiError(resize(name, [{ op: 'replace', path: '/spec/containers/0/resources/requests/cpu', value: 'abc' }], jsonPatch));
        expect(code).toBe(422);
        expect(body.message).toMatch(/^ "" is invalid: patch: Invalid value: "\{\\"apiVersion\\":\\"v1\\",.*\\"cpu\\":\\"abc\\"/);
        expect(body.message).toMatch(new RegExp(`": ${QUANTITY_ERROR.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
      });

      it('answers a malformed quantity in a created Pod with 400 BadRequest', async () => {
        const body = podManifest(uniq('rs'));
        body.spec!.containers[0]!.resources = { requests: { cpu: 'abc' } };
        const { code, body: status } = await apiError(core.createNamespacedPod({ namespace: NS, body }));
        expect(code).toBe(400);
        expect(status).toEqual({
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          message: `Pod in version "v1" cannot be handled as a Pod: ${QUANTITY_ERROR}`,
          reason: 'BadRequest',
          code: 400,
        });
      });

      it('refuses other resources and resize policies with 422 "only cpu and memory resources are mutable"', async () => {
        const pod = await createSizedPod();
        const name = pod.metadata!.name!;
        for (const container of [
          { name: 'nginx', resources: { limits: { 'ephemeral-storage': '1Gi' } } },
          { name: 'nginx', resizePolicy: [{ resourceName: 'memory', restartPolicy: 'RestartContainer' }] },
        ]) {
          const { code, body } = await apiError(resize(name, { spec: { containers: [container] } }));
          expect(code).toBe(422);
          expect(body.message).toBe(`Pod "${name}" is invalid: spec: Forbidden: only cpu and memory resources are mutable`);
          expect(body.details.causes).toEqual([
            { reason: 'FieldValueForbidden', message: 'Forbidden: only cpu and memory resources are mutable', field: 'spec' },
          ]);
        }
      });

      it('ignores an image change and labels sent to pods/resize (no generation bump)', async () => {
        const pod = await createSizedPod();
        const name = pod.metadata!.name!;
        // (the real server still writes the Pod: its managedFields record the resize subresource's manager)
        const got = await resize(name, { metadata: { labels: { viaResize: 'yes' } }, spec: { containers: [{ name: 'nginx', image: 'nginx:latest' }] } });
        expect(got.spec!.containers[0]!.image).toBe('nginx:perl');
        expect(got.metadata!.labels).toEqual({ app: 'fidelity' });
        expect(got.metadata!.generation).toBe(1);
        // with a resource change in the same patch, only the resources are taken
        const both = await resize(name, { spec: { containers: [{ name: 'nginx', image: 'nginx:latest', resources: { requests: { cpu: '170m' } } }] } });
        expect(both.spec!.containers[0]!.image).toBe('nginx:perl');
        expect(both.spec!.containers[0]!.resources!.requests!.cpu).toBe('170m');
        expect(both.metadata!.generation).toBe(2);
      });

      it('refuses removing limits or requests (JSON patch); a removed request that a limit defaults again is a change to the limit', async () => {
        const pod = await createSizedPod();
        const name = pod.metadata!.name!;
        const limits = await apiError(resize(name, [{ op: 'remove', path: '/spec/containers/0/resources/limits' }], jsonPatch));
        expect(limits.code).toBe(422);
        expect(limits.body.message).toBe(`Pod "${name}" is invalid: spec.containers[0].resources.limits: Forbidden: resource limits cannot be removed`);
        // requests default from limits when decoded: a removed memory request comes back as the memory limit
        const noRequests = await resize(name, [{ op: 'remove', path: '/spec/containers/0/resources/requests/memory' }], jsonPatch);
        expect(noRequests.spec!.containers[0]!.resources!.requests).toEqual({ cpu: '100m', memory: '128Mi' });

        const other = podManifest(uniq('rs'));
        other.spec!.containers[0]!.resources = { requests: { memory: '64Mi' } };
        other.spec!.containers[1]!.resources = { requests: { cpu: '50m' }, limits: { cpu: '100m' } };
        const p2 = await core.createNamespacedPod({ namespace: NS, body: other });
        const n2 = p2.metadata!.name!;
        const requests = await apiError(resize(n2, [{ op: 'remove', path: '/spec/containers/0/resources/requests' }], jsonPatch));
        expect(requests.code).toBe(422);
        expect(requests.body.message).toBe(`Pod "${n2}" is invalid: spec.containers[0].resources.requests: Forbidden: resource requests cannot be removed`);
        // a merge patch naming only some fields of a container removes the others (nginx's memory request comes back from its new limit)
        const partial = await apiError(
          resize(n2, { spec: { containers: [{ name: 'nginx', resources: { limits: { memory: '128Mi' } } }, { name: 'sidecar' }] } }, merge),
        );
        expect(partial.code).toBe(422);
        expect(partial.body.message).toBe(
          `Pod "${n2}" is invalid: [spec.containers[1].resources.requests: Forbidden: resource requests cannot be removed, spec.containers[1].resources.limits: Forbidden: resource limits cannot be removed]`,
        );
      });

      it('refuses a resize that would change the QoS class (Guaranteed, BestEffort)', async () => {
        const g = podManifest(uniq('rs'));
        g.spec!.containers = [{ name: 'c', image: 'nginx', resources: { limits: { cpu: '100m', memory: '64Mi' } } }];
        const guaranteed = await core.createNamespacedPod({ namespace: NS, body: g });
        const gName = guaranteed.metadata!.name!;
        expect(guaranteed.status!.qosClass).toBe('Guaranteed');
        const down = await apiError(resize(gName, { spec: { containers: [{ name: 'c', resources: { requests: { cpu: '50m' } } }] } }));
        expect(down.code).toBe(422);
        expect(down.body.message).toBe(`Pod "${gName}" is invalid: spec: Invalid value: "Guaranteed": Pod QOS Class may not change as a result of resizing`);
        expect(down.body.details.causes).toEqual([
          { reason: 'FieldValueInvalid', message: 'Invalid value: "Guaranteed": Pod QOS Class may not change as a result of resizing', field: 'spec' },
        ]);
        // requests and limits together keep it Guaranteed
        const both = await resize(gName, { spec: { containers: [{ name: 'c', resources: { requests: { cpu: '150m' }, limits: { cpu: '150m' } } }] } });
        expect(both.spec!.containers[0]!.resources).toEqual({ requests: { cpu: '150m', memory: '64Mi' }, limits: { cpu: '150m', memory: '64Mi' } });
        expect(both.status!.qosClass).toBe('Guaranteed');

        const bestEffort = await createPod();
        const bName = bestEffort.metadata!.name!;
        const up = await apiError(resize(bName, { spec: { containers: [{ name: 'nginx', resources: { requests: { cpu: '50m' } } }] } }));
        expect(up.code).toBe(422);
        expect(up.body.message).toBe(`Pod "${bName}" is invalid: spec: Invalid value: "BestEffort": Pod QOS Class may not change as a result of resizing`);
      });

      it('refuses containers added, removed (a merge patch replacing the list, an unknown name) or reordered', async () => {
        const pod = await createSizedPod();
        const name = pod.metadata!.name!;
        const expected = `Pod "${name}" is invalid: [spec.containers[0].image: Required value, spec.containers: Forbidden: containers may not be added or removed on resize]`;
        const replaced = await apiError(resize(name, { spec: { containers: [{ name: 'nginx', resources: { requests: { cpu: '120m' } } }] } }, merge));
        expect(replaced.code).toBe(422);
        expect(replaced.body.message).toBe(expected);
        expect(replaced.body.details.causes).toEqual([
          { reason: 'FieldValueRequired', message: 'Required value', field: 'spec.containers[0].image' },
          { reason: 'FieldValueForbidden', message: 'Forbidden: containers may not be added or removed on resize', field: 'spec.containers' },
        ]);
        const unknown = await apiError(resize(name, { spec: { containers: [{ name: 'nope', resources: { requests: { cpu: '120m' } } }] } }));
        expect(unknown.code).toBe(422);
        expect(unknown.body.message).toBe(expected);
        const swapped = await apiError(
          resize(name, {
            spec: {
              containers: [
                { name: 'sidecar', resources: {} },
                { name: 'nginx', resources: { requests: { cpu: '120m' } } },
              ],
            },
          }),
        );
        expect(swapped.code).toBe(422);
        expect(swapped.body.message).toBe(
          `Pod "${name}" is invalid: [spec.containers[0].name: Forbidden: containers may not be renamed or reordered on resize, spec.containers[1].name: Forbidden: containers may not be renamed or reordered on resize]`,
        );
      });

      it('still refuses resources changed through the Pod itself (422 Forbidden with the diff)', async () => {
        const pod = await createSizedPod();
        const name = pod.metadata!.name!;
        const { code, body } = await apiError(core.patchNamespacedPod({ namespace: NS, name, body: nginxResources('150m') }, smp));
        expect(code).toBe(422);
        expect(body.message).toBe(
          `Pod "${name}" is invalid: spec: Forbidden: ${UPDATABLE}\n@@ -31,7 +31,7 @@\n      "memory": "128Mi"\n     },\n     "Requests": {\n-     "cpu": "100m",\n+     "cpu": "150m",\n      "memory": "64Mi"\n     },\n     "Claims": null\n`,
        );
      });

      it('answers dryRun=All with the resized Pod without storing it', async () => {
        const pod = await createSizedPod();
        const name = pod.metadata!.name!;
        const dry = await resize(name, nginxResources('120m'), smp, 'All');
        expect(dry.spec!.containers[0]!.resources!.requests!.cpu).toBe('120m');
        expect(dry.metadata!.generation).toBe(2);
        const stored = await core.readNamespacedPod({ namespace: NS, name });
        expect(stored.spec!.containers[0]!.resources!.requests!.cpu).toBe('100m');
        expect(stored.metadata!.resourceVersion).toBe(pod.metadata!.resourceVersion);
      });

      it('takes a PUT of pods/resize (resources only; unconditional without resourceVersion; 409 when stale)', async () => {
        const pod = await createSizedPod();
        const name = pod.metadata!.name!;
        const body = await core.readNamespacedPodResize({ namespace: NS, name });
        body.spec!.containers[0]!.resources!.requests!.cpu = '120m';
        body.spec!.containers[0]!.image = 'nginx:2';
        body.metadata!.labels = { x: 'y' };
        body.status = { phase: 'Running' };
        const put = await core.replaceNamespacedPodResize({ namespace: NS, name, body });
        expect(put.spec!.containers[0]!.resources!.requests!.cpu).toBe('120m');
        expect(put.spec!.containers[0]!.image).toBe('nginx:perl');
        expect(put.metadata!.labels).toEqual({ app: 'fidelity' });
        expect(put.status!.phase).toBe('Pending');
        expect(put.metadata!.generation).toBe(2);
        const unconditional = structuredClone(put);
        delete unconditional.metadata!.resourceVersion;
        unconditional.spec!.containers[0]!.resources!.requests!.cpu = '130m';
        expect((await core.replaceNamespacedPodResize({ namespace: NS, name, body: unconditional })).spec!.containers[0]!.resources!.requests!.cpu).toBe(
          '130m',
        );
        const stale = structuredClone(put);
        stale.spec!.containers[0]!.resources!.requests!.cpu = '140m';
        const { code, body: status } = await apiError(core.replaceNamespacedPodResize({ namespace: NS, name, body: stale }));
        expect(code).toBe(409);
        expect(status.message).toBe(
          `Operation cannot be fulfilled on pods "${name}": the object has been modified; please apply your changes to the latest version and try again`,
        );
      });

      it('resizes a terminating Pod', async () => {
        const body = podManifest(uniq('rs'));
        body.metadata!.finalizers = ['example.com/hold'];
        body.spec!.containers[0]!.resources = { requests: { cpu: '100m' }, limits: { cpu: '200m' } };
        const pod = await core.createNamespacedPod({ namespace: NS, body });
        const name = pod.metadata!.name!;
        await core.deleteNamespacedPod({ namespace: NS, name });
        const resized = await resize(name, nginxResources('150m'));
        expect(resized.metadata!.deletionTimestamp).toBeInstanceOf(Date);
        expect(resized.spec!.containers[0]!.resources!.requests!.cpu).toBe('150m');
        expect(resized.metadata!.generation).toBe(3);
        await core.patchNamespacedPod({ namespace: NS, name, body: { metadata: { finalizers: null } } }, merge);
      });

      it('refuses resizing a Pod whose running container reports no resources ("node without support for resize")', async () => {
        const pod = await createSizedPod();
        const name = pod.metadata!.name!;
        const running = { running: { startedAt: new Date('2026-01-02T03:04:05Z') } };
        const statuses = (resources?: object) => [
          { name: 'nginx', image: 'nginx:perl', imageID: '', ready: true, restartCount: 0, state: running, ...(resources ? { resources } : {}) },
          { name: 'sidecar', image: 'busybox:1.36', imageID: '', ready: true, restartCount: 0, state: running, ...(resources ? { resources: {} } : {}) },
        ];
        await core.patchNamespacedPodStatus({ namespace: NS, name, body: { status: { phase: 'Running', containerStatuses: statuses() } } }, smp);
        const { code, body } = await apiError(resize(name, nginxResources('150m')));
        expect(code).toBe(422);
        expect(body.message).toBe(`Pod "${name}" is invalid: spec: Forbidden: Pod running on node without support for resize`);
        await core.patchNamespacedPodStatus(
          { namespace: NS, name, body: { status: { containerStatuses: statuses(pod.spec!.containers[0]!.resources) } } },
          smp,
        );
        expect((await resize(name, nginxResources('150m'))).metadata!.generation).toBe(2);
      });

      it('answers a resize of a Pod bound to an unregistered node with 403 Forbidden (real); the simulator serves no Nodes and leaves the fit to its kubelet', async () => {
        const pod = await createSizedPod();
        const name = pod.metadata!.name!;
        await bind(name, 'node-unregistered');
        if (backend.name === 'real') {
          const { code, body } = await apiError(resize(name, nginxResources('150m')));
          expect(code).toBe(403);
          expect(body.reason).toBe('Forbidden');
          expect(body.message).toBe(`pods "${name}" is forbidden: node "node-unregistered" not found`);
          expect(body.details).toEqual({ name, kind: 'pods' });
        } else {
          // docs/sim-divergences.md 10.10: no Node objects; the simulated kubelet answers an infeasible resize with PodResizePending
          expect((await resize(name, nginxResources('150m'))).metadata!.generation).toBe(2);
        }
      });

      it('stores the kubelet’s containerStatuses[].resources and allocatedResources (canonical quantities) and observedGeneration, kept when a write leaves it out', async () => {
        const pod = await createSizedPod();
        const name = pod.metadata!.name!;
        const written = await core.patchNamespacedPodStatus(
          {
            namespace: NS,
            name,
            body: {
              status: {
                observedGeneration: 1,
                conditions: [{ type: 'PodResizePending', status: 'True', reason: 'Deferred', message: 'm', observedGeneration: 1 }],
                containerStatuses: [
                  {
                    name: 'nginx',
                    image: 'nginx:perl',
                    imageID: '',
                    ready: false,
                    restartCount: 0,
                    resources: { requests: { cpu: '0.1', memory: '64Mi' }, limits: { cpu: '200m', memory: '128Mi' } },
                    allocatedResources: { cpu: '0.1', memory: '64Mi' },
                  },
                ],
              },
            },
          },
          smp,
        );
        expect(written.status!.observedGeneration).toBe(1);
        expect(written.status!.containerStatuses![0]!.resources).toEqual({
          requests: { cpu: '100m', memory: '64Mi' },
          limits: { cpu: '200m', memory: '128Mi' },
        });
        expect(written.status!.containerStatuses![0]!.allocatedResources).toEqual({ cpu: '100m', memory: '64Mi' });
        expect(written.status!.conditions![0]).toMatchObject({ type: 'PodResizePending', observedGeneration: 1, reason: 'Deferred' });
        // a merge patch replacing the conditions without observedGeneration, and observedGeneration 0: both kept
        const later = await core.patchNamespacedPodStatus(
          { namespace: NS, name, body: { status: { observedGeneration: 0, conditions: [{ type: 'PodResizePending', status: 'False' }] } } },
          merge,
        );
        expect(later.status!.observedGeneration).toBe(1);
        expect(later.status!.conditions).toEqual([
          { type: 'PodResizePending', status: 'False', observedGeneration: 1, lastProbeTime: null, lastTransitionTime: null },
        ]);
        const negative = await apiError(core.patchNamespacedPodStatus({ namespace: NS, name, body: { status: { observedGeneration: -1 } } }, merge));
        expect(negative.code).toBe(422);
        expect(negative.body.message).toBe(`Pod "${name}" is invalid: status.observedGeneration: Invalid value: -1: must be a non-negative integer`);
        const condition = await apiError(
          core.patchNamespacedPodStatus(
            { namespace: NS, name, body: { status: { conditions: [{ type: 'X', status: 'True', observedGeneration: -1 }] } } },
            smp,
          ),
        );
        expect(condition.code).toBe(422);
        expect(condition.body.message).toBe(
          `Pod "${name}" is invalid: status.conditions[0].observedGeneration: Invalid value: -1: must be a non-negative integer`,
        );
      });

      it('validates resources at Pod create too (request above limit: 422)', async () => {
        const body = podManifest(uniq('rs'));
        body.spec!.containers[0]!.resources = { requests: { cpu: '300m' }, limits: { cpu: '200m' } };
        const { code, body: status } = await apiError(core.createNamespacedPod({ namespace: NS, body }));
        expect(code).toBe(422);
        expect(status.message).toBe(
          `Pod "${body.metadata!.name}" is invalid: spec.containers[0].resources.requests: Invalid value: "300m": must be less than or equal to cpu limit of 200m`,
        );
      });
    });

    describe('CloneSet (custom resource)', () => {
      it('bumps metadata.generation on spec changes only', async () => {
        const cs = await createCloneSet();
        const name = cs.metadata.name;
        expect(cs.metadata.generation).toBe(1);

        let got = (await custom.patchNamespacedCustomObject({ ...CS, namespace: NS, name, body: { spec: { replicas: 3 } } }, merge)) as CloneSetObj;
        expect(got.metadata.generation).toBe(2);

        // metadata-only change: no bump
        got = (await custom.patchNamespacedCustomObject({ ...CS, namespace: NS, name, body: { metadata: { labels: { x: 'y' } } } }, merge)) as CloneSetObj;
        expect(got.metadata.generation).toBe(2);

        // a spec patch that changes nothing: no bump
        got = (await custom.patchNamespacedCustomObject({ ...CS, namespace: NS, name, body: { spec: { replicas: 3 } } }, merge)) as CloneSetObj;
        expect(got.metadata.generation).toBe(2);

        // status subresource: no bump, and its spec is ignored
        got = (await custom.patchNamespacedCustomObjectStatus(
          { ...CS, namespace: NS, name, body: { spec: { replicas: 9 }, status: { replicas: 3, observedGeneration: 2 } } },
          merge,
        )) as CloneSetObj;
        expect(got.metadata.generation).toBe(2);
        expect(got.spec.replicas).toBe(3);
        expect(got.status).toEqual({ replicas: 3, observedGeneration: 2 });

        // a template change bumps
        got = (await custom.patchNamespacedCustomObject(
          { ...CS, namespace: NS, name, body: { spec: { template: { spec: { containers: [{ name: 'nginx', image: 'nginx:latest' }] } } } } },
          merge,
        )) as CloneSetObj;
        expect(got.metadata.generation).toBe(3);
      });

      it('ignores status sent to the main resource and spec sent to /status (PUT)', async () => {
        const cs = await createCloneSet();
        const name = cs.metadata.name;
        const withStatus = { ...cs, status: { replicas: 7 } };
        const put = (await custom.replaceNamespacedCustomObject({ ...CS, namespace: NS, name, body: withStatus })) as CloneSetObj;
        expect(put.status).toBeUndefined();
        expect(put.metadata.generation).toBe(1);

        const statusPut = (await custom.replaceNamespacedCustomObjectStatus({
          ...CS,
          namespace: NS,
          name,
          body: { ...put, spec: { ...put.spec, replicas: 5 }, status: { replicas: 2, readyReplicas: 1 } },
        })) as CloneSetObj;
        expect(statusPut.spec.replicas).toBe(2);
        expect(statusPut.status).toEqual({ replicas: 2, readyReplicas: 1 });
        expect(statusPut.metadata.generation).toBe(1);
      });

      it('ignores metadata changes sent to /status of a CloneSet (Pods keep them: see the pods/status test)', async () => {
        const cs = await createCloneSet();
        const name = cs.metadata.name;
        const got = (await custom.patchNamespacedCustomObjectStatus(
          { ...CS, namespace: NS, name, body: { metadata: { labels: { viaStatus: 'yes' } }, status: { replicas: 1 } } },
          merge,
        )) as CloneSetObj;
        expect(got.metadata.labels).toBeUndefined();
        expect(got.status).toEqual({ replicas: 1 });
      });

      it('answers a stale resourceVersion with 409 Conflict naming clonesets.apps.kruise.io', async () => {
        const cs = await createCloneSet();
        const name = cs.metadata.name;
        await custom.patchNamespacedCustomObject({ ...CS, namespace: NS, name, body: { spec: { replicas: 4 } } }, merge);
        const { code, body } = await apiError(
          custom.replaceNamespacedCustomObject({ ...CS, namespace: NS, name, body: { ...cs, spec: { ...cs.spec, replicas: 1 } } }),
        );
        expect(code).toBe(409);
        expect(body.reason).toBe('Conflict');
        expect(body.message).toBe(
          `Operation cannot be fulfilled on clonesets.apps.kruise.io "${name}": the object has been modified; please apply your changes to the latest version and try again`,
        );
        expect(body.details).toEqual({ name, group: 'apps.kruise.io', kind: 'clonesets' });
      });

      it('rejects a PUT without resourceVersion with 422 (custom resources are never updated unconditionally)', async () => {
        const cs = await createCloneSet();
        const name = cs.metadata.name;
        const body = structuredClone(cs) as unknown as { metadata: Record<string, unknown> };
        delete body.metadata.resourceVersion;
        const { code, body: status } = await apiError(custom.replaceNamespacedCustomObject({ ...CS, namespace: NS, name, body }));
        expect(code).toBe(422);
        expect(status.reason).toBe('Invalid');
        expect(status.message).toBe(
          `clonesets.apps.kruise.io "${name}" is invalid: metadata.resourceVersion: Invalid value: 0: must be specified for an update`,
        );
        expect(status.details).toEqual({
          name,
          group: 'apps.kruise.io',
          kind: 'clonesets',
          causes: [{ reason: 'FieldValueInvalid', message: 'Invalid value: 0: must be specified for an update', field: 'metadata.resourceVersion' }],
        });
      });

      it('refuses a strategic merge patch with 415 UnsupportedMediaType', async () => {
        const cs = await createCloneSet();
        const { code, body } = await apiError(
          custom.patchNamespacedCustomObject({ ...CS, namespace: NS, name: cs.metadata.name, body: { spec: { replicas: 1 } } }, smp),
        );
        expect(code).toBe(415);
        expect(body.reason).toBe('UnsupportedMediaType');
        expect(body.message).toBe(
          'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml',
        );
      });

      it('prunes fields the schema does not know, drops status on create and keeps the template verbatim', async () => {
        const name = uniq('cs');
        const body = cloneSetManifest(name) as { spec: Record<string, any>; status?: unknown };
        body.spec.unknownField = 1;
        body.spec.template.metadata.creationTimestamp = null;
        body.status = { replicas: 3 };
        const created = (await custom.createNamespacedCustomObject({ ...CS, namespace: NS, body })) as CloneSetObj;
        expect(created.spec.unknownField).toBeUndefined();
        expect(created.status).toBeUndefined();
        expect((created.spec.template as any).metadata).toEqual({ labels: { app: name }, creationTimestamp: null });
      });

      it('answers a type error with 422 naming the schema path', async () => {
        const name = uniq('cs');
        const body = cloneSetManifest(name) as { spec: Record<string, any> };
        body.spec.replicas = 'two';
        const { code, body: status } = await apiError(custom.createNamespacedCustomObject({ ...CS, namespace: NS, body }));
        expect(code).toBe(422);
        expect(status.details.causes[0]).toEqual({
          reason: 'FieldValueTypeInvalid',
          message: 'Invalid value: "string": spec.replicas in body must be of type integer: "string"',
          field: 'spec.replicas',
        });
        expect(status.message).toMatch(
          new RegExp(
            `^CloneSet\\.apps\\.kruise\\.io "${name}" is invalid: \\[spec\\.replicas: Invalid value: "string": spec\\.replicas in body must be of type integer: "string", `,
          ),
        );
      });

      it('answers a delete with a Status Success naming the object', async () => {
        const cs = await createCloneSet();
        const name = cs.metadata.name;
        const res = (await custom.deleteNamespacedCustomObject({ ...CS, namespace: NS, name })) as Record<string, any>;
        expect(res).toEqual({
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Success',
          details: { name, group: 'apps.kruise.io', kind: 'clonesets', uid: (cs.metadata as any).uid },
        });
      });

      it('answers a missing CloneSet with 404 NotFound', async () => {
        const { code, body } = await apiError(getCloneSet('does-not-exist'));
        expect(code).toBe(404);
        expect(body.message).toBe('clonesets.apps.kruise.io "does-not-exist" not found');
        expect(body.details).toEqual({ name: 'does-not-exist', group: 'apps.kruise.io', kind: 'clonesets' });
      });

      it('serves the scale subresource from spec.replicas, status.replicas and status.labelSelector', async () => {
        const cs = await createCloneSet();
        const name = cs.metadata.name;
        await custom.patchNamespacedCustomObjectStatus({ ...CS, namespace: NS, name, body: { status: { replicas: 1, labelSelector: `app=${name}` } } }, merge);
        const scale = (await custom.getNamespacedCustomObjectScale({ ...CS, namespace: NS, name })) as Record<string, any>;
        expect(scale.apiVersion).toBe('autoscaling/v1');
        expect(scale.kind).toBe('Scale');
        expect(scale.spec).toEqual({ replicas: 2 });
        expect(scale.status).toEqual({ replicas: 1, selector: `app=${name}` });
        const scaled = (await custom.patchNamespacedCustomObjectScale({ ...CS, namespace: NS, name, body: { spec: { replicas: 6 } } }, merge)) as Record<
          string,
          any
        >;
        expect(scaled.spec).toEqual({ replicas: 6 });
        const after = await getCloneSet(name);
        expect(after.spec.replicas).toBe(6);
        expect(after.metadata.generation).toBe(2);
      });

      it('validates the schema: a missing template is 422 Required', async () => {
        const name = uniq('cs');
        const body = cloneSetManifest(name) as { spec: Record<string, unknown> };
        delete body.spec.template;
        const { code, body: status } = await apiError(custom.createNamespacedCustomObject({ ...CS, namespace: NS, body }));
        expect(code).toBe(422);
        expect(status.reason).toBe('Invalid');
        expect(status.message).toBe(`CloneSet.apps.kruise.io "${name}" is invalid: spec.template: Required value`);
      });
    });

    describe('watch', () => {
      it('resumes from a resourceVersion with the events after it, in order', async () => {
        const pod = await createPod();
        const name = pod.metadata!.name!;
        const from = pod.metadata!.resourceVersion!;
        await core.patchNamespacedPod({ namespace: NS, name, body: { metadata: { labels: { step: '1' } } } }, merge);
        await core.patchNamespacedPod({ namespace: NS, name, body: { metadata: { labels: { step: '2' } } } }, merge);
        const { events, error } = await collectWatch(
          b.kc,
          `/api/v1/namespaces/${NS}/pods`,
          { resourceVersion: from, fieldSelector: `metadata.name=${name}` },
          (ev) => ev.length >= 2,
        );
        expect(error).toBeUndefined();
        expect(events.map((e) => [e.type, e.object.metadata.labels.step])).toEqual([
          ['MODIFIED', '1'],
          ['MODIFIED', '2'],
        ]);
        const rvs = events.map((e) => Number(e.object.metadata.resourceVersion));
        expect(rvs[0]).toBeGreaterThan(Number(from));
        expect(rvs[1]).toBeGreaterThan(rvs[0]!);
      });

      it('answers a watch from a too-old resourceVersion with an ERROR event carrying 410 Expired', async () => {
        // The watch cache of a resource starts at the resourceVersion it first listed at. The CloneSet CRD was created
        // after the server had written plenty, so "1" is older than its window: no etcd compaction is needed. (For
        // Pods, on a fresh server, "1" is *not* too old: their cache started at revision 1.)
        await createCloneSet();
        const { events, error } = await collectWatch(b.kc, `/apis/${CS.group}/${CS.version}/namespaces/${NS}/${CS.plural}`, { resourceVersion: '1' }, (ev) =>
          ev.some((e) => e.type === 'ERROR'),
        );
        // the HTTP answer is 200; the 410 comes as the stream's only event
        expect(error).toBeUndefined();
        expect(events).toHaveLength(1);
        expect(events[0]!.type).toBe('ERROR');
        expect(events[0]!.object).toEqual({
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          message: expect.stringMatching(/^too old resource version: 1 \(\d+\)$/),
          reason: 'Expired',
          code: 410,
        });
      });

      it('starts a watch without resourceVersion with ADDED events for what exists', async () => {
        const pod = await createPod();
        const name = pod.metadata!.name!;
        const { events } = await collectWatch(b.kc, `/api/v1/namespaces/${NS}/pods`, { fieldSelector: `metadata.name=${name}` }, (ev) => ev.length >= 1);
        expect(events.map((e) => [e.type, e.object.metadata.name])).toEqual([['ADDED', name]]);
      });

      it('answers a list at a resourceVersion the server has not reached with 504 Timeout (after ~3 s)', async () => {
        const { code, body } = await apiError(core.listNamespacedPod({ namespace: NS, resourceVersion: '99999999' }));
        expect(code).toBe(504);
        expect(body.reason).toBe('Timeout');
        expect(body.message).toMatch(/^Timeout: Too large resource version: 99999999, current: \d+$/);
        expect(body.details).toEqual({ causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }], retryAfterSeconds: 1 });
      });
    });

    describe('graceful deletion', () => {
      it('marks a bound Pod terminating and keeps it until deleted with gracePeriodSeconds=0', async () => {
        const pod = await createPod();
        const name = pod.metadata!.name!;
        await bind(name);
        const bound = await core.readNamespacedPod({ namespace: NS, name });
        expect(bound.spec!.nodeName).toBe('node-1');
        expect(bound.status!.conditions?.map((c) => [c.type, c.status])).toEqual([['PodScheduled', 'True']]);

        const deleted = (await core.deleteNamespacedPod({ namespace: NS, name })) as V1Pod;
        expect(deleted.kind).toBe('Pod');
        expect(deleted.metadata!.deletionTimestamp).toBeInstanceOf(Date);
        expect(deleted.metadata!.deletionGracePeriodSeconds).toBe(30);
        const still = await core.readNamespacedPod({ namespace: NS, name });
        expect(still.metadata!.deletionTimestamp).toEqual(deleted.metadata!.deletionTimestamp);
        // a second graceful delete does not extend the period
        const again = (await core.deleteNamespacedPod({ namespace: NS, name })) as V1Pod;
        expect(again.metadata!.deletionGracePeriodSeconds).toBe(30);

        await core.deleteNamespacedPod({ namespace: NS, name, gracePeriodSeconds: 0 });
        const { code } = await apiError(core.readNamespacedPod({ namespace: NS, name }));
        expect(code).toBe(404);
      });

      it('bumps the generation on graceful deletion; a watcher sees MODIFIED (terminating) then DELETED', async () => {
        const pod = await createPod();
        const name = pod.metadata!.name!;
        await bind(name);
        const bound = await core.readNamespacedPod({ namespace: NS, name });
        // binding sets spec.nodeName without bumping the generation
        expect(bound.metadata!.generation).toBe(1);
        const deleted = (await core.deleteNamespacedPod({ namespace: NS, name })) as V1Pod;
        expect(deleted.metadata!.generation).toBe(2);
        await core.deleteNamespacedPod({ namespace: NS, name, gracePeriodSeconds: 0 });
        const { events } = await collectWatch(
          b.kc,
          `/api/v1/namespaces/${NS}/pods`,
          { resourceVersion: bound.metadata!.resourceVersion!, fieldSelector: `metadata.name=${name}` },
          (ev) => ev.some((e) => e.type === 'DELETED'),
        );
        expect(events.map((e) => [e.type, e.object.metadata.deletionGracePeriodSeconds])).toEqual([
          ['MODIFIED', 30],
          ['MODIFIED', 0],
          ['DELETED', 0],
        ]);
      });

      it('shortens, never extends, the grace period of a terminating Pod', async () => {
        const pod = await createPod();
        const name = pod.metadata!.name!;
        await bind(name);
        const first = (await core.deleteNamespacedPod({ namespace: NS, name })) as V1Pod;
        const shorter = (await core.deleteNamespacedPod({ namespace: NS, name, gracePeriodSeconds: 5 })) as V1Pod;
        expect(shorter.metadata!.deletionGracePeriodSeconds).toBe(5);
        expect(shorter.metadata!.deletionTimestamp!.getTime()).toBeLessThan(first.metadata!.deletionTimestamp!.getTime());
        expect(shorter.metadata!.generation).toBe(2);
        const longer = (await core.deleteNamespacedPod({ namespace: NS, name, gracePeriodSeconds: 60 })) as V1Pod;
        expect(longer.metadata!.deletionGracePeriodSeconds).toBe(5);
        await core.deleteNamespacedPod({ namespace: NS, name, gracePeriodSeconds: 0 });
      });

      it('refuses new finalizers on a terminating Pod', async () => {
        const pod = await createPod();
        const name = pod.metadata!.name!;
        await bind(name);
        await core.deleteNamespacedPod({ namespace: NS, name });
        const { code, body } = await apiError(core.patchNamespacedPod({ namespace: NS, name, body: { metadata: { finalizers: ['example.com/f'] } } }, merge));
        expect(code).toBe(422);
        expect(body.message).toBe(
          `Pod "${name}" is invalid: metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"example.com/f"}`,
        );
        await core.deleteNamespacedPod({ namespace: NS, name, gracePeriodSeconds: 0 });
      });

      it('deletes an unbound Pod at once', async () => {
        const pod = await createPod();
        const name = pod.metadata!.name!;
        const deleted = (await core.deleteNamespacedPod({ namespace: NS, name })) as V1Pod;
        // the answer is the Pod as last written: terminating with a zero grace period
        expect(deleted.kind).toBe('Pod');
        expect(deleted.metadata!.deletionGracePeriodSeconds).toBe(0);
        expect(deleted.metadata!.deletionTimestamp).toBeInstanceOf(Date);
        expect(deleted.metadata!.generation).toBe(2);
        const { code } = await apiError(core.readNamespacedPod({ namespace: NS, name }));
        expect(code).toBe(404);
        const { events } = await collectWatch(
          b.kc,
          `/api/v1/namespaces/${NS}/pods`,
          { resourceVersion: pod.metadata!.resourceVersion!, fieldSelector: `metadata.name=${name}` },
          (ev) => ev.some((e) => e.type === 'DELETED'),
        );
        expect(events.map((e) => e.type)).toEqual(['MODIFIED', 'DELETED']);
      });

      it('answers a delete with a mismatched uid precondition with 409 Conflict (naming the Kind, not the resource)', async () => {
        const pod = await createPod();
        const name = pod.metadata!.name!;
        const wrong = '00000000-0000-0000-0000-000000000000';
        const { code, body } = await apiError(core.deleteNamespacedPod({ namespace: NS, name, body: { preconditions: { uid: wrong } } }));
        expect(code).toBe(409);
        expect(body.reason).toBe('Conflict');
        expect(body.message).toBe(
          `Operation cannot be fulfilled on Pod "${name}": the UID in the precondition (${wrong}) does not match the UID in record (${pod.metadata!.uid}). The object might have been deleted and then recreated`,
        );
        expect(body.details).toEqual({ name, kind: 'Pod' });
        const ok = (await core.deleteNamespacedPod({ namespace: NS, name, body: { preconditions: { uid: pod.metadata!.uid } } })) as V1Pod;
        expect(ok.metadata!.uid).toBe(pod.metadata!.uid);
      });

      it('refuses to bind a Pod twice with 409 Conflict', async () => {
        const pod = await createPod();
        const name = pod.metadata!.name!;
        await bind(name);
        const { code, body } = await apiError(bind(name, 'node-2'));
        expect(code).toBe(409);
        expect(body.reason).toBe('Conflict');
        expect(body.message).toBe(`Operation cannot be fulfilled on pods/binding "${name}": pod ${name} is already assigned to node "node-1"`);
        expect(body.details).toEqual({ name, kind: 'pods/binding' });
      });

      it('refuses to bind a terminating Pod with 409 Conflict', async () => {
        const pod = await createPod();
        const name = pod.metadata!.name!;
        await bind(name);
        await core.deleteNamespacedPod({ namespace: NS, name });
        const { code, body } = await apiError(bind(name, 'node-2'));
        expect(code).toBe(409);
        expect(body.message).toBe(`Operation cannot be fulfilled on pods/binding "${name}": pod ${name} is being deleted, cannot be assigned to a host`);
        await core.deleteNamespacedPod({ namespace: NS, name, gracePeriodSeconds: 0 });
      });
    });

    describe('ControllerRevision and Event', () => {
      it('keeps ControllerRevision data verbatim and immutable', async () => {
        const apps = b.kc.makeApiClient(AppsV1Api);
        const name = uniq('rev');
        const data = { spec: { template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'x' }] } } } };
        const created = await apps.createNamespacedControllerRevision({ namespace: NS, body: { metadata: { name }, data, revision: 1 } });
        expect(created.data).toEqual(data);
        expect(created.metadata!.generation).toBeUndefined();
        const { code, body } = await apiError(apps.patchNamespacedControllerRevision({ namespace: NS, name, body: { data: { spec: { x: 1 } } } }, merge));
        expect(code).toBe(422);
        expect(body.message).toBe(
          `ControllerRevision.apps "${name}" is invalid: data: Invalid value: {"spec":{"template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"c","image":"x"}]}},"x":1}}: field is immutable`,
        );
        const dup = await apiError(apps.createNamespacedControllerRevision({ namespace: NS, body: { metadata: { name }, data: {}, revision: 1 } }));
        expect(dup.code).toBe(409);
        expect(dup.body.message).toBe(`controllerrevisions.apps "${name}" already exists`);
        expect(dup.body.details).toEqual({ name, group: 'apps', kind: 'controllerrevisions' });
      });

      it('names an Event from generateName and truncates its timestamps to seconds', async () => {
        const t = new Date('2026-01-02T03:04:05.678Z');
        const ev = await core.createNamespacedEvent({
          namespace: NS,
          body: {
            metadata: { generateName: 'nginxweb1.', namespace: NS },
            involvedObject: { kind: 'CloneSet', apiVersion: 'apps.kruise.io/v1alpha1', namespace: NS, name: 'nginxweb1', uid: 'u' },
            type: 'Normal',
            reason: 'RolloutStarted',
            message: 'm',
            source: { component: 'cloneset-rollout' },
            reportingComponent: 'cloneset-rollout',
            reportingInstance: 'cloneset-rollout',
            firstTimestamp: t,
            lastTimestamp: t,
            count: 1,
          },
        });
        expect(ev.metadata!.name).toMatch(/^nginxweb1\.[bcdfghjklmnpqrstvwxz2456789]{5}$/);
        expect(ev.firstTimestamp!.toISOString()).toBe('2026-01-02T03:04:05.000Z');
      });

      it('rejects an Event whose involvedObject is in another namespace', async () => {
        const { code, body } = await apiError(
          core.createNamespacedEvent({
            namespace: NS,
            body: {
              metadata: { name: uniq('ev'), namespace: NS },
              involvedObject: { kind: 'CloneSet', namespace: 'other', name: 'x' },
              reason: 'R',
              message: 'm',
              source: { component: 'c' },
            },
          }),
        );
        expect(code).toBe(422);
        expect(body.message).toMatch(/is invalid: involvedObject\.namespace: Invalid value: "other": does not match event\.namespace$/);
      });
    });

    describe('kubectl', () => {
      const kubectl = (...args: string[]) => execFileP('/usr/bin/kubectl', ['--kubeconfig', b.kubeconfigPath, ...args]);

      it("applies the seed CloneSet and prints Kruise's printer columns", async () => {
        const applied = await kubectl('apply', '-f', 'examples/nginx01.yaml');
        expect(applied.stdout.trim()).toBe('cloneset.apps.kruise.io/nginxweb1 created');
        const got = await kubectl('get', 'clonesets');
        const lines = got.stdout.trimEnd().split('\n');
        expect(lines[0]!.split(/\s+/)).toEqual(['NAME', 'DESIRED', 'UPDATED', 'UPDATED_READY', 'UPDATED_AVAILABLE', 'READY', 'TOTAL', 'AGE']);
        const row = lines.find((l) => l.startsWith('nginxweb1 '))!;
        expect(row.split(/\s+/).slice(0, 2)).toEqual(['nginxweb1', '5']);

        const wide = await kubectl('get', 'clone', 'nginxweb1', '-o', 'wide');
        const [head, line] = wide.stdout.trimEnd().split('\n');
        expect(head!.split(/\s+/)).toEqual([
          'NAME',
          'DESIRED',
          'UPDATED',
          'UPDATED_READY',
          'UPDATED_AVAILABLE',
          'READY',
          'TOTAL',
          'AGE',
          'CONTAINERS',
          'IMAGES',
          'SELECTOR',
        ]);
        expect(line).toContain('nginx:perl');

        const again = await kubectl('apply', '-f', 'examples/nginx01.yaml');
        expect(again.stdout.trim()).toBe('cloneset.apps.kruise.io/nginxweb1 unchanged');
      });
    });
  });
}
