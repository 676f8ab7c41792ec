import { describe, expect, it } from 'vitest';
import { renderReport } from '../../../src/cli/report.js';
import { stepMarks, type StepMark } from '../../../src/cli/report-canary.js';
import { PodStep, type CanaryProgress, type PodProgress } from '../../../src/workflows/messages.js';

/** An in-place lane starting at `start`, Done 2.4 s later. */
const lane = (start: number): PodProgress => ({
  action: 'inPlace',
  step: PodStep.Done,
  revision: 'r2',
  steps: [
    { step: PodStep.GateOff, atMs: start },
    { step: PodStep.Patching, atMs: start + 10 },
    { step: PodStep.WaitingReady, atMs: start + 300 },
    { step: PodStep.Done, atMs: start + 2400 },
  ],
});
const PODS = { 'web-a': lane(0), 'web-b': lane(5000), 'web-c': lane(12_400), 'web-d': lane(12_400) };
const EVIL = 'ok <script>alert(1)</script>';

/** Step 1 approved by alice at 5 s, step 2 baked 5 s, step 3 reached and analysing. */
const canary = (over: Partial<CanaryProgress> = {}): CanaryProgress => ({
  steps: [
    { replicas: 1, pause: {}, pods: 1 },
    { replicas: '50%', pause: { duration: 5 }, analysis: ['error-rate'], pods: 2 },
    { replicas: '100%', pods: 4 },
  ],
  current: 2,
  status: 'Analysing',
  waitingFor: null,
  bakeUntilMs: null,
  promoted: null,
  approvals: [{ step: 0, control: 'approve', by: 'alice', reason: EVIL, atMs: 5000 }],
  analyses: [
    {
      metric: 'error-rate',
      step: 1,
      phase: 'Failed',
      message: 'failed 1 time(s)',
      count: 2,
      measurements: [
        { atMs: 8000, phase: 'Successful', value: [0.01] },
        { atMs: 9000, phase: 'Failed', value: [0.2], message: 'result[0] < 0.05 is false' },
      ],
    },
    { metric: 'latency', step: null, phase: 'Running', message: '', count: 1, measurements: [{ atMs: 6000, phase: 'Error', message: 'timeout <b>' }] },
  ],
  ...over,
});

describe('report: when each canary step was reached and passed', () => {
  it.each<[string, CanaryProgress, Record<string, PodProgress>, Omit<StepMark, 'pods'>[]]>([
    [
      'step 3 analysing: step 1 passed at the approval, step 2 at the end of its bake, step 3 reached when its 4th Pod was done',
      canary(),
      PODS,
      [
        { index: 0, reachedAtMs: 2400, passedAtMs: 5000, bake: null },
        { index: 1, reachedAtMs: 7400, passedAtMs: 12_400, bake: { fromMs: 7400, toMs: 12_400 } },
        { index: 2, reachedAtMs: 14_800, passedAtMs: null, bake: null },
      ],
    ],
    [
      'step 2 baking: its window ends at bakeUntilMs, step 3 not reached',
      canary({ current: 1, status: 'Baking', bakeUntilMs: 12_400 }),
      { 'web-a': lane(0), 'web-b': lane(5000) },
      [
        { index: 0, reachedAtMs: 2400, passedAtMs: 5000, bake: null },
        { index: 1, reachedAtMs: 7400, passedAtMs: null, bake: { fromMs: 7400, toMs: 12_400 } },
        { index: 2, reachedAtMs: null, passedAtMs: null, bake: null },
      ],
    ],
    [
      'step 2 promoted during its bake: passed at the promotion',
      canary({
        approvals: [
          { step: 0, control: 'approve', atMs: 5000 },
          { step: 1, control: 'promote', by: 'bob', atMs: 9000 },
        ],
      }),
      PODS,
      [
        { index: 0, reachedAtMs: 2400, passedAtMs: 5000, bake: null },
        { index: 1, reachedAtMs: 7400, passedAtMs: 9000, bake: { fromMs: 7400, toMs: 9000 } },
        { index: 2, reachedAtMs: 14_800, passedAtMs: null, bake: null },
      ],
    ],
    [
      'step 1 rolling: nothing reached yet',
      canary({ current: 0, status: 'Rolling', approvals: [] }),
      {},
      [
        { index: 0, reachedAtMs: null, passedAtMs: null, bake: null },
        { index: 1, reachedAtMs: null, passedAtMs: null, bake: null },
        { index: 2, reachedAtMs: null, passedAtMs: null, bake: null },
      ],
    ],
    [
      'steps that carry their own times: taken as recorded',
      canary({
        steps: [{ replicas: 1, pods: 1, reachedAtMs: 100, passedAtMs: 200 } as CanaryProgress['steps'][number], { replicas: 2, pods: 2 }],
        current: 1,
        status: 'Done',
        approvals: [],
      }),
      PODS,
      [
        { index: 0, reachedAtMs: 100, passedAtMs: 200, bake: null },
        { index: 1, reachedAtMs: null, passedAtMs: null, bake: null },
      ],
    ],
  ])('%s', (_name, c, pods, expected) => {
    expect(stepMarks(c, pods).map(({ pods: _p, ...m }) => m)).toEqual(expected);
  });
});

describe('report: the canary timeline', () => {
  const html = renderReport({
    namespace: 'default',
    name: 'web',
    fromRevision: 'r1',
    toRevision: 'r2',
    window: 1,
    phase: 'Updating',
    pods: PODS,
    canary: canary(),
  });
  // The time axis spans the first Pod step (web-a's patch at 10 ms; a step at 0 is unset) to 14.8 s, over 900 px.
  const x = (ms: number) => (((ms - 10) / 14_790) * 900).toFixed(1);

  it.each<[string, string]>([
    ['step 1: the summary line', '<p class="canary">3 step(s), 2 passed · Analysing</p>'],
    ['step 2: a lane per step', '<text x="-8" y="43" text-anchor="end">step 2 <tspan fill="#888">2 Pod(s)</tspan></text>'],
    [
      'step 3: step 1 reached',
      `<circle class="reached" cx="${x(2400)}" cy="13" r="5" fill="#fff" stroke="#3366cc" stroke-width="2"><title>step 1 reached at 1970-01-01T00:00:02.400Z (+2.4s)</title></circle>`,
    ],
    [
      'step 4: step 1 passed',
      `<circle class="passed" cx="${x(5000)}" cy="13" r="5" fill="#3366cc"><title>step 1 passed at 1970-01-01T00:00:05.000Z (+5.0s)</title></circle>`,
    ],
    [
      'step 5: the approval as a marker with who and why (escaped)',
      `<text x="${(Number(x(5000)) + 9).toFixed(1)}" y="9" fill="#8e44ad">approve by alice: ok &lt;script&gt;alert(1)&lt;/script&gt;</text>`,
    ],
    [
      'step 6: the bake window',
      `<rect class="bake" x="${x(7400)}" y="31" width="${(Number(x(12_400)) - Number(x(7400))).toFixed(1)}" height="16" fill="#f5c542" opacity="0.5"><title>step 2: bake 5s, 1970-01-01T00:00:07.400Z → 1970-01-01T00:00:12.400Z</title></rect>`,
    ],
    [
      'step 7: a measurement dot',
      `<circle class="measurement" cx="${x(9000)}" cy="11" r="4" fill="#d9534f"><title>error-rate at 1970-01-01T00:00:09.000Z: [0.2] Failed (result[0] &lt; 0.05 is false)</title></circle>`,
    ],
    ['step 8: a background measurement without a value', `<title>latency at 1970-01-01T00:00:06.000Z: — Error (timeout &lt;b&gt;)</title>`],
    ['step 9: the run label', '<text x="-8" y="15" text-anchor="end">error-rate <tspan fill="#888">step 2 · Failed</tspan></text>'],
    ['step 10: the legend of the phases', '<span><i style="background:#f0a030;border-radius:6px"></i>Inconclusive</span>'],
    [
      'step 11: the approvals table',
      `<tr><td>1</td><td>approve</td><td>alice</td><td>1970-01-01T00:00:05.000Z</td><td>ok &lt;script&gt;alert(1)&lt;/script&gt;</td></tr>`,
    ],
    [
      'step 12: the measurements table',
      '<tr><td>error-rate</td><td>1970-01-01T00:00:08.000Z</td><td>[0.01]</td><td style="color:#2e9e44">Successful</td><td></td></tr>',
    ],
    ['step 13: the run in the table', '<tr class="run"><td colspan="5"><b>error-rate</b> (step 2): Failed, 2 measurement(s) — failed 1 time(s)</td></tr>'],
  ])('%s', (_name, fragment) => {
    expect(html).toContain(fragment);
  });

  it('step 14: no user string reaches the page unescaped', () => {
    expect(html).not.toContain('<script');
    expect(html).not.toContain('timeout <b>');
    expect(html).not.toContain('< 0.05');
  });

  it.each<[string, Partial<CanaryProgress>, string]>([
    [
      'step 15: a full promotion by a user with markup in the name',
      {
        status: 'Done',
        current: 3,
        promoted: { full: true, by: '<bob>', reason: 'ship "it"', atMs: 9000 },
        approvals: [{ step: 1, control: 'promote', full: true, by: '<bob>', reason: 'ship "it"', atMs: 9000 }],
      },
      '<p class="canary">3 step(s), 3 passed · Done · promoted (full) by &lt;bob&gt;: ship &quot;it&quot;</p>',
    ],
    [
      'step 16: the promotion in the table',
      { status: 'Done', current: 3, approvals: [{ step: 1, control: 'promote', full: true, by: '<bob>', atMs: 9000 }] },
      '<tr><td>2</td><td>promote (full)</td><td>&lt;bob&gt;</td><td>1970-01-01T00:00:09.000Z</td><td></td></tr>',
    ],
    [
      'step 17: a failed analysis',
      {
        status: 'Stopped',
        failed: { metric: 'error-rate', step: 1, value: [0.2], condition: 'result[0] < 0.05', message: 'error-rate: result[0] < 0.05 <no>' },
      },
      '<p class="error" style="color:#d9534f"><b>analysis failed:</b> error-rate: result[0] &lt; 0.05 &lt;no&gt;</p>',
    ],
    [
      'step 18: waiting for an approval',
      { current: 0, status: 'Paused', waitingFor: "step 1's pause: approve to go on", approvals: [] },
      '· Paused · waits for: step 1&#39;s pause: approve to go on</p>',
    ],
  ])('%s', (_name, over, fragment) => {
    const page = renderReport({ namespace: 'default', name: 'web', fromRevision: 'r1', toRevision: 'r2', pods: PODS, canary: canary(over) });
    expect(page).toContain(fragment);
    expect(page).not.toContain('<bob>');
  });

  it('step 19: a rollout without steps has no canary section', () => {
    const page = renderReport({ namespace: 'default', name: 'web', fromRevision: 'r1', toRevision: 'r2', pods: PODS });
    expect(page).not.toContain('Canary steps');
    expect(page).toContain('max in flight: 2');
  });
});
