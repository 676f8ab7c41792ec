import { describe, expect, it } from 'vitest';
import { computeStatus, statusMergePatch, validateCloneSet, type NormalizedCloneSetSpec, type PodView } from '../../../src/rollout/index.js';
import { NOW, pod, pods, seed02 } from './fixtures.js';

function seedSpec(o: (s: any) => void = () => {}): NormalizedCloneSetSpec {
  const cs = seed02() as any;
  o(cs.spec);
  const r = validateCloneSet(cs);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.value.spec;
}

const status = (ps: PodView[], spec = seedSpec(), currentRevision = 'old') =>
  computeStatus({ pods: ps, spec, updateRevision: 'new', currentRevision, generation: 7, nowMs: NOW });

describe('computeStatus', () => {
  it('seed before the rollout: 4 old pods, all available', () => {
    expect(status(pods('p', 4))).toEqual({
      observedGeneration: 7,
      replicas: 4,
      readyReplicas: 4,
      availableReplicas: 4,
      updatedReplicas: 0,
      updatedReadyReplicas: 0,
      // updatedAvailableReplicas: 0 is left out (Kruise's omitempty)
      expectedUpdatedReplicas: 4,
      updateRevision: 'new',
      currentRevision: 'old',
      collisionCount: 0,
      labelSelector: 'app=nginxweb1',
    });
  });

  it('collisionCount is carried over from the status it replaces', () => {
    expect(
      computeStatus({ pods: [], spec: seedSpec(), updateRevision: 'new', currentRevision: 'old', generation: 7, nowMs: NOW, collisionCount: 2 }).collisionCount,
    ).toBe(2);
  });

  it.each<[string, Partial<PodView>, { ready: number; available: number }]>([
    ['lifecycle Normal: ready and available', { lifecycleState: 'Normal' }, { ready: 1, available: 1 }],
    ['no lifecycle label: ready and available', { lifecycleState: null }, { ready: 1, available: 1 }],
    ['PreparingNormal (new, not moved yet): ready, not available', { lifecycleState: 'PreparingNormal' }, { ready: 1, available: 0 }],
    ['Updating with the gate True (between gate-on and Normal): ready, not available', { lifecycleState: 'Updating' }, { ready: 1, available: 0 }],
    ['Updated (held by its inPlaceUpdate hook): ready, not available', { lifecycleState: 'Updated' }, { ready: 1, available: 0 }],
    ['PreparingDelete: ready, not available', { lifecycleState: 'PreparingDelete' }, { ready: 1, available: 0 }],
  ])("availability follows Kruise's IsPodAvailable: %s", (_name, o, expected) => {
    const s = status(
      [{ ...pod('p', { revision: 'new' }), ...o }],
      seedSpec((x) => (x.replicas = 1)),
    );
    expect({ ready: s.readyReplicas, available: s.availableReplicas }).toEqual(expected);
    expect(s.updatedAvailableReplicas ?? 0).toBe(expected.available);
  });

  it('a pod just patched counts as UPDATED at once while UPDATED_READY lags', () => {
    const ps = [...pods('p', 3), pod('u', { revision: 'new', readyFor: null, gateReady: false })];
    expect(status(ps)).toMatchObject({ replicas: 4, updatedReplicas: 1, updatedReadyReplicas: 0, readyReplicas: 3 });
  });

  it('a pod Ready 10s (minReadySeconds 30) is ready and updated-ready but not available', () => {
    const ps = [...pods('p', 3, { revision: 'new' }), pod('u', { revision: 'new', readyFor: 10 })];
    expect(status(ps)).toMatchObject({
      readyReplicas: 4,
      availableReplicas: 3,
      updatedReplicas: 4,
      updatedReadyReplicas: 4,
      updatedAvailableReplicas: 3,
      currentRevision: 'new',
    });
  });

  it.each<[string, PodView[], number, string]>([
    ['updated == total == spec.replicas → currentRevision moves', pods('p', 4, { revision: 'new' }), 4, 'new'],
    ['one old pod left → stays', [...pods('p', 3, { revision: 'new' }), pod('o')], 4, 'old'],
    ['all updated but one replica short → stays', pods('p', 3, { revision: 'new' }), 4, 'old'],
    ['all updated but one extra → stays', pods('p', 5, { revision: 'new' }), 4, 'old'],
  ])('currentRevision: %s', (_name, ps, replicas, expected) => {
    expect(
      status(
        ps,
        seedSpec((s) => (s.replicas = replicas)),
      ).currentRevision,
    ).toBe(expected);
  });

  it('ignores terminating and finished pods', () => {
    const ps = [...pods('p', 4), pod('t', { deleting: true }), pod('f', { phase: 'Failed', readyFor: null })];
    expect(status(ps).replicas).toBe(4);
  });

  it('a pod whose gate is False is neither ready nor available', () => {
    expect(status([pod('g', { gateReady: false })])).toMatchObject({ readyReplicas: 0, availableReplicas: 0 });
  });

  it.each([
    [0, 4],
    [1, 3],
    ['50%', 2],
    ['90%', 1],
    ['100%', undefined],
  ])('expectedUpdatedReplicas with partition %j of 4 → %s (left out when 0, as Kruise)', (partition, expected) => {
    expect(
      status(
        [],
        seedSpec((s) => (s.updateStrategy.partition = partition)),
      ).expectedUpdatedReplicas,
    ).toBe(expected);
  });

  it.each<[string, Record<string, unknown> | undefined, Record<string, unknown>]>([
    ['no status before: the status as computed', undefined, {}],
    [
      'a field now left out was written before: null drops it',
      { updatedAvailableReplicas: 3, expectedUpdatedReplicas: 4 },
      { updatedAvailableReplicas: null, expectedUpdatedReplicas: null },
    ],
    ['left out before and now: nothing extra', { replicas: 4 }, {}],
  ])('statusMergePatch: %s', (_name, current, extra) => {
    const next = status(
      [],
      seedSpec((s) => (s.updateStrategy.partition = '100%')),
    );
    expect(statusMergePatch(current, next)).toEqual({ ...next, ...extra });
  });

  it('writes the selector in Kubernetes form, matchExpressions included', () => {
    const spec = seedSpec((s) => {
      s.selector = {
        matchLabels: { app: 'nginxweb1' },
        matchExpressions: [
          { key: 'tier', operator: 'In', values: ['web', 'api'] },
          { key: 'legacy', operator: 'DoesNotExist' },
          { key: 'zone', operator: 'NotIn', values: ['b'] },
          { key: 'app', operator: 'Exists' },
        ],
      };
      s.template.metadata.labels = { app: 'nginxweb1', tier: 'web' };
    });
    expect(status([], spec).labelSelector).toBe('app=nginxweb1,app,!legacy,tier in (api,web),zone notin (b)');
  });

  it('carries conditions over', () => {
    const conditions = [{ type: 'Progressing', status: 'True' as const, reason: 'CloneSetUpdated' }];
    const s = computeStatus({ pods: [], spec: seedSpec(), updateRevision: 'new', currentRevision: 'old', generation: 1, nowMs: NOW, conditions });
    expect(s.conditions).toEqual(conditions);
  });
});
