/**
 * The resources served besides Pods: core/v1 Events, apps/v1
 * ControllerRevisions and the OpenKruise CloneSet custom resource, plus the
 * autoscaling/v1 Scale view of CloneSets.
 */
import { CLONESET_CRD } from './crd.js';
import { type JsonObject, type JsonValue, isObject, objectAt, stringAt } from './json.js';
import { META_TIME_KEYS, meta, truncateTimes } from './meta.js';
import { OBJECT_META_SMP, pods } from './pods.js';
import { type ResourceDef, type ScaleSpec, defineResource } from './registry.js';
import { validateSchema } from './schema.js';
import { goFormat } from './strategic.js';
import { type FieldError, field } from './validation.js';

const EVENT_TIME_KEYS: ReadonlySet<string> = new Set([...META_TIME_KEYS, 'firstTimestamp', 'lastTimestamp']);

/** core/v1 Event: plain storage (eventTime is a MicroTime and keeps its precision). */
export const events = defineResource({
  group: '',
  version: 'v1',
  resource: 'events',
  kind: 'Event',
  singular: 'event',
  shortNames: ['ev'],
  allowUnconditionalUpdate: true,
  allowCreateOnUpdate: true,
  strategicMerge: { fields: { metadata: OBJECT_META_SMP } },
  fields: {
    'involvedObject.kind': (o) => stringAt(objectAt(o, 'involvedObject'), 'kind'),
    'involvedObject.namespace': (o) => stringAt(objectAt(o, 'involvedObject'), 'namespace'),
    'involvedObject.name': (o) => stringAt(objectAt(o, 'involvedObject'), 'name'),
    'involvedObject.uid': (o) => stringAt(objectAt(o, 'involvedObject'), 'uid'),
    'involvedObject.apiVersion': (o) => stringAt(objectAt(o, 'involvedObject'), 'apiVersion'),
    'involvedObject.resourceVersion': (o) => stringAt(objectAt(o, 'involvedObject'), 'resourceVersion'),
    'involvedObject.fieldPath': (o) => stringAt(objectAt(o, 'involvedObject'), 'fieldPath'),
    reason: (o) => stringAt(o, 'reason'),
    reportingComponent: (o) => stringAt(o, 'reportingComponent'),
    source: (o) => stringAt(objectAt(o, 'source'), 'component'),
    type: (o) => stringAt(o, 'type'),
  },
  strategy: {
    normalize: (o) => truncateTimes(o, EVENT_TIME_KEYS),
    validateCreate: validateEvent,
    validateUpdate: (o) => validateEvent(o),
  },
});

/**
 * The namespace rule of legacyValidateEvent for core/v1 Events without eventTime: the involved object must be
 * in the Event's namespace, and an involved object without namespace (cluster-scoped) is only accepted for
 * Events in "default". Events with eventTime (the events.k8s.io shape) are not checked here.
 */
function validateEvent(ev: JsonObject): FieldError[] {
  if (ev.eventTime !== undefined && ev.eventTime !== null) return [];
  const ns = meta(ev).namespace ?? '';
  const involved = stringAt(objectAt(ev, 'involvedObject'), 'namespace');
  const ok = involved === '' ? ns === '' || ns === 'default' : involved === ns;
  return ok ? [] : [field.invalid('involvedObject.namespace', involved, 'does not match event.namespace')];
}

/** apps/v1 ControllerRevision: `data` is mandatory and immutable, `revision` non-negative. */
export const controllerRevisions = defineResource({
  group: 'apps',
  version: 'v1',
  resource: 'controllerrevisions',
  kind: 'ControllerRevision',
  singular: 'controllerrevision',
  allowUnconditionalUpdate: true,
  // data is a RawExtension: its bytes are kept (and compared, and quoted in errors) as the client sent them
  verbatim: new Set(['data']),
  strategicMerge: { fields: { metadata: OBJECT_META_SMP } },
  strategy: {
    validateCreate: validateRevision,
    validateUpdate(obj, old) {
      const errs = validateRevision(obj);
      if (JSON.stringify(obj.data) !== JSON.stringify(old.data)) errs.push(field.invalidRaw('data', JSON.stringify(obj.data), 'field is immutable'));
      return errs;
    },
  },
});

function validateRevision(o: JsonObject): FieldError[] {
  const errs: FieldError[] = [];
  if (o.data === undefined || o.data === null) errs.push(field.required('data', 'data is mandatory'));
  const rev = o.revision ?? 0;
  if (typeof rev !== 'number' || !Number.isInteger(rev)) errs.push(field.typeInvalid('revision', rev, 'revision in body must be of type integer'));
  else if (rev < 0) errs.push(field.invalid('revision', rev, 'must be greater than or equal to 0'));
  return errs;
}

const CLONESET_SCALE: ScaleSpec = {
  specReplicasPath: ['spec', 'replicas'],
  statusReplicasPath: ['status', 'replicas'],
  labelSelectorPath: ['status', 'labelSelector'],
};

const CLONESET_VERSION = ((CLONESET_CRD.spec as JsonObject).versions as JsonObject[])[0]!;
const CLONESET_SCHEMA = (CLONESET_VERSION.schema as JsonObject).openAPIV3Schema as JsonObject;

/**
 * What the CloneSet CRD's structural schema enforces (types and required
 * fields, with the apiextensions wording), plus the scale subresource's check
 * that spec.replicas reads as an integer, which the real server reports as a
 * second cause. Semantic validation (the Kruise webhook's job) is deliberately
 * left to the rollout engine.
 */
function validateCloneSet(cs: JsonObject): FieldError[] {
  const errs = validateSchema(cs, CLONESET_SCHEMA);
  const path = CLONESET_SCALE.specReplicasPath;
  const replicas = objectAt(cs, path[0]!)?.[path[1]!];
  if (replicas !== undefined && replicas !== null && !(typeof replicas === 'number' && Number.isInteger(replicas))) {
    const dotted = `.${path.join('.')}`;
    errs.push(field.invalidRaw(dotted, '0', `${dotted} accessor error: ${goFormat(replicas)} is of the type ${goTypeName(replicas)}, expected int64`));
  }
  return errs;
}

/** Go's name for the type a JSON value decodes to (interface{} decoding). */
function goTypeName(v: JsonValue): string {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return 'float64';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return '[]interface {}';
  return 'map[string]interface {}';
}

/** apps.kruise.io/v1alpha1 CloneSet, served like a CRD with status and scale subresources. */
export const cloneSets = defineResource({
  group: 'apps.kruise.io',
  version: 'v1alpha1',
  resource: 'clonesets',
  kind: 'CloneSet',
  singular: 'cloneset',
  shortNames: ['clone'],
  categories: ['all'],
  statusSubresource: true,
  scale: CLONESET_SCALE,
  tracksGeneration: true,
  crd: { schema: CLONESET_SCHEMA, printerColumns: (CLONESET_VERSION.additionalPrinterColumns ?? []) as JsonObject[] },
  strategy: {
    validateCreate: validateCloneSet,
    validateUpdate: (obj) => validateCloneSet(obj),
  },
});

/** Every served resource, in discovery order. */
export const RESOURCES: readonly ResourceDef[] = [pods, events, controllerRevisions, cloneSets];

function getPath(o: JsonObject, path: readonly string[]): JsonValue | undefined {
  let cur: JsonValue | undefined = o;
  for (const p of path) cur = isObject(cur) ? cur[p] : undefined;
  return cur;
}

/** Sets a nested member, creating intermediate objects. */
export function setPath(o: JsonObject, path: readonly string[], v: JsonValue): void {
  let cur = o;
  for (const p of path.slice(0, -1)) {
    if (!isObject(cur[p])) cur[p] = {};
    cur = cur[p] as JsonObject;
  }
  cur[path[path.length - 1]!] = v;
}

/** The autoscaling/v1 Scale view of a custom resource (scaleFromCustomResource). */
export function toScale(spec: ScaleSpec, o: JsonObject): JsonObject {
  const m = meta(o);
  const replicas = (p: readonly string[]) => {
    const v = getPath(o, p);
    return typeof v === 'number' ? v : 0;
  };
  const selector = getPath(o, spec.labelSelectorPath);
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name: m.name!, namespace: m.namespace!, uid: m.uid!, resourceVersion: m.resourceVersion!, creationTimestamp: m.creationTimestamp! },
    spec: { replicas: replicas(spec.specReplicasPath) },
    status: { replicas: replicas(spec.statusReplicasPath), ...(typeof selector === 'string' && selector ? { selector } : {}) },
  };
}

/** ValidateScale: replicas must be a non-negative integer. */
export function validateScale(scale: JsonObject): FieldError[] {
  const r = objectAt(scale, 'spec')?.replicas;
  if (r === undefined) return [];
  if (typeof r !== 'number' || !Number.isInteger(r)) return [field.typeInvalid('spec.replicas', r, 'must be an integer')];
  return r < 0 ? [field.invalid('spec.replicas', r, 'must be greater than or equal to 0')] : [];
}
