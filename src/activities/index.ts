/**
 * The rollout's activities, built from injected dependencies so tests and workers share one wiring:
 * `createActivities({ kubeConfig, logger, clusters })`. One set of activities per cluster the worker knows; each
 * activity is a router that runs the set of the cluster its input names (`cluster`, absent: `default`).
 */
import { ApplicationFailure } from '@temporalio/common';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { makeClients, type KubeClients } from '../kube/clients.js';
import { DEFAULT_CLUSTER } from '../rollout/cluster.js';
import { cloneSetActivities } from './cloneset.js';
import { podActivities } from './pods.js';
import { batchActivities } from './batch.js';
import { fleetActivities } from './fleet.js';
import { analysisActivities } from './analysis.js';
import { notifyActivities } from './notify.js';

export interface ActivityDeps {
  /** The cluster named `default` (the single-cluster rollout's); absent when only named clusters are given. */
  kubeConfig?: KubeConfig;
  logger: Logger;
  /** More clusters by name (`--cluster NAME=KUBECONFIG`); one named `default` replaces `kubeConfig`. */
  clusters?: Record<string, KubeConfig>;
}

/** Error type of an activity naming a cluster the worker does not know. */
export const UNKNOWN_CLUSTER = 'UnknownCluster';

function clusterActivities(clients: KubeClients, logger: Logger) {
  const pods = podActivities(clients, logger);
  return { ...cloneSetActivities(clients, logger), ...pods, ...batchActivities(clients, logger, pods) };
}

type ClusterActivities = ReturnType<typeof clusterActivities>;

export function createActivities(deps: ActivityDeps) {
  const logger = deps.logger.child({ component: 'activities' });
  const configs: Record<string, KubeConfig> = { ...(deps.kubeConfig ? { [DEFAULT_CLUSTER]: deps.kubeConfig } : {}), ...deps.clusters };
  const clients: Record<string, KubeClients> = {};
  const sets: Record<string, ClusterActivities> = {};
  for (const [name, kc] of Object.entries(configs)) {
    clients[name] = makeClients(kc);
    sets[name] = clusterActivities(clients[name], name === DEFAULT_CLUSTER ? logger : logger.child({ cluster: name }));
  }
  const known = Object.keys(sets).sort();
  if (known.length === 0) throw new Error('no cluster to run rollouts on: give a kubeconfig or at least one --cluster NAME=KUBECONFIG');
  // Every cluster's set has the same activity names.
  const template = sets[known[0]!]!;
  const router = {} as Record<string, (...args: unknown[]) => Promise<unknown>>;
  for (const key of Object.keys(template)) {
    router[key] = async (...args: unknown[]) => {
      const [first, ...rest] = args;
      let input = first;
      let cluster = DEFAULT_CLUSTER;
      if (typeof first === 'object' && first !== null && 'cluster' in first) {
        const { cluster: named, ...others } = first as { cluster?: unknown };
        cluster = typeof named === 'string' ? named : DEFAULT_CLUSTER;
        input = others;
      }
      const set = sets[cluster];
      if (!set) {
        throw ApplicationFailure.nonRetryable(
          `cluster ${JSON.stringify(cluster)} is not known to this worker (known: ${known.join(', ') || 'none'}; add --cluster ${cluster}=KUBECONFIG)`,
          UNKNOWN_CLUSTER,
        );
      }
      return (set as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[key]!(input, ...rest);
    };
  }
  // Analysis and notifications reach no cluster: one set, outside the router.
  return { ...(router as unknown as ClusterActivities), ...fleetActivities(clients, logger), ...analysisActivities(logger), ...notifyActivities(logger) };
}

export type RolloutActivities = ReturnType<typeof createActivities>;
export type { PodRef, RevisionPlan, RolloutSpec, RolloutTarget, ReadyResult, PlannedObservation, PlanRoundInput } from './types.js';
