/**
 * A real Prometheus scraping the simulated kubelet's per-Pod metrics, and the PromQL a rollout's analysis runs on
 * them: the error ratio is 0 while only good images run and above 0 once a Pod runs an error image. Also what
 * Prometheus answers to a malformed query (the rollout's start check relies on it). Needs /usr/bin/prometheus
 * (`bash scripts/setup.sh --test`).
 */
import type { V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimApiServer, type SimApiServer } from '../../src/sim/apiserver/index.js';
import { startSimKubelet, type SimKubelet } from '../../src/sim/index.js';
import { startPrometheus, type TestPrometheus } from '../support/prometheus.js';
import { FAST, PodClient, podName, waitFor } from './kubelet-helpers.js';

const ERROR_RATIO = 'sum(rate(http_requests_total{code="500"}[5s])) / sum(rate(http_requests_total[5s]))';

const manifest = (name: string, image: string): V1Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default', labels: { app: 'scrape-test', 'controller-revision-hash': 'web-1' } },
  spec: { containers: [{ name: 'app', image }] },
});

describe('Prometheus scraping the simulated kubelet', () => {
  let api: SimApiServer;
  let kubelet: SimKubelet;
  let prom: TestPrometheus;
  let pods: PodClient;

  beforeAll(async () => {
    api = await startSimApiServer({ port: 0 });
    kubelet = await startSimKubelet(api.kubeConfig(), { ...FAST, metrics: { requestsPerSecond: 100, errorImages: ':broken' } });
    pods = new PodClient(api.kubeConfig());
    prom = await startPrometheus({ targets: [kubelet.metricsUrl!], scrapeIntervalMs: 1000 });
  }, 60_000);

  afterAll(async () => {
    await prom?.stop();
    await kubelet?.stop();
    await api?.close();
  }, 30_000);

  const ratio = async (): Promise<number | undefined> => {
    const r = await prom.query(ERROR_RATIO);
    expect(r.status).toBe('success');
    const v = r.data?.result[0]?.value[1];
    return v === undefined ? undefined : Number(v);
  };

  it('the error ratio is 0 for good Pods only, above 0 once a Pod runs an error image', { timeout: 60_000 }, async () => {
    await pods.create(manifest(podName('good'), 'nginx:1'));
    await pods.create(manifest(podName('good'), 'nginx:1'));
    await prom.waitForSeries('http_requests_total{code="200"} > 0', 20_000);
    await prom.waitForSeries(ERROR_RATIO, 20_000);
    expect(await ratio()).toBe(0);
    const up = await prom.query(`up{job="target-0"}`);
    expect(up.data?.result.map((s) => s.value[1])).toEqual(['1']);

    await pods.create(manifest(podName('bad'), 'nginx:broken'));
    await prom.waitForSeries('http_requests_total{code="500"} > 0', 20_000);
    const bad = await waitFor(
      'a rising error ratio',
      async () => {
        const v = await ratio();
        return v !== undefined && v > 0 ? v : undefined;
      },
      20_000,
      250,
    );
    expect(bad).toBeGreaterThan(0);
    expect(bad).toBeLessThanOrEqual(1);
  });

  it('refuses a malformed query: status error, errorType bad_data', async () => {
    const res = await fetch(`${prom.url}/api/v1/query?${new URLSearchParams({ query: 'sum(rate(' }).toString()}`);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ status: 'error', errorType: 'bad_data', error: expect.stringMatching(/parse error/) });
  });
});
