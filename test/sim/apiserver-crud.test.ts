/**
 * Simulated apiserver: object lifecycle basics (create/get/list/update),
 * metadata rules, selectors and paging, through @kubernetes/client-node.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sim, KRUISE, NS, cloneSetManifest, expectStatus, podManifest, startSim } from './apiserver-helpers.js';

let sim: Sim;
beforeAll(async () => {
  sim = await startSim();
  const pods: [string, Record<string, string>, string | undefined][] = [
    ['web-1', { app: 'web', tier: 'front', track: 'stable' }, 'node-a'],
    ['web-2', { app: 'web', tier: 'front', track: 'canary' }, 'node-b'],
    ['db-1', { app: 'db', tier: 'back' }, 'node-a'],
    ['job-1', { app: 'job' }, undefined],
  ];
  for (const [name, labels, nodeName] of pods) {
    await sim.core.createNamespacedPod({ namespace: NS, body: podManifest(name, labels, nodeName ? { nodeName } : {}) });
  }
  await sim.core.createNamespacedPod({ namespace: 'other', body: podManifest('web-9', { app: 'web' }) });
});
afterAll(() => sim.server.close());

describe('create', () => {
  it('fills server-owned metadata and pod defaults', async () => {
    const pod = await sim.core.readNamespacedPod({ namespace: NS, name: 'web-1' });
    expect(pod.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(pod.metadata?.resourceVersion).toMatch(/^\d+$/);
    expect(pod.metadata?.generation).toBe(1);
    expect(pod.metadata?.creationTimestamp).toBeInstanceOf(Date);
    expect(pod.spec).toMatchObject({
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      dnsPolicy: 'ClusterFirst',
      schedulerName: 'default-scheduler',
    });
    expect(pod.spec?.containers[0]).toMatchObject({ imagePullPolicy: 'IfNotPresent', terminationMessagePath: '/dev/termination-log' });
    expect(pod.status).toMatchObject({ phase: 'Pending', qosClass: 'BestEffort' });
  });

  it.each([
    ['nginx', 'Always'],
    ['nginx:latest', 'Always'],
    ['registry:5000/nginx', 'Always'],
    ['registry:5000/nginx:1.2', 'IfNotPresent'],
    ['nginx@sha256:abc', 'IfNotPresent'],
  ])('defaults imagePullPolicy of %s to %s', async (image, policy) => {
    const body = podManifest('', {});
    body.metadata = { generateName: 'pull-' };
    body.spec!.containers[0]!.image = image;
    const pod = await sim.core.createNamespacedPod({ namespace: NS, body });
    expect(pod.spec?.containers[0]?.imagePullPolicy).toBe(policy);
  });

  it('ignores status on create and resets it to Pending', async () => {
    const body = { ...podManifest('with-status'), status: { phase: 'Running', podIP: '10.0.0.1' } };
    const pod = await sim.core.createNamespacedPod({ namespace: NS, body });
    expect(pod.status).toEqual({ phase: 'Pending', qosClass: 'BestEffort' });
  });

  it('generateName appends five random characters and retries collisions', async () => {
    const names = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const pod = await sim.core.createNamespacedPod({ namespace: NS, body: { ...podManifest(''), metadata: { generateName: 'gen-' } } });
      expect(pod.metadata?.name).toMatch(/^gen-[a-z0-9]{5}$/);
      names.add(pod.metadata!.name!);
    }
    expect(names.size).toBe(20);
  });

  it('an existing name is 409 AlreadyExists', async () => {
    const s = await expectStatus(sim.core.createNamespacedPod({ namespace: NS, body: podManifest('web-1') }), 409, 'AlreadyExists');
    expect(s.message).toBe('pods "web-1" already exists');
    expect(s.details).toEqual({ name: 'web-1', kind: 'pods' });
  });

  it.each([
    ['Bad_Name', 'metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain'],
    ['x'.repeat(254), 'must be no more than 253 characters'],
    ['', 'metadata.name: Required value: name or generateName is required'],
  ])('name %j is 422 Invalid', async (name, message) => {
    const s = await expectStatus(sim.core.createNamespacedPod({ namespace: NS, body: podManifest(name) }), 422, 'Invalid');
    expect(s.message).toContain(message);
    expect(s.details?.causes?.[0]?.field).toBe('metadata.name');
  });

  it('an invalid label value is 422 on metadata.labels', async () => {
    const s = await expectStatus(sim.core.createNamespacedPod({ namespace: NS, body: podManifest('bad-label', { app: 'not ok' }) }), 422, 'Invalid');
    expect(s.details?.causes).toEqual([expect.objectContaining({ reason: 'FieldValueInvalid', field: 'metadata.labels' })]);
  });

  it('a namespace in the body different from the URL is 400', async () => {
    const body = podManifest('ns-mismatch');
    body.metadata!.namespace = 'elsewhere';
    const s = await expectStatus(sim.core.createNamespacedPod({ namespace: NS, body }), 400, 'BadRequest');
    expect(s.message).toBe('the namespace of the provided object does not match the namespace sent on the request');
  });

  it('a resourceVersion on create is refused like the real server', async () => {
    const body = podManifest('has-rv');
    body.metadata!.resourceVersion = '5';
    const s = await expectStatus(sim.core.createNamespacedPod({ namespace: NS, body }), 500, 'InternalError');
    expect(s.message).toContain('resourceVersion should not be set on objects to be created');
  });
});

describe('get', () => {
  it('a missing object is 404 NotFound', async () => {
    const s = await expectStatus(sim.core.readNamespacedPod({ namespace: NS, name: 'nope' }), 404, 'NotFound');
    expect(s.message).toBe('pods "nope" not found');
    const c = await expectStatus(sim.custom.getNamespacedCustomObject({ ...KRUISE, namespace: NS, name: 'nope' }), 404, 'NotFound');
    expect(c.message).toBe('clonesets.apps.kruise.io "nope" not found');
    expect(c.details).toEqual({ name: 'nope', group: 'apps.kruise.io', kind: 'clonesets' });
  });
});

describe('list', () => {
  const names = async (labelSelector?: string, fieldSelector?: string, namespace = NS) =>
    (await sim.core.listNamespacedPod({ namespace, ...(labelSelector ? { labelSelector } : {}), ...(fieldSelector ? { fieldSelector } : {}) })).items
      .map((p) => p.metadata!.name!)
      .filter((n) => !n.startsWith('gen-') && !n.startsWith('pull-'));

  it.each([
    ['app=web', ['web-1', 'web-2']],
    ['app==web', ['web-1', 'web-2']],
    ['app!=web', ['db-1', 'job-1', 'with-status']],
    ['app in (web,db)', ['db-1', 'web-1', 'web-2']],
    ['app notin (web,db)', ['job-1', 'with-status']],
    ['track', ['web-1', 'web-2']],
    ['!track', ['db-1', 'job-1', 'with-status']],
    ['app=web,track=canary', ['web-2']],
    ['tier=front, track notin (canary)', ['web-1']],
  ])('labelSelector %j', async (selector, expected) => {
    expect(await names(selector)).toEqual(expected);
  });

  it.each([
    ['spec.nodeName=node-a', ['db-1', 'web-1']],
    ['spec.nodeName==node-b', ['web-2']],
    ['spec.nodeName=', ['job-1', 'with-status']],
    ['spec.nodeName!=node-a,status.phase=Pending', ['job-1', 'web-2', 'with-status']],
    ['metadata.name=web-2', ['web-2']],
    ['metadata.namespace=default,metadata.name!=web-1,spec.nodeName=node-a', ['db-1']],
  ])('fieldSelector %j', async (selector, expected) => {
    expect(await names(undefined, selector)).toEqual(expected);
  });

  it('combines label and field selectors', async () => {
    expect(await names('app=web', 'spec.nodeName=node-b')).toEqual(['web-2']);
  });

  it('lists across namespaces (as a kubelet does) and fills list type meta', async () => {
    const list = await sim.core.listPodForAllNamespaces({ labelSelector: 'app=web' });
    expect(list.items.map((p) => `${p.metadata!.namespace}/${p.metadata!.name}`)).toEqual(['default/web-1', 'default/web-2', 'other/web-9']);
    expect(list.kind).toBe('PodList');
    expect(list.apiVersion).toBe('v1');
    expect(Number(list.metadata?.resourceVersion)).toBeGreaterThanOrEqual(Math.max(...list.items.map((p) => Number(p.metadata!.resourceVersion))));
    expect(list.items.every((p) => p.kind === 'Pod' && p.apiVersion === 'v1')).toBe(true);
  });

  it.each([['app in (web'], ['=web'], ['app=not valid']])('a malformed labelSelector %j is 400', async (labelSelector) => {
    await expectStatus(sim.core.listNamespacedPod({ namespace: NS, labelSelector }), 400, 'BadRequest');
  });

  it('an unsupported field is 400 "field label not supported"', async () => {
    const s = await expectStatus(sim.core.listNamespacedPod({ namespace: NS, fieldSelector: 'spec.hostname=x' }), 400, 'BadRequest');
    expect(s.message).toBe('field label not supported: spec.hostname');
  });

  it('pages across namespaces in etcd key order', async () => {
    for (const ns of ['a', 'a-b']) for (const n of ['x', 'y']) await sim.core.createNamespacedPod({ namespace: ns, body: podManifest(n, { paged: 'yes' }) });
    const seen: string[] = [];
    let cont: string | undefined;
    do {
      const page = await sim.core.listPodForAllNamespaces({ labelSelector: 'paged', limit: 1, ...(cont ? { _continue: cont } : {}) });
      seen.push(...page.items.map((p) => `${p.metadata!.namespace}/${p.metadata!.name}`));
      cont = page.metadata?._continue;
    } while (cont);
    expect(seen).toEqual(['a-b/x', 'a-b/y', 'a/x', 'a/y']);
  });

  it('pages with limit and continue', async () => {
    const seen: string[] = [];
    let cont: string | undefined;
    let pages = 0;
    do {
      const page = await sim.core.listNamespacedPod({ namespace: NS, limit: 3, ...(cont ? { _continue: cont } : {}) });
      seen.push(...page.items.map((p) => p.metadata!.name!));
      cont = page.metadata?._continue;
      if (cont) expect(page.metadata?.remainingItemCount).toBeGreaterThan(0);
      pages++;
    } while (cont);
    const all = (await sim.core.listNamespacedPod({ namespace: NS })).items.map((p) => p.metadata!.name!);
    expect(seen).toEqual(all);
    expect(pages).toBe(Math.ceil(all.length / 3));
  });
});

describe('update', () => {
  it('bumps resourceVersion and keeps uid and creationTimestamp', async () => {
    const pod = await sim.core.readNamespacedPod({ namespace: NS, name: 'job-1' });
    pod.metadata!.labels = { ...pod.metadata!.labels, touched: 'yes' };
    const out = await sim.core.replaceNamespacedPod({ namespace: NS, name: 'job-1', body: pod });
    expect(Number(out.metadata!.resourceVersion)).toBeGreaterThan(Number(pod.metadata!.resourceVersion));
    expect(out.metadata!.uid).toBe(pod.metadata!.uid);
    expect(out.metadata!.creationTimestamp).toEqual(pod.metadata!.creationTimestamp);
    expect(out.metadata!.generation).toBe(1);
  });

  it('a stale resourceVersion is 409 Conflict with the real message', async () => {
    const pod = await sim.core.readNamespacedPod({ namespace: NS, name: 'db-1' });
    await sim.core.replaceNamespacedPod({ namespace: NS, name: 'db-1', body: { ...pod, metadata: { ...pod.metadata, labels: { app: 'db', v: '2' } } } });
    const s = await expectStatus(sim.core.replaceNamespacedPod({ namespace: NS, name: 'db-1', body: pod }), 409, 'Conflict');
    expect(s.message).toBe(
      'Operation cannot be fulfilled on pods "db-1": the object has been modified; please apply your changes to the latest version and try again',
    );
    expect(s.details).toEqual({ name: 'db-1', kind: 'pods' });
  });

  it('a read-modify-write that changes nothing writes nothing', async () => {
    const pod = await sim.core.readNamespacedPod({ namespace: NS, name: 'db-1' });
    const before = sim.server.stats().writes;
    const out = await sim.core.replaceNamespacedPod({ namespace: NS, name: 'db-1', body: pod });
    expect(out.metadata!.resourceVersion).toBe(pod.metadata!.resourceVersion);
    expect(sim.server.stats().writes).toBe(before);
  });

  it('pods allow unconditional update (no resourceVersion), custom resources do not', async () => {
    const pod = await sim.core.readNamespacedPod({ namespace: NS, name: 'job-1' });
    delete pod.metadata!.resourceVersion;
    pod.metadata!.annotations = { note: 'unconditional' };
    const out = await sim.core.replaceNamespacedPod({ namespace: NS, name: 'job-1', body: pod });
    expect(out.metadata!.annotations).toEqual({ note: 'unconditional' });

    await sim.custom.createNamespacedCustomObject({ ...KRUISE, namespace: NS, body: cloneSetManifest('cs-rv') });
    const cs = (await sim.custom.getNamespacedCustomObject({ ...KRUISE, namespace: NS, name: 'cs-rv' })) as { metadata: Record<string, unknown> };
    delete cs.metadata.resourceVersion;
    const s = await expectStatus(sim.custom.replaceNamespacedCustomObject({ ...KRUISE, namespace: NS, name: 'cs-rv', body: cs }), 422, 'Invalid');
    // the custom resource store names the resource, not the kind, and prints the unset version as 0
    expect(s.message).toBe('clonesets.apps.kruise.io "cs-rv" is invalid: metadata.resourceVersion: Invalid value: 0: must be specified for an update');
    expect(s.details).toMatchObject({ name: 'cs-rv', group: 'apps.kruise.io', kind: 'clonesets' });
  });

  it('a missing object is 404 and a name differing from the URL is 400', async () => {
    await expectStatus(sim.core.replaceNamespacedPod({ namespace: NS, name: 'ghost', body: podManifest('ghost') }), 404, 'NotFound');
    const pod = await sim.core.readNamespacedPod({ namespace: NS, name: 'web-1' });
    const s = await expectStatus(sim.core.replaceNamespacedPod({ namespace: NS, name: 'web-2', body: pod }), 400, 'BadRequest');
    expect(s.message).toBe('the name of the object (web-1) does not match the name on the URL (web-2)');
  });

  it('uid is immutable', async () => {
    const pod = await sim.core.readNamespacedPod({ namespace: NS, name: 'web-1' });
    pod.metadata!.uid = '00000000-0000-0000-0000-000000000000';
    const s = await expectStatus(sim.core.replaceNamespacedPod({ namespace: NS, name: 'web-1', body: pod }), 422, 'Invalid');
    expect(s.details?.causes).toEqual([
      { reason: 'FieldValueInvalid', field: 'metadata.uid', message: 'Invalid value: "00000000-0000-0000-0000-000000000000": field is immutable' },
    ]);
  });
});

describe('events and controllerrevisions', () => {
  it('stores core/v1 events and selects them by involvedObject', async () => {
    await sim.core.createNamespacedEvent({
      namespace: NS,
      body: {
        metadata: { generateName: 'web-1.' },
        involvedObject: { kind: 'Pod', name: 'web-1', namespace: NS },
        reason: 'Pulled',
        message: 'image pulled',
        type: 'Normal',
        firstTimestamp: new Date('2024-01-01T00:00:00.250Z'),
      },
    });
    const list = await sim.core.listNamespacedEvent({ namespace: NS, fieldSelector: 'involvedObject.name=web-1,reason=Pulled' });
    expect(list.items).toHaveLength(1);
    expect(list.items[0]?.message).toBe('image pulled');
    expect(list.items[0]?.firstTimestamp?.toISOString()).toBe('2024-01-01T00:00:00.000Z');
  });

  it('keeps ControllerRevision data and revision as given; data is mandatory and immutable', async () => {
    const data = { spec: { template: { spec: { containers: [{ name: 'app', image: 'nginx:1.25' }] } } } };
    const cr = await sim.apps.createNamespacedControllerRevision({
      namespace: NS,
      body: { metadata: { name: 'cs-abc123', labels: { app: 'cs' } }, revision: 7, data },
    });
    expect(cr.revision).toBe(7);
    expect(cr.data).toEqual(data);
    await expectStatus(sim.apps.createNamespacedControllerRevision({ namespace: NS, body: { metadata: { name: 'no-data' }, revision: 1 } }), 422, 'Invalid');
    const s = await expectStatus(
      sim.apps.replaceNamespacedControllerRevision({ namespace: NS, name: 'cs-abc123', body: { ...cr, data: { other: true } } }),
      422,
      'Invalid',
    );
    expect(s.details?.causes?.[0]?.field).toBe('data');
  });
});
