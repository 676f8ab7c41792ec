/**
 * CloneSet status from observed pods, as Kruise computes it.
 */
import { resolvePartition } from './intstr.js';
import { isLifecycleNormal, isPodActive, isPodAvailable, isPodReady, type PodView } from './podview.js';
import { selectorString } from './selector.js';
import type { CloneSetCondition, CloneSetStatus, NormalizedCloneSetSpec } from './types.js';

/** Input of {@link computeStatus}. */
export interface StatusInput {
  /** Every pod the CloneSet owns, as observed (terminating and finished pods are not counted). */
  pods: readonly PodView[];
  spec: NormalizedCloneSetSpec;
  updateRevision: string;
  /** The status' previous currentRevision. */
  currentRevision: string;
  /** metadata.generation of the CloneSet the status describes. */
  generation: number;
  /** Epoch ms, for minReadySeconds. */
  nowMs: number;
  /** Conditions to carry over unchanged. */
  conditions?: CloneSetCondition[];
  /** The status' previous collisionCount (kept; revision naming owns it). Default 0. */
  collisionCount?: number;
}

/**
 * Computes status the way Kruise does: replicas = active pods; ready = Running + Ready + InPlaceUpdateReady not
 * False; available = ready for minReadySeconds with lifecycle Normal (or none: a Pod PreparingNormal, Updating,
 * Updated... is not available, Kruise's IsPodAvailable); updated = revision label equals updateRevision (so UPDATED
 * rises when a pod is patched and UPDATED_READY lags); expectedUpdatedReplicas = replicas − partition;
 * currentRevision becomes updateRevision once updated == replicas == spec.replicas; labelSelector = the selector as a
 * string (the scale subresource's labelSelectorPath, what an HPA reads); collisionCount carried over (0 when never
 * set). Fields Kruise tags `omitempty` (updatedAvailableReplicas, expectedUpdatedReplicas) are left out when 0.
 */
export function computeStatus(input: StatusInput): CloneSetStatus {
  const { spec, updateRevision, nowMs } = input;
  const pods = input.pods.filter(isPodActive);
  let readyReplicas = 0;
  let availableReplicas = 0;
  let updatedReplicas = 0;
  let updatedReadyReplicas = 0;
  let updatedAvailableReplicas = 0;
  for (const p of pods) {
    const ready = isPodReady(p);
    const available = isLifecycleNormal(p) && isPodAvailable(p, spec.minReadySeconds, nowMs);
    const updated = p.revision === updateRevision;
    if (ready) readyReplicas++;
    if (available) availableReplicas++;
    if (updated) updatedReplicas++;
    if (updated && ready) updatedReadyReplicas++;
    if (updated && available) updatedAvailableReplicas++;
  }
  const replicas = pods.length;
  const complete = updatedReplicas === replicas && replicas === spec.replicas;
  const expectedUpdatedReplicas = spec.replicas - resolvePartition(spec.updateStrategy.partition, spec.replicas);
  const status: CloneSetStatus = {
    observedGeneration: input.generation,
    replicas,
    readyReplicas,
    availableReplicas,
    updatedReplicas,
    updatedReadyReplicas,
    ...(updatedAvailableReplicas !== 0 ? { updatedAvailableReplicas } : {}),
    ...(expectedUpdatedReplicas !== 0 ? { expectedUpdatedReplicas } : {}),
    updateRevision,
    currentRevision: complete ? updateRevision : input.currentRevision,
    collisionCount: input.collisionCount ?? 0,
    labelSelector: selectorString(spec.selector),
  };
  if (input.conditions) status.conditions = input.conditions.map((c) => ({ ...c }));
  return status;
}

/** Status fields that are left out when 0: a merge patch must name them (null) to drop a value written before. */
const OMITTED_WHEN_ZERO = ['updatedAvailableReplicas', 'expectedUpdatedReplicas'] as const;

/**
 * The body of a JSON merge patch on the status subresource that makes `current` equal `next`: `next` plus a null for
 * every field `next` leaves out (Kruise's omitempty fields at 0) that `current` still carries.
 */
export function statusMergePatch(current: Partial<CloneSetStatus> | undefined, next: CloneSetStatus): Record<string, unknown> {
  const body: Record<string, unknown> = { ...next };
  for (const k of OMITTED_WHEN_ZERO) if (next[k] === undefined && current?.[k] !== undefined) body[k] = null;
  return body;
}
