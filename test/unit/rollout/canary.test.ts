/**
 * Canary steps, the pure rules, step by step: the Pods each step asks for, the partition that holds a step, when a
 * step is reached, the checks of steps at start, and the validators of approve and promote.
 */
import { describe, expect, it } from 'vitest';
import {
  CanaryStatus,
  checkApprove,
  checkApprover,
  checkPromote,
  checkSteps,
  describeCanary,
  describeSteps,
  heldPartition,
  parseRolloutAnnotations,
  parseRolloutInput,
  stepPartition,
  stepReached,
  stepTargets,
  type CanaryGate,
} from '../../../src/rollout/index.js';

const KRUISE_STEPS = [{ replicas: 1 }, { replicas: '50%' }, { replicas: '100%' }];

describe('stepTargets: Pods at the new revision once each step is reached', () => {
  const rows: { name: string; steps: { replicas: number | string }[]; replicas: number; want: number[] }[] = [
    { name: '1, 50%, 100% of 4 Pods → 1, 2, 4', steps: KRUISE_STEPS, replicas: 4, want: [1, 2, 4] },
    { name: '1, 50%, 100% of 5 Pods → 1, 3 (50% rounds up), 5', steps: KRUISE_STEPS, replicas: 5, want: [1, 3, 5] },
    { name: 'scaled to 10 Pods the percents are recomputed → 1, 5, 10', steps: KRUISE_STEPS, replicas: 10, want: [1, 5, 10] },
    { name: 'an integer above replicas counts as all of them → 3 of 3', steps: [{ replicas: 7 }], replicas: 3, want: [3] },
    { name: 'a later percent below an earlier integer never goes down → 3, 3', steps: [{ replicas: 3 }, { replicas: '10%' }], replicas: 10, want: [3, 3] },
    { name: '0 replicas → 0 for every step', steps: KRUISE_STEPS, replicas: 0, want: [0, 0, 0] },
    { name: '1% of 4 Pods rounds up to 1', steps: [{ replicas: '1%' }], replicas: 4, want: [1] },
  ];
  it.each(rows)('$name', ({ steps, replicas, want }) => {
    expect(stepTargets(steps, replicas)).toEqual(want);
  });
});

describe('stepPartition: the partition that holds a step', () => {
  const rows = [
    { name: 'step 1 of 1, 50%, 100% with 4 Pods keeps 3 on the old revision', index: 0, replicas: 4, want: 3 },
    { name: 'step 2 keeps 2', index: 1, replicas: 4, want: 2 },
    { name: 'step 3 (100%) keeps none', index: 2, replicas: 4, want: 0 },
    { name: 'past the last step: partition 0', index: 3, replicas: 4, want: 0 },
    { name: 'no step (index -1): partition 0', index: -1, replicas: 4, want: 0 },
  ];
  it.each(rows)('$name', ({ index, replicas, want }) => {
    expect(stepPartition(KRUISE_STEPS, index, replicas)).toBe(want);
  });
});

describe('heldPartition: the partition the planner runs with while a step holds', () => {
  const rows = [
    { name: 'step 1 of 4 Pods with the CloneSet at partition 0: the step keeps 3', index: 0, spec: { replicas: 4, partition: 0 }, want: 3 },
    { name: 'a CloneSet partition of 3 keeps more back than step 2 (2): 3 stays', index: 1, spec: { replicas: 4, partition: 3 }, want: 3 },
    { name: 'the 100% step leaves the CloneSet partition alone', index: 2, spec: { replicas: 4, partition: 1 }, want: 1 },
  ];
  it.each(rows)('$name', ({ index, spec, want }) => {
    expect(heldPartition(KRUISE_STEPS, index, spec)).toBe(want);
  });
});

describe('stepReached: the planner settled at the step, nothing in flight', () => {
  const rows = [
    { name: 'settled with 1 of 4 updated: step 1 reached', index: 0, round: { done: true, updated: 1, desired: 4, inFlight: 0 }, want: true },
    { name: 'a lane still in flight: not reached', index: 0, round: { done: true, updated: 1, desired: 4, inFlight: 1 }, want: false },
    { name: 'planner not done (a Pod not available yet): not reached', index: 0, round: { done: false, updated: 1, desired: 4, inFlight: 0 }, want: false },
    {
      name: 'settled but fewer Pods than the step asks (an old round): not reached',
      index: 1,
      round: { done: true, updated: 1, desired: 4, inFlight: 0 },
      want: false,
    },
    { name: 'more Pods than the step asks (updated before): reached', index: 0, round: { done: true, updated: 3, desired: 4, inFlight: 0 }, want: true },
    { name: 'an index past the steps: never reached', index: 5, round: { done: true, updated: 4, desired: 4, inFlight: 0 }, want: false },
  ];
  it.each(rows)('$name', ({ index, round, want }) => {
    expect(stepReached(KRUISE_STEPS, index, round)).toBe(want);
  });
});

describe('checkSteps: what is refused before any CloneSet is read', () => {
  const rows: { name: string; steps: { replicas: number | string }[]; want: string[] }[] = [
    { name: 'rising steps are taken', steps: KRUISE_STEPS, want: [] },
    { name: 'equal steps are taken (an analysis after an approval at the same size)', steps: [{ replicas: 2 }, { replicas: 2 }], want: [] },
    {
      name: 'integers that go down are refused at the lower step',
      steps: [{ replicas: 2 }, { replicas: 1 }],
      want: ["1:1 goes down from step 1's 2: steps only add Pods"],
    },
    {
      name: 'percents that go down are refused',
      steps: [{ replicas: '50%' }, { replicas: '20%' }],
      want: ["1:20% goes down from step 1's 50%: steps only add Pods"],
    },
    { name: 'a mix of kinds is compared once replicas are known', steps: [{ replicas: 3 }, { replicas: '10%' }], want: [] },
    { name: 'no step at all is refused', steps: [], want: ['-1:must have at least one step (or leave steps out)'] },
    { name: 'more than 20 steps are refused', steps: Array.from({ length: 21 }, (_, i) => ({ replicas: i })), want: ['-1:has 21 steps; at most 20 are taken'] },
  ];
  it.each(rows)('$name', ({ steps, want }) => {
    expect(checkSteps(steps).map((p) => `${p.index}:${p.message}`)).toEqual(want);
  });
});

describe('the input: steps refused naming the field', () => {
  const rows: { name: string; steps: unknown; want: RegExp }[] = [
    {
      name: 'replicas over 100%',
      steps: [{ replicas: '150%' }],
      want: /steps\[0\]\.replicas: "150%" must be an integer ≥ 0 or a percentage between 0% and 100%/,
    },
    { name: 'a negative replicas', steps: [{ replicas: -1 }], want: /steps\[0\]\.replicas: -1 must be an integer/ },
    {
      name: 'a bake time that is not a whole number of seconds',
      steps: [{ replicas: 1, pause: { duration: 1.5 } }],
      want: /steps\[0\]\.pause\.duration: must be an integer number of seconds/,
    },
    { name: 'an unknown pause field', steps: [{ replicas: 1, pause: { until: 'later' } }], want: /steps\[0\]\.pause\.until: unknown field/ },
    { name: "OpenKruise Rollouts' traffic field (not taken)", steps: [{ replicas: 1, traffic: '10%' }], want: /steps\[0\]\.traffic: unknown field/ },
    { name: 'steps going down', steps: [{ replicas: 3 }, { replicas: 2 }], want: /steps\[1\]\.replicas: 2 goes down from step 1's 3/ },
    {
      name: 'an analysis with an unparsable condition',
      steps: [
        {
          replicas: 1,
          analysis: { metrics: [{ name: 'm', interval: '5s', successCondition: 'result[0] <', provider: { web: { url: 'http://x', jsonPath: '{$.a}' } } }] },
        },
      ],
      want: /steps\[0\]\.analysis\.metrics\[0\]\.successCondition/,
    },
  ];
  it.each(rows)('$name', ({ steps, want }) => {
    const r = parseRolloutInput({ namespace: 'default', name: 'web', steps });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.map((e) => e.message).join('\n')).toMatch(want);
  });

  it('steps in the shape OpenKruise Rollouts documents are taken as they are', () => {
    const steps = [{ replicas: 1, pause: {} }, { replicas: '50%', pause: { duration: 300 } }, { replicas: '100%' }];
    const r = parseRolloutInput({ namespace: 'default', name: 'web', steps });
    expect(r.ok && r.value.steps).toEqual(steps);
  });
});

describe('parseRolloutAnnotations: the CloneSet annotations for controller mode', () => {
  it('reads steps, analysis and notifications, each from its annotation', () => {
    const r = parseRolloutAnnotations({
      steps: '[{"replicas": 1, "pause": {}}]',
      analysis: JSON.stringify({
        metrics: [{ name: 'm', interval: '5s', successCondition: 'result == true', provider: { web: { url: 'http://x', jsonPath: '{$.ok}' } } }],
      }),
      notifications: '{"webhook": {"url": "http://hooks.local/x"}}',
    });
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.value.steps).toEqual([{ replicas: 1, pause: {} }]);
      expect(r.value.analysis?.metrics[0]?.name).toBe('m');
      expect(r.value.notifications?.webhook.url).toBe('http://hooks.local/x');
    }
  });
  const rows = [
    { name: 'steps that are not JSON', raw: { steps: '[{replicas: 1}' }, want: /metadata\.annotations\[cloneset-rollout\.io\/steps\]: is not JSON/ },
    { name: 'a step over 100%', raw: { steps: '[{"replicas": "200%"}]' }, want: /metadata\.annotations\[cloneset-rollout\.io\/steps\]\[0\]\.replicas: "200%"/ },
    {
      name: 'notifications without a url',
      raw: { notifications: '{"webhook": {}}' },
      want: /metadata\.annotations\[cloneset-rollout\.io\/notifications\]\.webhook\.url: is required/,
    },
  ];
  it.each(rows)('refuses $name, naming the annotation', ({ raw, want }) => {
    const r = parseRolloutAnnotations(raw);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.map((e) => e.message).join('\n')).toMatch(want);
  });
});

const gate = (over: Partial<CanaryGate> = {}): CanaryGate => ({
  status: CanaryStatus.Rolling,
  current: 0,
  steps: [{ pause: {} }, { pause: { duration: 60 } }, {}],
  promoted: null,
  ...over,
});

describe('approve and promote: their validators', () => {
  const rows: { name: string; check: () => string | null; want: string | null }[] = [
    { name: 'approve with no steps is refused', check: () => checkApprove(null), want: 'approve: this rollout has no steps' },
    {
      name: 'approve while moving Pods is refused, saying where the canary is',
      check: () => checkApprove(gate()),
      want: 'approve: nothing waits for an approval (step 1 of 3: moving Pods)',
    },
    {
      name: 'approve while baking is refused',
      check: () => checkApprove(gate({ status: CanaryStatus.Baking, current: 1 })),
      want: 'approve: nothing waits for an approval (step 2 of 3: baking)',
    },
    { name: 'approve while paused is taken', check: () => checkApprove(gate({ status: CanaryStatus.Paused })), want: null },
    {
      name: 'approve while a background analysis holds is taken',
      check: () => checkApprove(gate({ status: CanaryStatus.Done, current: 3, heldBy: 'inconclusive' })),
      want: null,
    },
    { name: 'promote while baking is taken', check: () => checkPromote(gate({ status: CanaryStatus.Baking }), false), want: null },
    {
      name: 'promote after every step passed is refused',
      check: () => checkPromote(gate({ status: CanaryStatus.Done, current: 3 }), false),
      want: 'promote: nothing to promote (all 3 steps passed)',
    },
    { name: 'promote twice is refused', check: () => checkPromote(gate({ promoted: { full: false } }), false), want: 'promote: already promoted' },
    {
      name: 'promote full after a plain promote is taken (it also skips the analyses)',
      check: () => checkPromote(gate({ promoted: { full: false } }), true),
      want: null,
    },
    { name: 'promote full twice is refused', check: () => checkPromote(gate({ promoted: { full: true } }), true), want: 'promote: already promoted (full)' },
    {
      name: 'promote once stopped (aborted) is refused',
      check: () => checkPromote(gate({ status: CanaryStatus.Stopped }), false),
      want: 'promote: nothing to promote (the steps were stopped (aborted or rolling back))',
    },
    { name: 'an approver with by and reason is taken', check: () => checkApprover('approve', { by: 'alice', reason: 'ok' }), want: null },
    {
      name: 'an approver with an unknown field is refused, naming it',
      check: () => checkApprover('approve', { who: 'alice' }),
      want: 'approve: unknown field "who" (known: by, reason)',
    },
    {
      name: 'an approver whose by is not a string is refused',
      check: () => checkApprover('approve', { by: 5 }),
      want: 'approve: by must be a string of at most 1024 characters',
    },
    { name: 'promote takes full besides by and reason', check: () => checkApprover('promote', { full: true }, ['full']), want: null },
    { name: 'an approver that is a list is refused', check: () => checkApprover('approve', ['alice']), want: 'approve takes { "by": "...", "reason": "..." }' },
  ];
  it.each(rows)('$name', ({ check, want }) => {
    expect(check()).toBe(want);
  });
});

describe('how the canary is described', () => {
  it('names the step and what it does, for the validators and the UI', () => {
    expect(describeCanary(gate({ status: CanaryStatus.Analysing, current: 1 }))).toBe('step 2 of 3: analysing');
    expect(describeCanary(gate({ status: CanaryStatus.Paused }))).toBe('step 1 of 3: waiting for an approval');
  });
  it('lists each step with its Pods, analysis and pause, for plan', () => {
    const steps = [
      { replicas: 1, pause: {} },
      { replicas: '50%', analysis: { metrics: [{ name: 'error-rate' }] }, pause: { duration: 300 } },
      { replicas: '100%' },
    ];
    expect(describeSteps(steps, 4)).toEqual([
      'step 1: 1 of 4 Pod(s) at the new revision (replicas 1), then pause for an approval',
      'step 2: 2 of 4 Pod(s) at the new revision (replicas "50%"), then analysis error-rate, then bake 300s',
      'step 3: 4 of 4 Pod(s) at the new revision (replicas "100%")',
    ]);
  });
});
