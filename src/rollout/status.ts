/**
 * CloneSet status from observed pods, as Kruise computes it.
 */
import { resolvePartition } from './intstr.js';
import { isPodActive, isPodAvailable, isPodReady, type PodView } from './podview.js';
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
}

/**
 * Computes status the way Kruise does: replicas = active pods; ready = Running + Ready + InPlaceUpdateReady not
 * False; available = ready for minReadySeconds; updated = revision label equals updateRevision (so UPDATED rises when
 * a pod is patched and UPDATED_READY lags); expectedUpdatedReplicas = replicas − partition; currentRevision becomes
 * updateRevision once updated == replicas == spec.replicas.
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
    const available = isPodAvailable(p, spec.minReadySeconds, nowMs);
    const updated = p.revision === updateRevision;
    if (ready) readyReplicas++;
    if (available) availableReplicas++;
    if (updated) updatedReplicas++;
    if (updated && ready) updatedReadyReplicas++;
    if (updated && available) updatedAvailableReplicas++;
  }
  const replicas = pods.length;
  const complete = updatedReplicas === replicas && replicas === spec.replicas;
  const status: CloneSetStatus = {
    observedGeneration: input.generation,
    replicas,
    readyReplicas,
    availableReplicas,
    updatedReplicas,
    updatedReadyReplicas,
    updatedAvailableReplicas,
    expectedUpdatedReplicas: spec.replicas - resolvePartition(spec.updateStrategy.partition, spec.replicas),
    updateRevision,
    currentRevision: complete ? updateRevision : input.currentRevision,
    labelSelector: selectorString(spec.selector),
  };
  if (input.conditions) status.conditions = input.conditions.map((c) => ({ ...c }));
  return status;
}
