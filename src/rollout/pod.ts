/**
 * New pods and the in-place update state annotation.
 */
import { fnv1a32, SAFE_ALPHABET } from './hash.js';
import type { PodView } from './podview.js';
import {
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

/**
 * Builds the pod Kruise would create: name `${cloneSet}-${instanceId}`; template labels plus the revision,
 * instance-id and lifecycle (Normal) labels; template annotations and finalizers; a controller ownerReference to
 * the CloneSet; the template spec with the InPlaceUpdateReady readiness gate added.
 */
export function buildPod(owner: PodOwner, template: PodTemplateSpec, revision: string, instanceId: string): NewPod {
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
        [Labels.instanceId]: instanceId,
        [Labels.lifecycleState]: LifecycleState.Normal,
      },
      annotations: { ...(tm.annotations ?? {}) },
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

/** RFC3339 in UTC with second precision (`2024-05-01T12:00:00Z`), as Kubernetes writes times. */
export function toRfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * The inplace-update-state for a pod about to be patched: the target revision, the time, and the current imageIDs
 * of the containers that will change (only those), so completion can be detected.
 */
export function buildInPlaceUpdateState(pod: Pick<PodView, 'containers'>, revision: string, images: Record<string, string>, nowMs: number): InPlaceUpdateState {
  const lastContainerStatuses: Record<string, { imageID: string }> = {};
  for (const name of Object.keys(images).sort()) {
    const c = pod.containers.find((x) => x.name === name);
    lastContainerStatuses[name] = { imageID: c?.imageID ?? '' };
  }
  return { revision, updateTimestamp: toRfc3339(nowMs), lastContainerStatuses };
}

/** Serializes the state for the `apps.kruise.io/inplace-update-state` annotation (stable key order). */
export function serializeInPlaceUpdateState(state: InPlaceUpdateState): string {
  const { revision, updateTimestamp, lastContainerStatuses, ...rest } = state;
  return JSON.stringify({ revision, updateTimestamp, lastContainerStatuses, ...rest });
}

export { parseInPlaceUpdateState } from './podview.js';
