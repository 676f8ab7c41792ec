import { describe, expect, it } from 'vitest';
import {
  buildInPlaceUpdateState,
  buildPod,
  instanceIdFrom,
  parseInPlaceUpdateState,
  revisionName,
  SAFE_ALPHABET,
  serializeInPlaceUpdateState,
  toPodView,
  toRfc3339,
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
    expect(buildPod(cs, template, rev, 'k4x2z')).toEqual({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'nginxweb1-k4x2z',
        namespace: 'default',
        labels: {
          app: 'nginxweb1',
          'controller-revision-hash': rev,
          'apps.kruise.io/cloneset-instance-id': 'k4x2z',
          'lifecycle.apps.kruise.io/state': 'Normal',
        },
        annotations: {},
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
    expect(buildPod(cs, t, rev, 'aaaaa').spec.readinessGates).toEqual([{ conditionType: 'Other' }, { conditionType: 'InPlaceUpdateReady' }]);
  });

  it('copies template annotations and finalizers and does not share the template spec', () => {
    const t = { metadata: { labels: { app: 'x' }, annotations: { a: 'b' }, finalizers: ['f'] }, spec: { containers: [{ name: 'c', image: 'i' }] } };
    const p = buildPod(cs, t, rev, 'bbbbb');
    expect(p.metadata.annotations).toEqual({ a: 'b' });
    expect(p.metadata.finalizers).toEqual(['f']);
    p.spec.containers[0]!.image = 'changed';
    expect(t.spec.containers[0]!.image).toBe('i');
  });

  it('round-trips through toPodView', () => {
    const v = toPodView(buildPod(cs, template, rev, 'k4x2z'));
    expect(v).toMatchObject({
      name: 'nginxweb1-k4x2z',
      revision: rev,
      instanceId: 'k4x2z',
      hasGate: true,
      gateReady: null,
      lifecycleState: 'Normal',
      phase: 'Pending',
    });
  });
});

describe('inplace-update-state', () => {
  it('records only the changed containers’ imageIDs, and round-trips', () => {
    const p = pod('x', {
      containers: [
        {
          name: 'nginx',
          specImage: 'nginx:perl',
          statusImage: 'nginx:perl',
          imageID: 'sha256:old',
          ready: true,
          restartCount: 0,
          started: true,
          waitingReason: null,
        },
        { name: 'side', specImage: 'b:1', statusImage: 'b:1', imageID: 'sha256:side', ready: true, restartCount: 0, started: true, waitingReason: null },
      ],
    });
    const state = buildInPlaceUpdateState(p, 'nginxweb1-new', { nginx: 'nginx:latest' }, NOW);
    expect(state).toEqual({ revision: 'nginxweb1-new', updateTimestamp: '2024-05-01T12:00:00Z', lastContainerStatuses: { nginx: { imageID: 'sha256:old' } } });
    const raw = serializeInPlaceUpdateState(state);
    expect(raw).toBe('{"revision":"nginxweb1-new","updateTimestamp":"2024-05-01T12:00:00Z","lastContainerStatuses":{"nginx":{"imageID":"sha256:old"}}}');
    expect(parseInPlaceUpdateState(raw)).toEqual(state);
  });

  it('toRfc3339 drops milliseconds', () => {
    expect(toRfc3339(NOW + 123)).toBe('2024-05-01T12:00:00Z');
  });
});
