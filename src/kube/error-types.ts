/**
 * Error types the activities raise non-retryably. Kept free of imports so the workflow sandbox can list them in
 * retry policies.
 */
export const NonRetryable = {
  /** The CloneSet does not exist (or was deleted mid-rollout). */
  CloneSetNotFound: 'CloneSetNotFound',
  /** The CloneSet spec or the rollout input is invalid; the message names every offending field. */
  InvalidSpec: 'InvalidSpec',
  /** InPlaceOnly was asked for a change that can't be applied in place; the message names the field. */
  InPlaceNotPossible: 'InPlaceNotPossible',
  /** The Pod being worked on was deleted or replaced (uid changed) by someone else. */
  PodGone: 'PodGone',
  /** The API server rejected a write as invalid (422): retrying the same write cannot succeed. */
  Rejected: 'Rejected',
  /**
   * The API server refused the call (403): the worker's identity lacks a permission (its RBAC). Retrying cannot help
   * until someone grants it; the message names the verb and the resource.
   */
  Forbidden: 'Forbidden',
} as const;
export type NonRetryableType = (typeof NonRetryable)[keyof typeof NonRetryable];
