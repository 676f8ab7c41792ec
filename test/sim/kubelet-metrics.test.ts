/**
 * The simulated kubelet's per-Pod metrics: `http_requests_total` for every running container, by image, revision and
 * code, growing with the container's running time; a container of an error image answers with 500s; an in-place image
 * change restarts the counters for the new image. The rendering is checked at fixed instants, the endpoint against a
 * simulated cluster (only monotonic growth, ratios and bounds there: its counts depend on the wall clock).
 */
import type { KubeConfig, V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimApiServer, type SimApiServer } from '../../src/sim/apiserver/index.js';
import { containerSamples, metricsModel, renderMetrics, startSimKubelet, type SimKubelet } from '../../src/sim/index.js';
import type { PodRuntime } from '../../src/sim/kubelet/runtime.js';
import type { Pod } from '../../src/sim/kubelet/types.js';
import { FAST, PodClient, cstatus, podName, sleep, waitFor } from './kubelet-helpers.js';

/** One series of a scrape: its labels and value. */
interface Series {
  labels: Record<string, string>;
  value: number;
}

/** Parses the `http_requests_total` lines of a text exposition (label values here never hold `"` or `,`). */
function parseSeries(text: string): Series[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith('http_requests_total{'))
    .map((l) => {
      const m = /^http_requests_total\{(.*)\} (\d+)$/.exec(l);
      if (!m) throw new Error(`unparsable line ${l}`);
      const labels = Object.fromEntries(m[1]!.split(',').map((kv) => /^(\w+)="(.*)"$/.exec(kv)!.slice(1, 3) as [string, string]));
      return { labels, value: Number(m[2]) };
    });
}

const value = (series: Series[], pod: string, code: string, image?: string): number | undefined =>
  series.find((s) => s.labels.pod === pod && s.labels.code === code && (image === undefined || s.labels.image === image))?.value;

function pod(name: string, containers: Record<string, string>, revision?: string): Pod {
  return {
    metadata: { name, namespace: 'default', uid: `uid-${name}`, labels: revision ? { 'controller-revision-hash': revision } : {} },
    spec: { containers: Object.entries(containers).map(([n, image]) => ({ name: n, image })) },
  };
}

function runtime(p: Pod, containers: Record<string, Partial<PodRuntime['containers'][string]>>, terminated = false): PodRuntime {
  const out: PodRuntime['containers'] = {};
  for (const [n, c] of Object.entries(containers)) out[n] = { phase: 'running', image: '', imageID: '', restartCount: 0, readyAt: null, allocated: {}, ...c };
  return { uid: p.metadata.uid, acceptedAt: 0, containers: out, terminated };
}

describe('kubelet metrics rendering', () => {
  const good = pod('web-a', { app: 'nginx:1', sidecar: 'envoy:1' }, 'web-abc');
  const bad = pod('web-b', { app: 'nginx:broken' });
  const gone = pod('web-c', { app: 'nginx:1' });
  const pods = [
    { pod: bad, runtime: runtime(bad, { app: { image: 'nginx:broken', startedAt: 1_000 } }) },
    { pod: good, runtime: runtime(good, { app: { image: 'nginx:1', startedAt: 0 }, sidecar: { phase: 'creating', image: 'envoy:1' } }) },
    { pod: gone, runtime: runtime(gone, { app: { image: 'nginx:1', startedAt: 0 } }, true) },
  ];

  it.each([
    ['step 1: at the start no request was answered yet', 0, 1, { a: [0, 0], b: [0, 0] }],
    ['step 2: 2.5 s in, 25 requests for web-a; web-b started 1 s later, all of its 15 failed', 2_500, 1, { a: [25, 0], b: [0, 15] }],
    ['step 3: with errorRatio 0.5, web-b fails floor(15 / 2) of its requests', 2_500, 0.5, { a: [25, 0], b: [8, 7] }],
  ])('%s', (_step, now, errorRatio, want) => {
    const model = metricsModel({ requestsPerSecond: 10, errorImages: 'broken', errorRatio });
    const series = parseSeries(renderMetrics(containerSamples(pods, now, model)));
    expect(series.map((s) => `${s.labels.pod}/${s.labels.container}/${s.labels.code}`)).toEqual([
      'web-a/app/200',
      'web-a/app/500',
      'web-b/app/200',
      'web-b/app/500',
    ]);
    expect([value(series, 'web-a', '200'), value(series, 'web-a', '500')]).toEqual(want.a);
    expect([value(series, 'web-b', '200'), value(series, 'web-b', '500')]).toEqual(want.b);
  });

  it('renders HELP and TYPE lines and every label, escaping label values', () => {
    const odd = pod('web-d', { app: 'x' }, 'a"b\\c');
    const text = renderMetrics(containerSamples([{ pod: odd, runtime: runtime(odd, { app: { image: 'x', startedAt: 0 } }) }], 1_000, metricsModel({})));
    expect(text).toBe(
      [
        '# HELP http_requests_total HTTP requests answered by each running container, by response code.',
        '# TYPE http_requests_total counter',
        'http_requests_total{namespace="default",pod="web-d",container="app",image="x",revision="a\\"b\\\\c",code="200"} 10',
        'http_requests_total{namespace="default",pod="web-d",container="app",image="x",revision="a\\"b\\\\c",code="500"} 0',
        '',
      ].join('\n'),
    );
  });

  it('refuses an error ratio outside 0..1', () => {
    expect(() => metricsModel({ errorRatio: 1.5 })).toThrow(/metrics\.errorRatio/);
  });
});

describe('kubelet metrics endpoint', () => {
  let api: SimApiServer;
  let kc: KubeConfig;
  let kubelet: SimKubelet;
  let pods: PodClient;
  const RPS = 100;

  beforeAll(async () => {
    api = await startSimApiServer({ port: 0 });
    kc = api.kubeConfig();
    kubelet = await startSimKubelet(kc, { ...FAST, metrics: { requestsPerSecond: RPS, errorImages: ':broken' } });
    pods = new PodClient(kc);
  });

  afterAll(async () => {
    await kubelet?.stop();
    await api?.close();
  });

  const scrape = async (): Promise<Series[]> => {
    const res = await fetch(kubelet.metricsUrl!);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return parseSeries(await res.text());
  };

  const manifest = (name: string, image: string): V1Pod => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels: { app: 'metrics-test', 'controller-revision-hash': 'web-1' } },
    spec: { containers: [{ name: 'app', image }] },
  });

  it('serves loopback /metrics only; a kubelet without the option has no endpoint', async () => {
    expect(kubelet.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect((await fetch(kubelet.metricsUrl!.replace(/\/metrics$/, '/other'))).status).toBe(404);
    const plain = await startSimKubelet(kc, FAST);
    try {
      expect(plain.metricsUrl).toBeUndefined();
    } finally {
      await plain.stop();
    }
  });

  it('counts requests of running containers; an error image answers 500s; an image change resets the counters', async () => {
    const good = podName('good');
    const bad = podName('bad');
    await pods.create(manifest(good, 'nginx:1'));
    await pods.create(manifest(bad, 'nginx:broken'));

    const first = await waitFor('both Pods counted', async () => {
      const s = await scrape();
      return value(s, good, '200')! > 0 && value(s, bad, '500')! > 0 ? s : undefined;
    });
    for (const name of [good, bad]) {
      const image = name === good ? 'nginx:1' : 'nginx:broken';
      for (const code of ['200', '500']) {
        expect(first.find((s) => s.labels.pod === name && s.labels.code === code)?.labels).toEqual({
          namespace: 'default',
          pod: name,
          container: 'app',
          image,
          revision: 'web-1',
          code,
        });
      }
    }
    expect(value(first, good, '500')).toBe(0);
    expect(value(first, bad, '200')).toBe(0);

    // counters grow (never shrink) while the containers run
    const later = await waitFor('counters grow', async () => {
      const s = await scrape();
      return value(s, good, '200')! > value(first, good, '200')! && value(s, bad, '500')! > value(first, bad, '500')! ? s : undefined;
    });
    expect(value(later, bad, '200')).toBe(0);
    await sleep(300); // the good container has answered at least 30 more requests by the image change
    const before = await scrape();
    expect(value(before, good, '200')).toBeGreaterThanOrEqual(value(later, good, '200')! + 30 - 1);

    // an in-place update to the error image: a new instance, new series, counting from 0
    const changedAt = Date.now();
    await pods.setImage(good, 0, 'nginx:broken');
    await waitFor('restarted', async () => cstatus(await pods.get(good), 'app')?.restartCount === 1);
    const after = await waitFor('the new instance counted', async () => {
      const s = await scrape();
      return value(s, good, '500', 'nginx:broken')! > 0 ? s : undefined;
    });
    const scrapedAt = Date.now();
    expect(value(after, good, '200', 'nginx:1')).toBeUndefined();
    expect(value(after, good, '200', 'nginx:broken')).toBe(0);
    // started after the change: at most what the time since the change allows, whatever the old counter had reached
    expect(value(after, good, '500', 'nginx:broken')).toBeLessThanOrEqual(Math.floor(((scrapedAt - changedAt) / 1000) * RPS));

    // rolled back to the good image: no error series any more, the good image's counters start again
    await pods.setImage(good, 0, 'nginx:1');
    await waitFor('rolled back', async () => cstatus(await pods.get(good), 'app')?.restartCount === 2);
    const back = await waitFor('the good instance counted', async () => {
      const s = await scrape();
      return value(s, good, '200', 'nginx:1')! > 0 ? s : undefined;
    });
    expect(value(back, good, '500', 'nginx:broken')).toBeUndefined();
    expect(value(back, good, '500', 'nginx:1')).toBe(0);
  });

  it('drops a deleted Pod', async () => {
    const name = podName('gone');
    await pods.create(manifest(name, 'nginx:1'));
    await waitFor('counted', async () => value(await scrape(), name, '200')! >= 0);
    await pods.delete(name);
    await waitFor('dropped', async () => value(await scrape(), name, '200') === undefined);
  });
});
