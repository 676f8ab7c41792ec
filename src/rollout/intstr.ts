/**
 * Int-or-percent values (`5`, `"5"`, `"20%"`) and the rounding rules CloneSet applies to each field.
 *
 * Kruise's rules, which differ from Deployment's:
 * - partition: percent rounds UP; if partition < 100% and replicas > 1, at least one pod is updated.
 * - updateStrategy.maxUnavailable [20%]: rounds UP when maxSurge is 0, DOWN when maxSurge > 0.
 * - updateStrategy.maxSurge [0]: rounds UP; treated as 0 while paused.
 * - scaleStrategy.maxUnavailable: unset = unlimited; percent rounds UP.
 */
import { Defaults, type IntOrString } from './types.js';

/** A parsed int-or-percent. */
export type ParsedIntOrPercent = { kind: 'int'; value: number } | { kind: 'percent'; value: number };

const INT_RE = /^-?\d+$/;
const PERCENT_RE = /^-?\d+%$/;

/**
 * Parses `5`, `"5"` or `"20%"`. Returns null for anything else (fractions, `"12.5%"`, `"abc"`, objects).
 * Note: Kubernetes itself rejects a non-percent string such as `"5"`; we accept it because values typed on a
 * command line arrive as strings.
 */
export function parseIntOrPercent(value: unknown): ParsedIntOrPercent | null {
  if (typeof value === 'number') {
    return Number.isSafeInteger(value) ? { kind: 'int', value } : null;
  }
  if (typeof value !== 'string') return null;
  const s = value.trim();
  if (PERCENT_RE.test(s)) return { kind: 'percent', value: Number.parseInt(s.slice(0, -1), 10) };
  if (INT_RE.test(s)) return { kind: 'int', value: Number.parseInt(s, 10) };
  return null;
}

/** Options for {@link checkIntOrPercent}. */
export interface IntOrPercentRules {
  /** Reject percentages above 100%. Default true. */
  maxPercent100?: boolean;
}

/**
 * Returns a human-readable problem with `value`, or null if it is a non-negative integer or a percentage
 * (0%–100% unless `maxPercent100` is false). The message does not include the field name.
 */
export function checkIntOrPercent(value: unknown, rules: IntOrPercentRules = {}): string | null {
  const max100 = rules.maxPercent100 ?? true;
  const parsed = parseIntOrPercent(value);
  const expected = max100 ? 'must be an integer ≥ 0 or a percentage between 0% and 100%' : 'must be an integer ≥ 0 or a percentage ≥ 0%';
  if (parsed === null || parsed.value < 0 || (max100 && parsed.kind === 'percent' && parsed.value > 100)) {
    return `${JSON.stringify(value)} ${expected}`;
  }
  return null;
}

/**
 * Resolves an int-or-percent against `total`. Percentages are `value × total / 100`, rounded up or down.
 * Integers are returned as-is. Throws on a value {@link parseIntOrPercent} rejects (validate first).
 */
export function scaledValue(value: IntOrString, total: number, roundUp: boolean): number {
  const parsed = parseIntOrPercent(value);
  if (parsed === null) throw new Error(`invalid int-or-percent ${JSON.stringify(value)}`);
  if (parsed.kind === 'int') return parsed.value;
  // Integer arithmetic: no float error for values like 7% of 100.
  const product = parsed.value * total;
  return roundUp ? Math.ceil(product / 100) : Math.floor(product / 100);
}

/** True if the value is a percentage string such as `"20%"`. */
export function isPercent(value: IntOrString): boolean {
  return parseIntOrPercent(value)?.kind === 'percent';
}

/**
 * Pods kept on old revisions, in [0, replicas]. Percent rounds up; a percentage below 100% that would keep every
 * pod (e.g. 90% of 5 → 5) keeps replicas − 1 instead when replicas > 1, so that at least one pod is updated.
 */
export function resolvePartition(partition: IntOrString | undefined, replicas: number): number {
  if (partition === undefined) return 0;
  let p = scaledValue(partition, replicas, true);
  const parsed = parseIntOrPercent(partition);
  if (replicas > 1 && p >= replicas && parsed?.kind === 'percent' && parsed.value < 100) p = replicas - 1;
  return Math.max(0, Math.min(p, replicas));
}

/** Resolved updateStrategy.maxSurge: percent rounds up; 0 while paused. Default 0. */
export function resolveMaxSurge(maxSurge: IntOrString | undefined, replicas: number, paused = false): number {
  if (paused || maxSurge === undefined) return 0;
  return Math.max(0, scaledValue(maxSurge, replicas, true));
}

/**
 * Resolved updateStrategy.maxUnavailable (default 20%): percent rounds UP when the resolved maxSurge is 0, DOWN
 * when it is > 0.
 */
export function resolveMaxUnavailable(maxUnavailable: IntOrString | undefined, replicas: number, resolvedMaxSurge: number): number {
  const value = maxUnavailable ?? Defaults.maxUnavailable;
  return Math.max(0, scaledValue(value, replicas, resolvedMaxSurge === 0));
}

/** Resolved scaleStrategy.maxUnavailable: null (unset) means unlimited; percent rounds up. */
export function resolveScaleMaxUnavailable(value: IntOrString | undefined | null, replicas: number): number | null {
  if (value === undefined || value === null) return null;
  return Math.max(0, scaledValue(value, replicas, true));
}
