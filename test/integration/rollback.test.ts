/**
 * Revision history and "rollback to revision N" on the real Temporal dev server and the simulated cluster: a
 * rollback is a rollout like any other (in place when only images differ), the re-used revision moves to the top of
 * the history, an unknown revision fails cleanly with the CloneSet unchanged, and revisionHistoryLimit prunes.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readHistory, RolloutFailedError, type CloneSetHistory } from '../../src/client/index.js';
import { createActivities, type RolloutTarget } from '../../src/activities/index.js';
import { renderHistory } from '../../src/cli/history.js';
import { CLONESET } from '../../src/kube/clients.js';
import { REVISION_CLONESET_LABEL, ROLLBACK_ANNOTATION } from '../../src/rollout/history.js';
import type { CloneSet } from '../../src/rollout/index.js';
import { applyAndRoll, cloneSet, livePods, startTestEnv, testLogger, uniqueNamespace, type TestEnv } from '../support/env.js';

let env: TestEnv;
beforeAll(async () => {
  env = await startTestEnv();
});
afterAll(async () => {
  await env?.stop();
});

type Pods = Awaited<ReturnType<typeof livePods>>;
const uids = (pods: Pods) => Object.fromEntries(pods.map((p) => [p.metadata!.name!, p.metadata!.uid!]));
/** [number, nginx image] of each revision, oldest first. */
const numbered = (h: CloneSetHistory) => h.revisions.map((r) => [r.revision, r.images.nginx]);

async function readCloneSet(ns: string, name: string): Promise<CloneSet> {
  return (await env.k.custom.getNamespacedCustomObject({ ...CLONESET, namespace: ns, name })) as CloneSet;
}

async function controllerRevisions(ns: string, name: string) {
  const list = await env.k.apps.listNamespacedControllerRevision({ namespace: ns, labelSelector: `${REVISION_CLONESET_LABEL}=${name}` });
  return list.items
    .map((cr) => ({ name: cr.metadata!.name!, revision: cr.revision, image: (cr.data as CloneSet).spec.template.spec.containers[0]!.image }))
    .sort((a, b) => a.revision - b.revision);
}

/** A CloneSet at nginx:1, rolled through nginx:2 … nginx:`last` (one rollout each). */
async function rolledThrough(ns: string, last: number, spec: Partial<CloneSet['spec']> = {}) {
  const cs = cloneSet(ns, 'web', { replicas: 3, updateStrategy: { type: 'InPlaceIfPossible', maxUnavailable: 1 }, ...spec });
  cs.spec.template.spec.containers[0]!.image = 'nginx:1';
  await applyAndRoll(env, cs);
  for (let v = 2; v <= last; v++) {
    const r = await (await env.client.start({ namespace: ns, name: 'web', images: { nginx: `nginx:${v}` } })).result();
    expect(r.updatedInPlace).toBe(3);
  }
  return cs;
}

function expectAllOn(pods: Pods, image: string, revision: string) {
  expect(pods).toHaveLength(3);
  for (const p of pods) {
    expect(p.spec!.containers[0]!.image).toBe(image);
    expect(p.status!.containerStatuses![0]!.image).toBe(image);
    expect(p.metadata!.labels!['controller-revision-hash']).toBe(revision);
  }
}

describe('history and rollback', () => {
  it('rolls back to revision 1 in place, and the history shows it as revision 4', async () => {
    const ns = uniqueNamespace('rb');
    await rolledThrough(ns, 3);
    const h = await readHistory(env.k, ns, 'web');
    expect(numbered(h)).toEqual([
      [1, 'nginx:1'],
      [2, 'nginx:2'],
      [3, 'nginx:3'],
    ]);
    expect(h.revisions.map((r) => [r.pods, r.current, r.update])).toEqual([
      [0, false, false],
      [0, false, false],
      [3, true, true],
    ]);
    const v1 = h.revisions[0]!.name;
    const before = uids(await livePods(env, ns, 'web'));

    const result = await (await env.client.rollback(ns, 'web', { toRevision: 1 })).result();
    expect(result).toMatchObject({ fromRevision: h.revisions[2]!.name, toRevision: v1, updatedInPlace: 3, recreated: 0, created: 0, deleted: 0 });
    const after = await livePods(env, ns, 'web');
    expect(uids(after)).toEqual(before); // in place: same Pod names and uids
    expectAllOn(after, 'nginx:1', v1);
    expect((await readCloneSet(ns, 'web')).spec.template.spec.containers[0]!.image).toBe('nginx:1');

    const back = await readHistory(env.k, ns, 'web');
    expect(numbered(back)).toEqual([
      [2, 'nginx:2'],
      [3, 'nginx:3'],
      [4, 'nginx:1'],
    ]);
    expect(back.revisions[2]).toMatchObject({ name: v1, pods: 3, current: true, update: true });
    const table = renderHistory(back).split('\n');
    expect(table[0]).toMatch(/^REVISION\s+NAME\s+IMAGES\s+PODS\s+CREATED$/);
    expect(table[3]).toMatch(new RegExp(`^4\\s+${v1}\\s+nginx=nginx:1\\s+3\\s+\\d{4}-\\d\\d-\\d\\dT[\\d:]+Z\\s+current, update$`));
    if (process.env.SHOW_HISTORY) console.log(renderHistory(back));

    // Without a number: the previous revision (nginx:3), like `kubectl rollout undo`; it becomes 5.
    const undo = await (await env.client.rollback(ns, 'web')).result();
    expect(undo).toMatchObject({ toRevision: h.revisions[2]!.name, updatedInPlace: 3 });
    expectAllOn(await livePods(env, ns, 'web'), 'nginx:3', h.revisions[2]!.name);
    expect(numbered(await readHistory(env.k, ns, 'web'))).toEqual([
      [2, 'nginx:2'],
      [4, 'nginx:1'],
      [5, 'nginx:3'],
    ]);
  });

  it('fails a rollback to an unknown revision with a clear error, leaving the CloneSet and its history as they were', async () => {
    const ns = uniqueNamespace('rb');
    await rolledThrough(ns, 3);
    const cs = await readCloneSet(ns, 'web');
    const revisions = await controllerRevisions(ns, 'web');
    const pods = await livePods(env, ns, 'web');

    const err = await (await env.client.rollback(ns, 'web', { toRevision: 7 })).result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RolloutFailedError);
    expect((err as RolloutFailedError).type).toBe('InvalidSpec');
    expect((err as RolloutFailedError).message).toBe(`CloneSet ${ns}/web has no revision 7 (known: 1, 2, 3)`);

    // revision together with images: an input error, named.
    const both = await (await env.client.start({ namespace: ns, name: 'web', revision: 1, images: { nginx: 'nginx:9' } })).result().catch((e: unknown) => e);
    expect(both).toBeInstanceOf(RolloutFailedError);
    expect((both as RolloutFailedError).type).toBe('InvalidSpec');
    expect((both as RolloutFailedError).message).toMatch(/revision: cannot be combined with images/);

    const now = await readCloneSet(ns, 'web');
    expect(now.metadata.resourceVersion).toBe(cs.metadata.resourceVersion);
    expect(now.spec.template).toEqual(cs.spec.template);
    expect(await controllerRevisions(ns, 'web')).toEqual(revisions);
    expect((await livePods(env, ns, 'web')).map((p) => p.metadata!.resourceVersion)).toEqual(pods.map((p) => p.metadata!.resourceVersion));
  });

  it('says there is no previous revision when the CloneSet has only one', async () => {
    const ns = uniqueNamespace('rb');
    await rolledThrough(ns, 1);
    const err = await (await env.client.rollback(ns, 'web')).result().catch((e: unknown) => e);
    expect((err as RolloutFailedError).message).toBe(`CloneSet ${ns}/web has no previous revision to roll back to (known: 1)`);
  });

  it('keeps revisionHistoryLimit=2 old revisions besides the live ones', async () => {
    const ns = uniqueNamespace('rb');
    await rolledThrough(ns, 5, { revisionHistoryLimit: 2 });
    // At the last prepare: nginx:5 (update) and nginx:4 (current, on every Pod) are live; of nginx:1-3 the two newest stay.
    expect(await controllerRevisions(ns, 'web')).toEqual([
      { name: expect.any(String), revision: 2, image: 'nginx:2' },
      { name: expect.any(String), revision: 3, image: 'nginx:3' },
      { name: expect.any(String), revision: 4, image: 'nginx:4' },
      { name: expect.any(String), revision: 5, image: 'nginx:5' },
    ]);
    // A rollback to 3 renumbers it 6: 5 (current) and 6 (update) are live, 2 and 4 are within the limit.
    await (await env.client.rollback(ns, 'web', { toRevision: 3 })).result();
    expect((await controllerRevisions(ns, 'web')).map((r) => [r.revision, r.image])).toEqual([
      [2, 'nginx:2'],
      [4, 'nginx:4'],
      [5, 'nginx:5'],
      [6, 'nginx:3'],
    ]);
    // The next rollout (7, with 6 current) leaves 2, 4, 5 non-live: the oldest, 2, goes.
    await (await env.client.start({ namespace: ns, name: 'web', images: { nginx: 'nginx:7' } })).result();
    expect((await controllerRevisions(ns, 'web')).map((r) => [r.revision, r.image])).toEqual([
      [4, 'nginx:4'],
      [5, 'nginx:5'],
      [6, 'nginx:3'],
      [7, 'nginx:7'],
    ]);
  });

  it('prepareRollout with a revision is idempotent: a retry of the same run gives the same target', async () => {
    const ns = uniqueNamespace('rb');
    await rolledThrough(ns, 3);
    // eslint-disable-next-line @typescript-eslint/unbound-method -- activities are called unbound (Temporal registers the functions)
    const { prepareRollout } = createActivities({ kubeConfig: env.cluster.kubeConfig(), logger: testLogger });
    const attempt = (runId: string): Promise<RolloutTarget> =>
      new MockActivityEnvironment({ workflowExecution: { workflowId: `cloneset/${ns}/web`, runId } }).run(prepareRollout, {
        namespace: ns,
        name: 'web',
        revision: 0,
      }) as Promise<RolloutTarget>;
    const first = await attempt('run-a');
    const cs = await readCloneSet(ns, 'web');
    expect(cs.spec.template.spec.containers[0]!.image).toBe('nginx:2'); // the previous of nginx:3
    expect(JSON.parse(cs.metadata.annotations![ROLLBACK_ANNOTATION]!)).toEqual({ run: 'run-a', revision: first.updateRevision, number: 2 });
    const history = await controllerRevisions(ns, 'web');
    expect(history.map((r) => [r.revision, r.image])).toEqual([
      [1, 'nginx:1'],
      [3, 'nginx:3'],
      [4, 'nginx:2'],
    ]);
    // Retried (same run): "the previous revision" of the template now set would be nginx:3; the marker keeps nginx:2.
    const retry = await attempt('run-a');
    expect(retry.updateRevision).toBe(first.updateRevision);
    expect(retry.generation).toBe(first.generation);
    expect(await controllerRevisions(ns, 'web')).toEqual(history);
    // A new rollback run resolves afresh: the previous of nginx:2 is now nginx:3.
    const next = await attempt('run-b');
    expect(next.images).toEqual({ nginx: 'nginx:3' });
  });
});
