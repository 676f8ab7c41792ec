/**
 * Pod orders: which pods to update first and which to delete first. All sorts are stable and total (ties broken by
 * name), so a plan never depends on the order pods were listed in.
 */
import type { PodView } from './podview.js';
import { selectorMatches } from './selector.js';
import { LifecycleState, PodPhase, type UpdatePriorityStrategy, type UpdateScatterTerm } from './types.js';

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
  return (strategy.weightPriority ?? []).reduce((sum, t) => (selectorMatches(t.matchSelector, p.labels) ? sum + t.weight : sum), 0);
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
  /** updateStrategy.scatterStrategy: pods matching a term are spread evenly over the order (see {@link scatterPods}). */
  scatterStrategy?: readonly UpdateScatterTerm[];
  /**
   * Pods already at (or moving to) the update revision. Scatter counts them as the head of the order, so that a
   * planner re-sorting the remaining candidates every round (a sliding window) keeps the spread across rounds
   * instead of starting over. Unset: scatter spreads the candidates alone.
   */
  updated?: readonly PodView[];
}

const matchesTerm = (p: PodView, t: UpdateScatterTerm): boolean => p.labels[t.key] === t.value;

/**
 * Spreads the pods matching one scatter term evenly over `pods` (already in update order); the other pods keep
 * their relative order, and so do the matching ones. With M of N pods matching (counting `updated`, taken to be
 * the first pods of the order), the j-th matching pod goes to position ⌊j·N/M⌋: 2 of 10 → positions 0 and 5,
 * 3 of 9 → 0, 3 and 6. Matching pods behind that schedule (too few of them updated so far) are spread over the pods
 * left, ⌊i·n/m⌋ for the i-th of m matching among n, so the first goes at once and they are not bunched together.
 * A term matched by at most one pod, or by every pod, changes nothing. Returns a new array.
 */
export function scatterPods(pods: readonly PodView[], term: UpdateScatterTerm, updated: readonly PodView[] = []): PodView[] {
  const n = pods.length;
  const matching = pods.filter((p) => matchesTerm(p, term));
  const m = matching.length;
  const done = updated.length;
  const doneMatching = updated.filter((p) => matchesTerm(p, term)).length;
  const total = done + n;
  const totalMatching = doneMatching + m;
  if (m === 0 || m === n || totalMatching <= 1 || totalMatching === total) return [...pods];
  // Slot of each remaining matching pod in the remaining order (strictly increasing, at most n − m + i): its slot in
  // the whole order, but never earlier than spreading the remaining pods alone would put it, so that matching pods
  // behind schedule are not bunched together.
  const slots: number[] = [];
  for (let i = 0; i < m; i++) {
    const overall = Math.floor(((doneMatching + i) * total) / totalMatching) - done;
    const alone = Math.floor((i * n) / m);
    slots.push(Math.max(overall, alone, i === 0 ? 0 : (slots[i - 1] as number) + 1));
  }
  const out: PodView[] = [];
  const others = pods.filter((p) => !matchesTerm(p, term));
  let mi = 0;
  let oi = 0;
  for (let pos = 0; pos < n; pos++) {
    if (mi < m && (slots[mi] === pos || oi >= others.length)) out.push(matching[mi++] as PodView);
    else out.push(others[oi++] as PodView);
  }
  return out;
}

/**
 * Update order (Kruise): {@link compareActivePods}, then priorityStrategy, then scatterStrategy (each term in turn,
 * {@link scatterPods}), and pods already preparing an update (lifecycle PreparingUpdate) before all others.
 * Deterministic and stable: no randomness, ties keep the previous order. Returns a new array.
 */
export function sortForUpdate(pods: readonly PodView[], opts: UpdateOrderOptions = {}): PodView[] {
  const prio = opts.priorityStrategy;
  let sorted = [...pods].sort((a, b) => {
    if (prio) {
      const p = comparePriority(a, b, prio);
      if (p !== 0) return p;
    }
    return compareActivePods(a, b);
  });
  for (const term of opts.scatterStrategy ?? []) sorted = scatterPods(sorted, term, opts.updated);
  const preparing = (p: PodView) => p.lifecycleState === LifecycleState.PreparingUpdate;
  return [...sorted.filter(preparing), ...sorted.filter((p) => !preparing(p))];
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
export function choosePodsToDelete(pods: readonly PodView[], count: number, oldCount: number, updateRevision: string): PodView[] {
  if (count <= 0) return [];
  const oldPods = sortForScaleDown(pods.filter((p) => p.revision !== updateRevision));
  const newPods = sortForScaleDown(pods.filter((p) => p.revision === updateRevision));
  const fromOld = oldPods.slice(0, Math.min(count, Math.max(oldCount, 0)));
  const fromNew = newPods.slice(0, count - fromOld.length);
  // Not enough new pods (the caller's counts were off): fall back to more old pods rather than fewer deletions.
  const more = oldPods.slice(fromOld.length, fromOld.length + (count - fromOld.length - fromNew.length));
  return [...fromOld, ...fromNew, ...more];
}
