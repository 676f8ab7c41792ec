/**
 * The planner's view of one round: pods classified into replica slots, revisions and availability, with in-flight
 * lanes counted by their eventual effect. Local to a planStep call (holds closures; never crosses a boundary).
 */
import type { InFlight, PlanInput } from './plan-types.js';
import { isPodActive, isPodAvailableForWindow, type PodView } from './podview.js';
import { LifecycleState } from './types.js';

export interface PlanState {
  /** Active pods that are replicas: not terminating, not finished, not being deleted by a lane. */
  slots: PodView[];
  /** Replica slots a lane is creating whose pod is not observed yet (counted new and unavailable). */
  phantoms: number;
  /** slots + phantoms. */
  current: number;
  /** Slots at or moving to the update revision, plus phantoms. */
  newCount: number;
  oldCount: number;
  /** Slots on old revisions, not moving. */
  oldSlots: PodView[];
  /** Slots no lane is working on: what scale-down may choose from. */
  deletableSlots: PodView[];
  deleting: number;
  inactive: number;
  toDeleteNewPods: PodView[];
  toDeleteOldPods: PodView[];
  toDeleteNew: number;
  toDeleteOld: number;
  /** Unavailable now for the window: terminating, in flight or not available, any revision; plus phantoms. */
  unavailable: number;
  /** Unavailable among replica slots (Kruise's totalUnavailable): bounds scale-up. */
  unavailableActive: number;
  /** Slots available and not in flight. */
  availableSlots: number;
  /** Pods still to move to the update revision, respecting partition (Kruise's updateNum). */
  updateNum: number;
  isAvailable(p: PodView): boolean;
  isInFlight(p: PodView): boolean;
  isSpecifiedDelete(p: PodView): boolean;
}

const MOVING: readonly InFlight['action'][] = ['inPlace', 'recreate', 'create'];

export function classify(input: PlanInput): PlanState {
  const { spec, updateRevision, inFlight, nowMs } = input;
  const flight = (name: string): InFlight | undefined => (Object.prototype.hasOwnProperty.call(inFlight, name) ? inFlight[name] : undefined);
  const isInFlight = (p: PodView): boolean => flight(p.name) !== undefined;
  const isAvailable = (p: PodView): boolean => !isInFlight(p) && isPodAvailableForWindow(p, spec.minReadySeconds, nowMs);
  const isSpecifiedDelete = (p: PodView): boolean => spec.podsToDelete.includes(p.name);
  const effectiveRevision = (p: PodView): string | null => {
    const f = flight(p.name);
    if (f?.action === 'create' && f.revision !== undefined) return f.revision; // created at the current revision
    return MOVING.includes(f?.action ?? 'delete') ? updateRevision : p.revision;
  };

  const observed = input.pods.filter((p) => p.deleting || isPodActive(p));
  const slots = observed.filter((p) => !p.deleting && flight(p.name)?.action !== 'delete');
  const slotNames = slots.map((p) => p.name);

  // A lane creating (or re-creating) a pod holds a replica slot until that pod is observed.
  // Its unavailability is counted once: through the old pod while that is still observed (terminating).
  const observedNames = observed.map((p) => p.name);
  let phantoms = 0;
  let unseenPhantoms = 0;
  /** Phantoms of Pods created at another revision than the update revision: old slots. */
  let oldPhantoms = 0;
  for (const name of Object.keys(inFlight).sort()) {
    const f = inFlight[name] as InFlight;
    const holdsSlot =
      (f.action === 'create' && !slotNames.includes(name)) ||
      (f.action === 'recreate' && !slotNames.includes(name) && !slotNames.includes(f.newPodName ?? name));
    if (!holdsSlot) continue;
    phantoms++;
    if (f.action === 'create' && f.revision !== undefined && f.revision !== updateRevision) oldPhantoms++;
    if (!observedNames.includes(name)) unseenPhantoms++;
  }
  const newPhantoms = phantoms - oldPhantoms;

  const newSlots = slots.filter((p) => effectiveRevision(p) === updateRevision);
  const oldSlots = slots.filter((p) => effectiveRevision(p) !== updateRevision);
  const toDelete = slots.filter((p) => isSpecifiedDelete(p) && !isInFlight(p));
  const notPreDeleting = (p: PodView) => p.lifecycleState !== LifecycleState.PreparingDelete;
  const newActive = newSlots.filter(notPreDeleting).length + newPhantoms;
  const oldActive = oldSlots.filter(notPreDeleting).length + oldPhantoms;
  const updateOldDiff = Math.max(oldActive - spec.partition, 0);
  const updateNewDiff = Math.max(spec.replicas - spec.partition - newActive, 0);
  const availableSlots = slots.filter(isAvailable).length;

  return {
    slots,
    phantoms,
    current: slots.length + phantoms,
    newCount: newSlots.length + newPhantoms,
    oldCount: oldSlots.length + oldPhantoms,
    oldSlots,
    deletableSlots: slots.filter((p) => !isInFlight(p)),
    deleting: observed.filter((p) => p.deleting).length,
    inactive: input.pods.length - observed.length,
    toDeleteNewPods: toDelete.filter((p) => effectiveRevision(p) === updateRevision),
    toDeleteOldPods: toDelete.filter((p) => effectiveRevision(p) !== updateRevision),
    toDeleteNew: toDelete.filter((p) => effectiveRevision(p) === updateRevision).length,
    toDeleteOld: toDelete.filter((p) => effectiveRevision(p) !== updateRevision).length,
    unavailable: observed.filter((p) => !isAvailable(p)).length + unseenPhantoms,
    unavailableActive: slots.length - availableSlots + phantoms,
    availableSlots,
    updateNum: Math.min(updateOldDiff, updateNewDiff),
    isAvailable,
    isInFlight,
    isSpecifiedDelete,
  };
}
