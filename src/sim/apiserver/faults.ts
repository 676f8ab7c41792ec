/**
 * Fault injection: latency and error responses on chosen verbs/resources, and
 * dropping of watch streams, to exercise clients' retry and resume paths.
 * Injected errors are the same Status objects the real server sends.
 */
import { ApiError, OPTIMISTIC_LOCK_MESSAGE, conflict, internalError, serviceUnavailable, tooManyRequests } from './errors.js';
import type { Verb } from './registry.js';

/** One fault rule; unset matchers match everything. */
export interface FaultRule {
  verb?: Verb | '*';
  /** Plural resource, e.g. `pods`; '*' matches every resource. */
  resource?: string;
  /** `status`, `scale`, `binding`; '' targets only the main resource; unset matches both. */
  subresource?: string;
  /** Probability in [0, 1] that a matching request fails. Default 1 when `code` is set, else 0. */
  errorRate?: number;
  /** Status code of injected failures. Default 500. 409 answers a Conflict. */
  code?: 500 | 503 | 409 | 429;
  /** Added delay for every matching request, before it is processed. */
  latencyMs?: number;
  /**
   * Fail after the request took effect (the write is stored, the client is told
   * it failed), to exercise idempotent retries. Default false: fail before.
   */
  afterCommit?: boolean;
}

/** Control surface handed to tests and to the CLI's chaos options. */
export interface FaultInjector {
  /** e.g. set({ verb: 'patch', resource: 'pods', errorRate: 0.2, code: 500 }); code 409 gives a Conflict Status */
  set(rule: FaultRule): string;
  /** Removes one rule, or all rules when no id is given. */
  clear(id?: string): void;
  /** Close every open watch stream now (clients must resume from their last resourceVersion). */
  dropWatches(): number;
  /** Counts by `${verb}:${resource}:${code}` (resource as `pods/status` for subresources), `${verb}:${resource}:latency`, and `watchDrop`. */
  injected(): Record<string, number>;
}

/** What to do to one request. */
export interface FaultPlan {
  latencyMs: number;
  /** Error to answer before processing. */
  before?: ApiError;
  /** Error to answer after processing. */
  after?: ApiError;
}

/** What a request is, for rule matching. */
export interface FaultTarget {
  verb: Verb;
  resource: string;
  subresource: string;
  group: string;
  name: string;
}

/** The FaultInjector implementation; `plan` is called by the server for each resource request. */
export class Faults implements FaultInjector {
  private readonly rules = new Map<string, FaultRule>();
  private readonly counts: Record<string, number> = {};
  private nextId = 1;

  constructor(
    private readonly random: () => number,
    private readonly closeWatches: () => number,
  ) {}

  set(rule: FaultRule): string {
    const rate = rule.errorRate ?? (rule.code !== undefined ? 1 : 0);
    if (!(rate >= 0 && rate <= 1)) throw new RangeError(`errorRate must be within [0, 1], got ${rate}`);
    const id = `fault-${this.nextId++}`;
    this.rules.set(id, { ...rule });
    return id;
  }

  clear(id?: string): void {
    if (id === undefined) this.rules.clear();
    else this.rules.delete(id);
  }

  dropWatches(): number {
    const n = this.closeWatches();
    this.count('watchDrop', n);
    return n;
  }

  injected(): Record<string, number> {
    return { ...this.counts };
  }

  /** Decides latency and failure for one request; the first failing rule wins. */
  plan(t: FaultTarget): FaultPlan {
    const plan: FaultPlan = { latencyMs: 0 };
    const resource = t.subresource ? `${t.resource}/${t.subresource}` : t.resource;
    for (const r of this.rules.values()) {
      if (r.verb !== undefined && r.verb !== '*' && r.verb !== t.verb) continue;
      if (r.resource !== undefined && r.resource !== '*' && r.resource !== t.resource) continue;
      if (r.subresource !== undefined && r.subresource !== t.subresource) continue;
      if (r.latencyMs) {
        plan.latencyMs += r.latencyMs;
        this.count(`${t.verb}:${resource}:latency`);
      }
      const rate = r.errorRate ?? (r.code !== undefined ? 1 : 0);
      if (plan.before || plan.after || rate <= 0 || this.random() >= rate) continue;
      const code = r.code ?? 500;
      this.count(`${t.verb}:${resource}:${code}`);
      const err = faultError(code, t);
      if (r.afterCommit) plan.after = err;
      else plan.before = err;
    }
    return plan;
  }

  private count(key: string, n = 1): void {
    this.counts[key] = (this.counts[key] ?? 0) + n;
  }
}

function faultError(code: 500 | 503 | 409 | 429, t: FaultTarget): ApiError {
  switch (code) {
    case 409:
      return conflict({ group: t.group, resource: t.resource }, t.name, OPTIMISTIC_LOCK_MESSAGE);
    case 429:
      return tooManyRequests(1);
    case 503:
      return serviceUnavailable();
    default:
      return internalError('injected fault');
  }
}

/** mulberry32: a small seeded PRNG so fault sequences are reproducible. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
