/**
 * Pure checks on a PodView that the wait activities poll with. Pure so they are table-tested apart from any API.
 */
import type { PodView } from '../rollout/index.js';

/**
 * Whether every changed container runs its new image and is ready. A container is done when its imageID changed
 * from the one recorded before the patch, or the image it reports equals the spec image (a new tag can resolve to
 * the same digest); a container with no status yet is not done.
 */
export function containersUpdated(
  pod: PodView,
  images: Record<string, string>,
  previousImageIDs: Record<string, string | null>,
): { done: boolean; waiting: string[] } {
  const waiting: string[] = [];
  for (const [name, image] of Object.entries(images)) {
    const c = pod.containers.find((x) => x.name === name);
    const switched =
      !!c && c.statusImage !== null && (c.statusImage === image || (c.imageID !== null && c.imageID !== (previousImageIDs[name] ?? null)));
    if (!c || c.specImage !== image || !switched || !c.ready) {
      waiting.push(`${name}: ${c?.waitingReason ?? (switched ? 'not ready' : 'waiting for the new image')}`);
    }
  }
  return { done: waiting.length === 0, waiting };
}

/** Ready with the gate True (from the same observed object), so a stale pre-update view never counts. */
export function readyWithGate(pod: PodView): boolean {
  return pod.ready && pod.readySinceMs !== null && (!pod.hasGate || pod.gateReady === true);
}
