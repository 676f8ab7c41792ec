/** Public names of the product's Temporal interface. Keep them stable: users script against them. */

/** Default task queue of the rollout worker. */
export const DEFAULT_TASK_QUEUE = 'cloneset-rollouts';

/** Workflow type that rolls one CloneSet to its target revision. */
export const ROLLOUT_WORKFLOW_TYPE = 'rolloutCloneSet';

/** Workflow type that rolls one CloneSet across clusters in waves. */
export const FLEET_WORKFLOW_TYPE = 'rolloutFleet';

/**
 * Default workflow ID of a CloneSet's rollout: at most one runs per CloneSet. `cloneset/<namespace>/<name>` in the
 * cluster `default`, `cloneset/<cluster>/<namespace>/<name>` in another.
 */
export function rolloutWorkflowId(namespace: string, name: string, cluster?: string): string {
  return rolloutWorkflowIdIn(cluster, namespace, name);
}

export { fleetWorkflowId } from './rollout/cluster.js';
import { rolloutWorkflowIdIn } from './rollout/cluster.js';
