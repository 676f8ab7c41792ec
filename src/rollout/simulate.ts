/**
 * The rollout plan before anything moves: runs the real planner ({@link planStep}) round after round over simulated
 * Pods, applying each decision the way the workflow's lanes do, and records the *waves* (the Pods that start moving
 * together), totals and an estimated duration.
 *
 * Pure and deterministic: no I/O, no clock, no randomness, no Node built-ins; safe in Temporal's workflow sandbox
 * (e.g. behind a `plan` query). Time is simulated, event by event, in epoch ms from `startMs`.
 *
 * Lanes, as in src/workflows/rollout.ts:
 * - inPlace: InPlaceUpdateReady=False at once; after gracePeriodSeconds the revision label and images are patched;
 *   restartSeconds later the containers run the new images and the Pod is Ready; minReadySeconds later it is
 *   available and the lane ends.
 * - recreate: the Pod terminates (terminateSeconds), then its replacement is created at the update revision and
 *   follows the create lane (the slot is handed over in one step).
 * - create: the Pod appears Pending, is Ready startSeconds later and available minReadySeconds after that.
 * - delete: the Pod terminates (terminateSeconds) and is gone.
 * The planner is consulted at the start, whenever a lane ends, at the decision's `nextCheckAtMs`, as the workflow
 * does, and again at once after a round that started something (the workflow does so within its resync interval).
 * Pods no lane works on settle on their own: a Pod not Ready (or not lifecycle Normal) becomes Ready startSeconds
 * after the start, a terminating Pod is gone terminateSeconds after the start (an optimistic guess for a live
 * cluster).
 */
import { PodUpdateAction } from './inplace.js';
import { DecisionPhase, planStep, type InFlight, type PlanSpec, type RolloutDecision } from './plan.js';
import { isLifecycleNormal, isPodActive, isPodAvailableForWindow, isPodReady, type ContainerView, type PodView } from './podview.js';
import { Labels, LifecycleState, PodPhase, type PodTemplateSpec } from './types.js';

/** How a Pod moves in a plan. */
export type PlannedAction = 'inPlace' | 'recreate' | 'create' | 'delete';

/** One Pod starting to move. */
export interface PlannedMove {
  /** The Pod (for create: the simulated name of the new Pod). */
  name: string;
  action: PlannedAction;
  /** Revision it leaves; null for create. */
  from: string | null;
  /** Revision it ends on; null for delete. */
  to: string | null;
  /** recreate: the simulated name of the replacement Pod, once it is created. */
  replacement?: string;
}

/** Pods that start moving together: everything one planner round started. */
export interface PlanWave {
  /** 1-based. */
  wave: number;
  /** When the wave starts, in seconds after the simulation start. */
  atSeconds: number;
  phase: 'scaling' | 'updating';
  pods: PlannedMove[];
  /** Pods unavailable right after the wave started (any revision, terminating and in flight included). */
  unavailable: number;
}

/** Per-Pod timings, in seconds. */
export interface SimulationTimings {
  /** updateStrategy.inPlaceUpdateStrategy.gracePeriodSeconds: gate off → images patched. */
  gracePeriodSeconds: number;
  /** Images patched → containers restarted and the Pod Ready again. */
  restartSeconds: number;
  /** Pod created → Running and Ready. */
  startSeconds: number;
  /** Pod deleted → gone. */
  terminateSeconds: number;
  /** Ready → available (spec.minReadySeconds). */
  minReadySeconds: number;
}

/** Defaults for the timings the spec does not give. */
export const DEFAULT_SIMULATION_TIMINGS: Pick<SimulationTimings, 'restartSeconds' | 'startSeconds' | 'terminateSeconds'> = {
  restartSeconds: 5,
  startSeconds: 10,
  terminateSeconds: 5,
};

/** Input of {@link simulateRollout}. Plain JSON except the optional `newPodName`. */
export interface SimulationInput {
  spec: PlanSpec;
  /** Revision Pods should end on. */
  updateRevision: string;
  /** The Pods as observed now. Not modified. */
  pods: readonly PodView[];
  /** Lanes already running (a workflow's in-flight Pods); each is simulated from its first step. */
  inFlight?: Record<string, InFlight>;
  /** How Pods of each old revision move (planner's actionsByRevision). */
  actionsByRevision?: Record<string, PodUpdateAction>;
  /** Defaults: gracePeriodSeconds 0, minReadySeconds spec.minReadySeconds, the rest {@link DEFAULT_SIMULATION_TIMINGS}. */
  timings?: Partial<SimulationTimings>;
  /**
   * Simulated start, epoch ms: the planner's nowMs of the first round, against which the Pods' timestamps are read
   * (a workflow passes its now). Default: the latest creation or Ready time among the Pods plus minReadySeconds, so
   * that every Pod Ready then counts as available (0 if there are no Pods).
   */
  startMs?: number;
  /** Template of the update revision: labels and images of created Pods, images and labels of patched Pods. */
  newPodTemplate?: PodTemplateSpec;
  /** Names of simulated new Pods, n = 1, 2, …; default `new-${n}`. Must be deterministic and unique. */
  newPodName?: (n: number, action: 'create' | 'recreate') => string;
  /** Stop after this many planner rounds (default 100000). */
  maxRounds?: number;
  /** Stop after this many simulated seconds (default: no limit). */
  maxSeconds?: number;
  /** Include the final Pods and every round's decision in the result (for tests and debugging). */
  trace?: boolean;
}

/**
 * How the simulation ended: every replica updated (but partition) and available; paused with Pods left to update;
 * blocked by Pods that can not be updated (InPlaceOnly); stuck with nothing left that could make progress; or stopped
 * at maxRounds/maxSeconds.
 */
export type SimulationOutcome = 'done' | 'paused' | 'blocked' | 'stuck' | 'limit';

/** Totals over the waves. */
export interface PlanTotals {
  waves: number;
  inPlace: number;
  recreate: number;
  create: number;
  delete: number;
  /** Most surge Pods the planner used at once (maxSurge, only when some Pod is recreated). */
  surge: number;
  /** Most Pods unavailable at once (any revision, terminating and in flight included). */
  maxUnavailable: number;
  /** Most Pods present at once (terminating included). */
  maxPods: number;
  /**
   * Fewest Pods serving traffic at once (Ready, not terminating, no lane on them): what the window guarantees, at
   * least `replicas − maxUnavailable` (or every Pod, when fewer exist).
   */
  minServing: number;
  /** Pods left on other revisions at the end (partition, paused, blocked). */
  remainingOld: number;
}

/** Result of {@link simulateRollout}. Plain JSON (unless `trace`, which is plain JSON too). */
export interface SimulationResult {
  outcome: SimulationOutcome;
  done: boolean;
  /** Why it stopped short of done ('' when done), e.g. 'paused with 4 pod(s) left to update'. */
  reason: string;
  /** Pods that can not be updated, with the reason (outcome blocked). */
  blocked: { name: string; reason: string }[];
  updateRevision: string;
  /** Lanes already running at the start (from `inFlight`). */
  inFlight: PlannedMove[];
  waves: PlanWave[];
  totals: PlanTotals;
  /** Simulated seconds from the start until done (or until the simulation stopped). */
  estimatedSeconds: number;
  /** The timings used. */
  timings: SimulationTimings;
  /** Planner rounds run. */
  rounds: number;
  trace?: { pods: PodView[]; rounds: { atMs: number; decision: RolloutDecision }[] };
}

type LaneStep = 'patch' | 'ready' | 'available' | 'gone';

interface Lane {
  action: InFlight['action'];
  step: LaneStep;
  atMs: number;
  /** Order of creation, to break ties between events at the same time. */
  seq: number;
  move?: PlannedMove;
}

interface Settle {
  name: string;
  step: 'ready' | 'gone';
  atMs: number;
}

/** Resolves the timings against the spec and the defaults. */
export function simulationTimings(spec: PlanSpec, t: Partial<SimulationTimings> = {}): SimulationTimings {
  return {
    gracePeriodSeconds: t.gracePeriodSeconds ?? 0,
    restartSeconds: t.restartSeconds ?? DEFAULT_SIMULATION_TIMINGS.restartSeconds,
    startSeconds: t.startSeconds ?? DEFAULT_SIMULATION_TIMINGS.startSeconds,
    terminateSeconds: t.terminateSeconds ?? DEFAULT_SIMULATION_TIMINGS.terminateSeconds,
    minReadySeconds: t.minReadySeconds ?? spec.minReadySeconds,
  };
}

function readyContainers(cs: ContainerView[]): ContainerView[] {
  return cs.map((c) => ({
    ...c,
    statusImage: c.specImage,
    imageID: `${c.specImage}@simulated`,
    ready: true,
    started: true,
    waitingReason: null,
  }));
}

/**
 * Simulates the rollout from the given Pods to `updateRevision` with the real planner and returns its waves,
 * totals and estimated duration. Nothing outside the returned value is touched.
 */
export function simulateRollout(input: SimulationInput): SimulationResult {
  const { spec, updateRevision: upd } = input;
  const timings = simulationTimings(spec, input.timings);
  const sec = (s: number) => Math.round(s * 1000);
  const latest = input.pods.reduce((m, p) => Math.max(m, p.creationTimestamp ?? 0, p.readySinceMs ?? 0), 0);
  const start = input.startMs ?? (input.pods.length === 0 ? 0 : latest + sec(timings.minReadySeconds));
  const maxRounds = input.maxRounds ?? 100_000;
  const endBy = input.maxSeconds === undefined ? Infinity : start + sec(input.maxSeconds);
  const template = input.newPodTemplate;
  const nameFor = input.newPodName ?? ((n: number) => `new-${n}`);

  let pods: PodView[] = input.pods.map((p) => ({ ...p, labels: { ...p.labels }, containers: p.containers.map((c) => ({ ...c })) }));
  const lanes: Record<string, Lane> = {};
  const settles: Settle[] = [];
  const waves: PlanWave[] = [];
  const inFlightMoves: PlannedMove[] = [];
  const trace: { atMs: number; decision: RolloutDecision }[] = [];
  let seq = 0;
  let created = 0;
  let maxUnavailable = 0;
  let maxPods = 0;
  let minServing: number | null = null;
  let surge = 0;

  const find = (name: string) => pods.find((p) => p.name === name);
  const set = (name: string, patch: Partial<PodView>) => {
    pods = pods.map((p) => (p.name === name ? { ...p, ...patch } : p));
  };
  const setLabels = (name: string, labels: Record<string, string>) => {
    const p = find(name);
    if (p) set(name, { labels: { ...p.labels, ...labels } });
  };
  const newName = (action: 'create' | 'recreate'): string => {
    for (;;) {
      const name = nameFor(++created, action);
      if (!find(name) && !lanes[name]) return name;
    }
  };
  const lane = (name: string, l: Omit<Lane, 'seq'>) => {
    lanes[name] = { ...l, seq: seq++ };
  };

  /** Adds a new Pod at the update revision, Pending. */
  const addPod = (name: string, now: number) => {
    const labels = { ...(template?.metadata?.labels ?? {}) };
    labels[Labels.revision] = upd;
    labels[Labels.instanceId] = name.split('-').pop() ?? name;
    labels[Labels.lifecycleState] = LifecycleState.PreparingNormal; // Normal once bound (becomeReady)
    pods.push({
      name,
      uid: `simulated-${name}`,
      revision: upd,
      instanceId: labels[Labels.instanceId] ?? null,
      creationTimestamp: now,
      phase: PodPhase.Pending,
      deleting: false,
      nodeName: null,
      ready: false,
      readySinceMs: null,
      gateReady: true,
      hasGate: true,
      containers: (template?.spec.containers ?? []).map((c) => ({
        name: c.name,
        specImage: c.image,
        statusImage: null,
        imageID: null,
        ready: false,
        restartCount: 0,
        started: null,
        waitingReason: null,
      })),
      restartCount: 0,
      lifecycleState: LifecycleState.PreparingNormal,
      inPlaceState: null,
      inPlaceGracePending: false,
      labels,
    });
  };

  const startCreate = (name: string, now: number, move?: PlannedMove) => {
    if (!find(name)) addPod(name, now);
    const p = find(name) as PodView;
    if (p.ready) lane(name, { action: 'create', step: 'available', atMs: now + sec(timings.minReadySeconds), move });
    else lane(name, { action: 'create', step: 'ready', atMs: now + sec(timings.startSeconds), move });
  };

  const startDelete = (name: string, action: 'delete' | 'recreate', now: number, move?: PlannedMove) => {
    set(name, { deleting: true });
    lane(name, { action, step: 'gone', atMs: now + sec(timings.terminateSeconds), move });
  };

  const patchInPlace = (name: string) => {
    const images: Record<string, string> = {};
    for (const c of template?.spec.containers ?? []) images[c.name] = c.image;
    const p = find(name);
    if (!p) return;
    set(name, {
      revision: upd,
      lifecycleState: LifecycleState.Updating,
      inPlaceGracePending: false,
      containers: p.containers.map((c) => (images[c.name] ? { ...c, specImage: images[c.name] as string } : c)),
    });
    setLabels(name, { ...(template?.metadata?.labels ?? {}), [Labels.revision]: upd, [Labels.lifecycleState]: LifecycleState.Updating });
  };

  const startInPlace = (name: string, now: number, move?: PlannedMove) => {
    set(name, { gateReady: false, ready: false, readySinceMs: null });
    if (timings.gracePeriodSeconds > 0) {
      set(name, { inPlaceGracePending: true });
      lane(name, { action: 'inPlace', step: 'patch', atMs: now + sec(timings.gracePeriodSeconds), move });
    } else {
      patchInPlace(name);
      lane(name, { action: 'inPlace', step: 'ready', atMs: now + sec(timings.restartSeconds), move });
    }
  };

  const becomeReady = (name: string, now: number) => {
    const p = find(name);
    if (!p) return;
    set(name, {
      phase: PodPhase.Running,
      nodeName: p.nodeName ?? 'simulated-node',
      ready: true,
      readySinceMs: now,
      gateReady: true,
      lifecycleState: LifecycleState.Normal,
      containers: readyContainers(p.containers),
    });
    setLabels(name, { [Labels.lifecycleState]: LifecycleState.Normal });
  };

  /** Advances one lane by one step. Returns true if the lane ended (a wake-up for the planner). */
  const stepLane = (name: string, l: Lane, now: number): boolean => {
    switch (l.step) {
      case 'patch':
        patchInPlace(name);
        lanes[name] = { ...l, step: 'ready', atMs: now + sec(timings.restartSeconds) };
        return false;
      case 'ready':
        becomeReady(name, now);
        lanes[name] = { ...l, step: 'available', atMs: now + sec(timings.minReadySeconds) };
        return false;
      case 'available':
        delete lanes[name];
        return true;
      case 'gone': {
        pods = pods.filter((p) => p.name !== name);
        delete lanes[name];
        if (l.action !== 'recreate') return true;
        // Hand the slot over, as the workflow's recreate lane does: the old Pod leaves as its replacement enters.
        const repl = newName('recreate');
        if (l.move) l.move.replacement = repl;
        startCreate(repl, now);
        return false;
      }
    }
  };

  /** Processes every lane step and settle due at or before `now`, in time order. Returns true on a wake-up. */
  const advance = (now: number): boolean => {
    let wake = false;
    for (;;) {
      let next: { kind: 'lane'; name: string; l: Lane } | { kind: 'settle'; i: number } | null = null;
      let nextAt = Infinity;
      let nextSeq = Infinity;
      for (const name of Object.keys(lanes)) {
        const l = lanes[name] as Lane;
        if (l.atMs <= now && (l.atMs < nextAt || (l.atMs === nextAt && l.seq < nextSeq))) {
          next = { kind: 'lane', name, l };
          nextAt = l.atMs;
          nextSeq = l.seq;
        }
      }
      settles.forEach((s, i) => {
        if (s.atMs <= now && s.atMs < nextAt) {
          next = { kind: 'settle', i };
          nextAt = s.atMs;
        }
      });
      if (next === null) return wake;
      const ev = next as { kind: 'lane'; name: string; l: Lane } | { kind: 'settle'; i: number };
      if (ev.kind === 'lane') {
        if (stepLane(ev.name, ev.l, ev.l.atMs)) wake = true;
      } else {
        const s = settles.splice(ev.i, 1)[0] as Settle;
        if (lanes[s.name]) continue; // a lane took the Pod over
        if (s.step === 'gone') pods = pods.filter((p) => p.name !== s.name);
        else if (find(s.name) && !find(s.name)?.deleting) becomeReady(s.name, s.atMs);
        wake = true;
      }
    }
  };

  const nextEventAt = (): number | null => {
    let at: number | null = null;
    for (const l of Object.values(lanes)) if (at === null || l.atMs < at) at = l.atMs;
    for (const s of settles) if (at === null || s.atMs < at) at = s.atMs;
    return at;
  };

  const measure = (now: number) => {
    const observed = pods.filter((p) => p.deleting || isPodActive(p));
    const unavailable = observed.filter((p) => lanes[p.name] !== undefined || !isPodAvailableForWindow(p, timings.minReadySeconds, now)).length;
    maxUnavailable = Math.max(maxUnavailable, unavailable);
    maxPods = Math.max(maxPods, observed.length);
    const serving = observed.filter((p) => !p.deleting && lanes[p.name] === undefined && isPodReady(p)).length;
    minServing = minServing === null ? serving : Math.min(minServing, serving);
    return unavailable;
  };

  // Lanes already running, each from its first step; Pods nobody works on settle on their own.
  for (const name of Object.keys(input.inFlight ?? {}).sort()) {
    const f = (input.inFlight as Record<string, InFlight>)[name] as InFlight;
    const p = find(name);
    const move: PlannedMove = { name, action: f.action, from: f.action === 'create' ? null : (p?.revision ?? null), to: f.action === 'delete' ? null : upd };
    inFlightMoves.push(move);
    if (f.action === 'inPlace') {
      if (p) startInPlace(name, start, move);
    } else if (f.action === 'delete') {
      if (p) startDelete(name, 'delete', start, move);
    } else if (f.action === 'recreate') {
      const repl = f.newPodName && f.newPodName !== name ? f.newPodName : undefined;
      if (p && !(repl && find(repl))) startDelete(name, 'recreate', start, move);
      else {
        move.replacement = repl ?? name;
        startCreate(repl ?? name, start);
      }
    } else startCreate(name, start, move);
  }
  for (const p of pods) {
    if (lanes[p.name]) continue;
    if (p.deleting) settles.push({ name: p.name, step: 'gone', atMs: start + sec(timings.terminateSeconds) });
    else if (isPodActive(p) && (!isPodReady(p) || !isLifecycleNormal(p))) {
      settles.push({ name: p.name, step: 'ready', atMs: start + sec(timings.startSeconds) });
    }
  }

  let now = start;
  let rounds = 0;
  let last: RolloutDecision | null = null;
  let outcome: SimulationOutcome = 'stuck';
  measure(now);
  for (;;) {
    advance(now);
    const inFlight: Record<string, InFlight> = {};
    for (const name of Object.keys(lanes).sort()) inFlight[name] = { action: (lanes[name] as Lane).action, step: 'simulated' };
    const decision = planStep({ spec, updateRevision: upd, pods, inFlight, nowMs: now, actionsByRevision: input.actionsByRevision });
    rounds++;
    last = decision;
    if (input.trace) trace.push({ atMs: now, decision });
    surge = Math.max(surge, decision.counts.useSurge);
    if (decision.done) {
      outcome = 'done';
      break;
    }

    const moves: PlannedMove[] = [];
    for (let i = 0; i < decision.scaleUp; i++) {
      const name = newName('create');
      const move: PlannedMove = { name, action: 'create', from: null, to: upd };
      moves.push(move);
      startCreate(name, now, move);
    }
    for (const name of decision.scaleDown) {
      const move: PlannedMove = { name, action: 'delete', from: find(name)?.revision ?? null, to: null };
      moves.push(move);
      startDelete(name, 'delete', now, move);
    }
    for (const u of decision.update) {
      const move: PlannedMove = { name: u.name, action: u.action, from: find(u.name)?.revision ?? null, to: upd };
      moves.push(move);
      if (u.action === PodUpdateAction.InPlace) startInPlace(u.name, now, move);
      else startDelete(u.name, 'recreate', now, move);
    }
    const unavailable = measure(now);
    if (moves.length > 0) {
      waves.push({
        wave: waves.length + 1,
        atSeconds: (now - start) / 1000,
        phase: decision.update.length > 0 ? 'updating' : 'scaling',
        pods: moves,
        unavailable,
      });
    }

    if (rounds >= maxRounds) {
      outcome = 'limit';
      break;
    }
    // Having acted, plan again at once: the lanes just started count against the window from now on.
    if (moves.length > 0) continue;
    // Nothing started: sleep until a lane ends, a Pod settles or nextCheckAtMs, as the workflow does (lane steps in
    // between change nothing for the planner).
    let woke = false;
    while (!woke) {
      const lanesAt = nextEventAt();
      const checkAt = decision.nextCheckAtMs !== null && decision.nextCheckAtMs > now ? decision.nextCheckAtMs : null;
      const at = lanesAt === null ? checkAt : checkAt === null ? lanesAt : Math.min(lanesAt, checkAt);
      if (at === null) break;
      if (at > endBy) {
        outcome = 'limit';
        break;
      }
      now = Math.max(now, at);
      woke = advance(now) || (checkAt !== null && now >= checkAt);
      measure(now);
    }
    if (outcome === 'limit') break;
    if (!woke) {
      outcome = decision.phase === DecisionPhase.Paused ? 'paused' : decision.phase === DecisionPhase.Blocked ? 'blocked' : 'stuck';
      break;
    }
  }

  const moves = waves.flatMap((w) => w.pods);
  const count = (a: PlannedAction) => moves.filter((m) => m.action === a).length;
  const d = last as RolloutDecision;
  const result: SimulationResult = {
    outcome,
    done: outcome === 'done',
    reason:
      outcome === 'done'
        ? ''
        : outcome === 'limit'
          ? `simulation stopped after ${rounds} round(s), ${(now - start) / 1000}s: ${d.waiting || d.phase}`
          : d.waiting || d.phase,
    blocked: outcome === 'done' ? [] : d.blocked,
    updateRevision: upd,
    inFlight: inFlightMoves,
    waves,
    totals: {
      waves: waves.length,
      inPlace: count('inPlace'),
      recreate: count('recreate'),
      create: count('create'),
      delete: count('delete'),
      surge,
      maxUnavailable,
      maxPods,
      minServing: minServing ?? 0,
      remainingOld: pods.filter((p) => !p.deleting && isPodActive(p) && p.revision !== upd).length,
    },
    estimatedSeconds: (now - start) / 1000,
    timings,
    rounds,
  };
  if (input.trace) result.trace = { pods, rounds: trace };
  return result;
}
