/**
 * JSON merge patch (RFC 7386) and JSON patch (RFC 6902). Strategic merge patch
 * lives in strategic.ts. Patches are applied to a private copy of the stored
 * object; the result then goes through the ordinary update path.
 */
import { badRequest, ApiError } from './errors.js';
import { type JsonObject, type JsonValue, cloneJson, isObject, jsonEqual } from './json.js';

/** The patch flavours, keyed by the Content-Type that selects them. */
export const PATCH_CONTENT_TYPES = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/apply-patch+yaml': 'apply',
} as const;

/** One of json | merge | strategic | apply. */
export type PatchType = (typeof PATCH_CONTENT_TYPES)[keyof typeof PATCH_CONTENT_TYPES];

/** The patch type for a Content-Type header (parameters such as charset ignored), if it is one. */
export function patchTypeOf(contentType: string | undefined): PatchType | undefined {
  const base = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  return (PATCH_CONTENT_TYPES as Record<string, PatchType>)[base];
}

/** RFC 7386: objects merge recursively, `null` deletes, anything else replaces. */
export function applyMergePatch(target: JsonValue | undefined, patch: JsonValue): JsonValue {
  if (!isObject(patch)) return patch;
  const out: JsonObject = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = applyMergePatch(out[k], v);
  }
  return out;
}

/**
 * The 422 the real server answers when a JSON patch does not apply
 * (NewGenericServerResponse(422, ...)); the operation-level reason is kept as a cause
 * so failures are debuggable.
 */
function patchNotApplicable(why: string): ApiError {
  return new ApiError(422, 'Invalid', 'the server rejected our request due to an error in our request', {
    causes: [{ reason: 'FieldValueInvalid', message: why }],
  });
}

interface Operation {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  path: string;
  from?: string;
  value?: JsonValue;
}

function decodeOperations(body: JsonValue): Operation[] {
  if (!Array.isArray(body)) throw badRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  return body.map((raw, i) => {
    if (!isObject(raw)) throw badRequest(`json: cannot unmarshal ${typeof raw} into Go value of type jsonpatch.Operation`);
    const op = raw.op;
    if (op !== 'add' && op !== 'remove' && op !== 'replace' && op !== 'move' && op !== 'copy' && op !== 'test') {
      throw badRequest(`Unexpected kind: ${typeof op === 'string' ? op : 'unknown'}`);
    }
    if (typeof raw.path !== 'string') throw badRequest(`operation ${i}: missing path`);
    if ((op === 'move' || op === 'copy') && typeof raw.from !== 'string') throw badRequest(`operation ${i}: missing from`);
    if ((op === 'add' || op === 'replace' || op === 'test') && !Object.hasOwn(raw, 'value')) throw badRequest(`operation ${i}: missing value`);
    return { op, path: raw.path, ...(typeof raw.from === 'string' ? { from: raw.from } : {}), ...(Object.hasOwn(raw, 'value') ? { value: raw.value! } : {}) };
  });
}

function parsePointer(p: string): string[] {
  if (p === '') return [];
  if (!p.startsWith('/')) throw patchNotApplicable(`JSON pointer must be empty or start with a "/": ${p}`);
  return p
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function arrayIndex(token: string, length: number, allowEnd: boolean, path: string): number {
  if (allowEnd && token === '-') return length;
  if (!/^(0|[1-9]\d*)$/.test(token)) throw patchNotApplicable(`invalid array index ${JSON.stringify(token)} in ${path}`);
  const i = Number(token);
  if (i > length || (!allowEnd && i === length)) throw patchNotApplicable(`index out of bounds in ${path}: ${i}`);
  return i;
}

/** Resolves everything but the last token of `path`; the container must exist. */
function parentOf(doc: JsonValue, tokens: string[], op: string, path: string): JsonObject | JsonValue[] {
  let cur: JsonValue = doc;
  for (const t of tokens.slice(0, -1)) {
    const next: JsonValue | undefined = Array.isArray(cur) ? cur[arrayIndex(t, cur.length, false, path)] : isObject(cur) ? cur[t] : undefined;
    if (next === undefined || next === null || typeof next !== 'object') {
      throw patchNotApplicable(`${op} operation does not apply: doc is missing path: ${JSON.stringify(path)}: missing value`);
    }
    cur = next;
  }
  if (cur === null || typeof cur !== 'object')
    throw patchNotApplicable(`${op} operation does not apply: doc is missing path: ${JSON.stringify(path)}: missing value`);
  return cur;
}

function getAt(doc: JsonValue, path: string, op: string): JsonValue {
  const tokens = parsePointer(path);
  if (tokens.length === 0) return doc;
  const parent = parentOf(doc, tokens, op, path);
  const last = tokens[tokens.length - 1]!;
  const v = Array.isArray(parent) ? parent[arrayIndex(last, parent.length, false, path)] : parent[last];
  if (v === undefined) throw patchNotApplicable(`${op} operation does not apply: doc is missing path: ${JSON.stringify(path)}: missing value`);
  return v;
}

/** Returns the new document (only a root replacement swaps it). */
function addAt(doc: JsonValue, path: string, value: JsonValue, op: string, mustExist: boolean): JsonValue {
  const tokens = parsePointer(path);
  if (tokens.length === 0) return value;
  const parent = parentOf(doc, tokens, op, path);
  const last = tokens[tokens.length - 1]!;
  if (Array.isArray(parent)) {
    if (mustExist) parent[arrayIndex(last, parent.length, false, path)] = value;
    else parent.splice(arrayIndex(last, parent.length, true, path), 0, value);
  } else {
    if (mustExist && !Object.hasOwn(parent, last)) {
      throw patchNotApplicable(`${op} operation does not apply: doc is missing key: ${path}: missing value`);
    }
    parent[last] = value;
  }
  return doc;
}

function removeAt(doc: JsonValue, path: string, op: string): JsonValue {
  const tokens = parsePointer(path);
  if (tokens.length === 0) throw patchNotApplicable(`${op} operation does not apply: cannot remove the root`);
  const parent = parentOf(doc, tokens, op, path);
  const last = tokens[tokens.length - 1]!;
  if (Array.isArray(parent)) {
    parent.splice(arrayIndex(last, parent.length, false, path), 1);
  } else {
    if (!Object.hasOwn(parent, last)) throw patchNotApplicable(`${op} operation does not apply: doc is missing path: ${JSON.stringify(path)}: missing value`);
    delete parent[last];
  }
  return doc;
}

/**
 * RFC 6902 on a copy of `doc`. A malformed patch document is a 400; an operation
 * that cannot apply (missing path, failed `test`) is a 422, as on the real server.
 */
export function applyJsonPatch(doc: JsonValue, body: JsonValue): JsonValue {
  const ops = decodeOperations(body);
  let out = cloneJson(doc);
  for (const o of ops) {
    switch (o.op) {
      case 'add':
        out = addAt(out, o.path, cloneJson(o.value!), 'add', false);
        break;
      case 'replace':
        out = addAt(out, o.path, cloneJson(o.value!), 'replace', true);
        break;
      case 'remove':
        out = removeAt(out, o.path, 'remove');
        break;
      case 'move': {
        if (o.path.startsWith(`${o.from!}/`)) throw patchNotApplicable(`move operation does not apply: "from" ${o.from!} is a prefix of "path" ${o.path}`);
        const v = getAt(out, o.from!, 'move');
        out = removeAt(out, o.from!, 'move');
        out = addAt(out, o.path, v, 'move', false);
        break;
      }
      case 'copy':
        out = addAt(out, o.path, cloneJson(getAt(out, o.from!, 'copy')), 'copy', false);
        break;
      case 'test': {
        let actual: JsonValue | undefined;
        try {
          actual = getAt(out, o.path, 'test');
        } catch {
          actual = undefined;
        }
        if (!jsonEqual(actual, o.value!)) throw patchNotApplicable(`testing value ${o.path} failed: test failed`);
        break;
      }
    }
  }
  return out;
}
