/**
 * A tiny deterministic cluster + workflow stand-in for planner tests: it applies each RolloutDecision the way the
 * workflow's lanes would (gate off → patch → ready → available; delete → gone; create → pending → ready), one
 * simulated second at a time, and records what was unavailable at every instant.
 */
import {
  isPodAvailableForWindow,
  planStep,
  type InFlight,
  type PlanSpec,
  type PodUpdateAction,
  type PodView,
  type RolloutDecision,
} from '../../../src/rollout/index.js';
import { NOW, pod, SEC } from './fixtures.js';

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

interface Lane {
  action: InFlight['action'];
  startedAt: number;
  /** recreate: the replacement's name once the old pod is gone. */
  replacement?: string;
}

export interface SimResult {
  done: boolean;
  seconds: number;
  pods: PodView[];
  /** Max unavailable pods (observed, any reason, terminating included) seen at any instant after a round. */
  maxUnavailable: number;
  /** Max pods observed at once (terminating included). */
  maxPods: number;
  decisions: { at: number; decision: RolloutDecision }[];
}

export function simulate(o: SimOptions): SimResult {
  const upd = o.updateRevision ?? 'new';
  const inPlaceMs = (o.inPlaceSeconds ?? 3) * SEC;
  const terminateMs = (o.terminateSeconds ?? 2) * SEC;
  const startMs = (o.startSeconds ?? 4) * SEC;
  const min = o.spec.minReadySeconds;
  let pods = o.pods.map((p) => ({ ...p }));
  const lanes: Record<string, Lane> = {};
  const decisions: SimResult['decisions'] = [];
  let created = 0;
  let maxUnavailable = 0;
  let maxPods = 0;
  const set = (name: string, patch: Partial<PodView>) => {
    pods = pods.map((p) => (p.name === name ? { ...p, ...patch } : p));
  };
  const newPod = (name: string, now: number): PodView => ({
    ...pod(name, { revision: upd, readyFor: null, phase: 'Pending', nodeName: null, image: 'nginx:latest' }),
    creationTimestamp: now,
  });

  for (let t = 0; t <= (o.maxSeconds ?? 2000); t++) {
    const now = NOW + t * SEC;
    // Advance lanes.
    for (const name of Object.keys(lanes).sort()) {
      const lane = lanes[name]!;
      const age = now - lane.startedAt;
      const p = pods.find((x) => x.name === name);
      if (lane.action === 'inPlace') {
        if (age >= inPlaceMs && p && !p.ready) set(name, { ready: true, readySinceMs: now, gateReady: true, lifecycleState: 'Normal' });
        const q = pods.find((x) => x.name === name);
        if (!q || isPodAvailableForWindow(q, min, now)) delete lanes[name];
      } else if (lane.action === 'delete' || (lane.action === 'recreate' && !lane.replacement)) {
        if (age >= terminateMs) {
          pods = pods.filter((x) => x.name !== name);
          if (lane.action === 'delete') delete lanes[name];
          else {
            // Hand the slot over, as the workflow's recreate lane does.
            delete lanes[name];
            const repl = `r-${created++}`;
            pods.push(newPod(repl, now));
            lanes[repl] = { action: 'create', startedAt: now };
          }
        }
      } else if (lane.action === 'create') {
        if (!p) pods.push(newPod(name, now));
        else if (p.phase === 'Pending' && age >= startMs) {
          set(name, { phase: 'Running', nodeName: 'node-1', ready: true, readySinceMs: now, gateReady: true, lifecycleState: 'Normal' });
        }
        const q = pods.find((x) => x.name === name);
        if (q && isPodAvailableForWindow(q, min, now)) delete lanes[name];
      }
    }

    const inFlight: Record<string, InFlight> = {};
    for (const [name, lane] of Object.entries(lanes)) inFlight[name] = { action: lane.action, step: 'sim' };
    const decision = planStep({ spec: o.spec, updateRevision: upd, pods, inFlight, nowMs: now, actionsByRevision: o.actionsByRevision });
    decisions.push({ at: t, decision });
    if (decision.done) return { done: true, seconds: t, pods, maxUnavailable, maxPods, decisions };

    for (let i = 0; i < decision.scaleUp; i++) {
      const name = `c-${created++}`;
      lanes[name] = { action: 'create', startedAt: now };
    }
    for (const name of decision.scaleDown) {
      lanes[name] = { action: 'delete', startedAt: now };
      set(name, { deleting: true });
    }
    for (const u of decision.update) {
      if (u.action === 'inPlace') {
        lanes[u.name] = { action: 'inPlace', startedAt: now };
        // Gate off, then revision label + images patched (grace 0): UPDATED rises at once.
        set(u.name, { gateReady: false, ready: false, readySinceMs: null, revision: upd, lifecycleState: 'Updating' });
      } else {
        lanes[u.name] = { action: 'recreate', startedAt: now };
        set(u.name, { deleting: true });
      }
    }
    const unavailable = pods.filter((p) => !isPodAvailableForWindow(p, min, now)).length;
    maxUnavailable = Math.max(maxUnavailable, unavailable);
    maxPods = Math.max(maxPods, pods.length);
  }
  return { done: false, seconds: o.maxSeconds ?? 2000, pods, maxUnavailable, maxPods, decisions };
}
