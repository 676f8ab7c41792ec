/**
 * Measuring analysis metrics: one Prometheus instant query or one web request per measurement, and a check, before a
 * rollout starts, that each Prometheus metric's query is accepted by its Prometheus.
 *
 * Provider trouble is never thrown: a refused query, an unreachable endpoint, a timeout or a response without the
 * value is a `{ error }` outcome, which the workflow records as an Error measurement (judged against the metric's
 * consecutiveErrorLimit). Values are plain JSON (Temporal's payload converter drops NaN and infinities): Prometheus'
 * non-finite samples are written as "NaN", "+Inf" and "-Inf" (see src/rollout/analysis.ts, encodeFloat). Header
 * values are never logged: they may hold credentials.
 */
import type { Logger } from 'pino';
import { describeProvider, encodeFloat, type MeasureOutcome, type ResolvedMetric } from '../rollout/analysis.js';
import { parseFloatStrict } from '../rollout/expr.js';
import { compileJsonPath, evalJsonPath } from '../rollout/jsonpath.js';

/** Where a measurement was asked for, for the logs. */
export interface MeasureContext {
  rollout: string;
  step?: number;
}

/** Input of the measureMetric activity. */
export interface MeasureMetricInput {
  metric: ResolvedMetric;
  context?: MeasureContext;
}

/** Input of the checkAnalysisProviders activity: each metric with the field path naming it (`analysis.metrics[0]`). */
export interface CheckAnalysisProvidersInput {
  metrics: { field: string; metric: ResolvedMetric }[];
}

/** A problem found by checkAnalysisProviders, on the field to fix. */
export interface ProviderProblem {
  field: string;
  message: string;
}

/** A Prometheus answer: its value, or why not — the query refused by Prometheus, or Prometheus not answering. */
type PrometheusOutcome = { value: unknown } | { error: string; cause: 'rejected' | 'unreachable' };

const describeError = (e: unknown): string => {
  if (!(e instanceof Error)) return String(e);
  const cause = e.cause instanceof Error ? `: ${e.cause.message}` : '';
  return `${e.message}${cause}`;
};

/** The URL without its query string and credentials, for messages and logs (a query string may carry a key). */
function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return url.replace(/[?#].*$/, '');
  }
}

/** A fetch with a timeout; the error of a timed-out or failed request as one readable sentence. */
async function fetchWithTimeout(url: string, init: RequestInit, timeoutMs: number): Promise<{ res: Response; text: string } | { error: string }> {
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs), redirect: 'follow' });
    const text = await res.text();
    return { res, text };
  } catch (e) {
    if (e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError')) return { error: `no answer from ${safeUrl(url)} within ${timeoutMs}ms` };
    return { error: `request to ${safeUrl(url)} failed: ${describeError(e)}` };
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A sample's value ("0.5", "NaN", "+Inf") as JSON: a number, or Prometheus' spelling of a non-finite one. */
function sample(v: unknown): number | string | null {
  const raw = Array.isArray(v) ? (v[1] as unknown) : undefined;
  if (typeof raw !== 'string') return null;
  const n = parseFloatStrict(raw);
  return n === null ? null : encodeFloat(n);
}

/** Prometheus' `data` as a metric value: vector → numbers, scalar → number, matrix → numbers per series, string. */
function prometheusValue(data: unknown): { value: unknown } | { error: string } {
  if (!isRecord(data)) return { error: 'prometheus: response has no data' };
  const result = data.result;
  switch (data.resultType) {
    case 'vector':
      if (!Array.isArray(result)) break;
      return { value: result.map((s) => sample(isRecord(s) ? s.value : undefined)) };
    case 'matrix':
      if (!Array.isArray(result)) break;
      return { value: result.map((s) => (isRecord(s) && Array.isArray(s.values) ? s.values.map(sample) : [])) };
    case 'scalar':
      return { value: sample(result) };
    case 'string':
      return { value: Array.isArray(result) ? result[1] : null };
  }
  return { error: `prometheus: unexpected result type ${JSON.stringify(data.resultType)}` };
}

async function queryPrometheus(address: string, query: string, timeoutMs: number): Promise<PrometheusOutcome> {
  const url = `${address.replace(/\/+$/, '')}/api/v1/query?query=${encodeURIComponent(query)}`;
  const r = await fetchWithTimeout(url, { method: 'GET', headers: { accept: 'application/json' } }, timeoutMs);
  if ('error' in r) return { error: `prometheus: ${r.error}`, cause: 'unreachable' };
  let body: unknown;
  try {
    body = JSON.parse(r.text);
  } catch {
    body = undefined;
  }
  if (isRecord(body) && body.status === 'error') {
    const type = typeof body.errorType === 'string' ? `${body.errorType}: ` : '';
    // bad_data (HTTP 400) and execution (422) are about the query; timeout, canceled, unavailable, internal about
    // the server at that moment.
    const rejected = body.errorType === 'bad_data' || body.errorType === 'execution';
    return { error: `prometheus: ${type}${typeof body.error === 'string' ? body.error : 'error'}`, cause: rejected ? 'rejected' : 'unreachable' };
  }
  if (!r.res.ok) return { error: `prometheus: HTTP ${r.res.status} ${r.res.statusText} from ${safeUrl(url)}`, cause: 'unreachable' };
  if (!isRecord(body) || body.status !== 'success')
    return { error: `prometheus: ${safeUrl(url)} did not answer as the Prometheus API does`, cause: 'unreachable' };
  const v = prometheusValue(body.data);
  return 'error' in v ? { ...v, cause: 'unreachable' } : v;
}

async function measureWeb(m: ResolvedMetric & { provider: { kind: 'web' } }): Promise<MeasureOutcome> {
  const p = m.provider;
  const compiled = compileJsonPath(p.jsonPath);
  if (!compiled.ok) return { error: `web: jsonPath ${p.jsonPath} does not compile: ${compiled.error}` };
  const headers: Record<string, string> = { accept: 'application/json' };
  for (const h of p.headers) headers[h.key] = h.value;
  const r = await fetchWithTimeout(p.url, { method: p.method, headers, ...(p.body !== null && p.method !== 'GET' ? { body: p.body } : {}) }, m.timeoutMs);
  if ('error' in r) return { error: `web: ${r.error}` };
  if (!r.res.ok) return { error: `web: HTTP ${r.res.status} ${r.res.statusText} from ${safeUrl(p.url)}` };
  let doc: unknown;
  try {
    doc = JSON.parse(r.text);
  } catch (e) {
    return { error: `web: response from ${safeUrl(p.url)} is not JSON: ${describeError(e)}` };
  }
  const value = evalJsonPath(compiled.path, doc);
  if (value === undefined) return { error: `web: jsonPath ${p.jsonPath} matched nothing` };
  return { value };
}

/** The analysis activities: measureMetric and checkAnalysisProviders. */
export function analysisActivities(logger: Logger) {
  const log = logger.child({ component: 'analysis' });

  /** Takes one measurement of a metric. Never throws for provider trouble: it returns `{ error }`. */
  async function measureMetric(input: MeasureMetricInput): Promise<MeasureOutcome & { atMs: number }> {
    const m = input.metric;
    const fields = { metric: m.name, provider: describeProvider(m), ...(input.context ?? {}) };
    let outcome: MeasureOutcome;
    try {
      if (m.provider.kind === 'prometheus') {
        const r = await queryPrometheus(m.provider.address, m.provider.query, m.timeoutMs);
        outcome = 'error' in r ? { error: r.error } : r;
      } else outcome = await measureWeb(m as ResolvedMetric & { provider: { kind: 'web' } });
    } catch (e) {
      outcome = { error: `${m.provider.kind}: ${describeError(e)}` };
    }
    if ('error' in outcome) log.warn({ ...fields, error: outcome.error }, 'metric measurement failed');
    else log.info({ ...fields, value: outcome.value }, 'metric measured');
    return { ...outcome, atMs: Date.now() };
  }

  /**
   * Runs each Prometheus metric's query once and reports what would make every measurement an Error: a query
   * Prometheus refuses (on `<field>.provider.prometheus.query`) or a Prometheus that does not answer (on
   * `<field>.provider.prometheus.address`). Web metrics are not checked. Never throws.
   */
  async function checkAnalysisProviders(input: CheckAnalysisProvidersInput): Promise<ProviderProblem[]> {
    const problems = await Promise.all(
      input.metrics.map(async ({ field, metric }): Promise<ProviderProblem | null> => {
        const p = metric.provider;
        if (p.kind !== 'prometheus') return null;
        let r: PrometheusOutcome;
        try {
          r = await queryPrometheus(p.address, p.query, metric.timeoutMs);
        } catch (e) {
          r = { error: describeError(e), cause: 'unreachable' };
        }
        if (!('error' in r)) return null;
        const error = r.error.replace(/^prometheus: /, '');
        log.warn({ metric: metric.name, provider: describeProvider(metric), error }, 'analysis provider check failed');
        return r.cause === 'rejected'
          ? { field: `${field}.provider.prometheus.query`, message: `Prometheus at ${p.address} rejects the query: ${error}` }
          : { field: `${field}.provider.prometheus.address`, message: `Prometheus at ${p.address} is not reachable: ${error}` };
      }),
    );
    return problems.filter((x): x is ProviderProblem => x !== null);
  }

  return { measureMetric, checkAnalysisProviders };
}
