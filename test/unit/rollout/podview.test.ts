import { describe, expect, it } from 'vitest';
import {
  availableAtMs,
  isPodActive,
  isPodAvailable,
  isPodAvailableForWindow,
  isPodReady,
  parseInPlaceUpdateState,
  toMs,
  toPodView,
  type PodJson,
} from '../../../src/rollout/index.js';
import type { V1Pod } from '@kubernetes/client-node';
import { NOW, pod, SEC } from './fixtures.js';

function podJson(): PodJson {
  return {
    metadata: {
      name: 'nginxweb1-abcde',
      namespace: 'default',
      uid: 'u-1',
      creationTimestamp: '2024-05-01T11:00:00Z',
      labels: {
        app: 'nginxweb1',
        'controller-revision-hash': 'nginxweb1-575497dc6b',
        'apps.kruise.io/cloneset-instance-id': 'abcde',
        'lifecycle.apps.kruise.io/state': 'Normal',
      },
      annotations: {
        'apps.kruise.io/inplace-update-state': JSON.stringify({
          revision: 'nginxweb1-775dd67bf6',
          updateTimestamp: '2024-05-01T11:30:00Z',
          lastContainerStatuses: { nginx: { imageID: 'sha256:old' } },
        }),
      },
    },
    spec: {
      nodeName: 'node-1',
      containers: [
        { name: 'nginx', image: 'nginx:latest' },
        { name: 'side', image: 'busybox:1' },
      ],
      readinessGates: [{ conditionType: 'InPlaceUpdateReady' }],
    },
    status: {
      phase: 'Running',
      conditions: [
        { type: 'InPlaceUpdateReady', status: 'True', lastTransitionTime: '2024-05-01T11:40:00Z' },
        { type: 'Ready', status: 'True', lastTransitionTime: '2024-05-01T11:59:30Z' },
      ],
      containerStatuses: [
        {
          name: 'nginx',
          image: 'docker.io/library/nginx:latest',
          imageID: 'sha256:new',
          ready: true,
          restartCount: 2,
          started: true,
          state: { running: {} } as never,
        },
        { name: 'side', image: 'busybox:1', imageID: '', ready: false, restartCount: 1, state: { waiting: { reason: 'CrashLoopBackOff' } } },
      ],
    },
  };
}

describe('toPodView', () => {
  it('reads a full Pod JSON', () => {
    expect(toPodView(podJson())).toEqual({
      name: 'nginxweb1-abcde',
      uid: 'u-1',
      revision: 'nginxweb1-575497dc6b',
      instanceId: 'abcde',
      creationTimestamp: Date.parse('2024-05-01T11:00:00Z'),
      phase: 'Running',
      deleting: false,
      nodeName: 'node-1',
      ready: true,
      readySinceMs: NOW - 30 * SEC,
      gateReady: true,
      hasGate: true,
      containers: [
        {
          name: 'nginx',
          specImage: 'nginx:latest',
          statusImage: 'docker.io/library/nginx:latest',
          imageID: 'sha256:new',
          ready: true,
          restartCount: 2,
          started: true,
          waitingReason: null,
        },
        {
          name: 'side',
          specImage: 'busybox:1',
          statusImage: 'busybox:1',
          imageID: null,
          ready: false,
          restartCount: 1,
          started: null,
          waitingReason: 'CrashLoopBackOff',
        },
      ],
      restartCount: 3,
      lifecycleState: 'Normal',
      inPlaceState: {
        revision: 'nginxweb1-775dd67bf6',
        updateTimestamp: '2024-05-01T11:30:00Z',
        lastContainerStatuses: { nginx: { imageID: 'sha256:old' } },
      },
      inPlaceGracePending: false,
      labels: podJson().metadata!.labels,
    });
  });

  it('accepts client-node objects whose timestamps are Dates', () => {
    const p = podJson();
    p.metadata!.creationTimestamp = new Date('2024-05-01T11:00:00Z');
    p.metadata!.deletionTimestamp = new Date('2024-05-01T12:00:00Z');
    p.status!.conditions![1]!.lastTransitionTime = new Date(NOW - 5 * SEC);
    const v = toPodView(p);
    expect(v.creationTimestamp).toBe(Date.parse('2024-05-01T11:00:00Z'));
    expect(v.deleting).toBe(true);
    expect(v.readySinceMs).toBe(NOW - 5 * SEC);
  });

  it('accepts a @kubernetes/client-node V1Pod (type-level: no cast needed)', () => {
    const v1: V1Pod = {
      metadata: { name: 'p', uid: 'u', creationTimestamp: new Date(NOW) },
      spec: { containers: [{ name: 'c', image: 'x' }], readinessGates: [{ conditionType: 'InPlaceUpdateReady' }] },
      status: {
        phase: 'Running',
        conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: new Date(NOW - SEC) }],
        containerStatuses: [{ name: 'c', image: 'x', imageID: 'id', ready: true, restartCount: 0 }],
      },
    };
    expect(toPodView(v1)).toMatchObject({ name: 'p', ready: true, readySinceMs: NOW - SEC, creationTimestamp: NOW, hasGate: true });
  });

  it('reads a pod just created (no status, no labels)', () => {
    const v = toPodView({ metadata: { name: 'p', uid: 'u' }, spec: { containers: [{ name: 'c', image: 'x' }] } });
    expect(v).toMatchObject({
      phase: 'Pending',
      revision: null,
      instanceId: null,
      nodeName: null,
      ready: false,
      readySinceMs: null,
      gateReady: null,
      hasGate: false,
      restartCount: 0,
      lifecycleState: null,
      inPlaceState: null,
    });
    expect(v.containers).toEqual([
      { name: 'c', specImage: 'x', statusImage: null, imageID: null, ready: false, restartCount: 0, started: null, waitingReason: null },
    ]);
  });

  it('readySinceMs is null while Ready is False', () => {
    const p = podJson();
    p.status!.conditions![1]!.status = 'False';
    expect(toPodView(p)).toMatchObject({ ready: false, readySinceMs: null });
  });

  it('sees the gate False and a pending grace period', () => {
    const p = podJson();
    p.status!.conditions![0]!.status = 'False';
    p.metadata!.annotations!['apps.kruise.io/inplace-update-grace'] = '{}';
    expect(toPodView(p)).toMatchObject({ gateReady: false, inPlaceGracePending: true });
  });
});

describe('parseInPlaceUpdateState / toMs', () => {
  it.each([
    ['absent', undefined, null],
    ['not JSON', '{nope', null],
    ['no revision', '{"updateTimestamp":"x"}', null],
    ['an array', '[1]', null],
    ['minimal', '{"revision":"r"}', { revision: 'r', updateTimestamp: '', lastContainerStatuses: {} }],
  ])('parses %s', (_n, raw, expected) => {
    expect(parseInPlaceUpdateState(raw)).toEqual(expected);
  });

  it.each([
    ['RFC3339', '2024-05-01T12:00:00Z', NOW],
    ['a number', 5, 5],
    ['a Date', new Date(NOW), NOW],
    ['garbage', 'yesterday-ish', null],
    ['undefined', undefined, null],
    ['empty', '', null],
  ])('toMs of %s', (_n, v, expected) => {
    expect(toMs(v)).toBe(expected);
  });
});

describe('readiness predicates', () => {
  it.each([
    ['a long-ready Running pod', pod('a'), true],
    ['a Pending pod', pod('a', { phase: 'Pending' }), false],
    ['Ready False', pod('a', { readyFor: null }), false],
    ['gate False', pod('a', { gateReady: false }), false],
    ['gate present but condition absent', pod('a', { gateReady: null }), false],
    ['no gate and no condition (pod not created by us)', pod('a', { gateReady: null, hasGate: false }), true],
  ])('isPodReady: %s → %s', (_n, p, expected) => {
    expect(isPodReady(p)).toBe(expected);
  });

  it.each([
    ['ready 10s with minReadySeconds 30', 10, 30, false],
    ['ready exactly 30s with minReadySeconds 30 (boundary counts)', 30, 30, true],
    ['ready 31s with minReadySeconds 30', 31, 30, true],
    ['ready 0s with minReadySeconds 0', 0, 0, true],
  ])('isPodAvailable: %s', (_n, readyFor, min, expected) => {
    expect(isPodAvailable(pod('a', { readyFor }), min, NOW)).toBe(expected);
  });

  it.each([
    ['available', pod('a'), true],
    ['terminating', pod('a', { deleting: true }), false],
    ['lifecycle Updating', pod('a', { lifecycleState: 'Updating' }), false],
    ['lifecycle PreparingDelete', pod('a', { lifecycleState: 'PreparingDelete' }), false],
    ['no lifecycle label', pod('a', { lifecycleState: null }), true],
  ])('isPodAvailableForWindow: %s → %s', (_n, p, expected) => {
    expect(isPodAvailableForWindow(p, 0, NOW)).toBe(expected);
  });

  it.each([
    ['Running', pod('a'), true],
    ['terminating', pod('a', { deleting: true }), false],
    ['Failed (evicted)', pod('a', { phase: 'Failed' }), false],
    ['Succeeded', pod('a', { phase: 'Succeeded' }), false],
    ['Pending', pod('a', { phase: 'Pending' }), true],
  ])('isPodActive: %s → %s', (_n, p, expected) => {
    expect(isPodActive(p)).toBe(expected);
  });

  it.each([
    ['ready 10s of 30 → in 20s', pod('a', { readyFor: 10 }), NOW + 20 * SEC],
    ['already available → null', pod('a', { readyFor: 40 }), null],
    ['not ready → null', pod('a', { readyFor: null }), null],
    ['terminating → null', pod('a', { readyFor: 10, deleting: true }), null],
  ])('availableAtMs: %s', (_n, p, expected) => {
    expect(availableAtMs(p, 30, NOW)).toBe(expected);
  });
});
