/**
 * Canary steps in `cloneset-rollout plan`: where the steps come from (`--steps`, `--steps-file` or the CloneSet's
 * `cloneset-rollout.io/steps` annotation, validated with the rollout input's own rules), and the plan run step by step
 * as the workflow runs it: each step's partition (replicas − the step's Pods, never below the CloneSet's own) holds the
 * planner until the step's Pods are settled, then the step's bake time passes, then the next step's partition applies;
 * after the last step every Pod moves. Pure except {@link resolvePlanSteps}, which reads `--steps-file`.
 */
import { readFile } from 'node:fs/promises';
import { describeProvider, resolveMetric, type Metric } from '../rollout/analysis.js';
import {
  STEPS_ANNOTATION,
  describeSteps,
  heldPartition,
  formatErrors,
  parseRolloutInput,
  parseStepsAnnotation,
  simulateRollout,
  stepTargets,
  type CanaryStep,
  type IntOrString,
  type NormalizedCloneSet,
  type PlanSpec,
  type PlanWave,
  type SimulationInput,
  type SimulationResult,
} from '../rollout/index.js';

/** Steps as `plan` takes them: the same JSON as the rollout input's `steps`, already validated. */
export interface GivenSteps {
  steps: readonly CanaryStep[];
  /** Where they came from: `--steps`, `--steps-file FILE` or `annotation cloneset-rollout.io/steps`. */
  source: string;
}

/** One metric of a step's analysis, with the provider it asks. */
export interface StepMetric {
  name: string;
  /** e.g. `prometheus http://prom:9090: sum(rate(errors[1m]))`. */
  provider: string;
}

/** One step of the plan (the `--json` document's `steps[]`). */
export interface StepPlan {
  /** 0-based, as the progress record counts steps. */
  index: number;
  /** As given: an integer or a percent. */
  replicas: IntOrString;
  /** Pods at the new revision once the step is reached (resolved against spec.replicas). */
  pods: number;
  /** The partition that holds the rollout at this step. */
  partition: number;
  /** As given; null: the step does not pause. */
  pause: { duration?: number } | null;
  /** The names of the step's analysis metrics, in order. */
  analysis: string[];
  metrics: StepMetric[];
  /** The planner's waves while this step's partition holds (numbered and timed over the whole rollout). */
  waves: PlanWave[];
  /** Simulated seconds after the start at which the step's Pods are settled; null: the plan stops before. */
  reachedAtSeconds: number | null;
}

/** The steps part of a plan. */
export interface StepsPlan {
  source: string;
  steps: StepPlan[];
  /** After the last step: every Pod but the CloneSet's own partition moves. */
  afterSteps: { pods: number; waves: PlanWave[] };
  /** Steps that wait for an approval: the estimate does not count the wait. */
  approvals: number;
  /** Bake seconds of the steps reached (in the estimate). */
  bakeSeconds: number;
}

/** The metrics of a step's analysis (the rollout input's `steps[i].analysis`, Argo's metric shape). */
function stepMetrics(step: CanaryStep): StepMetric[] {
  const metrics = (step.analysis as { metrics?: readonly Metric[] } | undefined)?.metrics ?? [];
  return metrics.map((m) => {
    let provider: string;
    try {
      provider = describeProvider(resolveMetric(m));
    } catch {
      provider = 'no provider';
    }
    return { name: m.name, provider };
  });
}

/**
 * The steps a plan takes: `--steps JSON` or `--steps-file FILE` (either, not both), else the CloneSet's annotation,
 * else none. Refused with every bad field named (as the rollout would refuse them).
 */
export async function resolvePlanSteps(flags: { steps?: string; stepsFile?: string }, desired: NormalizedCloneSet): Promise<GivenSteps | null> {
  if (flags.steps !== undefined && flags.stepsFile !== undefined) throw new Error('--steps and --steps-file: give one of them');
  if (flags.steps !== undefined) return { steps: parseStepsJson(flags.steps, '--steps'), source: '--steps' };
  if (flags.stepsFile !== undefined) {
    let text: string;
    try {
      text = await readFile(flags.stepsFile, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new Error(`--steps-file ${flags.stepsFile}: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`, { cause: err });
    }
    return { steps: parseStepsJson(text, `--steps-file ${flags.stepsFile}`), source: `--steps-file ${flags.stepsFile}` };
  }
  const raw = desired.metadata.annotations?.[STEPS_ANNOTATION];
  if (raw === undefined) return null;
  const parsed = parseStepsAnnotation(raw);
  if (!parsed.ok) throw new Error(`CloneSet ${desired.metadata.namespace}/${desired.metadata.name}: ${formatErrors(parsed.errors)}`);
  return { steps: parsed.value as CanaryStep[], source: `annotation ${STEPS_ANNOTATION}` };
}

/** `--steps` JSON, checked as the rollout input's `steps` (problems named `steps[0].replicas`, …). */
export function parseStepsJson(text: string, what: string): CanaryStep[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`${what}: is not JSON: ${(err as Error).message}`, { cause: err });
  }
  const v = parseRolloutInput({ namespace: 'default', name: 'plan', steps: json });
  if (!v.ok) throw new Error(`${what}: ${formatErrors(v.errors)}`);
  return (v.value.steps ?? []) as CanaryStep[];
}

/** The steps resolved against the spec, none reached yet (no waves): what a plan that moves nothing shows. */
export function listSteps(given: GivenSteps, spec: Pick<PlanSpec, 'replicas' | 'partition'>): StepsPlan {
  const targets = stepTargets(given.steps, spec.replicas);
  return {
    source: given.source,
    steps: given.steps.map((s, index) => {
      const metrics = stepMetrics(s);
      return {
        index,
        replicas: s.replicas,
        pods: targets[index]!,
        partition: heldPartition(given.steps, index, spec),
        pause: s.pause ?? null,
        analysis: metrics.map((m) => m.name),
        metrics,
        waves: [],
        reachedAtSeconds: null,
      };
    }),
    afterSteps: { pods: spec.replicas - spec.partition, waves: [] },
    approvals: given.steps.filter((s) => s.pause && s.pause.duration === undefined).length,
    bakeSeconds: 0,
  };
}

/** A simulation result minus its trace, as a plan carries it. */
export type PlanSimulation = Omit<SimulationResult, 'trace'>;

/**
 * The rollout simulated step by step: one planner simulation per step under the step's partition, each from the
 * Pods the one before left, the clock moved on by the step's bake time; then one with the CloneSet's own partition.
 * The waves are numbered and timed over the whole rollout; the totals are over every part.
 */
export function simulateSteps(input: SimulationInput & { startMs: number }, given: GivenSteps): PlanSimulation & { steps: StepsPlan } {
  const { spec } = input;
  const sims: SimulationResult[] = [];
  const steps: StepPlan[] = [];
  let pods = input.pods;
  let clock = input.startMs;
  let stopped: SimulationResult | null = null;
  let waveNo = 0;
  let bakeSeconds = 0;
  const run = (partition: number): PlanWave[] => {
    const offset = (clock - input.startMs) / 1000;
    // Lanes already running are the first part's; later parts start from the Pods it left.
    const sim = simulateRollout({ ...input, ...(sims.length > 0 ? { inFlight: {} } : {}), spec: { ...spec, partition }, pods, startMs: clock, trace: true });
    sims.push(sim);
    pods = sim.trace?.pods ?? pods;
    clock += Math.round(sim.estimatedSeconds * 1000);
    if (!sim.done) stopped = sim;
    return sim.waves.map((w) => ({ ...w, wave: ++waveNo, atSeconds: w.atSeconds + offset }));
  };
  const listed = listSteps(given, spec).steps;
  listed.forEach((step, index) => {
    steps.push(step);
    const s = given.steps[index]!;
    if (stopped) return;
    step.waves = run(step.partition);
    if (stopped) return;
    step.reachedAtSeconds = (clock - input.startMs) / 1000;
    const bake = s.pause?.duration ?? 0;
    bakeSeconds += bake;
    clock += bake * 1000;
  });
  const afterSteps = { pods: spec.replicas - spec.partition, waves: stopped ? [] : run(spec.partition) };
  const last = (stopped ?? sims[sims.length - 1]) as SimulationResult;
  const first = sims[0] as SimulationResult;
  const sum = (f: (s: SimulationResult) => number) => sims.reduce((n, s) => n + f(s), 0);
  const max = (f: (s: SimulationResult) => number) => Math.max(...sims.map(f));
  const waves = [...steps.flatMap((s) => s.waves), ...afterSteps.waves];
  return {
    outcome: last.outcome,
    done: last.done,
    reason: last.reason,
    blocked: last.blocked,
    updateRevision: last.updateRevision,
    inFlight: first.inFlight,
    waves,
    totals: {
      waves: waves.length,
      inPlace: sum((s) => s.totals.inPlace),
      recreate: sum((s) => s.totals.recreate),
      create: sum((s) => s.totals.create),
      delete: sum((s) => s.totals.delete),
      surge: max((s) => s.totals.surge),
      maxUnavailable: max((s) => s.totals.maxUnavailable),
      maxPods: max((s) => s.totals.maxPods),
      minServing: Math.min(...sims.map((s) => s.totals.minServing)),
      remainingOld: last.totals.remainingOld,
    },
    estimatedSeconds: (clock - input.startMs) / 1000,
    timings: first.timings,
    rounds: sum((s) => s.rounds),
    steps: { ...listSteps(given, spec), steps, afterSteps, bakeSeconds },
  };
}

/** The header line of each step, e.g. `step 1: 1 of 4 Pod(s) at the new revision (replicas 1), then pause for an approval`. */
export function stepHeaders(steps: readonly StepPlan[], replicas: number): string[] {
  return describeSteps(
    steps.map((s) => ({
      replicas: s.replicas,
      ...(s.pause ? { pause: s.pause } : {}),
      ...(s.metrics.length > 0 ? { analysis: { metrics: s.metrics.map((m) => ({ name: `${m.name} (${m.provider})` })) } } : {}),
    })),
    replicas,
  );
}
