/**
 * Cluster names and the rollout workflow ID per cluster (pure). The single-cluster rollout is the cluster named
 * `default`, whose rollouts keep the ID `cloneset/<namespace>/<name>`; another cluster's are
 * `cloneset/<cluster>/<namespace>/<name>`.
 */
import { isDns1123Label } from './selector.js';

export const DEFAULT_CLUSTER = 'default';

export const CLUSTER_NAME_PROBLEM = 'must be a DNS-1123 label (lowercase alphanumerics and "-", at most 63 characters)';

export function isClusterName(name: string): boolean {
  return typeof name === 'string' && isDns1123Label(name);
}

/** The workflow ID of a CloneSet's rollout in `cluster`. */
export function rolloutWorkflowIdIn(cluster: string | undefined, namespace: string, name: string): string {
  return !cluster || cluster === DEFAULT_CLUSTER ? `cloneset/${namespace}/${name}` : `cloneset/${cluster}/${namespace}/${name}`;
}

/** The workflow ID of a CloneSet's fleet rollout. */
export function fleetWorkflowId(namespace: string, name: string): string {
  return `fleet/${namespace}/${name}`;
}
