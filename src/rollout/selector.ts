/**
 * Label selectors (matching and their string form) and Kubernetes name/label syntax checks.
 */
import type { LabelSelector, LabelSelectorRequirement } from './types.js';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

/** DNS-1123 label: lowercase alphanumerics and '-', ≤ 63 chars (namespaces, container names). */
export function isDns1123Label(s: string): boolean {
  return s.length <= 63 && DNS1123_LABEL.test(s);
}

/** DNS-1123 subdomain: labels joined by '.', ≤ 253 chars (most object names, pod names). */
export function isDns1123Subdomain(s: string): boolean {
  return s.length <= 253 && DNS1123_SUBDOMAIN.test(s);
}

/** A label or annotation key: `[prefix/]name`, prefix a DNS subdomain, name ≤ 63 chars. */
export function isQualifiedName(s: string): boolean {
  const slash = s.lastIndexOf('/');
  const name = slash >= 0 ? s.slice(slash + 1) : s;
  const prefix = slash >= 0 ? s.slice(0, slash) : null;
  if (prefix !== null && !isDns1123Subdomain(prefix)) return false;
  return name.length <= 63 && QUALIFIED_NAME_PART.test(name);
}

/** A label value: empty, or ≤ 63 chars of alphanumerics, '-', '_', '.', starting and ending alphanumeric. */
export function isLabelValue(s: string): boolean {
  return s === '' || (s.length <= 63 && QUALIFIED_NAME_PART.test(s));
}

/** Known matchExpressions operators. */
export const SelectorOperator = {
  In: 'In',
  NotIn: 'NotIn',
  Exists: 'Exists',
  DoesNotExist: 'DoesNotExist',
} as const;
export type SelectorOperator = (typeof SelectorOperator)[keyof typeof SelectorOperator];

/** Returns a problem with one requirement (operator/values consistency), or null. */
export function checkRequirement(req: LabelSelectorRequirement): string | null {
  const values = req.values ?? [];
  switch (req.operator) {
    case SelectorOperator.In:
    case SelectorOperator.NotIn:
      return values.length === 0 ? `operator ${req.operator} needs at least one value` : null;
    case SelectorOperator.Exists:
    case SelectorOperator.DoesNotExist:
      return values.length > 0 ? `operator ${req.operator} must have no values` : null;
    default:
      return `unknown operator ${JSON.stringify(req.operator)} (expected In, NotIn, Exists or DoesNotExist)`;
  }
}

function requirementMatches(req: LabelSelectorRequirement, labels: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, req.key);
  const values = req.values ?? [];
  switch (req.operator) {
    case SelectorOperator.In:
      return has && values.includes(labels[req.key] as string);
    case SelectorOperator.NotIn:
      return !has || !values.includes(labels[req.key] as string);
    case SelectorOperator.Exists:
      return has;
    case SelectorOperator.DoesNotExist:
      return !has;
    default:
      return false;
  }
}

/**
 * True if `labels` satisfy every matchLabels entry and every matchExpressions requirement.
 * An empty selector matches everything (callers reject empty selectors during validation).
 */
export function selectorMatches(selector: LabelSelector, labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) {
    if (l[k] !== v) return false;
  }
  return (selector.matchExpressions ?? []).every((r) => requirementMatches(r, l));
}

/**
 * The selector in Kubernetes' string form, requirements sorted by key:
 * `app=web,tier in (a,b),!legacy`. Used for status.labelSelector.
 */
export function selectorString(selector: LabelSelector): string {
  const parts: { key: string; text: string }[] = [];
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) parts.push({ key: k, text: `${k}=${v}` });
  for (const r of selector.matchExpressions ?? []) {
    const values = [...(r.values ?? [])].sort().join(',');
    const text =
      r.operator === SelectorOperator.In
        ? `${r.key} in (${values})`
        : r.operator === SelectorOperator.NotIn
          ? `${r.key} notin (${values})`
          : r.operator === SelectorOperator.Exists
            ? r.key
            : `!${r.key}`;
    parts.push({ key: r.key, text });
  }
  // Stable sort by key keeps matchLabels before expressions for the same key.
  return parts
    .map((p, i) => ({ ...p, i }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.i - b.i))
    .map((p) => p.text)
    .join(',');
}
