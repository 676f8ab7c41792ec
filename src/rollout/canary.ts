/**
 * Canary steps in OpenKruise Rollouts' shape, the pure part: the `steps` a rollout takes, how each step becomes the
 * planner's partition, when a step is reached, and the checks of the `approve` and `promote` Updates.
 *
 *   steps: [{ "replicas": 1, "pause": {} }, { "replicas": "50%", "pause": { "duration": 300 } }, { "replicas": "100%" }]
 *
 * `replicas` is how many Pods are at the new revision once the step is reached (an integer, or a percent of
 * spec.replicas rounded up, recomputed each round so scaling keeps the step's meaning). `pause: {}` waits for an
 * approval, `pause: { duration }` bakes for that many seconds (a durable timer). After the last step every Pod moves.
 * The steps only move the partition: the window (maxUnavailable) and every invariant of the planner hold inside a step.
 */
import { z } from 'zod';
import { checkIntOrPercent, parseIntOrPercent, scaledValue } from './intstr.js';
import type { IntOrString } from './types.js';

/** The most steps a rollout takes. */
export const MAX_STEPS = 20;

/** The longest bake time of one step (seconds): 30 days. */
export const MAX_PAUSE_SECONDS = 30 * 24 * 3600;

const StepReplicas = z.union([z.number(), z.string()]).superRefine((v, ctx) => {
  const problem = checkIntOrPercent(v);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** `pause: {}` (wait for an approval) or `pause: { duration: seconds }` (bake time). */
export const StepPause = z.strictObject({
  duration: z
    .number()
    .refine((n) => Number.isSafeInteger(n) && n >= 0 && n <= MAX_PAUSE_SECONDS, {
      message: `must be an integer number of seconds between 0 and ${MAX_PAUSE_SECONDS}`,
    })
    .optional(),
});

/**
 * One step. `analysis` (Argo Rollouts' metric shape, see ./analysis.ts) is the step's own analysis, run once its Pods
 * are available and before its pause; the schema is given by the caller so this module stays free of it.
 */
export function canaryStepSchema<A extends z.ZodType>(analysis: A) {
  return z.strictObject({
    replicas: StepReplicas,
    pause: StepPause.optional(),
    analysis: analysis.optional(),
  });
}

/** A step as the rest of the rollout reads it (analysis left opaque here). */
export interface CanaryStep<A = unknown> {
  replicas: IntOrString;
  pause?: { duration?: number };
  analysis?: A;
}

/**
 * Problems with a list of steps that need no CloneSet to see, each with the index of the step: more than
 * {@link MAX_STEPS}, and a step whose `replicas` goes down from an earlier step of the same kind (integers compared
 * with integers, percents with percents; a mix is compared once replicas are known, see {@link stepTargets}).
 */
export function checkSteps(steps: readonly { replicas: IntOrString }[]): { index: number; field: 'replicas' | null; message: string }[] {
  const out: { index: number; field: 'replicas' | null; message: string }[] = [];
  if (steps.length === 0) out.push({ index: -1, field: null, message: 'must have at least one step (or leave steps out)' });
  if (steps.length > MAX_STEPS) out.push({ index: -1, field: null, message: `has ${steps.length} steps; at most ${MAX_STEPS} are taken` });
  const last: Record<'int' | 'percent', { index: number; value: number } | null> = { int: null, percent: null };
  steps.forEach((s, index) => {
    const p = parseIntOrPercent(s.replicas);
    if (p === null) return; // the schema names it
    const prev = last[p.kind];
    if (prev && p.value < prev.value) {
      const show = (v: number) => (p.kind === 'percent' ? `${v}%` : String(v));
      out.push({ index, field: 'replicas', message: `${show(p.value)} goes down from step ${prev.index + 1}'s ${show(prev.value)}: steps only add Pods` });
    }
    last[p.kind] = { index, value: p.value };
  });
  return out;
}

/**
 * How many Pods are at the new revision once each step is reached, for `replicas` Pods: percents round up (as
 * OpenKruise Rollouts), integers above replicas count as all of them, and a step never asks for fewer Pods than the
 * one before it.
 */
export function stepTargets(steps: readonly { replicas: IntOrString }[], replicas: number): number[] {
  let floor = 0;
  return steps.map((s) => {
    const n = Math.min(replicas, Math.max(0, scaledValue(s.replicas, replicas, true)));
    floor = Math.max(floor, n);
    return floor;
  });
}

/** The partition that holds the rollout at step `index` (Pods kept on old revisions), for `replicas` Pods. */
export function stepPartition(steps: readonly { replicas: IntOrString }[], index: number, replicas: number): number {
  if (index < 0 || index >= steps.length) return 0;
  return replicas - stepTargets(steps, replicas)[index]!;
}

/**
 * The partition the planner runs with while step `index` holds: the CloneSet's own when it keeps more Pods back,
 * else the step's. One rule for the rollout and for `plan`.
 */
export function heldPartition(steps: readonly { replicas: IntOrString }[], index: number, spec: { replicas: number; partition: number }): number {
  return Math.max(spec.partition, stepPartition(steps, index, spec.replicas));
}

/** What the planner's decision says about a step: reached once it is settled at the step's partition. */
export interface StepRound {
  /** The planner's `done` under the step's partition: every Pod but the partition updated and available. */
  done: boolean;
  /** Pods at the update revision. */
  updated: number;
  /** spec.replicas. */
  desired: number;
  /** Lanes in flight. */
  inFlight: number;
}

/**
 * Whether step `index` is reached: the planner settled under its partition (nothing in flight) with at least the
 * step's Pods at the new revision.
 */
export function stepReached(steps: readonly { replicas: IntOrString }[], index: number, r: StepRound): boolean {
  if (index < 0 || index >= steps.length) return false;
  return r.done && r.inFlight === 0 && r.updated >= stepTargets(steps, r.desired)[index]!;
}

/** Where a canary rollout stands. */
export const CanaryStatus = {
  /** Moving Pods toward the current step. */
  Rolling: 'Rolling',
  /** The current step's Pods are available; its analysis runs. */
  Analysing: 'Analysing',
  /** Waiting for an approval (`pause: {}`, or an inconclusive analysis). */
  Paused: 'Paused',
  /** The current step's bake time runs (`pause: { duration }`). */
  Baking: 'Baking',
  /** Every step passed: the rest of the Pods move. */
  Done: 'Done',
  /** The steps no longer apply: the rollout was aborted or rolls back. */
  Stopped: 'Stopped',
} as const;
export type CanaryStatus = (typeof CanaryStatus)[keyof typeof CanaryStatus];

/** Who gave an approval or a promotion, and why (both optional, as the Updates take them). */
export interface Approver {
  by?: string;
  reason?: string;
}

/** Why an `approve` / `promote` input is malformed, or null. */
export function checkApprover(control: string, v: unknown, extra: readonly string[] = []): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'object' || Array.isArray(v)) return `${control} takes { "by": "...", "reason": "..." }`;
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (k === 'by' || k === 'reason') {
      if (typeof x !== 'string' || x.length > 1024) return `${control}: ${k} must be a string of at most 1024 characters`;
    } else if (!extra.includes(k)) {
      return `${control}: unknown field ${JSON.stringify(k)} (known: by, reason${extra.map((e) => `, ${e}`).join('')})`;
    }
  }
  return null;
}

/** The part of the canary state the Update checks read. */
export interface CanaryGate {
  status: CanaryStatus;
  current: number;
  steps: readonly { pause?: { duration?: number } }[];
  promoted: { full: boolean } | null;
  /** An inconclusive background analysis holds the rollout until approved. */
  heldBy?: string | null;
}

/** Why `approve` cannot be taken now (nothing waits for an approval), or null. */
export function checkApprove(c: CanaryGate | null): string | null {
  if (!c) return 'approve: this rollout has no steps';
  if (c.status === CanaryStatus.Paused || c.heldBy) return null;
  return `approve: nothing waits for an approval (${describeCanary(c)})`;
}

/** Why `promote` cannot be taken now, or null: it needs steps still ahead (or, with full, analyses to skip). */
export function checkPromote(c: CanaryGate | null, full: boolean): string | null {
  if (!c) return 'promote: this rollout has no steps';
  if ((c.status === CanaryStatus.Done && !c.heldBy) || c.status === CanaryStatus.Stopped) return `promote: nothing to promote (${describeCanary(c)})`;
  if (c.promoted && (c.promoted.full || !full)) return `promote: already promoted${c.promoted.full ? ' (full)' : ''}`;
  return null;
}

/** One phrase for where the canary stands, e.g. `step 2 of 3: baking`. */
export function describeCanary(c: Pick<CanaryGate, 'status' | 'current' | 'steps'>): string {
  const n = c.steps.length;
  switch (c.status) {
    case CanaryStatus.Done:
      return `all ${n} steps passed`;
    case CanaryStatus.Stopped:
      return 'the steps were stopped (aborted or rolling back)';
    case CanaryStatus.Rolling:
      return `step ${c.current + 1} of ${n}: moving Pods`;
    case CanaryStatus.Analysing:
      return `step ${c.current + 1} of ${n}: analysing`;
    case CanaryStatus.Paused:
      return `step ${c.current + 1} of ${n}: waiting for an approval`;
    case CanaryStatus.Baking:
      return `step ${c.current + 1} of ${n}: baking`;
  }
}

/** The step list as `plan` shows it: Pods at the new revision after each step, and what holds there. */
export function describeSteps(steps: readonly CanaryStep<{ metrics: readonly { name: string }[] }>[], replicas: number): string[] {
  const targets = stepTargets(steps, replicas);
  return steps.map((s, i) => {
    const parts = [`step ${i + 1}: ${targets[i]} of ${replicas} Pod(s) at the new revision (replicas ${JSON.stringify(s.replicas)})`];
    if (s.analysis) parts.push(`analysis ${s.analysis.metrics.map((m) => m.name).join(', ')}`);
    if (s.pause) parts.push(s.pause.duration === undefined ? 'pause for an approval' : `bake ${s.pause.duration}s`);
    return parts.join(', then ');
  });
}
