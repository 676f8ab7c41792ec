import { describe, expect, it } from 'vitest';
import { judgeDeadline, PodStep, type DeadlineInput, type DeadlineVerdict } from '../../../src/rollout/index.js';

const T0 = 1_000_000;
const base: DeadlineInput = { deadlineSeconds: 10, nowMs: T0, lastProgressAtMs: T0, stuckSinceMs: null, inFlight: {}, settled: false, blocking: {} };
const at = (step: string) => ({ step });

describe('judgeDeadline: the progress deadline, one observation at a time', () => {
  it.each<[string, Partial<DeadlineInput>, DeadlineVerdict['kind']]>([
    [
      '1. no deadline set: never stuck, however long nothing moves',
      { deadlineSeconds: null, nowMs: T0 + 3_600_000, inFlight: { a: at(PodStep.Restarting) } },
      'unchanged',
    ],
    ['2. a Pod stepped within the deadline', { nowMs: T0 + 9_999, inFlight: { a: at(PodStep.Restarting) } }, 'unchanged'],
    ['3. exactly at the deadline is still within it', { nowMs: T0 + 10_000, inFlight: { a: at(PodStep.Restarting) } }, 'unchanged'],
    ['4. past the deadline waiting on containers: exceeded', { nowMs: T0 + 10_001, inFlight: { a: at(PodStep.Restarting) } }, 'exceeded'],
    ['5. past the deadline waiting for Ready: exceeded', { nowMs: T0 + 20_000, inFlight: { a: at(PodStep.WaitingReady) } }, 'exceeded'],
    ['6. past it with nothing in flight but Pods left to plan (nothing can start): exceeded', { nowMs: T0 + 20_000, settled: false }, 'exceeded'],
    ['7. past it with nothing in flight and nothing left to do: not stuck (settled)', { nowMs: T0 + 20_000, settled: true }, 'unchanged'],
    [
      '8. a lane in its grace period waits on our own timer: not stuck',
      { nowMs: T0 + 20_000, inFlight: { a: at(PodStep.Restarting), b: at(PodStep.Grace) } },
      'unchanged',
    ],
    ['9. a lane in minReadySeconds waits on our own timer: not stuck', { nowMs: T0 + 20_000, inFlight: { a: at(PodStep.MinReady) } }, 'unchanged'],
    ['10. a lane held by a lifecycle hook waits on an operator: not stuck', { nowMs: T0 + 20_000, inFlight: { a: at(PodStep.Hooked) } }, 'unchanged'],
    [
      '11. already stuck, no step since: unchanged (declared once)',
      { nowMs: T0 + 40_000, stuckSinceMs: T0 + 20_000, inFlight: { a: at(PodStep.Restarting) } },
      'unchanged',
    ],
    [
      '12. already stuck, a Pod stepped after it was declared: moving again',
      { nowMs: T0 + 40_000, stuckSinceMs: T0 + 20_000, lastProgressAtMs: T0 + 30_000 },
      'moving',
    ],
    [
      '13. already stuck, the last step is the one from before: unchanged',
      { nowMs: T0 + 40_000, stuckSinceMs: T0 + 20_000, lastProgressAtMs: T0 + 20_000 },
      'unchanged',
    ],
  ])('%s', (_step, over, kind) => {
    expect(judgeDeadline({ ...base, ...over }).kind).toBe(kind);
  });

  it('names the Pods waited on, sorted, with why each is blocked, and says no new Pods are taken', () => {
    const v = judgeDeadline({
      ...base,
      nowMs: T0 + 11_000,
      inFlight: { 'web-b': at(PodStep.Restarting), 'web-a': at(PodStep.WaitingReady) },
      blocking: { 'web-b': ['nginx: ImagePullBackOff'] },
    });
    expect(v).toEqual({
      kind: 'exceeded',
      blocking: ['web-a', 'web-b (nginx: ImagePullBackOff)'],
      message:
        'no Pod progressed for 10s (progressDeadlineSeconds); waiting on web-a; web-b (nginx: ImagePullBackOff); no new Pods are taken until the CloneSet spec changes',
    });
  });

  it('with nothing in flight, the message names no Pods', () => {
    const v = judgeDeadline({ ...base, nowMs: T0 + 11_000 });
    expect(v).toMatchObject({
      kind: 'exceeded',
      blocking: [],
      message: 'no Pod progressed for 10s (progressDeadlineSeconds); no new Pods are taken until the CloneSet spec changes',
    });
  });
});
