/**
 * Inputs and outputs of the rollout activities: plain JSON, small (names, revisions and images, never Pod specs),
 * shared by the workflow (`import type`) and the activity implementations.
 */
import type { ContainerResize, InFlight, PlanSpec, PodView, RolloutDecision, RolloutHooks, RoundPod } from '../rollout/index.js';

/** Identifies a Pod by name and uid: a Pod recreated under the same name is a different Pod. */
export interface PodRef {
  namespace: string;
  name: string;
  uid: string;
}

/** How Pods of one old revision move to the update revision. */
export interface RevisionPlan {
  action: 'inPlace' | 'recreate' | 'fail';
  /** Only the containers whose image changes: name → new image. */
  images: Record<string, string>;
  /** Only the containers resized in place: name → their new cpu/memory requests and limits (absent: none). */
  resources?: Record<string, ContainerResize>;
  /** The resizes in words by container, e.g. `nginx: ['cpu 100m→200m']`, for summaries (absent: none). */
  resizes?: Record<string, string[]>;
  /** Template label/annotation changes applied to the Pod in place (null removes the key). */
  labels: Record<string, string | null>;
  annotations: Record<string, string | null>;
  /** Why the change is not in-place-able (names the fields); empty for inPlace. */
  reasons: string[];
}

/** The planner's spec (every int-or-percent resolved) plus the timings the lanes need. */
export interface RolloutSpec extends PlanSpec {
  /** updateStrategy.inPlaceUpdateStrategy.gracePeriodSeconds: gate-off to image patch. */
  gracePeriodSeconds: number;
  /** spec.progressDeadlineSeconds; null when unset. */
  progressDeadlineSeconds: number | null;
  /** spec.lifecycle hooks that name something (preDelete, inPlaceUpdate); absent when none. */
  hooks?: RolloutHooks;
}

/** What a rollout is rolling toward, resolved from the CloneSet by `prepareRollout`. */
export interface RolloutTarget {
  namespace: string;
  name: string;
  uid: string;
  /** CloneSet metadata.generation this target was computed from. */
  generation: number;
  /** Label selector string of the CloneSet's Pods. */
  selector: string;
  updateRevision: string;
  /** Revision most Pods are on at the start (status.currentRevision when known). */
  currentRevision: string;
  /** Images of the update revision's template, name → image. */
  images: Record<string, string>;
  spec: RolloutSpec;
  /** One entry per revision found among the Pods (except the update revision). */
  revisions: Record<string, RevisionPlan>;
  /** Activity clock when the target was resolved (ms since epoch). */
  atMs: number;
  /**
   * The CloneSet's rollout annotations (`cloneset-rollout.io/steps`, `.../analysis`, `.../notifications`) by input
   * field, unparsed (the workflow validates them); absent: none.
   */
  annotations?: { steps?: string; analysis?: string; notifications?: string };
}

/** Result of waiting for a Pod to be Ready. */
export interface ReadyResult {
  /** When the Pod's Ready condition last became True (ms since epoch). */
  readySinceMs: number;
  /** Activity clock at return. */
  atMs: number;
}

/** Input of `observePlan`: the target to plan toward and the lanes in flight. */
export interface PlanRoundInput {
  /** The rollout's target, its `spec` the one to plan this round with (the controls' overrides applied). */
  target: RolloutTarget;
  /** Pods the workflow's lanes are working on, by name. */
  inFlight: Record<string, InFlight>;
  /** The revision the rollout started from: its images are what a rollback restores. */
  fromRevision: string | null;
  /** Return every Pod too when there are at most this many. */
  fullPodsUpTo: number;
}

/** One observation planned next to the data: the decision and only the Pods the round acts on. */
export interface PlannedObservation {
  atMs: number;
  /** Current metadata.generation of the CloneSet; when it is not the target's, nothing was planned. */
  generation: number;
  /** The planner's decision (before the controls' gate); null when the generation changed. */
  decision: RolloutDecision | null;
  /** The Pods the decision names (update, scale down), by name: what a lane needs of them. */
  pods: Record<string, RoundPod>;
  /** Pods an earlier run left half-way (src/rollout/resume.ts), sorted. */
  orphans: string[];
  /** The orphans in full (their lanes read the in-place record and containers). */
  orphanPods: Record<string, PodView>;
  /** For Pods in flight whose containers are not all up: why (for the progress-deadline message). */
  blocking: Record<string, string[]>;
  /** Pods Ready and not terminating. */
  ready: number;
  /** Images of `fromRevision`, read from a Pod still on it (null if none). */
  previousImages: Record<string, string> | null;
  /** Every Pod, when there are at most `fullPodsUpTo`; else null. */
  all: PodView[] | null;
}
