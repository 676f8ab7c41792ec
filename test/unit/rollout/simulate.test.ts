import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCloneSets } from '../../../src/kube/apply.js';
import {
  planPodUpdate,
  planSpecFrom,
  revisionName,
  simulateRollout,
  simulationTimings,
  validateCloneSet,
  type InFlight,
  type NormalizedCloneSet,
  type PlanSpec,
  type PodUpdateAction,
  type PodView,
  type SimulationResult,
} from '../../../src/rollout/index.js';
import { NOW, planSpec, pod, pods } from './fixtures.js';

/** examples/nginx01.yaml and nginx02.yaml, parsed and validated as the CLI does. */
function example(file: string): NormalizedCloneSet {
  const [cs] = parseCloneSets(readFileSync(new URL(`../../../examples/${file}`, import.meta.url), 'utf8'), file);
  const v = validateCloneSet(cs);
  if (!v.ok) throw new Error(`${file} invalid`);
  return v.value;
}
const from = example('nginx01.yaml');
const to = example('nginx02.yaml');
const OLD = revisionName('nginxweb1', from.spec.template);
const NEW = revisionName('nginxweb1', to.spec.template);
const seedSpec = planSpecFrom(to.spec);
/** The 5 nginx:perl Pods of nginx01, nginxweb1-a the newest. */
const seedPods = (): PodView[] => ['a', 'b', 'c', 'd', 'e'].map((id, i) => pod(`nginxweb1-${id}`, { revision: OLD, age: 1000 + i * 60 }));
const seedAction = planPodUpdate(from.spec.template, to.spec.template, to.spec.updateStrategy.type).action;

const spec = (o: Partial<PlanSpec> = {}): PlanSpec => planSpec({ minReadySeconds: 30, ...o });

/** Waves as `"atSeconds action:name action:name"` strings, compact enough to read in a table. */
const waves = (r: SimulationResult): string[] => r.waves.map((w) => `${w.atSeconds} ${w.pods.map((p) => `${p.action}:${p.name}`).join(' ')}`);

interface Case {
  name: string;
  spec: PlanSpec;
  pods: PodView[];
  updateRevision?: string;
  actions?: Record<string, PodUpdateAction>;
  grace?: number;
  inFlight?: Record<string, InFlight>;
  waves: string[];
  outcome: SimulationResult['outcome'];
  seconds: number;
  totals: Partial<SimulationResult['totals']>;
  reason?: string;
}

const inPlace = { old: 'inPlace' } as const;

const cases: Case[] = [
  {
    name: 'the seed: nginx01 (5 × nginx:perl) → nginx02 (4 × nginx:latest, InPlaceIfPossible): two in place at a time while the surplus Pod serves, then it goes',
    spec: seedSpec,
    pods: seedPods(),
    updateRevision: NEW,
    actions: { [OLD]: seedAction },
    // Five serving, floor 4 − 1 = 3: two may go. nginxweb1-a (the newest, the one to delete) keeps serving so that
    // two can update at once; it goes when nothing waits for it. Each in-place update: 5 s restart + 30 s minReady.
    waves: ['0 inPlace:nginxweb1-b inPlace:nginxweb1-c', '35 inPlace:nginxweb1-d inPlace:nginxweb1-e', '70 delete:nginxweb1-a'],
    outcome: 'done',
    seconds: 75,
    totals: { waves: 3, inPlace: 4, recreate: 0, create: 0, delete: 1, surge: 0, maxUnavailable: 2, minServing: 3, maxPods: 5, remainingOld: 0 },
  },
  {
    name: 'the seed with maxUnavailable 2: three in place at once while the surplus Pod serves, then the last with its deletion',
    spec: { ...seedSpec, maxUnavailable: 2 },
    pods: seedPods(),
    updateRevision: NEW,
    actions: { [OLD]: seedAction },
    waves: ['0 inPlace:nginxweb1-b inPlace:nginxweb1-c inPlace:nginxweb1-d', '35 delete:nginxweb1-a', '35 inPlace:nginxweb1-e'],
    outcome: 'done',
    seconds: 70,
    totals: { inPlace: 4, delete: 1, maxUnavailable: 3, minServing: 2 },
  },
  {
    name: 'pure in place, maxUnavailable 1: five waves of one, 35 s apart',
    spec: spec(),
    pods: pods('p', 5),
    actions: inPlace,
    waves: ['0 inPlace:p-0', '35 inPlace:p-1', '70 inPlace:p-2', '105 inPlace:p-3', '140 inPlace:p-4'],
    outcome: 'done',
    seconds: 175,
    totals: { waves: 5, inPlace: 5, maxUnavailable: 1, maxPods: 5 },
  },
  {
    name: 'pure in place, maxUnavailable 2: waves of two',
    spec: spec({ maxUnavailable: 2 }),
    pods: pods('p', 5),
    actions: inPlace,
    waves: ['0 inPlace:p-0 inPlace:p-1', '35 inPlace:p-2 inPlace:p-3', '70 inPlace:p-4'],
    outcome: 'done',
    seconds: 105,
    totals: { waves: 3, inPlace: 5, maxUnavailable: 2 },
  },
  {
    name: 'gracePeriodSeconds 10 adds 10 s to every in-place update',
    spec: spec({ replicas: 2 }),
    pods: pods('p', 2),
    actions: inPlace,
    grace: 10,
    waves: ['0 inPlace:p-0', '45 inPlace:p-1'],
    outcome: 'done',
    seconds: 90,
    totals: { inPlace: 2 },
  },
  {
    name: 'partition 2 of 5: three Pods move, two stay',
    spec: spec({ partition: 2, maxUnavailable: 2 }),
    pods: pods('p', 5),
    actions: inPlace,
    waves: ['0 inPlace:p-0 inPlace:p-1', '35 inPlace:p-2'],
    outcome: 'done',
    seconds: 70,
    totals: { inPlace: 3, remainingOld: 2 },
  },
  {
    name: 'ReCreate with maxSurge 1 / maxUnavailable 0: a surge Pod first, then recreate one at a time, then the surplus old Pod goes',
    spec: spec({ type: 'ReCreate', maxSurge: 1, maxUnavailable: 0 }),
    pods: pods('p', 5),
    actions: { old: 'recreate' },
    // Surge: 10 s start + 30 s. Each recreate: 5 s terminate + 10 s start + 30 s.
    waves: ['0 create:new-1', '40 recreate:p-0', '85 recreate:p-1', '130 recreate:p-2', '175 recreate:p-3', '220 delete:p-4'],
    outcome: 'done',
    seconds: 225,
    totals: { waves: 6, inPlace: 0, recreate: 4, create: 1, delete: 1, surge: 1, maxUnavailable: 1, maxPods: 6 },
  },
  {
    name: 'scale up 5 → 8, unlimited: one wave of three creates',
    spec: spec({ replicas: 8 }),
    pods: pods('p', 5, { revision: 'new' }),
    waves: ['0 create:new-1 create:new-2 create:new-3'],
    outcome: 'done',
    seconds: 40,
    totals: { create: 3, maxUnavailable: 3, maxPods: 8 },
  },
  {
    name: 'scale up 5 → 8 with scaleStrategy.maxUnavailable 1: one create at a time',
    spec: spec({ replicas: 8, scaleMaxUnavailable: 1 }),
    pods: pods('p', 5, { revision: 'new' }),
    waves: ['0 create:new-1', '40 create:new-2', '80 create:new-3'],
    outcome: 'done',
    seconds: 120,
    totals: { create: 3, maxUnavailable: 1 },
  },
  {
    name: 'scale down 5 → 3: the two newest go in one wave',
    spec: spec({ replicas: 3 }),
    pods: pods('p', 5, { revision: 'new' }),
    waves: ['0 delete:p-0 delete:p-1'],
    outcome: 'done',
    seconds: 5,
    totals: { delete: 2, maxPods: 5 },
  },
  {
    name: 'create from nothing (the CloneSet does not exist yet): every replica is a create',
    spec: spec({ replicas: 3 }),
    pods: [],
    waves: ['0 create:new-1 create:new-2 create:new-3'],
    outcome: 'done',
    seconds: 40,
    totals: { create: 3 },
  },
  {
    name: 'paused: no waves, and it says paused',
    spec: spec({ paused: true }),
    pods: pods('p', 5),
    actions: inPlace,
    waves: [],
    outcome: 'paused',
    seconds: 0,
    totals: { waves: 0, remainingOld: 5 },
    reason: 'paused with 5 pod(s) left to update',
  },
  {
    name: 'paused: scaling still happens, then it stops',
    spec: { ...seedSpec, paused: true },
    pods: seedPods(),
    updateRevision: NEW,
    actions: { [OLD]: seedAction },
    waves: ['0 delete:nginxweb1-a'],
    outcome: 'paused',
    seconds: 5,
    totals: { delete: 1, remainingOld: 4 },
    reason: 'paused with 4 pod(s) left to update',
  },
  {
    name: 'InPlaceOnly with a change that is not in-place-able: blocked',
    spec: spec({ replicas: 2, type: 'InPlaceOnly' }),
    pods: pods('p', 2),
    actions: { old: 'fail' },
    waves: [],
    outcome: 'blocked',
    seconds: 0,
    totals: { remainingOld: 2 },
    reason: '2 pod(s) can not be updated',
  },
  {
    name: 'a lane already in flight counts against the window: the next Pod waits for it',
    spec: spec({ replicas: 3 }),
    pods: pods('p', 3),
    actions: inPlace,
    inFlight: { 'p-0': { action: 'inPlace', step: 'grace' } },
    waves: ['35 inPlace:p-1', '70 inPlace:p-2'],
    outcome: 'done',
    seconds: 105,
    totals: { inPlace: 2 },
  },
];

describe('simulateRollout: waves, totals and duration', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const r = simulateRollout({
      spec: c.spec,
      updateRevision: c.updateRevision ?? 'new',
      pods: c.pods,
      actionsByRevision: c.actions,
      inFlight: c.inFlight,
      timings: c.grace === undefined ? {} : { gracePeriodSeconds: c.grace },
      startMs: NOW,
    });
    expect(waves(r)).toEqual(c.waves);
    expect(r.outcome).toBe(c.outcome);
    expect(r.done).toBe(c.outcome === 'done');
    expect(r.estimatedSeconds).toBe(c.seconds);
    expect(r.totals).toMatchObject(c.totals);
    expect(r.totals.waves).toBe(c.waves.length);
    if (c.reason !== undefined) expect(r.reason).toBe(c.reason);
    if (c.outcome === 'done') expect(r.reason).toBe('');
  });
});

describe('simulateRollout: details', () => {
  it('names each move from → to revision, and the replacement of a recreated Pod', () => {
    const r = simulateRollout({
      spec: spec({ replicas: 2, type: 'ReCreate' }),
      updateRevision: 'rev-2',
      pods: pods('p', 2, { revision: 'rev-1' }),
      actionsByRevision: { 'rev-1': 'recreate' },
      newPodName: (n, action) => `web-${action}-${n}`,
    });
    expect(r.waves[0]).toEqual({
      wave: 1,
      atSeconds: 0,
      phase: 'updating',
      pods: [{ name: 'p-0', action: 'recreate', from: 'rev-1', to: 'rev-2', replacement: 'web-recreate-1' }],
      unavailable: 1,
    });
    expect(r.waves.map((w) => w.pods[0]!.replacement)).toEqual(['web-recreate-1', 'web-recreate-2']);
    expect(r.trace).toBeUndefined();
  });

  it('scale-down moves go to no revision, creates come from none', () => {
    const down = simulateRollout({ spec: spec({ replicas: 1 }), updateRevision: 'new', pods: pods('p', 2, { revision: 'new' }) });
    expect(down.waves[0]!.pods).toEqual([{ name: 'p-0', action: 'delete', from: 'new', to: null }]);
    const up = simulateRollout({ spec: spec({ replicas: 1 }), updateRevision: 'new', pods: [] });
    expect(up.waves[0]).toMatchObject({ phase: 'scaling', pods: [{ name: 'new-1', action: 'create', from: null, to: 'new' }] });
  });

  it('lists the lanes already running separately from the waves', () => {
    const r = simulateRollout({
      spec: spec({ replicas: 3 }),
      updateRevision: 'new',
      pods: pods('p', 3),
      actionsByRevision: inPlace,
      inFlight: { 'p-0': { action: 'inPlace' } },
      startMs: NOW,
    });
    expect(r.inFlight).toEqual([{ name: 'p-0', action: 'inPlace', from: 'old', to: 'new' }]);
    expect(r.waves.flatMap((w) => w.pods.map((p) => p.name))).toEqual(['p-1', 'p-2']);
  });

  it('a not-ready old Pod is updated first, and it fills the window until it is available', () => {
    const r = simulateRollout({
      spec: spec({ replicas: 3, minReadySeconds: 0 }),
      updateRevision: 'new',
      pods: [...pods('p', 2), pod('sick', { readyFor: null })],
      actionsByRevision: inPlace,
      startMs: NOW,
    });
    expect(waves(r)).toEqual(['0 inPlace:sick', '5 inPlace:p-0', '10 inPlace:p-1']);
    expect(r.estimatedSeconds).toBe(15);
  });

  it('a not-ready Pod no lane works on settles (Ready) after startSeconds, then the window opens', () => {
    const r = simulateRollout({
      spec: spec({ replicas: 2, minReadySeconds: 0 }),
      updateRevision: 'new',
      pods: [pod('p-0'), pod('n', { revision: 'new', readyFor: null })],
      actionsByRevision: inPlace,
      startMs: NOW,
    });
    expect(waves(r)).toEqual(['10 inPlace:p-0']);
    expect(r.estimatedSeconds).toBe(15);
  });

  it('starts at once on Ready Pods still inside minReadySeconds: they serve, so taking one costs its unit, no more', () => {
    const ps = [pod('p-0', { readyFor: 10 }), pod('p-1', { readyFor: 5 })];
    const r = simulateRollout({ spec: spec({ replicas: 2 }), updateRevision: 'new', pods: ps, actionsByRevision: inPlace });
    expect(waves(r)).toEqual(['0 inPlace:p-1', '35 inPlace:p-0']);
    // Started 5 s after p-1 became Ready (inside minReadySeconds 30): the same, no wait for minReadySeconds.
    const late = simulateRollout({ spec: spec({ replicas: 2 }), updateRevision: 'new', pods: ps, actionsByRevision: inPlace, startMs: NOW });
    expect(waves(late)).toEqual(['0 inPlace:p-1', '35 inPlace:p-0']);
    expect(late.totals.minServing).toBe(1);
  });

  it('resolves timings from the spec and the defaults', () => {
    expect(simulationTimings(spec({ minReadySeconds: 7 }))).toEqual({
      gracePeriodSeconds: 0,
      restartSeconds: 5,
      startSeconds: 10,
      terminateSeconds: 5,
      minReadySeconds: 7,
    });
    expect(simulationTimings(spec(), { restartSeconds: 1, startSeconds: 2 })).toMatchObject({ restartSeconds: 1, startSeconds: 2, minReadySeconds: 30 });
  });

  it('stops at maxSeconds with outcome limit', () => {
    const r = simulateRollout({ spec: spec(), updateRevision: 'new', pods: pods('p', 5), actionsByRevision: inPlace, maxSeconds: 60 });
    expect(r.outcome).toBe('limit');
    expect(r.done).toBe(false);
    expect(r.waves).toHaveLength(2);
    expect(r.reason).toMatch(/^simulation stopped after/);
  });

  it('is deterministic, plain JSON, and leaves its input alone', () => {
    const input = { spec: seedSpec, updateRevision: NEW, pods: seedPods(), actionsByRevision: { [OLD]: seedAction }, startMs: NOW };
    const before = JSON.stringify(input);
    const a = simulateRollout(input);
    expect(JSON.stringify(input)).toBe(before);
    expect(simulateRollout(input)).toEqual(a);
    expect(simulateRollout({ ...input, pods: [...input.pods].reverse() })).toEqual(a);
    expect(JSON.parse(JSON.stringify(a))).toEqual(a);
  });

  it('trace: the final Pods are all at the new revision, Ready, running the new image', () => {
    const r = simulateRollout({
      spec: seedSpec,
      updateRevision: NEW,
      pods: seedPods(),
      actionsByRevision: { [OLD]: seedAction },
      startMs: NOW,
      newPodTemplate: to.spec.template,
      trace: true,
    });
    expect(r.trace!.pods.map((p) => [p.name, p.revision, p.labels['controller-revision-hash'], p.ready, p.containers[0]!.statusImage])).toEqual(
      ['b', 'c', 'd', 'e'].map((id) => [`nginxweb1-${id}`, NEW, NEW, true, 'nginx:latest']),
    );
    expect(r.trace!.rounds.at(-1)!.decision.phase).toBe('done');
  });
});
