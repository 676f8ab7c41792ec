import { describe, expect, it } from 'vitest';
import {
  clustersToStart,
  fleetWorkflowId,
  haltingCluster,
  parseFleetInput,
  rollbackWaves,
  rolloutWorkflowIdIn,
  waveOutcome,
  type FleetClusterState,
} from '../../../src/rollout/index.js';

const base = { namespace: 'default', name: 'web', images: { nginx: 'nginx:1.27' } };
const manifest = (meta: Record<string, string> = {}) => ({
  apiVersion: 'apps.kruise.io/v1alpha1',
  kind: 'CloneSet',
  metadata: { name: 'web', ...meta },
  spec: {
    replicas: 3,
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image: 'nginx:1.27' }] } },
  },
});

describe('parseFleetInput: a fleet request, step by step', () => {
  it.each<[string, unknown, RegExp | null]>([
    ['step 1: three waves of names are valid', { ...base, waves: [['canary'], ['eu-1', 'eu-2'], ['us-1']] }, null],
    ['step 2: a wave object with its own bake and approval is valid', { ...base, waves: [['canary'], { clusters: ['eu-1'], bake: 30, approval: true }] }, null],
    ['step 3: no wave at all is refused', { ...base, waves: [] }, /waves: must name at least one wave/],
    ['step 4: an empty wave is refused, naming it', { ...base, waves: [['canary'], []] }, /waves\[1\]: is empty/],
    [
      'step 5: a cluster listed twice across waves is refused, naming both',
      { ...base, waves: [['eu-1'], ['eu-1']] },
      /waves\[1\]: cluster eu-1 is listed twice \(also in waves\[0\]\)/,
    ],
    ['step 6: a cluster listed twice in one wave is refused', { ...base, waves: [['eu-1', 'eu-1']] }, /waves\[0\]: cluster eu-1 is listed twice in this wave/],
    ['step 7: a cluster name that is not a DNS label is refused', { ...base, waves: [['EU_1']] }, /waves\[0\]\[0\]: must be a DNS-1123 label/],
    ['step 8: an unknown field is refused', { ...base, waves: [['a']], wave: 1 }, /wave: unknown field/],
    ['step 9: maxParallel 0 is refused', { ...base, waves: [['a']], maxParallel: 0 }, /maxParallel: must be an integer ≥ 1/],
    ['step 10: a negative bake is refused', { ...base, waves: [['a']], bake: -1 }, /bake: must be an integer number of seconds/],
    ['step 11: a bad image is refused', { ...base, images: { nginx: 'Nginx' }, waves: [['a']] }, /images.nginx/],
    ['step 12: a manifest instead of images is valid', { namespace: 'default', name: 'web', manifest: manifest(), waves: [['a']] }, null],
    ['step 13: a manifest with images is refused', { ...base, manifest: manifest(), waves: [['a']] }, /manifest: cannot be combined with images/],
    [
      'step 14: a manifest naming another CloneSet is refused',
      { namespace: 'default', name: 'web', manifest: manifest({ name: 'other' }), waves: [['a']] },
      /manifest.metadata.name: must be web/,
    ],
    [
      'step 15: an invalid manifest is refused, naming its field',
      { namespace: 'default', name: 'web', manifest: { ...manifest(), spec: { ...manifest().spec, replicas: -1 } }, waves: [['a']] },
      /manifest.spec.replicas/,
    ],
  ])('%s', (_name, input, problem) => {
    const r = parseFleetInput(input);
    if (problem === null) expect(r.ok).toBe(true);
    else {
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.errors.map((e) => e.message).join('\n')).toMatch(problem);
    }
  });

  it('step 16: defaults: bake and approval from the fleet, never an approval before the first wave, maxParallel the widest wave', () => {
    const r = parseFleetInput({ ...base, waves: [['canary'], ['eu-1', 'eu-2'], { clusters: ['us-1'], bake: 5, approval: false }], bake: 10, approval: true });
    expect(r.ok && r.value).toMatchObject({
      waves: [
        { clusters: ['canary'], bake: 10, approval: false },
        { clusters: ['eu-1', 'eu-2'], bake: 10, approval: true },
        { clusters: ['us-1'], bake: 5, approval: false },
      ],
      maxParallel: 2,
      rollbackOnFailure: false,
    });
  });
});

const S = (o: Record<string, FleetClusterState>) => o;

describe('clustersToStart: which clusters of a wave start now', () => {
  it.each<[string, string[], Record<string, FleetClusterState>, number, boolean, string[]]>([
    ['step 1: a fresh wave starts up to maxParallel, in order', ['a', 'b', 'c'], S({ a: 'Pending', b: 'Pending', c: 'Pending' }), 2, false, ['a', 'b']],
    ['step 2: one running leaves one slot', ['a', 'b', 'c'], S({ a: 'Running', b: 'Pending', c: 'Pending' }), 2, false, ['b']],
    ['step 3: a finished cluster frees its slot', ['a', 'b', 'c'], S({ a: 'Completed', b: 'Running', c: 'Pending' }), 2, false, ['c']],
    ['step 4: holding (paused, aborted, halted) starts nothing', ['a', 'b'], S({ a: 'Pending', b: 'Pending' }), 2, true, []],
    ['step 5: nothing pending starts nothing', ['a'], S({ a: 'Completed' }), 1, false, []],
  ])('%s', (_n, wave, states, max, holding, expected) => {
    expect(clustersToStart(wave, states, max, holding)).toEqual(expected);
  });
});

describe('waveOutcome and haltingCluster: how a wave ends', () => {
  it.each<[string, string[], Record<string, FleetClusterState>, ReturnType<typeof waveOutcome>]>([
    ['step 1: every cluster completed', ['a', 'b'], S({ a: 'Completed', b: 'Completed' }), 'completed'],
    ['step 2: one still running', ['a', 'b'], S({ a: 'Completed', b: 'Running' }), 'running'],
    ['step 3: one failed, none running', ['a', 'b'], S({ a: 'Failed', b: 'Pending' }), 'settled'],
    ['step 4: one rolled back, the other completed', ['a', 'b'], S({ a: 'Completed', b: 'RolledBack' }), 'settled'],
  ])('%s', (_n, wave, states, expected) => {
    expect(waveOutcome(wave, states)).toBe(expected);
  });

  it('step 5: the first cluster, in wave order, that did not complete halts the fleet', () => {
    expect(haltingCluster(['a', 'b', 'c'], S({ a: 'Completed', b: 'RolledBack', c: 'Failed' }))).toBe('b');
    expect(haltingCluster(['a', 'b'], S({ a: 'Completed', b: 'Running' }))).toBeNull();
  });
});

describe('rollbackWaves: what a fleet rollback returns, in reverse wave order', () => {
  it.each<[string, string[][], Record<string, FleetClusterState>, string[][]]>([
    [
      'step 1: a halt in wave 2 returns wave 2 (its completed clusters) then wave 1',
      [['canary'], ['eu-1', 'eu-2'], ['us-1']],
      S({ canary: 'Completed', 'eu-1': 'Completed', 'eu-2': 'RolledBack', 'us-1': 'Pending' }),
      [['eu-1'], ['canary']],
    ],
    ['step 2: within a wave, the reverse of its list', [['a', 'b', 'c']], S({ a: 'Completed', b: 'Completed', c: 'Completed' }), [['c', 'b', 'a']]],
    ['step 3: a failed cluster goes back too (its template may carry the new images)', [['a'], ['b']], S({ a: 'Completed', b: 'Failed' }), [['b'], ['a']]],
    ['step 4: aborted and never-started clusters are left alone', [['a'], ['b']], S({ a: 'Aborted', b: 'Pending' }), []],
  ])('%s', (_n, waves, states, expected) => {
    expect(
      rollbackWaves(
        waves.map((clusters) => ({ clusters })),
        states,
      ),
    ).toEqual(expected);
  });
});

describe('workflow IDs per cluster', () => {
  it.each<[string, string | undefined, string]>([
    ['step 1: the default cluster keeps cloneset/<ns>/<name>', 'default', 'cloneset/prod/web'],
    ['step 2: no cluster is the default cluster', undefined, 'cloneset/prod/web'],
    ['step 3: another cluster is cloneset/<cluster>/<ns>/<name>', 'eu-1', 'cloneset/eu-1/prod/web'],
  ])('%s', (_n, cluster, id) => {
    expect(rolloutWorkflowIdIn(cluster, 'prod', 'web')).toBe(id);
  });
  it('step 4: a fleet is fleet/<ns>/<name>', () => {
    expect(fleetWorkflowId('prod', 'web')).toBe('fleet/prod/web');
  });
});
