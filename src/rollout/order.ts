/**
 * Pod orders: which pods to update first and which to delete first. All sorts are stable and total (ties broken by
 * name), so a plan never depends on the order pods were listed in.
 */
import type { PodView } from './podview.js';
import { selectorMatches } from './selector.js';
import { LifecycleState, PodPhase, type UpdatePriorityStrategy } from './types.js';

const PHASE_ORDINAL: Record<string, number> = { [PodPhase.Pending]: 0, [PodPhase.Unknown]: 1, [PodPhase.Running]: 2 };

const maxRestarts = (p: PodView): number => p.containers.reduce((m, c) => Math.max(m, c.restartCount), 0);

/** Compares two nullable ms timestamps, null (zero time) first, then later first. */
function laterFirst(a: number | null, b: number | null): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  return b - a;
}

/**
 * Kubernetes' "active pods" order, the least established pod first:
 * unscheduled < scheduled; Pending < Unknown < Running; not ready < ready; ready for less time first;
 * more container restarts (max over containers) first; newer first; then by name.
 * It is both the update order (Kruise updates the least useful pods first) and the scale-down order.
 */
export function compareActivePods(a: PodView, b: PodView): number {
  if ((a.nodeName === null) !== (b.nodeName === null)) return a.nodeName === null ? -1 : 1;
  const pa = PHASE_ORDINAL[a.phase] ?? 0;
  const pb = PHASE_ORDINAL[b.phase] ?? 0;
  if (pa !== pb) return pa - pb;
  if (a.ready !== b.ready) return a.ready ? 1 : -1;
  if (a.ready && b.ready) {
    const r = laterFirst(a.readySinceMs, b.readySinceMs);
    if (r !== 0) return r;
  }
  const ra = maxRestarts(a);
  const rb = maxRestarts(b);
  if (ra !== rb) return rb - ra;
  const c = laterFirst(a.creationTimestamp, b.creationTimestamp);
  if (c !== 0) return c;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** Summed weight of the weightPriority terms whose selector matches the pod. */
export function priorityWeight(p: PodView, strategy: UpdatePriorityStrategy): number {
  return (strategy.weightPriority ?? []).reduce(
    (sum, t) => (selectorMatches(t.matchSelector, p.labels) ? sum + t.weight : sum),
    0,
  );
}

/** The trailing integer of a label value (`web-12` → 12); null if the label is absent or has none. */
function orderValue(p: PodView, key: string): number | null {
  const v = p.labels[key];
  const m = v === undefined ? null : /(\d+)$/.exec(v);
  return m ? Number.parseInt(m[1] as string, 10) : null;
}

function comparePriority(a: PodView, b: PodView, strategy: UpdatePriorityStrategy): number {
  if (strategy.weightPriority && strategy.weightPriority.length > 0) {
    return priorityWeight(b, strategy) - priorityWeight(a, strategy);
  }
  for (const { orderedKey } of strategy.orderPriority ?? []) {
    const va = orderValue(a, orderedKey);
    const vb = orderValue(b, orderedKey);
    if (va === vb) continue;
    if (va === null) return 1;
    if (vb === null) return -1;
    return vb - va;
  }
  return 0;
}

/** Options for {@link sortForUpdate}. */
export interface UpdateOrderOptions {
  /** updateStrategy.priorityStrategy: higher summed weight, or larger ordered-key integer, first. */
  priorityStrategy?: UpdatePriorityStrategy;
}

/**
 * Update order (Kruise): {@link compareActivePods}, then priorityStrategy, and pods already preparing an update
 * (lifecycle PreparingUpdate) before all others. Returns a new array.
 */
export function sortForUpdate(pods: readonly PodView[], opts: UpdateOrderOptions = {}): PodView[] {
  const prio = opts.priorityStrategy;
  return [...pods].sort((a, b) => {
    const pa = a.lifecycleState === LifecycleState.PreparingUpdate;
    const pb = b.lifecycleState === LifecycleState.PreparingUpdate;
    if (pa !== pb) return pa ? -1 : 1;
    if (prio) {
      const p = comparePriority(a, b, prio);
      if (p !== 0) return p;
    }
    return compareActivePods(a, b);
  });
}

/** Scale-down order: the pods to delete first come first ({@link compareActivePods}). Returns a new array. */
export function sortForScaleDown(pods: readonly PodView[]): PodView[] {
  return [...pods].sort(compareActivePods);
}

/**
 * Picks `count` pods to delete when scaling down, Kruise's way: first up to `oldCount` pods not at
 * `updateRevision` (the old pods beyond what partition keeps), then pods at the update revision; each group in
 * {@link sortForScaleDown} order. So scale-down prefers old revisions without breaking partition, and within a
 * revision prefers unscheduled, pending, not-ready, recently-ready, restarting and newer pods.
 */
export function choosePodsToDelete(
  pods: readonly PodView[],
  count: number,
  oldCount: number,
  updateRevision: string,
): PodView[] {
  if (count <= 0) return [];
  const oldPods = sortForScaleDown(pods.filter((p) => p.revision !== updateRevision));
  const newPods = sortForScaleDown(pods.filter((p) => p.revision === updateRevision));
  const fromOld = oldPods.slice(0, Math.min(count, Math.max(oldCount, 0)));
  const fromNew = newPods.slice(0, count - fromOld.length);
  // Not enough new pods (the caller's counts were off): fall back to more old pods rather than fewer deletions.
  const more = oldPods.slice(fromOld.length, fromOld.length + (count - fromOld.length - fromNew.length));
  return [...fromOld, ...fromNew, ...more];
}
