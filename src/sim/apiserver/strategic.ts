/**
 * Strategic merge patch (k8s.io/apimachinery/pkg/util/strategicpatch) for the
 * built-in kinds. The Go types' `patchStrategy`/`patchMergeKey` tags are given
 * here as a small schema; lists not described by it are replaced whole.
 *
 * Supported directives: `$patch: replace|delete` on maps and list elements,
 * `$retainKeys`, `$deleteFromPrimitiveList/<field>`. `$setElementOrder/<field>`
 * is accepted and ignored (merged lists keep stored order, new items appended).
 */
import { badRequest } from './errors.js';
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
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith(DELETE_FROM_PRIMITIVE)) {
      const name = k.slice(DELETE_FROM_PRIMITIVE.length);
      const drop = Array.isArray(v) ? v : [];
      const cur = out[name];
      if (Array.isArray(cur)) out[name] = cur.filter((x) => !drop.some((d) => d === x));
      continue;
    }
    if (k.startsWith('$')) continue; // $retainKeys handled above, $setElementOrder ignored
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

function mergeList(original: JsonValue | undefined, patch: JsonValue[], schema: SmpSchema | undefined, name: string): JsonValue[] {
  const cur = Array.isArray(original) ? original : [];
  if (schema?.set) {
    const out = [...cur];
    for (const x of patch) if (!out.some((y) => y === x)) out.push(x);
    return out;
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
    if (k === undefined) throw badRequest(`map: ${JSON.stringify(e)} does not contain declared merge key: ${key}`);
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
  return out;
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
