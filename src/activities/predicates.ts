/**
 * Pure checks on a PodView that the wait activities poll with, table-tested apart from any API.
 */
import { checkInPlaceCompletion, isPodReady, type PodView } from '../rollout/index.js';

/**
 * Whether every changed container runs its new image AND is ready (the kubelet reports a waiting container with the
 * new image string too, so the image alone does not prove it runs). `stuck` names containers the kubelet will not
 * bring up on its own (ImagePullBackOff...).
 */
export function containersUpdated(
  pod: Pick<PodView, 'containers'>,
  images: Record<string, string>,
  previousImageIDs: Record<string, string | null>,
): { done: boolean; waiting: string[]; stuck: string[] } {
  const last = Object.fromEntries(Object.entries(previousImageIDs).flatMap(([n, id]) => (id === null ? [] : [[n, { imageID: id }]]))) as Record<
    string,
    { imageID: string }
  >;
  const completion = checkInPlaceCompletion(pod, images, last);
  const notReady = Object.keys(images).filter((n) => !pod.containers.find((c) => c.name === n)?.ready);
  const waiting = [...new Set([...completion.pending, ...notReady])].sort();
  return { done: waiting.length === 0, waiting, stuck: completion.stuck };
}

/**
 * Ready as CloneSet status counts it ({@link isPodReady}: Running, Ready, gate True when present), judged on one
 * observed object so a stale pre-update view never counts, and with the time it became Ready.
 */
export function readyWithGate(pod: Pick<PodView, 'phase' | 'ready' | 'readySinceMs' | 'hasGate' | 'gateReady'>): boolean {
  return isPodReady(pod) && pod.readySinceMs !== null;
}
