/**
 * Canary steps on the real dev server and the simulated cluster: the step's partition holds the rollout, `pause: {}`
 * waits for `approve`, `pause: { duration }` bakes on a durable timer, `promote` skips, and the validators refuse a
 * control nothing waits for. The window is checked by an independent watcher of Pod readiness in every test.
 *
 * No test races the rollout: each waits on the canary's own state (Paused, Baking) in the progress query, where the
 * rollout holds until the test acts (an approval, a promote, a bake of an hour).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RolloutControlRejectedError } from '../../src/client/index.js';
import { applyCloneSet } from '../../src/kube/apply.js';
import { CanaryStatus, STEPS_ANNOTATION } from '../../src/rollout/index.js';
import { projectCli } from '../support/cli.js';
import { canaryAt, untilProgress } from '../support/progress.js';
import { watchPods } from '../support/watcher.js';
import { applyAndRoll, cloneSet, livePods, startTestEnv, uniqueNamespace, type TestEnv } from '../support/env.js';

let env: TestEnv;

const cli = (...args: string[]) => projectCli(env.address, args, 60_000);
beforeAll(async () => {
  env = await startTestEnv();
});
afterAll(async () => {
  await env?.stop();
});

const until = untilProgress;
const at = canaryAt;
const images = async (ns: string) => (await livePods(env, ns, 'web')).map((p) => p.spec!.containers[0]!.image).sort();
const uids = async (ns: string) => (await livePods(env, ns, 'web')).map((p) => p.metadata!.uid).sort();
const strategy = { type: 'InPlaceIfPossible' as const, maxUnavailable: 1 };

async function fourPods(ns: string, annotations?: Record<string, string>) {
  const cs = cloneSet(ns, 'web', { replicas: 4, updateStrategy: strategy });
  await applyAndRoll(env, cs);
  if (annotations) await applyCloneSet(env.k, { ...cs, metadata: { ...cs.metadata, annotations } });
}

describe('canary steps', () => {
  it('holds at each step: 1 Pod until approved, 50% for a bake time, then the rest; who approved is recorded', async () => {
    const ns = uniqueNamespace('canary');
    await fourPods(ns);
    const before = await uids(ns);
    const w = await watchPods(env.cluster.kubeConfig(), ns, 4);
    const handle = await env.client.start({
      namespace: ns,
      name: 'web',
      images: { nginx: 'nginx:1.27' },
      steps: [{ replicas: 1, pause: {} }, { replicas: '50%', pause: { duration: 2 } }, { replicas: '100%' }],
    });

    const paused = await until(handle, 'step 1 waiting for an approval', at(CanaryStatus.Paused, 0));
    expect(paused.canary!.steps.map((s) => s.pods)).toEqual([1, 2, 4]);
    expect(paused.waiting).toMatch(/step 1's pause: approve to go on/);
    // Held: no new Pod for 2 s, exactly one at the new image.
    const heldAt = Date.now();
    await new Promise((r) => setTimeout(r, 2_000));
    expect(w.firstStepAfter(heldAt)).toBeUndefined();
    expect(await images(ns)).toEqual(['nginx:1.27', 'nginx:perl', 'nginx:perl', 'nginx:perl']);

    const approved = await handle.approve({ by: 'alice', reason: 'canary looks good' });
    expect(approved).toMatchObject({ steps: 3 });
    const baking = await until(handle, 'step 2 baking', at(CanaryStatus.Baking, 1));
    expect(baking.canary!.bakeUntilMs).toBeGreaterThan(0);
    expect((await images(ns)).filter((i) => i === 'nginx:1.27')).toHaveLength(2);
    const early = await handle.approve().catch((e: unknown) => e);
    expect(early).toBeInstanceOf(RolloutControlRejectedError);
    expect((early as Error).message).toMatch(/approve: nothing waits for an approval \(step 2 of 3: baking\)/);

    const result = await handle.result();
    w.stop();
    expect(result.outcome).toBe('Completed');
    expect(result.updatedInPlace).toBe(4);
    expect(result.canary!.status).toBe(CanaryStatus.Done);
    expect(result.canary!.approvals).toEqual([expect.objectContaining({ step: 0, control: 'approve', by: 'alice', reason: 'canary looks good' })]);
    expect(await images(ns)).toEqual(Array(4).fill('nginx:1.27'));
    expect(await uids(ns)).toEqual(before);
    expect(w.maxUnavailable).toBeLessThanOrEqual(1);
    // The bake time is one durable timer of 2 s in the history.
    const timers = (await handle.workflow.fetchHistory()).events!.filter((e) => e.timerStartedEventAttributes?.startToFireTimeout?.seconds?.toString() === '2');
    expect(timers).toHaveLength(1);
  });

  it('promote skips every remaining pause, bake times included; a second promote is refused', async () => {
    const ns = uniqueNamespace('canary');
    await fourPods(ns);
    const w = await watchPods(env.cluster.kubeConfig(), ns, 4);
    const handle = await env.client.start({
      namespace: ns,
      name: 'web',
      images: { nginx: 'nginx:1.27' },
      steps: [
        { replicas: 1, pause: { duration: 3600 } },
        { replicas: 2, pause: {} },
        { replicas: 3, pause: { duration: 3600 } },
      ],
    });
    await until(handle, 'step 1 baking for an hour', at(CanaryStatus.Baking, 0));
    const promoted = await handle.promote({ by: 'bob', reason: 'hotfix' });
    expect(promoted.promoted).toMatchObject({ full: false, by: 'bob', reason: 'hotfix' });
    const again = await handle.promote().catch((e: unknown) => e);
    expect((again as Error).message).toMatch(/promote: already promoted/);
    const result = await handle.result();
    w.stop();
    expect(result.outcome).toBe('Completed');
    expect(await images(ns)).toEqual(Array(4).fill('nginx:1.27'));
    expect(result.canary!.approvals.map((a) => a.control)).toEqual(['promote']);
    expect(w.maxUnavailable).toBeLessThanOrEqual(1);
  });

  it('scaling during a step keeps its meaning: 25% of 8 Pods, new Pods for the partition created at the old revision', async () => {
    const ns = uniqueNamespace('canary');
    await fourPods(ns);
    const w = await watchPods(env.cluster.kubeConfig(), ns, 4);
    const handle = await env.client.start({ namespace: ns, name: 'web', images: { nginx: 'nginx:1.27' }, steps: [{ replicas: '25%', pause: {} }] });
    await until(handle, 'step 1 (1 of 4 Pods) waiting', at(CanaryStatus.Paused, 0));
    expect((await images(ns)).filter((i) => i === 'nginx:1.27')).toHaveLength(1);
    // Scaled to 8 while the step holds: 25% is now 2 Pods; the 4 new Pods are 1 at the new revision, 3 at the old.
    const cs = cloneSet(ns, 'web', { replicas: 8, updateStrategy: strategy });
    await applyCloneSet(env.k, {
      ...cs,
      spec: { ...cs.spec, template: { ...cs.spec.template, spec: { containers: [{ name: 'nginx', image: 'nginx:1.27', imagePullPolicy: 'IfNotPresent' }] } } },
    });
    // As the controller does on a new generation (without one, the held rollout sees the edit at its next resync).
    await handle.workflow.signal('specChanged', { generation: 0 });
    const p = await until(
      handle,
      'the step at 2 of 8 Pods',
      (x) => x.canary?.status === CanaryStatus.Paused && x.counts.total === 8 && x.counts.available === 8,
      90_000,
    );
    expect(p.canary!.steps[0]!.pods).toBe(2);
    expect(w.maxUnavailable).toBeLessThanOrEqual(1);
    w.resetMarks(8); // the window is measured against the new replicas from here
    expect(await images(ns)).toEqual([...Array(2).fill('nginx:1.27'), ...Array(6).fill('nginx:perl')]);
    await handle.approve({ by: 'dana' });
    const result = await handle.result();
    w.stop();
    expect(result.outcome).toBe('Completed');
    expect(await images(ns)).toEqual(Array(8).fill('nginx:1.27'));
    expect(w.maxUnavailable).toBeLessThanOrEqual(1);
  });

  it('cloneset-rollout approve and promote: refused with the reason when nothing waits, recorded with who and why', async () => {
    const ns = uniqueNamespace('canary');
    await fourPods(ns);
    const w = await watchPods(env.cluster.kubeConfig(), ns, 4);
    const handle = await env.client.start({
      namespace: ns,
      name: 'web',
      images: { nginx: 'nginx:1.27' },
      steps: [
        { replicas: 1, pause: { duration: 3600 } },
        { replicas: 2, pause: {} },
        { replicas: 3, pause: {} },
      ],
    });
    await until(handle, 'step 1 baking', at(CanaryStatus.Baking, 0));
    const early = await cli('approve', 'web', '-n', ns);
    expect(early.code).toBe(1);
    expect(early.stderr).toMatch(/approve: nothing waits for an approval \(step 1 of 3: baking\)/);
    expect(await cli('promote', 'web', '-n', ns, '--by', 'erin')).toMatchObject({
      code: 0,
      stdout: `promoted ${ns}/web at step 1 of 3: the remaining pauses are skipped\n`,
    });
    const result = await handle.result();
    expect(result.outcome).toBe('Completed');
    expect(result.canary!.approvals).toEqual([expect.objectContaining({ control: 'promote', by: 'erin', step: 0 })]);
    expect(result.canary!.approvals[0]!.atMs).toBeGreaterThan(0);

    // A second rollout of the same CloneSet: approve from the CLI with a reason.
    const second = await env.client.start({ namespace: ns, name: 'web', images: { nginx: 'nginx:1.28' }, steps: [{ replicas: 1, pause: {} }] });
    await until(second, 'step 1 waiting', at(CanaryStatus.Paused, 0));
    const ok = await cli('approve', 'web', '-n', ns, '--by', 'frank', '--reason', 'canary at 0.1% errors');
    expect(ok).toMatchObject({ code: 0, stdout: `approved ${ns}/web at step 1 of 1: the rollout goes on\n` });
    const r2 = await second.result();
    expect(r2.canary!.approvals[0]).toMatchObject({ control: 'approve', by: 'frank', reason: 'canary at 0.1% errors' });
    expect(await images(ns)).toEqual(Array(4).fill('nginx:1.28'));
    w.stop();
    expect(w.maxUnavailable).toBeLessThanOrEqual(1);
  });

  it('takes its steps from the CloneSet annotation when the input has none (controller mode, apply)', async () => {
    const ns = uniqueNamespace('canary');
    await fourPods(ns, { [STEPS_ANNOTATION]: JSON.stringify([{ replicas: '25%', pause: {} }]) });
    const w = await watchPods(env.cluster.kubeConfig(), ns, 4);
    const handle = await env.client.start({ namespace: ns, name: 'web', images: { nginx: 'nginx:1.27' } });
    const p = await until(handle, 'the annotation step waiting', at(CanaryStatus.Paused, 0));
    expect(p.counts.updated).toBe(1);
    await handle.approve({ by: 'carol' });
    const result = await handle.result();
    w.stop();
    expect(result.updatedInPlace).toBe(4);
    expect(result.canary!.approvals[0]).toMatchObject({ by: 'carol' });
    expect(w.maxUnavailable).toBeLessThanOrEqual(1);
  });

  it('a bad steps annotation fails the run naming the annotation', async () => {
    const ns = uniqueNamespace('canary');
    await fourPods(ns, { [STEPS_ANNOTATION]: '[{"replicas": "2OO%"}]' });
    const w = await watchPods(env.cluster.kubeConfig(), ns, 4);
    const handle = await env.client.start({ namespace: ns, name: 'web' });
    const err = await handle.result().catch((e: unknown) => e);
    expect(String((err as Error).message)).toMatch(/metadata\.annotations\[cloneset-rollout\.io\/steps\]\[0\]\.replicas: "2OO%" must be an integer/);
    w.stop();
    expect(w.firstStepAfter(0)).toBeUndefined(); // no Pod was touched
  });
});
