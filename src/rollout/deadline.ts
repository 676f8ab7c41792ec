/**
 * The progress deadline (spec.progressDeadlineSeconds), judged once per observation: has the rollout gone too long
 * without a Pod taking a step, and has it moved again since it was declared stuck? Pure; the workflow acts on the
 * verdict (phase, the CloneSet's Progressing condition, rollbackOnFailure).
 */
import { WAITING_ON_OURSELVES, type PodStep } from './steps.js';

export interface DeadlineInput {
  /** spec.progressDeadlineSeconds; null: no deadline. */
  deadlineSeconds: number | null;
  /** Activity clock of this observation (ms). */
  nowMs: number;
  /** Activity clock of the last Pod step (or of the last new target). */
  lastProgressAtMs: number;
  /** Since when the rollout is stuck, or null. */
  stuckSinceMs: number | null;
  /** Lanes in flight and the step each is at. */
  inFlight: Readonly<Record<string, { step?: string }>>;
  /** Nothing left to do this round (the decision after the controls: a paused rollout with nothing in flight is settled). */
  settled: boolean;
  /** For Pods in flight whose containers are not all up: why (from the observation). */
  blocking: Readonly<Record<string, readonly string[]>>;
}

export type DeadlineVerdict =
  /** Nothing to change: within the deadline, no deadline, or still stuck. */
  | { kind: 'unchanged' }
  /** The deadline passed just now: say so, stop taking Pods. `blocking` names the Pods waited on, sorted. */
  | { kind: 'exceeded'; message: string; blocking: string[] }
  /** Stuck before, and a Pod took a step since: moving again. */
  | { kind: 'moving' };

/**
 * The deadline counts only while the rollout waits on the kubelet: lanes at a grace period, minReadySeconds or a
 * lifecycle hook wait on the rollout's own timers or on an operator, which is not being stuck; a rollout with
 * nothing in flight and nothing left to plan is not stuck either.
 */
export function judgeDeadline(i: DeadlineInput): DeadlineVerdict {
  if (i.deadlineSeconds === null) return { kind: 'unchanged' };
  if (i.stuckSinceMs !== null) return i.lastProgressAtMs > i.stuckSinceMs ? { kind: 'moving' } : { kind: 'unchanged' };
  const lanes = Object.entries(i.inFlight);
  const ownWait = lanes.some(([, f]) => WAITING_ON_OURSELVES.includes(f.step as PodStep));
  const working = lanes.length > 0 || !i.settled;
  if (!working || ownWait || i.nowMs - i.lastProgressAtMs <= i.deadlineSeconds * 1000) return { kind: 'unchanged' };
  const blocking = lanes
    .map(([n]) => n)
    .sort()
    .map((n) => {
      const why = i.blocking[n] ?? [];
      return `${n}${why.length > 0 ? ` (${why.join(', ')})` : ''}`;
    });
  const waitingOn = blocking.length > 0 ? `; waiting on ${blocking.join('; ')}` : '';
  return {
    kind: 'exceeded',
    blocking,
    message: `no Pod progressed for ${i.deadlineSeconds}s (progressDeadlineSeconds)${waitingOn}; no new Pods are taken until the CloneSet spec changes`,
  };
}
