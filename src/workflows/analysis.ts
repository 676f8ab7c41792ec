/**
 * Metric analysis, the workflow side: each metric is a loop of measurements (one activity each, with its own timeout)
 * spaced by durable timers, judged by the pure rules of src/rollout/analysis.ts. A worker killed between two
 * measurements resumes the timer where it was; killed during one, that one measurement is taken again.
 */
import { ApplicationFailure, condition, log, proxyActivities } from '@temporalio/workflow';
import { NonRetryable } from '../kube/error-types.js';
import type { analysisActivities } from '../activities/analysis.js';
import {
  describeProvider,
  formatErrors,
  judgeMeasurement,
  metricVerdict,
  resolveMetric,
  type AnalysisSpec,
  type Measurement,
  type MetricPhase,
} from '../rollout/index.js';
import type { AnalysisRunView } from './messages.js';

type AnalysisActivities = ReturnType<typeof analysisActivities>;

/** Measurements the progress record lists per metric (all are counted). */
const MEASUREMENTS_KEPT = 20;

/** A step's metric without `count` takes this many measurements (a background metric runs until the rollout ends). */
export const STEP_METRIC_COUNT = 1;

/** The verdict on a whole analysis: the first metric that failed (or errored, or was inconclusive), else Successful. */
export interface AnalysisVerdict {
  phase: Exclude<MetricPhase, 'Running'>;
  /** The metric that decided (absent: every metric succeeded). */
  run?: AnalysisRunView;
  message: string;
  /** The deciding measurement's value and the condition that judged it. */
  value?: unknown;
  condition?: string;
}

function measuring(timeoutMs: number) {
  return proxyActivities<AnalysisActivities>({
    // One measurement: the provider's own timeout, and room for the activity around it.
    startToCloseTimeout: timeoutMs + 5_000,
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 5 },
  });
}

/** Where an analysis runs: its step (index; null: the background analysis), its record and when to stop it. */
export interface AnalysisContext {
  step: number | null;
  /** The progress record's list of metric runs (this analysis appends its own). */
  runs: AnalysisRunView[];
  /** The record changed (render it). */
  changed(): void;
  /** The analysis is no longer wanted (the rollout ends, aborts, or is promoted in full): no further measurement. */
  stop(): boolean;
  /** `namespace/name`, for the activities' logs. */
  rollout: string;
}

/**
 * Runs every metric of `spec` side by side, each recorded in the context's `runs`, and returns once the analysis is
 * decided — the first Failed / Error / Inconclusive metric, or all Successful — or, with null, once `stop()` holds.
 * Metrics of the background analysis (step null) without `count` measure until then. The waits between
 * measurements are durable timers (conditions with a timeout), so stopping never cancels anything half-way.
 */
export async function runAnalysis(spec: AnalysisSpec, ctx: AnalysisContext): Promise<AnalysisVerdict | null> {
  const { step, runs } = ctx;
  const changed = () => ctx.changed();
  let decided: AnalysisVerdict | null = null;
  const stopped = () => decided !== null || ctx.stop();
  const metrics = spec.metrics.map((m) => {
    const r = resolveMetric(m);
    return step !== null && r.count === null ? { ...r, count: STEP_METRIC_COUNT } : r;
  });
  const views = metrics.map((m): AnalysisRunView => ({ metric: m.name, step, phase: 'Pending', message: describeProvider(m), count: 0, measurements: [] }));
  runs.push(...views);
  changed();
  let open = metrics.length;
  const measureAll = metrics.map(async (m, i) => {
    const view = views[i]!;
    const all: Measurement[] = [];
    const api = measuring(m.timeoutMs);
    if (m.initialDelayMs > 0 && (await condition(stopped, m.initialDelayMs))) return;
    view.phase = 'Running';
    for (;;) {
      if (stopped()) return;
      let outcome: Awaited<ReturnType<AnalysisActivities['measureMetric']>>;
      try {
        outcome = await api.measureMetric.executeWithOptions({ summary: `measure ${m.name}` }, [
          { metric: m, context: { rollout: ctx.rollout, ...(step !== null ? { step: step + 1 } : {}) } },
        ]);
      } catch (err) {
        // The activity itself failed every attempt (not the provider: that is an Error measurement): the metric errs.
        view.phase = 'Error';
        view.message = `metric ${m.name}: measuring failed: ${String((err as Error)?.message ?? err)}`;
        decided ??= { phase: 'Error', run: view, message: view.message, condition: 'error' };
        changed();
        return;
      }
      if (stopped()) return;
      const judged = judgeMeasurement(m, outcome);
      const x: Measurement = { atMs: outcome.atMs, phase: judged.phase, message: judged.message, ...('value' in outcome ? { value: outcome.value } : {}) };
      all.push(x);
      view.count = all.length;
      view.measurements.push(x);
      if (view.measurements.length > MEASUREMENTS_KEPT) view.measurements.splice(0, view.measurements.length - MEASUREMENTS_KEPT);
      const verdict = metricVerdict(m, all);
      view.message = verdict.message;
      if (verdict.phase !== 'Running') {
        view.phase = verdict.phase;
        changed();
        log.info('analysis metric decided', { metric: m.name, step: step === null ? null : step + 1, phase: verdict.phase, message: verdict.message });
        if (verdict.phase !== 'Successful' && !decided) {
          const cond = judged.phase === 'Error' ? 'error' : (m.failureCondition ?? m.successCondition ?? '');
          decided = { phase: verdict.phase, run: view, message: verdict.message, ...(x.value !== undefined ? { value: x.value } : {}), condition: cond };
        } else if (verdict.phase === 'Successful') open--;
        return;
      }
      changed();
      if (await condition(stopped, m.intervalMs)) return;
    }
  });
  await condition(() => decided !== null || open === 0 || ctx.stop());
  void Promise.all(measureAll); // the metrics' loops end at their next check
  if (decided) return decided;
  if (open === 0) return { phase: 'Successful', message: `${metrics.length} metric(s) successful` };
  for (const v of views) if (v.phase === 'Pending' || v.phase === 'Running') v.phase = 'Skipped';
  changed();
  return null;
}

/**
 * Before anything is written: each Prometheus query of these analyses is run once, and one the server rejects (or a
 * server that does not answer) fails the run with InvalidSpec, naming the field. `at` prefixes the fields (e.g. the
 * annotation the analyses came from).
 */
export async function checkProviders(analyses: { field: string; spec: AnalysisSpec | undefined }[]): Promise<void> {
  const metrics = analyses.flatMap(({ field, spec }) => (spec?.metrics ?? []).map((m, i) => ({ field: `${field}.metrics[${i}]`, metric: resolveMetric(m) })));
  if (!metrics.some((m) => m.metric.provider.kind === 'prometheus')) return;
  const problems = await measuring(10_000).checkAnalysisProviders({ metrics });
  if (problems.length === 0) return;
  throw ApplicationFailure.nonRetryable(
    `invalid rollout input: ${formatErrors(problems.map((p) => ({ field: p.field, message: `${p.field}: ${p.message}` })))}`,
    NonRetryable.InvalidSpec,
  );
}
