/**
 * Pods left half-way by an earlier run: at the update revision (the image patch landed) but never handed back to
 * Services — InPlaceUpdateReady not True, or lifecycle still Updating (the gate goes True first, then the label), or
 * a new Pod still PreparingNormal — with no lane of this run working on them.
 * That happens when a rollout workflow was terminated (or timed out) mid-lane and a new one started. Left alone,
 * such a Pod is unavailable forever and the planner (which only moves Pods *to* the update revision) never finishes.
 * The workflow finishes them instead: wait for the changed containers, then gate True. They are already unavailable,
 * so this costs no window budget.
 */
import { isPodActive, type PodView } from './podview.js';
import type { InFlight } from './plan-types.js';
import { LifecycleState } from './types.js';

/** Why a Pod needs finishing, or null if it does not. */
export function resumeReason(pod: PodView, updateRevision: string): string | null {
  if (pod.deleting || !isPodActive(pod) || pod.revision !== updateRevision) return null;
  if (pod.hasGate && pod.gateReady !== true) return `InPlaceUpdateReady is ${pod.gateReady === false ? 'False' : 'unset'}`;
  if (pod.lifecycleState === LifecycleState.Updating) return 'lifecycle state is still Updating';
  if (pod.lifecycleState === LifecycleState.Updated) return 'lifecycle state is Updated (its inPlaceUpdate hook was not put back yet)';
  if (pod.lifecycleState === LifecycleState.PreparingNormal) return 'lifecycle state is still PreparingNormal (created, never moved to Normal)';
  return null;
}

/** Pods at the update revision left not ready by an earlier run and owned by no lane, sorted by name. */
export function podsToResume(pods: readonly PodView[], updateRevision: string, inFlight: Record<string, InFlight>): string[] {
  return pods
    .filter((p) => !Object.prototype.hasOwnProperty.call(inFlight, p.name) && resumeReason(p, updateRevision) !== null)
    .map((p) => p.name)
    .sort();
}

/** What to wait for before handing a resumed Pod back: the images its spec now has, and the imageIDs they replace. */
export interface ResumeWait {
  /** Container name → image the Pod's spec now has (the changed containers when recorded, else all). */
  images: Record<string, string>;
  /** Container name → imageID before the update (from the inplace-update-state record), or null if unknown. */
  previousImageIDs: Record<string, string | null>;
  /** Containers resized in place (the record's `updateResources`): their status must match; absent when none. */
  resized?: string[];
}

/**
 * The containers to wait for: those the inplace-update-state annotation recorded as changed for this revision (its
 * containerBatchesRecord, and lastContainerStatuses, which older records and containers without a status at patch
 * time leave partial), with their old imageIDs; or every container when there is no record for it (e.g. a Pod
 * created at the revision).
 */
export function resumeWait(pod: PodView, updateRevision: string): ResumeWait {
  const state = pod.inPlaceState?.revision === updateRevision ? pod.inPlaceState : null;
  const recorded = state ? state.lastContainerStatuses : null;
  const batches = Array.isArray(state?.containerBatchesRecord)
    ? state.containerBatchesRecord.flatMap((b) => (Array.isArray(b?.containers) ? b.containers : []))
    : [];
  const changed = new Set([...Object.keys(recorded ?? {}), ...batches]);
  const names = [...changed].filter((n) => pod.containers.some((c) => c.name === n));
  const containers = names.length > 0 ? pod.containers.filter((c) => names.includes(c.name)) : pod.containers;
  return {
    images: Object.fromEntries(containers.map((c) => [c.name, c.specImage])),
    previousImageIDs: Object.fromEntries(containers.map((c) => [c.name, recorded?.[c.name]?.imageID || null])),
    ...(state?.updateResources === true ? { resized: containers.map((c) => c.name) } : {}),
  };
}
