/**
 * The generic REST storage (k8s.io/apiserver/pkg/registry/generic/registry):
 * create, get, list, update, patch, and the status/scale/binding subresources,
 * driven by the per-kind strategies of the registry. Deletion lives in
 * delete.ts. Every operation runs synchronously against the Store, so a
 * read-check-write cannot interleave with another request.
 */
import {
  OPTIMISTIC_LOCK_MESSAGE,
  alreadyExists,
  badRequest,
  conflict,
  internalError,
  invalid,
  methodNotSupported,
  notFound,
  successStatus,
  timeout,
  unsupportedMediaType,
} from './errors.js';
import { type JsonObject, type JsonValue, canonical, cloneJson, isObject, jsonEqual, jsonText } from './json.js';
import { type ObjectMeta, generateName, meta, newUid, rfc3339 } from './meta.js';
import { type PatchType, applyJsonPatch, applyMergePatch } from './patch.js';
import { applyBinding } from './pods.js';
import type { ResourceDef } from './registry.js';
import { setPath, toScale, validateScale } from './resources.js';
import { FieldSelector, LabelSelector } from './selectors.js';
import type { Entry, Store } from './store.js';
import { prune } from './schema.js';
import { type SmpSchema, applyStrategicMergePatch } from './strategic.js';
import { field, validateObjectMeta, validateObjectMetaUpdate } from './validation.js';

/** What a request addresses, after routing. */
export interface Scope {
  def: ResourceDef;
  /** Undefined for cluster-wide list/watch. */
  namespace?: string;
  name?: string;
  subresource?: string;
  query: URLSearchParams;
  /** dryRun=All: validate and answer, but store nothing. */
  dryRun: boolean;
  /** Warnings for the response's `Warning` headers (e.g. pruned unknown fields). */
  warnings?: string[];
}

/** A response: status code and JSON body. */
export interface Reply {
  code: number;
  body: string;
}

/** Which part of an object a write may change. */
export type WriteMode = 'main' | 'status' | 'resize';

const GENERATE_NAME_ATTEMPTS = 8;

/** Generic REST operations over the Store; see the module comment. */
export class RestStorage {
  constructor(readonly store: Store) {}

  /** The stored object or a 404. */
  current(scope: Scope): Entry {
    const e = this.store.get(scope.def.storeKey, scope.namespace!, scope.name!);
    if (!e) throw notFound(scope.def.gr, scope.name!);
    return e;
  }

  get(scope: Scope): Reply {
    return { code: 200, body: this.current(scope).json };
  }

  /** List with label/field selectors and limit/continue paging. */
  list(scope: Scope): Reply {
    const { def, query } = scope;
    const labels = LabelSelector.parse(query.get('labelSelector'));
    const fields = FieldSelector.parse(query.get('fieldSelector'), def.fields);
    this.checkNotFromFuture(query.get('resourceVersion'));
    const limit = Math.max(0, Number.parseInt(query.get('limit') ?? '0', 10) || 0);
    const cont = decodeContinue(query.get('continue'));
    const listRv = cont?.rv ?? this.store.resourceVersion;
    const namespace = scope.namespace ?? fields.exact('metadata.namespace');

    const items: string[] = [];
    let last = '';
    let remaining = 0;
    for (const e of this.store.list(def.storeKey, namespace)) {
      const m = meta(e.obj);
      const key = `${m.namespace}/${m.name}`;
      if (cont && key <= cont.start) continue;
      if (!labels.matches(m.labels) || !fields.matches(e.obj)) continue;
      if (limit > 0 && items.length >= limit) remaining++;
      else {
        items.push(e.json);
        last = key;
      }
    }
    const listMeta: JsonObject = { resourceVersion: String(listRv) };
    if (remaining > 0) {
      // like the real server's tokens, the continue token carries the list's resourceVersion
      listMeta.continue = Buffer.from(JSON.stringify({ rv: listRv, start: last })).toString('base64url');
      listMeta.remainingItemCount = remaining;
    }
    return { code: 200, body: listJson(def, listMeta, items) };
  }

  /** A resourceVersion this server has not reached cannot be served (the real one times out waiting). */
  checkNotFromFuture(rv: string | null): void {
    if (!rv || rv === '0') return;
    const n = parseResourceVersion(rv);
    if (n > this.store.resourceVersion) {
      throw timeout(`Too large resource version: ${n}, current: ${this.store.resourceVersion}`, 1, [
        { reason: 'ResourceVersionTooLarge', message: 'Too large resource version' },
      ]);
    }
  }

  /** POST: BeforeCreate, strategy, validation, then store. */
  create(scope: Scope, body: JsonValue): Reply {
    const { def } = scope;
    if (scope.namespace === undefined) throw methodNotSupported(def.gr, 'create');
    const obj = this.decodeTyped(scope, body);
    if (meta(obj).resourceVersion) throw internalError('resourceVersion should not be set on objects to be created');
    return this.createObject(scope, obj);
  }

  private createObject(scope: Scope, obj: JsonObject): Reply {
    const { def } = scope;
    const m = meta(obj);
    for (const k of ['deletionTimestamp', 'deletionGracePeriodSeconds', 'managedFields', 'selfLink', 'resourceVersion']) delete m[k];
    m.uid = newUid();
    m.creationTimestamp = rfc3339();
    if (def.tracksGeneration) m.generation = 1;
    else delete m.generation;
    // status is owned by the status subresource and starts empty (or as the strategy says)
    if (def.statusSubresource) delete obj.status;
    def.strategy.applyDefaults?.(obj);
    def.strategy.prepareForCreate?.(obj);
    def.strategy.normalize?.(obj);
    const generated = !m.name && !!m.generateName;
    if (generated) m.name = generateName(m.generateName!);
    const errs = [...validateObjectMeta(m), ...(def.strategy.validateCreate?.(obj) ?? [])];
    if (errs.length) throw invalid(def.gk, m.name ?? '', errs);

    // names.SimpleNameGenerator collisions are retried, as the real server does
    for (let i = 1; this.store.get(def.storeKey, m.namespace!, m.name!); i++) {
      if (!generated || i >= GENERATE_NAME_ATTEMPTS) throw alreadyExists(def.gr, m.name!);
      m.name = generateName(m.generateName!);
    }
    const candidate = canonical(obj, def.verbatim);
    if (scope.dryRun) return { code: 201, body: JSON.stringify(candidate) };
    return { code: 201, body: this.store.create(def.storeKey, candidate).json };
  }

  /** PUT on the resource (mode main) or its status subresource. */
  update(scope: Scope, body: JsonValue, mode: WriteMode): Reply {
    const obj = this.decodeTyped(scope, body);
    const current = this.store.get(scope.def.storeKey, scope.namespace!, scope.name!);
    if (!current) {
      if (mode === 'main' && scope.def.allowCreateOnUpdate) return this.createObject(scope, obj);
      throw notFound(scope.def.gr, scope.name!);
    }
    return this.applyUpdate(scope, current, obj, mode, false);
  }

  /** PATCH: apply to the stored object, then treat the result as an update body. */
  patch(scope: Scope, type: PatchType | undefined, body: JsonValue, mode: WriteMode): Reply {
    const current = this.current(scope);
    const patched = applyPatch(type, JSON.parse(current.json) as JsonObject, body, scope.def.strategicMerge);
    const obj = this.decode(scope, patched);
    const why = scope.def.strategy.decodeError?.(obj);
    if (why) {
      // the patch handler's conversion error: no kind, no name, the patch (SMP: as a Go map) or the patched object as value
      const value = type === 'strategic' ? goValue(body) : JSON.stringify(patched);
      throw invalid({ group: '', kind: '' }, '', [field.invalid('patch', value, why)]);
    }
    return this.applyUpdate(scope, current, obj, mode, true);
  }

  /** decode, then the conversion to the kind's Go type: a body that does not convert is a 400, as on a real server. */
  private decodeTyped(scope: Scope, body: JsonValue): JsonObject {
    const obj = this.decode(scope, body);
    const why = scope.def.strategy.decodeError?.(obj);
    if (why) throw badRequest(`${scope.def.kind} in version ${JSON.stringify(scope.def.version)} cannot be handled as a ${scope.def.kind}: ${why}`);
    return obj;
  }

  /**
   * The generic update path: optimistic concurrency, strategy PrepareForUpdate
   * (status/spec split), BeforeUpdate's carried-over system fields, generation,
   * validation, then commit.
   */
  private applyUpdate(scope: Scope, current: Entry, obj: JsonObject, mode: WriteMode, fromPatch: boolean): Reply {
    const { def } = scope;
    const old = current.obj;
    const om = meta(old);
    const m = meta(obj);
    if (!m.resourceVersion) {
      if (!fromPatch && !def.allowUnconditionalUpdate) {
        // the only kind here without unconditional updates is the custom resource, whose store names the
        // resource (clonesets.apps.kruise.io) and prints the unset version as 0
        throw invalid({ group: def.group, kind: def.resource }, scope.name!, [
          field.invalidRaw('metadata.resourceVersion', '0', 'must be specified for an update'),
        ]);
      }
      m.resourceVersion = om.resourceVersion!;
    } else if (m.resourceVersion !== om.resourceVersion) {
      throw conflict(def.gr, scope.name!, OPTIMISTIC_LOCK_MESSAGE);
    }

    let next: JsonObject;
    if (mode === 'status' && def.statusWritesMetadata) {
      // podStatusStrategy: the spec (and ownerReferences) stay as stored, the rest of the metadata is taken
      next = obj;
      setOrDelete(next, 'spec', old.spec === undefined ? undefined : cloneJson(old.spec));
      const nm = meta(next);
      carryOverSystemFields(nm, om);
      if (om.ownerReferences === undefined) delete nm.ownerReferences;
      else nm.ownerReferences = cloneJson(om.ownerReferences) as ObjectMeta['ownerReferences'];
      def.strategy.prepareForStatusUpdate?.(next, old);
    } else if (mode === 'status') {
      next = JSON.parse(current.json) as JsonObject;
      setOrDelete(next, 'status', obj.status);
      def.strategy.prepareForStatusUpdate?.(next, old);
    } else if (mode === 'resize') {
      // podResizeStrategy: the decoded body is defaulted, then only container resources and resize policies are kept
      next = obj;
      carryOverSystemFields(meta(next), om);
      def.strategy.applyDefaults?.(next);
      def.strategy.prepareForResize?.(next, old);
      if (def.tracksGeneration && specChanged(old, next)) meta(next).generation = (om.generation ?? 0) + 1;
    } else {
      next = obj;
      if (def.statusSubresource) setOrDelete(next, 'status', old.status === undefined ? undefined : cloneJson(old.status));
      carryOverSystemFields(meta(next), om);
      def.strategy.applyDefaults?.(next);
      if (def.tracksGeneration && specChanged(old, next)) meta(next).generation = (om.generation ?? 0) + 1;
    }
    def.strategy.normalize?.(next);
    const strategyErrs =
      mode === 'status'
        ? def.strategy.validateStatusUpdate?.(next, old)
        : mode === 'resize'
          ? def.strategy.validateResize?.(next, old)
          : def.strategy.validateUpdate?.(next, old);
    const errs = [...validateObjectMetaUpdate(meta(next), om), ...(strategyErrs ?? [])];
    if (errs.length) throw invalid(def.gk, scope.name!, errs);
    return this.commitUpdate(scope, current, next);
  }

  /**
   * Stores `next` unless it equals the stored object (then nothing is written and
   * no event is sent, like etcd's no-op update), or deletes the object when the
   * last finalizer of an object being deleted was removed.
   */
  commitUpdate(scope: Scope, current: Entry, next: JsonObject): Reply {
    const candidate = canonical(next, scope.def.verbatim);
    meta(candidate).resourceVersion = meta(current.obj).resourceVersion!;
    if (JSON.stringify(candidate) === current.json) return { code: 200, body: current.json };
    if (finalizersEmptiedDuringDeletion(meta(candidate), meta(current.obj))) return this.removeNow(scope, current, candidate);
    if (scope.dryRun) return { code: 200, body: JSON.stringify(candidate) };
    return { code: 200, body: this.store.update(scope.def.storeKey, candidate, current).json };
  }

  /** Removes an object now; the answer is the object or a Status, per ReturnDeletedObject. */
  removeNow(scope: Scope, current: Entry, lastState?: JsonObject): Reply {
    const { def } = scope;
    const last = scope.dryRun ? (lastState ? JSON.stringify(lastState) : current.json) : this.store.delete(def.storeKey, current, lastState).json;
    if (def.returnDeletedObject) return { code: 200, body: last };
    const m = meta(current.obj);
    const details = { name: m.name!, ...(def.group ? { group: def.group } : {}), kind: def.resource, uid: m.uid! };
    return { code: 200, body: JSON.stringify(successStatus(details)) };
  }

  /** POST pods/{name}/binding. */
  bind(scope: Scope, body: JsonValue): Reply {
    if (!isObject(body)) throw badRequest('the body of a Binding must be a JSON object');
    const current = this.current(scope);
    const next = JSON.parse(current.json) as JsonObject;
    applyBinding(next, body, scope.name!);
    scope.def.strategy.normalize?.(next);
    const errs = validateObjectMetaUpdate(meta(next), meta(current.obj));
    if (errs.length) throw invalid(scope.def.gk, scope.name!, errs);
    this.commitUpdate(scope, current, next);
    return { code: 201, body: JSON.stringify(successStatus(undefined, 201)) };
  }

  /** GET {resource}/{name}/scale */
  getScale(scope: Scope): Reply {
    return { code: 200, body: JSON.stringify(toScale(scope.def.scale!, this.current(scope).obj)) };
  }

  /** PUT or PATCH {resource}/{name}/scale: only spec.replicas reaches the object. */
  writeScale(scope: Scope, body: JsonValue, isPatch: boolean, patchType?: PatchType): Reply {
    const { def } = scope;
    const current = this.current(scope);
    // Scale is a built-in type, so strategic merge applies to it even for custom resources
    const scale = isPatch ? applyPatch(patchType, toScale(def.scale!, current.obj), body, {}) : body;
    if (!isObject(scale)) throw badRequest('the body of a Scale must be a JSON object');
    const errs = validateScale(scale);
    if (errs.length) throw invalid({ group: 'autoscaling', kind: 'Scale' }, scope.name!, errs);
    const replicas = isObject(scale.spec) ? scale.spec.replicas : undefined;
    if (typeof replicas !== 'number') throw badRequest(`the spec replicas field ".${def.scale!.specReplicasPath.join('.')}" cannot be empty`);
    const rv = isObject(scale.metadata) ? scale.metadata.resourceVersion : undefined;
    if (rv && rv !== meta(current.obj).resourceVersion) throw conflict(def.gr, scope.name!, OPTIMISTIC_LOCK_MESSAGE);
    const next = JSON.parse(current.json) as JsonObject;
    setPath(next, def.scale!.specReplicasPath, replicas);
    const reply = this.applyUpdate(scope, current, next, 'main', true);
    return { code: 200, body: JSON.stringify(toScale(def.scale!, JSON.parse(reply.body) as JsonObject)) };
  }

  /**
   * Decodes a request body into an object of this resource: checks type meta,
   * and that name/namespace agree with the URL (filling them in when absent).
   */
  decode(scope: Scope, body: JsonValue): JsonObject {
    const { def } = scope;
    if (!isObject(body)) throw badRequest(`Object 'Kind' is missing in '${JSON.stringify(body).slice(0, 200)}'`);
    if (body.apiVersion !== undefined && body.apiVersion !== def.apiVersion) {
      throw badRequest(`the API version in the data (${jsonText(body.apiVersion)}) does not match the expected API version (${def.apiVersion})`);
    }
    if (body.kind !== undefined && body.kind !== def.kind)
      throw badRequest(`the kind in the data (${jsonText(body.kind)}) does not match the expected kind (${def.kind})`);
    body.apiVersion = def.apiVersion;
    body.kind = def.kind;
    if (body.metadata === undefined || body.metadata === null) body.metadata = {};
    if (!isObject(body.metadata)) throw badRequest('metadata must be an object');
    const m = meta(body);
    if (m.namespace && scope.namespace !== undefined && m.namespace !== scope.namespace) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    m.namespace = scope.namespace;
    if (scope.name !== undefined) {
      if (m.name && m.name !== scope.name) throw badRequest(`the name of the object (${m.name}) does not match the name on the URL (${scope.name})`);
      m.name = scope.name;
    }
    if (def.crd) this.pruneUnknown(scope, body);
    return body;
  }

  /**
   * Structural pruning of a custom resource: undeclared fields are dropped with a warning, or refused with
   * fieldValidation=Strict (what kubectl sends), as the real decoder does.
   */
  private pruneUnknown(scope: Scope, body: JsonObject): void {
    const { def } = scope;
    const pruned = prune(body, def.crd!.schema);
    if (!pruned.length) return;
    const unknown = pruned.map((p) => `unknown field ${JSON.stringify(p)}`);
    const directive = scope.query.get('fieldValidation') ?? 'Warn';
    if (directive === 'Strict') {
      throw badRequest(
        `${def.kind} in version ${JSON.stringify(def.version)} cannot be handled as a ${def.kind}: strict decoding error: ${unknown.join(', ')}`,
      );
    }
    if (directive !== 'Ignore') (scope.warnings ??= []).push(...unknown);
  }
}

/** Applies a patch of the given type; the result still has to pass the update path. */
function applyPatch(type: PatchType | undefined, doc: JsonObject, body: JsonValue, smp: SmpSchema | undefined): JsonValue {
  // the real list names server-side apply although this server does not implement it (it answers 415 to it)
  const accepted = [
    'application/json-patch+json',
    'application/merge-patch+json',
    ...(smp ? ['application/strategic-merge-patch+json'] : []),
    'application/apply-patch+yaml',
  ];
  switch (type) {
    case 'merge':
      if (!isObject(body)) throw badRequest('merge patch must be a JSON object');
      return applyMergePatch(doc, body);
    case 'json':
      return applyJsonPatch(doc, body);
    case 'strategic':
      // custom resources have no Go types to carry merge keys, so SMP is refused for them
      if (smp) return applyStrategicMergePatch(doc, body, smp);
      throw unsupportedMediaType(accepted);
    default:
      // server-side apply (application/apply-patch+yaml) is not implemented
      throw unsupportedMediaType(accepted);
  }
}

/**
 * A `<Kind>List` body. Items are spliced in as the stored JSON strings, so a
 * list of thousands of objects costs no re-serialization.
 */
export function listJson(def: ResourceDef, listMeta: JsonObject, items: readonly string[]): string {
  const head = JSON.stringify({ kind: def.listKind, apiVersion: def.apiVersion, metadata: listMeta });
  return `${head.slice(0, -1)},"items":[${items.join(',')}]}`;
}

/** rest.BeforeUpdate: fields only the server sets are carried over from the stored object. */
function carryOverSystemFields(m: ObjectMeta, old: ObjectMeta): void {
  m.generation = old.generation;
  if (!m.uid) m.uid = old.uid;
  m.creationTimestamp = old.creationTimestamp;
  if (old.deletionTimestamp) m.deletionTimestamp = old.deletionTimestamp;
  if (old.deletionGracePeriodSeconds !== undefined && m.deletionGracePeriodSeconds === undefined) m.deletionGracePeriodSeconds = old.deletionGracePeriodSeconds;
  delete m.managedFields;
  delete m.selfLink;
}

/** Anything outside metadata and status counts as spec for generation purposes (as for CRDs). */
function specChanged(old: JsonObject, next: JsonObject): boolean {
  const keys = new Set([...Object.keys(old), ...Object.keys(next)]);
  for (const k of keys) {
    if (k === 'metadata' || k === 'status' || k === 'kind' || k === 'apiVersion') continue;
    if (!jsonEqual(old[k], next[k])) return true;
  }
  return false;
}

/** ShouldDeleteDuringUpdate: the last finalizer went away on an object whose grace period is over. */
function finalizersEmptiedDuringDeletion(m: ObjectMeta, old: ObjectMeta): boolean {
  return (
    (m.finalizers ?? []).length === 0 &&
    (old.finalizers ?? []).length > 0 &&
    !!old.deletionTimestamp &&
    (old.deletionGracePeriodSeconds === undefined || old.deletionGracePeriodSeconds === 0)
  );
}

function setOrDelete(o: JsonObject, key: string, v: JsonValue | undefined): void {
  if (v === undefined) delete o[key];
  else o[key] = v;
}

/** Parses a resourceVersion query value; malformed ones are a 400. */
export function parseResourceVersion(rv: string): number {
  if (!/^\d+$/.test(rv)) throw badRequest(`invalid resource version: ${JSON.stringify(rv)}`);
  return Number(rv);
}

function decodeContinue(token: string | null): { rv: number; start: string } | undefined {
  if (!token) return undefined;
  try {
    const v = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as unknown;
    if (isObject(v) && typeof v.rv === 'number' && typeof v.start === 'string') return { rv: v.rv, start: v.start };
  } catch {
    // fall through to the 400 below
  }
  throw badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
}

/** A JSON value as Go's `%+v` prints the map[string]interface{} it decodes to (keys sorted, `<nil>`, `%g` floats). */
export function goValue(v: JsonValue): string {
  if (v === null) return '<nil>';
  if (Array.isArray(v)) return `[${v.map(goValue).join(' ')}]`;
  if (isObject(v)) {
    return `map[${Object.keys(v)
      .sort()
      .map((k) => `${k}:${goValue(v[k]!)}`)
      .join(' ')}]`;
  }
  if (typeof v === 'number') return goFloat(v);
  return String(v);
}

/** strconv.FormatFloat(f, 'g', -1, 64): the shortest digits, as an exponent from 1e+06 on and below 1e-04. */
function goFloat(f: number): string {
  const [mantissa, exp] = f.toExponential().split('e') as [string, string];
  const e = Number(exp);
  if (f === 0 || (e >= -4 && e < 6)) return String(f);
  return `${mantissa}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
}
