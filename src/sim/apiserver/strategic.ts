/**
 * Strategic merge patch (k8s.io/apimachinery/pkg/util/strategicpatch) for the
 * built-in kinds. The Go types' `patchStrategy`/`patchMergeKey` tags are given
 * here as a small schema; lists not described by it are replaced whole.
 *
 * Supported directives: `$patch: replace|delete` on maps and list elements,
 * `$retainKeys`, `$deleteFromPrimitiveList/<field>`, `$setElementOrder/<field>`.
 *
 * Order of a merged list (normalizeElementOrder upstream): the items the patch
 * names come in the patch's order (or the `$setElementOrder` list's), the
 * stored items the patch does not name keep their stored order, and the two
 * are interleaved by their stored positions. So a patch naming two containers
 * in the other order than the Pod's swaps them — which Pod validation then
 * refuses, as on a real server — and an item new to the list goes before the
 * stored items it is not compared with.
 */
import { ApiError, badRequest } from './errors.js';
import { type JsonObject, type JsonValue, isObject } from './json.js';

/** Merge behaviour of one field; `fields` describes an object's members, `items` a list's elements. */
export interface SmpSchema {
  fields?: Readonly<Record<string, SmpSchema>>;
  /** patchStrategy=merge on a list of objects, keyed by this member. */
  mergeKey?: string;
  /** patchStrategy=merge on a list of scalars: union. */
  set?: boolean;
  items?: SmpSchema;
}

const DELETE_FROM_PRIMITIVE = '$deleteFromPrimitiveList/';
const SET_ELEMENT_ORDER = '$setElementOrder/';

/** Applies a strategic merge patch to `original` (which is not modified). */
export function applyStrategicMergePatch(original: JsonObject, patch: JsonValue, schema: SmpSchema): JsonObject {
  if (!isObject(patch)) throw badRequest('strategic merge patch must be a JSON object');
  return mergeMap(original, patch, schema) ?? {};
}

function mergeMap(original: JsonObject | undefined, patch: JsonObject, schema: SmpSchema | undefined): JsonObject | undefined {
  const directive = patch.$patch;
  if (directive === 'delete') return undefined;
  if (directive === 'replace') return stripDirectives(patch) as JsonObject;
  if (directive !== undefined) throw badRequest(`Unknown patch type: ${JSON.stringify(directive)} in map: ${JSON.stringify(patch)}`);

  let out: JsonObject = original ? { ...original } : {};
  if (Array.isArray(patch.$retainKeys)) {
    const keep = new Set(patch.$retainKeys.map(String));
    out = Object.fromEntries(Object.entries(out).filter(([k]) => keep.has(k)));
  }
  // lists with a $setElementOrder directive are merged first, in the directive's order
  const ordered = new Set<string>();
  for (const [k, order] of Object.entries(patch)) {
    if (!k.startsWith(SET_ELEMENT_ORDER)) continue;
    const name = k.slice(SET_ELEMENT_ORDER.length);
    const sub = schema?.fields?.[name];
    if (!Array.isArray(order)) throw badRequest(`invalid type for ${k}: expected a list`);
    const list = patch[name];
    if (list !== undefined && list !== null && !Array.isArray(list)) throw badRequest(`invalid type for ${name}: expected a list`);
    if (!sub?.mergeKey && !sub?.set) continue; // lists that are replaced whole have no order to set
    const items = (list ?? []) as JsonValue[];
    checkSetElementOrder(items, order, sub.mergeKey, k);
    out[name] = mergeList(out[name], items, sub, name, order);
    ordered.add(name);
  }
  for (const [k, v] of Object.entries(patch)) {
    if (ordered.has(k)) continue;
    if (k.startsWith(DELETE_FROM_PRIMITIVE)) {
      const name = k.slice(DELETE_FROM_PRIMITIVE.length);
      const drop = Array.isArray(v) ? v : [];
      const cur = out[name];
      if (Array.isArray(cur)) out[name] = cur.filter((x) => !drop.some((d) => d === x));
      continue;
    }
    if (k.startsWith('$')) continue; // $retainKeys and $setElementOrder handled above
    const sub = schema?.fields?.[k];
    if (v === null) {
      delete out[k];
    } else if (Array.isArray(v)) {
      out[k] = mergeList(out[k], v, sub, k);
    } else if (isObject(v)) {
      const merged = mergeMap(isObject(out[k]) ? (out[k] as JsonObject) : undefined, v, sub);
      if (merged === undefined) delete out[k];
      else out[k] = merged;
    } else {
      out[k] = v;
    }
  }
  return out;
}

function mergeList(original: JsonValue | undefined, patch: JsonValue[], schema: SmpSchema | undefined, name: string, setOrder?: JsonValue[]): JsonValue[] {
  const cur = Array.isArray(original) ? original : [];
  if (schema?.set) {
    const out = [...cur];
    for (const x of patch) if (!out.some((y) => y === x)) out.push(x);
    // scalars are appended and deduplicated; only a $setElementOrder list reorders them
    return setOrder ? normalizeOrder(out, setOrder, cur, undefined) : out;
  }
  const key = schema?.mergeKey;
  if (!key) return patch.map(stripDirectives);
  if (patch.some((e) => isObject(e) && e.$patch === 'replace')) {
    return patch.filter((e) => !(isObject(e) && e.$patch === 'replace')).map(stripDirectives);
  }
  const out = [...cur];
  for (const e of patch) {
    if (!isObject(e)) throw badRequest(`strategic merge patch: list ${name} with merge key ${key} must contain objects`);
    const k = e[key];
    // a plain Go error upstream, so a bare 500 (docs/sim-divergences.md 2.9)
    if (k === undefined) throw new ApiError(500, undefined, `map: ${goFormat(e)} does not contain declared merge key: ${key}`);
    const idx = out.findIndex((x) => isObject(x) && x[key] === k);
    if (e.$patch === 'delete') {
      for (let i = out.length - 1; i >= 0; i--) if (isObject(out[i]) && (out[i] as JsonObject)[key] === k) out.splice(i, 1);
      continue;
    }
    const merged = mergeMap(idx >= 0 ? (out[idx] as JsonObject) : undefined, e, schema.items);
    if (merged === undefined) {
      if (idx >= 0) out.splice(idx, 1);
    } else if (idx >= 0) {
      out[idx] = merged;
    } else {
      out.push(merged);
    }
  }
  return normalizeOrder(out, setOrder ?? patch, cur, key);
}

/** The identity of a list item: its merge key's value, or the item itself in a list of scalars. */
function identity(v: JsonValue, mergeKey: string | undefined): JsonValue | undefined {
  return mergeKey === undefined ? v : isObject(v) ? v[mergeKey] : undefined;
}

function indexIn(list: readonly JsonValue[], v: JsonValue, mergeKey: string | undefined): number {
  const id = identity(v, mergeKey);
  return list.findIndex((x) => identity(x, mergeKey) === id);
}

/**
 * normalizeElementOrder: `merged` split into the items named by `patchOrder` (sorted by it) and the rest
 * (sorted by `serverOrder`), then interleaved: a server-only item goes before a patch item only when both are
 * stored and it is stored earlier.
 */
function normalizeOrder(merged: JsonValue[], patchOrder: readonly JsonValue[], serverOrder: readonly JsonValue[], mergeKey: string | undefined): JsonValue[] {
  if (merged.length < 2) return merged;
  const byOrder = (order: readonly JsonValue[]) => (items: JsonValue[]) =>
    items
      .map((v, i) => ({ v, i, at: indexIn(order, v, mergeKey) }))
      .sort((a, b) => (a.at < 0 || b.at < 0 ? a.i - b.i : a.at - b.at || a.i - b.i))
      .map((x) => x.v);
  const named = byOrder(patchOrder)(merged.filter((v) => indexIn(patchOrder, v, mergeKey) >= 0));
  const serverOnly = byOrder(serverOrder)(merged.filter((v) => indexIn(patchOrder, v, mergeKey) < 0));
  const out: JsonValue[] = [];
  let i = 0;
  let j = 0;
  while (i < serverOnly.length || j < named.length) {
    if (j >= named.length) out.push(serverOnly[i++]!);
    else if (i >= serverOnly.length) out.push(named[j++]!);
    else {
      const l = indexIn(serverOrder, serverOnly[i]!, mergeKey);
      const r = indexIn(serverOrder, named[j]!, mergeKey);
      if (l >= 0 && r >= 0 && l < r) out.push(serverOnly[i++]!);
      else out.push(named[j++]!);
    }
  }
  return out;
}

/**
 * validatePatchWithSetOrderList: the (non-deleting) items of the patch list must appear in the
 * `$setElementOrder` list, in the same relative order.
 */
function checkSetElementOrder(items: JsonValue[], order: JsonValue[], mergeKey: string | undefined, directive: string): void {
  const kept = items.filter((e) => !(isObject(e) && (e.$patch === 'delete' || e.$patch === 'replace')));
  if (kept.length === 0 || order.length === 0) return;
  let p = 0;
  for (let o = 0; o < order.length && p < kept.length; o++) {
    if (identity(kept[p]!, mergeKey) === identity(order[o]!, mergeKey)) p++;
  }
  if (p < kept.length) throw setElementOrderMismatch(items, order, directive);
}

/** Drops directive keys and null members from patch content that is taken as-is. */
function stripDirectives(v: JsonValue): JsonValue {
  if (Array.isArray(v)) return v.map(stripDirectives);
  if (!isObject(v)) return v;
  const out: JsonObject = {};
  for (const [k, x] of Object.entries(v)) {
    if (k.startsWith('$') || x === null) continue;
    out[k] = stripDirectives(x);
  }
  return out;
}

/**
 * The real server answers a `$setElementOrder` list that contradicts the patch list with a bare 500 (the
 * strategicpatch error is not one it maps to a status), the lists printed with Go's %v.
 */
function setElementOrderMismatch(items: JsonValue[], order: JsonValue[], directive: string): ApiError {
  const prefix = directive.slice(0, directive.indexOf('/'));
  return new ApiError(500, undefined, `The order in patch list:\n${goFormat(items)}\n doesn't match ${prefix} list:\n${goFormat(order)}\n`);
}

/** Go's %v of a decoded JSON value: `[a b]`, `map[k:v]` with sorted keys, `<nil>`. */
export function goFormat(v: JsonValue | undefined): string {
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return `[${v.map(goFormat).join(' ')}]`;
  if (isObject(v))
    return `map[${Object.keys(v)
      .sort()
      .map((k) => `${k}:${goFormat(v[k])}`)
      .join(' ')}]`;
  return String(v);
}
