/**
 * Rollout metrics the project exports itself (prom-client), derived on the worker from the activities it runs: an
 * activity interceptor sees each activity's type, input and outcome, so the activities stay free of metrics code.
 *
 * Best effort by design: an activity retried after its result was lost is counted twice, and a rollout whose worker
 * dies mid-way finishes its duration on whichever worker runs the last observation. Temporal's own per-workflow
 * numbers (e.g. `temporal_workflow_endtoend_latency`) come from the SDK exporter next to these.
 */
import { Context } from '@temporalio/activity';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** One finished activity execution, as the interceptor reports it. */
export interface ActivityOutcome {
  activity: string;
  workflowId: string;
  runId: string;
  /** The activity's first argument. */
  input: unknown;
  /** The activity's result; undefined when it failed. */
  result?: unknown;
  /** The failure, when it failed. */
  error?: unknown;
  /** Wall clock at start and end (ms). */
  startedMs: number;
  endedMs: number;
}

type Labels = { namespace: string; cloneset: string };

/** `cloneset/<ns>/<name>` → labels; other workflow IDs keep the whole ID as the CloneSet label. */
export function labelsOf(workflowId: string): Labels {
  const m = /^cloneset\/([^/]+)\/([^/]+)$/.exec(workflowId);
  return m ? { namespace: m[1]!, cloneset: m[2]! } : { namespace: '', cloneset: workflowId };
}

/** Pods in flight stay tracked at most this long (an entry whose end we never saw must not stick forever). */
const IN_FLIGHT_TTL_MS = 60 * 60 * 1000;

export class RolloutMetrics {
  readonly registry = new Registry();
  private readonly updatedInPlace: Counter<'namespace' | 'cloneset'>;
  private readonly recreated: Counter<'namespace' | 'cloneset'>;
  private readonly created: Counter<'namespace' | 'cloneset'>;
  private readonly deleted: Counter<'namespace' | 'cloneset'>;
  private readonly failures: Counter<'namespace' | 'cloneset' | 'activity'>;
  private readonly podSeconds: Histogram<'namespace' | 'cloneset'>;
  private readonly rolloutSeconds: Histogram<'namespace' | 'cloneset'>;
  private readonly inFlightGauge: Gauge<'namespace' | 'cloneset'>;
  private readonly unavailableGauge: Gauge<'namespace' | 'cloneset'>;
  /** Pod key → when its in-place update, creation or deletion started, and for which CloneSet. */
  private readonly inFlight = new Map<string, { labels: Labels; sinceMs: number; inPlace: boolean }>();
  /** Run ID → start of the rollout run (its first prepareRollout); removed when its end is seen. */
  private readonly runs = new Map<string, number>();

  constructor() {
    const registers = [this.registry];
    const labelNames = ['namespace', 'cloneset'] as const;
    this.updatedInPlace = new Counter({
      name: 'cloneset_rollout_pods_updated_in_place_total',
      help: 'Pods whose containers were updated in place (new images running).',
      labelNames,
      registers,
    });
    this.recreated = new Counter({
      name: 'cloneset_rollout_pods_recreated_total',
      help: 'Pods deleted to be recreated on the update revision.',
      labelNames,
      registers,
    });
    this.created = new Counter({ name: 'cloneset_rollout_pods_created_total', help: 'Pods created (scale up and recreations).', labelNames, registers });
    this.deleted = new Counter({ name: 'cloneset_rollout_pods_deleted_total', help: 'Pods deleted for scale down.', labelNames, registers });
    this.failures = new Counter({
      name: 'cloneset_rollout_activity_failures_total',
      help: 'Failed rollout activity attempts (retried or not).',
      labelNames: [...labelNames, 'activity'],
      registers,
    });
    this.podSeconds = new Histogram({
      name: 'cloneset_rollout_pod_update_seconds',
      help: 'One Pod in place: gate off to Ready again.',
      labelNames,
      buckets: [1, 2, 5, 10, 30, 60, 120, 300, 600],
      registers,
    });
    this.rolloutSeconds = new Histogram({
      name: 'cloneset_rollout_duration_seconds',
      help: 'Rollout run: target resolved to every Pod updated and available.',
      labelNames,
      buckets: [5, 15, 30, 60, 120, 300, 600, 1800, 3600],
      registers,
    });
    this.inFlightGauge = new Gauge({
      name: 'cloneset_rollout_pods_in_flight',
      help: 'Pods being updated, created or deleted right now (by this worker).',
      labelNames,
      registers,
    });
    this.unavailableGauge = new Gauge({
      name: 'cloneset_rollout_pods_unavailable',
      help: 'Unavailable Pods of the CloneSet at its last observation.',
      labelNames,
      registers,
    });
  }

  /** Prometheus text exposition. */
  text(): Promise<string> {
    this.expire(Date.now());
    return this.registry.metrics();
  }

  /** Updates the metrics from one finished activity. */
  record(o: ActivityOutcome): void {
    const labels = labelsOf(o.workflowId);
    const input = (o.input ?? {}) as { namespace?: string; name?: string; reason?: string };
    const podKey = (name: string | undefined) => `${input.namespace ?? labels.namespace}/${name ?? ''}`;
    if (o.error !== undefined) {
      this.failures.inc({ ...labels, activity: o.activity });
      // A Pod lane that failed for good ends its in-flight entry; a retry will start it again.
      if (input.name && this.inFlight.has(podKey(input.name))) this.end(podKey(input.name));
      return;
    }
    switch (o.activity) {
      case 'prepareRollout':
        if (!this.runs.has(o.runId)) this.runs.set(o.runId, o.startedMs);
        break;
      case 'markPodNotReady':
        this.begin(podKey(input.name), labels, o.startedMs, true);
        break;
      case 'waitPodUpdated':
        this.updatedInPlace.inc(labels);
        break;
      case 'markPodsNotReady': {
        // Batch steps (src/activities/batch.ts): the same accounting, Pod by Pod.
        const done = (o.result as { results?: Record<string, unknown> } | undefined)?.results ?? {};
        for (const name of Object.keys(done)) this.begin(podKey(name), labels, o.startedMs, true);
        break;
      }
      case 'finishPodsInPlace': {
        const ready = (o.result as { ready?: Record<string, unknown> } | undefined)?.ready ?? {};
        for (const name of Object.keys(ready)) {
          this.updatedInPlace.inc(labels);
          const entry = this.inFlight.get(podKey(name));
          if (entry?.inPlace) this.podSeconds.observe(entry.labels, (o.endedMs - entry.sinceMs) / 1000);
          this.end(podKey(name));
        }
        break;
      }
      case 'createPod': {
        this.created.inc(labels);
        const name = (o.result as { name?: string } | undefined)?.name;
        this.begin(podKey(name), labels, o.startedMs, false);
        break;
      }
      case 'waitPodReady': {
        const entry = this.inFlight.get(podKey(input.name));
        if (entry?.inPlace) this.podSeconds.observe(entry.labels, (o.endedMs - entry.sinceMs) / 1000);
        this.end(podKey(input.name));
        break;
      }
      case 'deletePod':
        if (input.reason === 'recreate') this.recreated.inc(labels);
        else this.deleted.inc(labels);
        this.end(podKey(input.name));
        break;
      case 'observePlan': {
        // Planned next to the data: the decision carries the counts (the Pods themselves stay in the activity).
        const d = (o.result as { decision?: { done: boolean; counts: { current: number; available: number } } | null } | undefined)?.decision;
        if (!d) break;
        this.unavailableGauge.set(labels, d.counts.current - d.counts.available);
        this.finishRun(o, labels, d.done);
        break;
      }
    }
  }

  /** Records the run's duration once an observation finds it done. */
  private finishRun(o: ActivityOutcome, labels: Labels, done: boolean) {
    const startedMs = this.runs.get(o.runId);
    if (startedMs !== undefined && done) {
      this.rolloutSeconds.observe(labels, (o.endedMs - startedMs) / 1000);
      this.runs.delete(o.runId);
    }
  }

  private begin(key: string, labels: Labels, sinceMs: number, inPlace: boolean) {
    if (this.inFlight.has(key)) return; // a retried step of the same lane
    this.inFlight.set(key, { labels, sinceMs, inPlace });
    this.inFlightGauge.inc(labels);
  }

  private end(key: string) {
    const entry = this.inFlight.get(key);
    if (!entry) return;
    this.inFlight.delete(key);
    this.inFlightGauge.dec(entry.labels);
  }

  private expire(nowMs: number) {
    for (const [key, e] of this.inFlight) if (nowMs - e.sinceMs > IN_FLIGHT_TTL_MS) this.end(key);
    for (const [run, since] of this.runs) if (nowMs - since > 24 * IN_FLIGHT_TTL_MS) this.runs.delete(run);
  }

  /** Worker interceptor feeding {@link record}: pass in `interceptors.activity`. */
  interceptor(): ActivityInterceptorsFactory {
    return () => ({
      inbound: {
        execute: async (input, next) => {
          const info = Context.current().info;
          const base = {
            activity: info.activityType,
            workflowId: info.workflowExecution?.workflowId ?? '',
            runId: info.workflowExecution?.runId ?? '',
            input: input.args[0],
            startedMs: Date.now(),
          };
          try {
            const result = await next(input);
            this.safeRecord({ ...base, result, endedMs: Date.now() });
            return result;
          } catch (error) {
            this.safeRecord({ ...base, error, endedMs: Date.now() });
            throw error;
          }
        },
      },
    });
  }

  /** Metrics must never fail an activity. */
  private safeRecord(o: ActivityOutcome) {
    try {
      this.record(o);
    } catch {
      // ignore
    }
  }
}

/** The worker process's metrics (one registry per process, like the Temporal Runtime). */
export const rolloutMetrics = new RolloutMetrics();
