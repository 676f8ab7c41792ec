import { describe, expect, it } from 'vitest';
import {
  buildInPlaceUpdateState,
  buildPod,
  instanceIdFrom,
  parseInPlaceUpdateState,
  readyConditionAfterGateOff,
  resumeWait,
  revisionName,
  SAFE_ALPHABET,
  serializeInPlaceUpdateState,
  shortHash,
  toPodView,
  toRfc3339,
  type InPlaceUpdateState,
  type PodJson,
} from '../../../src/rollout/index.js';
import { NOW, pod, seed02 } from './fixtures.js';

describe('instanceIdFrom', () => {
  it('is a 5-char lowercase alphanumeric id from the safe alphabet', () => {
    for (const seed of ['a', 'b', '3f1c2e4a-0000-4000-8000-000000000000', '']) {
      expect(instanceIdFrom(seed)).toMatch(new RegExp(`^[${SAFE_ALPHABET}]{5}$`));
    }
  });

  it('is deterministic (replays give the same pod names) and pinned', () => {
    expect(instanceIdFrom('3f1c2e4a-0000-4000-8000-000000000000')).toBe(instanceIdFrom('3f1c2e4a-0000-4000-8000-000000000000'));
    expect(instanceIdFrom('seed-1')).toBe('mbt6z');
  });

  it('differs across seeds', () => {
    const ids = Array.from({ length: 200 }, (_, i) => instanceIdFrom(`seed-${i}`));
    expect(new Set(ids).size).toBeGreaterThan(195);
  });

  it('skips ids already taken', () => {
    const first = instanceIdFrom('seed-1');
    const second = instanceIdFrom('seed-1', [first]);
    expect(second).not.toBe(first);
    expect(instanceIdFrom('seed-1', [first, second])).not.toBe(second);
  });
});

describe('buildPod', () => {
  const cs = { metadata: { name: 'nginxweb1', namespace: 'default', uid: 'cs-uid' } };
  const template = seed02().spec.template;
  const rev = revisionName('nginxweb1', template);

  it('builds the pod Kruise would create', () => {
    expect(buildPod(cs, template, rev, 'k4x2z', NOW + 456)).toEqual({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'nginxweb1-k4x2z',
        namespace: 'default',
        labels: {
          app: 'nginxweb1',
          'controller-revision-hash': rev,
          'pod-template-hash': rev.slice('nginxweb1-'.length),
          'apps.kruise.io/cloneset-instance-id': 'k4x2z',
          'lifecycle.apps.kruise.io/state': 'PreparingNormal',
        },
        annotations: { 'lifecycle.apps.kruise.io/timestamp': '2024-05-01T12:00:00Z' },
        ownerReferences: [
          { apiVersion: 'apps.kruise.io/v1alpha1', kind: 'CloneSet', name: 'nginxweb1', uid: 'cs-uid', controller: true, blockOwnerDeletion: true },
        ],
      },
      spec: {
        containers: [{ name: 'nginx', image: 'nginx:latest', imagePullPolicy: 'IfNotPresent', ports: [{ containerPort: 80 }] }],
        readinessGates: [{ conditionType: 'InPlaceUpdateReady' }],
      },
    });
  });

  it('keeps existing readiness gates and adds ours once', () => {
    const t = { ...template, spec: { ...template.spec, readinessGates: [{ conditionType: 'Other' }, { conditionType: 'InPlaceUpdateReady' }] } };
    expect(buildPod(cs, t, rev, 'aaaaa', NOW).spec.readinessGates).toEqual([{ conditionType: 'Other' }, { conditionType: 'InPlaceUpdateReady' }]);
  });

  it('copies template annotations and finalizers and does not share the template spec', () => {
    const t = { metadata: { labels: { app: 'x' }, annotations: { a: 'b' }, finalizers: ['f'] }, spec: { containers: [{ name: 'c', image: 'i' }] } };
    const p = buildPod(cs, t, rev, 'bbbbb', NOW);
    expect(p.metadata.annotations).toEqual({ a: 'b', 'lifecycle.apps.kruise.io/timestamp': '2024-05-01T12:00:00Z' });
    expect(p.metadata.finalizers).toEqual(['f']);
    p.spec.containers[0]!.image = 'changed';
    expect(t.spec.containers[0]!.image).toBe('i');
  });

  it('round-trips through toPodView', () => {
    const v = toPodView(buildPod(cs, template, rev, 'k4x2z', NOW));
    expect(v).toMatchObject({
      name: 'nginxweb1-k4x2z',
      revision: rev,
      instanceId: 'k4x2z',
      hasGate: true,
      gateReady: null,
      lifecycleState: 'PreparingNormal',
      phase: 'Pending',
    });
  });

  it.each([
    ['a revision name: the part after the last dash', 'nginxweb1-575497dc6b', '575497dc6b'],
    ['a CloneSet name with dashes', 'my-web-app-775dd67bf6', '775dd67bf6'],
    ['no dash: the whole name', 'abc', 'abc'],
  ])('pod-template-hash of %s', (_name, revision, hash) => {
    expect(shortHash(revision)).toBe(hash);
  });
});

describe('inplace-update-state', () => {
  const c = (name: string, imageID: string | null, statusImage: string | null = 'img') => ({
    name,
    specImage: 'img',
    statusImage,
    imageID,
    ready: true,
    restartCount: 0,
    started: true,
    waitingReason: null,
  });

  it("Kruise's shape: whole seconds, changed containers only, updateImages, one batch record; key order as Go writes it", () => {
    const p = pod('x', { containers: [c('side', 'sha256:side'), c('nginx', 'sha256:old')] });
    const state = buildInPlaceUpdateState(p, 'nginxweb1-new', { nginx: 'nginx:latest' }, NOW + 789);
    expect(state).toEqual({
      revision: 'nginxweb1-new',
      updateTimestamp: '2024-05-01T12:00:00Z',
      lastContainerStatuses: { nginx: { imageID: 'sha256:old' } },
      updateImages: true,
      containerBatchesRecord: [{ timestamp: '2024-05-01T12:00:00Z', containers: ['nginx'] }],
    });
    const raw = serializeInPlaceUpdateState(state);
    expect(raw).toBe(
      '{"revision":"nginxweb1-new","updateTimestamp":"2024-05-01T12:00:00Z","lastContainerStatuses":{"nginx":{"imageID":"sha256:old"}},' +
        '"updateImages":true,"containerBatchesRecord":[{"timestamp":"2024-05-01T12:00:00Z","containers":["nginx"]}]}',
    );
    expect(parseInPlaceUpdateState(raw)).toEqual(state);
  });

  it.each<[string, ReturnType<typeof c>[], Record<string, string>, string]>([
    [
      'two containers change: map keys and batch containers sorted',
      [c('web', 'sha256:w'), c('agent', 'sha256:a')],
      { web: 'web:2', agent: 'agent:2' },
      '{"agent":{"imageID":"sha256:a"},"web":{"imageID":"sha256:w"}}|["agent","web"]',
    ],
    ['no imageID reported yet: {} (Go omits the empty imageID)', [c('web', null)], { web: 'web:2' }, '{"web":{}}|["web"]'],
    ['no status at all: left out of lastContainerStatuses, still in the batch', [c('web', null, null)], { web: 'web:2' }, '{}|["web"]'],
  ])('records: %s', (_name, containers, images, expected) => {
    const raw = JSON.parse(serializeInPlaceUpdateState(buildInPlaceUpdateState(pod('x', { containers }), 'r', images, NOW))) as InPlaceUpdateState;
    expect(`${JSON.stringify(raw.lastContainerStatuses)}|${JSON.stringify(raw.containerBatchesRecord![0]!.containers)}`).toBe(expected);
  });

  it('reads the older millisecond record of earlier versions (imageID "" meaning unknown) the same way', () => {
    const old = '{"revision":"r2","updateTimestamp":"2024-05-01T12:00:00.123Z","lastContainerStatuses":{"web":{"imageID":"sha256:w"},"side":{"imageID":""}}}';
    const state = parseInPlaceUpdateState(old)!;
    expect(state).toMatchObject({ revision: 'r2', updateTimestamp: '2024-05-01T12:00:00.123Z' });
    const p = { ...pod('x', { containers: [c('web', 'sha256:w'), c('side', null)] }), revision: 'r2', inPlaceState: state };
    expect(resumeWait(p, 'r2')).toEqual({ images: { web: 'img', side: 'img' }, previousImageIDs: { web: 'sha256:w', side: null } });
  });

  it('resumeWait takes the changed containers from containerBatchesRecord too (a container without a status at patch time)', () => {
    const state = buildInPlaceUpdateState(pod('x', { containers: [c('web', 'sha256:w'), c('side', null, null)] }), 'r2', { web: 'w:2', side: 's:2' }, NOW);
    const p = { ...pod('x', { containers: [c('web', 'sha256:w'), c('side', null), c('other', 'sha256:o')] }), revision: 'r2', inPlaceState: state };
    expect(resumeWait(p, 'r2')).toEqual({ images: { web: 'img', side: 'img' }, previousImageIDs: { web: 'sha256:w', side: null } });
  });

  it('toRfc3339 drops milliseconds', () => {
    expect(toRfc3339(NOW + 123)).toBe('2024-05-01T12:00:00Z');
  });
});

describe('readyConditionAfterGateOff', () => {
  const gates = [{ conditionType: 'InPlaceUpdateReady' }];
  const podWith = (conditions: { type: string; status: string }[], readinessGates = gates): PodJson => ({
    spec: { readinessGates },
    status: { conditions },
  });
  const NOT_TRUE = 'the status of pod readiness gate "InPlaceUpdateReady" is not "True", but False';

  it.each<[string, PodJson, { status: string; message: string } | null]>([
    [
      "Ready True, gate True: Ready=False with the kubelet's reason and message",
      podWith([
        { type: 'Ready', status: 'True' },
        { type: 'InPlaceUpdateReady', status: 'True' },
      ]),
      { status: 'False', message: NOT_TRUE },
    ],
    [
      'Ready True, the gate already False (written without Ready): Ready=False',
      podWith([
        { type: 'Ready', status: 'True' },
        { type: 'InPlaceUpdateReady', status: 'False' },
      ]),
      { status: 'False', message: NOT_TRUE },
    ],
    ['Ready already False: nothing to write (idempotent)', podWith([{ type: 'Ready', status: 'False' }]), null],
    ['no Ready condition yet (a Pod not started): nothing to write', podWith([]), null],
    [
      'another readiness gate missing: named in the message too, in spec order',
      podWith([{ type: 'Ready', status: 'True' }], [{ conditionType: 'KruisePodReady' }, ...gates]),
      { status: 'False', message: `corresponding condition of pod readiness gate "KruisePodReady" does not exist., ${NOT_TRUE}` },
    ],
    [
      'a Pod without the gate in its spec (not created by a CloneSet): the gate still counts',
      podWith([{ type: 'Ready', status: 'True' }], []),
      { status: 'False', message: NOT_TRUE },
    ],
  ])('%s', (_name, p, expected) => {
    const got = readyConditionAfterGateOff(p, NOW + 500);
    if (expected === null) expect(got).toBeNull();
    else expect(got).toEqual({ type: 'Ready', reason: 'ReadinessGatesNotReady', lastTransitionTime: '2024-05-01T12:00:00Z', ...expected });
  });
});
