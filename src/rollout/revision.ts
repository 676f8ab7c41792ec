/**
 * Revisions: what goes into a Pod's `controller-revision-hash` label, and the ControllerRevision that records it.
 *
 * Names are OpenKruise's, byte for byte, so a CloneSet moves between Kruise and cloneset-rollout without a Pod
 * changing revision (docs/kruise-compatibility.md):
 * - the ControllerRevision data is Kruise's layout, `{"spec":{"template":{"$patch":"replace", ...template}}}`, over
 *   the template with the defaults Kruise's webhook writes (src/rollout/pod-defaults.ts), encoded as Go encodes it
 *   (src/rollout/go-json.ts) — {@link revisionData};
 * - the hash is Kubernetes' HashControllerRevision: FNV-1 32 (Go's `fnv.New32`, not 1a) over those bytes followed by
 *   the CloneSet's collisionCount in decimal (Kruise always passes one, 0 by default), written in decimal and mapped
 *   to the safe alphabet (SafeEncodeString) — {@link revisionHash};
 * - the name is `${cloneSetName}-${hash}`, the CloneSet name cut to 223 characters (ControllerRevisionName).
 *
 * A template that already has a ControllerRevision keeps that revision's name, whatever hashed it: the update
 * revision is found by content first ({@link chooseUpdateRevision}). So Pods labelled by Kruise, and Pods labelled by
 * an older cloneset-rollout (which hashed its own canonical JSON with FNV-1a), are up to date when their template
 * is, and nothing moves just because the hash function changed.
 */
import { fnv1_32, safeEncode } from './hash.js';
import { goJson, goTyped } from './go-json.js';
import { sameTemplate } from './inplace.js';
import { defaultPodTemplate } from './pod-defaults.js';
import type { PodTemplateSpec } from './types.js';

/** Label Kubernetes' history helpers put on a ControllerRevision: its hash (Kruise reads it in EqualRevision). */
export const REVISION_HASH_LABEL = 'controller.kubernetes.io/hash';

/** Longest CloneSet name prefix of a revision name (ControllerRevisionName). */
const MAX_PREFIX = 223;

/** Kruise's ControllerRevision data for a template: the exact bytes its controller stores and hashes. */
export function revisionData(template: PodTemplateSpec): string {
  const typed = goTyped(defaultPodTemplate(template), 'PodTemplateSpec') as Record<string, unknown>;
  return goJson({ spec: { template: { $patch: 'replace', ...typed } } });
}

/** Kruise's revision hash of a template, e.g. `"575497dc6b"` (safe alphabet, up to 10 characters). */
export function revisionHash(template: PodTemplateSpec, collisionCount = 0): string {
  return safeEncode(String(fnv1_32(revisionData(template) + String(collisionCount))));
}

/** The revision name Kruise gives a template: `${cloneSetName}-${revisionHash(template, collisionCount)}`. */
export function revisionName(cloneSetName: string, template: PodTemplateSpec, collisionCount = 0): string {
  return `${cloneSetName.slice(0, MAX_PREFIX)}-${revisionHash(template, collisionCount)}`;
}

/** The hash part of a revision name (after the last `-`), as Kruise's GetShortHash reads it. */
export function shortHash(revision: string): string {
  return revision.slice(revision.lastIndexOf('-') + 1);
}

/**
 * The pod template a ControllerRevision's data records — Kruise's layout (`$patch: replace` in the template, dropped
 * here) or the one older cloneset-rollout versions wrote (`{spec: {template}}`). Null when it records none.
 */
export function templateOfRevision(data: unknown): PodTemplateSpec | null {
  const template = (data as { spec?: { template?: unknown } } | null | undefined)?.spec?.template;
  if (template === null || typeof template !== 'object' || Array.isArray(template)) return null;
  const { $patch: _patch, ...rest } = template as Record<string, unknown>;
  return rest as unknown as PodTemplateSpec;
}

/** What {@link chooseUpdateRevision} needs of a ControllerRevision. */
export interface KnownRevision {
  name: string;
  revision: number;
  template: PodTemplateSpec | null;
}

/** Result of {@link chooseUpdateRevision}. */
export interface UpdateRevisionChoice {
  /** The update revision's name. */
  name: string;
  /** A ControllerRevision of that name exists and records this template (else it is to be created). */
  existing: boolean;
  /** The collision count the name was made with (> the CloneSet's when a name was taken by another template). */
  collisionCount: number;
}

/**
 * The update revision of a CloneSet template among its ControllerRevisions:
 * 1. the newest (highest-numbered) revision whose template is semantically the same (defaults applied to both
 *    sides: src/rollout/inplace.ts sameTemplate) — whoever named it (Kruise, an older cloneset-rollout, or us);
 * 2. else Kruise's name for the template; a name already taken by another template (a hash collision) takes the
 *    next collision count, as Kruise's CreateControllerRevision does.
 */
export function chooseUpdateRevision(
  cloneSetName: string,
  template: PodTemplateSpec,
  revisions: readonly KnownRevision[],
  collisionCount = 0,
): UpdateRevisionChoice {
  const equal = revisions
    .filter((r) => r.template !== null && sameTemplate(r.template, template))
    .sort((a, b) => a.revision - b.revision || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const newest = equal.at(-1);
  if (newest) return { name: newest.name, existing: true, collisionCount };
  const taken = new Set(revisions.map((r) => r.name));
  let count = collisionCount;
  let name = revisionName(cloneSetName, template, count);
  while (taken.has(name)) name = revisionName(cloneSetName, template, ++count);
  return { name, existing: false, collisionCount: count };
}

/** `status.collisionCount` of a CloneSet (Kruise's, as it counts name collisions), 0 when absent or not a count. */
export function collisionCountOf(cs: { status?: unknown }): number {
  const v = (cs.status as { collisionCount?: unknown } | null | undefined)?.collisionCount;
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : 0;
}

/**
 * The ControllerRevision data Kruise's controller computes from a CloneSet whose template is stored as `template`:
 * Kruise's layout over the template as stored — its controller applies no defaults (its webhook does, on writes).
 * Equal to {@link revisionData} exactly when the stored template already holds Kruise's defaults.
 */
export function storedRevisionData(template: PodTemplateSpec): string {
  const typed = goTyped(template, 'PodTemplateSpec') as Record<string, unknown>;
  return goJson({ spec: { template: { $patch: 'replace', ...typed } } });
}

/**
 * The template as Kruise's webhook would store it: the defaults written out, in Go's encoding (what a revision's
 * data records). Storing it makes {@link storedRevisionData} equal {@link revisionData}, so Kruise's controller, given
 * the CloneSet back, computes the bytes of our ControllerRevision and re-uses it instead of making its own.
 */
export function kruiseStoredTemplate(template: PodTemplateSpec): PodTemplateSpec {
  return templateOfRevision(JSON.parse(revisionData(template))) as PodTemplateSpec;
}
