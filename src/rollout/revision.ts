/**
 * Revision names: what goes into a pod's `controller-revision-hash` label.
 *
 * Like Kruise, a revision is `${cloneSetName}-${hash}` and depends only on the pod template. Our hash is FNV-1a 32
 * over the template's canonical JSON (sorted keys), written in decimal and mapped to Kubernetes' safe alphabet.
 * Kruise hashes its ControllerRevision bytes instead, so the two never collide by accident; what matters is that
 * ours is stable across processes and key order, which the pinned values in the tests guard.
 */
import { canonicalJson, fnv1a32, safeEncode } from './hash.js';
import type { PodTemplateSpec } from './types.js';

/** Stable short hash of a pod template, e.g. `"7c9b5d8f47"` (safe alphabet, up to 10 chars). */
export function revisionHash(template: PodTemplateSpec): string {
  return safeEncode(String(fnv1a32(canonicalJson(template))));
}

/** The revision label value for a template: `${cloneSetName}-${revisionHash(template)}`. */
export function revisionName(cloneSetName: string, template: PodTemplateSpec): string {
  return `${cloneSetName}-${revisionHash(template)}`;
}
