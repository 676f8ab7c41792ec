import { describe, expect, it } from 'vitest';
import {
  AnalysisSpec,
  decodeFloats,
  describeProvider,
  encodeFloat,
  judgeMeasurement,
  Metric,
  metricVerdict,
  parseDurationMs,
  resolveMetric,
  type Measurement,
  type MeasurementPhase,
  type ResolvedMetric,
} from '../../../src/rollout/analysis.js';

const PROM = { prometheus: { address: 'http://127.0.0.1:9090', query: 'sum(rate(http_errors[1m]))' } };
const WEB = { web: { url: 'https://status.example.com/health', jsonPath: '{$.data.ok}' } };
const BASE = { name: 'error-rate', interval: '30s', failureCondition: 'result[0] > 0.05', provider: PROM };

/** The issues of a refused spec as `path: message` lines. */
const refusals = (spec: unknown): string[] => {
  const r = AnalysisSpec.safeParse(spec);
  if (r.success) return [];
  return r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

const resolved = (over: Record<string, unknown> = {}): ResolvedMetric => resolveMetric(Metric.parse({ ...BASE, ...over }));

describe('parseDurationMs: Go-style durations or seconds', () => {
  it.each<[string, string | number, number | null]>([
    ['30s is 30000 ms', '30s', 30_000],
    ['1m is 60000 ms', '1m', 60_000],
    ['1m30s is 90000 ms', '1m30s', 90_000],
    ['500ms is 500 ms', '500ms', 500],
    ['1.5h is 5400000 ms', '1.5h', 5_400_000],
    ['1h2m3s4ms adds up', '1h2m3s4ms', 3_723_004],
    ['"0" is zero', '0', 0],
    ['a number is seconds: 2 is 2000 ms', 2, 2000],
    ['a fractional number of seconds: 0.25 is 250 ms', 0.25, 250],
    ['a bare number string has no unit', '30', null],
    ['an unknown unit', '3d', null],
    ['a negative duration', '-1s', null],
    ['a negative number', -1, null],
    ['an empty string', '', null],
    ['trailing garbage', '1sx', null],
    ['spaces are not allowed', '1m 30s', null],
    ['NaN seconds', NaN, null],
  ])('%s', (_, v, want) => {
    expect(parseDurationMs(v)).toBe(want);
  });
});

describe('AnalysisSpec: what it accepts', () => {
  it('a minimal prometheus metric parses with the defaults of its limits', () => {
    const spec = AnalysisSpec.parse({ metrics: [BASE] });
    expect(spec.metrics[0]).toMatchObject({ failureLimit: 0, inconclusiveLimit: 0, consecutiveErrorLimit: 4 });
  });

  it('a web metric with every field parses', () => {
    const web = {
      ...WEB.web,
      headers: [{ key: 'Authorization', value: 'Bearer x' }],
      method: 'POST',
      body: '{"q":1}',
      timeout: '2s',
    };
    expect(refusals({ metrics: [{ ...BASE, successCondition: 'result == true', failureCondition: undefined, provider: { web } }] })).toEqual([]);
  });

  it('both conditions, count, initialDelay and limits parse', () => {
    const m = { ...BASE, successCondition: 'result[0] < 0.01', count: 3, initialDelay: '1m', failureLimit: 1, inconclusiveLimit: 2, consecutiveErrorLimit: 0 };
    expect(refusals({ metrics: [m] })).toEqual([]);
  });
});

describe('AnalysisSpec: every refusal names the field', () => {
  it.each<[string, unknown, string[]]>([
    ['no metrics', { metrics: [] }, ['metrics: must list at least one metric']],
    ['an unknown top-level field (zod names the key in its unrecognized_keys issue)', { metrics: [BASE], dryRun: true }, [': Unrecognized key: "dryRun"']],
    ['an unknown metric field', { metrics: [{ ...BASE, threshold: 1 }] }, ['metrics.0: Unrecognized key: "threshold"']],
    [
      'a name that is not a DNS-1123 label',
      { metrics: [{ ...BASE, name: 'Error_Rate' }] },
      ['metrics.0.name: must be a DNS-1123 label (lowercase alphanumerics and "-", at most 63 characters)'],
    ],
    ['a duplicate name, naming the first', { metrics: [BASE, BASE] }, ['metrics.1.name: duplicate metric name "error-rate" (also metrics.0.name)']],
    ['an interval below 1s', { metrics: [{ ...BASE, interval: '500ms' }] }, ['metrics.0.interval: must be at least 1s']],
    ['an interval of 0.5 seconds', { metrics: [{ ...BASE, interval: 0.5 }] }, ['metrics.0.interval: must be at least 1s']],
    [
      'an interval that is not a duration',
      { metrics: [{ ...BASE, interval: 'soon' }] },
      ['metrics.0.interval: must be a duration such as 30s, 1m30s or 500ms, or a number of seconds'],
    ],
    [
      'an initialDelay that is not a duration',
      { metrics: [{ ...BASE, initialDelay: '5x' }] },
      ['metrics.0.initialDelay: must be a duration such as 30s, 1m30s or 500ms, or a number of seconds'],
    ],
    ['a count of 0', { metrics: [{ ...BASE, count: 0 }] }, ['metrics.0.count: must be an integer ≥ 1']],
    ['a fractional count', { metrics: [{ ...BASE, count: 1.5 }] }, ['metrics.0.count: must be an integer ≥ 1']],
    ['a negative failureLimit', { metrics: [{ ...BASE, failureLimit: -1 }] }, ['metrics.0.failureLimit: must be an integer ≥ 0']],
    ['a negative inconclusiveLimit', { metrics: [{ ...BASE, inconclusiveLimit: -1 }] }, ['metrics.0.inconclusiveLimit: must be an integer ≥ 0']],
    ['a fractional consecutiveErrorLimit', { metrics: [{ ...BASE, consecutiveErrorLimit: 0.5 }] }, ['metrics.0.consecutiveErrorLimit: must be an integer ≥ 0']],
    [
      'a failureCondition that does not compile, with the compile error',
      { metrics: [{ ...BASE, failureCondition: 'result[0]]' }] },
      ['metrics.0.failureCondition: does not compile: unexpected "]" at 9'],
    ],
    [
      'a successCondition with an unknown identifier',
      { metrics: [{ ...BASE, successCondition: 'foo > 1' }] },
      ['metrics.0.successCondition: does not compile: unknown identifier "foo" at 0 (known: result, true, false, NaN, Infinity)'],
    ],
    [
      'neither condition',
      { metrics: [{ ...BASE, failureCondition: undefined }] },
      ['metrics.0.successCondition: must set successCondition or failureCondition (or both)'],
    ],
    [
      'an unknown provider, listing the known ones',
      { metrics: [{ ...BASE, provider: { datadog: { query: 'x' } } }] },
      ['metrics.0.provider.datadog: unknown provider "datadog" (known providers: prometheus, web)'],
    ],
    ['no provider', { metrics: [{ ...BASE, provider: {} }] }, ['metrics.0.provider: must set exactly one provider: prometheus or web']],
    ['two providers', { metrics: [{ ...BASE, provider: { ...PROM, ...WEB } }] }, ['metrics.0.provider: sets prometheus and web; set exactly one provider']],
    [
      'a prometheus address that is not an http URL',
      { metrics: [{ ...BASE, provider: { prometheus: { ...PROM.prometheus, address: 'prometheus:9090' } } }] },
      ['metrics.0.provider.prometheus.address: must be an http:// or https:// URL'],
    ],
    [
      'an empty prometheus query',
      { metrics: [{ ...BASE, provider: { prometheus: { ...PROM.prometheus, query: ' ' } } }] },
      ['metrics.0.provider.prometheus.query: must be a non-empty PromQL query'],
    ],
    [
      'a prometheus timeout that is not a duration',
      { metrics: [{ ...BASE, provider: { prometheus: { ...PROM.prometheus, timeout: 'long' } } }] },
      ['metrics.0.provider.prometheus.timeout: must be a duration such as 30s, 1m30s or 500ms, or a number of seconds'],
    ],
    [
      'prometheus headers are not part of the provider',
      { metrics: [{ ...BASE, provider: { prometheus: { ...PROM.prometheus, headers: [] } } }] },
      ['metrics.0.provider.prometheus: Unrecognized key: "headers"'],
    ],
    [
      'a web url that is not an http URL',
      { metrics: [{ ...BASE, provider: { web: { ...WEB.web, url: 'ftp://x/y' } } }] },
      ['metrics.0.provider.web.url: must be an http:// or https:// URL'],
    ],
    [
      'a web jsonPath that does not compile',
      { metrics: [{ ...BASE, provider: { web: { ...WEB.web, jsonPath: '{$.a[}' } } }] },
      ['metrics.0.provider.web.jsonPath: does not compile: unexpected end of path at 5'],
    ],
    [
      'a web method other than GET or POST',
      { metrics: [{ ...BASE, provider: { web: { ...WEB.web, method: 'PUT' } } }] },
      ['metrics.0.provider.web.method: Invalid option: expected one of "GET"|"POST"'],
    ],
    [
      'a web header without a name',
      { metrics: [{ ...BASE, provider: { web: { ...WEB.web, headers: [{ key: '', value: 'v' }] } } }] },
      ['metrics.0.provider.web.headers.0.key: must be a non-empty header name'],
    ],
  ])('%s', (_, spec, want) => {
    expect(refusals(spec)).toEqual(want);
  });
});

describe('resolveMetric and describeProvider', () => {
  it('a prometheus metric: durations in ms, defaults filled, count null when unset', () => {
    expect(resolved()).toEqual({
      name: 'error-rate',
      intervalMs: 30_000,
      count: null,
      initialDelayMs: 0,
      failureLimit: 0,
      inconclusiveLimit: 0,
      consecutiveErrorLimit: 4,
      successCondition: null,
      failureCondition: 'result[0] > 0.05',
      timeoutMs: 10_000,
      provider: { kind: 'prometheus', address: 'http://127.0.0.1:9090', query: 'sum(rate(http_errors[1m]))' },
    });
  });

  it('a web metric: method GET, no headers, no body by default; its own timeout', () => {
    const m = resolved({ count: 2, initialDelay: '1m30s', provider: { web: { ...WEB.web, timeout: '200ms' } } });
    expect(m).toMatchObject({ count: 2, initialDelayMs: 90_000, timeoutMs: 200 });
    expect(m.provider).toEqual({ kind: 'web', url: WEB.web.url, jsonPath: '{$.data.ok}', headers: [], method: 'GET', body: null });
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['prometheus: address and query', {}, 'prometheus http://127.0.0.1:9090: sum(rate(http_errors[1m]))'],
    ['web: method, url and jsonPath', { provider: WEB }, 'web GET https://status.example.com/health: {$.data.ok}'],
  ])('describeProvider, %s', (_, over, want) => {
    expect(describeProvider(resolved(over))).toBe(want);
  });
});

describe('encodeFloat / decodeFloats: non-finite samples through JSON', () => {
  it.each<[string, number, number | string]>([
    ['a finite number is itself', 0.5, 0.5],
    ['NaN is "NaN"', NaN, 'NaN'],
    ['+Infinity is "+Inf"', Infinity, '+Inf'],
    ['-Infinity is "-Inf"', -Infinity, '-Inf'],
  ])('%s', (_, n, want) => {
    expect(encodeFloat(n)).toBe(want);
    expect(decodeFloats(JSON.parse(JSON.stringify([encodeFloat(n)])))).toEqual([n]);
  });

  it('decodes nested arrays (a matrix) and leaves other values', () => {
    expect(decodeFloats([['NaN', 1], ['+Inf']])).toEqual([[NaN, 1], [Infinity]]);
    expect(decodeFloats('up')).toBe('up');
  });
});

describe('judgeMeasurement: one measurement, as Argo judges it', () => {
  const FAIL = 'result[0] > 0.05';
  const SUCCESS = 'result[0] < 0.01';
  it.each<[string, { success?: string; failure?: string; prometheus?: boolean }, { value: unknown } | { error: string }, MeasurementPhase, string]>([
    [
      'a provider error is Error with its message',
      { failure: FAIL },
      { error: 'prometheus: bad_data: parse error' },
      'Error',
      'prometheus: bad_data: parse error',
    ],
    [
      'failureCondition true is Failed, naming the condition and the value',
      { failure: FAIL },
      { value: [0.5] },
      'Failed',
      'failureCondition "result[0] > 0.05" is true for result [0.5]',
    ],
    [
      'only failureCondition, false, is Successful',
      { failure: FAIL },
      { value: [0.01] },
      'Successful',
      'failureCondition "result[0] > 0.05" is false for result [0.01]',
    ],
    [
      'only successCondition, true, is Successful',
      { success: SUCCESS },
      { value: [0.001] },
      'Successful',
      'successCondition "result[0] < 0.01" is true for result [0.001]',
    ],
    [
      'only successCondition, false, is Failed',
      { success: SUCCESS },
      { value: [0.02] },
      'Failed',
      'successCondition "result[0] < 0.01" is false for result [0.02]',
    ],
    [
      'both, successCondition true and failureCondition false, is Successful',
      { success: SUCCESS, failure: FAIL },
      { value: [0.001] },
      'Successful',
      'successCondition "result[0] < 0.01" is true for result [0.001]',
    ],
    [
      'both false is Inconclusive',
      { success: SUCCESS, failure: FAIL },
      { value: [0.03] },
      'Inconclusive',
      'successCondition "result[0] < 0.01" and failureCondition "result[0] > 0.05" are both false for result [0.03]',
    ],
    [
      'both true: failureCondition wins, Failed',
      { success: 'result[0] >= 0', failure: 'result[0] >= 0' },
      { value: [1] },
      'Failed',
      'failureCondition "result[0] >= 0" is true for result [1]',
    ],
    [
      'result[0] on an empty result is Error with the evaluation message',
      { failure: FAIL },
      { value: [] },
      'Error',
      'failureCondition "result[0] > 0.05" cannot be evaluated for result []: index 0 out of range: result has 0 elements',
    ],
    [
      'an error in the successCondition is Error even if failureCondition would decide',
      { success: 'result.x', failure: 'true' },
      { value: 5 },
      'Error',
      'successCondition "result.x" cannot be evaluated for result 5: cannot read field "x" of result, a number',
    ],
    [
      'a condition that is not a boolean is Error',
      { success: 'result[0]' },
      { value: [0.5] },
      'Error',
      'successCondition "result[0]" is 0.5, not true or false, for result [0.5]',
    ],
    [
      'a prometheus "NaN" sample is NaN to the conditions: isNaN(result[0]) is true',
      { failure: 'isNaN(result[0])', prometheus: true },
      { value: ['NaN'] },
      'Failed',
      'failureCondition "isNaN(result[0])" is true for result [NaN]',
    ],
    [
      'a prometheus NaN compares false, as in Argo',
      { failure: FAIL, prometheus: true },
      { value: ['NaN'] },
      'Successful',
      'failureCondition "result[0] > 0.05" is false for result [NaN]',
    ],
    [
      'a web "NaN" string stays a string',
      { failure: 'result == "NaN"', prometheus: false },
      { value: 'NaN' },
      'Failed',
      'failureCondition "result == \\"NaN\\"" is true for result "NaN"',
    ],
    [
      'an uncompilable condition (a hand-made metric) is Error',
      { failure: 'result[' },
      { value: [1] },
      'Error',
      'failureCondition "result[" does not compile: unexpected end of expression at 7',
    ],
  ])('%s', (_, c, outcome, phase, message) => {
    const m: ResolvedMetric = {
      ...resolved(c.prometheus === false ? { provider: WEB } : {}),
      successCondition: c.success ?? null,
      failureCondition: c.failure ?? null,
    };
    expect(judgeMeasurement(m, outcome)).toEqual({ phase, message });
  });
});

describe('metricVerdict: the metric so far, as Argo assesses it', () => {
  const FAILED = 'failureCondition "result[0] > 0.05" is true for result [0.5]';
  const ms = (...phases: MeasurementPhase[]): Measurement[] =>
    phases.map((phase, i) => ({ atMs: i * 1000, phase, message: phase === 'Failed' ? FAILED : `${phase.toLowerCase()} #${i}` }));
  it.each<[string, Partial<ResolvedMetric>, Measurement[], string, string]>([
    [
      'one failure over failureLimit 0 is Failed, naming the metric, the counts and the condition',
      { count: 1 },
      ms('Failed'),
      'Failed',
      `metric error-rate failed: 1 of 1 measurements failed (failureLimit 0): ${FAILED}`,
    ],
    [
      'failures within failureLimit keep it Running',
      { count: 5, failureLimit: 1 },
      ms('Failed', 'Successful'),
      'Running',
      'metric error-rate running: 2 of 5 measurements taken, 1 failed (failureLimit 1), 0 inconclusive (inconclusiveLimit 0), 0 errored: successful #1',
    ],
    [
      'one failure more than failureLimit 1 is Failed',
      { count: 5, failureLimit: 1 },
      ms('Failed', 'Successful', 'Failed'),
      'Failed',
      `metric error-rate failed: 2 of 3 measurements failed (failureLimit 1): ${FAILED}`,
    ],
    [
      'inconclusive over inconclusiveLimit is Inconclusive',
      { count: 5, inconclusiveLimit: 1 },
      ms('Inconclusive', 'Successful', 'Inconclusive'),
      'Inconclusive',
      'metric error-rate inconclusive: 2 of 3 measurements inconclusive (inconclusiveLimit 1): inconclusive #2',
    ],
    [
      'Failed is decided before Inconclusive',
      { count: 5 },
      ms('Inconclusive', 'Failed'),
      'Failed',
      `metric error-rate failed: 1 of 2 measurements failed (failureLimit 0): ${FAILED}`,
    ],
    [
      'a trailing run of errors over consecutiveErrorLimit is Error',
      { count: 5, consecutiveErrorLimit: 2 },
      ms('Successful', 'Error', 'Error', 'Error'),
      'Error',
      'metric error-rate errored: 3 measurements in a row errored (consecutiveErrorLimit 2): error #3',
    ],
    [
      'errors broken by a success do not add up',
      { count: 5, consecutiveErrorLimit: 1 },
      ms('Error', 'Successful', 'Error'),
      'Running',
      'metric error-rate running: 1 of 5 measurements taken, 0 failed (failureLimit 0), 0 inconclusive (inconclusiveLimit 0), 2 errored: error #2',
    ],
    [
      'consecutiveErrorLimit 0: one error is Error',
      { count: 5, consecutiveErrorLimit: 0 },
      ms('Error'),
      'Error',
      'metric error-rate errored: 1 measurement in a row errored (consecutiveErrorLimit 0): error #0',
    ],
    [
      'count reached with no failure is Successful',
      { count: 2 },
      ms('Successful', 'Successful'),
      'Successful',
      'metric error-rate successful: 2 of 2 measurements taken, 0 failed (failureLimit 0), 0 inconclusive (inconclusiveLimit 0), 0 errored: successful #1',
    ],
    [
      'count reached with failures within failureLimit is Successful',
      { count: 2, failureLimit: 1 },
      ms('Failed', 'Successful'),
      'Successful',
      'metric error-rate successful: 2 of 2 measurements taken, 1 failed (failureLimit 1), 0 inconclusive (inconclusiveLimit 0), 0 errored: successful #1',
    ],
    [
      'errored measurements do not count towards count (a provider that is down never passes)',
      { count: 1 },
      ms('Error'),
      'Running',
      'metric error-rate running: 0 of 1 measurements taken, 0 failed (failureLimit 0), 0 inconclusive (inconclusiveLimit 0), 1 errored: error #0',
    ],
    [
      'no count (background analysis) runs on',
      { count: null },
      ms('Successful', 'Successful', 'Successful'),
      'Running',
      'metric error-rate running: 3 measurements taken (no count: until stopped), 0 failed (failureLimit 0), 0 inconclusive (inconclusiveLimit 0), 0 errored: successful #2',
    ],
    [
      'no measurement yet is Running',
      { count: 3 },
      [],
      'Running',
      'metric error-rate running: 0 of 3 measurements taken, 0 failed (failureLimit 0), 0 inconclusive (inconclusiveLimit 0), 0 errored',
    ],
  ])('%s', (_, over, measurements, phase, message) => {
    expect(metricVerdict({ ...resolved(), ...over }, measurements)).toEqual({ phase, message });
  });

  it('judged measurements feed the verdict: the rollback reason of a failing error rate', () => {
    const m = { ...resolved(), count: 1 };
    const judged = judgeMeasurement(m, { value: [0.5] });
    expect(metricVerdict(m, [{ atMs: 0, value: [0.5], ...judged }])).toEqual({
      phase: 'Failed',
      message: 'metric error-rate failed: 1 of 1 measurements failed (failureLimit 0): failureCondition "result[0] > 0.05" is true for result [0.5]',
    });
  });
});
