/**
 * The fleet workflow's public messages (`rolloutFleet`, workflow ID `fleet/<namespace>/<name>`), shared by the
 * workflow and its clients. `temporal workflow query --name progress`, `temporal workflow update execute --name approve`.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { FleetClusterState } from '../rollout/fleet.js';
import type { RolloutProgress } from './messages.js';

export const FleetPhase = {
  /** One GET of the CloneSet per cluster: unknown, unreachable or missing clusters refuse the fleet here. */
  Checking: 'Checking',
  /** Clusters of the current wave are rolling. */
  Rolling: 'Rolling',
  /** Every cluster of the wave completed; the bake timer runs before the next wave. */
  Baking: 'Baking',
  /** The next wave waits for the `approve` Update. */
  AwaitingApproval: 'AwaitingApproval',
  /** `pause`: no new cluster starts (running ones finish, the bake timer runs on). */
  Paused: 'Paused',
  /** `abort`: running clusters are aborted, no new one starts. */
  Aborting: 'Aborting',
  /** Clusters already rolled return to their starting images, in reverse wave order. */
  RollingBack: 'RollingBack',
  Completed: 'Completed',
  /** Halted by a cluster that failed or rolled back, and every rolled cluster returned (rollbackOnFailure or abort with rollback). */
  RolledBack: 'RolledBack',
  /** Ended by `abort` without rollback. */
  Aborted: 'Aborted',
  /** Halted by a cluster that failed or rolled back, without rollbackOnFailure: the fleet's workflow fails. */
  Halted: 'Halted',
  /** Refused before any cluster was touched (bad input, unknown or unreachable cluster). */
  Failed: 'Failed',
} as const;
export type FleetPhase = (typeof FleetPhase)[keyof typeof FleetPhase];

/** What a child rollout tells its fleet as it goes (the `clusterProgress` signal). */
export interface ClusterReport {
  cluster: string;
  phase: RolloutProgress['phase'];
  counts: RolloutProgress['counts'];
  fromRevision: string | null;
  toRevision: string | null;
  waiting: string | null;
  /** Activity-clock times of the rollout's start and last observation. */
  startedAtMs: number | null;
  updatedAtMs: number | null;
}

/** One cluster in the fleet's progress record. */
export interface FleetClusterProgress {
  wave: number;
  state: FleetClusterState;
  /** The rollout's own phase, as it last reported it (or its outcome). */
  phase: string;
  /** Its rollout's workflow ID (the child workflow; the rollback's has the same ID). */
  workflowId: string;
  counts: RolloutProgress['counts'] | null;
  fromRevision: string | null;
  toRevision: string | null;
  /** Template images when the fleet started: what a fleet rollback returns the cluster to. */
  startImages: Record<string, string> | null;
  /** The CloneSet's revision number when the fleet started (a manifest fleet's rollback returns to it); null: it did not exist. */
  startRevision?: number | null;
  waiting: string | null;
  error: string | null;
  /** Set once the fleet returned this cluster to its starting images: the rollback's outcome. */
  rolledBack?: 'RolledBack' | 'Failed';
  /** Activity-clock times of the cluster's rollout (and rollback), for the timeline. */
  startedAtMs: number | null;
  endedAtMs: number | null;
  rollbackStartedAtMs?: number | null;
  rollbackEndedAtMs?: number | null;
}

/** Answer of the fleet's `progress` query (also what the UI's current details render). */
export interface FleetProgress {
  phase: FleetPhase;
  namespace: string;
  name: string;
  images: Record<string, string> | null;
  waves: { clusters: string[]; bake: number; approval: boolean }[];
  /** The wave rolling, baking or awaiting approval (0-based); null before the first. */
  wave: number | null;
  clusters: Record<string, FleetClusterProgress>;
  /** The bake timer running now: its wave, length and activity-clock start and end. */
  bake: { wave: number; seconds: number; startedAtMs: number; endsAtMs: number } | null;
  /** Every bake so far, for the timeline (the running one too). */
  bakes: { wave: number; seconds: number; startedAtMs: number; endsAtMs: number }[];
  /** Waves approved so far (0-based). */
  approved: number[];
  paused: boolean;
  aborted: { rollback: boolean } | null;
  /** The cluster that halted the fleet and why. */
  halted: { cluster: string; reason: string } | null;
  rollbackOnFailure: boolean;
  maxParallel: number;
  error: string | null;
  startedAtMs: number | null;
  updatedAtMs: number | null;
}

/** Result of a fleet that ended (completed, rolled back, aborted); a halted fleet without rollback fails instead. */
export interface FleetResult {
  namespace: string;
  name: string;
  outcome: 'Completed' | 'RolledBack' | 'Aborted';
  clusters: Record<string, FleetClusterProgress>;
  halted: FleetProgress['halted'];
  durationMs: number;
}

export const fleetProgressQuery = defineQuery<FleetProgress>('progress');
/** Let the next wave start (only while the fleet awaits approval). Returns the wave approved. */
export const approveUpdate = defineUpdate<{ approvedWave: number }>('approve');
/** No new cluster starts (running ones finish; the bake runs on). */
export const fleetPauseUpdate = defineUpdate<FleetControlsView>('pause');
export const fleetResumeUpdate = defineUpdate<FleetControlsView>('resume');
/** Aborts the running clusters and starts no new one; with rollback, every rolled cluster returns, reverse wave order. */
export const fleetAbortUpdate = defineUpdate<FleetControlsView, [{ rollback?: boolean } | undefined]>('abort');
/** A child rollout's phase and counts (sent by `rolloutCloneSet` to its parent fleet). */
export const clusterProgressSignal = defineSignal<[ClusterReport]>('clusterProgress');

export interface FleetControlsView {
  phase: FleetPhase;
  paused: boolean;
  aborted: FleetProgress['aborted'];
  wave: number | null;
}

/** Names of the fleet's Updates, as `temporal workflow update execute --name` takes them. */
export const FLEET_UPDATES = ['approve', 'pause', 'resume', 'abort'] as const;
