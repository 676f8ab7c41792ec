import { describe, expect, it } from 'vitest';
import { bar, progressChanges, renderProgress } from '../../../src/cli/progress-view.js';
import type { RolloutProgress } from '../../../src/workflows/messages.js';

const progress = (over: Partial<RolloutProgress> = {}): RolloutProgress => ({
  phase: 'Updating',
  namespace: 'default',
  name: 'nginxweb1',
  fromRevision: 'nginxweb1-575497dc6b',
  toRevision: 'nginxweb1-775dd67bf6',
  strategy: 'InPlaceIfPossible',
  counts: { desired: 4, total: 4, updated: 2, ready: 3, available: 3, unavailable: 1 },
  window: 1,
  waiting: 'window full: 1/1 unavailable',
  pods: { 'nginxweb1-abcde': { action: 'inPlace', step: 'MinReadySeconds', revision: 'nginxweb1-775dd67bf6', steps: [] } },
  startedAtMs: 0,
  updatedAtMs: 1,
  error: null,
  ...over,
});

describe('progress view', () => {
  it.each([
    [0, 4, '[--------------------] 0/4'],
    [2, 4, '[##########----------] 2/4'],
    [4, 4, '[####################] 4/4'],
    [0, 0, '[--------------------] 0/0'],
  ])('bar(%i, %i)', (done, total, expected) => {
    expect(bar(done, total)).toBe(expected);
  });

  it('renders phase, revisions, window and one row per Pod', () => {
    const text = renderProgress(progress());
    expect(text).toContain('default/nginxweb1  Updating  nginxweb1-575497dc6b → nginxweb1-775dd67bf6');
    expect(text).toContain('unavailable 1/1 (window)');
    expect(text).toContain('waiting: window full');
    expect(text).toMatch(/nginxweb1-abcde\s+inPlace\s+MinReadySeconds/);
  });

  it('shows the error of a rollout that ended without completing', () => {
    const text = renderProgress({ ...progress({ error: 'CloneSet default/nginxweb1 not found', pods: {}, waiting: null }), phase: 'Failed' });
    expect(text.split('\n')[0]).toBe('default/nginxweb1  Failed  nginxweb1-575497dc6b → nginxweb1-775dd67bf6  (InPlaceIfPossible)');
    expect(text).toContain('  error: CloneSet default/nginxweb1 not found');
    expect(renderProgress(progress())).not.toContain('error:');
  });

  it('lists only step changes between two views', () => {
    const a = progress();
    const b = progress({ pods: { ...a.pods, 'nginxweb1-fghij': { action: 'inPlace', step: 'InPlaceUpdateReady=False', revision: 'r', steps: [] } } });
    expect(progressChanges(a, b)).toEqual(['  nginxweb1-fghij: inPlace → InPlaceUpdateReady=False']);
    expect(progressChanges(null, a)[0]).toBe('default/nginxweb1: phase Updating');
  });
});
