/**
 * Events a cluster can afford. Per-Pod Events go on the Pod, one per occurrence (each Pod sees a handful). On the
 * CloneSet, Events of one kind are correlated into a series, as client-go's EventCorrelator and `kubectl describe`'s
 * "x37 over 2m" present them: the first occurrence creates an Event; later ones, within {@link SERIES_WINDOW_MS} of the
 * previous, update that same Event (count, lastTimestamp, the latest message prefixed with how many were combined).
 * A series is keyed by the involved object's uid, the type and the reason, so a 10,000-Pod rollout leaves one Event
 * per reason on its CloneSet instead of one per Pod.
 *
 * Writes are coalesced: while one write of a series is in flight, later occurrences only bump the in-memory count, and
 * one more write carries them all when it returns — so a series costs at most one request in flight, however fast Pods
 * finish. Best effort throughout: a failed write is logged, never fails the rollout. The series live in the worker's
 * memory; a restarted worker starts new Events (bounded by restarts, and the old ones expire with the cluster's Event
 * TTL).
 */
import type { CoreV1Api } from '@kubernetes/client-node';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { isNotFound } from '../kube/errors.js';
import { eventBody, type EventTarget } from './context.js';

/** Occurrences further apart than this start a new Event (client-go's aggregation window). */
export const SERIES_WINDOW_MS = 10 * 60_000;

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

interface Series {
  namespace: string;
  /** The Event's name once created. */
  name: string | null;
  count: number;
  /** How many of `count` the stored Event already shows. */
  written: number;
  firstTimestamp: Date;
  lastTimestamp: Date;
  message: string;
  flushing: Promise<void> | null;
}

/** The message a series shows: the latest one, and how many were combined into it. */
export function seriesMessage(latest: string, count: number): string {
  return count <= 1 ? latest : `(combined from ${count} similar events) ${latest}`;
}

export class EventSeries {
  private readonly series = new Map<string, Series>();
  private evictedAtMs = 0;

  constructor(
    private readonly core: CoreV1Api,
    private readonly now: () => number = Date.now,
    private readonly windowMs = SERIES_WINDOW_MS,
  ) {}

  /** Series currently kept (for tests and metrics). */
  get size(): number {
    return this.series.size;
  }

  /**
   * Records one occurrence on `target`: a new Event or one more in its series. Resolves once the stored Event
   * shows this occurrence (or the write failed, logged).
   */
  async record(log: Logger, target: EventTarget, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    const nowMs = this.now();
    this.evictIdle(nowMs);
    const key = `${target.namespace}/${target.uid}/${type}/${reason}`;
    let s = this.series.get(key);
    if (!s || nowMs - s.lastTimestamp.getTime() > this.windowMs) {
      // A new series; one still flushing under this key finishes on its own object.
      s = {
        namespace: target.namespace,
        name: null,
        count: 0,
        written: 0,
        firstTimestamp: new Date(nowMs),
        lastTimestamp: new Date(nowMs),
        message,
        flushing: null,
      };
      this.series.set(key, s);
    }
    s.count++;
    s.lastTimestamp = new Date(nowMs);
    s.message = seriesMessage(message, s.count);
    if (!s.flushing) {
      const series = s;
      s.flushing = this.flush(log, target, type, reason, series).finally(() => {
        series.flushing = null;
      });
    }
    return s.flushing;
  }

  /** Writes until the stored Event shows every occurrence counted so far. */
  private async flush(log: Logger, target: EventTarget, type: 'Normal' | 'Warning', reason: string, s: Series): Promise<void> {
    while (s.written < s.count) {
      const count = s.count;
      try {
        if (s.name) {
          try {
            await this.core.patchNamespacedEvent(
              {
                namespace: s.namespace,
                name: s.name,
                body: { count, lastTimestamp: s.lastTimestamp, message: s.message },
              },
              mergePatch,
            );
          } catch (err) {
            if (!isNotFound(err)) throw err;
            s.name = null; // expired or deleted: start over with a new Event carrying the whole count
          }
        }
        if (!s.name) {
          const created = await this.core.createNamespacedEvent({
            namespace: s.namespace,
            body: eventBody(target, type, reason, s.message, { count, firstTimestamp: s.firstTimestamp, lastTimestamp: s.lastTimestamp }),
          });
          s.name = created.metadata?.name ?? null;
        }
        s.written = count;
      } catch (err) {
        log.warn({ err: (err as Error).message, reason }, 'could not record event');
        return;
      }
    }
  }

  /** Drops series idle for longer than the window (at most once a second: this runs on every record). */
  private evictIdle(nowMs: number): void {
    if (nowMs - this.evictedAtMs < 1_000) return;
    this.evictedAtMs = nowMs;
    for (const [key, s] of this.series) {
      if (!s.flushing && nowMs - s.lastTimestamp.getTime() > this.windowMs) this.series.delete(key);
    }
  }
}

const byClient = new WeakMap<CoreV1Api, EventSeries>();

/** The worker's series for one API client (the activities share one client set, hence one store). */
export function eventSeriesFor(core: CoreV1Api): EventSeries {
  let s = byClient.get(core);
  if (!s) {
    s = new EventSeries(core);
    byClient.set(core, s);
  }
  return s;
}
