/**
 * What a CRD's structural schema does to a custom resource on the real server
 * (k8s.io/apiextensions-apiserver): pruning of fields the schema does not
 * declare, and the OpenAPI type/required checks, with the same wording.
 * Only the keywords the project's CRD uses are understood: type, properties,
 * additionalProperties, items, required, nullable,
 * x-kubernetes-preserve-unknown-fields and x-kubernetes-int-or-string.
 */
import { type JsonObject, type JsonValue, isObject, stringAt } from './json.js';
import { type FieldError, field } from './validation.js';

/** A (structural) OpenAPI v3 schema node. */
export type Schema = JsonObject;

const PRESERVE = 'x-kubernetes-preserve-unknown-fields';
const INT_OR_STRING = 'x-kubernetes-int-or-string';

function props(s: Schema): JsonObject | undefined {
  return isObject(s.properties) ? s.properties : undefined;
}

/**
 * Removes, in place, every member the schema does not declare and returns their paths (`spec.foo`), in the
 * order found. `metadata` is left alone (the real server handles it as ObjectMeta), as are `apiVersion`/`kind`.
 */
export function prune(obj: JsonObject, schema: Schema): string[] {
  const pruned: string[] = [];
  for (const k of Object.keys(obj)) {
    if (k === 'metadata' || k === 'apiVersion' || k === 'kind') continue;
    const sub = props(schema)?.[k];
    if (!isObject(sub)) {
      delete obj[k];
      pruned.push(k);
    } else pruneValue(obj[k]!, sub, k, pruned);
  }
  return pruned;
}

function pruneValue(v: JsonValue, s: Schema, path: string, pruned: string[]): void {
  if (Array.isArray(v)) {
    if (isObject(s.items)) v.forEach((x, i) => pruneValue(x, s.items as Schema, `${path}[${i}]`, pruned));
    return;
  }
  if (!isObject(v)) return;
  const declared = props(s);
  const additional = s.additionalProperties;
  for (const k of Object.keys(v)) {
    const sub = declared?.[k] ?? (isObject(additional) ? additional : undefined);
    if (isObject(sub)) pruneValue(v[k]!, sub, `${path}.${k}`, pruned);
    else if (!(s[PRESERVE] === true || additional === true)) {
      delete v[k];
      pruned.push(`${path}.${k}`);
    }
  }
}

/** The JSON type name the OpenAPI validator reports for a value. */
function jsonType(v: JsonValue): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function typeOk(v: JsonValue, s: Schema): boolean {
  if (v === null) return s.nullable === true;
  if (s[INT_OR_STRING] === true) return typeof v === 'string' || (typeof v === 'number' && Number.isInteger(v));
  switch (s.type) {
    case 'object':
      return isObject(v);
    case 'array':
      return Array.isArray(v);
    case 'string':
      return typeof v === 'string';
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'number':
      return typeof v === 'number';
    case 'boolean':
      return typeof v === 'boolean';
    default:
      return true;
  }
}

/** Type and required-field errors of an object against its schema (the root's metadata is not checked). */
export function validateSchema(obj: JsonObject, schema: Schema): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, sub] of Object.entries(props(schema) ?? {})) {
    if (k === 'metadata' || !isObject(sub) || obj[k] === undefined) continue;
    check(obj[k]!, sub, k, errs);
  }
  return errs;
}

function check(v: JsonValue, s: Schema, path: string, errs: FieldError[]): void {
  if (!typeOk(v, s)) {
    const type = s[INT_OR_STRING] === true ? 'integer,string' : stringAt(s, 'type');
    const actual = jsonType(v);
    // integers are "numbers" too: the validator names the JSON type it saw
    const shown = actual === 'integer' ? 'number' : actual;
    errs.push(field.typeInvalid(path, shown, `${path} in body must be of type ${type}: ${JSON.stringify(shown)}`));
    return;
  }
  if (Array.isArray(v)) {
    if (isObject(s.items)) v.forEach((x, i) => check(x, s.items as Schema, `${path}[${i}]`, errs));
    return;
  }
  if (!isObject(v)) return;
  for (const r of Array.isArray(s.required) ? s.required : []) {
    if (typeof r === 'string' && (v[r] === undefined || v[r] === null)) errs.push(field.required(`${path}.${r}`));
  }
  const declared = props(s);
  for (const [k, x] of Object.entries(v)) {
    const sub = declared?.[k] ?? (isObject(s.additionalProperties) ? s.additionalProperties : undefined);
    if (isObject(sub)) check(x, sub, `${path}.${k}`, errs);
  }
}
