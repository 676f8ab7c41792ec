/**
 * Pure checks on a PodView that the wait activities poll with, table-tested apart from any API.
 */
import { checkInPlaceCompletion, checkResizeCompletion, isPodReady, type PodView, type ResizePodJson } from '../rollout/index.js';

/**
 * Whether every changed container runs its new image AND is ready (the kubelet reports a waiting container with the
 * new image string too, so the image alone does not prove it runs). `stuck` names containers the kubelet will not
 * bring up on its own (ImagePullBackOff..., a resize the node can never fit). With `resize`, the named containers must
 * also report the resources their spec asks for (src/rollout/resources.ts checkResizeCompletion).
 */
export function containersUpdated(
  pod: Pick<PodView, 'containers'>,
  images: Record<string, string>,
  previousImageIDs: Record<string, string | null>,
  resize?: { pod: ResizePodJson; containers: string[] },
): { done: boolean; waiting: string[]; stuck: string[] } {
  const last = Object.fromEntries(Object.entries(previousImageIDs).flatMap(([n, id]) => (id === null ? [] : [[n, { imageID: id }]]))) as Record<
    string,
    { imageID: string }
  >;
  const completion = checkInPlaceCompletion(pod, images, last);
  const notReady = Object.keys(images).filter((n) => !pod.containers.find((c) => c.name === n)?.ready);
  const resized = resize && resize.containers.length > 0 ? checkResizeCompletion(resize.pod, resize.containers) : null;
  const waiting = [...new Set([...completion.pending, ...notReady, ...(resized?.pending ?? [])])].sort();
  return {
    done: waiting.length === 0,
    waiting: [...waiting, ...(resized?.waiting ?? [])],
    stuck: [...completion.stuck, ...(resized?.stuck ?? [])],
  };
}

/**
 * Ready as CloneSet status counts it ({@link isPodReady}: Running, Ready, gate True when present), judged on one
 * observed object so a stale pre-update view never counts, and with the time it became Ready.
 */
export function readyWithGate(pod: Pick<PodView, 'phase' | 'ready' | 'readySinceMs' | 'hasGate' | 'gateReady'>): boolean {
  return isPodReady(pod) && pod.readySinceMs !== null;
}
