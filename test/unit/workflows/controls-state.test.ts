/** The controls' pure rules: validators, overrides in the planner's spec, holding decisions, phases. */
import { describe, expect, it } from 'vitest';
import { imagesOfRevision, type PlanSpec, type RolloutDecision } from '../../../src/rollout/index.js';
import {
  applyOverrides,
  checkMaxUnavailable,
  checkPartition,
  checkRetargetImages,
  controlledPhase,
  gateDecision,
  initialControls,
  isFinished,
  lanesInFlight,
  progressView,
} from '../../../src/workflows/controls-state.js';
import { renderDetails } from '../../../src/workflows/details.js';
import { PodStep, RolloutPhase, type ControlsState, type RolloutProgress } from '../../../src/workflows/messages.js';
import { planSpec } from '../rollout/fixtures.js';

const spec: PlanSpec = planSpec();
const controls = (over: Partial<ControlsState> = {}): ControlsState => ({ ...initialControls(), ...over });

function decision(over: Partial<RolloutDecision> = {}): RolloutDecision {
  return {
    phase: 'updating',
    scaleUp: 0,
    scaleUpOldRevision: 0,
    scaleDown: [],
    update: [{ name: 'web-a', action: 'inPlace' }],
    blocked: [],
    unavailable: 1,
    budget: 1,
    done: false,
    waiting: '',
    nextCheckAtMs: null,
    nextCheckInMs: null,
    counts: {
      desired: 5,
      current: 5,
      observed: 5,
      deleting: 0,
      inactive: 0,
      updated: 1,
      old: 4,
      available: 4,
      unavailable: 1,
      inFlight: 0,
      updateNum: 4,
      partition: 0,
      maxUnavailable: 1,
      maxSurge: 0,
      useSurge: 0,
    },
    ...over,
  } as RolloutDecision;
}

describe('control validators', () => {
  it.each([
    [3, null],
    ['3', null],
    ['40%', null],
    [0, null],
    ['100%', null],
    [null, null],
    [-1, /partition -1 must be an integer/],
    ['150%', /partition "150%" must be/],
    ['abc', /partition "abc"/],
    [1.5, /partition 1.5/],
    [true, /partition true/],
  ])('setPartition(%j) → %s', (value, problem) => {
    const got = checkPartition(value);
    if (problem === null) expect(got).toBeNull();
    else expect(got).toMatch(problem);
  });

  it.each([
    [2, null],
    ['50%', null],
    [null, null],
    ['101%', /maxUnavailable "101%" must be/],
    [-2, /maxUnavailable -2/],
    [0, /must not both be less than 1/],
    ['0%', /must not both be less than 1/],
  ])('setMaxUnavailable(%j) with 5 replicas and no surge → %s', (value, problem) => {
    const got = checkMaxUnavailable(value, { replicas: 5, maxSurge: 0 });
    if (problem === null) expect(got).toBeNull();
    else expect(got).toMatch(problem);
  });

  it('accepts maxUnavailable 0 when maxSurge can do the work, as Kruise does', () => {
    expect(checkMaxUnavailable(0, { replicas: 5, maxSurge: 1 })).toBeNull();
  });

  it('rejects retarget images naming an invalid reference, accepts a valid one', () => {
    expect(checkRetargetImages({ nginx: 'nginx:1.28' })).toBeNull();
    expect(checkRetargetImages({ nginx: 'UPPER CASE' })).toMatch(/images\.nginx/);
    expect(checkRetargetImages(undefined)).toBeNull();
  });
});

describe('overrides in the planner spec', () => {
  it.each([
    ['nothing overridden keeps the CloneSet spec', controls(), { partition: 0, maxUnavailable: 1, paused: false }],
    ['partition "40%" of 5 rounds up to 2', controls({ partition: '40%' }), { partition: 2 }],
    ['partition "90%" of 5 keeps one Pod moving (4)', controls({ partition: '90%' }), { partition: 4 }],
    ['maxUnavailable "50%" of 5 rounds up to 3 without surge', controls({ maxUnavailable: '50%' }), { maxUnavailable: 3 }],
    ['pause holds updates', controls({ paused: true }), { paused: true }],
    ['abort without rollback holds updates', controls({ aborted: { rollback: false, atMs: 1, toRevision: null } }), { paused: true }],
    [
      'rollback moves every Pod: partition 0, not paused',
      controls({ partition: 3, aborted: { rollback: true, atMs: 1, toRevision: 'r1' } }),
      { partition: 0, paused: false },
    ],
  ] as const)('%s', (_name, c, expected) => {
    expect(applyOverrides(spec, c)).toMatchObject(expected);
  });
});

describe('holding decisions', () => {
  it('while paused, starts nothing and says why; settled once no lane is in flight', () => {
    const held = gateDecision(decision({ scaleUp: 1 }), controls({ paused: true }), 1, false);
    expect(held).toMatchObject({ update: [], scaleUp: 0, scaleDown: [], done: false });
    expect(held.waiting).toMatch(/paused/);
    expect(gateDecision(decision(), controls({ paused: true }), 0, false).done).toBe(true);
  });

  it('does not hold without controls: the decision is returned as is', () => {
    const d = decision();
    expect(gateDecision(d, controls(), 0, false)).toBe(d);
  });

  it('holds new lanes until the rollback template is in place', () => {
    const c = controls({ aborted: { rollback: true, atMs: 1, toRevision: null } });
    expect(gateDecision(decision(), c, 0, true).update).toEqual([]);
    expect(gateDecision(decision(), c, 0, false).update).toHaveLength(1);
  });

  it.each([
    ['planner done, nothing in flight', controls(), true, false, 0, false, true],
    ['planner done but a lane is in flight', controls(), true, false, 1, false, false],
    ['aborting with nothing in flight', controls({ aborted: { rollback: false, atMs: 1, toRevision: null } }), false, false, 0, false, true],
    ['aborting while a lane finishes', controls({ aborted: { rollback: false, atMs: 1, toRevision: null } }), false, false, 1, false, false],
    ['rollback not yet in the template', controls({ aborted: { rollback: true, atMs: 1, toRevision: null } }), true, false, 0, true, false],
    ['operator partition holds a finished canary open', controls({ partition: 4 }), true, true, 0, false, false],
    ['paused with Pods left', controls({ paused: true }), false, false, 0, false, false],
  ] as const)('finished? %s', (_name, c, plannerDone, holdsPartition, inFlight, pending, expected) => {
    expect(isFinished(c, plannerDone, holdsPartition, inFlight, pending)).toBe(expected);
  });

  it.each([
    [RolloutPhase.Updating, controls({ aborted: { rollback: true, atMs: 1, toRevision: null } }), RolloutPhase.RollingBack],
    [RolloutPhase.Completed, controls({ aborted: { rollback: true, atMs: 1, toRevision: null } }), RolloutPhase.RolledBack],
    [RolloutPhase.Completed, controls({ aborted: { rollback: false, atMs: 1, toRevision: null } }), RolloutPhase.Aborted],
    [RolloutPhase.Updating, controls({ aborted: { rollback: false, atMs: 1, toRevision: null } }), RolloutPhase.Aborting],
    [RolloutPhase.Completed, controls(), RolloutPhase.Completed],
  ] as const)('phase %s shows as %s under the controls', (phase, c, expected) => {
    expect(controlledPhase(phase, c)).toBe(expected);
  });
});

describe('rollback images, progress view and details', () => {
  const pod = (name: string, revision: string, image: string, deleting = false) =>
    ({ name, revision, deleting, containers: [{ name: 'nginx', specImage: image }] }) as never;

  it('reads the starting revision images from a live Pod still on it', () => {
    expect(imagesOfRevision([pod('a', 'r2', 'nginx:2'), pod('b', 'r1', 'nginx:1')], 'r1')).toEqual({ nginx: 'nginx:1' });
    expect(imagesOfRevision([pod('b', 'r1', 'nginx:1', true)], 'r1')).toBeNull();
    expect(imagesOfRevision([pod('a', 'r2', 'nginx:2')], null)).toBeNull();
  });

  const progress: RolloutProgress = {
    phase: RolloutPhase.Updating,
    namespace: 'default',
    name: 'web',
    fromRevision: 'web-r1',
    toRevision: 'web-r2',
    strategy: 'InPlaceIfPossible',
    counts: { desired: 3, total: 3, updated: 1, ready: 2, available: 2, unavailable: 1 },
    window: 1,
    waiting: null,
    pods: {
      'web-a': { action: 'inPlace', step: PodStep.Done, revision: 'web-r2', steps: [] },
      'web-b': { action: 'inPlace', step: PodStep.Grace, revision: 'web-r2', steps: [] },
      'web-c': { action: 'inPlace', step: PodStep.Grace, revision: 'web-r2', steps: [], error: 'superseded by a newer CloneSet spec' },
    },
    startedAtMs: Date.UTC(2026, 0, 1, 12, 0, 0),
    updatedAtMs: Date.UTC(2026, 0, 1, 12, 1, 5),
    error: null,
  };

  it('counts running lanes only (not finished, failed or superseded ones)', () => {
    expect(lanesInFlight(progress)).toBe(1);
  });

  it('adds paused, overrides, timing and the window at work to the progress query', () => {
    const v = progressView(progress, controls({ paused: true, partition: '40%' }));
    expect(v).toMatchObject({
      paused: true,
      controls: { partition: '40%' },
      timing: { startedAt: '2026-01-01T12:00:00.000Z', updatedAt: '2026-01-01T12:01:05.000Z', elapsedMs: 65_000 },
      windowInUse: { size: 1, unavailable: 1, inFlight: 1 },
    });
  });

  it('shows the controls in effect and the elapsed time in the UI details', () => {
    const md = renderDetails({ ...progress, controls: controls({ paused: true, maxUnavailable: 2, log: [{ control: 'pause', atMs: 1 }] }) });
    expect(md).toContain('controls: **paused** · maxUnavailable 2 (override) (last: pause)');
    expect(md).toContain('elapsed 1m 05s');
    expect(renderDetails({ ...progress, controls: controls() })).not.toContain('controls:');
  });
});
