/**
 * One round planned next to the data: from an observation of the CloneSet's Pods, the planner's decision and only
 * the Pods the round acts on (what `observePlan` returns to the workflow). Pure: the activity calls it after reading
 * the cluster, the workflow tests' in-memory cluster after reading its model.
 */
import { blockingReasons, imagesOfRevision, planStep, podsToResume, roundPod, type PodView } from '../rollout/index.js';
import type { PlannedObservation, PlanRoundInput } from './types.js';

export interface Observed {
  atMs: number;
  /** The CloneSet's metadata.generation now. */
  generation: number;
  pods: PodView[];
}

/** Plans with `input.target.spec` (the operator's overrides applied); nothing is planned when the generation moved. */
export function planRound(obs: Observed, input: PlanRoundInput): PlannedObservation {
  const t = input.target;
  if (obs.generation !== t.generation) {
    return {
      atMs: obs.atMs,
      generation: obs.generation,
      decision: null,
      pods: {},
      orphans: [],
      orphanPods: {},
      blocking: {},
      ready: 0,
      previousImages: null,
      all: null,
    };
  }
  const decision = planStep({
    spec: t.spec,
    updateRevision: t.updateRevision,
    pods: obs.pods,
    inFlight: input.inFlight,
    nowMs: obs.atMs,
    actionsByRevision: Object.fromEntries(Object.entries(t.revisions).map(([rev, p]) => [rev, p.action])),
  });
  const orphans = podsToResume(obs.pods, t.updateRevision, input.inFlight);
  const picked = new Set([...decision.update.map((u) => u.name), ...decision.scaleDown]);
  const blocking: Record<string, string[]> = {};
  for (const p of obs.pods) {
    const why = p.name in input.inFlight ? blockingReasons(p) : [];
    if (why.length > 0) blocking[p.name] = why;
  }
  return {
    atMs: obs.atMs,
    generation: obs.generation,
    decision,
    pods: Object.fromEntries(obs.pods.filter((p) => picked.has(p.name)).map((p) => [p.name, roundPod(p)])),
    orphans,
    orphanPods: Object.fromEntries(obs.pods.filter((p) => orphans.includes(p.name)).map((p) => [p.name, p])),
    blocking,
    ready: obs.pods.filter((p) => p.ready && !p.deleting).length,
    previousImages: imagesOfRevision(obs.pods, input.fromRevision),
    all: obs.pods.length <= input.fullPodsUpTo ? obs.pods : null,
  };
}
