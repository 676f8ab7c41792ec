/**
 * `cloneset-rollout plan -f FILE [--from FILE2]`: the rollout plan before anything moves. The real planner runs over
 * simulated Pods (src/rollout/simulate.ts) and the waves are printed: which Pods start moving together, how
 * (in place, recreate, create, delete), from which revision to which, and roughly how long it all takes.
 *
 * Offline (`--from FILE2`): the current state is FILE2's CloneSet with all its replicas Ready and available at its
 * revision. Otherwise the live CloneSet, its Pods and ControllerRevisions are read from the cluster (KUBECONFIG or
 * in-cluster config). Nothing is ever written to the cluster.
 */
import { readFile } from 'node:fs/promises';
import { InvalidArgumentError, type Command } from 'commander';
import { parseCloneSets } from '../kube/apply.js';
import { readCloneSetState } from '../kube/cloneset-read.js';
import { loadKubeConfig, makeClients, type KubeClients } from '../kube/clients.js';
import {
  canonicalJson,
  Conditions,
  Labels,
  LifecycleState,
  formatErrors,
  isPodReady,
  planPodUpdate,
  planSpecFrom,
  chooseUpdateRevision,
  collisionCountOf,
  revisionName,
  selectorString,
  simulateRollout,
  simulationTimings,
  toPodView,
  validateCloneSet,
  type CloneSet,
  type NormalizedCloneSet,
  type PlanSpec,
  type PlanWave,
  type PodTemplateSpec,
  type PodUpdateAction,
  type PodView,
  type SimulationResult,
  type SimulationTimings,
  buildPod,
  STEPS_ANNOTATION,
} from '../rollout/index.js';
import { listSteps, resolvePlanSteps, simulateSteps, stepHeaders, type GivenSteps, type StepPlan, type StepsPlan } from './plan-steps.js';

/** Flags of the `plan` command. */
export interface PlanFlags {
  filename: string;
  from?: string;
  json?: boolean;
  restartSeconds?: number;
  startSeconds?: number;
  terminateSeconds?: number;
  kubeconfig?: string;
  /** Canary steps, the same JSON as the rollout input's `steps` (instead of the CloneSet's annotation). */
  steps?: string;
  /** A file holding `--steps`' JSON. */
  stepsFile?: string;
}

/** Where output goes (process.stdout/stderr by default; tests capture it). */
export interface PlanIO {
  stdout(text: string): void;
  stderr(text: string): void;
}

/** How Pods of one current revision move to the update revision. */
export interface RevisionMove {
  /** Pods at this revision now. */
  pods: number;
  action: PodUpdateAction | 'none';
  /** Why not in place (empty for inPlace / none). */
  reasons: string[];
  /** New image by container, for the containers whose image changes (in-place only). */
  images: Record<string, string>;
  /** The resizes by container, e.g. `nginx: ['cpu 100m→200m']` (in-place only; absent when none). */
  resizes?: Record<string, string[]>;
}

/** The `plan` command's result (its `--json` document). */
export interface CloneSetPlan extends Omit<SimulationResult, 'trace'> {
  namespace: string;
  name: string;
  /** offline: `--from FILE2`; cluster: the live CloneSet and Pods. */
  source: 'offline' | 'cluster';
  /** False when the CloneSet does not exist yet (every replica is a create). */
  exists: boolean;
  current: { replicas: number; revisions: Record<string, RevisionMove> };
  desired: { replicas: number; revision: string };
  /** The planner's spec (int-or-percent resolved). */
  spec: PlanSpec;
  /** Canary steps (`--steps`, `--steps-file` or the CloneSet's annotation): the waves grouped by step. */
  steps?: StepsPlan;
}

/** The current state a plan starts from. */
export interface CurrentState {
  exists: boolean;
  pods: PodView[];
  /** Known templates by revision name. */
  templates: Record<string, PodTemplateSpec>;
}

/** Timings the user may set on the command line; the rest come from the desired spec. */
export type PlanTimings = Partial<Pick<SimulationTimings, 'restartSeconds' | 'startSeconds' | 'terminateSeconds'>>;

/** Start of the simulated clock for offline plans (any fixed value: plans are relative). */
const OFFLINE_NOW_MS = Date.UTC(2024, 0, 1);
const DAY_MS = 86_400_000;

/** Validates a CloneSet manifest already parsed, naming every bad field. */
function normalized(cs: CloneSet, source: string): NormalizedCloneSet {
  const v = validateCloneSet(cs);
  if (!v.ok) throw new Error(`${source}: ${formatErrors(v.errors)}`);
  return v.value;
}

/** Reads FILE and returns its single CloneSet, validated. */
export async function readCloneSet(file: string): Promise<NormalizedCloneSet> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new Error(`${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`, { cause: err });
  }
  return cloneSetFromText(text, file);
}

/** Parses manifest text holding exactly one CloneSet, validated and defaulted. */
export function cloneSetFromText(text: string, source: string): NormalizedCloneSet {
  const all = parseCloneSets(text, source);
  if (all.length !== 1) throw new Error(`${source}: ${all.length} CloneSets found; plan takes a file with one`);
  return normalized(all[0] as CloneSet, source);
}

/**
 * `replicas` Pods of a CloneSet, all Running, Ready and available at `revision` (the offline current state). Named
 * `${name}-1` … `${name}-N` (hypothetical Pods), `${name}-1` the newest, so that Kruise's order (newest first) reads
 * 1, 2, 3…
 */
export function steadyPods(cs: NormalizedCloneSet, revision: string, nowMs: number): PodView[] {
  const name = cs.metadata.name;
  return Array.from({ length: cs.spec.replicas }, (_, i) => {
    const id = String(i + 1);
    const created = nowMs - DAY_MS - (i + 1) * 60_000;
    const pod = buildPod(cs, cs.spec.template, revision, id, created);
    // Steady: bound long ago, so the controller has moved it from PreparingNormal to Normal.
    pod.metadata.labels[Labels.lifecycleState] = LifecycleState.Normal;
    const readySince = new Date(created + 10_000).toISOString();
    return toPodView({
      metadata: { ...pod.metadata, name: `${name}-${id}`, uid: `offline-${name}-${id}`, creationTimestamp: new Date(created).toISOString() },
      spec: { ...pod.spec, nodeName: 'node-1' },
      status: {
        phase: 'Running',
        conditions: [
          { type: Conditions.ready, status: 'True', lastTransitionTime: readySince },
          { type: Conditions.inPlaceUpdateReady, status: 'True', lastTransitionTime: readySince },
        ],
        containerStatuses: pod.spec.containers.map((c) => ({
          name: c.name,
          image: c.image,
          imageID: `${c.image}@offline`,
          ready: true,
          restartCount: 0,
          started: true,
        })),
      },
    });
  });
}

/** The offline current state: FILE2's CloneSet with every replica Ready and available at its revision. */
export function offlineState(from: NormalizedCloneSet, nowMs = OFFLINE_NOW_MS): CurrentState {
  const revision = revisionName(from.metadata.name, from.spec.template);
  return { exists: true, pods: steadyPods(from, revision, nowMs), templates: { [revision]: from.spec.template } };
}

/** Reads the live CloneSet, its Pods and its ControllerRevision templates. Reads only. */
export async function liveState(k: KubeClients, desired: NormalizedCloneSet): Promise<CurrentState> {
  const { namespace, name } = desired.metadata;
  const read = await readCloneSetState(k, namespace, name, {
    podSelector: (live) => {
      const selector = live.spec?.selector ?? desired.spec.selector;
      if (canonicalJson(selector) !== canonicalJson(desired.spec.selector)) {
        throw new Error(
          `CloneSet ${namespace}/${name}: spec.selector is immutable (live ${selectorString(selector)}, file ${selectorString(desired.spec.selector)})`,
        );
      }
      return selector;
    },
  });
  if (!read) return { exists: false, pods: [], templates: {} };
  const templates: Record<string, PodTemplateSpec> = {};
  for (const r of read.revisions) if (r.template) templates[r.name] = r.template;
  const live = read.cloneSet;
  if (live.spec?.template) templates[chooseUpdateRevision(name, live.spec.template, read.revisions, collisionCountOf(live)).name] ??= live.spec.template;
  return { exists: true, pods: read.pods, templates };
}

/**
 * Plans the move from `state` to the desired CloneSet: the real planner over simulated Pods, starting at `nowMs`
 * (the Pods' timestamps are read against it). Pure.
 */
export function buildPlan(
  desired: NormalizedCloneSet,
  state: CurrentState,
  source: CloneSetPlan['source'],
  timings: PlanTimings = {},
  nowMs = OFFLINE_NOW_MS,
  steps: GivenSteps | null = null,
): CloneSetPlan {
  const { namespace, name } = desired.metadata;
  const spec = planSpecFrom(desired.spec);
  // By content first: a template a ControllerRevision records (Kruise's too) keeps that revision's name.
  const known = Object.entries(state.templates).map(([n, template]) => ({ name: n, revision: 0, template }));
  const updateRevision = chooseUpdateRevision(name, desired.spec.template, known).name;
  const type = desired.spec.updateStrategy.type;
  const revisions: Record<string, RevisionMove> = {};
  const actionsByRevision: Record<string, PodUpdateAction> = {};
  for (const p of state.pods) {
    const rev = p.revision ?? '';
    if (!revisions[rev]) {
      if (rev === updateRevision) revisions[rev] = { pods: 0, action: 'none', reasons: [], images: {} };
      else {
        const plan = planPodUpdate(state.templates[rev] ?? null, desired.spec.template, type);
        actionsByRevision[rev] = plan.action;
        const inPlace = plan.action === 'inPlace';
        const resizes = inPlace ? (plan.diff?.resizes ?? {}) : {};
        revisions[rev] = {
          pods: 0,
          action: plan.action,
          reasons: plan.reasons,
          images: inPlace ? (plan.diff?.containerImages ?? {}) : {},
          ...(Object.keys(resizes).length > 0 ? { resizes } : {}),
        };
      }
    }
    (revisions[rev] as RevisionMove).pods++;
  }
  const base = {
    namespace,
    name,
    source,
    exists: state.exists,
    current: { replicas: state.pods.filter((p) => !p.deleting).length, revisions },
    desired: { replicas: desired.spec.replicas, revision: updateRevision },
    spec,
  };
  // As the workflow does (prepareRollout), refuse the whole rollout before anything moves if a revision can not be
  // updated under InPlaceOnly.
  const impossible = Object.entries(revisions).filter(([, r]) => r.action === 'fail');
  if (impossible.length > 0) {
    return {
      ...base,
      ...(steps ? { steps: listSteps(steps, spec) } : {}),
      outcome: 'blocked',
      done: false,
      reason: `the rollout would be refused: ${type} but ${impossible.map(([rev, r]) => `revision ${rev || '(none)'}: ${r.reasons.join('; ')}`).join(' | ')}`,
      blocked: state.pods
        .filter((p) => impossible.some(([rev]) => rev === (p.revision ?? '')))
        .map((p) => ({ name: p.name, reason: `revision ${p.revision ?? '(none)'} can not be updated in place (${type})` }))
        .sort((a, b) => (a.name < b.name ? -1 : 1)),
      updateRevision,
      inFlight: [],
      waves: [],
      totals: {
        waves: 0,
        inPlace: 0,
        recreate: 0,
        create: 0,
        delete: 0,
        surge: 0,
        maxUnavailable: 0,
        maxPods: state.pods.length,
        minServing: state.pods.filter((p) => !p.deleting && isPodReady(p)).length,
        remainingOld: state.pods.filter((p) => p.revision !== updateRevision).length,
      },
      estimatedSeconds: 0,
      timings: simulationTimings(spec, { ...timings, gracePeriodSeconds: desired.spec.updateStrategy.inPlaceUpdateStrategy.gracePeriodSeconds }),
      rounds: 0,
    };
  }
  const input = {
    spec,
    updateRevision,
    pods: state.pods,
    actionsByRevision,
    timings: {
      ...timings,
      gracePeriodSeconds: desired.spec.updateStrategy.inPlaceUpdateStrategy.gracePeriodSeconds,
      minReadySeconds: desired.spec.minReadySeconds,
    },
    startMs: nowMs,
    newPodTemplate: desired.spec.template,
    newPodName: (n: number) => `${name}-new-${n}`,
  };
  if (steps) {
    const { steps: stepsPlan, ...sim } = simulateSteps(input, steps);
    return { ...base, ...sim, steps: stepsPlan };
  }
  return { ...base, ...simulateRollout(input) };
}

/** 135 → "2m15s"; 7200 → "2h0m0s"; 4.5 → "4.5s". */
export function formatDuration(seconds: number): string {
  const s = Math.round(seconds * 10) / 10;
  if (s < 60) return `${s}s`;
  const whole = Math.round(s);
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const rest = whole % 60;
  return h > 0 ? `${h}h${m}m${rest}s` : `${m}m${rest}s`;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

const describeAction = (r: RevisionMove): string =>
  r.action === 'none'
    ? 'already there'
    : r.action === 'inPlace'
      ? `in place (${
          [
            ...Object.entries(r.images).map(([c, i]) => `${c}=${i}`),
            ...Object.entries(r.resizes ?? {}).map(([c, changes]) => `resize ${c} ${changes.join(', ')}`),
          ].join(', ') || 'metadata only'
        })`
      : r.action === 'recreate'
        ? `recreate (${r.reasons.join('; ')})`
        : `can not be updated (${r.reasons.join('; ')})`;

/** The waves as a table (WAVE, START, POD, ACTION, FROM → TO), or a line saying nothing would move. */
export function renderWaves(waves: readonly PlanWave[], none = 'No waves: nothing would move.'): string {
  if (waves.length === 0) return none;
  const rows: string[][] = [['WAVE', 'START', 'POD', 'ACTION', 'FROM → TO']];
  for (const w of waves) {
    w.pods.forEach((m, i) => {
      const to = m.action === 'recreate' && m.replacement ? `${m.to} (as ${m.replacement})` : (m.to ?? '(gone)');
      rows.push([i === 0 ? String(w.wave) : '', i === 0 ? `+${formatDuration(w.atSeconds)}` : '', m.name, m.action, `${m.from ?? '(new)'} → ${to}`]);
    });
  }
  return table(rows);
}

/** What holds a reached step: its pause, or nothing. */
function holdAt(s: StepPlan, atSeconds: number): string {
  if (!s.pause) return 'goes on';
  if (s.pause.duration === undefined) return 'waits for an approval';
  return `bakes ${formatDuration(s.pause.duration)} (until +${formatDuration(atSeconds + s.pause.duration)})`;
}

/** The waves grouped by canary step: each step's header, its waves, and when it is reached. */
export function renderSteps(st: StepsPlan, replicas: number): string[] {
  const out: string[] = [`Canary steps (${st.source}):`];
  const headers = stepHeaders(st.steps, replicas);
  st.steps.forEach((s, i) => {
    out.push('', headers[i]!);
    if (s.reachedAtSeconds === null) {
      if (s.waves.length > 0) out.push(renderWaves(s.waves));
      out.push('  not reached: the rollout stops first (see the summary).');
      return;
    }
    out.push(renderWaves(s.waves, `No waves: ${s.pods} Pod(s) at the new revision already.`));
    const analysis = s.analysis.length > 0 ? `; analysis ${s.analysis.join(', ')} runs` : '';
    out.push(`→ step ${i + 1} reached at about +${formatDuration(s.reachedAtSeconds)}${analysis}; ${holdAt(s, s.reachedAtSeconds)}`);
  });
  const lastReached = st.steps.length === 0 || st.steps[st.steps.length - 1]!.reachedAtSeconds !== null;
  if (lastReached) {
    out.push('', `after the last step: ${st.afterSteps.pods} of ${replicas} Pod(s) at the new revision`);
    out.push(renderWaves(st.afterSteps.waves, 'No waves: the steps moved every Pod.'));
  }
  return out;
}

/** The human rendering: a header, one line per current revision, the waves table and a summary line. */
export function renderPlan(p: CloneSetPlan): string {
  const out: string[] = [];
  const s = p.spec;
  const revs = Object.entries(p.current.revisions);
  const now =
    revs.length === 0
      ? 'no Pods'
      : revs.length === 1
        ? `${p.current.replicas} Pod(s) at ${revs[0]![0] || '(no revision)'}`
        : `${p.current.replicas} Pod(s) (${revs.map(([rev, r]) => `${r.pods} at ${rev || '(no revision)'}`).join(', ')})`;
  const where = p.source === 'offline' ? 'offline' : p.exists ? 'from the cluster' : 'not in the cluster yet';
  out.push(`CloneSet ${p.namespace}/${p.name} (${where}): ${now} → ${p.desired.replicas} Pod(s) at ${p.desired.revision}`);
  out.push(
    `strategy ${s.type}, maxUnavailable ${s.maxUnavailable}, maxSurge ${s.maxSurge}, partition ${s.partition}` +
      `${s.scaleMaxUnavailable === null ? '' : `, scale maxUnavailable ${s.scaleMaxUnavailable}`}, minReadySeconds ${s.minReadySeconds}${s.paused ? ', paused' : ''}`,
  );
  for (const [rev, r] of Object.entries(p.current.revisions)) out.push(`  ${rev || '(no revision)'}: ${describeAction(r)}`);
  out.push('');
  if (p.steps) out.push(...renderSteps(p.steps, p.desired.replicas));
  else out.push(renderWaves(p.waves));
  out.push('');
  const t = p.totals;
  const tm = p.timings;
  const counts = `${t.inPlace} in place, ${t.recreate} recreated, ${t.create} created, ${t.delete} deleted in ${t.waves} wave(s)`;
  const serving = t.minServing > 0 ? `at least ${t.minServing} serving, ` : '';
  const window = `${serving}at most ${t.maxUnavailable} unavailable, ${t.surge > 0 ? `${t.surge} surge Pod(s)` : 'no surge'}`;
  const timing = `restart ${tm.restartSeconds}s, start ${tm.startSeconds}s, terminate ${tm.terminateSeconds}s, grace ${tm.gracePeriodSeconds}s, minReady ${tm.minReadySeconds}s`;
  if (p.outcome === 'done') {
    out.push(`Summary: ${counts}; ${window}; done in about ${formatDuration(p.estimatedSeconds)} (${timing}).`);
  } else {
    const why = p.outcome === 'paused' ? `${p.reason} (updateStrategy.paused)` : `${p.outcome}: ${p.reason}`;
    out.push(
      p.waves.length === 0
        ? `Summary: nothing moves: ${why}.`
        : `Summary: ${counts}; ${window}; then stops after about ${formatDuration(p.estimatedSeconds)}: ${why}.`,
    );
    for (const b of p.blocked.slice(0, 5)) out.push(`  ${b.name}: ${b.reason}`);
    if (p.blocked.length > 5) out.push(`  … and ${p.blocked.length - 5} more`);
  }
  if (p.steps) {
    const st = p.steps;
    const approvals = st.approvals === 0 ? 'no approval' : `${st.approvals} approval(s) to give (the wait is not in the estimate)`;
    out.push(`Steps: ${st.steps.length} step(s) (${st.source}); ${approvals}; ${formatDuration(st.bakeSeconds)} of bake time (in the estimate).`);
  }
  if (t.remainingOld > 0) out.push(`${t.remainingOld} Pod(s) stay on their current revision${p.spec.partition > 0 ? ` (partition ${p.spec.partition})` : ''}.`);
  out.push('Nothing was changed on the cluster.');
  return `${out.join('\n')}\n`;
}

/** Runs `plan`: returns the exit code (0 planned, 1 error) after writing the plan or the error. */
export async function runPlan(flags: PlanFlags, io: PlanIO): Promise<number> {
  try {
    const desired = await readCloneSet(flags.filename);
    const timings: PlanTimings = {};
    if (flags.restartSeconds !== undefined) timings.restartSeconds = flags.restartSeconds;
    if (flags.startSeconds !== undefined) timings.startSeconds = flags.startSeconds;
    if (flags.terminateSeconds !== undefined) timings.terminateSeconds = flags.terminateSeconds;
    const steps = await resolvePlanSteps(flags, desired);
    let plan: CloneSetPlan;
    if (flags.from !== undefined) {
      const from = await readCloneSet(flags.from);
      if (canonicalJson(from.spec.selector) !== canonicalJson(desired.spec.selector)) {
        throw new Error(`${flags.filename}: spec.selector: differs from ${flags.from}'s, and the selector of a CloneSet is immutable`);
      }
      plan = buildPlan(desired, offlineState(from), 'offline', timings, undefined, steps);
    } else {
      const k = makeClients(loadKubeConfig(flags.kubeconfig));
      plan = buildPlan(desired, await liveState(k, desired), 'cluster', timings, Date.now(), steps);
    }
    io.stdout(flags.json ? `${JSON.stringify(plan, null, 2)}\n` : renderPlan(plan));
    return 0;
  } catch (err) {
    const offline = (err as Error)?.name === 'NoKubeconfigError' ? '; or plan offline with --from FILE (the current CloneSet manifest)' : '';
    io.stderr(`cloneset-rollout plan: ${(err as Error)?.message ?? String(err)}${offline}\n`);
    return 1;
  }
}

function seconds(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`"${value}" is not a number of seconds ≥ 0`);
  return n;
}

const processIO: PlanIO = { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) };

/** Adds `plan` to the program. */
export function addPlanCommand(program: Command, io: PlanIO = processIO): Command {
  return program
    .command('plan')
    .description('show the rollout plan (waves of Pods, totals, estimated duration) without changing anything')
    .requiredOption('-f, --filename <file>', 'CloneSet manifest (YAML or JSON): the desired spec')
    .option('--from <file>', 'offline: the current state is this CloneSet with all its replicas Ready (no cluster needed)')
    .option('--json', 'print the plan as one JSON document')
    .option('--restart-seconds <n>', 'seconds from an in-place patch to the Pod Ready again (default 5)', seconds)
    .option('--start-seconds <n>', 'seconds from creating a Pod to Ready (default 10)', seconds)
    .option('--terminate-seconds <n>', 'seconds from deleting a Pod to gone (default 5)', seconds)
    .option('--steps <json>', `canary steps, the rollout input's steps JSON (default: the CloneSet's ${STEPS_ANNOTATION} annotation)`)
    .option('--steps-file <file>', 'a file holding the steps JSON (as --steps)')
    .option('--kubeconfig <path>', 'kubeconfig file, without --from (default: KUBECONFIG, ~/.kube/config or in-cluster)')
    .action(async (o: PlanFlags) => {
      process.exitCode = await runPlan(o, io);
    });
}
