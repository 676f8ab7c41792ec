/**
 * The CloneSet activities and the shared read path (src/kube/cloneset-read.ts) against the simulated apiserver:
 * prepareRollout resolves a target, observePlan plans with the spec the target carries (the workflow applies its
 * controls' overrides to it), and the read returns the CloneSet with the Pods it owns and its ControllerRevisions.
 */
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cloneSetActivities } from '../../../src/activities/cloneset.js';
import { applyCloneSet } from '../../../src/kube/apply.js';
import { readCloneSetState } from '../../../src/kube/cloneset-read.js';
import { makeClients, type KubeClients } from '../../../src/kube/clients.js';
import { REVISION_CLONESET_LABEL } from '../../../src/rollout/history.js';
import {
  buildPod,
  revisionData,
  revisionName,
  REVISION_HASH_LABEL,
  shortHash,
  templateOfRevision,
  type CloneSet,
  type PodTemplateSpec,
} from '../../../src/rollout/index.js';
import { startSimApiServer, type SimApiServer } from '../../../src/sim/index.js';

const NS = 'default';
const NAME = 'web';
const cloneSet: CloneSet = {
  apiVersion: 'apps.kruise.io/v1alpha1',
  kind: 'CloneSet',
  metadata: { name: NAME, namespace: NS },
  spec: {
    replicas: 4,
    selector: { matchLabels: { app: NAME } },
    template: { metadata: { labels: { app: NAME } }, spec: { containers: [{ name: 'nginx', image: 'nginx:1.0' }] } },
    updateStrategy: { type: 'InPlaceIfPossible', maxUnavailable: 1 },
  },
} as CloneSet;
const OLD = revisionName(NAME, cloneSet.spec.template);

let api: SimApiServer;
let k: KubeClients;
const names: string[] = [];

beforeAll(async () => {
  api = await startSimApiServer({ port: 0 });
  k = makeClients(api.kubeConfig());
  await applyCloneSet(k, cloneSet);
  const live = (await k.custom.getNamespacedCustomObject({
    group: 'apps.kruise.io',
    version: 'v1alpha1',
    plural: 'clonesets',
    namespace: NS,
    name: NAME,
  })) as CloneSet;
  const hourAgo = new Date(Date.now() - 3_600_000);
  for (const id of ['aaaaa', 'bbbbb', 'ccccc', 'ddddd']) {
    const pod = buildPod(live, cloneSet.spec.template, OLD, id, hourAgo.getTime());
    pod.metadata.labels['lifecycle.apps.kruise.io/state'] = 'Normal'; // bound an hour ago: Normal by now
    const created = await k.core.createNamespacedPod({ namespace: NS, body: { ...pod, spec: { ...pod.spec, nodeName: 'node-1' } } as never });
    await k.core.replaceNamespacedPodStatus({
      namespace: NS,
      name: pod.metadata.name,
      body: {
        ...created,
        status: {
          phase: 'Running',
          conditions: [
            { type: 'Ready', status: 'True', lastTransitionTime: hourAgo },
            { type: 'InPlaceUpdateReady', status: 'True', lastTransitionTime: hourAgo },
          ],
          containerStatuses: [{ name: 'nginx', image: 'nginx:1.0', imageID: 'nginx@sha256:1', ready: true, restartCount: 0, started: true } as never],
        },
      },
    });
    names.push(pod.metadata.name);
  }
  // Matches the selector but the CloneSet does not own it.
  await k.core.createNamespacedPod({
    namespace: NS,
    body: { metadata: { name: 'stray', labels: { app: NAME } }, spec: { containers: [{ name: 'nginx', image: 'nginx:1.0' }] } },
  });
});

afterAll(async () => {
  await api.close();
});

describe('cloneSetActivities', () => {
  it('has no `observe` activity: observePlan observes and plans', () => {
    const acts = cloneSetActivities(k, pino({ level: 'silent' }));
    expect(Object.keys(acts)).not.toContain('observe');
    expect(Object.keys(acts)).toContain('observePlan');
  });

  it("observePlan plans with the target's spec: the caller's overrides travel in target.spec", async () => {
    const acts = cloneSetActivities(k, pino({ level: 'silent' }));
    // The first rollout records the Pods' revision (its template tells an in-place update apart).
    await acts.prepareRollout({ namespace: NS, name: NAME });
    const target = await acts.prepareRollout({ namespace: NS, name: NAME, images: { nginx: 'nginx:2.0' } });
    expect(target.spec.maxUnavailable).toBe(1);
    expect(target.revisions[OLD]?.action).toBe('inPlace');
    const round = (spec: typeof target.spec) => acts.observePlan({ target: { ...target, spec }, inFlight: {}, fromRevision: OLD, fullPodsUpTo: 10 });

    const own = await round(target.spec);
    expect(own.decision?.phase).toBe('updating');
    expect(own.decision?.update).toHaveLength(1);
    expect(own.all?.map((p) => p.name).sort()).toEqual([...names].sort());
    expect(own.previousImages).toEqual({ nginx: 'nginx:1.0' });

    const wider = await round({ ...target.spec, maxUnavailable: 3 });
    expect(wider.decision?.update).toHaveLength(3);
    expect(wider.decision?.budget).toBe(3);
    expect(Object.keys(wider.pods).sort()).toEqual(wider.decision!.update.map((u) => u.name).sort());

    const paused = await round({ ...target.spec, paused: true });
    expect(paused.decision?.phase).toBe('paused');
    expect(paused.decision?.update).toEqual([]);
  });
});

describe('prepareRollout: revisions recorded by an older cloneset-rollout', () => {
  it('keeps the name of a revision that records the template (old hash, old data layout): no new ControllerRevision', async () => {
    const name = 'legacy';
    await applyCloneSet(k, {
      ...cloneSet,
      metadata: { name, namespace: NS },
      spec: {
        ...cloneSet.spec,
        replicas: 0,
        selector: { matchLabels: { app: name } },
        template: { metadata: { labels: { app: name } }, spec: cloneSet.spec.template.spec },
      },
    });
    const live = (await readCloneSetState(k, NS, name, { podSelector: () => null }))!.cloneSet;
    // As versions before Kruise-compatible names wrote it: FNV-1a name, `{spec: {template}}` as written, our label.
    await k.apps.createNamespacedControllerRevision({
      namespace: NS,
      body: {
        metadata: {
          name: `${name}-598496bdf6`,
          labels: { app: name, [REVISION_CLONESET_LABEL]: name },
          ownerReferences: [
            { apiVersion: 'apps.kruise.io/v1alpha1', kind: 'CloneSet', name, uid: live.metadata.uid!, controller: true, blockOwnerDeletion: true },
          ],
        },
        data: { spec: { template: live.spec.template } },
        revision: 1,
      },
    });
    const acts = cloneSetActivities(k, pino({ level: 'silent' }));
    const target = await acts.prepareRollout({ namespace: NS, name });
    expect(target.updateRevision).toBe(`${name}-598496bdf6`);
    const read = await readCloneSetState(k, NS, name, { podSelector: () => null });
    expect(read!.revisions.map((r) => [r.name, r.revision])).toEqual([[`${name}-598496bdf6`, 1]]);
  });
});

describe('readCloneSetState', () => {
  it('returns the CloneSet, only the Pods it owns and its ControllerRevisions', async () => {
    const read = await readCloneSetState(k, NS, NAME);
    expect(read?.cloneSet.metadata.name).toBe(NAME);
    expect(read?.pods.map((p) => p.name).sort()).toEqual([...names].sort());
    // The prepareRollouts above recorded both revisions.
    const updated = revisionName(NAME, read!.cloneSet.spec.template);
    const createdAt = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    // Recorded as Kruise records them: the template with the webhook's defaults, in Kruise's data layout.
    const recorded = (t: PodTemplateSpec) => templateOfRevision(JSON.parse(revisionData(t)));
    expect([...read!.revisions].sort((a, b) => a.revision - b.revision)).toEqual([
      { name: OLD, revision: 1, template: recorded(cloneSet.spec.template), createdAt },
      { name: updated, revision: 2, template: recorded(read!.cloneSet.spec.template), createdAt },
    ]);
  });

  it('records a ControllerRevision as Kruise does: its data bytes, template labels, hash label, controller owner', async () => {
    const cr = await k.apps.readNamespacedControllerRevision({ namespace: NS, name: OLD });
    expect(JSON.stringify(cr.data)).toBe(revisionData(cloneSet.spec.template));
    expect(cr.metadata?.labels).toEqual({ app: NAME, [REVISION_HASH_LABEL]: shortHash(OLD), [REVISION_CLONESET_LABEL]: NAME });
    expect(cr.metadata?.ownerReferences).toEqual([expect.objectContaining({ kind: 'CloneSet', name: NAME, controller: true, blockOwnerDeletion: true })]);
  });

  it("finds Kruise's ControllerRevisions (selector labels + controller owner, no cloneset-name label), not another owner's", async () => {
    const uid = (await readCloneSetState(k, NS, NAME, { podSelector: () => null }))!.cloneSet.metadata.uid!;
    const owner = (u: string) => [{ apiVersion: 'apps.kruise.io/v1alpha1', kind: 'CloneSet', name: NAME, uid: u, controller: true, blockOwnerDeletion: true }];
    const kruiseMade = {
      spec: { template: { $patch: 'replace', metadata: { labels: { app: NAME } }, spec: { containers: [{ name: 'nginx', image: 'nginx:0.9' }] } } },
    };
    await k.apps.createNamespacedControllerRevision({
      namespace: NS,
      body: {
        metadata: { name: `${NAME}-kruise1`, labels: { app: NAME, [REVISION_HASH_LABEL]: 'kruise1' }, ownerReferences: owner(uid) },
        data: kruiseMade,
        revision: 7,
      },
    });
    await k.apps.createNamespacedControllerRevision({
      namespace: NS,
      body: { metadata: { name: `${NAME}-other`, labels: { app: NAME }, ownerReferences: owner('someone-else') }, data: kruiseMade, revision: 8 },
    });
    try {
      const read = await readCloneSetState(k, NS, NAME, { podSelector: () => null });
      const found = read!.revisions.find((r) => r.name === `${NAME}-kruise1`);
      expect(found).toMatchObject({
        revision: 7,
        template: { metadata: { labels: { app: NAME } }, spec: { containers: [{ name: 'nginx', image: 'nginx:0.9' }] } },
      });
      expect(found?.template).not.toHaveProperty('$patch');
      expect(read!.revisions.map((r) => r.name)).not.toContain(`${NAME}-other`);
      expect(new Set(read!.revisions.map((r) => r.name)).size).toBe(read!.revisions.length);
    } finally {
      for (const name of [`${NAME}-kruise1`, `${NAME}-other`]) await k.apps.deleteNamespacedControllerRevision({ namespace: NS, name });
    }
  });

  it('lists no Pods when podSelector says none, and no revisions when asked not to', async () => {
    const read = await readCloneSetState(k, NS, NAME, { podSelector: () => null, revisions: false });
    expect(read).toMatchObject({ pods: [], revisions: [] });
  });

  it('is null for a CloneSet that does not exist; other API errors go to onError', async () => {
    expect(await readCloneSetState(k, NS, 'nope')).toBeNull();
    const failing = { ...k, core: { listNamespacedPod: () => Promise.reject(Object.assign(new Error('boom'), { code: 500 })) } } as unknown as KubeClients;
    const err = await readCloneSetState(failing, NS, NAME, {
      onError: (e, what) => {
        throw new Error(`${what}: wrapped`, { cause: e });
      },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toBe(`list Pods of CloneSet ${NAME}: wrapped`);
    expect(((err as Error).cause as Error).message).toBe('boom');
    // Without onError, the API error itself.
    await expect(readCloneSetState(failing, NS, NAME)).rejects.toThrow('boom');
  });

  it('lists the Pods over again when the continue token expired (410)', async () => {
    let calls = 0;
    const expiring = {
      ...k,
      core: {
        listNamespacedPod: (req: Parameters<KubeClients['core']['listNamespacedPod']>[0]) =>
          ++calls === 1 ? Promise.reject(Object.assign(new Error('Expired'), { code: 410 })) : k.core.listNamespacedPod(req),
      },
    } as unknown as KubeClients;
    const read = await readCloneSetState(expiring, NS, NAME);
    expect(calls).toBe(2);
    expect(read?.pods).toHaveLength(4);
  });
});
