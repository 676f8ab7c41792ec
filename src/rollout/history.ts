/**
 * A CloneSet's revision history: how its ControllerRevisions are numbered, re-used and pruned, and which one
 * "revision N" names when rolling back. Pure: plain data in and out; the activities read and write the objects.
 *
 * Rules (those of Deployments and Kruise CloneSets, so `history` reads chronologically):
 * - a new revision gets the highest existing number + 1 (never count + 1, which collides once old ones are pruned);
 * - rolling out a template that already has a revision re-uses it and moves it to the top: highest + 1;
 * - pruning keeps every live revision (the update revision, the current revision, any revision a Pod runs) and,
 *   of the others, the `revisionHistoryLimit` newest;
 * - "revision 0" (or none) is the previous one: the newest revision other than the CloneSet template's own.
 */

/** Label on a CloneSet's ControllerRevisions naming the CloneSet (the selector labels are copied too, as Kruise does). */
export const REVISION_CLONESET_LABEL = 'apps.kruise.io/cloneset-name';

/** What the history rules need of a ControllerRevision: its name (the revision hash) and its number. */
export interface RevisionEntry {
  name: string;
  revision: number;
}

/** The number a new revision gets: the highest existing number + 1 (1 for the first). */
export function nextRevisionNumber(revisions: readonly RevisionEntry[]): number {
  let max = 0;
  for (const r of revisions) if (r.revision > max) max = r.revision;
  return max + 1;
}

/** How to record the revision a rollout moves to. */
export type RecordPlan =
  /** No ControllerRevision has that name yet: create it with `revision`. */
  | { action: 'create'; name: string; revision: number }
  /** It exists but is not the newest (a rollback to it): set its number to `revision` (was `from`). */
  | { action: 'renumber'; name: string; from: number; revision: number }
  /** It exists and is already the newest: nothing to write (also what a retry after a renumber sees). */
  | { action: 'none'; name: string; revision: number };

/** Plans recording `name` as the newest revision (idempotent: applying the plan, then planning again, gives none). */
export function planRecord(revisions: readonly RevisionEntry[], name: string): RecordPlan {
  const existing = revisions.find((r) => r.name === name);
  const others = revisions.filter((r) => r.name !== name);
  const next = nextRevisionNumber(others);
  if (!existing) return { action: 'create', name, revision: next };
  if (existing.revision >= next) return { action: 'none', name, revision: existing.revision };
  return { action: 'renumber', name, from: existing.revision, revision: next };
}

/** The history after `plan` was carried out (entries are copied, never modified). */
export function applyRecord<T extends RevisionEntry>(revisions: readonly T[], plan: RecordPlan, created: (name: string, revision: number) => T): T[] {
  switch (plan.action) {
    case 'none':
      return [...revisions];
    case 'renumber':
      return revisions.map((r) => (r.name === plan.name ? { ...r, revision: plan.revision } : r));
    case 'create':
      return [...revisions, created(plan.name, plan.revision)];
  }
}

/** Oldest first: by number, then by name so equal numbers (never written by us) still sort the same way. */
export function byRevision<T extends RevisionEntry>(a: T, b: T): number {
  return a.revision - b.revision || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

/**
 * The revisions to delete, oldest first: of those not `live` (the update revision, the current revision, every
 * revision a Pod is on), all but the `limit` newest. A negative limit counts as 0.
 */
export function planPrune<T extends RevisionEntry>(revisions: readonly T[], opts: { limit: number; live: Iterable<string> }): T[] {
  const live = new Set(opts.live);
  const historic = revisions.filter((r) => !live.has(r.name)).sort(byRevision);
  const excess = historic.length - Math.max(0, opts.limit);
  return excess > 0 ? historic.slice(0, excess) : [];
}

/** The known revision numbers, ascending, for error messages: "1, 2, 4" (or "none"). */
export function knownRevisions(revisions: readonly RevisionEntry[]): string {
  const numbers = [...new Set(revisions.map((r) => r.revision))].sort((a, b) => a - b);
  return numbers.length > 0 ? numbers.join(', ') : 'none';
}

export type Resolved<T> = { ok: true; value: T } | { ok: false; error: string };

/**
 * The ControllerRevision "revision N" names for the CloneSet `cloneSet` ("namespace/name"). N > 0: the revision with
 * that number. N = 0 or undefined: the previous one, as `kubectl rollout undo` — the newest revision other than
 * `templateRevision` (the revision of the CloneSet's template as it is now).
 */
export function resolveRevision<T extends RevisionEntry>(
  revisions: readonly T[],
  requested: number | undefined,
  opts: { cloneSet: string; templateRevision: string },
): Resolved<T> {
  const known = knownRevisions(revisions);
  if (requested !== undefined && (!Number.isInteger(requested) || requested < 0)) {
    return { ok: false, error: `revision ${requested} must be an integer ≥ 0 (0: the previous revision)` };
  }
  if (!requested) {
    const previous = revisions
      .filter((r) => r.name !== opts.templateRevision)
      .sort(byRevision)
      .at(-1);
    if (!previous) return { ok: false, error: `CloneSet ${opts.cloneSet} has no previous revision to roll back to (known: ${known})` };
    return { ok: true, value: previous };
  }
  const matches = revisions.filter((r) => r.revision === requested);
  if (matches.length === 0) return { ok: false, error: `CloneSet ${opts.cloneSet} has no revision ${requested} (known: ${known})` };
  if (matches.length > 1) {
    return {
      ok: false,
      error: `CloneSet ${opts.cloneSet} has ${matches.length} revisions numbered ${requested} (${matches
        .map((m) => m.name)
        .sort()
        .join(', ')}); roll out one of them by its images instead`,
    };
  }
  return { ok: true, value: matches[0] as T };
}

/**
 * Annotation on the CloneSet, written together with the template a rollback sets: which ControllerRevision the
 * rollback run chose. A retry of the same run reads it back instead of resolving "revision N" again (by then the
 * chosen revision may have been renumbered, or "the previous one" may name another).
 */
export const ROLLBACK_ANNOTATION = 'cloneset-rollout.io/rollback';

export interface RollbackMarker {
  /** Workflow run that rolled back. */
  run: string;
  /** ControllerRevision name it rolled back to. */
  revision: string;
  /** Its number when chosen (before it moved to the top). */
  number: number;
}

export function formatRollbackMarker(m: RollbackMarker): string {
  return JSON.stringify({ run: m.run, revision: m.revision, number: m.number });
}

/** The marker in an annotation value, or null when absent or not ours. */
export function parseRollbackMarker(value: string | undefined): RollbackMarker | null {
  if (!value) return null;
  try {
    const v = JSON.parse(value) as Partial<RollbackMarker>;
    if (typeof v.run === 'string' && typeof v.revision === 'string' && typeof v.number === 'number') {
      return { run: v.run, revision: v.revision, number: v.number };
    }
  } catch {
    // not JSON: someone else's value
  }
  return null;
}
