/**
 * New pods and the in-place update state annotation.
 */
import { fnv1a32, SAFE_ALPHABET } from './hash.js';
import type { PodJson, PodView } from './podview.js';
import type { ResourceLists } from './resources.js';
import {
  Annotations,
  CLONESET_API_VERSION,
  CLONESET_KIND,
  Conditions,
  Labels,
  LifecycleState,
  type InPlaceUpdateState,
  type ObjectMeta,
  type PodSpec,
  type PodTemplateSpec,
} from './types.js';

/** Length of an instance id (as Kruise). */
export const INSTANCE_ID_LENGTH = 5;

/**
 * A 5-character id from the safe alphabet (lowercase consonants and 2456789), derived from `seed` alone.
 * The workflow passes a uuid4() from Temporal's deterministic RNG, so replays give the same id. If the id is in
 * `taken` (ids of existing pods), the next candidate derived from the same seed is used.
 */
export function instanceIdFrom(seed: string, taken: readonly string[] = []): string {
  for (let attempt = 0; ; attempt++) {
    let h = fnv1a32(attempt === 0 ? seed : `${seed}#${attempt}`);
    let id = '';
    // 27^5 ≈ 14.3M < 2^32: five base-27 digits of the hash.
    for (let i = 0; i < INSTANCE_ID_LENGTH; i++) {
      id += SAFE_ALPHABET[h % SAFE_ALPHABET.length];
      h = Math.floor(h / SAFE_ALPHABET.length);
    }
    if (!taken.includes(id)) return id;
  }
}

/** The CloneSet fields a new pod needs. */
export interface PodOwner {
  metadata: Pick<ObjectMeta, 'name' | 'namespace' | 'uid'>;
}

/** A pod to create (plain JSON, ready for the API). */
export interface NewPod {
  apiVersion: 'v1';
  kind: 'Pod';
  metadata: {
    name: string;
    namespace: string;
    labels: Record<string, string>;
    annotations: Record<string, string>;
    finalizers?: string[];
    ownerReferences: {
      apiVersion: string;
      kind: string;
      name: string;
      uid: string;
      controller: true;
      blockOwnerDeletion: true;
    }[];
  };
  spec: PodSpec;
}

/** The hash part of a revision name (`nginxweb1-575497dc6b` → `575497dc6b`), as Kruise's GetShortHash. */
export function shortHash(revision: string): string {
  return revision.split('-').pop() ?? revision;
}

/**
 * Builds the pod Kruise would create: name `${cloneSet}-${instanceId}`; template labels plus the revision,
 * `pod-template-hash`, instance-id and lifecycle labels — lifecycle `PreparingNormal` (moved to Normal once the Pod
 * is bound: `lifecycleAfterCreate` in lifecycle.ts) with its `lifecycle.apps.kruise.io/timestamp`;
 * template annotations and finalizers; a controller ownerReference to the CloneSet; the template spec with the
 * InPlaceUpdateReady readiness gate added. `nowMs` dates the lifecycle state.
 */
export function buildPod(owner: PodOwner, template: PodTemplateSpec, revision: string, instanceId: string, nowMs: number): NewPod {
  const name = owner.metadata.name ?? '';
  const tm = template.metadata ?? {};
  const spec = JSON.parse(JSON.stringify(template.spec)) as PodSpec;
  const gates = spec.readinessGates ?? [];
  if (!gates.some((g) => g.conditionType === Conditions.inPlaceUpdateReady)) {
    spec.readinessGates = [...gates, { conditionType: Conditions.inPlaceUpdateReady }];
  }
  const pod: NewPod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `${name}-${instanceId}`,
      namespace: owner.metadata.namespace ?? 'default',
      labels: {
        ...(tm.labels ?? {}),
        [Labels.revision]: revision,
        [Labels.podTemplateHash]: shortHash(revision),
        [Labels.instanceId]: instanceId,
        [Labels.lifecycleState]: LifecycleState.PreparingNormal,
      },
      annotations: { ...(tm.annotations ?? {}), [Annotations.lifecycleTimestamp]: toRfc3339(nowMs) },
      ownerReferences: [
        {
          apiVersion: CLONESET_API_VERSION,
          kind: CLONESET_KIND,
          name,
          uid: owner.metadata.uid ?? '',
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec,
  };
  if (Array.isArray(tm.finalizers)) pod.metadata.finalizers = [...(tm.finalizers as string[])];
  return pod;
}

/** RFC3339 in UTC with second precision (`2024-05-01T12:00:00Z`), as Kubernetes (and Go's metav1.Time) writes times. */
export function toRfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * The inplace-update-state for a pod about to be patched, in Kruise's shape: the target revision, the time, the
 * current imageIDs of the containers that will change (those with a status; an empty imageID is omitted, as Go's
 * `omitempty`), `updateImages`, and one `containerBatchesRecord` entry naming the changed containers. Containers
 * resized in place (`resized`: their resources before the resize) are recorded with those `resources`, and
 * `updateResources` is set, as Kruise's vertical update records them.
 */
export function buildInPlaceUpdateState(
  pod: Pick<PodView, 'containers'>,
  revision: string,
  images: Record<string, string>,
  nowMs: number,
  resized: Record<string, ResourceLists> = {},
): InPlaceUpdateState {
  const names = [...new Set([...Object.keys(images), ...Object.keys(resized)])].sort();
  const lastContainerStatuses: InPlaceUpdateState['lastContainerStatuses'] = {};
  for (const name of names) {
    const c = pod.containers.find((x) => x.name === name);
    if (!c || c.statusImage === null) continue; // no status yet: Kruise records only containers in containerStatuses
    lastContainerStatuses[name] = c.imageID ? { imageID: c.imageID } : {};
    const before = resized[name];
    if (before) lastContainerStatuses[name].resources = before;
  }
  const at = toRfc3339(nowMs);
  const state: InPlaceUpdateState = { revision, updateTimestamp: at, lastContainerStatuses };
  if (Object.keys(resized).length > 0) state.updateResources = true;
  if (Object.keys(images).length > 0) state.updateImages = true;
  state.containerBatchesRecord = [{ timestamp: at, containers: names }];
  return state;
}

/** Kruise's field order of InPlaceUpdateState (apis/apps/pub/inplace_update.go); unknown keys follow. */
const STATE_KEYS = [
  'revision',
  'updateTimestamp',
  'lastContainerStatuses',
  'updateEnvFromMetadata',
  'updateResources',
  'updateImages',
  'nextContainerImages',
  'nextContainerRefMetadata',
  'nextContainerResources',
  'preCheckBeforeNext',
  'containerBatchesRecord',
] as const;

/**
 * Serializes the state for the `apps.kruise.io/inplace-update-state` annotation as Go's encoding/json would: keys in
 * Kruise's field order, map keys (container names) sorted, absent and false optional fields left out.
 */
export function serializeInPlaceUpdateState(state: InPlaceUpdateState): string {
  const out: Record<string, unknown> = {};
  const sortedMap = (m: Record<string, unknown>) =>
    Object.fromEntries(
      Object.keys(m)
        .sort()
        .map((k) => [k, m[k]]),
    );
  for (const k of STATE_KEYS) {
    const v = state[k];
    if (k === 'revision' || k === 'updateTimestamp') out[k] = v ?? '';
    else if (k === 'lastContainerStatuses') out[k] = sortedMap((v ?? {}) as Record<string, unknown>);
    else if (v !== undefined && v !== null && v !== false && !(Array.isArray(v) && v.length === 0)) out[k] = v;
  }
  for (const k of Object.keys(state)) if (!(STATE_KEYS as readonly string[]).includes(k) && state[k] !== undefined) out[k] = state[k];
  return JSON.stringify(out);
}

/**
 * The Ready condition to write in the same pods/status write as InPlaceUpdateReady=False, so Services drop the Pod
 * at once instead of on the kubelet's next status sync (Kruise's SetPodReadyCondition): Ready=False with the
 * kubelet's reason and message for the readiness gates that are then not True. Null when Ready is not True (there
 * is nothing to take away: the write leaves Ready as it is).
 */
export function readyConditionAfterGateOff(
  pod: Pick<PodJson, 'spec' | 'status'>,
  nowMs: number,
): { type: string; status: 'False'; reason: string; message: string; lastTransitionTime: string } | null {
  const conditions = pod.status?.conditions ?? [];
  if (conditions.find((c) => c.type === Conditions.ready)?.status !== 'True') return null;
  const gates = [...(pod.spec?.readinessGates ?? [])];
  if (!gates.some((g) => g.conditionType === Conditions.inPlaceUpdateReady)) gates.push({ conditionType: Conditions.inPlaceUpdateReady });
  const messages: string[] = [];
  for (const g of gates) {
    const status = g.conditionType === Conditions.inPlaceUpdateReady ? 'False' : conditions.find((c) => c.type === g.conditionType)?.status;
    if (status === undefined) messages.push(`corresponding condition of pod readiness gate "${g.conditionType}" does not exist.`);
    else if (status !== 'True') messages.push(`the status of pod readiness gate "${g.conditionType}" is not "True", but ${status}`);
  }
  return { type: Conditions.ready, status: 'False', reason: 'ReadinessGatesNotReady', message: messages.join(', '), lastTransitionTime: toRfc3339(nowMs) };
}

export { parseInPlaceUpdateState } from './podview.js';
