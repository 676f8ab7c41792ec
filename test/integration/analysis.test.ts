/**
 * Metric analysis with real parts: a real Prometheus (the Debian package) scraping the per-Pod request counters the
 * simulated kubelet serves on loopback, where an image tagged `:broken` answers every request with a 500, and the
 * `web` provider against a loopback HTTP server in the test. The rollout worker runs as its own process, so the
 * tests can SIGKILL it during a bake time and during an analysis interval.
 *
 * No test races the rollout or Prometheus: a step's analysis runs only after an approval the test gives once
 * Prometheus has scraped what the analysis must see (waitForSeries), and the kills land inside timers that are long
 * by construction (a 20 s bake, a 12 s interval).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RolloutControlRejectedError } from '../../src/client/index.js';
import { applyCloneSet } from '../../src/kube/apply.js';
import { CanaryStatus } from '../../src/rollout/index.js';
import { findTemporalCli } from '../../src/temporal/binary.js';
import { startPrometheus, type TestPrometheus } from '../support/prometheus.js';
import { canaryAt, untilProgress } from '../support/progress.js';
import { watchPods } from '../support/watcher.js';
import { WorkerProcess } from '../support/worker-process.js';
import { cloneSet, ensureNamespace, livePods, startTestEnv, uniqueNamespace, type TestEnv } from '../support/env.js';

const run = promisify(execFile);
const cli = findTemporalCli()!;

let env: TestEnv;
let prom: TestPrometheus;
let worker: WorkerProcess;
let hooks: Server;
let hookUrl = '';
/** What the webhook received, in order. */
const received: { event: string; step: unknown; details: Record<string, unknown> }[] = [];
/** What the `web` metric endpoint answers. */
let webAnswer: unknown = { healthy: true, errors: 0 };
const kubeconfigPath = join(mkdtempSync(join(tmpdir(), 'analysis-')), 'kubeconfig');

beforeAll(async () => {
  env = await startTestEnv({ worker: false, kubelet: { metrics: { requestsPerSecond: 20, errorImages: ':broken$' } } });
  await env.cluster.api!.writeKubeconfig(kubeconfigPath);
  prom = await startPrometheus({ targets: [env.cluster.kubelet!.metricsUrl!], scrapeIntervalMs: 1000 });
  hooks = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (req.url === '/metric') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(webAnswer));
        return;
      }
      received.push(JSON.parse(body) as (typeof received)[number]);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => hooks.listen(0, '127.0.0.1', () => r()));
  hookUrl = `http://127.0.0.1:${(hooks.address() as { port: number }).port}`;
  worker = new WorkerProcess({ address: env.address, taskQueue: env.taskQueue, kubeconfigPath });
  await worker.start();
});
afterEach(async (ctx) => {
  if (ctx.task.result?.state === 'fail') console.error(`worker log:\n${worker.tail()}`);
});
afterAll(async () => {
  await worker?.stop();
  await prom?.stop();
  await new Promise((r) => hooks?.close(r));
  await env?.stop();
});

const until = untilProgress;
const at = canaryAt;
const images = async (ns: string) => (await livePods(env, ns, 'web')).map((p) => p.spec!.containers[0]!.image).sort();
const uids = async (ns: string) => (await livePods(env, ns, 'web')).map((p) => p.metadata!.uid).sort();
/** The share of the namespace's requests answered with a 500 over the last 5 s. */
const errorRate = (ns: string) => `sum(rate(http_requests_total{namespace="${ns}",code="500"}[5s])) / sum(rate(http_requests_total{namespace="${ns}"}[5s]))`;
const prometheusMetric = (ns: string, extra: Record<string, unknown> = {}) => ({
  name: 'error-rate',
  interval: '1s',
  count: 2,
  failureLimit: 0,
  successCondition: 'result[0] <= 0.05',
  failureCondition: 'result[0] > 0.05',
  provider: { prometheus: { address: prom.url, query: errorRate(ns) } },
  ...extra,
});

async function fourPods(ns: string): Promise<void> {
  await ensureNamespace(env.k, ns);
  await applyCloneSet(env.k, cloneSet(ns, 'web', { replicas: 4, updateStrategy: { type: 'InPlaceIfPossible', maxUnavailable: 1 } }));
  await (await env.client.start({ namespace: ns, name: 'web' })).result();
}

/** Approves with the Temporal CLI, as an operator would. */
async function approveWithCli(workflowId: string, by: string, reason: string): Promise<string> {
  const out = await run(cli, [
    'workflow',
    'update',
    'execute',
    '--address',
    env.address,
    '--workflow-id',
    workflowId,
    '--name',
    'approve',
    '--input',
    JSON.stringify({ by, reason }),
  ]);
  return out.stdout;
}

describe('metric analysis', () => {
  it('a healthy canary passes its Prometheus and web analyses and completes through two steps and an approval given with the Temporal CLI', async () => {
    const ns = uniqueNamespace('ana');
    await fourPods(ns);
    const before = await uids(ns);
    const w = await watchPods(env.cluster.kubeConfig(), ns, 4);
    received.length = 0;
    webAnswer = { healthy: true, errors: 0 };
    const handle = await env.client.start({
      namespace: ns,
      name: 'web',
      images: { nginx: 'nginx:1.27' },
      steps: [
        { replicas: 1, pause: {} },
        {
          replicas: '50%',
          analysis: {
            metrics: [
              prometheusMetric(ns),
              { name: 'health', interval: '1s', successCondition: 'result == true', provider: { web: { url: `${hookUrl}/metric`, jsonPath: '{$.healthy}' } } },
            ],
          },
        },
        { replicas: '100%' },
      ],
      analysis: { metrics: [prometheusMetric(ns, { name: 'background-errors', interval: '2s', count: undefined })] },
      notifications: { webhook: { url: `${hookUrl}/hook` } },
    });
    await until(handle, 'step 1 waiting for an approval', at(CanaryStatus.Paused, 0));
    // Prometheus has scraped the canary's new container before the analysis may look.
    await prom.waitForSeries(`http_requests_total{namespace="${ns}",image="nginx:1.27"}`, 60_000);
    const out = await approveWithCli(handle.workflowId, 'release-bot', 'canary serving');
    expect(out).toMatch(/Paused|Analysing|Rolling|status/i);

    const result = await handle.result();
    w.stop();
    expect(result.outcome).toBe('Completed');
    expect(await images(ns)).toEqual(Array(4).fill('nginx:1.27'));
    expect(await uids(ns)).toEqual(before);
    expect(w.maxUnavailable).toBeLessThanOrEqual(1);
    const c = result.canary!;
    expect(c.approvals[0]).toMatchObject({ step: 0, control: 'approve', by: 'release-bot', reason: 'canary serving' });
    const stepRuns = c.analyses.filter((a) => a.step === 1);
    expect(stepRuns.map((a) => [a.metric, a.phase])).toEqual([
      ['error-rate', 'Successful'],
      ['health', 'Successful'],
    ]);
    // count 2: two Successful measurements (an Error one, e.g. a rate() not yet computable, does not count).
    const ms = stepRuns[0]!.measurements;
    expect(
      ms.filter((m) => m.phase === 'Successful' && Array.isArray(m.value)),
      JSON.stringify(ms),
    ).toHaveLength(2);
    expect(
      ms.every((m) => m.phase === 'Successful' || m.phase === 'Error'),
      JSON.stringify(ms),
    ).toBe(true);
    expect(stepRuns[1]!.measurements[0]).toMatchObject({ phase: 'Successful', value: true });
    const bg = c.analyses.find((a) => a.step === null)!;
    expect(bg.metric).toBe('background-errors');
    expect(bg.count).toBeGreaterThanOrEqual(1);
    expect(bg.measurements.some((m) => m.phase === 'Successful') && bg.measurements.every((m) => m.phase !== 'Failed')).toBe(true);
    // Each notification is its own activity: they arrive in any order.
    expect(received.map((r) => r.event).sort()).toEqual(['ApprovalNeeded', 'Completed', 'StepReached', 'StepReached', 'StepReached']);
    expect(received.filter((r) => r.event === 'StepReached').map((r) => (r.step as { index: number }).index)).toEqual(expect.arrayContaining([0, 1, 2]));
  });

  it('an erroring image fails the analysis: every updated Pod returns to the old image in place, RolledBack names metric, value and condition, with an Event', async () => {
    const ns = uniqueNamespace('ana');
    await fourPods(ns);
    const before = await uids(ns);
    const w = await watchPods(env.cluster.kubeConfig(), ns, 4);
    received.length = 0;
    const handle = await env.client.start({
      namespace: ns,
      name: 'web',
      images: { nginx: 'nginx:broken' },
      steps: [{ replicas: 2, pause: {} }, { replicas: 2, analysis: { metrics: [prometheusMetric(ns, { count: 3, failureLimit: 1 })] } }, { replicas: '100%' }],
      notifications: { webhook: { url: `${hookUrl}/hook`, events: ['AnalysisFailed', 'RolledBack'] } },
    });
    await until(handle, 'step 1 waiting for an approval', at(CanaryStatus.Paused, 0));
    expect((await images(ns)).filter((i) => i === 'nginx:broken')).toHaveLength(2);
    // The errors are in Prometheus before the analysis runs: its verdict does not hang on a scrape.
    await prom.waitForSeries(`(${errorRate(ns)}) > 0.05`, 60_000);
    await handle.approve({ by: 'alice' });

    const result = await handle.result();
    w.stop();
    expect(result.outcome).toBe('RolledBack');
    expect(await images(ns)).toEqual(Array(4).fill('nginx:perl'));
    expect(await uids(ns)).toEqual(before);
    expect(w.maxUnavailable).toBeLessThanOrEqual(1);
    const run1 = result.canary!.analyses.find((a) => a.step === 1)!;
    expect(run1.phase).toBe('Failed');
    // failureLimit 1: decided within failureLimit + 1 measurements, each of them Failed.
    expect(run1.count).toBeLessThanOrEqual(2);
    expect(run1.measurements.every((m) => m.phase === 'Failed')).toBe(true);
    expect(result.canary!.failed).toMatchObject({ metric: 'error-rate', step: 1, condition: 'result[0] > 0.05' });
    expect(result.reason).toMatch(
      /step 2's analysis failed: metric error-rate failed: 2 of 2 measurements failed \(failureLimit 1\): failureCondition "result\[0\] > 0\.05" is true for result \[0\.\d+\]/,
    );
    const events = await env.k.core.listNamespacedEvent({ namespace: ns });
    const failedEvent = events.items.find((e) => e.reason === 'AnalysisFailed');
    expect(failedEvent?.type).toBe('Warning');
    expect(failedEvent?.message).toMatch(/metric error-rate failed/);
    expect(received.map((r) => r.event).sort()).toEqual(['AnalysisFailed', 'RolledBack']);
    expect(received.find((r) => r.event === 'AnalysisFailed')!.details).toMatchObject({ metric: 'error-rate', condition: 'result[0] > 0.05' });
  });

  it('an inconclusive analysis pauses for an approval; promote with full skips the remaining analyses', async () => {
    const ns = uniqueNamespace('ana');
    await fourPods(ns);
    const w = await watchPods(env.cluster.kubeConfig(), ns, 4);
    webAnswer = { healthy: 'unknown' };
    const handle = await env.client.start({
      namespace: ns,
      name: 'web',
      images: { nginx: 'nginx:1.27' },
      steps: [
        {
          replicas: 1,
          analysis: {
            metrics: [
              {
                name: 'health',
                interval: '1s',
                successCondition: 'result == true',
                failureCondition: 'result == false',
                provider: { web: { url: `${hookUrl}/metric`, jsonPath: '{$.healthy}' } },
              },
            ],
          },
        },
        { replicas: 2, analysis: { metrics: [prometheusMetric(ns, { initialDelay: '1h' })] } },
      ],
    });
    const p = await until(handle, 'the inconclusive analysis waiting for an approval', at(CanaryStatus.Paused, 0));
    expect(p.canary!.waitingFor).toMatch(/step 1's analysis inconclusive: metric health inconclusive/);
    expect(p.canary!.analyses[0]).toMatchObject({ phase: 'Inconclusive' });
    await handle.approve({ by: 'bob', reason: 'checked by hand' });
    await until(handle, 'step 2 analysing (an initial delay of an hour)', at(CanaryStatus.Analysing, 1));
    const promoted = await handle.promote({ full: true, by: 'bob' });
    expect(promoted.promoted).toMatchObject({ full: true });
    const result = await handle.result();
    w.stop();
    expect(result.outcome).toBe('Completed');
    expect(result.canary!.analyses.find((a) => a.step === 1)!.phase).toBe('Skipped');
    expect(await images(ns)).toEqual(Array(4).fill('nginx:1.27'));
    expect(w.maxUnavailable).toBeLessThanOrEqual(1);
    const late = await handle.approve().catch((e: unknown) => e);
    expect(late).not.toBeInstanceOf(RolloutControlRejectedError); // closed: not running, a different error
  });

  it('a worker SIGKILL during a bake time and during an analysis interval: the bake is not restarted, at most one measurement repeats', async () => {
    const ns = uniqueNamespace('ana');
    await fourPods(ns);
    const w = await watchPods(env.cluster.kubeConfig(), ns, 4);
    const handle = await env.client.start({
      namespace: ns,
      name: 'web',
      images: { nginx: 'nginx:1.27' },
      steps: [
        { replicas: 1, pause: { duration: 20 } },
        { replicas: 2, analysis: { metrics: [prometheusMetric(ns, { interval: '12s', count: 2 })] } },
      ],
    });
    const baking = await until(handle, 'step 1 baking', at(CanaryStatus.Baking, 0));
    const bakeStartedAt = Date.now();
    expect(baking.canary!.bakeUntilMs).toBeGreaterThan(0);
    // 8 s into the 20 s bake.
    await new Promise((r) => setTimeout(r, 8_000));
    await worker.kill();
    await worker.start();
    const analysing = await until(handle, 'step 2 analysing', at(CanaryStatus.Analysing, 1), 60_000);
    // The bake ended about 20 s after it began, not 20 s after the restart.
    expect(Date.now() - bakeStartedAt).toBeLessThan(20_000 + 15_000);
    expect(analysing.canary!.current).toBe(1);
    // The first measurement is taken, then the 12 s interval runs: the kill lands in it.
    await until(handle, 'the first measurement', (p) => (p.canary?.analyses.find((a) => a.step === 1)?.count ?? 0) >= 1, 60_000);
    await new Promise((r) => setTimeout(r, 4_000));
    await worker.kill();
    await worker.start();
    const result = await handle.result();
    w.stop();
    expect(result.outcome).toBe('Completed');
    const history = (await handle.workflow.fetchHistory()).events!;
    const timers = history.filter((e) => e.timerStartedEventAttributes?.startToFireTimeout?.seconds?.toString() === '20');
    expect(timers).toHaveLength(1); // one bake timer: never started again
    const measures = history.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'measureMetric');
    // count 2, and at most one taken again after a kill
    expect(measures.length).toBeGreaterThanOrEqual(2);
    expect(measures.length).toBeLessThanOrEqual(3);
    expect(result.canary!.analyses.find((a) => a.step === 1)).toMatchObject({ phase: 'Successful', count: 2 });
    expect(w.maxUnavailable).toBeLessThanOrEqual(1);
  });

  it('refuses at start a query Prometheus rejects and a condition that does not parse, naming the field, nothing changed', async () => {
    const ns = uniqueNamespace('ana');
    await fourPods(ns);
    const generation = async () =>
      (
        (await env.k.custom.getNamespacedCustomObject({ group: 'apps.kruise.io', version: 'v1alpha1', namespace: ns, plural: 'clonesets', name: 'web' })) as {
          metadata: { generation: number };
        }
      ).metadata.generation;
    const g0 = await generation();
    const cases: [Record<string, unknown>, RegExp][] = [
      [
        { steps: [{ replicas: 1, analysis: { metrics: [prometheusMetric(ns, { provider: { prometheus: { address: prom.url, query: 'sum(rate(' } } })] } }] },
        /steps\[0\]\.analysis\.metrics\[0\]\.provider\.prometheus\.query: Prometheus at .* rejects the query/,
      ],
      [{ analysis: { metrics: [prometheusMetric(ns, { failureCondition: 'result[0] >' })] } }, /analysis\.metrics\[0\]\.failureCondition: /],
      [{ analysis: { metrics: [prometheusMetric(ns, { interval: '500ms' })] } }, /analysis\.metrics\[0\]\.interval: must be at least 1s/],
      [{ analysis: { metrics: [{ ...prometheusMetric(ns), provider: { datadog: {} } }] } }, /unknown provider "datadog" \(known providers: prometheus, web\)/],
    ];
    for (const [extra, message] of cases) {
      const handle = await env.client.start({ namespace: ns, name: 'web', images: { nginx: 'nginx:1.27' }, ...extra } as never);
      const err = await handle.result().catch((e: unknown) => e);
      expect(String((err as Error).message)).toMatch(message);
    }
    expect(await generation()).toBe(g0);
    expect(await images(ns)).toEqual(Array(4).fill('nginx:perl'));
  });
});
