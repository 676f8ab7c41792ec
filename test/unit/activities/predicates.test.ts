import { describe, expect, it } from 'vitest';
import { containersUpdated, readyWithGate } from '../../../src/activities/predicates.js';
import type { ContainerView } from '../../../src/rollout/index.js';

const c = (over: Partial<ContainerView>): ContainerView => ({
  name: 'nginx',
  specImage: 'nginx:latest',
  statusImage: 'nginx:perl',
  imageID: 'docker-pullable://nginx@sha256:old',
  ready: true,
  restartCount: 0,
  started: true,
  waitingReason: null,
  ...over,
});

describe('containersUpdated', () => {
  it.each([
    ['old container still running', [c({})], false, ['nginx']],
    ['new image running and ready', [c({ statusImage: 'nginx:latest', imageID: 'docker-pullable://nginx@sha256:new' })], true, []],
    ['new image running, not ready yet', [c({ statusImage: 'nginx:latest', imageID: 'x@sha256:new', ready: false })], false, ['nginx']],
    ['new tag, same digest: image string proves it', [c({ statusImage: 'nginx:latest' })], true, []],
    [
      'waiting on ErrImagePull with the new image string',
      [c({ statusImage: 'nginx:latest', imageID: '', ready: false, waitingReason: 'ErrImagePull' })],
      false,
      ['nginx'],
    ],
    ['no status yet', [c({ statusImage: null, imageID: null, ready: false })], false, ['nginx']],
    ['container missing from the Pod', [], false, ['nginx']],
  ])('%s', (_name, containers, done, waiting) => {
    const r = containersUpdated({ containers }, { nginx: 'nginx:latest' }, { nginx: 'docker-pullable://nginx@sha256:old' });
    expect(r.done).toBe(done);
    expect(r.waiting).toEqual(waiting);
  });

  it('reports containers stuck on image pulls', () => {
    const r = containersUpdated(
      { containers: [c({ statusImage: 'nginx:nope', imageID: '', ready: false, waitingReason: 'ImagePullBackOff' })] },
      { nginx: 'nginx:nope' },
      { nginx: 'docker-pullable://nginx@sha256:old' },
    );
    expect(r.stuck).toEqual(['nginx: ImagePullBackOff']);
  });

  it('looks only at the changed containers', () => {
    const r = containersUpdated(
      { containers: [c({ name: 'nginx', ready: false }), c({ name: 'side', specImage: 'b:2', statusImage: 'b:2', imageID: 'b@sha256:2' })] },
      { side: 'b:2' },
      { side: 'b@sha256:1' },
    );
    expect(r.done).toBe(true);
  });
});

describe('readyWithGate', () => {
  it.each([
    ['ready, gate True', { phase: 'Running', ready: true, readySinceMs: 1, hasGate: true, gateReady: true }, true],
    ['ready, gate False (stale view)', { phase: 'Running', ready: true, readySinceMs: 1, hasGate: true, gateReady: false }, false],
    ['ready, no gate on the Pod', { phase: 'Running', ready: true, readySinceMs: 1, hasGate: false, gateReady: null }, true],
    ['not ready', { phase: 'Running', ready: false, readySinceMs: null, hasGate: true, gateReady: true }, false],
    ['Ready condition left over on a Pod not Running', { phase: 'Pending', ready: true, readySinceMs: 1, hasGate: true, gateReady: true }, false],
  ])('%s', (_n, pod, expected) => {
    expect(readyWithGate(pod)).toBe(expected);
  });
});
