/**
 * core/v1 Pods: defaulting, create/update validation (spec immutability),
 * status handling, graceful deletion and the binding subresource, following
 * pkg/registry/core/pod and pkg/apis/core/validation.
 */
import { conflict, badRequest, invalid } from './errors.js';
import { type JsonObject, type JsonValue, arrayAt, cloneJson, isObject, jsonEqual, jsonText, numberAt, objectAt, stringAt } from './json.js';
import { META_TIME_KEYS, meta, rfc3339, truncateTimes } from './meta.js';
import { podSpecDiff } from './godiff.js';
import { QUANTITY_FORMAT_ERROR, canonicalizeResourceList, decodesAsQuantity, quantityNanos } from './quantity.js';
import { defineResource } from './registry.js';
import type { SmpSchema } from './strategic.js';
import { type FieldError, dns1123LabelErrors, field } from './validation.js';

const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'] as const;

/** The fields a Pod update may change, in the wording of the real Forbidden message. */
const UPDATABLE_SPEC_FIELDS = [
  '`spec.containers[*].image`',
  '`spec.initContainers[*].image`',
  '`spec.activeDeadlineSeconds`',
  '`spec.tolerations` (only additions to existing tolerations)',
  '`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
].join(',');

/** metav1.Time members within a Pod, truncated to seconds on write. */
const POD_TIME_KEYS: ReadonlySet<string> = new Set([...META_TIME_KEYS, 'startTime', 'lastProbeTime', 'lastTransitionTime', 'startedAt', 'finishedAt']);

const CONTAINER_SMP: SmpSchema = {
  fields: {
    env: { mergeKey: 'name' },
    ports: { mergeKey: 'containerPort' },
    volumeMounts: { mergeKey: 'mountPath' },
    volumeDevices: { mergeKey: 'devicePath' },
    resizePolicy: { mergeKey: 'resourceName' },
  },
};

/** Strategic-merge tags of the Pod type (patchStrategy/patchMergeKey). */
export const OBJECT_META_SMP: SmpSchema = {
  fields: { finalizers: { set: true }, ownerReferences: { mergeKey: 'uid' } },
};

const POD_SMP: SmpSchema = {
  fields: {
    metadata: OBJECT_META_SMP,
    spec: {
      fields: {
        containers: { mergeKey: 'name', items: CONTAINER_SMP },
        initContainers: { mergeKey: 'name', items: CONTAINER_SMP },
        ephemeralContainers: { mergeKey: 'name', items: CONTAINER_SMP },
        volumes: { mergeKey: 'name' },
        imagePullSecrets: { mergeKey: 'name' },
        hostAliases: { mergeKey: 'ip' },
        topologySpreadConstraints: { mergeKey: 'topologyKey' },
        resourceClaims: { mergeKey: 'name' },
        schedulingGates: { mergeKey: 'name' },
      },
    },
    // containerStatuses carry no patch strategy: they are replaced whole
    status: {
      fields: { conditions: { mergeKey: 'type' }, podIPs: { mergeKey: 'ip' }, hostIPs: { mergeKey: 'ip' }, resourceClaimStatuses: { mergeKey: 'name' } },
    },
  },
};

function containerLists(spec: JsonObject | undefined): [string, JsonObject[]][] {
  return (['initContainers', 'containers'] as const).map((k) => [k, arrayAt(spec, k).filter(isObject)]);
}

/** Image pull policy default: Always for `:latest` or untagged images, else IfNotPresent. */
function defaultPullPolicy(image: string): string {
  const noDigest = image.split('@')[0]!;
  const colon = noDigest.lastIndexOf(':');
  const tag = colon > noDigest.lastIndexOf('/') ? noDigest.slice(colon + 1) : image.includes('@') ? '' : 'latest';
  return tag === 'latest' ? 'Always' : 'IfNotPresent';
}

function applyPodDefaults(pod: JsonObject): void {
  const spec = objectAt(pod, 'spec');
  if (!spec) return;
  spec.restartPolicy ??= 'Always';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.schedulerName ??= 'default-scheduler';
  spec.securityContext ??= {};
  spec.enableServiceLinks ??= true;
  for (const [, list] of containerLists(spec)) {
    for (const c of list) {
      c.imagePullPolicy ??= defaultPullPolicy(stringAt(c, 'image'));
      c.terminationMessagePath ??= '/dev/termination-log';
      c.terminationMessagePolicy ??= 'File';
      const resources = (c.resources = objectAt(c, 'resources') ?? {});
      // quantities are re-encoded in canonical form ("0.5" -> "500m") by the real decoder
      canonicalizeResourceList(objectAt(resources, 'requests'));
      canonicalizeResourceList(objectAt(resources, 'limits'));
      const limits = objectAt(resources, 'limits');
      if (limits) {
        // requests default to limits for resources that only set a limit
        const requests = (resources.requests = objectAt(resources, 'requests') ?? {});
        for (const [r, q] of Object.entries(limits)) requests[r] ??= q;
      }
      for (const p of arrayAt(c, 'ports')) if (isObject(p)) p.protocol ??= 'TCP';
    }
  }
}

const NOT_READY_TAINT = 'node.kubernetes.io/not-ready';
const UNREACHABLE_TAINT = 'node.kubernetes.io/unreachable';
/** The priorities of the built-in PriorityClasses; other class names are not modelled. */
const SYSTEM_PRIORITIES: Readonly<Record<string, number>> = { 'system-node-critical': 2000001000, 'system-cluster-critical': 2000000000 };

/**
 * What the admission plugins every real cluster runs add to a new Pod: DefaultTolerationSeconds (tolerate
 * not-ready/unreachable nodes for 300 s unless the Pod already tolerates them) and Priority (priority from the
 * PriorityClass, 0 without one, and its preemption policy).
 */
function admitPod(pod: JsonObject): void {
  const spec = objectAt(pod, 'spec');
  if (!spec) return;
  const tolerations = arrayAt(spec, 'tolerations').filter(isObject);
  const tolerates = (key: string) => tolerations.some((t) => (t.key === key || !t.key) && (t.effect === 'NoExecute' || !t.effect));
  const added = [NOT_READY_TAINT, UNREACHABLE_TAINT]
    .filter((key) => !tolerates(key))
    .map((key) => ({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }));
  if (added.length) spec.tolerations = [...arrayAt(spec, 'tolerations'), ...added];
  const className = stringAt(spec, 'priorityClassName');
  if (!className) spec.priority ??= 0;
  else if (SYSTEM_PRIORITIES[className] !== undefined) spec.priority ??= SYSTEM_PRIORITIES[className]!;
  if (spec.priority !== undefined) spec.preemptionPolicy ??= 'PreemptLowerPriority';
}

/**
 * The zero values the real server's Go types always encode: a condition's `lastProbeTime` and
 * `lastTransitionTime` (metav1.Time, null when unset) and a container status's `state`, `lastState`, `ready`,
 * `restartCount`, `image` and `imageID`; empty optional strings (`reason: ""`) and nulls are dropped.
 */
function encodeStatusZeroValues(status: JsonObject | undefined): void {
  if (!status) return;
  const conditions = status.conditions;
  if (Array.isArray(conditions)) {
    status.conditions = conditions.map((c) => {
      if (!isObject(c)) return c;
      const out: JsonObject = {};
      for (const [k, v] of Object.entries(c)) {
        if (k === 'lastProbeTime' || k === 'lastTransitionTime') out[k] = v;
        else if (v !== null && v !== '') out[k] = v;
      }
      out.lastProbeTime ??= null;
      out.lastTransitionTime ??= null;
      return out;
    });
  }
  for (const key of ['containerStatuses', 'initContainerStatuses', 'ephemeralContainerStatuses']) {
    for (const cs of arrayAt(status, key)) {
      if (!isObject(cs)) continue;
      cs.name ??= '';
      cs.state ??= {};
      cs.lastState ??= {};
      cs.ready ??= false;
      cs.restartCount ??= 0;
      cs.image ??= '';
      cs.imageID ??= '';
    }
  }
}

/** qos.GetPodQOS over cpu/memory requests and limits. */
function qosClass(spec: JsonObject | undefined): string {
  let any = false;
  let guaranteed = true;
  for (const [, list] of containerLists(spec)) {
    for (const c of list) {
      const requests = objectAt(objectAt(c, 'resources'), 'requests') ?? {};
      const limits = objectAt(objectAt(c, 'resources'), 'limits') ?? {};
      for (const r of ['cpu', 'memory']) {
        if (requests[r] !== undefined || limits[r] !== undefined) any = true;
        if (limits[r] === undefined || (requests[r] !== undefined && requests[r] !== limits[r])) guaranteed = false;
      }
    }
  }
  return !any ? 'BestEffort' : guaranteed ? 'Guaranteed' : 'Burstable';
}

function validateContainers(spec: JsonObject): FieldError[] {
  const errs: FieldError[] = [];
  if (arrayAt(spec, 'containers').length === 0) errs.push(field.required('spec.containers'));
  const names = new Set<string>();
  for (const [key, list] of containerLists(spec)) {
    list.forEach((c, i) => {
      const path = `spec.${key}[${i}]`;
      const name = stringAt(c, 'name');
      if (!name) errs.push(field.required(`${path}.name`));
      else {
        for (const m of dns1123LabelErrors(name)) errs.push(field.invalid(`${path}.name`, name, m));
        if (names.has(name)) errs.push(field.duplicate(`${path}.name`, name));
        names.add(name);
      }
      if (!stringAt(c, 'image').trim()) errs.push(field.required(`${path}.image`));
      errs.push(...validateResourceRequirements(objectAt(c, 'resources'), `${path}.resources`));
    });
  }
  return errs;
}

/** ValidateContainerResourceRequirements for cpu, memory and other overcommittable resources: non-negative, requests ≤ limits. */
function validateResourceRequirements(resources: JsonObject | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const limits = objectAt(resources, 'limits') ?? {};
  const requests = objectAt(resources, 'requests') ?? {};
  const negative = (q: JsonValue | undefined) => (quantityNanos(q) ?? 0n) < 0n;
  for (const r of Object.keys(limits).sort()) {
    if (negative(limits[r])) errs.push(field.invalid(`${path}.limits[${r}]`, limits[r], 'must be greater than or equal to 0'));
  }
  for (const r of Object.keys(requests).sort()) {
    const q = requests[r];
    if (negative(q)) errs.push(field.invalid(`${path}.requests[${r}]`, q, 'must be greater than or equal to 0'));
    const limit = limits[r];
    if (limit !== undefined && (quantityNanos(q) ?? 0n) > (quantityNanos(limit) ?? 0n)) {
      errs.push(field.invalid(`${path}.requests`, q, `must be less than or equal to ${r} limit of ${jsonText(limit)}`));
    }
  }
  return errs;
}

/** Resource lists of a Pod that the real decoder parses as quantities. */
function resourceLists(pod: JsonObject): [string, JsonObject][] {
  const out: [string, JsonObject][] = [];
  const add = (path: string, v: JsonObject | undefined) => v && out.push([path, v]);
  for (const [key, list] of containerLists(objectAt(pod, 'spec'))) {
    list.forEach((c, i) => {
      const r = objectAt(c, 'resources');
      add(`spec.${key}[${i}].resources.limits`, objectAt(r, 'limits'));
      add(`spec.${key}[${i}].resources.requests`, objectAt(r, 'requests'));
    });
  }
  const status = objectAt(pod, 'status');
  for (const key of ['containerStatuses', 'initContainerStatuses']) {
    arrayAt(status, key).forEach((cs, i) => {
      if (!isObject(cs)) return;
      const r = objectAt(cs, 'resources');
      add(`status.${key}[${i}].resources.limits`, objectAt(r, 'limits'));
      add(`status.${key}[${i}].resources.requests`, objectAt(r, 'requests'));
      add(`status.${key}[${i}].allocatedResources`, objectAt(cs, 'allocatedResources'));
    });
  }
  return out;
}

/** A malformed quantity makes the whole body undecodable (resource.Quantity's UnmarshalJSON). */
function podDecodeError(pod: JsonObject): string | undefined {
  for (const [, list] of resourceLists(pod)) if (Object.values(list).some((q) => !decodesAsQuantity(q))) return QUANTITY_FORMAT_ERROR;
  return undefined;
}

function validatePodCreate(pod: JsonObject): FieldError[] {
  const spec = objectAt(pod, 'spec');
  if (!spec) return [field.required('spec')];
  const errs = validateContainers(spec);
  const rp = spec.restartPolicy;
  if (rp !== undefined && !RESTART_POLICIES.includes(rp as (typeof RESTART_POLICIES)[number])) {
    errs.push(field.notSupported('spec.restartPolicy', rp, RESTART_POLICIES));
  }
  const ads = spec.activeDeadlineSeconds;
  if (ads !== undefined && (typeof ads !== 'number' || !Number.isInteger(ads) || ads < 1 || ads > 2 ** 31 - 1)) {
    errs.push(field.invalid('spec.activeDeadlineSeconds', ads, 'must be between 1 and 2147483647, inclusive'));
  }
  return errs;
}

function validateTolerationsOnlyAdded(next: JsonValue[], old: JsonValue[]): FieldError[] {
  // an existing toleration may only have its tolerationSeconds changed
  const withoutSeconds = (t: JsonValue): JsonValue => (isObject(t) ? { ...t, tolerationSeconds: null } : t);
  for (const o of old) {
    if (!next.some((n) => jsonEqual(withoutSeconds(n), withoutSeconds(o)))) {
      return [field.forbidden('spec.tolerations', 'existing toleration can not be modified except its tolerationSeconds')];
    }
  }
  return [];
}

/** ValidatePodUpdate: the spec is immutable apart from a few fields. */
function validatePodUpdate(pod: JsonObject, old: JsonObject): FieldError[] {
  const spec = objectAt(pod, 'spec') ?? {};
  const oldSpec = objectAt(old, 'spec') ?? {};
  const errs: FieldError[] = [];
  for (const key of ['containers', 'initContainers']) {
    const next = arrayAt(spec, key);
    if (next.length !== arrayAt(oldSpec, key).length) {
      return [field.forbidden(`spec.${key}`, 'pod updates may not add or remove containers')];
    }
    next.forEach((c, i) => {
      if (!isObject(c) || !stringAt(c, 'image').trim()) errs.push(field.required(`spec.${key}[${i}].image`));
    });
  }
  const ads = numberAt(spec, 'activeDeadlineSeconds');
  const oldAds = numberAt(oldSpec, 'activeDeadlineSeconds');
  if (ads !== undefined) {
    if (ads < 0 || ads > 2 ** 31 - 1) return [...errs, field.invalid('spec.activeDeadlineSeconds', ads, 'must be between 0 and 2147483647, inclusive')];
    if (oldAds !== undefined && oldAds < ads)
      return [...errs, field.invalid('spec.activeDeadlineSeconds', ads, 'must be less than or equal to previous value')];
  } else if (oldAds !== undefined) {
    errs.push(field.invalid('spec.activeDeadlineSeconds', null, 'must not update from a positive integer to nil value'));
  }
  errs.push(...validateTolerationsOnlyAdded(arrayAt(spec, 'tolerations'), arrayAt(oldSpec, 'tolerations')));
  if (jsonEqual(spec, oldSpec)) return errs;

  // neutralize the updatable fields, then anything still different is forbidden
  const munged = cloneJson(spec);
  for (const key of ['containers', 'initContainers']) {
    const oldList = arrayAt(oldSpec, key);
    arrayAt(munged, key).forEach((c, i) => {
      const o = oldList[i];
      if (isObject(c) && isObject(o)) c.image = o.image ?? null;
    });
  }
  setOrDelete(munged, 'activeDeadlineSeconds', oldSpec.activeDeadlineSeconds);
  setOrDelete(munged, 'tolerations', oldSpec.tolerations);
  const oldGrace = numberAt(oldSpec, 'terminationGracePeriodSeconds');
  if (oldGrace !== undefined && oldGrace < 0 && munged.terminationGracePeriodSeconds === 1) munged.terminationGracePeriodSeconds = oldGrace;
  if (!jsonEqual(munged, oldSpec)) {
    // like the real message, it ends with a unified diff of the Go structs (see godiff.ts for the approximation)
    errs.push(field.forbidden('spec', `pod updates may not change fields other than ${UPDATABLE_SPEC_FIELDS}\n${podSpecDiff(oldSpec, munged)}`));
  }
  return errs;
}

/**
 * podResizeStrategy.PrepareForUpdate (dropNonResizeUpdates): of the decoded, defaulted body only each container's
 * `resources` and `resizePolicy` are taken, onto the stored spec; status, labels, annotations, finalizers and owner
 * references stay as stored. Containers added, removed, renamed or reordered leave the body as it is, for validation
 * to refuse.
 */
function prepareForResize(pod: JsonObject, old: JsonObject): void {
  const spec = objectAt(pod, 'spec') ?? {};
  const oldSpec = objectAt(old, 'spec') ?? {};
  const merged: Record<string, JsonValue[]> = {};
  for (const key of ['containers', 'initContainers']) {
    const next = arrayAt(spec, key);
    const prev = arrayAt(oldSpec, key);
    if (next.length !== prev.length) return;
    if (next.length === 0) continue;
    if (next.some((c, i) => stringAt(isObject(c) ? c : undefined, 'name') !== stringAt(prev[i] as JsonObject, 'name'))) {
      merged[key] = next;
      continue;
    }
    merged[key] = prev.map((o, i) => {
      const c = cloneJson(o) as JsonObject;
      const n = next[i] as JsonObject;
      setOrDelete(c, 'resources', n.resources);
      setOrDelete(c, 'resizePolicy', n.resizePolicy);
      return c;
    });
  }
  pod.spec = { ...cloneJson(oldSpec), ...merged };
  setOrDelete(pod, 'status', old.status === undefined ? undefined : cloneJson(old.status));
  // metav1.ResetObjectMetaForStatus
  const m = meta(pod);
  const om = meta(old);
  for (const k of ['labels', 'annotations', 'finalizers', 'ownerReferences'] as const) {
    if (om[k] === undefined) delete m[k];
    else (m as Record<string, unknown>)[k] = cloneJson(om[k]);
  }
}

/** A resource list with empty lists and absent ones alike (Go's semantic equality of nil and empty maps). */
function resourceList(resources: JsonObject | undefined, key: string): JsonObject | undefined {
  const list = objectAt(resources, key);
  return list && Object.keys(list).length > 0 ? list : undefined;
}

/** Whether `next` lacks a resource that `prev` names (resourcesRemoved). */
function resourcesRemoved(next: JsonObject | undefined, prev: JsonObject | undefined): boolean {
  return Object.keys(prev ?? {}).some((r) => next?.[r] === undefined);
}

/** The container with its cpu and memory put back as they were (dropCPUMemoryResourcesFromContainer). */
function withoutCpuMemoryChanges(c: JsonObject, old: JsonObject): JsonValue {
  const munge = (key: string): JsonObject | undefined => {
    const prev = resourceList(objectAt(old, 'resources'), key);
    if (!prev) return undefined;
    const out: JsonObject = { ...(objectAt(objectAt(c, 'resources'), key) ?? {}) };
    for (const r of ['cpu', 'memory']) {
      if (prev[r] !== undefined) out[r] = prev[r];
      else delete out[r];
    }
    return Object.keys(out).length ? out : undefined;
  };
  const resources: JsonObject = {};
  const limits = munge('limits');
  const requests = munge('requests');
  if (limits) resources.limits = limits;
  if (requests) resources.requests = requests;
  return { ...c, resources };
}

/** The container as compared for "only cpu and memory resources are mutable": empty resource lists dropped. */
function comparable(c: JsonValue | undefined): JsonValue | undefined {
  if (!isObject(c)) return c;
  const r = objectAt(c, 'resources') ?? {};
  const resources: JsonObject = {};
  for (const key of ['limits', 'requests', 'claims']) {
    const v = r[key];
    if (v !== undefined && v !== null && !(isObject(v) && Object.keys(v).length === 0) && !(Array.isArray(v) && v.length === 0)) resources[key] = v;
  }
  return { ...c, resources };
}

/**
 * kubelet on the Pod's node reports resources of running containers (isPodResizeRequestSupported): the first running
 * container status decides; without one the node is assumed to support resize.
 */
function resizeSupported(old: JsonObject): boolean {
  for (const cs of arrayAt(objectAt(old, 'status'), 'containerStatuses')) {
    if (isObject(cs) && objectAt(objectAt(cs, 'state'), 'running')) return cs.resources !== undefined && cs.resources !== null;
  }
  return true;
}

/** ValidatePodResize as of v1.37 (memory limits may go down; containers may not be added, removed or reordered). */
function validatePodResize(pod: JsonObject, old: JsonObject): FieldError[] {
  const spec = objectAt(pod, 'spec') ?? {};
  const oldSpec = objectAt(old, 'spec') ?? {};
  const errs = validateContainers(spec);
  for (const key of ['containers', 'initContainers']) {
    const next = arrayAt(spec, key);
    const prev = arrayAt(oldSpec, key);
    if (next.length !== prev.length) errs.push(field.forbidden(`spec.${key}`, 'containers may not be added or removed on resize'));
    else {
      next.forEach((c, i) => {
        if (stringAt(isObject(c) ? c : undefined, 'name') !== stringAt(prev[i] as JsonObject, 'name')) {
          errs.push(field.forbidden(`spec.${key}[${i}].name`, 'containers may not be renamed or reordered on resize'));
        }
      });
    }
  }
  if (errs.length) return errs;

  const oldQos = stringAt(objectAt(old, 'status'), 'qosClass') || qosClass(oldSpec);
  if (oldQos !== qosClass(spec)) errs.push(field.invalid('spec', oldQos, 'Pod QOS Class may not change as a result of resizing'));
  if (!resizeSupported(old)) errs.push(field.forbidden('spec', 'Pod running on node without support for resize'));
  const containers = arrayAt(spec, 'containers').filter(isObject);
  const oldContainers = arrayAt(oldSpec, 'containers').filter(isObject);
  containers.forEach((c, i) => {
    const path = `spec.containers[${i}].resources`;
    const [r, o] = [objectAt(c, 'resources'), objectAt(oldContainers[i], 'resources')];
    if (resourcesRemoved(resourceList(r, 'requests'), resourceList(o, 'requests')))
      errs.push(field.forbidden(`${path}.requests`, 'resource requests cannot be removed'));
    if (resourcesRemoved(resourceList(r, 'limits'), resourceList(o, 'limits')))
      errs.push(field.forbidden(`${path}.limits`, 'resource limits cannot be removed'));
  });
  containers.forEach((c, i) => {
    if (!jsonEqual(comparable(withoutCpuMemoryChanges(c, oldContainers[i]!)), comparable(oldContainers[i]))) {
      errs.push(field.forbidden('spec', 'only cpu and memory resources are mutable'));
    }
  });
  // non-sidecar init containers keep their resources
  const inits = arrayAt(spec, 'initContainers');
  const oldInits = arrayAt(oldSpec, 'initContainers');
  inits.forEach((c, i) => {
    if (!jsonEqual(comparable(c), comparable(oldInits[i]))) errs.push(field.forbidden('spec', 'resources for non-sidecar init containers are immutable'));
  });
  return errs;
}

/**
 * preserveOldObservedGeneration: a status write that leaves out (or zeroes) status.observedGeneration or a condition's
 * observedGeneration keeps the stored value (conditions matched by type, in order).
 */
function preserveObservedGeneration(status: JsonObject, oldStatus: JsonObject | undefined): void {
  if (!status.observedGeneration) setOrDelete(status, 'observedGeneration', oldStatus?.observedGeneration);
  const old = new Map<string, JsonValue[]>();
  for (const c of arrayAt(oldStatus, 'conditions')) {
    if (isObject(c)) old.set(stringAt(c, 'type'), [...(old.get(stringAt(c, 'type')) ?? []), c.observedGeneration ?? 0]);
  }
  for (const c of arrayAt(status, 'conditions')) {
    if (!isObject(c)) continue;
    const gens = old.get(stringAt(c, 'type')) ?? [];
    const kept = gens.shift();
    if (!c.observedGeneration) setOrDelete(c, 'observedGeneration', kept ? kept : undefined);
  }
}

function validatePodStatusUpdate(pod: JsonObject): FieldError[] {
  const status = objectAt(pod, 'status');
  const errs: FieldError[] = [];
  const nonNegative = (v: JsonValue | undefined, path: string) => {
    if (typeof v === 'number' && v < 0) errs.push(field.invalid(path, v, 'must be a non-negative integer'));
  };
  nonNegative(status?.observedGeneration, 'status.observedGeneration');
  arrayAt(status, 'conditions').forEach((c, i) => isObject(c) && nonNegative(c.observedGeneration, `status.conditions[${i}].observedGeneration`));
  return errs;
}

function setOrDelete(o: JsonObject, key: string, v: JsonValue | undefined): void {
  if (v === undefined) delete o[key];
  else o[key] = v;
}

/** The Pod resource definition. */
export const pods = defineResource({
  group: '',
  version: 'v1',
  resource: 'pods',
  kind: 'Pod',
  singular: 'pod',
  shortNames: ['po'],
  categories: ['all'],
  statusSubresource: true,
  // podStatusStrategy keeps only the spec and ownerReferences: labels and annotations sent to pods/status apply
  statusWritesMetadata: true,
  binding: true,
  resize: true,
  tracksGeneration: true,
  // podStrategy.AllowUnconditionalUpdate is true: PUT without resourceVersion overwrites
  allowUnconditionalUpdate: true,
  returnDeletedObject: true,
  strategicMerge: POD_SMP,
  fields: {
    'spec.nodeName': (o) => stringAt(objectAt(o, 'spec'), 'nodeName'),
    'spec.restartPolicy': (o) => stringAt(objectAt(o, 'spec'), 'restartPolicy'),
    'spec.schedulerName': (o) => stringAt(objectAt(o, 'spec'), 'schedulerName'),
    'spec.serviceAccountName': (o) => stringAt(objectAt(o, 'spec'), 'serviceAccountName'),
    'spec.hostNetwork': (o) => String(objectAt(o, 'spec')?.hostNetwork === true),
    'status.phase': (o) => stringAt(objectAt(o, 'status'), 'phase'),
    'status.podIP': (o) => stringAt(objectAt(o, 'status'), 'podIP'),
    'status.nominatedNodeName': (o) => stringAt(objectAt(o, 'status'), 'nominatedNodeName'),
  },
  strategy: {
    applyDefaults: applyPodDefaults,
    prepareForCreate(pod) {
      admitPod(pod);
      pod.status = { phase: 'Pending', qosClass: qosClass(objectAt(pod, 'spec')) };
    },
    prepareForStatusUpdate(pod, old) {
      // the QoS class is fixed at creation; old kubelets dropped it, so it is backfilled
      const status = (pod.status = objectAt(pod, 'status') ?? {});
      const oldQos = objectAt(old, 'status')?.qosClass;
      if (!status.qosClass && oldQos) status.qosClass = oldQos;
      preserveObservedGeneration(status, objectAt(old, 'status'));
    },
    normalize(pod) {
      encodeStatusZeroValues(objectAt(pod, 'status'));
      truncateTimes(pod.status, POD_TIME_KEYS);
      // the kubelet's containerStatuses[].resources and allocatedResources are quantities too
      for (const [path, list] of resourceLists(pod)) if (path.startsWith('status.')) canonicalizeResourceList(list);
    },
    decodeError: podDecodeError,
    validateCreate: validatePodCreate,
    validateUpdate: validatePodUpdate,
    validateStatusUpdate: validatePodStatusUpdate,
    prepareForResize,
    validateResize: validatePodResize,
    gracePeriod(pod, requested) {
      // CheckGracefulDelete: unscheduled or terminated pods go at once; negative means 1
      let period = requested ?? numberAt(objectAt(pod, 'spec'), 'terminationGracePeriodSeconds') ?? 0;
      if (!stringAt(objectAt(pod, 'spec'), 'nodeName')) period = 0;
      const phase = stringAt(objectAt(pod, 'status'), 'phase');
      if (phase === 'Succeeded' || phase === 'Failed') period = 0;
      return period < 0 ? 1 : period;
    },
  },
});

const BINDING_GR = { group: '', resource: 'pods/binding' };

/**
 * Applies a Binding (POST pods/{name}/binding) to a mutable copy of the pod,
 * as the scheduler's bind does: sets spec.nodeName, merges the binding's
 * annotations and records PodScheduled=True. Throws the real errors for
 * invalid bindings and for pods already bound or being deleted.
 */
export function applyBinding(pod: JsonObject, binding: JsonObject, urlName: string): void {
  const bm = isObject(binding.metadata) ? binding.metadata : {};
  const bindingName = stringAt(bm, 'name');
  if (bindingName && bindingName !== urlName) throw badRequest('name in URL does not match name in Binding object');
  const target = objectAt(binding, 'target') ?? {};
  const errs: FieldError[] = [];
  const targetKind = stringAt(target, 'kind');
  if (targetKind && targetKind !== 'Node') errs.push(field.notSupported('target.kind', targetKind, ['Node', '<empty>']));
  const node = stringAt(target, 'name');
  if (!node) errs.push(field.required('target.name'));
  if (errs.length) throw invalid({ group: '', kind: 'Binding' }, bindingName || urlName, errs);

  const m = meta(pod);
  if (m.deletionTimestamp) throw conflict(BINDING_GR, urlName, `pod ${urlName} is being deleted, cannot be assigned to a host`);
  const spec = objectAt(pod, 'spec') ?? {};
  const current = stringAt(spec, 'nodeName');
  if (current) throw conflict(BINDING_GR, urlName, `pod ${urlName} is already assigned to node ${JSON.stringify(current)}`);
  spec.nodeName = node;
  const extra = objectAt(bm, 'annotations');
  if (extra) m.annotations = { ...(m.annotations ?? {}), ...(extra as Record<string, string>) };

  const status = (pod.status = objectAt(pod, 'status') ?? {});
  const conditions = arrayAt(status, 'conditions').filter(isObject);
  const scheduled = conditions.find((c) => c.type === 'PodScheduled');
  if (!scheduled) conditions.push({ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: rfc3339() });
  else if (scheduled.status !== 'True') Object.assign(scheduled, { status: 'True', lastTransitionTime: rfc3339(), reason: null, message: null });
  status.conditions = conditions.map(dropNulls);
}

function dropNulls(o: JsonObject): JsonObject {
  // metav1.Time null is how the real server prints an unset lastProbeTime; other nulls are unset
  return Object.fromEntries(Object.entries(o).filter(([k, v]) => v !== null || k === 'lastProbeTime'));
}
