import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { planCli } from '../../support/plan-cli.js';
import { afterAll, describe, expect, it } from 'vitest';
import { buildPlan, cloneSetFromText, offlineState, renderPlan, renderSteps, type CloneSetPlan } from '../../../src/cli/plan.js';
import { listSteps, type GivenSteps } from '../../../src/cli/plan-steps.js';
import { Metric } from '../../../src/rollout/analysis.js';
import { revisionName, type CanaryStep } from '../../../src/rollout/index.js';

const examples = fileURLToPath(new URL('../../../examples/', import.meta.url));
const NGINX01 = join(examples, 'nginx01.yaml');
const NGINX02 = join(examples, 'nginx02.yaml');
const OLD = revisionName('nginxweb1', cloneSetFromText(await readFile(NGINX01, 'utf8'), 'nginx01').spec.template);
const NEW = revisionName('nginxweb1', cloneSetFromText(await readFile(NGINX02, 'utf8'), 'nginx02').spec.template);
const CANARY = '[{"replicas":1,"pause":{}},{"replicas":"50%","pause":{"duration":300}},{"replicas":"100%"}]';

const dir = await mkdtemp(join(tmpdir(), 'plan-steps-'));
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** nginx02.yaml with `edit` applied; returns the path. */
async function manifest(name: string, edit: (text: string) => string): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, edit(await readFile(NGINX02, 'utf8')));
  return file;
}

/** nginx02.yaml carrying the steps annotation `steps` (YAML single-quoted). */
const annotated = (name: string, steps: string) =>
  manifest(name, (t) => t.replace('  namespace: default', `  namespace: default\n  annotations:\n    cloneset-rollout.io/steps: '${steps}'`));

const cli = planCli;

/** The lines of the canary part of nginx01 → nginx02 under CANARY (source named as given). */
const canaryLines = (source: string) => [
  `Canary steps (${source}):`,
  '',
  'step 1: 1 of 4 Pod(s) at the new revision (replicas 1), then pause for an approval',
  'WAVE  START  POD          ACTION   FROM → TO',
  `1     +0s    nginxweb1-1  delete   ${OLD} → (gone)`,
  `2     +0s    nginxweb1-2  inPlace  ${OLD} → ${NEW}`,
  '→ step 1 reached at about +35s; waits for an approval',
  '',
  'step 2: 2 of 4 Pod(s) at the new revision (replicas "50%"), then bake 300s',
  'WAVE  START  POD          ACTION   FROM → TO',
  `3     +35s   nginxweb1-3  inPlace  ${OLD} → ${NEW}`,
  '→ step 2 reached at about +1m10s; bakes 5m0s (until +6m10s)',
  '',
  'step 3: 4 of 4 Pod(s) at the new revision (replicas "100%")',
  'WAVE  START   POD          ACTION   FROM → TO',
  `4     +6m10s  nginxweb1-4  inPlace  ${OLD} → ${NEW}`,
  `5     +6m45s  nginxweb1-5  inPlace  ${OLD} → ${NEW}`,
  '→ step 3 reached at about +7m20s; goes on',
  '',
  'after the last step: 4 of 4 Pod(s) at the new revision',
  'No waves: the steps moved every Pod.',
];

describe('cloneset-rollout plan with canary steps', () => {
  it.each<[string, () => Promise<string[]>, string]>([
    ['step 1: --steps JSON on the command line', async () => ['--steps', CANARY], '--steps'],
    [
      'step 2: the cloneset-rollout.io/steps annotation of FILE',
      async () => ['-f', await annotated('annotated.yaml', CANARY)],
      'annotation cloneset-rollout.io/steps',
    ],
    [
      'step 3: --steps-file',
      async () => {
        await writeFile(join(dir, 'steps.json'), CANARY);
        return ['--steps-file', join(dir, 'steps.json')];
      },
      `--steps-file ${join(dir, 'steps.json')}`,
    ],
  ])('%s groups the waves under each step', async (_name, args, source) => {
    const extra = await args();
    const r = await cli(...(extra.includes('-f') ? [] : ['-f', NGINX02]), ...extra, '--from', NGINX01);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const lines = r.stdout.split('\n');
    const at = lines.indexOf(`Canary steps (${source}):`);
    expect(at).toBe(4);
    expect(lines.slice(at, at + canaryLines(source).length)).toEqual(canaryLines(source));
    expect(lines).toContain(
      'Summary: 4 in place, 0 recreated, 0 created, 1 deleted in 5 wave(s); at least 3 serving, at most 2 unavailable, no surge; done in about 7m20s ' +
        '(restart 5s, start 10s, terminate 5s, grace 0s, minReady 30s).',
    );
    expect(lines).toContain(`Steps: 3 step(s) (${source}); 1 approval(s) to give (the wait is not in the estimate); 5m0s of bake time (in the estimate).`);
    expect(r.stdout).not.toMatch(/^[[{]/m);
  });

  it('step 4: --steps overrides the annotation', async () => {
    const file = await annotated('override.yaml', '[{"replicas":2}]');
    const r = await cli('-f', file, '--from', NGINX01, '--steps', '[{"replicas":"25%","pause":{}}]');
    const lines = r.stdout.split('\n');
    expect(lines).toContain('Canary steps (--steps):');
    expect(lines).toContain('step 1: 1 of 4 Pod(s) at the new revision (replicas "25%"), then pause for an approval');
    expect(lines).toContain('after the last step: 4 of 4 Pod(s) at the new revision');
    expect(lines.filter((l) => l.startsWith('step '))).toHaveLength(1);
  });

  it('step 5: --json carries steps[] with index, replicas, pods, pause, analysis and waves', async () => {
    const r = await cli('-f', NGINX02, '--from', NGINX01, '--steps', CANARY, '--json');
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const p = JSON.parse(r.stdout) as CloneSetPlan;
    const steps = p.steps!;
    expect(steps.source).toBe('--steps');
    expect(
      steps.steps.map((s) => ({
        index: s.index,
        replicas: s.replicas,
        pods: s.pods,
        partition: s.partition,
        pause: s.pause,
        analysis: s.analysis,
        waves: s.waves.map((w) => `${w.wave}@${w.atSeconds} ${w.pods.map((m) => `${m.action}:${m.name}`).join(' ')}`),
        reachedAtSeconds: s.reachedAtSeconds,
      })),
    ).toEqual([
      {
        index: 0,
        replicas: 1,
        pods: 1,
        partition: 3,
        pause: {},
        analysis: [],
        waves: ['1@0 delete:nginxweb1-1', '2@0 inPlace:nginxweb1-2'],
        reachedAtSeconds: 35,
      },
      { index: 1, replicas: '50%', pods: 2, partition: 2, pause: { duration: 300 }, analysis: [], waves: ['3@35 inPlace:nginxweb1-3'], reachedAtSeconds: 70 },
      {
        index: 2,
        replicas: '100%',
        pods: 4,
        partition: 0,
        pause: null,
        analysis: [],
        waves: ['4@370 inPlace:nginxweb1-4', '5@405 inPlace:nginxweb1-5'],
        reachedAtSeconds: 440,
      },
    ]);
    expect(steps.afterSteps).toEqual({ pods: 4, waves: [] });
    expect(p.waves.map((w) => w.wave)).toEqual([1, 2, 3, 4, 5]);
    expect(p).toMatchObject({ outcome: 'done', estimatedSeconds: 440, totals: { waves: 5, inPlace: 4, delete: 1, maxUnavailable: 2, minServing: 3 } });
  });

  it('step 6: a paused CloneSet reaches no step', async () => {
    const file = await manifest('paused.yaml', (t) => t.replace('type: InPlaceIfPossible', 'type: InPlaceIfPossible\n    paused: true'));
    const r = await cli('-f', file, '--from', NGINX01, '--steps', '[{"replicas":1},{"replicas":2}]');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    const at = lines.indexOf('step 1: 1 of 4 Pod(s) at the new revision (replicas 1)');
    expect(lines.slice(at, at + 8)).toEqual([
      'step 1: 1 of 4 Pod(s) at the new revision (replicas 1)',
      'WAVE  START  POD          ACTION  FROM → TO',
      `1     +0s    nginxweb1-1  delete  ${OLD} → (gone)`,
      '  not reached: the rollout stops first (see the summary).',
      '',
      'step 2: 2 of 4 Pod(s) at the new revision (replicas 2)',
      '  not reached: the rollout stops first (see the summary).',
      '',
    ]);
    expect(lines).not.toContain('after the last step: 4 of 4 Pod(s) at the new revision');
    expect(lines.some((l) => l.startsWith('Summary: ') && l.includes('then stops after about'))).toBe(true);
  });

  it('step 7: an InPlaceOnly refusal lists the steps, none reached', async () => {
    const file = await manifest('only.yaml', (t) =>
      t.replace('type: InPlaceIfPossible', 'type: InPlaceOnly').replace('imagePullPolicy: IfNotPresent', 'imagePullPolicy: Always'),
    );
    const p = JSON.parse((await cli('-f', file, '--from', NGINX01, '--steps', '[{"replicas":1}]', '--json')).stdout) as CloneSetPlan;
    expect(p.outcome).toBe('blocked');
    expect(p.steps!.steps).toEqual([
      { index: 0, replicas: 1, pods: 1, partition: 3, pause: null, analysis: [], metrics: [], waves: [], reachedAtSeconds: null },
    ]);
  });
});

describe('cloneset-rollout plan: bad steps are refused naming the field', () => {
  it.each<[string, () => Promise<string[]>, string[]]>([
    ['step 1: --steps that is not JSON', async () => ['--steps', '[{replicas:1}]'], ['cloneset-rollout plan: --steps: is not JSON: ']],
    [
      'step 2: --steps with an unknown field and a bad percent',
      async () => ['--steps', '[{"replicas":1,"pause":{"x":1}},{"replicas":"5x"}]'],
      ['cloneset-rollout plan: --steps: 2 problems:', '  - steps[0].pause.x: unknown field', '  - steps[1].replicas: "5x" must be an integer ≥ 0'],
    ],
    [
      'step 3: --steps going down',
      async () => ['--steps', '[{"replicas":3},{"replicas":1}]'],
      ["  - steps[1].replicas: 1 goes down from step 1's 3: steps only add Pods"],
    ],
    [
      'step 4: --steps that is not a list',
      async () => ['--steps', '{"replicas":1}'],
      ['cloneset-rollout plan: --steps: 1 problem:', '  - steps: must be an array'],
    ],
    [
      'step 5: a bad annotation',
      async () => ['-f', await annotated('bad-annotation.yaml', '[{"replicas":1,"pause":{"duration":-1}}]')],
      [
        'cloneset-rollout plan: CloneSet default/nginxweb1: 1 problem:',
        '  - metadata.annotations[cloneset-rollout.io/steps][0].pause.duration: must be an integer number of seconds',
      ],
    ],
    [
      'step 6: a missing --steps-file',
      async () => ['--steps-file', join(dir, 'nope.json')],
      [`cloneset-rollout plan: --steps-file ${join(dir, 'nope.json')}: no such file`],
    ],
    [
      'step 7: both --steps and --steps-file',
      async () => ['--steps', '[]', '--steps-file', 'x.json'],
      ['cloneset-rollout plan: --steps and --steps-file: give one of them'],
    ],
    ['step 8: no steps at all', async () => ['--steps', '[]'], ['  - steps: must have at least one step (or leave steps out)']],
  ])('%s', async (_name, args, expected) => {
    const extra = await args();
    const r = await cli(...(extra.includes('-f') ? [] : ['-f', NGINX02]), ...extra, '--from', NGINX01);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    for (const line of expected) expect(r.stderr).toContain(line);
  });
});

describe('plan steps with analysis', () => {
  const metric = Metric.parse({
    name: 'error-rate',
    interval: '30s',
    count: 3,
    successCondition: 'result[0] < 0.05',
    provider: { prometheus: { address: 'http://prom:9090', query: 'sum(rate(errors[1m]))' } },
  });
  const web = Metric.parse({
    name: 'health',
    interval: '10s',
    successCondition: 'result == true',
    provider: { web: { url: 'http://web/health', jsonPath: '{$.ok}' } },
  });
  const given: GivenSteps = {
    source: '--steps',
    steps: [
      { replicas: 1, analysis: { metrics: [metric, web] }, pause: {} },
      { replicas: '50%', analysis: { metrics: [metric] } },
    ] as CanaryStep[],
  };

  it.each<[string, number, string]>([
    [
      'step 1: two metrics, then an approval',
      0,
      'step 1: 1 of 4 Pod(s) at the new revision (replicas 1), then analysis error-rate (prometheus http://prom:9090: sum(rate(errors[1m]))), health (web GET http://web/health: {$.ok}), then pause for an approval',
    ],
    [
      'step 2: one metric, no pause',
      1,
      'step 2: 2 of 4 Pod(s) at the new revision (replicas "50%"), then analysis error-rate (prometheus http://prom:9090: sum(rate(errors[1m])))',
    ],
  ])('%s', (_name, index, header) => {
    const plan = listSteps(given, { replicas: 4, partition: 0 });
    expect(plan.steps[index]!.analysis).toEqual(index === 0 ? ['error-rate', 'health'] : ['error-rate']);
    expect(renderSteps(plan, 4)).toContain(header);
  });

  it('step 3: the plan says where each analysis runs', async () => {
    const desired = cloneSetFromText(await readFile(NGINX02, 'utf8'), 'nginx02');
    const from = cloneSetFromText(await readFile(NGINX01, 'utf8'), 'nginx01');
    const p = buildPlan(desired, offlineState(from), 'offline', {}, undefined, given);
    const lines = renderPlan(p).split('\n');
    expect(lines).toContain('→ step 1 reached at about +35s; analysis error-rate, health runs; waits for an approval');
    expect(lines).toContain('→ step 2 reached at about +1m10s; analysis error-rate runs; goes on');
    expect(p.steps!.steps.map((s) => s.metrics)).toEqual([
      [
        { name: 'error-rate', provider: 'prometheus http://prom:9090: sum(rate(errors[1m]))' },
        { name: 'health', provider: 'web GET http://web/health: {$.ok}' },
      ],
      [{ name: 'error-rate', provider: 'prometheus http://prom:9090: sum(rate(errors[1m]))' }],
    ]);
  });
});
