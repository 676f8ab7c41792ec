import { describe, expect, it } from 'vitest';
import { labelsOf, RolloutMetrics, type ActivityOutcome } from '../../src/metrics/rollout.js';

const wf = { workflowId: 'cloneset/prod/web', runId: 'run-1' };
/** Times are offsets from now: entries older than the in-flight TTL are expired when metrics are read. */
const t0 = Date.now();
const ok = (activity: string, input: unknown, result: unknown = {}, startedMs = 0, endedMs = 0): ActivityOutcome => ({
  ...wf,
  activity,
  input,
  result,
  startedMs: t0 + startedMs,
  endedMs: t0 + endedMs,
});
const failed = (activity: string, input: unknown): ActivityOutcome => ({ ...wf, activity, input, error: new Error('x'), startedMs: t0, endedMs: t0 });
const pod = (name: string) => ({ namespace: 'prod', name, uid: `uid-${name}` });

/** Value of a sample for the prod/web CloneSet (0 when absent). */
async function value(m: RolloutMetrics, name: string, extra = ''): Promise<number> {
  const text = await m.text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes('namespace="prod"') && l.includes('cloneset="web"') && l.includes(extra));
  return line ? Number(line.split(' ').pop()) : 0;
}

describe('labelsOf', () => {
  it.each([
    ['cloneset/prod/web', { namespace: 'prod', cloneset: 'web' }],
    ['cloneset/default/nginxweb1', { namespace: 'default', cloneset: 'nginxweb1' }],
    ['my-custom-id', { namespace: '', cloneset: 'my-custom-id' }],
  ])('%s', (id, expected) => expect(labelsOf(id)).toEqual(expected));
});

describe('RolloutMetrics from activity outcomes', () => {
  it('counts an in-place lane: in flight from gate off until Ready, then one update and its duration', async () => {
    const m = new RolloutMetrics();
    m.record(ok('markPodNotReady', pod('web-a'), {}, 1_000));
    m.record(ok('patchPodInPlace', pod('web-a')));
    expect(await value(m, 'cloneset_rollout_pods_in_flight')).toBe(1);
    m.record(ok('markPodNotReady', pod('web-a'), {}, 1_500)); // a retried step of the same lane: still one
    expect(await value(m, 'cloneset_rollout_pods_in_flight')).toBe(1);
    m.record(ok('waitPodUpdated', pod('web-a')));
    m.record(ok('waitPodReady', pod('web-a'), {}, 0, 4_000));
    expect(await value(m, 'cloneset_rollout_pods_in_flight')).toBe(0);
    expect(await value(m, 'cloneset_rollout_pods_updated_in_place_total')).toBe(1);
    expect(await value(m, 'cloneset_rollout_pod_update_seconds_sum')).toBe(3);
  });

  it('counts a batch the same way, Pod by Pod: in flight from the batch gate-off, done as each is returned Ready', async () => {
    const m = new RolloutMetrics();
    const batch = { pods: [pod('web-a'), pod('web-b'), pod('web-c')] };
    m.record(ok('markPodsNotReady', batch, { results: { 'web-a': {}, 'web-b': {} }, gone: { 'web-c': 'gone' } }, 1_000));
    expect(await value(m, 'cloneset_rollout_pods_in_flight')).toBe(2); // the gone Pod is not in flight
    m.record(ok('patchPodsInPlace', batch, { results: { 'web-a': {}, 'web-b': {} }, gone: {} }));
    m.record(ok('finishPodsInPlace', {}, { ready: { 'web-a': {} }, gone: {}, pending: ['web-b'] }, 0, 3_000));
    expect(await value(m, 'cloneset_rollout_pods_in_flight')).toBe(1);
    m.record(ok('finishPodsInPlace', {}, { ready: { 'web-b': {} }, gone: {}, pending: [] }, 0, 5_000));
    expect(await value(m, 'cloneset_rollout_pods_in_flight')).toBe(0);
    expect(await value(m, 'cloneset_rollout_pods_updated_in_place_total')).toBe(2);
    expect(await value(m, 'cloneset_rollout_pod_update_seconds_sum')).toBe(2 + 4);
  });

  it.each([
    ['recreate deletions count as recreated', { ...pod('web-b'), reason: 'recreate' }, 'cloneset_rollout_pods_recreated_total'],
    ['scale-down deletions count as deleted', { ...pod('web-b'), reason: 'scale down' }, 'cloneset_rollout_pods_deleted_total'],
  ])('%s', async (_name, input, metric) => {
    const m = new RolloutMetrics();
    m.record(ok('deletePod', input));
    expect(await value(m, metric)).toBe(1);
  });

  it('ends a lane that failed for good and counts the failure by activity', async () => {
    const m = new RolloutMetrics();
    m.record(ok('createPod', { namespace: 'prod', cloneSetName: 'web' }, { name: 'web-c' }));
    expect(await value(m, 'cloneset_rollout_pods_in_flight')).toBe(1);
    m.record(failed('waitPodReady', pod('web-c')));
    expect(await value(m, 'cloneset_rollout_pods_in_flight')).toBe(0);
    expect(await value(m, 'cloneset_rollout_activity_failures_total', 'activity="waitPodReady"')).toBe(1);
  });

  it('reads a planned observation: unavailable Pods from its counts, the run done when its decision is', async () => {
    const m = new RolloutMetrics();
    m.record(ok('prepareRollout', { namespace: 'prod', name: 'web' }, {}, 10_000));
    const planned = (done: boolean, current: number, available: number) => ({
      atMs: 0,
      generation: 1,
      decision: { done, counts: { current, available } },
      pods: {},
    });
    m.record(ok('observePlan', {}, planned(false, 4, 1), 0, 12_000));
    expect(await value(m, 'cloneset_rollout_pods_unavailable')).toBe(3);
    expect(await value(m, 'cloneset_rollout_duration_seconds_count')).toBe(0);
    m.record(ok('observePlan', {}, planned(true, 4, 4), 0, 25_000));
    expect(await value(m, 'cloneset_rollout_pods_unavailable')).toBe(0);
    expect(await value(m, 'cloneset_rollout_duration_seconds_count')).toBe(1);
    expect(await value(m, 'cloneset_rollout_duration_seconds_sum')).toBe(15);
    m.record(ok('observePlan', {}, { ...planned(false, 0, 0), decision: null }, 0, 26_000)); // generation changed: nothing
    expect(await value(m, 'cloneset_rollout_duration_seconds_count')).toBe(1);
  });

  it('forgets a lane whose end it never saw after an hour (no stuck in-flight gauge)', async () => {
    const m = new RolloutMetrics();
    m.record(ok('markPodNotReady', pod('web-d'), {}, -61 * 60_000));
    expect(await value(m, 'cloneset_rollout_pods_in_flight')).toBe(0);
  });
});
