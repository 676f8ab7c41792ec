import { describe, expect, it } from 'vitest';
import { failureReason, markedRun, withFailure, withStarted, type Condition, type RunFailure } from '../../../src/controller/failure.js';

const WF = 'cloneset/default/web';
const f = (over: Partial<RunFailure> = {}): RunFailure => ({
  workflowId: WF,
  runId: 'run-2',
  generation: 3,
  message: 'CloneSet default/web is invalid: 1 problem:\n  - spec.replicas: -1 must be an integer ≥ 0',
  type: 'InvalidSpec',
  status: 'FAILED',
  ...over,
});
const NOW = '2026-01-01T00:00:00.000Z';
const other: Condition = { type: 'Audited', status: 'True', reason: 'Checked' };
const ours = (status: string, runId: string): Condition => ({
  type: 'Progressing',
  status,
  reason: 'InvalidSpec',
  message: `refused (rollout workflow ${WF} run ${runId})`,
  lastTransitionTime: 'earlier',
});
const deadline: Condition = { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'no Pod progressed for 600 s' };

describe('failureReason', () => {
  it.each<[string, Pick<RunFailure, 'type' | 'status'>, string]>([
    ['the failure type', { type: 'InvalidSpec', status: 'FAILED' }, 'InvalidSpec'],
    ['an untyped failure', { type: null, status: 'FAILED' }, 'RolloutFailed'],
    ['a timeout', { type: null, status: 'TIMED_OUT' }, 'RolloutTimedOut'],
  ])('%s → %s', (_n, input, expected) => expect(failureReason(input)).toBe(expected));
});

describe('markedRun', () => {
  it.each<[string, Condition | undefined, string | null]>([
    ['a condition the controller wrote', ours('False', 'run-1'), 'run-1'],
    ["the rollout's own deadline condition", deadline, null],
    ['no condition', undefined, null],
  ])('%s', (_n, c, expected) => expect(markedRun(c)).toBe(expected));
});

describe('withFailure: Progressing=False for a failed run, once, other conditions kept', () => {
  it.each<[string, Condition[], Condition[] | null]>([
    [
      'no conditions yet',
      [],
      [
        {
          type: 'Progressing',
          status: 'False',
          reason: 'InvalidSpec',
          message: `${f().message} (rollout workflow ${WF} run run-2)`,
          lastUpdateTime: NOW,
          lastTransitionTime: NOW,
        },
      ],
    ],
    ["someone else's condition is kept", [other], [other, expect.objectContaining({ type: 'Progressing', status: 'False' }) as Condition]],
    ['this run already reported: nothing to write', [other, ours('False', 'run-2')], null],
    [
      "an earlier run's failure is replaced, keeping its transition time",
      [ours('False', 'run-1')],
      [expect.objectContaining({ message: expect.stringContaining('run run-2)'), lastTransitionTime: 'earlier' }) as Condition],
    ],
    [
      'the deadline condition is replaced (the run is over)',
      [deadline],
      [expect.objectContaining({ reason: 'InvalidSpec', lastTransitionTime: NOW }) as Condition],
    ],
    [
      'a True condition flips, with a new transition time',
      [ours('True', 'run-1')],
      [expect.objectContaining({ status: 'False', lastTransitionTime: NOW }) as Condition],
    ],
  ])('%s', (_n, conditions, expected) => {
    expect(withFailure(conditions, f(), NOW)).toEqual(expected);
  });
});

describe('withStarted: a failure the controller wrote for an earlier run turns True on the next start', () => {
  it.each<[string, Condition[], Condition[] | null]>([
    [
      "an earlier run's failure",
      [other, ours('False', 'run-1')],
      [
        other,
        {
          type: 'Progressing',
          status: 'True',
          reason: 'RolloutStarted',
          message: `started for generation 4 (rollout workflow ${WF} run run-2)`,
          lastUpdateTime: NOW,
          lastTransitionTime: NOW,
        },
      ],
    ],
    ['the new run already failed (another replica reported it first): kept', [ours('False', 'run-2')], null],
    ["the rollout's own deadline condition: not ours to clear", [deadline], null],
    ['already True', [ours('True', 'run-1')], null],
    ['no condition', [other], null],
  ])('%s', (_n, conditions, expected) => {
    expect(withStarted(conditions, WF, 'run-2', 'started for generation 4', NOW)).toEqual(expected);
  });
});
