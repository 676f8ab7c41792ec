/**
 * The measuring activities against a loopback server that plays Prometheus' /api/v1/query and a web endpoint.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analysisActivities } from '../../../src/activities/analysis.js';
import { judgeMeasurement, Metric, resolveMetric, type ResolvedMetric } from '../../../src/rollout/analysis.js';

const SECRET = 'Bearer s3cr3t-token';

/** What the fake Prometheus answers to each query. */
const PROMETHEUS: Record<string, { status: number; body: unknown }> = {
  'sum(rate(errors[1m]))': {
    status: 200,
    body: {
      status: 'success',
      data: {
        resultType: 'vector',
        result: [
          { metric: { pod: 'a' }, value: [1700000000, '0.5'] },
          { metric: { pod: 'b' }, value: [1700000000, '0.01'] },
        ],
      },
    },
  },
  'nan()': {
    status: 200,
    body: {
      status: 'success',
      data: {
        resultType: 'vector',
        result: [
          { metric: {}, value: [1, 'NaN'] },
          { metric: {}, value: [1, '+Inf'] },
        ],
      },
    },
  },
  'empty()': { status: 200, body: { status: 'success', data: { resultType: 'vector', result: [] } } },
  'scalar(1)': { status: 200, body: { status: 'success', data: { resultType: 'scalar', result: [1700000000, '1'] } } },
  'range[2m]': {
    status: 200,
    body: {
      status: 'success',
      data: {
        resultType: 'matrix',
        result: [
          {
            metric: { pod: 'a' },
            values: [
              [1, '1'],
              [2, '2'],
            ],
          },
          { metric: { pod: 'b' }, values: [[1, '3']] },
        ],
      },
    },
  },
  '"hello"': { status: 200, body: { status: 'success', data: { resultType: 'string', result: [1700000000, 'hello'] } } },
  'slow()': { status: 503, body: { status: 'error', errorType: 'timeout', error: 'query timed out in expression evaluation' } },
  'sum(rate(': {
    status: 400,
    body: { status: 'error', errorType: 'bad_data', error: 'invalid parameter "query": 1:10: parse error: unclosed left parenthesis' },
  },
};

let server: Server;
let base = '';
const requests: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[] = [];

function handle(req: IncomingMessage, res: ServerResponse, body: string): void {
  const url = new URL(req.url ?? '/', 'http://x');
  requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
  const json = (status: number, v: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(v));
  };
  if (url.pathname === '/prom/api/v1/query') {
    const answer = PROMETHEUS[url.searchParams.get('query') ?? ''];
    return answer ? json(answer.status, answer.body) : json(422, { status: 'error', errorType: 'execution', error: 'unknown test query' });
  }
  if (url.pathname === '/web/ok') return json(200, { data: { ok: true, rate: 0.02 }, items: [{ v: 1 }, { v: 2 }] });
  if (url.pathname === '/web/echo') return json(200, { method: req.method, auth: req.headers.authorization ?? null, body });
  if (url.pathname === '/web/fail') return json(500, { error: 'boom' });
  if (url.pathname === '/web/html') {
    res.writeHead(200, { 'content-type': 'text/html' });
    return void res.end('<html>hi</html>');
  }
  if (url.pathname.startsWith('/web/slow')) {
    const t = setTimeout(() => json(200, { data: { ok: true } }), 2000);
    res.on('close', () => clearTimeout(t));
    return;
  }
  json(404, { error: 'not found' });
}

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => handle(req, res, body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

let logged = '';
const sink = new Writable({ write: (c, _e, done) => ((logged += String(c)), done()) });
const activities = analysisActivities(pino({ level: 'trace' }, sink));
const { checkAnalysisProviders } = activities;
/** One measurement, its activity-clock time checked and left out (the rows compare the outcome). */
async function measureMetric(input: Parameters<typeof activities.measureMetric>[0]) {
  const before = Date.now();
  const { atMs, ...outcome } = await activities.measureMetric(input);
  expect(atMs).toBeGreaterThanOrEqual(before);
  return outcome;
}

const prometheus = (query: string, address = `${base}/prom`, timeout?: string): ResolvedMetric =>
  resolveMetric(
    Metric.parse({ name: 'm', interval: '10s', failureCondition: 'false', provider: { prometheus: { address, query, ...(timeout ? { timeout } : {}) } } }),
  );
const web = (path: string, extra: Record<string, unknown> = {}): ResolvedMetric =>
  resolveMetric(
    Metric.parse({ name: 'w', interval: '10s', successCondition: 'true', provider: { web: { url: `${base}${path}`, jsonPath: '{$.data.ok}', ...extra } } }),
  );

/** A port nothing listens on: a server opened and closed again. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

describe('measureMetric: prometheus', () => {
  it.each<[string, string, unknown]>([
    ['step 1: a vector is an array of numbers, in series order', 'sum(rate(errors[1m]))', { value: [0.5, 0.01] }],
    ['step 2: NaN and +Inf samples are written as Prometheus spells them', 'nan()', { value: ['NaN', '+Inf'] }],
    ['step 3: an empty vector is an empty array', 'empty()', { value: [] }],
    ['step 4: a scalar is a number', 'scalar(1)', { value: 1 }],
    ['step 5: a matrix is the numbers of each series', 'range[2m]', { value: [[1, 2], [3]] }],
    ['step 6: a string is the string', '"hello"', { value: 'hello' }],
    [
      'step 7: a refused query (bad_data, HTTP 400) is an error with Prometheus own words',
      'sum(rate(',
      { error: 'prometheus: bad_data: invalid parameter "query": 1:10: parse error: unclosed left parenthesis' },
    ],
    ['step 8: an execution error (HTTP 422) too', 'unknown()', { error: 'prometheus: execution: unknown test query' }],
    ['step 9: a server-side timeout (HTTP 503) is an error too', 'slow()', { error: 'prometheus: timeout: query timed out in expression evaluation' }],
  ])('%s', async (_, query, want) => {
    expect(await measureMetric({ metric: prometheus(query), context: { rollout: 'default/web', step: 1 } })).toEqual(want);
  });

  it('the query is sent URL-encoded to <address>/api/v1/query, a trailing slash on the address ignored', async () => {
    requests.length = 0;
    expect(await measureMetric({ metric: prometheus('sum(rate(errors[1m]))', `${base}/prom/`) })).toEqual({ value: [0.5, 0.01] });
    expect(requests.map((r) => `${r.method} ${r.url}`)).toEqual([`GET /prom/api/v1/query?query=${encodeURIComponent('sum(rate(errors[1m]))')}`]);
  });

  it('a non-Prometheus answer (HTTP 404) is an error naming the status', async () => {
    expect(await measureMetric({ metric: prometheus('up', `${base}/nothing`) })).toEqual({
      error: `prometheus: HTTP 404 Not Found from ${base}/nothing/api/v1/query`,
    });
  });

  it('an unreachable Prometheus is an error, never a throw', async () => {
    const port = await closedPort();
    const r = await measureMetric({ metric: prometheus('up', `http://127.0.0.1:${port}`) });
    expect(r).toEqual({
      error: expect.stringMatching(new RegExp(`^prometheus: request to http://127\\.0\\.0\\.1:${port}/api/v1/query failed: fetch failed: .*ECONNREFUSED`)),
    });
  });

  it('the values survive JSON (the payload converter) and judge as numbers: NaN fails isNaN, +Inf exceeds any bound', async () => {
    const metric = { ...prometheus('nan()'), failureCondition: 'isNaN(result[0]) || result[1] > 1e308' };
    const outcome = JSON.parse(JSON.stringify(await measureMetric({ metric })));
    expect(judgeMeasurement(metric, outcome)).toEqual({
      phase: 'Failed',
      message: 'failureCondition "isNaN(result[0]) || result[1] > 1e308" is true for result [NaN,Infinity]',
    });
  });

  it('logs the metric, its provider and the value or the error', async () => {
    logged = '';
    await measureMetric({ metric: prometheus('sum(rate(errors[1m]))'), context: { rollout: 'default/web', step: 2 } });
    await measureMetric({ metric: prometheus('sum(rate(') });
    const lines = logged
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toMatchObject([
      {
        level: 30,
        component: 'analysis',
        metric: 'm',
        provider: `prometheus ${base}/prom: sum(rate(errors[1m]))`,
        rollout: 'default/web',
        step: 2,
        value: [0.5, 0.01],
      },
      { level: 40, component: 'analysis', metric: 'm', error: expect.stringContaining('bad_data') },
    ]);
  });
});

describe('measureMetric: web', () => {
  it.each<[string, string, Record<string, unknown>, (base: string) => unknown]>([
    ['step 1: the jsonPath picks the value out of the JSON', '/web/ok', {}, () => ({ value: true })],
    ['step 2: a number', '/web/ok', { jsonPath: '$.data.rate' }, () => ({ value: 0.02 })],
    ['step 3: a wildcard collects an array', '/web/ok', { jsonPath: '{$.items[*].v}' }, () => ({ value: [1, 2] })],
    ['step 4: a path that matches nothing is an error naming it', '/web/ok', { jsonPath: '{$.x}' }, () => ({ error: 'web: jsonPath {$.x} matched nothing' })],
    ['step 5: HTTP 500 is an error naming the status', '/web/fail', {}, (b) => ({ error: `web: HTTP 500 Internal Server Error from ${b}/web/fail` })],
    [
      'step 6: a response that is not JSON',
      '/web/html',
      {},
      (b) => ({ error: `web: response from ${b}/web/html is not JSON: Unexpected token '<', "<html>hi</html>" is not valid JSON` }),
    ],
    ['step 7: no answer within the 200 ms timeout', '/web/slow', { timeout: '200ms' }, (b) => ({ error: `web: no answer from ${b}/web/slow within 200ms` })],
  ])('%s', async (_, path, extra, want) => {
    expect(await measureMetric({ metric: web(path, extra) })).toEqual(want(base));
  });

  it('sends the method, the headers and the body; never logs a header value', async () => {
    logged = '';
    const metric = web('/web/echo', { method: 'POST', body: '{"q":1}', headers: [{ key: 'Authorization', value: SECRET }], jsonPath: '$' });
    expect(await measureMetric({ metric })).toEqual({ value: { method: 'POST', auth: SECRET, body: '{"q":1}' } });
    // The value logged is the endpoint's answer (here an echo of the header); the request's headers are never logged.
    const lines = logged
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(1);
    expect(Object.keys(lines[0])).not.toContain('headers');
    expect(lines[0].provider).toBe(`web POST ${base}/web/echo: $`);
    expect(JSON.stringify({ ...lines[0], value: undefined })).not.toContain('s3cr3t');
  });

  it('a failing request with a secret header logs no header value', async () => {
    logged = '';
    await measureMetric({ metric: web('/web/fail', { headers: [{ key: 'Authorization', value: SECRET }] }) });
    expect(logged).toContain('HTTP 500');
    expect(logged).not.toContain('s3cr3t');
  });

  it('a query string (which may carry a key) is left out of errors', async () => {
    const r = await measureMetric({ metric: web('/web/fail?api_key=s3cr3t') });
    expect(r).toEqual({ error: `web: HTTP 500 Internal Server Error from ${base}/web/fail` });
  });
});

describe('checkAnalysisProviders', () => {
  it('no problem when every prometheus query is accepted (web metrics are not checked)', async () => {
    expect(
      await checkAnalysisProviders({
        metrics: [
          { field: 'analysis.metrics[0]', metric: prometheus('sum(rate(errors[1m]))') },
          { field: 'analysis.metrics[1]', metric: web('/web/fail') },
        ],
      }),
    ).toEqual([]);
  });

  it('a refused query is a problem on the query; an unreachable Prometheus one on the address', async () => {
    const port = await closedPort();
    const problems = await checkAnalysisProviders({
      metrics: [
        { field: 'analysis.metrics[0]', metric: prometheus('sum(rate(') },
        { field: 'analysis.metrics[1]', metric: prometheus('up', `http://127.0.0.1:${port}`) },
        { field: 'analysis.metrics[2]', metric: prometheus('scalar(1)') },
        { field: 'analysis.metrics[3]', metric: prometheus('unknown()') },
        { field: 'analysis.metrics[4]', metric: prometheus('slow()') },
      ],
    });
    expect(problems).toEqual([
      {
        field: 'analysis.metrics[0].provider.prometheus.query',
        message: `Prometheus at ${base}/prom rejects the query: bad_data: invalid parameter "query": 1:10: parse error: unclosed left parenthesis`,
      },
      {
        field: 'analysis.metrics[1].provider.prometheus.address',
        message: expect.stringMatching(
          new RegExp(
            `^Prometheus at http://127\\.0\\.0\\.1:${port} is not reachable: request to http://127\\.0\\.0\\.1:${port}/api/v1/query failed: fetch failed`,
          ),
        ),
      },
      { field: 'analysis.metrics[3].provider.prometheus.query', message: `Prometheus at ${base}/prom rejects the query: execution: unknown test query` },
      {
        field: 'analysis.metrics[4].provider.prometheus.address',
        message: `Prometheus at ${base}/prom is not reachable: timeout: query timed out in expression evaluation`,
      },
    ]);
  });

  it('a Prometheus that does not answer within the timeout is not reachable', async () => {
    const problems = await checkAnalysisProviders({ metrics: [{ field: 'm', metric: prometheus('x', `${base}/web/slow`, '200ms') }] });
    expect(problems).toEqual([
      {
        field: 'm.provider.prometheus.address',
        message: `Prometheus at ${base}/web/slow is not reachable: no answer from ${base}/web/slow/api/v1/query within 200ms`,
      },
    ]);
  });
});
