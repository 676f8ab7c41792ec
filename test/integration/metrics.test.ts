/**
 * Observability of a real rollout: one `/metrics` scrape carries the Temporal SDK's metrics (its Prometheus exporter,
 * turned on through the single Runtime.install in src/log.ts) and the project's rollout metrics; the health endpoints
 * answer; and every activity log line carries workflowId, runId, activity (and pod, for Pod activities).
 */
import { createServer } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installTemporalLogging } from '../../src/log.js';
import { rolloutMetrics } from '../../src/metrics/rollout.js';
import { startHealthServer, type HealthServer } from '../../src/metrics/server.js';
import { createRolloutWorker } from '../../src/worker/index.js';
import { prebuiltWorkflowBundle } from '../support/bundle.js';
import { applyAndRoll, cloneSet, startTestEnv, uniqueNamespace, type TestEnv } from '../support/env.js';

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

/** Every JSON log line the worker writes. */
const lines: Record<string, unknown>[] = [];
const sink = new Writable({
  write(chunk, _enc, done) {
    for (const l of String(chunk).split('\n')) if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
    done();
  },
});

let env: TestEnv;
let health: HealthServer;
let stopWorker: () => Promise<void>;
let workerRunning = false;
const sdkAddress = `127.0.0.1:${await freePort()}`;

beforeAll(async () => {
  const logger = pino({ level: 'info' }, sink);
  // First install in this process (each test file runs in its own fork): the SDK exporter comes up with it.
  expect(installTemporalLogging(logger, { metricsBindAddress: sdkAddress })).toBe(true);
  env = await startTestEnv({ worker: false });
  const { worker, connection } = await createRolloutWorker({
    address: env.address,
    taskQueue: env.taskQueue,
    kubeConfig: env.cluster.kubeConfig(),
    logger,
    workflowBundle: prebuiltWorkflowBundle(),
  });
  const running = worker.run();
  workerRunning = true;
  stopWorker = async () => {
    worker.shutdown();
    await running;
    await connection.close();
  };
  health = await startHealthServer({
    port: 0,
    host: '127.0.0.1',
    checks: { worker: () => workerRunning },
    metrics: () => rolloutMetrics.text(),
    sdkMetricsAddress: sdkAddress,
  });
});
afterAll(async () => {
  await health?.close();
  await stopWorker?.();
  await env?.stop();
});

const get = async (path: string) => {
  const res = await fetch(`http://127.0.0.1:${health.port}${path}`);
  return { status: res.status, text: await res.text() };
};

/** Value of one sample line, e.g. metric('x_total', {namespace: 'a'}). */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && want.every((w) => l.includes(w)));
  return line === undefined ? undefined : Number(line.split(' ').pop());
}

describe('observability of a rollout', () => {
  it('serves SDK and rollout metrics on one /metrics, and logs every activity line with its context', async () => {
    const ns = uniqueNamespace('metrics');
    const cs = cloneSet(ns, 'web', { replicas: 3, updateStrategy: { type: 'InPlaceIfPossible', maxUnavailable: 1 } });
    await applyAndRoll(env, cs);
    cs.spec.template.spec.containers[0]!.image = 'nginx:latest';
    const { result } = await applyAndRoll(env, cs);
    expect(result.updatedInPlace).toBe(3);

    const { status, text } = await get('/metrics');
    expect(status).toBe(200);
    const labels = { namespace: ns, cloneset: 'web' };
    // Ours.
    expect(sample(text, 'cloneset_rollout_pods_created_total', labels)).toBe(3);
    expect(sample(text, 'cloneset_rollout_pods_updated_in_place_total', labels)).toBe(3);
    expect(sample(text, 'cloneset_rollout_pods_in_flight', labels)).toBe(0);
    expect(sample(text, 'cloneset_rollout_pods_unavailable', labels)).toBe(0);
    expect(sample(text, 'cloneset_rollout_pod_update_seconds_count', labels)).toBe(3);
    expect(sample(text, 'cloneset_rollout_duration_seconds_count', labels)).toBe(2);
    // The SDK's, from its exporter (worker task latencies, activity executions...).
    expect(text).toMatch(/^temporal_\w+/m);
    expect(text).toMatch(/^temporal_activity_execution_latency\w*\{[^}]*activity_type="finishPodsInPlace"/m);

    // Logs: every line the activities write names its workflow, run and activity; Pod activities name the Pod.
    const activityLines = lines.filter((l) => l.component === 'activities');
    expect(activityLines.length).toBeGreaterThan(10);
    for (const l of activityLines) {
      expect(l, JSON.stringify(l)).toMatchObject({ workflowId: `cloneset/${ns}/web`, runId: expect.any(String), activity: expect.any(String) });
      // Pod activities name their Pod; a batch step's own summary line names all of its Pods.
      if (l.activity !== 'prepareRollout' && l.activity !== 'observePlan')
        expect(l.pod ?? l.pods, JSON.stringify(l)).toEqual(l.pod ? expect.any(String) : expect.arrayContaining([expect.any(String)]));
    }
    expect(new Set(activityLines.map((l) => l.activity))).toEqual(
      new Set(['prepareRollout', 'createPod', 'markPodReady', 'markPodsNotReady', 'patchPodsInPlace', 'finishPodsInPlace']),
    );
  });

  it('answers the probes: /healthz always, /readyz only while every check passes', async () => {
    expect(await get('/healthz')).toEqual({ status: 200, text: 'ok\n' });
    expect((await get('/readyz')).status).toBe(200);
    workerRunning = false;
    expect(await get('/readyz')).toEqual({ status: 503, text: 'not ready: worker\n' });
    workerRunning = true;
    expect((await get('/nope')).status).toBe(404);
  });
});
