/**
 * Metric analysis, in the shape of Argo Rollouts' AnalysisTemplate metrics: what to measure (a Prometheus query or a
 * web endpoint), how often and how many times, the conditions that judge each measurement, and how many failed,
 * inconclusive or errored measurements a metric tolerates before its verdict is final.
 *
 * Pure: the schema, the normalised form the workflow and the measuring activity share, the verdict on one
 * measurement and on a metric's measurements so far. No Node built-ins, no Temporal imports (workflow code runs it).
 *
 * Prometheus values travel as JSON, which has no NaN or infinities: the activity writes a non-finite sample as
 * Prometheus does, the string "NaN", "+Inf" or "-Inf" ({@link encodeFloat}), and {@link judgeMeasurement} turns
 * them back into numbers before the conditions see them, so `isNaN(result[0])` and `result[0] < 0.05` behave as in
 * Argo (NaN compares false).
 */
import { z } from 'zod';
import { compileExpr, evalExpr, ExprError, showValue } from './expr.js';
import { compileJsonPath } from './jsonpath.js';
import { isDns1123Label } from './selector.js';

const DURATION_RE = /^(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:h|ms|m|s)/;
const UNIT_MS: Readonly<Record<string, number>> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };

/**
 * A duration in milliseconds: a Go-style duration string (`30s`, `1m`, `1m30s`, `500ms`, `1.5h`; units h, m, s,
 * ms) or a number of seconds. Null when it is neither, or negative.
 */
export function parseDurationMs(v: string | number): number | null {
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 ? v * 1000 : null;
  if (typeof v !== 'string') return null;
  if (v === '0') return 0;
  let rest = v;
  let total = 0;
  if (rest === '') return null;
  while (rest !== '') {
    const m = DURATION_RE.exec(rest);
    if (!m) return null;
    const unit = /(h|ms|m|s)$/.exec(m[0])?.[1] as string;
    total += Number(m[0].slice(0, -unit.length)) * (UNIT_MS[unit] as number);
    rest = rest.slice(m[0].length);
  }
  return Number.isFinite(total) ? total : null;
}

const DURATION_MESSAGE = 'must be a duration such as 30s, 1m30s or 500ms, or a number of seconds';

/** zod schema of a duration (string or number of seconds), optionally with a least value. */
function duration(minMs = 0, minText = '') {
  return z.union([z.string(), z.number()]).superRefine((v, ctx) => {
    const ms = parseDurationMs(v);
    if (ms === null) ctx.addIssue({ code: 'custom', message: DURATION_MESSAGE });
    else if (ms < minMs) ctx.addIssue({ code: 'custom', message: `must be at least ${minText}` });
  });
}

const HTTP_URL_RE = /^https?:\/\/[^\s/?#@]+(?:[/?#]\S*)?$/i;
const httpUrl = z.string().refine((s) => HTTP_URL_RE.test(s), { message: 'must be an http:// or https:// URL' });

const count = (min: number) => z.number().refine((n) => Number.isSafeInteger(n) && n >= min, { message: `must be an integer ≥ ${min}` });

/** A condition over `result`, compiled when parsed (see src/rollout/expr.ts). */
const Condition = z.string().superRefine((s, ctx) => {
  const c = compileExpr(s);
  if (!c.ok) ctx.addIssue({ code: 'custom', message: `does not compile: ${c.error}` });
});

/** The metric providers known, by their key under `provider`. */
export const PROVIDERS = ['prometheus', 'web'] as const;

/** A Prometheus instant query; its result is a vector (array of numbers), a scalar, a matrix or a string. */
export const PrometheusProvider = z.strictObject({
  /** Base URL of the Prometheus HTTP API (`http://prometheus:9090`). */
  address: httpUrl,
  /** PromQL, run as an instant query. */
  query: z.string().refine((s) => s.trim() !== '', { message: 'must be a non-empty PromQL query' }),
  /** Per-request timeout; default 10s. */
  timeout: duration().optional(),
});

/** A JSON endpoint; `jsonPath` picks the value out of its response. */
export const WebProvider = z.strictObject({
  url: httpUrl,
  /** kubectl-style JSONPath, e.g. `{$.data.ok}` (see src/rollout/jsonpath.ts). */
  jsonPath: z.string().superRefine((s, ctx) => {
    const c = compileJsonPath(s);
    if (!c.ok) ctx.addIssue({ code: 'custom', message: `does not compile: ${c.error}` });
  }),
  /** Request headers; their values are never logged (they may hold credentials). */
  headers: z.array(z.strictObject({ key: z.string().min(1, { message: 'must be a non-empty header name' }), value: z.string() })).optional(),
  method: z.enum(['GET', 'POST']).optional(),
  body: z.string().optional(),
  /** Per-request timeout; default 10s. */
  timeout: duration().optional(),
});

/** `provider`: exactly one of the known providers. */
const Provider = z
  .looseObject({ prometheus: PrometheusProvider.optional(), web: WebProvider.optional() })
  .superRefine((p, ctx) => {
    const known: readonly string[] = PROVIDERS;
    const unknown = Object.keys(p).filter((key) => !known.includes(key));
    for (const key of unknown) {
      ctx.addIssue({ code: 'custom', path: [key], message: `unknown provider ${JSON.stringify(key)} (known providers: ${PROVIDERS.join(', ')})` });
    }
    const set = PROVIDERS.filter((k) => p[k] !== undefined);
    if (set.length === 0 && unknown.length === 0) ctx.addIssue({ code: 'custom', message: `must set exactly one provider: ${PROVIDERS.join(' or ')}` });
    if (set.length > 1) ctx.addIssue({ code: 'custom', message: `sets ${set.join(' and ')}; set exactly one provider` });
  })
  .transform(({ prometheus, web }) => ({ prometheus, web }));

/** One metric of an analysis. */
export const Metric = z
  .strictObject({
    /** Unique within the analysis (DNS-1123 label). */
    name: z.string().refine(isDns1123Label, { message: 'must be a DNS-1123 label (lowercase alphanumerics and "-", at most 63 characters)' }),
    /** Time between measurements (at least 1s). */
    interval: duration(1000, '1s'),
    /** Measurements to take (not counting errored ones); unset: until the analysis is stopped (background analysis). */
    count: count(1).optional(),
    /** Wait before the first measurement; default 0. */
    initialDelay: duration().optional(),
    /** Failed measurements tolerated; one more fails the metric. Default 0. */
    failureLimit: count(0).default(0),
    /** Inconclusive measurements tolerated; one more makes the metric inconclusive. Default 0. */
    inconclusiveLimit: count(0).default(0),
    /** Errored measurements in a row tolerated; one more makes the metric error. Default 4. */
    consecutiveErrorLimit: count(0).default(4),
    /** True: the measurement is successful. */
    successCondition: Condition.optional(),
    /** True: the measurement failed. */
    failureCondition: Condition.optional(),
    provider: Provider,
  })
  .superRefine((m, ctx) => {
    if (m.successCondition === undefined && m.failureCondition === undefined) {
      ctx.addIssue({ code: 'custom', path: ['successCondition'], message: 'must set successCondition or failureCondition (or both)' });
    }
  });
/** A metric as parsed (defaults of the limits applied). */
export type Metric = z.infer<typeof Metric>;

/** An analysis: one or more metrics, each named once. */
export const AnalysisSpec = z
  .strictObject({
    metrics: z.array(Metric).min(1, { message: 'must list at least one metric' }),
  })
  .superRefine((spec, ctx) => {
    const seen = new Map<string, number>();
    spec.metrics.forEach((m, i) => {
      const first = seen.get(m.name);
      if (first !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['metrics', i, 'name'], message: `duplicate metric name ${JSON.stringify(m.name)} (also metrics.${first}.name)` });
      } else seen.set(m.name, i);
    });
  });
export type AnalysisSpec = z.infer<typeof AnalysisSpec>;

/** Default request timeout of a provider. */
export const DEFAULT_PROVIDER_TIMEOUT_MS = 10_000;

/** A resolved provider: what the measuring activity needs. */
export type ResolvedProvider =
  | { kind: 'prometheus'; address: string; query: string }
  | { kind: 'web'; url: string; jsonPath: string; headers: { key: string; value: string }[]; method: 'GET' | 'POST'; body: string | null };

/** A metric normalised: durations in milliseconds, every default filled. Plain JSON (it is an activity's input). */
export interface ResolvedMetric {
  name: string;
  intervalMs: number;
  /** Measurements to take (errored ones not counted); null: unlimited. */
  count: number | null;
  initialDelayMs: number;
  failureLimit: number;
  inconclusiveLimit: number;
  consecutiveErrorLimit: number;
  successCondition: string | null;
  failureCondition: string | null;
  timeoutMs: number;
  provider: ResolvedProvider;
}

const ms = (v: string | number | undefined, fallback: number): number => (v === undefined ? fallback : (parseDurationMs(v) ?? fallback));

/** The normalised form of a parsed metric. */
export function resolveMetric(m: Metric): ResolvedMetric {
  const { prometheus, web } = m.provider;
  let provider: ResolvedProvider;
  let timeout: string | number | undefined;
  if (prometheus) {
    provider = { kind: 'prometheus', address: prometheus.address, query: prometheus.query };
    timeout = prometheus.timeout;
  } else if (web) {
    provider = { kind: 'web', url: web.url, jsonPath: web.jsonPath, headers: web.headers ?? [], method: web.method ?? 'GET', body: web.body ?? null };
    timeout = web.timeout;
  } else throw new Error(`metric ${m.name} has no provider (parse it with the Metric schema first)`);
  return {
    name: m.name,
    intervalMs: ms(m.interval, 1000),
    count: m.count ?? null,
    initialDelayMs: ms(m.initialDelay, 0),
    failureLimit: m.failureLimit,
    inconclusiveLimit: m.inconclusiveLimit,
    consecutiveErrorLimit: m.consecutiveErrorLimit,
    successCondition: m.successCondition ?? null,
    failureCondition: m.failureCondition ?? null,
    timeoutMs: ms(timeout, DEFAULT_PROVIDER_TIMEOUT_MS),
    provider,
  };
}

/** One line naming a metric's provider, for logs and the UI: `prometheus http://prom:9090: sum(rate(...))`. */
export function describeProvider(m: ResolvedMetric): string {
  const p = m.provider;
  if (p.kind === 'prometheus') return `prometheus ${p.address}: ${p.query}`;
  return `web ${p.method} ${p.url}: ${p.jsonPath}`;
}

/** The JSON form of a float: itself when finite, else Prometheus' spelling ("NaN", "+Inf", "-Inf"). */
export function encodeFloat(n: number): number | string {
  if (Number.isFinite(n)) return n;
  if (Number.isNaN(n)) return 'NaN';
  return n > 0 ? '+Inf' : '-Inf';
}

/** Undoes {@link encodeFloat} throughout a Prometheus value (arrays nested to any depth, or a lone scalar). */
export function decodeFloats(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(decodeFloats);
  if (v === 'NaN') return NaN;
  if (v === '+Inf') return Infinity;
  if (v === '-Inf') return -Infinity;
  return v;
}

/** How one measurement was judged. */
export type MeasurementPhase = 'Successful' | 'Failed' | 'Inconclusive' | 'Error';

/** One measurement of a metric. */
export interface Measurement {
  /** When it was taken (ms since the epoch). */
  atMs: number;
  phase: MeasurementPhase;
  /** What the provider returned (JSON; Prometheus' non-finite floats encoded, see {@link encodeFloat}). */
  value?: unknown;
  /** Why it was judged so (the condition and the value, or the provider's error). */
  message?: string;
}

/** What a provider returned for one measurement: a value, or why there is none. */
export type MeasureOutcome = { value: unknown } | { error: string };

type ConditionResult = { ok: true; value: boolean } | { ok: false; message: string };

function evalCondition(kind: 'successCondition' | 'failureCondition', source: string, result: unknown): ConditionResult {
  const c = compileExpr(source);
  if (!c.ok) return { ok: false, message: `${kind} ${JSON.stringify(source)} does not compile: ${c.error}` };
  try {
    const v = evalExpr(c.expr, { result });
    if (typeof v !== 'boolean')
      return { ok: false, message: `${kind} ${JSON.stringify(source)} is ${showValue(v)}, not true or false, for result ${showValue(result)}` };
    return { ok: true, value: v };
  } catch (e) {
    if (!(e instanceof ExprError)) throw e;
    return { ok: false, message: `${kind} ${JSON.stringify(source)} cannot be evaluated for result ${showValue(result)}: ${e.message}` };
  }
}

/**
 * Judges one measurement as Argo Rollouts does: a provider error, or a condition that cannot be evaluated, is an
 * Error; a true failureCondition is Failed; a true successCondition is Successful; with only a successCondition,
 * false is Failed; with only a failureCondition, false is Successful; with both and both false, Inconclusive.
 */
export function judgeMeasurement(m: ResolvedMetric, outcome: MeasureOutcome): { phase: MeasurementPhase; message: string } {
  if ('error' in outcome) return { phase: 'Error', message: outcome.error };
  const result = m.provider.kind === 'prometheus' ? decodeFloats(outcome.value) : outcome.value;
  const shown = showValue(result);
  const success = m.successCondition === null ? null : evalCondition('successCondition', m.successCondition, result);
  if (success && !success.ok) return { phase: 'Error', message: success.message };
  const failure = m.failureCondition === null ? null : evalCondition('failureCondition', m.failureCondition, result);
  if (failure && !failure.ok) return { phase: 'Error', message: failure.message };
  const sc = JSON.stringify(m.successCondition);
  const fc = JSON.stringify(m.failureCondition);
  if (failure?.ok && failure.value) return { phase: 'Failed', message: `failureCondition ${fc} is true for result ${shown}` };
  if (success?.ok) {
    if (success.value) return { phase: 'Successful', message: `successCondition ${sc} is true for result ${shown}` };
    if (!failure) return { phase: 'Failed', message: `successCondition ${sc} is false for result ${shown}` };
    return { phase: 'Inconclusive', message: `successCondition ${sc} and failureCondition ${fc} are both false for result ${shown}` };
  }
  if (failure) return { phase: 'Successful', message: `failureCondition ${fc} is false for result ${shown}` };
  return { phase: 'Successful', message: `no condition; result ${shown}` };
}

/** A metric's verdict so far: still measuring, or final. */
export type MetricPhase = 'Running' | MeasurementPhase;

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * The verdict on a metric's measurements so far, as Argo Rollouts assesses them: more failed measurements than
 * failureLimit → Failed; else more inconclusive than inconclusiveLimit → Inconclusive; else a trailing run of more
 * errored measurements than consecutiveErrorLimit → Error; else, once `count` measurements are taken (errored ones
 * do not count, as in Argo, so a metric whose provider is down never passes) → Successful; else Running. The
 * message names the metric, the counts against their limits and the deciding measurement's message, e.g.
 * `metric error-rate failed: 1 of 1 measurements failed (failureLimit 0): failureCondition "result[0] > 0.05" is
 * true for result [0.5]`.
 */
export function metricVerdict(m: ResolvedMetric, ms: readonly Measurement[]): { phase: MetricPhase; message: string } {
  let failed = 0;
  let inconclusive = 0;
  let errors = 0;
  let trailingErrors = 0;
  for (const x of ms) {
    if (x.phase === 'Failed') failed++;
    if (x.phase === 'Inconclusive') inconclusive++;
    if (x.phase === 'Error') errors++;
    trailingErrors = x.phase === 'Error' ? trailingErrors + 1 : 0;
  }
  const taken = ms.length - errors;
  const last = (phase: MeasurementPhase): string => {
    const x = [...ms].reverse().find((y) => y.phase === phase);
    return x?.message ? `: ${x.message}` : '';
  };
  const total = `${ms.length} measurements`;
  if (failed > m.failureLimit) {
    return { phase: 'Failed', message: `metric ${m.name} failed: ${failed} of ${total} failed (failureLimit ${m.failureLimit})${last('Failed')}` };
  }
  if (inconclusive > m.inconclusiveLimit) {
    return {
      phase: 'Inconclusive',
      message: `metric ${m.name} inconclusive: ${inconclusive} of ${total} inconclusive (inconclusiveLimit ${m.inconclusiveLimit})${last('Inconclusive')}`,
    };
  }
  if (trailingErrors > m.consecutiveErrorLimit) {
    return {
      phase: 'Error',
      message: `metric ${m.name} errored: ${plural(trailingErrors, 'measurement')} in a row errored (consecutiveErrorLimit ${m.consecutiveErrorLimit})${last('Error')}`,
    };
  }
  const tally = `${failed} failed (failureLimit ${m.failureLimit}), ${inconclusive} inconclusive (inconclusiveLimit ${m.inconclusiveLimit}), ${errors} errored`;
  const lastMessage = ms.length > 0 && ms[ms.length - 1]?.message ? `: ${ms[ms.length - 1]?.message}` : '';
  if (m.count !== null && taken >= m.count) {
    return { phase: 'Successful', message: `metric ${m.name} successful: ${taken} of ${m.count} measurements taken, ${tally}${lastMessage}` };
  }
  const of = m.count === null ? `${taken} measurements taken (no count: until stopped)` : `${taken} of ${m.count} measurements taken`;
  return { phase: 'Running', message: `metric ${m.name} running: ${of}, ${tally}${lastMessage}` };
}
