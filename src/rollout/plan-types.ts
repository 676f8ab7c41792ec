/**
 * The planner's input types: the resolved spec, the lanes in flight and the round's input. Their own module so that
 * the planner (plan.ts) and its classification of a round (plan-state.ts) share them without importing each other.
 */
import type { PodUpdateAction } from './inplace.js';
import type { PodView } from './podview.js';
import type { UpdatePriorityStrategy, UpdateScatterTerm, UpdateStrategyType } from './types.js';

/** The spec as the planner needs it, every int-or-percent resolved against replicas. Plain JSON. */
export interface PlanSpec {
  /** Desired pods. */
  replicas: number;
  /** Pods kept on old revisions (resolved partition). */
  partition: number;
  /** updateStrategy.maxUnavailable, resolved (pods). */
  maxUnavailable: number;
  /** updateStrategy.maxSurge, resolved (pods); 0 while paused. */
  maxSurge: number;
  /** scaleStrategy.maxUnavailable, resolved (pods); null = unlimited. */
  scaleMaxUnavailable: number | null;
  /** scaleStrategy.podsToDelete. */
  podsToDelete: string[];
  type: UpdateStrategyType;
  /** Seconds Ready before a pod is available. */
  minReadySeconds: number;
  /** Updates stop (scaling continues). */
  paused: boolean;
  priorityStrategy?: UpdatePriorityStrategy;
  /** updateStrategy.scatterStrategy: pods matching a term are spread over the update order. */
  scatterStrategy?: UpdateScatterTerm[];
}

/** What a workflow lane is doing to a pod. */
export const InFlightAction = {
  InPlace: 'inPlace',
  Recreate: 'recreate',
  Delete: 'delete',
  Create: 'create',
} as const;
export type InFlightAction = (typeof InFlightAction)[keyof typeof InFlightAction];

/**
 * A pod a lane is working on, keyed by pod name in {@link PlanInput.inFlight}. The planner counts the lane's
 * eventual effect: inPlace/recreate/create pods as at the update revision, delete pods as gone; and every in-flight
 * pod as unavailable until the lane ends (the lane ends once its pod is available, or gone).
 */
export interface InFlight {
  action: InFlightAction;
  /** Free-form lane step, for messages (e.g. 'gate-off', 'grace', 'patch', 'wait-containers'). */
  step?: string;
  /** recreate only: name of the replacement pod, once chosen (defaults to the same name). */
  newPodName?: string;
  /**
   * create only: the revision the Pod is created at when it is not the update revision — a scale-up that keeps the
   * partition's Pods on the current revision (Kruise's scaleUpOldRevision). Absent: the update revision.
   */
  revision?: string;
}

/** Input of `planStep` (plan.ts). All plain JSON. */
export interface PlanInput {
  spec: PlanSpec;
  /** Revision pods should end on (controller-revision-hash value). */
  updateRevision: string;
  /** Every pod the CloneSet owns, as observed. */
  pods: PodView[];
  /** Pods lanes are working on, by pod name. */
  inFlight: Record<string, InFlight>;
  /** Now, epoch ms: the observation's time (the observing activity's clock), or the simulation's clock. */
  nowMs: number;
  /**
   * How pods of each old revision move to updateRevision. A revision not listed: recreate, except under
   * InPlaceOnly (fail), since its template is unknown.
   */
  actionsByRevision?: Record<string, PodUpdateAction>;
}
