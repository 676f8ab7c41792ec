/**
 * Migrating from OpenKruise: a CloneSet exactly as kruise-manager v1.9.1 leaves it (measured by the Kruise harness,
 * scenario `adopt`) — template defaulted by Kruise's webhook, Kruise's status, its ControllerRevision (no
 * cloneset-name label, Kruise's data layout and hash name), Pods labelled with that hash, lifecycle Normal,
 * readiness gates InPlaceUpdateReady and KruisePodReady True, an inplace-update-state annotation — is handed to
 * controller mode. Built by hand from literals, so the test does not lean on the code under test to make it.
 *
 * Step 1: a spec change that leaves the template alone starts a rollout: it must recognise Kruise's revision as the
 * template's and complete without a single Pod write (resourceVersions compared). Step 2: nginx02's image: every
 * Pod is updated in place (names and UIDs kept, restartCount 1), onto the revision Kruise would have named.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloneSetController, MANAGED_LABEL } from '../../src/controller/index.js';
import { CLONESET } from '../../src/kube/clients.js';
import { completedRun } from '../support/runs.js';
import { eventually } from '../support/until.js';
import { writeKruiseDefaults } from '../../src/kube/kruise-defaults.js';
import { fnv1_32, safeEncode, storedRevisionData, type CloneSet } from '../../src/rollout/index.js';
import { applyAndRoll, cloneSet, ensureNamespace, livePods, startTestEnv, testLogger, uniqueNamespace, type TestEnv } from '../support/env.js';

const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const NAME = 'nginxweb1';
/** Kruise's names for seed nginx01 and nginx02 (kruise-manager v1.9.1, measured). */
const KRUISE_REV1 = `${NAME}-575497dc6b`;
const KRUISE_REV2 = `${NAME}-775dd67bf6`;
/** The ControllerRevision data kruise-manager stored for nginx01, byte for byte. */
const KRUISE_DATA1 =
  '{"spec":{"template":{"$patch":"replace","metadata":{"creationTimestamp":null,"labels":{"app":"nginxweb1"}},"spec":{"containers":[{"image":"nginx:perl",' +
  '"imagePullPolicy":"IfNotPresent","name":"nginx","ports":[{"containerPort":80,"protocol":"TCP"}],"resources":{},"terminationMessagePath":"/dev/termination-log",' +
  '"terminationMessagePolicy":"File"}],"dnsPolicy":"ClusterFirst","restartPolicy":"Always","schedulerName":"default-scheduler","securityContext":{},' +
  '"terminationGracePeriodSeconds":30}}}}';
const KRUISE_DATA2 = KRUISE_DATA1.replace('"image":"nginx:perl"', '"image":"nginx:latest"');
const INSTANCES = ['2bw7q', '7tv4j', 'k9x5m', 'vz8rc'];

let env: TestEnv;
let controller: CloneSetController;

beforeAll(async () => {
  env = await startTestEnv();
});
afterAll(async () => {
  await controller?.stop();
  await env?.stop();
});

/** The template as Kruise's webhook stored it (every Pod default written out). */
function kruiseTemplate() {
  return (JSON.parse(KRUISE_DATA1) as { spec: { template: Record<string, unknown> } }).spec.template;
}

/** Builds the Kruise-settled state of nginx01 with 4 replicas in `ns`; returns the CloneSet's uid. */
async function kruiseSettled(ns: string): Promise<string> {
  const { $patch: _patch, ...template } = kruiseTemplate();
  const created = (await env.k.custom.createNamespacedCustomObject({
    ...CLONESET,
    namespace: ns,
    body: {
      apiVersion: 'apps.kruise.io/v1alpha1',
      kind: 'CloneSet',
      metadata: { name: NAME, namespace: ns, labels: { [MANAGED_LABEL]: 'true' } },
      spec: {
        replicas: 4,
        revisionHistoryLimit: 10,
        selector: { matchLabels: { app: NAME } },
        template,
        scaleStrategy: {},
        updateStrategy: { type: 'ReCreate', partition: 0, maxUnavailable: '20%', maxSurge: 0 },
      },
    },
  })) as { metadata: { uid: string; generation: number } };
  const uid = created.metadata.uid;
  const owner = { apiVersion: 'apps.kruise.io/v1alpha1', kind: 'CloneSet', name: NAME, uid, controller: true, blockOwnerDeletion: true };
  await env.k.apps.createNamespacedControllerRevision({
    namespace: ns,
    body: {
      metadata: { name: KRUISE_REV1, labels: { app: NAME, 'controller.kubernetes.io/hash': '575497dc6b' }, ownerReferences: [owner] },
      data: JSON.parse(KRUISE_DATA1) as object,
      revision: 1,
    },
  });
  const podSpec = (template as { spec: Record<string, unknown> }).spec;
  const since = new Date(Date.now() - 3_600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  for (const [i, id] of INSTANCES.entries()) {
    const name = `${NAME}-${id}`;
    const annotations: Record<string, string> = { 'lifecycle.apps.kruise.io/timestamp': since };
    // Two of the four were updated in place to this revision earlier (Kruise never removes the record).
    if (i % 2 === 0) {
      annotations['apps.kruise.io/inplace-update-state'] = JSON.stringify({
        revision: KRUISE_REV1,
        updateTimestamp: since,
        lastContainerStatuses: { nginx: { imageID: 'docker.io/library/nginx@sha256:0ld' } },
        updateImages: true,
        containerBatchesRecord: [{ timestamp: since, containers: ['nginx'] }],
      });
    }
    await env.k.core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: {
          name,
          namespace: ns,
          labels: {
            app: NAME,
            'apps.kruise.io/cloneset-instance-id': id,
            'controller-revision-hash': KRUISE_REV1,
            'pod-template-hash': '575497dc6b',
            'lifecycle.apps.kruise.io/state': 'Normal',
          },
          annotations,
          ownerReferences: [owner],
        },
        spec: { ...podSpec, readinessGates: [{ conditionType: 'InPlaceUpdateReady' }, { conditionType: 'KruisePodReady' }] } as never,
      },
    });
    await env.k.core.patchNamespacedPodStatus(
      {
        namespace: ns,
        name,
        body: {
          status: {
            conditions: [
              { type: 'InPlaceUpdateReady', status: 'True', lastTransitionTime: since },
              { type: 'KruisePodReady', status: 'True', lastTransitionTime: since },
            ],
          },
        },
      },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
  }
  // The kubelet runs them: Ready once both gates are True.
  await eventually('4 Ready Pods', async () => {
    const pods = await livePods(env, ns, NAME);
    const ready = pods.filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
    return ready.length === 4 && pods.every((p) => p.status?.containerStatuses?.[0]?.started) ? true : undefined;
  });
  await env.k.custom.patchNamespacedCustomObjectStatus(
    {
      ...CLONESET,
      namespace: ns,
      name: NAME,
      body: {
        status: {
          observedGeneration: created.metadata.generation,
          replicas: 4,
          readyReplicas: 4,
          availableReplicas: 4,
          updatedReplicas: 4,
          updatedReadyReplicas: 4,
          updatedAvailableReplicas: 4,
          expectedUpdatedReplicas: 4,
          updateRevision: KRUISE_REV1,
          currentRevision: KRUISE_REV1,
          collisionCount: 0,
          labelSelector: `app=${NAME}`,
        },
      },
    },
    merge,
  );
  return uid;
}

const versions = (pods: V1Pod[]) => Object.fromEntries(pods.map((p) => [p.metadata!.name!, p.metadata!.resourceVersion!]));

describe('adopting a CloneSet Kruise made (controller mode)', () => {
  it("recognises Kruise's revision (no Pod written), then rolls nginx02's image in place onto the revision Kruise would name", async () => {
    const ns = uniqueNamespace('adopt');
    await ensureNamespace(env.k, ns);
    await kruiseSettled(ns);
    const settled = await livePods(env, ns, NAME);
    expect(settled).toHaveLength(4);

    controller = new CloneSetController({
      kubeConfig: env.cluster.kubeConfig(),
      client: env.client.client,
      taskQueue: env.taskQueue,
      labelSelector: `${MANAGED_LABEL}=true`,
      resyncMs: 300,
      logger: testLogger,
    });
    await controller.start();

    // Step 1: nginx02's strategy and minReadySeconds, template untouched: a new generation, so a rollout runs — and
    // must find every Pod up to date at Kruise's revision. Its completion is the end of the interval observed.
    await env.k.custom.patchNamespacedCustomObject(
      { ...CLONESET, namespace: ns, name: NAME, body: { spec: { minReadySeconds: 1, updateStrategy: { type: 'InPlaceIfPossible' } } } },
      merge,
    );
    const first = await completedRun(env.client, ns, NAME);
    expect(first.result).toMatchObject({ toRevision: KRUISE_REV1, updatedInPlace: 0, recreated: 0, created: 0, deleted: 0 });
    expect(versions(await livePods(env, ns, NAME)), 'no Pod written while the controller took over').toEqual(versions(settled));
    const revisions = await env.k.apps.listNamespacedControllerRevision({ namespace: ns });
    expect(revisions.items.map((r) => [r.metadata!.name, r.revision])).toEqual([[KRUISE_REV1, 1]]);

    // Step 2: nginx02's image, as the seed applies it (merge patch of the template).
    await env.k.custom.patchNamespacedCustomObject(
      {
        ...CLONESET,
        namespace: ns,
        name: NAME,
        body: {
          spec: {
            template: { spec: { containers: [{ name: 'nginx', image: 'nginx:latest', imagePullPolicy: 'IfNotPresent', ports: [{ containerPort: 80 }] }] } },
          },
        },
      },
      merge,
    );
    const second = await completedRun(env.client, ns, NAME, { after: first.runId });
    expect(second.result).toMatchObject({ toRevision: KRUISE_REV2, updatedInPlace: 4, recreated: 0, created: 0, deleted: 0 });
    const after = await eventually('4 Pods Ready on nginx:latest', async () => {
      const pods = await livePods(env, ns, NAME);
      const done = pods.filter(
        (p) => p.status?.containerStatuses?.[0]?.image === 'nginx:latest' && p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
      );
      return done.length === 4 ? pods : undefined;
    });
    expect(after.map((p) => [p.metadata!.name, p.metadata!.uid])).toEqual(settled.map((p) => [p.metadata!.name, p.metadata!.uid]));
    for (const pod of after) {
      expect(pod.status?.containerStatuses?.[0]?.restartCount, `${pod.metadata!.name} restarted once`).toBe(1);
      expect(pod.metadata?.labels?.['controller-revision-hash']).toBe(KRUISE_REV2);
    }

    // The new revision is the one Kruise would write: its name, its data bytes, numbered after Kruise's.
    const rev2 = await env.k.apps.readNamespacedControllerRevision({ namespace: ns, name: KRUISE_REV2 });
    expect(rev2.revision).toBe(2);
    expect(JSON.stringify(rev2.data)).toBe(KRUISE_DATA2);
    expect(rev2.metadata?.labels).toMatchObject({ app: NAME, 'controller.kubernetes.io/hash': '775dd67bf6' });
    expect(rev2.metadata?.ownerReferences).toEqual([expect.objectContaining({ kind: 'CloneSet', name: NAME, controller: true })]);
    expect(controller.started).toBe(2);
  });

  it('hand-back preparation: kruise-defaults makes the bytes Kruise would compute from the stored template those of our revision, moving no Pod', async () => {
    const ns = uniqueNamespace('handback');
    const { result } = await applyAndRoll(env, cloneSet(ns, 'web'));
    const revision = result.toRevision;
    const before = await livePods(env, ns, 'web');
    const ours = await env.k.apps.readNamespacedControllerRevision({ namespace: ns, name: revision });
    const stored = async () => ((await env.k.custom.getNamespacedCustomObject({ ...CLONESET, namespace: ns, name: 'web' })) as CloneSet).spec.template;
    // As written (no Kruise webhook), the template would make Kruise compute other bytes: a new revision, Pods recreated.
    expect(storedRevisionData(await stored())).not.toBe(JSON.stringify(ours.data));

    const written = await writeKruiseDefaults(env.k, ns, 'web');
    expect(written).toMatchObject({ written: true, needed: true });
    // What Kruise's controller now computes: our revision's very bytes, and its name.
    const kruiseData = storedRevisionData(await stored());
    expect(kruiseData).toBe(JSON.stringify(ours.data));
    expect(`web-${safeEncode(String(fnv1_32(`${kruiseData}0`)))}`).toBe(revision);
    expect(await writeKruiseDefaults(env.k, ns, 'web')).toMatchObject({ written: false, needed: false });

    // For cloneset-rollout the template is the same revision: a rollout of the new generation moves nothing.
    const again = await (await env.client.start({ namespace: ns, name: 'web' })).result();
    expect(again).toMatchObject({ toRevision: revision, updatedInPlace: 0, recreated: 0, created: 0, deleted: 0 });
    expect(versions(await livePods(env, ns, 'web'))).toEqual(versions(before));
  });
});
