import { describe, expect, it } from 'vitest';
import { podsToResume, resumeWait, type InFlight, type PodView } from '../../../src/rollout/index.js';
import { pod } from './fixtures.js';

const NEW = 'new';
const patched = (name: string, o: Parameters<typeof pod>[1] = {}): PodView => ({
  ...pod(name, { revision: NEW, image: 'nginx:1.27', ...o }),
  inPlaceState: {
    revision: NEW,
    updateTimestamp: '2025-01-01T00:00:00Z',
    lastContainerStatuses: { nginx: { imageID: 'docker.io/library/nginx:perl@sha256:aaaa' } },
  },
});

describe('podsToResume: Pods an earlier run left half-way', () => {
  it.each<[string, PodView[], Record<string, InFlight>, string[]]>([
    [
      'a patched Pod with the gate still False (run terminated while its containers restarted)',
      [patched('p-0', { gateReady: false, lifecycleState: 'Updating' })],
      {},
      ['p-0'],
    ],
    [
      'a patched Pod with the gate False and lifecycle already Normal (killed between the two writes of markPodReady)',
      [patched('p-0', { gateReady: false })],
      {},
      ['p-0'],
    ],
    ['a Pod with the gate True but lifecycle still Updating', [patched('p-0', { lifecycleState: 'Updating' })], {}, ['p-0']],
    ['a Pod created at the revision whose gate was never set', [pod('p-0', { revision: NEW, gateReady: null })], {}, ['p-0']],
    ['a Pod left in lifecycle Updated (its inPlaceUpdate hook never put back)', [patched('p-0', { lifecycleState: 'Updated' })], {}, ['p-0']],
    [
      "a Pod with the gate True, lifecycle Updating (killed between the gate write and the label write, Kruise's order)",
      [patched('p-0', { lifecycleState: 'Updating', gateReady: true })],
      {},
      ['p-0'],
    ],
    [
      'a Pod created at the revision, gate True, never moved out of PreparingNormal (its create lane ended with the run)',
      [pod('p-0', { revision: NEW, lifecycleState: 'PreparingNormal' })],
      {},
      ['p-0'],
    ],
    [
      'not a Pod PreparingNormal that a create lane of this run owns',
      [pod('p-0', { revision: NEW, lifecycleState: 'PreparingNormal' })],
      { 'p-0': { action: 'create' } },
      [],
    ],
    ['not a Pod a lane of this run owns', [patched('p-0', { gateReady: false })], { 'p-0': { action: 'inPlace' } }, []],
    [
      'not a Pod on an old revision with the gate False (the planner moves it, grace counted from gate-off)',
      [pod('p-0', { revision: 'old', gateReady: false })],
      {},
      [],
    ],
    ['not a finished Pod (gate True, lifecycle Normal)', [patched('p-0')], {}, []],
    ['not a Pod without the readiness gate', [pod('p-0', { revision: NEW, hasGate: false, gateReady: null })], {}, []],
    ['not a terminating Pod', [patched('p-0', { gateReady: false, deleting: true })], {}, []],
    ['not a finished (Failed) Pod', [patched('p-0', { gateReady: false, phase: 'Failed' })], {}, []],
    [
      'several, sorted by name, skipping healthy and owned ones',
      [patched('p-2', { gateReady: false }), patched('p-0'), patched('p-1', { gateReady: false }), patched('p-3', { gateReady: false })],
      { 'p-3': { action: 'inPlace' } },
      ['p-1', 'p-2'],
    ],
  ])('%s', (_scenario, pods, inFlight, expected) => {
    expect(podsToResume(pods, NEW, inFlight)).toEqual(expected);
  });
});

describe('resumeWait: what a resumed Pod waits for', () => {
  it('waits for the recorded changed containers only, with their old imageIDs', () => {
    const p = patched('p-0', { gateReady: false });
    p.containers.push({
      name: 'sidecar',
      specImage: 'busybox:1.36',
      statusImage: 'busybox:1.36',
      imageID: 'x',
      ready: true,
      restartCount: 0,
      started: true,
      waitingReason: null,
    });
    expect(resumeWait(p, NEW)).toEqual({ images: { nginx: 'nginx:1.27' }, previousImageIDs: { nginx: 'docker.io/library/nginx:perl@sha256:aaaa' } });
  });

  it('waits for every container, old imageIDs unknown, when there is no record for this revision (created Pod)', () => {
    const p = pod('p-0', { revision: NEW, image: 'nginx:1.27', gateReady: null });
    expect(resumeWait(p, NEW)).toEqual({ images: { nginx: 'nginx:1.27' }, previousImageIDs: { nginx: null } });
  });

  it('ignores a record left by an update to another revision', () => {
    const p = { ...patched('p-0'), inPlaceState: { revision: 'older', updateTimestamp: '', lastContainerStatuses: { nginx: { imageID: 'old-id' } } } };
    expect(resumeWait(p, NEW).previousImageIDs).toEqual({ nginx: null });
  });
});
