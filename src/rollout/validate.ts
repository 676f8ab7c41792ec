/**
 * CloneSet validation and defaulting: the checks of Kruise's validating webhook that matter to a rollout, and the
 * defaults of its mutating webhook. Every problem is reported (not just the first), each naming its field.
 */
import { fieldError, type FieldError, type Validated } from './fielderror.js';
import { checkImageRef } from './input.js';
import { quantityNanos } from './resources.js';
import { checkIntOrPercent, resolveMaxSurge, scaledValue } from './intstr.js';
import { checkRequirement, isDns1123Label, isDns1123Subdomain, isLabelValue, isQualifiedName, selectorMatches } from './selector.js';
import { Defaults, UpdateStrategyType, type CloneSet, type IntOrString, type LabelSelector, type NormalizedCloneSet } from './types.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNonNegInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const show = (v: unknown): string => JSON.stringify(v) ?? String(v);
/** A required field that is absent (undefined or null) reads `FIELD: is required`, never `undefined must be ...`. */
const missing = (v: unknown): v is undefined | null => v === undefined || v === null;
const REQUIRED = 'is required';

/** Namespace used when metadata.namespace is absent (as kubectl does). */
export const DEFAULT_NAMESPACE = 'default';

class Collector {
  readonly errors: FieldError[] = [];
  add(field: string, problem: string): void {
    this.errors.push(fieldError(field, problem));
  }
  /** Checks an optional non-negative integer field. */
  nonNegInt(field: string, v: unknown): void {
    if (v !== undefined && !isNonNegInt(v)) this.add(field, `${show(v)} must be an integer ≥ 0`);
  }
  intOrPercent(field: string, v: unknown): void {
    if (v === undefined) return;
    const problem = checkIntOrPercent(v);
    if (problem) this.add(field, problem);
  }
}

function checkLabelMap(c: Collector, field: string, v: unknown): void {
  if (v === undefined) return;
  if (!isObj(v)) return c.add(field, 'must be a map of string to string');
  for (const [k, val] of Object.entries(v)) {
    if (!isQualifiedName(k)) c.add(`${field}[${k}]`, `${show(k)} is not a valid label key`);
    if (typeof val !== 'string' || !isLabelValue(val)) c.add(`${field}[${k}]`, `${show(val)} is not a valid label value`);
  }
}

function checkSelector(c: Collector, v: unknown): void {
  const f = 'spec.selector';
  if (missing(v)) return c.add(f, REQUIRED);
  if (!isObj(v)) return c.add(f, 'must be an object with matchLabels and/or matchExpressions');
  checkLabelMap(c, `${f}.matchLabels`, v.matchLabels);
  const exprs = v.matchExpressions;
  if (exprs !== undefined) {
    if (!Array.isArray(exprs)) c.add(`${f}.matchExpressions`, 'must be a list');
    else
      exprs.forEach((e: unknown, i) => {
        const ef = `${f}.matchExpressions[${i}]`;
        if (!isObj(e)) return c.add(ef, 'must have a string key and an operator');
        if (missing(e.key)) c.add(`${ef}.key`, REQUIRED);
        else if (typeof e.key !== 'string' || !isQualifiedName(e.key)) c.add(`${ef}.key`, `${show(e.key)} is not a valid label key`);
        if (missing(e.operator)) return c.add(`${ef}.operator`, REQUIRED);
        if (typeof e.key !== 'string') return;
        const problem = checkRequirement({
          key: e.key,
          operator: typeof e.operator === 'string' ? e.operator : show(e.operator),
          values: e.values as string[],
        });
        if (problem) c.add(`${ef}.operator`, problem);
      });
  }
  const n = Object.keys(isObj(v.matchLabels) ? v.matchLabels : {}).length + (Array.isArray(exprs) ? exprs.length : 0);
  if (n === 0) c.add(f, 'empty selector is invalid for a CloneSet (it would select every pod)');
}

function checkContainers(c: Collector, field: string, v: unknown, required: boolean, seen: string[]): void {
  if (missing(v)) return required ? c.add(field, REQUIRED) : undefined;
  if (!Array.isArray(v) || (required && v.length === 0)) return c.add(field, 'must list at least one container');
  v.forEach((ct: unknown, i) => {
    const cf = `${field}[${i}]`;
    if (!isObj(ct)) return c.add(cf, 'must be an object with name and image');
    if (missing(ct.name)) {
      c.add(`${cf}.name`, REQUIRED);
    } else if (typeof ct.name !== 'string' || !isDns1123Label(ct.name)) {
      c.add(`${cf}.name`, `${show(ct.name)} must be a DNS-1123 label`);
    } else if (seen.includes(ct.name)) {
      c.add(`${cf}.name`, `duplicate container name ${show(ct.name)}`);
    } else {
      seen.push(ct.name);
    }
    const problem = missing(ct.image) ? REQUIRED : checkImageRef(ct.image);
    if (problem) c.add(`${cf}.image`, problem);
    checkResources(c, `${cf}.resources`, ct.resources);
  });
}

/** Quantities that parse and are not negative, and no request above its limit (the apiserver's rules). */
function checkResources(c: Collector, field: string, r: unknown): void {
  if (missing(r)) return;
  if (!isObj(r)) return c.add(field, 'must be an object with requests and limits');
  const values: Record<'requests' | 'limits', Record<string, bigint>> = { requests: {}, limits: {} };
  for (const kind of ['requests', 'limits'] as const) {
    const list = r[kind];
    if (missing(list)) continue;
    if (!isObj(list)) {
      c.add(`${field}.${kind}`, 'must be a map of resource name to quantity');
      continue;
    }
    for (const [res, q] of Object.entries(list)) {
      const n = quantityNanos(q);
      if (n === null) c.add(`${field}.${kind}.${res}`, `${show(q)} is not a quantity (e.g. 100m, 0.5, 128Mi)`);
      else if (n < 0n) c.add(`${field}.${kind}.${res}`, `${show(q)} must be greater than or equal to 0`);
      else values[kind][res] = n;
    }
  }
  for (const [res, req] of Object.entries(values.requests)) {
    const lim = values.limits[res];
    if (lim !== undefined && req > lim) {
      const limits = (r.limits ?? {}) as Record<string, unknown>;
      const requests = (r.requests ?? {}) as Record<string, unknown>;
      c.add(`${field}.requests.${res}`, `${String(requests[res])} must be less than or equal to the ${res} limit of ${String(limits[res])}`);
    }
  }
}

function checkTemplate(c: Collector, t: unknown, selector: unknown): void {
  const f = 'spec.template';
  if (missing(t)) return c.add(f, REQUIRED);
  if (!isObj(t)) return c.add(f, 'must be an object with metadata and spec');
  const md = t.metadata;
  if (md !== undefined && !isObj(md)) c.add(`${f}.metadata`, 'must be an object');
  const labels = isObj(md) ? md.labels : undefined;
  checkLabelMap(c, `${f}.metadata.labels`, labels);
  if (isObj(selector)) {
    const sel = selector as LabelSelector;
    const hasTerms = Object.keys(sel.matchLabels ?? {}).length + (sel.matchExpressions ?? []).length > 0;
    if (hasTerms && !selectorMatches(sel, isObj(labels) ? (labels as Record<string, string>) : {})) {
      c.add(`${f}.metadata.labels`, '`selector` does not match template `labels`');
    }
  }
  const spec = t.spec;
  if (missing(spec)) return c.add(`${f}.spec`, REQUIRED);
  if (!isObj(spec)) return c.add(`${f}.spec`, 'must be an object');
  const seen: string[] = [];
  checkContainers(c, `${f}.spec.containers`, spec.containers, true, seen);
  checkContainers(c, `${f}.spec.initContainers`, spec.initContainers, false, seen);
  if (spec.restartPolicy !== undefined && spec.restartPolicy !== 'Always') {
    c.add(`${f}.spec.restartPolicy`, `${show(spec.restartPolicy)} is not supported: must be "Always"`);
  }
  if (spec.activeDeadlineSeconds !== undefined && spec.activeDeadlineSeconds !== null) {
    c.add(`${f}.spec.activeDeadlineSeconds`, 'is not supported in a CloneSet');
  }
}

function checkScaleStrategy(c: Collector, s: unknown): void {
  const f = 'spec.scaleStrategy';
  if (s === undefined) return;
  if (!isObj(s)) return c.add(f, 'must be an object');
  c.intOrPercent(`${f}.maxUnavailable`, s.maxUnavailable);
  const names = s.podsToDelete;
  if (names === undefined) return;
  if (!Array.isArray(names)) return c.add(`${f}.podsToDelete`, 'must be a list of pod names');
  const seen: string[] = [];
  names.forEach((n: unknown, i) => {
    if (typeof n !== 'string' || !isDns1123Subdomain(n)) {
      c.add(`${f}.podsToDelete[${i}]`, `${show(n)} is not a valid pod name`);
    } else if (seen.includes(n)) {
      c.add(`${f}.podsToDelete[${i}]`, `duplicate pod name ${show(n)}`);
    } else seen.push(n);
  });
}

function checkPriorityAndScatter(c: Collector, u: Obj): void {
  const f = 'spec.updateStrategy';
  const p = u.priorityStrategy;
  if (p !== undefined) {
    if (!isObj(p)) c.add(`${f}.priorityStrategy`, 'must be an object');
    else {
      if (p.weightPriority !== undefined && p.orderPriority !== undefined) {
        c.add(`${f}.priorityStrategy`, 'only one of weightPriority and orderPriority may be set');
      }
      (Array.isArray(p.weightPriority) ? p.weightPriority : []).forEach((w: unknown, i) => {
        const weight = isObj(w) ? w.weight : undefined;
        if (missing(weight)) c.add(`${f}.priorityStrategy.weightPriority[${i}].weight`, REQUIRED);
        else if (!isNonNegInt(weight) || weight > 100) {
          c.add(`${f}.priorityStrategy.weightPriority[${i}].weight`, `${show(weight)} must be an integer between 0 and 100`);
        }
      });
      (Array.isArray(p.orderPriority) ? p.orderPriority : []).forEach((o: unknown, i) => {
        if (isObj(o) && missing(o.orderedKey)) c.add(`${f}.priorityStrategy.orderPriority[${i}].orderedKey`, REQUIRED);
        else if (!isObj(o) || typeof o.orderedKey !== 'string' || o.orderedKey === '') {
          c.add(`${f}.priorityStrategy.orderPriority[${i}].orderedKey`, 'must be a non-empty label key');
        }
      });
    }
  }
  const s = u.scatterStrategy;
  if (s !== undefined) {
    if (!Array.isArray(s)) c.add(`${f}.scatterStrategy`, 'must be a list of {key, value}');
    else {
      const seen: string[] = [];
      s.forEach((t: unknown, i) => {
        if (isObj(t) && (missing(t.key) || missing(t.value))) {
          if (missing(t.key)) c.add(`${f}.scatterStrategy[${i}].key`, REQUIRED);
          if (missing(t.value)) c.add(`${f}.scatterStrategy[${i}].value`, REQUIRED);
          return;
        }
        if (!isObj(t) || typeof t.key !== 'string' || t.key === '' || typeof t.value !== 'string' || t.value === '') {
          return c.add(`${f}.scatterStrategy[${i}]`, 'key and value must be non-empty strings');
        }
        const id = `${t.key}=${t.value}`;
        if (seen.includes(id)) c.add(`${f}.scatterStrategy[${i}]`, `duplicate term ${id}`);
        seen.push(id);
      });
    }
  }
}

/** `spec.lifecycle`: each hook's labelsHandler is a label map, finalizersHandler qualified names. */
function checkLifecycle(c: Collector, v: unknown): void {
  const f = 'spec.lifecycle';
  if (v === undefined) return;
  if (!isObj(v)) return c.add(f, 'must be an object');
  for (const [name, hook] of Object.entries(v)) {
    const hf = `${f}.${name}`;
    if (!['preDelete', 'inPlaceUpdate', 'preNormal'].includes(name)) {
      c.add(hf, 'unknown hook (expected preDelete, inPlaceUpdate or preNormal)');
      continue;
    }
    if (hook === undefined || hook === null) continue;
    if (!isObj(hook)) {
      c.add(hf, 'must be an object');
      continue;
    }
    checkLabelMap(c, `${hf}.labelsHandler`, hook.labelsHandler);
    const fin = hook.finalizersHandler;
    if (fin !== undefined) {
      if (!Array.isArray(fin)) c.add(`${hf}.finalizersHandler`, 'must be a list of finalizer names');
      else {
        fin.forEach((x: unknown, i) => {
          if (typeof x !== 'string' || !isQualifiedName(x)) c.add(`${hf}.finalizersHandler[${i}]`, `${show(x)} is not a valid finalizer name`);
        });
      }
    }
    if (hook.markPodNotReady !== undefined && typeof hook.markPodNotReady !== 'boolean') {
      c.add(`${hf}.markPodNotReady`, `${show(hook.markPodNotReady)} must be true or false`);
    }
  }
}

function checkUpdateStrategy(c: Collector, u: unknown, replicas: number): void {
  const f = 'spec.updateStrategy';
  if (u === undefined) return;
  if (!isObj(u)) return c.add(f, 'must be an object');
  const types: string[] = Object.values(UpdateStrategyType);
  if (u.type !== undefined && !types.includes(u.type as string)) {
    c.add(`${f}.type`, `${show(u.type)} must be one of ${types.join(', ')}`);
  }
  c.intOrPercent(`${f}.partition`, u.partition);
  c.intOrPercent(`${f}.maxUnavailable`, u.maxUnavailable);
  c.intOrPercent(`${f}.maxSurge`, u.maxSurge);
  if (u.paused !== undefined && typeof u.paused !== 'boolean') c.add(`${f}.paused`, `${show(u.paused)} must be true or false`);
  const ip = u.inPlaceUpdateStrategy;
  if (ip !== undefined && !isObj(ip)) c.add(`${f}.inPlaceUpdateStrategy`, 'must be an object');
  if (isObj(ip)) c.nonNegInt(`${f}.inPlaceUpdateStrategy.gracePeriodSeconds`, ip.gracePeriodSeconds);
  checkPriorityAndScatter(c, u);

  // Cross-field rules need both values to be well-formed.
  const mu = (u.maxUnavailable ?? Defaults.maxUnavailable) as IntOrString;
  const ms = (u.maxSurge ?? Defaults.maxSurge) as IntOrString;
  if (checkIntOrPercent(mu) !== null || checkIntOrPercent(ms) !== null) return;
  const surge = resolveMaxSurge(ms, replicas);
  if (u.type === UpdateStrategyType.InPlaceOnly && surge > 0) {
    c.add(`${f}.maxSurge`, `${show(ms)} can not be used with type InPlaceOnly (surge pods would be new pods)`);
  }
  // Kruise checks maxUnavailable rounded up, so "1%" of 5 replicas counts as 1.
  if (replicas > 0 && scaledValue(mu, replicas, true) < 1 && surge < 1) {
    c.add(
      `${f}.maxUnavailable`,
      `${show(mu)} with maxSurge ${show(ms)}: maxUnavailable and maxSurge must not both be less than 1 (no pod could ever be updated)`,
    );
  }
}

/**
 * Validates a CloneSet and returns it with Kruise's defaults applied (replicas 1, type ReCreate, partition 0,
 * maxUnavailable "20%", maxSurge 0, gracePeriodSeconds 0, minReadySeconds 0, revisionHistoryLimit 10,
 * paused false, podsToDelete [], namespace "default"). The input is not modified.
 */
export function validateCloneSet(input: unknown): Validated<NormalizedCloneSet> {
  const c = new Collector();
  if (!isObj(input)) return { ok: false, errors: [fieldError('(root)', 'a CloneSet must be an object')] };
  if (input.apiVersion !== undefined && (typeof input.apiVersion !== 'string' || !input.apiVersion.startsWith('apps.kruise.io/'))) {
    c.add('apiVersion', `${show(input.apiVersion)} is not an apps.kruise.io version`);
  }
  if (input.kind !== undefined && input.kind !== 'CloneSet') c.add('kind', `${show(input.kind)} must be "CloneSet"`);
  const md = isObj(input.metadata) ? input.metadata : {};
  if (missing(md.name)) {
    c.add('metadata.name', REQUIRED);
  } else if (typeof md.name !== 'string' || !isDns1123Subdomain(md.name)) {
    c.add('metadata.name', `${show(md.name)} must be a DNS-1123 subdomain`);
  }
  if (md.namespace !== undefined && (typeof md.namespace !== 'string' || !isDns1123Label(md.namespace))) {
    c.add('metadata.namespace', `${show(md.namespace)} must be a DNS-1123 label`);
  }
  const spec = input.spec;
  if (!isObj(spec)) {
    c.add('spec', missing(spec) ? REQUIRED : 'must be an object');
    return { ok: false, errors: c.errors };
  }
  c.nonNegInt('spec.replicas', spec.replicas);
  c.nonNegInt('spec.minReadySeconds', spec.minReadySeconds);
  c.nonNegInt('spec.revisionHistoryLimit', spec.revisionHistoryLimit);
  c.nonNegInt('spec.progressDeadlineSeconds', spec.progressDeadlineSeconds);
  checkSelector(c, spec.selector);
  checkTemplate(c, spec.template, spec.selector);
  checkScaleStrategy(c, spec.scaleStrategy);
  const replicas = isNonNegInt(spec.replicas) ? spec.replicas : Defaults.replicas;
  checkUpdateStrategy(c, spec.updateStrategy, replicas);
  checkLifecycle(c, spec.lifecycle);
  if (c.errors.length > 0) return { ok: false, errors: c.errors };
  return { ok: true, value: normalize(input as unknown as CloneSet) };
}

/** Applies defaults to a CloneSet already validated. */
function normalize(cs: CloneSet): NormalizedCloneSet {
  const copy = JSON.parse(JSON.stringify(cs)) as CloneSet;
  const spec = copy.spec;
  const u = spec.updateStrategy ?? {};
  const s = spec.scaleStrategy ?? {};
  return {
    ...copy,
    apiVersion: copy.apiVersion ?? 'apps.kruise.io/v1alpha1',
    kind: copy.kind ?? 'CloneSet',
    metadata: { ...copy.metadata, name: copy.metadata.name as string, namespace: copy.metadata.namespace ?? DEFAULT_NAMESPACE },
    spec: {
      ...spec,
      replicas: spec.replicas ?? Defaults.replicas,
      selector: spec.selector as LabelSelector,
      minReadySeconds: spec.minReadySeconds ?? Defaults.minReadySeconds,
      revisionHistoryLimit: spec.revisionHistoryLimit ?? Defaults.revisionHistoryLimit,
      scaleStrategy: { ...s, podsToDelete: s.podsToDelete ?? [] },
      updateStrategy: {
        ...u,
        type: u.type ?? Defaults.updateStrategyType,
        partition: u.partition ?? Defaults.partition,
        maxUnavailable: u.maxUnavailable ?? Defaults.maxUnavailable,
        maxSurge: u.maxSurge ?? Defaults.maxSurge,
        paused: u.paused ?? Defaults.paused,
        inPlaceUpdateStrategy: {
          ...u.inPlaceUpdateStrategy,
          gracePeriodSeconds: u.inPlaceUpdateStrategy?.gracePeriodSeconds ?? Defaults.gracePeriodSeconds,
        },
      },
    },
  };
}
