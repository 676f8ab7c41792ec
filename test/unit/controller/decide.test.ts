import { describe, expect, it } from 'vitest';
import { needsRollout, selectionSelector, shouldSignal, shouldStart, type CloneSetMeta, type RunState } from '../../../src/controller/decide.js';

function cs(generation: number | undefined, observedGeneration?: number, extra: Partial<CloneSetMeta['metadata']> = {}): CloneSetMeta {
  return {
    metadata: { namespace: 'default', name: 'web', generation, ...extra },
    status: observedGeneration === undefined ? undefined : { observedGeneration },
  };
}

const none: RunState = { kind: 'none' };
const running: RunState = { kind: 'running' };
const closed = (status: string, generation: number | null): RunState => ({ kind: 'closed', status, generation });

describe('needsRollout', () => {
  it.each([
    ['a new CloneSet (no status yet)', cs(1), /generation 1 never observed/],
    ['a template edit (generation 3, observed 2)', cs(3, 2), /generation 3 not yet observed \(observed 2\)/],
    ['an up-to-date CloneSet (generation = observed)', cs(2, 2), null],
    ['a label-only edit (labels do not bump generation)', cs(2, 2), null],
    ['a CloneSet being deleted, even with an unobserved generation', cs(3, 2, { deletionTimestamp: '2024-01-01T00:00:00Z' }), null],
    ['an object without generation (not from an API server)', cs(undefined), null],
  ])('%s', (_name, obj, expected) => {
    const r = needsRollout(obj);
    if (expected === null) expect(r).toBeNull();
    else expect(r).toMatch(expected);
  });
});

describe('shouldStart', () => {
  it.each<[string, CloneSetMeta, RunState, RegExp | null]>([
    ['starts a new CloneSet that never had a rollout', cs(1), none, /never observed/],
    ['starts on a template change with no rollout history', cs(2, 1), none, /generation 2 not yet observed/],
    ['does nothing while a rollout runs (it retargets itself on the new generation)', cs(2, 1), running, null],
    ['does nothing for an up-to-date CloneSet, whatever ran before', cs(2, 2), closed('FAILED', 1), null],
    ['does nothing for an up-to-date CloneSet with no history', cs(2, 2), none, null],
    ['starts again after the last rollout completed an older generation', cs(3, 2), closed('COMPLETED', 2), /generation 3 .* last rollout completed/],
    ['starts again after the last rollout failed an older generation', cs(3, 2), closed('FAILED', 2), /last rollout failed/],
    ['does not restart a rollout that failed on this very generation (no loop)', cs(3, 2), closed('FAILED', 3), null],
    ['does not restart a rollout terminated on this generation', cs(3, 2), closed('TERMINATED', 3), null],
    [
      'starts for a CloneSet created again under the same name (another uid), though its generation is not newer',
      cs(1, undefined, { uid: 'uid-2' }),
      { kind: 'closed', status: 'COMPLETED', generation: 4, uid: 'uid-1' },
      /never observed.*a new CloneSet object \(the last rollout was for uid uid-1\)/,
    ],
    [
      'does not restart the same object on this generation (uid recorded)',
      cs(3, 2, { uid: 'uid-1' }),
      { kind: 'closed', status: 'FAILED', generation: 3, uid: 'uid-1' },
      null,
    ],
    ['does not restart a completed run of this generation (status lags; no loop)', cs(3, 2), closed('COMPLETED', 3), null],
    ['starts after a manual run (no memo) that closed', cs(3, 2), closed('COMPLETED', null), /last rollout completed/],
    ['leaves a CloneSet being deleted alone', cs(3, 2, { deletionTimestamp: 'x' }), none, null],
  ])('%s', (_name, obj, state, expected) => {
    const r = shouldStart(obj, state);
    if (expected === null) expect(r).toBeNull();
    else expect(r).toMatch(expected);
  });
});

describe('selectionSelector', () => {
  it.each([
    ['default: only CloneSets labelled managed=true', {}, 'cloneset-rollout.io/managed=true'],
    ['--all: every CloneSet (no selector)', { all: true }, undefined],
    ['--all wins over --selector', { all: true, selector: 'team=a' }, undefined],
    ['--selector: another label selector', { selector: 'team=a,tier!=db' }, 'team=a,tier!=db'],
    ['an empty --selector falls back to the managed label', { selector: '  ' }, 'cloneset-rollout.io/managed=true'],
  ])('%s', (_name, opts, expected) => {
    expect(selectionSelector(opts)).toBe(expected);
  });
});

describe('shouldSignal', () => {
  it.each<[string, CloneSetMeta, RunState, number | null, boolean]>([
    ['signals a running rollout of an edit it has not observed', cs(3, 2), running, null, true],
    ['signals a newer edit than the one it signalled', cs(4, 2), running, 3, true],
    ['does not signal the same generation twice (status writes after the edit are events too)', cs(3, 2), running, 3, false],
    ['does not signal once the rollout observed the edit', cs(3, 3), running, null, false],
    ['does not signal when no run is running (the start covers it)', cs(3, 2), none, null, false],
    ['does not signal a closed run', cs(3, 2), closed('COMPLETED', 2), null, false],
    ['does not signal for a CloneSet being deleted', cs(3, 2, { deletionTimestamp: '2024-01-01T00:00:00Z' }), running, null, false],
  ])('%s', (_name, obj, state, signalled, expected) => {
    expect(shouldSignal(obj, state, signalled)).toBe(expected);
  });
});
