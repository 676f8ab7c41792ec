/**
 * Operator controls of a running rollout, the workflow side: the Update handlers (pause, resume, setPartition,
 * setMaxUnavailable, abort, retarget) with synchronous validators — a rejected control never reaches history — and
 * the few hooks the main loop calls (see `installControls`). Decisions live in ./controls-state.ts (pure).
 * Every hook returns the loop's own value unchanged while no control is in effect.
 */
import { condition, log, setCurrentDetails, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { RolloutTarget } from '../activities/types.js';
import type { PlanSpec, RolloutDecision } from '../rollout/index.js';
import {
  applyOverrides,
  checkMaxUnavailable,
  checkNotAborted,
  checkPartition,
  checkRetargetImages,
  controlledPhase,
  controlsView,
  gateDecision,
  holdsAtPartition,
  initialControls,
  isFinished,
  isHolding,
  lanesInFlight,
  logControl,
  progressView,
} from './controls-state.js';
import { renderDetails } from './details.js';
import {
  abortUpdate,
  fleetAbortSignal,
  pauseUpdate,
  progressQuery,
  resumeUpdate,
  retargetUpdate,
  RolloutPhase,
  setMaxUnavailableUpdate,
  setPartitionUpdate,
  type AbortOptions,
  type ControlsState,
  type RetargetOptions,
  type RolloutProgress,
  type RolloutResult,
} from './messages.js';
import { RolloutPhaseKey } from './search-attributes.js';
import { api, apiOptions } from './activities.js';

/** How long the loop sleeps between observations while held with nothing in flight (a control wakes it at once). */
const HOLD_RESYNC_MS = 60_000;

/** What the main loop calls; every method is a no-op transformation while no control has been used. */
export interface Controls {
  readonly state: ControlsState;
  /** The spec to plan with this round (overrides applied); remembers the target. */
  plan<T extends PlanSpec>(target: Pick<RolloutTarget, 'updateRevision' | 'images'> & { spec: T }): T;
  /**
   * Whether the run may hand over to a new one now: not while an abort or rollback is under way or a retarget is
   * writing the template (their progress lives in this run only).
   */
  canContinueAsNew(): boolean;
  /** The starting revision's images, read from a Pod still on it (what a rollback restores); null: none seen. */
  knowPreviousImages(images: Record<string, string> | null): void;
  /** The decision with the controls applied (nothing starts while held). */
  gate(decision: RolloutDecision, inFlight: number): RolloutDecision;
  /** The loop ends now (replaces `decision.done && nothing in flight`). */
  finished(inFlight: number): boolean;
  /** The phase to show for the loop's phase (e.g. RollingBack for Updating). */
  phase(phase: RolloutPhase): RolloutPhase;
  /** A control changed something since the last `gate`: wake the loop. */
  woke(): boolean;
  /** The loop's wait, longer while held with nothing in flight. */
  waitMs(ms: number, inFlight: number): number;
  /** Fields the result gains (`aborted`, `abortedRevision`). */
  result(): Pick<RolloutResult, 'aborted' | 'abortedRevision' | 'reason'>;
  /**
   * The workflow's own rollback (input `rollbackOnFailure` at the progress deadline): the abort Update with
   * `rollback: true`, when it is possible (not aborted yet, starting images known). Returns whether it started.
   */
  rollbackOnFailure(reason?: string): Promise<boolean>;
}

function reject(problem: string | null): void {
  if (problem) throw new Error(problem);
}

/**
 * Registers the control Updates and the `progress` query (with controls, timing and window) on `progress`. Call it
 * before the workflow's first `await`, so Updates delivered with the first workflow task find their handlers.
 */
export function installControls(progress: RolloutProgress, carried?: ControlsState): Controls {
  // A run that continues an earlier one keeps its controls (pause, overrides); see canContinueAsNew.
  const state = carried ? { ...initialControls(), ...carried } : initialControls();
  progress.controls = state;
  let version = 0;
  let seenVersion = 0;
  /**
   * The controls' version the last plan() used: a control accepted while that plan was computed (in the observing
   * activity) must still wake the loop, so gate() marks only this version as seen.
   */
  let plannedVersion = 0;
  let target: (Pick<RolloutTarget, 'updateRevision' | 'images'> & { spec: PlanSpec }) | null = null;
  /** Revision the rollback set in the template; null until its prepareRollout returned. */
  let rollbackRevision: string | null = null;
  let plannerDone = false;
  /** Retargets writing the template right now: the loop must not end under them. */
  let retargeting = 0;
  /** The loop decided to end: a retarget can no longer be taken. */
  let ending = false;
  let holdingPartition = false;

  const rollbackPending = () => state.aborted?.rollback === true && (rollbackRevision === null || target?.updateRevision !== rollbackRevision);
  const changed = () => {
    version++;
    setCurrentDetails(renderDetails(progress));
  };
  const setPhase = (phase: RolloutPhase) => {
    if (progress.phase === phase) return;
    progress.phase = phase;
    upsertSearchAttributes([{ key: RolloutPhaseKey, value: phase }]);
  };
  const view = () => controlsView(state, progress);

  setHandler(progressQuery, () => progressView(progress, state));

  setHandler(
    pauseUpdate,
    async () => {
      if (!state.paused) {
        state.paused = true;
        logControl(state, 'pause', undefined, progress.updatedAtMs);
        log.info('rollout paused; lanes in flight finish');
        changed();
      }
      // The safe point: every lane in flight finished (its Pod is available again), none starts.
      await condition(() => !state.paused || state.aborted !== null || lanesInFlight(progress) === 0);
      if (state.paused && !state.aborted && progress.phase !== RolloutPhase.Completed) {
        setPhase(RolloutPhase.Paused);
        changed();
      }
      return view();
    },
    { validator: () => reject(checkNotAborted(state, 'pause')) },
  );

  setHandler(
    resumeUpdate,
    () => {
      if (state.paused) {
        state.paused = false;
        logControl(state, 'resume', undefined, progress.updatedAtMs);
        if (progress.phase === RolloutPhase.Paused) setPhase(RolloutPhase.Updating);
        changed();
      }
      return view();
    },
    { validator: () => reject(checkNotAborted(state, 'resume')) },
  );

  setHandler(
    setPartitionUpdate,
    (value) => {
      state.partition = value ?? null;
      logControl(state, 'setPartition', value ?? null, progress.updatedAtMs);
      changed();
      return view();
    },
    { validator: (value) => reject(checkNotAborted(state, 'setPartition') ?? checkPartition(value === undefined ? null : value)) },
  );

  setHandler(
    setMaxUnavailableUpdate,
    (value) => {
      state.maxUnavailable = value ?? null;
      logControl(state, 'setMaxUnavailable', value ?? null, progress.updatedAtMs);
      changed();
      return view();
    },
    {
      validator: (value) => reject(checkNotAborted(state, 'setMaxUnavailable') ?? checkMaxUnavailable(value === undefined ? null : value, target?.spec)),
    },
  );

  /** Stops taking Pods; with rollback, sets the starting images back in the template (see the abort Update). */
  async function abort(opts: AbortOptions | undefined, reason?: string): Promise<void> {
    const rollback = opts?.rollback === true;
    state.aborted = {
      rollback,
      atMs: progress.updatedAtMs,
      toRevision: rollback ? progress.fromRevision : null,
      fromTarget: progress.toRevision,
      ...(reason ? { reason } : {}),
    };
    logControl(state, 'abort', { rollback }, progress.updatedAtMs);
    if (rollback) {
      // Every updated Pod goes back: neither a pause nor a partition may keep one on the aborted revision.
      state.paused = false;
      state.partition = null;
    }
    setPhase(rollback ? RolloutPhase.RollingBack : RolloutPhase.Aborting);
    changed();
    if (rollback) {
      log.info('rolling back: setting the previous images in the CloneSet template', { images: state.previousImages });
      try {
        // The previous images go back into the template (like `kubectl rollout undo`); the loop sees the new
        // generation, re-prepares, and the in-place lanes move updated Pods back under the same window.
        const t = await api.prepareRollout.executeWithOptions(
          {
            ...apiOptions,
            summary: `rollback: ${Object.entries(state.previousImages ?? {})
              .map(([c, i]) => `${c}=${i}`)
              .join(', ')}`,
          },
          [
            {
              namespace: progress.namespace,
              name: progress.name,
              images: state.previousImages ?? {},
              // and the resources it started with: a rollout that resized Pods resizes them back
              ...(progress.fromRevision ? { resourcesOf: progress.fromRevision } : {}),
            },
          ],
        );
        rollbackRevision = t.updateRevision;
        state.aborted = { ...state.aborted, toRevision: t.updateRevision };
      } catch (err) {
        // The template could not be reverted: the abort goes on without rollback (no new Pod is taken).
        state.aborted = { ...state.aborted, rollback: false };
        setPhase(RolloutPhase.Aborting);
        changed();
        throw err;
      }
      changed();
    }
  }

  setHandler(
    abortUpdate,
    async (opts: AbortOptions | undefined) => {
      await abort(opts);
      return view();
    },
    {
      validator: (opts: AbortOptions | undefined) => {
        // An abort may still turn into an abort with rollback (e.g. when its lanes are stuck); nothing else is taken.
        if (!(state.aborted && !state.aborted.rollback && opts?.rollback === true)) reject(checkNotAborted(state, 'abort'));
        if (opts !== undefined && (typeof opts !== 'object' || opts === null || Array.isArray(opts))) reject('abort takes { "rollback": true | false }');
        if (opts?.rollback !== undefined && typeof opts.rollback !== 'boolean') reject('abort: rollback must be true or false');
        if (opts?.rollback && state.previousImages === null) {
          reject(`abort: cannot roll back yet: no Pod of the starting revision ${progress.fromRevision ?? '(unknown)'} has been observed`);
        }
      },
    },
  );

  // The fleet's abort: as the Update, when its validator would take it; a rollback not possible yet is a plain abort.
  setHandler(fleetAbortSignal, (opts: AbortOptions | undefined) => {
    const rollback = opts?.rollback === true && state.previousImages !== null;
    if (state.aborted && !(rollback && !state.aborted.rollback)) return;
    abort({ rollback }).catch((err: unknown) => log.warn('fleet abort: rollback not started', { err: String(err) }));
  });

  setHandler(
    retargetUpdate,
    async (opts: RetargetOptions | undefined) => {
      const images = opts?.images;
      logControl(state, 'retarget', images ?? null, progress.updatedAtMs);
      if (images && Object.keys(images).length > 0) {
        retargeting++;
        try {
          const t = await api.prepareRollout.executeWithOptions(
            {
              ...apiOptions,
              summary: `retarget: ${Object.entries(images)
                .map(([c, i]) => `${c}=${i}`)
                .join(', ')}`,
            },
            [{ namespace: progress.namespace, name: progress.name, images }],
          );
          return { updateRevision: t.updateRevision, images: t.images };
        } finally {
          retargeting--;
          changed();
        }
      }
      changed();
      await condition(() => target !== null);
      return { updateRevision: target!.updateRevision, images: target!.images };
    },
    {
      validator: (opts: RetargetOptions | undefined) => {
        reject(checkNotAborted(state, 'retarget'));
        if (ending) reject('retarget: the rollout is completing; start a new one');
        if (opts !== undefined && (typeof opts !== 'object' || opts === null || Array.isArray(opts)))
          reject('retarget takes { "images": { "<container>": "<image>" } }');
        reject(checkRetargetImages(opts?.images));
      },
    },
  );

  return {
    state,
    plan(t) {
      plannedVersion = version;
      target = { updateRevision: t.updateRevision, images: t.images, spec: t.spec };
      return applyOverrides(t.spec, state);
    },
    canContinueAsNew() {
      return state.aborted === null && retargeting === 0 && !ending;
    },
    knowPreviousImages(images) {
      state.previousImages ??= images;
    },
    gate(decision, inFlight) {
      seenVersion = plannedVersion;
      plannerDone = decision.done;
      holdingPartition = decision.done && holdsAtPartition(state, decision);
      return gateDecision(decision, state, inFlight, rollbackPending());
    },
    finished(inFlight) {
      ending = retargeting === 0 && isFinished(state, plannerDone, holdingPartition, inFlight, rollbackPending());
      return ending;
    },
    phase(phase) {
      return controlledPhase(phase, state);
    },
    woke() {
      return version !== seenVersion;
    },
    waitMs(ms, inFlight) {
      return (isHolding(state) || holdingPartition) && inFlight === 0 ? HOLD_RESYNC_MS : ms;
    },
    result() {
      const a = state.aborted;
      if (!a) return {};
      return {
        aborted: { rollback: a.rollback, atMs: a.atMs },
        ...(a.fromTarget ? { abortedRevision: a.fromTarget } : {}),
        ...(a.reason ? { reason: a.reason } : {}),
      };
    },
    async rollbackOnFailure(reason) {
      if (state.aborted !== null || state.previousImages === null) return false;
      try {
        await abort({ rollback: true }, reason);
      } catch {
        return false; // the template could not be reverted: abort() left the rollout aborting without rollback
      }
      return true;
    },
  };
}
