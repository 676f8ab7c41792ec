/**
 * The rollout workflow's public messages, shared by the workflow and its clients (CLI, typed client, tests).
 * Names are part of the public interface: `temporal workflow query --name progress` uses them.
 */
import { defineQuery } from '@temporalio/workflow';

/** Phases of a rollout, in the order a healthy one passes them. */
export const RolloutPhase = {
  /** Reading and validating the CloneSet, resolving the target revision. */
  Preparing: 'Preparing',
  /** Creating or deleting Pods toward spec.replicas. */
  Scaling: 'Scaling',
  /** Moving Pods to the update revision under maxUnavailable. */
  Updating: 'Updating',
  /** Every Pod at the target (except partition) and available. */
  Completed: 'Completed',
  /** Stopped by a non-retryable error (see `error`). */
  Failed: 'Failed',
} as const;
export type RolloutPhase = (typeof RolloutPhase)[keyof typeof RolloutPhase];

/** Where one Pod is in its update. */
export const PodStep = {
  Pending: 'Pending',
  GateOff: 'InPlaceUpdateReady=False',
  Grace: 'GracePeriod',
  Patching: 'PatchingImages',
  Restarting: 'WaitingForContainers',
  GateOn: 'InPlaceUpdateReady=True',
  WaitingReady: 'WaitingForReady',
  MinReady: 'MinReadySeconds',
  Deleting: 'Deleting',
  Creating: 'Creating',
  Done: 'Done',
  Failed: 'Failed',
} as const;
export type PodStep = (typeof PodStep)[keyof typeof PodStep];

/** One Pod's entry in the progress record. */
export interface PodProgress {
  /** What the rollout does with it. */
  action: 'inPlace' | 'recreate' | 'create' | 'delete';
  step: PodStep;
  /** Revision the Pod moves to (for delete: the one it had). */
  revision: string;
  /** Activity-clock times (ms since epoch) of each step's start, for timelines. */
  steps: { step: PodStep; atMs: number }[];
  error?: string;
  /** For a Pod created to replace a recreated one: the old Pod's name. */
  replaces?: string;
}

/** Answer of the `progress` query. */
export interface RolloutProgress {
  phase: RolloutPhase;
  namespace: string;
  name: string;
  fromRevision: string | null;
  toRevision: string | null;
  strategy: string | null;
  counts: {
    /** Desired replicas. */
    desired: number;
    /** Pods that exist now (not being deleted). */
    total: number;
    updated: number;
    ready: number;
    available: number;
    /** Unavailable now, counting Pods in flight. */
    unavailable: number;
  };
  /** Resolved maxUnavailable: the window. */
  window: number;
  /** Why nothing more starts right now, if so. */
  waiting: string | null;
  /** Pods the rollout has touched, by name. */
  pods: Record<string, PodProgress>;
  startedAtMs: number | null;
  updatedAtMs: number | null;
  error: string | null;
}

/** Result of a completed rollout. */
export interface RolloutResult {
  namespace: string;
  name: string;
  fromRevision: string;
  toRevision: string;
  updatedInPlace: number;
  recreated: number;
  created: number;
  deleted: number;
  /** Wall time from start to completion (activity clock), ms. */
  durationMs: number;
  pods: Record<string, PodProgress>;
}

export const progressQuery = defineQuery<RolloutProgress>('progress');
