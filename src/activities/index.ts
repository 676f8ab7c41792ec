/**
 * The rollout's activities, built from injected dependencies so tests and workers share one wiring:
 * `createActivities({ kubeConfig, logger })`.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { makeClients } from '../kube/clients.js';
import { cloneSetActivities } from './cloneset.js';
import { podActivities } from './pods.js';
import { batchActivities } from './batch.js';

export interface ActivityDeps {
  kubeConfig: KubeConfig;
  logger: Logger;
}

export function createActivities(deps: ActivityDeps) {
  const clients = makeClients(deps.kubeConfig);
  const logger = deps.logger.child({ component: 'activities' });
  const pods = podActivities(clients, logger);
  return { ...cloneSetActivities(clients, logger), ...pods, ...batchActivities(clients, logger, pods) };
}

export type RolloutActivities = ReturnType<typeof createActivities>;
export type { PodRef, RevisionPlan, RolloutSpec, RolloutTarget, ReadyResult, PlannedObservation, PlanRoundInput } from './types.js';
