/** Public names of the product's Temporal interface. Keep them stable: users script against them. */

/** Default task queue of the rollout worker. */
export const DEFAULT_TASK_QUEUE = 'cloneset-rollouts';

/** Workflow type that rolls one CloneSet to its target revision. */
export const ROLLOUT_WORKFLOW_TYPE = 'rolloutCloneSet';

/** Default workflow ID of a CloneSet's rollout: at most one runs per CloneSet. */
export function rolloutWorkflowId(namespace: string, name: string): string {
  return `cloneset/${namespace}/${name}`;
}
