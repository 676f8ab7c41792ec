/**
 * The controller's pure decisions: which CloneSets it manages, and whether a CloneSet needs a rollout workflow now.
 * No I/O here, so the rules are table-tested (test/unit/controller/decide.test.ts).
 */

/** Label that opts a CloneSet in to being rolled out by the controller (value `true`). */
export const MANAGED_LABEL = 'cloneset-rollout.io/managed';

/** Default label selector of managed CloneSets. */
export const DEFAULT_SELECTOR = `${MANAGED_LABEL}=true`;

/** The parts of a CloneSet the decision reads. */
export interface CloneSetMeta {
  metadata: { namespace?: string; name?: string; uid?: string; generation?: number; deletionTimestamp?: unknown };
  status?: { observedGeneration?: number } | null;
}

/**
 * What Temporal knows about the CloneSet's rollout workflow (ID `cloneset/<ns>/<name>`):
 * - `none`: no workflow with that ID ever ran (or its history was deleted by retention);
 * - `running`: one is running — it re-reads the CloneSet every loop and retargets itself;
 * - `closed`: the latest run ended; `generation` is the CloneSet generation the controller started it for (memo), or
 *   null when someone else started it (CLI, client) and it carries no memo; `uid` the CloneSet object it was started
 *   for (memo; null on runs without it).
 */
export type RunState =
  { kind: 'none' } | { kind: 'running' } | { kind: 'closed'; status: string; generation: number | null; uid?: string | null; runId?: string };

/**
 * Why the CloneSet's spec is not yet rolled out, or null when it is. A rollout writes `status.observedGeneration`
 * as it observes the CloneSet, so `generation > observedGeneration` means a template, replicas or strategy change
 * nobody has acted on (labels and annotations do not bump generation). Deleted CloneSets are left alone.
 */
export function needsRollout(cs: CloneSetMeta): string | null {
  if (cs.metadata.deletionTimestamp) return null;
  const generation = cs.metadata.generation;
  if (generation === undefined) return null; // the API server always sets it; a bare object is not ours to judge
  const observed = cs.status?.observedGeneration;
  if (observed === undefined || observed === null) return `generation ${generation} never observed (new CloneSet)`;
  if (generation > observed) return `generation ${generation} not yet observed (observed ${observed})`;
  return null;
}

/**
 * Whether to start the rollout workflow now: the reason to start it, or null.
 *
 * - A running workflow retargets itself, so starting again would only be a duplicate.
 * - A closed run that the controller started for this very generation (of this very object) is not restarted: it either completed (and
 *   status will show it) or failed on this spec, and restarting it would loop on the same failure. A new edit
 *   (new generation) starts a new run; so does a manual `cloneset-rollout apply` or `temporal workflow start`.
 */
export function shouldStart(cs: CloneSetMeta, state: RunState): string | null {
  const need = needsRollout(cs);
  if (need === null) return null;
  switch (state.kind) {
    case 'none':
      return need;
    case 'running':
      return null;
    case 'closed':
      // A CloneSet deleted and created again under the same name starts its generations over: the run closed for
      // the old object says nothing about this one.
      if (state.uid && cs.metadata.uid && state.uid !== cs.metadata.uid) return `${need}; a new CloneSet object (the last rollout was for uid ${state.uid})`;
      if (state.generation !== null && state.generation >= (cs.metadata.generation ?? 0)) return null;
      return `${need}; last rollout ${state.status.toLowerCase()}`;
  }
}

/**
 * Whether to tell the running rollout that its CloneSet changed (the `specChanged` signal), so it observes now rather
 * than at its next resync: only while a run is running, the spec has a generation it has not observed, and this
 * controller has not already signalled that generation (`signalled`: the highest it signalled, or null). The status
 * writes that follow an edit are events too; they never signal twice.
 */
export function shouldSignal(cs: CloneSetMeta, state: RunState, signalled: number | null): boolean {
  if (state.kind !== 'running' || needsRollout(cs) === null) return false;
  return signalled === null || (cs.metadata.generation ?? 0) > signalled;
}

/** Label selector the controller watches with: `--all` → none; `--selector S` → S; default → the managed label. */
export function selectionSelector(opts: { all?: boolean; selector?: string }): string | undefined {
  if (opts.all) return undefined;
  const s = opts.selector?.trim();
  return s ? s : DEFAULT_SELECTOR;
}
