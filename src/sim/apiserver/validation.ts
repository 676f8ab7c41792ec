/**
 * Field errors and the generic ObjectMeta validation of
 * k8s.io/apimachinery (validation/field, api/validation), with the same
 * wording so messages match what clients see from a real cluster.
 */
import { type JsonValue, isObject } from './json.js';
import type { ObjectMeta } from './meta.js';

/** field.ErrorType as it appears in StatusCause.reason. */
export type FieldErrorType =
  | 'FieldValueRequired'
  | 'FieldValueInvalid'
  | 'FieldValueForbidden'
  | 'FieldValueNotSupported'
  | 'FieldValueDuplicate'
  | 'FieldValueTooLong'
  | 'FieldValueTypeInvalid';

/** One validation failure at a field path (field.Error). */
export interface FieldError {
  type: FieldErrorType;
  field: string;
  /** The message without the field prefix (field.Error.ErrorBody()). */
  detail: string;
}

/** `<field>: <detail>`, as field.Error.Error() prints it. */
export function fieldErrorString(e: FieldError): string {
  return `${e.field}: ${e.detail}`;
}

/** Formats a bad value the way field.Error does (%q for strings). */
function formatValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

/** Constructors mirroring k8s.io/apimachinery/pkg/util/validation/field. */
export const field = {
  required: (path: string, detail = ''): FieldError => ({
    type: 'FieldValueRequired',
    field: path,
    detail: detail ? `Required value: ${detail}` : 'Required value',
  }),
  invalid: (path: string, value: unknown, detail: string): FieldError => ({
    type: 'FieldValueInvalid',
    field: path,
    detail: `Invalid value: ${formatValue(value)}: ${detail}`,
  }),
  /** Invalid with a value already rendered (e.g. Go's `0x0` for an unset uint64). */
  invalidRaw: (path: string, rendered: string, detail: string): FieldError => ({
    type: 'FieldValueInvalid',
    field: path,
    detail: `Invalid value: ${rendered}: ${detail}`,
  }),
  forbidden: (path: string, detail: string): FieldError => ({ type: 'FieldValueForbidden', field: path, detail: `Forbidden: ${detail}` }),
  notSupported: (path: string, value: unknown, supported: readonly string[]): FieldError => ({
    type: 'FieldValueNotSupported',
    field: path,
    detail: `Unsupported value: ${formatValue(value)}: supported values: ${supported.map((s) => JSON.stringify(s)).join(', ')}`,
  }),
  duplicate: (path: string, value: unknown): FieldError => ({ type: 'FieldValueDuplicate', field: path, detail: `Duplicate value: ${formatValue(value)}` }),
  tooLong: (path: string, max: number): FieldError => ({ type: 'FieldValueTooLong', field: path, detail: `Too long: must have at most ${max} bytes` }),
  typeInvalid: (path: string, value: unknown, detail: string): FieldError => ({
    type: 'FieldValueTypeInvalid',
    field: path,
    detail: `Invalid value: ${formatValue(value)}: ${detail}`,
  }),
};

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

const DNS1123_SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const DNS1123_LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const QUALIFIED_NAME_MSG =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const LABEL_VALUE_MSG =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

/** Problems with `v` as a DNS-1123 subdomain (object names); empty when valid. */
export function dns1123SubdomainErrors(v: string): string[] {
  const errs: string[] = [];
  if (v.length > 253) errs.push('must be no more than 253 characters');
  if (!DNS1123_SUBDOMAIN.test(v)) errs.push(DNS1123_SUBDOMAIN_MSG);
  return errs;
}

/** Problems with `v` as a DNS-1123 label (namespaces, container names); empty when valid. */
export function dns1123LabelErrors(v: string): string[] {
  const errs: string[] = [];
  if (v.length > 63) errs.push('must be no more than 63 characters');
  if (!DNS1123_LABEL.test(v)) errs.push(DNS1123_LABEL_MSG);
  return errs;
}

/** Problems with `v` as a qualified name (`[prefix/]name`, label and annotation keys). */
export function qualifiedNameErrors(v: string): string[] {
  const parts = v.split('/');
  let name = v;
  const errs: string[] = [];
  if (parts.length === 2) {
    const [prefix, n] = parts as [string, string];
    name = n;
    if (prefix.length === 0) errs.push('prefix part must be non-empty');
    else errs.push(...dns1123SubdomainErrors(prefix).map((m) => `prefix part ${m}`));
  } else if (parts.length > 2) {
    return [
      "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    ];
  }
  if (name.length === 0) errs.push('name part must be non-empty');
  else if (name.length > 63) errs.push('name part must be no more than 63 characters');
  if (name.length > 0 && !QUALIFIED_NAME_PART.test(name)) errs.push(QUALIFIED_NAME_MSG);
  return errs;
}

/** Problems with `v` as a label value. */
export function labelValueErrors(v: string): string[] {
  const errs: string[] = [];
  if (v.length > 63) errs.push('must be no more than 63 characters');
  if (!LABEL_VALUE.test(v)) errs.push(LABEL_VALUE_MSG);
  return errs;
}

const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;

function validateStringMap(v: JsonValue | undefined, path: string, valueCheck?: (s: string) => string[]): FieldError[] {
  if (v === undefined || v === null) return [];
  if (!isObject(v)) return [field.typeInvalid(path, v, 'must be an object of strings')];
  const errs: FieldError[] = [];
  for (const [k, val] of Object.entries(v)) {
    for (const m of qualifiedNameErrors(k)) errs.push(field.invalid(path, k, m));
    if (typeof val !== 'string') errs.push(field.typeInvalid(`${path}[${k}]`, val, 'must be a string'));
    else if (valueCheck) for (const m of valueCheck(val)) errs.push(field.invalid(path, val, m));
  }
  return errs;
}

/** ValidateObjectMeta for a namespaced object about to be created or updated. */
export function validateObjectMeta(m: ObjectMeta): FieldError[] {
  const errs: FieldError[] = [];
  const name = m.name ?? '';
  if (!name) errs.push(field.required('metadata.name', 'name or generateName is required'));
  else for (const msg of dns1123SubdomainErrors(name)) errs.push(field.invalid('metadata.name', name, msg));
  const ns = m.namespace ?? '';
  if (!ns) errs.push(field.required('metadata.namespace'));
  else for (const msg of dns1123LabelErrors(ns)) errs.push(field.invalid('metadata.namespace', ns, msg));
  errs.push(...validateStringMap(m.labels, 'metadata.labels', labelValueErrors));
  errs.push(...validateStringMap(m.annotations, 'metadata.annotations'));
  if (isObject(m.annotations)) {
    let size = 0;
    for (const [k, v] of Object.entries(m.annotations)) size += k.length + (typeof v === 'string' ? v.length : 0);
    if (size > TOTAL_ANNOTATION_SIZE_LIMIT) errs.push(field.tooLong('metadata.annotations', TOTAL_ANNOTATION_SIZE_LIMIT));
  }
  if (m.finalizers !== undefined) {
    if (!Array.isArray(m.finalizers)) errs.push(field.typeInvalid('metadata.finalizers', m.finalizers, 'must be a list of strings'));
    else
      m.finalizers.forEach((f, i) => {
        if (typeof f !== 'string') errs.push(field.typeInvalid(`metadata.finalizers[${i}]`, f, 'must be a string'));
        else for (const msg of qualifiedNameErrors(f)) errs.push(field.invalid(`metadata.finalizers[${i}]`, f, msg));
      });
  }
  return errs;
}

/**
 * ValidateObjectMetaUpdate: identity fields are immutable and no finalizer may be
 * added once deletion has started. (creationTimestamp and the deletion fields were
 * already carried over from the stored object, as rest.BeforeUpdate does.)
 */
export function validateObjectMetaUpdate(m: ObjectMeta, old: ObjectMeta): FieldError[] {
  const errs = validateObjectMeta(m);
  if (m.uid !== old.uid) errs.push(field.invalid('metadata.uid', m.uid ?? '', 'field is immutable'));
  if (m.deletionTimestamp !== old.deletionTimestamp) errs.push(field.invalid('metadata.deletionTimestamp', m.deletionTimestamp ?? null, 'field is immutable'));
  if (m.deletionGracePeriodSeconds !== old.deletionGracePeriodSeconds) {
    errs.push(field.invalid('metadata.deletionGracePeriodSeconds', m.deletionGracePeriodSeconds ?? null, 'field is immutable'));
  }
  if (old.deletionTimestamp && Array.isArray(m.finalizers)) {
    const before = new Set(old.finalizers ?? []);
    const added = m.finalizers.filter((f) => !before.has(f as string));
    if (added.length > 0) {
      const list = added.map((f) => JSON.stringify(f)).join(', ');
      errs.push(
        field.forbidden('metadata.finalizers', `no new finalizers can be added if the object is being deleted, found new finalizers []string{${list}}`),
      );
    }
  }
  return errs;
}
