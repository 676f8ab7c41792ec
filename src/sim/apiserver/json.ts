/**
 * Plain-JSON helpers. Every object the simulated apiserver stores is kept in one
 * canonical form (sorted keys, no `undefined`), so that "did this write change
 * anything?" is a string comparison, as it is a byte comparison in etcd.
 */

/** A JSON value as decoded from a request body. */
export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;
/** A JSON object. */
export type JsonObject = { [key: string]: JsonValue };

/** True for a non-null, non-array object. */
export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The object at `o[key]`, or undefined when absent or not an object. */
export function objectAt(o: JsonObject | undefined, key: string): JsonObject | undefined {
  const v = o?.[key];
  return isObject(v) ? v : undefined;
}

/** The array at `o[key]`, or an empty array when absent or not an array. */
export function arrayAt(o: JsonObject | undefined, key: string): JsonValue[] {
  const v = o?.[key];
  return Array.isArray(v) ? v : [];
}

/** The string at `o[key]`, or '' when absent or not a string. */
export function stringAt(o: JsonObject | undefined, key: string): string {
  const v = o?.[key];
  return typeof v === 'string' ? v : '';
}

/** A JSON value for an error message: a string as it is, anything else as JSON. */
export function jsonText(v: JsonValue | undefined): string {
  return typeof v === 'string' ? v : (JSON.stringify(v) ?? 'undefined');
}

/** The number at `o[key]`, or undefined. */
export function numberAt(o: JsonObject | undefined, key: string): number | undefined {
  const v = o?.[key];
  return typeof v === 'number' ? v : undefined;
}

/**
 * Deep copy with object keys sorted and `undefined` members dropped. Sorting
 * happens to give the conventional apiVersion, kind, metadata, spec, status order.
 */
export function canonical<T>(v: T, verbatim?: ReadonlySet<string>): T {
  if (Array.isArray(v)) return v.map((x) => canonical(x)) as T;
  if (!isObject(v)) return v;
  const out: JsonObject = {};
  for (const k of Object.keys(v).sort()) {
    const x = v[k];
    // members named in `verbatim` (top level only) keep the client's key order, like a RawExtension's bytes
    if (x !== undefined) out[k] = verbatim?.has(k) ? x : canonical(x);
  }
  return out as T;
}

/** Freezes a JSON tree in place so stored state cannot be mutated by accident. */
export function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v as object)) deepFreeze(x);
  }
  return v;
}

/** A mutable deep copy of a JSON value (JSON round trip is the fastest clone for plain data). */
export function cloneJson<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

/** Structural equality of two JSON values (key order insensitive). */
export function jsonEqual(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => jsonEqual(a[k], b[k]));
  }
  return false;
}
