/**
 * A pod template as Go encodes it: what Kruise's controller hashes and stores in a ControllerRevision.
 *
 * Kruise decodes the CloneSet into Go structs (k8s.io/api core/v1 PodTemplateSpec) and encodes it again, then
 * json.Marshal's it as a map. Both steps change the JSON a user wrote:
 * - the struct round trip ({@link goTyped}) drops unknown fields, drops `omitempty` fields holding their zero value
 *   (`hostNetwork: false`, `args: []`, `value: ""`), keeps pointers to zero values (`terminationGracePeriodSeconds: 0`),
 *   and writes every struct field without omitempty, and every struct-typed field, even when absent:
 *   `metadata.creationTimestamp: null`, `resources: {}`;
 * - json.Marshal of a map ({@link goJson}) sorts keys (byte order) and escapes `<`, `>`, `&`, U+2028 and U+2029.
 * The field layout comes from src/rollout/pod-schema.ts, generated from the Go types by scripts/pod-schema.
 *
 * Not covered: resource.Quantity values are kept as written (Go writes them in canonical form: `0.5` → `500m`,
 * `1024Mi` → `1Gi`); a value of the wrong JSON type (Go would refuse the object) is kept as is; metav1.Time strings
 * are kept as written (Go rewrites them in RFC 3339, whole seconds).
 */
import { GO_POD_TYPES } from './pod-schema.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export interface GoTypedOptions {
  /**
   * Keep fields the Go type does not have (default false: Go drops them). For comparisons: the project's CRD
   * preserves unknown fields, and a change of one must still count as a change.
   */
  keepUnknown?: boolean;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The zero value Go writes for an absent non-omitempty field of a scalar type, or undefined (nil) for the others. */
function zeroOf(spec: string): Json | undefined {
  switch (spec) {
    case 'string':
      return '';
    case 'int':
    case 'float':
      return 0;
    case 'bool':
      return false;
    case 'time':
      return null;
    case 'quantity':
      return '0';
    case 'intstr':
      return 0;
    default:
      return undefined;
  }
}

/**
 * The Go value decoded from `v` into type `spec` and encoded again; undefined for nil (pointer, slice, map).
 * Struct types never give undefined: an absent struct is its zero value.
 */
function typedValue(v: unknown, spec: string, opts: GoTypedOptions): Json | undefined {
  if (spec.startsWith('*')) return v === null || v === undefined ? undefined : typedValue(v, spec.slice(1), opts);
  if (spec.startsWith('[]')) {
    if (!Array.isArray(v)) return v === null || v === undefined ? undefined : (v as Json);
    const elem = spec.slice(2);
    return v.map((e) => typedValue(e, elem, opts) ?? zeroOf(elem) ?? null);
  }
  if (spec.startsWith('map:')) {
    if (!isObject(v)) return v === null || v === undefined ? undefined : (v as Json);
    const elem = spec.slice(4);
    const out: Record<string, Json> = {};
    for (const k of Object.keys(v)) out[k] = typedValue(v[k], elem, opts) ?? zeroOf(elem) ?? null;
    return out;
  }
  const fields = GO_POD_TYPES[spec];
  if (fields) return typedStruct(v, fields, opts);
  // A scalar, time, quantity or intstr: null decodes to the zero value.
  return v === null || v === undefined ? zeroOf(spec) : (v as Json);
}

/** Go's omitempty test: false, 0, "", nil, and empty slices and maps (structs are never empty). */
function isEmpty(v: Json | undefined, spec: string): boolean {
  if (GO_POD_TYPES[spec] || spec === 'time' || spec === 'quantity' || spec === 'intstr') return false;
  if (v === undefined || v === null) return true;
  if (spec.startsWith('*')) return false;
  if (spec.startsWith('[]')) return Array.isArray(v) && v.length === 0;
  if (spec.startsWith('map:')) return isObject(v) && Object.keys(v).length === 0;
  return v === false || v === 0 || v === '';
}

function typedStruct(v: unknown, fields: Record<string, string>, opts: GoTypedOptions): Json {
  const src = isObject(v) ? v : {};
  const out: Record<string, Json> = {};
  for (const name of Object.keys(fields)) {
    const decl = fields[name] as string;
    const required = decl.endsWith('!');
    const spec = required ? decl.slice(0, -1) : decl;
    const value = typedValue(src[name], spec, opts);
    if (!required && isEmpty(value, spec)) continue;
    out[name] = value ?? null;
  }
  if (opts.keepUnknown) {
    for (const name of Object.keys(src)) if (!(name in fields) && src[name] !== undefined) out[name] = src[name] as Json;
  }
  return out;
}

/** `value` decoded into the Go struct `type` (a name in src/rollout/pod-schema.ts) and encoded again. */
export function goTyped(value: unknown, type: string, opts: GoTypedOptions = {}): Json {
  if (!GO_POD_TYPES[type]) throw new Error(`unknown Go type ${type}`);
  return typedStruct(value, GO_POD_TYPES[type], opts);
}

/** A string as Go's encoding/json writes it (HTML-safe: `<`, `>`, `&` escaped, and U+2028, U+2029). */
export function goString(s: string): string {
  return JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Byte order of the UTF-8 encodings (Go sorts map keys so), from UTF-16 strings. */
function byUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (U+D800–DFFF) stand for code points above U+FFFF, which sort after U+E000–FFFF in UTF-8.
    const rank = (c: number) => (c >= 0xd800 && c <= 0xdfff ? c + 0x2000 : c >= 0xe000 ? c - 0x800 : c);
    return rank(x) - rank(y);
  }
  return a.length - b.length;
}

/**
 * JSON as Go's json.Marshal writes a map[string]interface{} decoded from JSON: keys sorted at every level, no
 * whitespace, Go's string escaping. `undefined` members are left out (as JSON.stringify does).
 */
export function goJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return goString(value);
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (Array.isArray(value)) return `[${value.map((v) => goJson(v)).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort(byUtf8);
  return `{${keys.map((k) => `${goString(k)}:${goJson(obj[k])}`).join(',')}}`;
}
