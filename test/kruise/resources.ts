/**
 * Container resources as the kruise tier compares them: requests and limits by value (`0.15` is `150m`), written
 * in one normal form for the observables (`requests cpu=150m memory=64Mi; limits cpu=200m memory=128Mi`), so the
 * two controllers' Pods compare equal whoever wrote a quantity how.
 */
import { quantityNanos, sameQuantity } from '../../src/rollout/resources.js';

/** A container's `resources` (spec or status), quantities as strings (client-node objects are read as JSON). */
export interface Resources {
  requests?: Record<string, unknown>;
  limits?: Record<string, unknown>;
}

const SIDES = ['requests', 'limits'] as const;

/** The same requests and limits by value; a resource absent on one side only differs. */
export function sameResources(a: Resources | undefined | null, b: Resources | undefined | null): boolean {
  return SIDES.every((side) => {
    const x = a?.[side] ?? {};
    const y = b?.[side] ?? {};
    return [...new Set([...Object.keys(x), ...Object.keys(y)])].every((k) => sameQuantity(x[k], y[k]));
  });
}

const MI = 1024n * 1024n * 10n ** 9n;

/** A quantity in one form: cpu in millicores (`150m`), memory in Mi where whole (`64Mi`), else bytes; anything else as nano-units. */
export function normalQuantity(resource: string, q: unknown): string {
  const nanos = quantityNanos(q);
  if (nanos === null) return `?${String(q)}`;
  if (resource === 'cpu') return `${nanos / 10n ** 6n}m${nanos % 10n ** 6n ? '+' : ''}`;
  if (resource === 'memory') return nanos % MI === 0n ? `${nanos / MI}Mi` : `${nanos / 10n ** 9n}`;
  return `${nanos}n`;
}

/** `requests cpu=150m memory=64Mi; limits cpu=200m memory=128Mi` (resources sorted), `none` when both are empty, `(absent)` without. */
export function formatResources(r: Resources | undefined | null): string {
  if (r === undefined || r === null) return '(absent)';
  const parts = SIDES.flatMap((side) => {
    const list = r[side] ?? {};
    const keys = Object.keys(list).sort();
    return keys.length ? [`${side} ${keys.map((k) => `${k}=${normalQuantity(k, list[k])}`).join(' ')}`] : [];
  });
  return parts.length ? parts.join('; ') : 'none';
}
