import { describe, expect, it } from 'vitest';
import { inFlightCurve, renderReport, segments } from '../../../src/cli/report.js';
import { PodStep, type PodProgress } from '../../../src/workflows/messages.js';

const pod = (start: number, steps: [string, number][]): PodProgress => ({
  action: 'inPlace',
  step: PodStep.Done,
  revision: 'r2',
  steps: steps.map(([step, dt]) => ({ step: step as PodStep, atMs: start + dt })),
});
const lane = (start: number) =>
  pod(start, [
    [PodStep.GateOff, 0],
    [PodStep.Grace, 10],
    [PodStep.Patching, 2010],
    [PodStep.Restarting, 2050],
    [PodStep.GateOn, 2300],
    [PodStep.WaitingReady, 2300],
    [PodStep.Done, 2400],
  ]);

describe('rollout report', () => {
  it("turns a Pod's steps into bars that end at Done", () => {
    const segs = segments(lane(1000));
    expect(segs.map((s) => s.step)).toEqual([PodStep.GateOff, PodStep.Grace, PodStep.Patching, PodStep.Restarting, PodStep.GateOn, PodStep.WaitingReady]);
    expect(segs.find((s) => s.step === PodStep.Grace)).toEqual({ step: PodStep.Grace, fromMs: 1010, toMs: 3010 });
    expect(segs.at(-1)!.toMs).toBe(3400);
  });

  it('shows the window at work: two lanes one after the other never overlap (maxUnavailable=1), two started together do', () => {
    expect(Math.max(...inFlightCurve({ a: lane(0), b: lane(2400) }).map(([, n]) => n))).toBe(1);
    expect(Math.max(...inFlightCurve({ a: lane(0), b: lane(100) }).map(([, n]) => n))).toBe(2);
  });

  it('writes a self-contained HTML page naming each Pod, its steps and the window', () => {
    const html = renderReport({
      namespace: 'default',
      name: 'web<1>',
      fromRevision: 'r1',
      toRevision: 'r2',
      window: 1,
      phase: 'Completed',
      pods: { 'web-a': lane(0), 'web-b': lane(2400) },
    });
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('web&lt;1&gt;');
    expect(html).toContain('web-a');
    expect(html).toContain('web-b: GracePeriod 2.00s');
    expect(html).toContain('window 1');
    expect(html).toContain('max in flight: 1');
    expect(html).not.toMatch(/<script|src="http|href="http/);
  });

  it('names the phase and the error of a rollout that ended without completing (escaped)', () => {
    const html = renderReport({
      namespace: 'default',
      name: 'web',
      fromRevision: null,
      toRevision: null,
      phase: 'Failed',
      error: 'spec.replicas: -1 must be an integer ≥ 0 <x>',
      pods: {},
    });
    expect(html).toContain('Rollout default/web — Failed');
    expect(html).toContain('<b>error:</b> spec.replicas: -1 must be an integer ≥ 0 &lt;x&gt;');
    expect(renderReport({ namespace: 'default', name: 'web', fromRevision: 'r1', toRevision: 'r2', phase: 'Completed', pods: {} })).not.toContain('error:');
  });
});
