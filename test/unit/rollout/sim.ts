/**
 * The planner tests' cluster + workflow stand-in: a thin wrapper over the product simulator
 * (src/rollout/simulate.ts), which applies each RolloutDecision the way the workflow's lanes do (gate off → patch →
 * ready → available; delete → gone; create → pending → ready) and records what was unavailable at every instant.
 * Keeps the shape the planner tests were written against: times in whole test seconds from NOW, new Pods named
 * `c-N` (scale-up) and `r-N` (recreate replacements), running nginx:latest.
 */
import { simulateRollout, type PlanSpec, type PodUpdateAction, type PodView, type RolloutDecision, type SimulationResult } from '../../../src/rollout/index.js';
import { NOW, SEC } from './fixtures.js';

export interface SimOptions {
  spec: PlanSpec;
  pods: PodView[];
  updateRevision?: string;
  actionsByRevision?: Record<string, PodUpdateAction>;
  /** Seconds from patch to Ready for an in-place update (default 3). */
  inPlaceSeconds?: number;
  /** Seconds a deleted pod takes to go away (default 2). */
  terminateSeconds?: number;
  /** Seconds from create to Ready (default 4). */
  startSeconds?: number;
  /** Stop after this many simulated seconds (default 2000). */
  maxSeconds?: number;
}

export interface SimResult {
  done: boolean;
  seconds: number;
  pods: PodView[];
  /** Max unavailable pods (observed, any reason, terminating included) seen at any instant. */
  maxUnavailable: number;
  /** Max pods observed at once (terminating included). */
  maxPods: number;
  /** Fewest pods serving at once (Ready, not terminating, no lane). */
  minServing: number;
  decisions: { at: number; decision: RolloutDecision }[];
  /** The product simulator's full result (waves, totals). */
  result: SimulationResult;
}

export function simulate(o: SimOptions): SimResult {
  const result = simulateRollout({
    spec: o.spec,
    pods: o.pods,
    updateRevision: o.updateRevision ?? 'new',
    actionsByRevision: o.actionsByRevision,
    timings: {
      gracePeriodSeconds: 0,
      restartSeconds: o.inPlaceSeconds ?? 3,
      terminateSeconds: o.terminateSeconds ?? 2,
      startSeconds: o.startSeconds ?? 4,
    },
    startMs: NOW,
    maxSeconds: o.maxSeconds ?? 2000,
    newPodTemplate: { metadata: { labels: { app: 'nginxweb1' } }, spec: { containers: [{ name: 'nginx', image: 'nginx:latest' }] } },
    newPodName: (n, action) => `${action === 'create' ? 'c' : 'r'}-${n}`,
    trace: true,
  });
  const trace = result.trace!;
  return {
    done: result.done,
    seconds: result.estimatedSeconds,
    pods: trace.pods,
    maxUnavailable: result.totals.maxUnavailable,
    maxPods: result.totals.maxPods,
    minServing: result.totals.minServing,
    decisions: trace.rounds.map((r) => ({ at: (r.atMs - NOW) / SEC, decision: r.decision })),
    result,
  };
}
