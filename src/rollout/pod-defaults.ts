/**
 * The Kubernetes Pod defaults OpenKruise's CloneSet webhook writes into `spec.template` — exactly those of
 * `SetDefaultPodSpec` in Kruise v1.9.1 (apis/apps/defaults/pod.go), which calls these core/v1 defaulters of
 * Kubernetes v1.32 (pkg/apis/core/v1/defaults.go) one by one:
 *
 * - pod spec (`SetDefaults_PodSpec`): dnsPolicy ClusterFirst, restartPolicy Always, securityContext {},
 *   terminationGracePeriodSeconds 30, schedulerName default-scheduler;
 * - containers: imagePullPolicy Always when empty (Kruise's own rule, for in-place updates — not the tag rule), then
 *   `SetDefaults_Container`: terminationMessagePath /dev/termination-log, terminationMessagePolicy File;
 * - init containers: `SetDefaults_Container` with the tag rule: Always for `:latest` or no tag (and no digest),
 *   IfNotPresent otherwise (a digest without a tag is IfNotPresent);
 * - containers, init containers and ephemeral containers: ports' protocol TCP; env valueFrom.fieldRef.apiVersion v1;
 *   liveness / readiness / startup probes: timeoutSeconds 1, periodSeconds 10, successThreshold 1,
 *   failureThreshold 3, and httpGet path `/` and scheme HTTP; lifecycle postStart / preStop httpGet path and scheme;
 * - volumes: no source → emptyDir {}; hostPath type "" ; secret, configMap, downwardAPI, projected defaultMode 420
 *   (0644); downwardAPI (and projected downwardAPI) items' fieldRef apiVersion v1; projected serviceAccountToken
 *   expirationSeconds 3600.
 *
 * Zero values are "unset" as in Go (`timeoutSeconds: 0` gets 1). Not covered: the rounding of resource quantities up
 * to milli-units (`SetDefaults_ResourceList`: `0.0001` → `1m`; values are kept as written), image volumes'
 * pullPolicy (behind the ImageVolume feature gate, off by default) and volumeClaimTemplates. Kruise applies nothing
 * else to the template (the grpc probe's service, a Pod's enableServiceLinks and the like are Pod defaults, written
 * by the apiserver into Pods, never into the CloneSet).
 *
 * Pure: a deep copy in, defaulted; the input is never modified.
 */
import type { PodTemplateSpec } from './types.js';

type Obj = Record<string, unknown>;

const isObject = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const objects = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isObject) : []);
/** Go's "unset": absent, null, or the zero value. */
const unset = (v: unknown): boolean => v === undefined || v === null || v === '' || v === 0;

function setIfUnset(o: Obj, key: string, value: unknown): void {
  if (unset(o[key])) o[key] = value;
}

/**
 * The tag of an image reference as Kubernetes' ParseImageName reads it: "latest" when it has neither a tag nor a
 * digest, "" when it has a digest only.
 */
export function imageTag(image: string): string {
  const at = image.indexOf('@');
  const name = at >= 0 ? image.slice(0, at) : image;
  const colon = name.lastIndexOf(':');
  const tag = colon > name.lastIndexOf('/') ? name.slice(colon + 1) : '';
  if (tag === '' && at < 0) return 'latest';
  return tag;
}

/** imagePullPolicy as `SetDefaults_Container` defaults it: Always for the tag latest, else IfNotPresent. */
export function defaultPullPolicy(image: string): 'Always' | 'IfNotPresent' {
  return imageTag(image) === 'latest' ? 'Always' : 'IfNotPresent';
}

function defaultHttpGet(h: unknown): void {
  if (!isObject(h)) return;
  setIfUnset(h, 'path', '/');
  setIfUnset(h, 'scheme', 'HTTP');
}

function defaultProbe(p: unknown): void {
  if (!isObject(p)) return;
  setIfUnset(p, 'timeoutSeconds', 1);
  setIfUnset(p, 'periodSeconds', 10);
  setIfUnset(p, 'successThreshold', 1);
  setIfUnset(p, 'failureThreshold', 3);
  defaultHttpGet(p.httpGet);
}

function defaultFieldRef(f: unknown): void {
  if (isObject(f)) setIfUnset(f, 'apiVersion', 'v1');
}

/** What every kind of container gets: ports, env fieldRefs, probes, lifecycle httpGets. */
function defaultContainerCommon(c: Obj): void {
  for (const p of objects(c.ports)) setIfUnset(p, 'protocol', 'TCP');
  for (const e of objects(c.env)) if (isObject(e.valueFrom)) defaultFieldRef(e.valueFrom.fieldRef);
  defaultProbe(c.livenessProbe);
  defaultProbe(c.readinessProbe);
  defaultProbe(c.startupProbe);
  if (isObject(c.lifecycle)) {
    for (const hook of [c.lifecycle.postStart, c.lifecycle.preStop]) if (isObject(hook)) defaultHttpGet(hook.httpGet);
  }
}

/** `SetDefaults_Container`: pull policy by tag, termination message path and policy. */
function defaultContainer(c: Obj): void {
  setIfUnset(c, 'imagePullPolicy', defaultPullPolicy(typeof c.image === 'string' ? c.image : ''));
  setIfUnset(c, 'terminationMessagePath', '/dev/termination-log');
  setIfUnset(c, 'terminationMessagePolicy', 'File');
}

const VOLUME_SOURCES_WITH_MODE = ['secret', 'configMap', 'downwardAPI', 'projected'] as const;

function defaultVolume(v: Obj): void {
  // ptr.AllPtrFieldsNil(&VolumeSource): every field but the name is a volume source (image included).
  if (!Object.keys(v).some((k) => k !== 'name' && v[k] !== null && v[k] !== undefined)) v.emptyDir = {};
  if (isObject(v.hostPath) && (v.hostPath.type === undefined || v.hostPath.type === null)) v.hostPath.type = '';
  for (const key of VOLUME_SOURCES_WITH_MODE) {
    const s = v[key];
    if (isObject(s) && (s.defaultMode === undefined || s.defaultMode === null)) s.defaultMode = 420;
  }
  if (isObject(v.downwardAPI)) for (const item of objects(v.downwardAPI.items)) defaultFieldRef(item.fieldRef);
  if (isObject(v.projected)) {
    for (const src of objects(v.projected.sources)) {
      if (isObject(src.downwardAPI)) for (const item of objects(src.downwardAPI.items)) defaultFieldRef(item.fieldRef);
      const token = src.serviceAccountToken;
      if (isObject(token) && (token.expirationSeconds === undefined || token.expirationSeconds === null)) token.expirationSeconds = 3600;
    }
  }
}

/** A pod spec with Kruise's defaults (modified in place). */
function defaultPodSpec(spec: Obj): void {
  setIfUnset(spec, 'dnsPolicy', 'ClusterFirst');
  setIfUnset(spec, 'restartPolicy', 'Always');
  if (spec.securityContext === undefined || spec.securityContext === null) spec.securityContext = {};
  if (spec.terminationGracePeriodSeconds === undefined || spec.terminationGracePeriodSeconds === null) spec.terminationGracePeriodSeconds = 30;
  setIfUnset(spec, 'schedulerName', 'default-scheduler');
  for (const v of objects(spec.volumes)) defaultVolume(v);
  for (const c of objects(spec.initContainers)) {
    defaultContainer(c);
    defaultContainerCommon(c);
  }
  for (const c of objects(spec.containers)) {
    setIfUnset(c, 'imagePullPolicy', 'Always'); // Kruise: for in-place update, Always by default
    defaultContainer(c);
    defaultContainerCommon(c);
  }
  for (const c of objects(spec.ephemeralContainers)) defaultContainerCommon(c);
}

/** The template with the defaults Kruise's webhook writes (a copy; idempotent). */
export function defaultPodTemplate(template: PodTemplateSpec): PodTemplateSpec {
  const copy = JSON.parse(JSON.stringify(template ?? {})) as PodTemplateSpec;
  if (!isObject(copy.spec)) (copy as unknown as Obj).spec = {};
  defaultPodSpec(copy.spec as unknown as Obj);
  return copy;
}
