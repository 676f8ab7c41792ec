import { describe, expect, it } from 'vitest';
import { DEFAULT_NEVER_READY_IMAGES, DEFAULT_UNPULLABLE_IMAGES, imageIdFor, imageRepository } from '../../src/sim/kubelet/images.js';
import { stepPod, type PodRuntime, type RuntimeConfig, type RuntimeEvent } from '../../src/sim/kubelet/runtime.js';
import { canonical, kubeletStatus, podPhase, statusPatch, syncGates, type GateSync, type KubeletStatus } from '../../src/sim/kubelet/status.js';
import { rfc3339, type ContainerStatus, type Pod, type PodCondition } from '../../src/sim/kubelet/types.js';

const T0 = Date.parse('2025-03-01T10:00:00Z');
const net = { hostIP: '172.18.0.2', podIP: '10.244.0.1' };

function config(): RuntimeConfig {
  let n = 0;
  return {
    startDelayMs: 300,
    restartDelayMs: 500,
    readyDelayMs: 100,
    pullBackOffMs: 400,
    deleteDelayMs: 200,
    unpullableImages: DEFAULT_UNPULLABLE_IMAGES,
    neverReadyImages: DEFAULT_NEVER_READY_IMAGES,
    newContainerId: () => `containerd://${String(++n).padStart(64, '0')}`,
  };
}

function makePod(opts: { images?: Record<string, string>; gates?: string[]; conditions?: PodCondition[] } = {}): Pod {
  const images = opts.images ?? { app: 'nginx:1.25', sidecar: 'busybox:1.36' };
  return {
    metadata: { name: 'p', namespace: 'default', uid: 'uid-1' },
    spec: {
      nodeName: 'node-1',
      containers: Object.entries(images).map(([name, image]) => ({ name, image })),
      readinessGates: opts.gates?.map((conditionType) => ({ conditionType })),
    },
    status: { conditions: opts.conditions },
  };
}

/** A tiny kubelet: steps the runtime and applies the resulting patch the way an apiserver's SMP would. */
class Harness {
  rt: PodRuntime | undefined;
  events: RuntimeEvent[] = [];
  wakeAt: number | undefined;
  status!: KubeletStatus;
  constructor(
    public pod: Pod,
    public cfg = config(),
  ) {}
  at(now: number): this {
    const r = stepPod(this.pod, this.rt, now, this.cfg);
    this.rt = r.runtime;
    this.events.push(...r.events);
    this.wakeAt = r.wakeAt;
    this.status = kubeletStatus(this.pod, r.runtime, net, now);
    const patch = statusPatch(this.pod.status, this.status);
    if (patch) this.pod = applyStatusPatch(this.pod, patch.status);
    return this;
  }
  cs(name: string): ContainerStatus {
    return this.status.containerStatuses.find((c) => c.name === name)!;
  }
  cond(type: string): PodCondition {
    return this.status.conditions.find((c) => c.type === type)!;
  }
  setImage(name: string, image: string): this {
    this.pod = structuredClone(this.pod);
    this.pod.spec.containers.find((c) => c.name === name)!.image = image;
    return this;
  }
  setCondition(c: PodCondition): this {
    this.pod = applyStatusPatch(this.pod, { conditions: [c] });
    return this;
  }
}

function applyStatusPatch(pod: Pod, patch: Record<string, unknown>): Pod {
  const next = structuredClone(pod);
  const status = (next.status ??= {});
  for (const [k, v] of Object.entries(patch)) {
    if (k !== 'conditions') {
      status[k] = structuredClone(v);
      continue;
    }
    const conds = (status.conditions ??= []);
    for (const c of v as PodCondition[]) {
      const i = conds.findIndex((x) => x.type === c.type);
      const merged: Record<string, unknown> = { ...(i >= 0 ? conds[i] : {}), ...c };
      // Strategic merge: null deletes a field.
      for (const [f, x] of Object.entries(merged)) if (x === null) delete merged[f];
      if (i >= 0) conds[i] = merged as unknown as PodCondition;
      else conds.push(merged as unknown as PodCondition);
    }
  }
  return next;
}

describe('imageIdFor / imageRepository / default image patterns', () => {
  it.each([
    ['nginx:1.25', 'nginx'],
    ['nginx', 'nginx'],
    ['docker.io/library/nginx:1.25', 'docker.io/library/nginx'],
    ['localhost:5000/team/app:v2', 'localhost:5000/team/app'],
    ['localhost:5000/app', 'localhost:5000/app'],
    [`nginx@sha256:${'a'.repeat(64)}`, 'nginx'],
  ])('repository of %s is %s', (image, repo) => {
    expect(imageRepository(image)).toBe(repo);
  });

  it('imageID is docker-pullable, deterministic per image string, distinct per tag, honours pinned digests', () => {
    const a = imageIdFor('nginx:1.25');
    expect(a).toMatch(/^docker-pullable:\/\/nginx@sha256:[0-9a-f]{64}$/);
    expect(imageIdFor('nginx:1.25')).toBe(a);
    expect(imageIdFor('nginx:1.26')).not.toBe(a);
    expect(imageIdFor(`nginx@sha256:${'b'.repeat(64)}`)).toBe(`docker-pullable://nginx@sha256:${'b'.repeat(64)}`);
  });

  it.each([
    ['unpullable:1', true],
    ['unpullable', true],
    ['registry.local/does-not-exist/app:2', true],
    ['example.com/team/does-not-exist:1.0', true],
    ['nginx:unpullable', true],
    ['nginx:does-not-exist-1.27', true],
    ['nginx:1.25', false],
    ['my-unpullable-app:1', false],
    ['nginx:never-ready', false],
  ])('unpullable(%s) = %s', (image, expected) => {
    expect(DEFAULT_UNPULLABLE_IMAGES.test(image)).toBe(expected);
  });
});

describe('pod start', () => {
  it('new pod: Pending, ContainerCreating, spec image, no imageID/containerID, wakes at start', () => {
    const h = new Harness(makePod()).at(T0);
    expect(h.status.phase).toBe('Pending');
    expect(h.status.startTime).toBe(rfc3339(T0));
    expect(h.cs('app')).toMatchObject({
      image: 'nginx:1.25',
      imageID: '',
      ready: false,
      started: false,
      restartCount: 0,
      state: { waiting: { reason: 'ContainerCreating' } },
    });
    expect(h.cs('app').containerID).toBeUndefined();
    expect(h.cond('PodScheduled').status).toBe('True');
    expect(h.cond('Initialized').status).toBe('True');
    expect(h.cond('ContainersReady')).toMatchObject({
      status: 'False',
      reason: 'ContainersNotReady',
      message: 'containers with unready status: [app sidecar]',
    });
    expect(h.cond('Ready')).toMatchObject({ status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [app sidecar]' });
    expect(h.wakeAt).toBe(T0 + 300);
    expect(h.status.containerStatuses.map((c) => c.name)).toEqual(['app', 'sidecar']);
  });

  it('started: Running, running state, containerID and imageID, not ready until readyDelay', () => {
    const h = new Harness(makePod()).at(T0).at(T0 + 300);
    expect(h.status.phase).toBe('Running');
    expect(h.cs('app')).toMatchObject({
      image: 'nginx:1.25',
      imageID: imageIdFor('nginx:1.25'),
      started: true,
      ready: false,
      restartCount: 0,
      state: { running: { startedAt: rfc3339(T0 + 300) } },
    });
    expect(h.cs('app').containerID).toMatch(/^containerd:\/\/[0-9]{64}$/);
    expect(h.cs('sidecar').containerID).not.toBe(h.cs('app').containerID);
    expect(h.wakeAt).toBe(T0 + 400);
    h.at(T0 + 400);
    expect(h.cs('app').ready).toBe(true);
    expect(h.cond('ContainersReady').status).toBe('True');
    expect(h.cond('Ready').status).toBe('True');
    expect(h.wakeAt).toBeUndefined();
    expect(h.events.map((e) => e.kind)).toEqual(['started', 'started']);
  });

  it('a late first step applies every due transition at once', () => {
    const h = new Harness(makePod()).at(T0);
    h.at(T0 + 10_000);
    expect(h.cs('app')).toMatchObject({ ready: true, state: { running: { startedAt: rfc3339(T0 + 300) } } });
  });

  it('never-ready image: running and started but never ready, nothing to wake for', () => {
    const h = new Harness(makePod({ images: { app: 'app:never-ready' } }))
      .at(T0)
      .at(T0 + 300)
      .at(T0 + 60_000);
    expect(h.cs('app')).toMatchObject({ started: true, ready: false, state: { running: {} } });
    expect(h.status.phase).toBe('Running');
    expect(h.cond('Ready')).toMatchObject({ status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [app]' });
    expect(h.wakeAt).toBeUndefined();
  });
});

describe('Ready condition: containers × readiness gates', () => {
  const gate = 'InPlaceUpdateReady';
  const cases: {
    name: string;
    images: Record<string, string>;
    gateStatus?: 'True' | 'False';
    gated: boolean;
    ready: string;
    reason?: string;
    message?: string;
  }[] = [
    { name: 'no gates, containers ready', images: { app: 'nginx:1' }, gated: false, ready: 'True' },
    {
      name: 'gate missing, containers ready',
      images: { app: 'nginx:1' },
      gated: true,
      ready: 'False',
      reason: 'ReadinessGatesNotReady',
      message: `corresponding condition of pod readiness gate "${gate}" does not exist.`,
    },
    {
      name: 'gate False, containers ready',
      images: { app: 'nginx:1' },
      gated: true,
      gateStatus: 'False',
      ready: 'False',
      reason: 'ReadinessGatesNotReady',
      message: `the status of pod readiness gate "${gate}" is not "True", but False`,
    },
    { name: 'gate True, containers ready', images: { app: 'nginx:1' }, gated: true, gateStatus: 'True', ready: 'True' },
    {
      name: 'gate missing, containers not ready',
      images: { app: 'x:never-ready' },
      gated: true,
      ready: 'False',
      reason: 'ContainersNotReady',
      message: 'containers with unready status: [app]',
    },
    {
      name: 'gate False, containers not ready',
      images: { app: 'x:never-ready' },
      gated: true,
      gateStatus: 'False',
      ready: 'False',
      reason: 'ContainersNotReady',
      message: 'containers with unready status: [app]',
    },
    {
      name: 'gate True, containers not ready',
      images: { app: 'x:never-ready' },
      gated: true,
      gateStatus: 'True',
      ready: 'False',
      reason: 'ContainersNotReady',
      message: 'containers with unready status: [app]',
    },
  ];
  it.each(cases)('$name → Ready $ready $reason', (c) => {
    const conditions = c.gateStatus ? [{ type: gate, status: c.gateStatus }] : undefined;
    const h = new Harness(makePod({ images: c.images, gates: c.gated ? [gate] : undefined, conditions })).at(T0).at(T0 + 1000);
    const ready = h.cond('Ready');
    expect(ready.status).toBe(c.ready);
    expect(ready.reason).toBe(c.reason);
    expect(ready.message).toBe(c.message);
  });

  it('several gates: messages joined in spec order', () => {
    const h = new Harness(makePod({ images: { app: 'nginx:1' }, gates: ['A', 'B'], conditions: [{ type: 'B', status: 'False' }] })).at(T0).at(T0 + 1000);
    expect(h.cond('Ready').message).toBe(
      'corresponding condition of pod readiness gate "A" does not exist., the status of pod readiness gate "B" is not "True", but False',
    );
  });

  it('reacts to the gate flipping; lastTransitionTime moves only when the status flips', () => {
    const h = new Harness(makePod({ images: { app: 'nginx:1' }, gates: [gate] })).at(T0);
    const firstReadyLtt = h.cond('Ready').lastTransitionTime;
    h.at(T0 + 5000); // containers ready, gate missing: reason changes, status stays False
    expect(h.cond('Ready')).toMatchObject({ status: 'False', reason: 'ReadinessGatesNotReady', lastTransitionTime: firstReadyLtt });
    expect(h.cond('ContainersReady')).toMatchObject({ status: 'True', lastTransitionTime: rfc3339(T0 + 5000) });
    h.setCondition({ type: gate, status: 'True' }).at(T0 + 7000);
    expect(h.cond('Ready')).toMatchObject({ status: 'True', lastTransitionTime: rfc3339(T0 + 7000) });
    h.setCondition({ type: gate, status: 'False' }).at(T0 + 9000);
    expect(h.cond('Ready')).toMatchObject({ status: 'False', reason: 'ReadinessGatesNotReady', lastTransitionTime: rfc3339(T0 + 9000) });
    expect(h.cond('PodScheduled').lastTransitionTime).toBe(rfc3339(T0));
  });
});

describe('in-place image change', () => {
  function running(): Harness {
    return new Harness(makePod({ gates: ['InPlaceUpdateReady'], conditions: [{ type: 'InPlaceUpdateReady', status: 'True' }] })).at(T0).at(T0 + 1000);
  }

  it('restarts only the changed container, exactly once', () => {
    const h = running();
    const before = { app: h.cs('app'), sidecar: h.cs('sidecar') };
    const t1 = T0 + 10_000;
    h.setImage('app', 'nginx:1.26').at(t1);
    // Killed: the old instance is reported terminated, not ready; nothing bumped yet.
    expect(h.cs('app')).toMatchObject({
      image: 'nginx:1.25',
      imageID: before.app.imageID,
      containerID: before.app.containerID,
      ready: false,
      started: false,
      restartCount: 0,
      state: { terminated: { exitCode: 0, reason: 'Completed', finishedAt: rfc3339(t1), containerID: before.app.containerID } },
    });
    expect(h.status.phase).toBe('Running');
    expect(h.cond('Ready')).toMatchObject({ status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [app]' });
    expect(h.cs('sidecar')).toEqual(before.sidecar);
    expect(h.wakeAt).toBe(t1 + 500);
    h.at(t1 + 200).at(t1 + 200); // duplicate wake-ups change nothing
    h.at(t1 + 500);
    const app = h.cs('app');
    expect(app).toMatchObject({
      image: 'nginx:1.26',
      imageID: imageIdFor('nginx:1.26'),
      restartCount: 1,
      ready: false,
      started: true,
      state: { running: { startedAt: rfc3339(t1 + 500) } },
      lastState: { terminated: { exitCode: 0, reason: 'Completed', containerID: before.app.containerID, finishedAt: rfc3339(t1) } },
    });
    expect(app.containerID).not.toBe(before.app.containerID);
    h.at(t1 + 600)
      .at(t1 + 5000)
      .at(t1 + 9000);
    expect(h.cs('app')).toMatchObject({ ready: true, restartCount: 1, containerID: app.containerID });
    expect(h.cs('sidecar')).toEqual(before.sidecar);
    expect(h.cond('Ready').status).toBe('True');
    expect(h.events.filter((e) => e.kind === 'restarted')).toHaveLength(1);
  });

  it('is idempotent across a kubelet restart: a record rebuilt from the status restarts nothing', () => {
    const h = running();
    h.setImage('app', 'nginx:1.26')
      .at(T0 + 10_000)
      .at(T0 + 10_500)
      .at(T0 + 10_600);
    const fresh = stepPod(h.pod, undefined, T0 + 20_000, config());
    expect(fresh.events).toEqual([]);
    expect(statusPatch(h.pod.status, kubeletStatus(h.pod, fresh.runtime, net, T0 + 20_000))).toBeNull();
  });

  it('a kubelet restart mid-restart (old container terminated) finishes with exactly one restart', () => {
    const h = running();
    h.setImage('app', 'nginx:1.26').at(T0 + 10_000);
    const killedId = h.cs('app').containerID;
    h.rt = undefined; // forget everything but the published status
    h.events = [];
    h.at(T0 + 11_000);
    expect(h.cs('app').state?.terminated).toBeDefined();
    h.at(T0 + 11_500)
      .at(T0 + 11_600)
      .at(T0 + 12_000);
    expect(h.cs('app')).toMatchObject({ restartCount: 1, image: 'nginx:1.26', ready: true, lastState: { terminated: { containerID: killedId } } });
    expect(h.events.filter((e) => e.kind === 'restarted')).toHaveLength(1);
  });

  it('changing the image back and forth while pulling restarts once with the latest image', () => {
    const h = running();
    h.setImage('app', 'nginx:1.26').at(T0 + 10_000);
    h.setImage('app', 'nginx:1.27').at(T0 + 10_100);
    h.at(T0 + 10_500);
    expect(h.cs('app')).toMatchObject({ image: 'nginx:1.27', restartCount: 1 });
    expect(h.events.filter((e) => e.kind === 'restarted')).toHaveLength(1);
  });
});

describe('unpullable images', () => {
  it('new pod: Pending, ErrImagePull then ImagePullBackOff, no imageID', () => {
    const h = new Harness(makePod({ images: { app: 'unpullable:1' } })).at(T0).at(T0 + 300);
    expect(h.status.phase).toBe('Pending');
    expect(h.cs('app')).toMatchObject({ image: 'unpullable:1', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'ErrImagePull' } } });
    expect(h.cs('app').state?.waiting?.message).toContain('"unpullable:1"');
    expect(h.wakeAt).toBe(T0 + 700);
    h.at(T0 + 700);
    expect(h.cs('app').state?.waiting).toEqual({ reason: 'ImagePullBackOff', message: 'Back-off pulling image "unpullable:1"' });
    expect(h.wakeAt).toBeUndefined();
  });

  it('in-place change to an unpullable image: old container gone, waiting, restartCount unchanged; a fix starts it', () => {
    const h = new Harness(makePod()).at(T0).at(T0 + 1000);
    const old = h.cs('app');
    const t1 = T0 + 10_000;
    h.setImage('app', 'nginx:unpullable')
      .at(t1)
      .at(t1 + 500);
    expect(h.cs('app')).toMatchObject({
      image: 'nginx:1.25', // the last instance's image, as the real kubelet reports it; imageID unchanged too
      imageID: old.imageID,
      ready: false,
      started: false,
      restartCount: 0,
      state: { waiting: { reason: 'ErrImagePull' } },
      lastState: { terminated: { containerID: old.containerID, reason: 'Completed', exitCode: 0 } },
    });
    expect(h.status.phase).toBe('Running');
    h.at(t1 + 900);
    expect(h.cs('app').state?.waiting?.reason).toBe('ImagePullBackOff');
    expect(h.cs('sidecar')).toMatchObject({ ready: true, restartCount: 0 });
    h.setImage('app', 'nginx:1.26').at(t1 + 2000);
    expect(h.wakeAt).toBe(t1 + 2500);
    h.at(t1 + 2500).at(t1 + 2600);
    expect(h.cs('app')).toMatchObject({
      image: 'nginx:1.26',
      restartCount: 1,
      ready: true,
      state: { running: {} },
      lastState: { terminated: { containerID: old.containerID } },
    });
  });

  it('a kubelet restart keeps ImagePullBackOff as is', () => {
    const h = new Harness(makePod({ images: { app: 'unpullable:1' } }))
      .at(T0)
      .at(T0 + 300)
      .at(T0 + 700);
    const fresh = stepPod(h.pod, undefined, T0 + 5000, config());
    expect(statusPatch(h.pod.status, kubeletStatus(h.pod, fresh.runtime, net, T0 + 5000))).toBeNull();
  });
});

describe('deletion', () => {
  function deleting(h: Harness, graceSeconds: number): Harness {
    h.pod = structuredClone(h.pod);
    h.pod.metadata.deletionTimestamp = rfc3339(T0 + 20_000);
    h.pod.metadata.deletionGracePeriodSeconds = graceSeconds;
    return h;
  }

  it('containers exit after min(grace, deleteDelay); phase Succeeded; pod may then be removed', () => {
    const h = deleting(new Harness(makePod()).at(T0).at(T0 + 1000), 30);
    h.at(T0 + 20_000);
    expect(h.rt!.terminated).toBe(false);
    expect(h.wakeAt).toBe(T0 + 20_200);
    expect(h.cs('app').state?.running).toBeDefined();
    h.at(T0 + 20_200);
    expect(h.rt!.terminated).toBe(true);
    expect(h.status.phase).toBe('Succeeded');
    expect(h.cs('app')).toMatchObject({
      ready: false,
      started: false,
      state: { terminated: { exitCode: 0, reason: 'Completed', finishedAt: rfc3339(T0 + 20_200) } },
    });
    expect(h.cond('ContainersReady')).toMatchObject({ status: 'False', reason: 'PodCompleted' });
    expect(h.cond('Ready')).toMatchObject({ status: 'False', reason: 'PodCompleted' });
    expect(h.wakeAt).toBeUndefined();
  });

  it('grace period 0 exits immediately; an image change on a terminating pod restarts nothing', () => {
    const h = deleting(new Harness(makePod()).at(T0).at(T0 + 1000), 0);
    h.setImage('app', 'nginx:2').at(T0 + 20_000);
    expect(h.rt!.terminated).toBe(true);
    expect(h.events.filter((e) => e.kind === 'killed' || e.kind === 'restarted')).toEqual([]);
  });

  it('a pod deleted before its containers started never starts them and ends Failed', () => {
    const h = deleting(new Harness(makePod()).at(T0), 1);
    h.at(T0 + 1);
    h.at(T0 + 20_000).at(T0 + 21_000);
    expect(h.rt!.terminated).toBe(true);
    expect(h.events.some((e) => e.kind === 'started')).toBe(false);
    expect(h.status.phase).toBe('Failed');
  });

  it('a kubelet restart after the containers exited knows the pod may be removed', () => {
    const h = deleting(new Harness(makePod()).at(T0).at(T0 + 1000), 0).at(T0 + 20_000);
    expect(stepPod(h.pod, undefined, T0 + 30_000, config()).runtime.terminated).toBe(true);
  });
});

describe('podPhase', () => {
  const cs = (state: ContainerStatus['state'], lastState: ContainerStatus['lastState'] = {}): ContainerStatus => ({
    name: 'c',
    image: 'i',
    imageID: '',
    ready: false,
    restartCount: 0,
    state,
    lastState,
  });
  it.each([
    { name: 'all running', states: [cs({ running: {} }), cs({ running: {} })], terminated: false, phase: 'Running' },
    { name: 'one never started', states: [cs({ running: {} }), cs({ waiting: { reason: 'ContainerCreating' } })], terminated: false, phase: 'Pending' },
    {
      name: 'waiting after a previous run',
      states: [cs({ waiting: { reason: 'ErrImagePull' } }, { terminated: { exitCode: 0 } })],
      terminated: false,
      phase: 'Running',
    },
    { name: 'killed, restarting', states: [cs({ terminated: { exitCode: 0 } })], terminated: false, phase: 'Running' },
    { name: 'terminal, exit 0', states: [cs({ terminated: { exitCode: 0 } })], terminated: true, phase: 'Succeeded' },
    { name: 'terminal, exit 137', states: [cs({ terminated: { exitCode: 137 } })], terminated: true, phase: 'Failed' },
    { name: 'no containers', states: [], terminated: false, phase: 'Pending' },
  ])('$name → $phase', ({ states, terminated, phase }) => {
    expect(podPhase(states, terminated)).toBe(phase);
  });
});

describe('statusPatch', () => {
  function steady(): Harness {
    return new Harness(makePod({ gates: ['InPlaceUpdateReady'], conditions: [{ type: 'InPlaceUpdateReady', status: 'False', reason: 'Rollout' }] }))
      .at(T0)
      .at(T0 + 1000);
  }

  it('is null when nothing changed, including after an apiserver round trip with ms timestamps and dropped empties', () => {
    const h = steady();
    expect(statusPatch(h.pod.status, h.status)).toBeNull();
    const roundTripped = JSON.parse(
      JSON.stringify(h.pod.status, (k, v) => (k === 'lastState' ? undefined : typeof v === 'string' && /Z$/.test(v) ? v.replace('Z', '.000Z') : v)),
    );
    expect(statusPatch(roundTripped, h.status)).toBeNull();
  });

  it('carries only the changed kubelet conditions, never the readiness-gate condition', () => {
    const h = steady();
    h.setCondition({ type: 'InPlaceUpdateReady', status: 'True' });
    const desired = kubeletStatus(h.pod, h.rt!, net, T0 + 2000);
    const patch = statusPatch(h.pod.status, desired)!;
    expect(Object.keys(patch.status)).toEqual(['conditions']);
    expect(patch.status.conditions!.map((c) => c.type)).toEqual(['Ready']);
  });

  it('deletes a stale reason/message with null when a condition turns True', () => {
    const h = steady();
    h.setCondition({ type: 'InPlaceUpdateReady', status: 'True' });
    const patch = statusPatch(h.pod.status, kubeletStatus(h.pod, h.rt!, net, T0 + 2000))!;
    expect(patch.status.conditions![0]).toEqual({ type: 'Ready', status: 'True', lastTransitionTime: rfc3339(T0 + 2000), reason: null, message: null });
  });

  it('sends the whole containerStatuses list when one container changes', () => {
    const h = steady();
    h.setImage('app', 'nginx:9');
    const r = stepPod(h.pod, h.rt, T0 + 3000, h.cfg);
    const patch = statusPatch(h.pod.status, kubeletStatus(h.pod, r.runtime, net, T0 + 3000))!;
    expect(patch.status.containerStatuses!.map((c) => c.name)).toEqual(['app', 'sidecar']);
    expect(patch.status.phase).toBeUndefined();
  });

  it('canonical() drops empties and truncates timestamps', () => {
    expect(canonical({ a: '', b: null, c: {}, d: [], e: false, f: '2025-01-01T00:00:00.123Z', g: [{}] })).toEqual({ e: false, f: '2025-01-01T00:00:00Z' });
  });
});

describe('syncGates: a readiness gate written by someone else reaches Ready on the next status sync', () => {
  const DELAY = 1000;
  const gated = (status: string | null): Pod =>
    makePod({ gates: ['InPlaceUpdateReady'], conditions: status === null ? [] : [{ type: 'InPlaceUpdateReady', status }] });
  const synced = (status: string): GateSync => ({ synced: JSON.stringify({ InPlaceUpdateReady: status }), pendingSince: null });

  it.each<[string, Pod, GateSync | undefined, number, number, { holdReady: boolean; wakeAt?: number; synced: string; pendingSince: number | null }]>([
    [
      'first sight of a Pod (or a kubelet restart): synced at once',
      gated('True'),
      undefined,
      0,
      DELAY,
      { holdReady: false, synced: 'True', pendingSince: null },
    ],
    ['no change: nothing held', gated('True'), synced('True'), 0, DELAY, { holdReady: false, synced: 'True', pendingSince: null }],
    [
      'gate True → False just seen: Ready held until the sync',
      gated('False'),
      synced('True'),
      0,
      DELAY,
      { holdReady: true, wakeAt: T0 + DELAY, synced: 'True', pendingSince: T0 },
    ],
    [
      'still before the sync: held, counted from when first seen',
      gated('False'),
      { ...synced('True'), pendingSince: T0 },
      999,
      DELAY,
      { holdReady: true, wakeAt: T0 + DELAY, synced: 'True', pendingSince: T0 },
    ],
    ['at the sync: taken in', gated('False'), { ...synced('True'), pendingSince: T0 }, 1000, DELAY, { holdReady: false, synced: 'False', pendingSince: null }],
    [
      'a missing gate condition counts as a status of its own',
      gated(null),
      synced('True'),
      0,
      DELAY,
      { holdReady: true, wakeAt: T0 + DELAY, synced: 'True', pendingSince: T0 },
    ],
    ['delay 0: at once', gated('False'), synced('True'), 0, 0, { holdReady: false, synced: 'False', pendingSince: null }],
    [
      'back to what Ready reflects before the sync: nothing held',
      gated('True'),
      { ...synced('True'), pendingSince: T0 },
      500,
      DELAY,
      { holdReady: false, synced: 'True', pendingSince: null },
    ],
  ])('%s', (_name, pod, prev, after, delay, expected) => {
    const r = syncGates(pod, prev, T0 + after, delay);
    const { synced: key, pendingSince } = r.sync;
    const got = { holdReady: r.holdReady, ...(r.wakeAt !== undefined ? { wakeAt: r.wakeAt } : {}), synced: JSON.parse(key).InPlaceUpdateReady, pendingSince };
    expect(got).toEqual(expected);
  });

  it('step by step: gate False stays out of Ready for the delay, then Ready=False; a Ready=False written with the gate is kept meanwhile', () => {
    // 1. A running Pod, gate True, Ready True, synced.
    const h = new Harness(gated('True')).at(T0).at(T0 + 1000);
    expect(h.cond('Ready').status).toBe('True');
    let sync = syncGates(h.pod, undefined, T0 + 1000, DELAY).sync;
    // 2. The gate goes False (someone else's write): within the delay the kubelet's patch leaves Ready alone...
    h.setCondition({ type: 'InPlaceUpdateReady', status: 'False' });
    const held = syncGates(h.pod, sync, T0 + 1100, DELAY);
    expect(held.holdReady).toBe(true);
    sync = held.sync;
    const desired = kubeletStatus(h.pod, h.rt!, net, T0 + 1100);
    expect(statusPatch(h.pod.status, desired, { holdReady: true })).toBeNull();
    // ...so Ready stays True in the API (the Pod stays in its Services' endpoints) unless the writer set it False.
    expect(h.pod.status!.conditions!.find((c) => c.type === 'Ready')!.status).toBe('True');
    // 3. A Ready=False written by the rollout with the gate is not overwritten meanwhile.
    h.setCondition({ type: 'Ready', status: 'False', reason: 'ReadinessGatesNotReady' });
    expect(
      statusPatch(h.pod.status, kubeletStatus(h.pod, h.rt!, net, T0 + 1500), { holdReady: syncGates(h.pod, sync, T0 + 1500, DELAY).holdReady }),
    ).toBeNull();
    // 4. At the sync the kubelet computes Ready from the gate: False, as already written.
    const atSync = syncGates(h.pod, sync, T0 + 1100 + DELAY, DELAY);
    expect(atSync.holdReady).toBe(false);
    const patch = statusPatch(h.pod.status, kubeletStatus(h.pod, h.rt!, net, T0 + 1100 + DELAY), { holdReady: false });
    const after = patch ? applyStatusPatch(h.pod, patch.status) : h.pod;
    expect(after.status!.conditions!.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'ReadinessGatesNotReady' });
  });
});
