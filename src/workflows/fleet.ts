/**
 * `rolloutFleet`: one durable workflow rolls a CloneSet across clusters, wave by wave. Each cluster's rollout is a
 * `rolloutCloneSet` child workflow (ID `cloneset/<cluster>/<namespace>/<name>`, `cloneset/<namespace>/<name>` for the
 * cluster `default`) with every strategy and control of its own. The steps:
 *
 *   1. check every cluster (one GET of the CloneSet each): an unknown, unreachable or unfit cluster refuses the fleet
 *      before any cluster is touched;
 *   2. wave by wave: wait for `approve` if the wave needs it, then for `resume` if paused; roll the wave's clusters,
 *      `maxParallel` at once; a cluster that fails or rolls back halts the fleet (no new cluster starts); after a
 *      completed wave, the bake (a durable timer);
 *   3. halted with rollbackOnFailure, or aborted with rollback: every cluster already rolled returns to its starting
 *      images in place (a rollout to those images), in reverse wave order.
 *
 * Decisions are pure (src/rollout/fleet.ts); the children report their phase and counts with a signal
 * (./fleet-report.ts).
 */
import { allHandlersFinished, ApplicationFailure, condition, log, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import { NonRetryable } from '../kube/error-types.js';
import {
  fleetClusters,
  formatErrors,
  haltingCluster,
  parseFleetInput,
  rollbackWaves,
  waveOutcome,
  type FleetClusterState,
  type FleetInput,
} from '../rollout/index.js';
import { api, apiOptions } from './activities.js';
import {
  approveUpdate,
  clusterProgressSignal,
  fleetAbortUpdate,
  fleetPauseUpdate,
  FleetPhase,
  fleetProgressQuery,
  fleetResumeUpdate,
  type FleetResult,
} from './fleet-messages.js';
import { CloneSetNameKey, CloneSetNamespaceKey, RolloutPhaseKey } from './search-attributes.js';

/** Error type of a fleet refused before any cluster was touched (a cluster unknown, unreachable or unfit). */
export const FLEET_REFUSED = 'FleetRefused';
/** Error type of a fleet halted by a cluster (without rollback). */
export const FLEET_HALTED = 'FleetHalted';

import { Fleet } from './fleet-state.js';

export async function rolloutFleet(rawInput: FleetInput): Promise<FleetResult> {
  const parsed = parseFleetInput(rawInput);
  if (!parsed.ok) throw ApplicationFailure.nonRetryable(`invalid fleet input: ${formatErrors(parsed.errors)}`, NonRetryable.InvalidSpec);
  const spec = parsed.value;
  const fleet = new Fleet(spec);
  const { progress } = fleet;
  installFleetHandlers(fleet);
  upsertSearchAttributes([
    { key: CloneSetNamespaceKey, value: spec.namespace },
    { key: CloneSetNameKey, value: spec.name },
    { key: RolloutPhaseKey, value: progress.phase },
  ]);
  fleet.changed();

  // 1. Check every cluster before any is touched.
  const all = fleetClusters(spec);
  const check = await api.checkFleetClusters.executeWithOptions({ ...apiOptions, summary: `check clusters: ${all.join(', ')}` }, [
    {
      namespace: spec.namespace,
      name: spec.name,
      clusters: all,
      ...(spec.images ? { images: spec.images } : {}),
      ...(spec.manifest ? { manifest: true } : {}),
    },
  ]);
  progress.startedAtMs = check.atMs;
  progress.updatedAtMs = check.atMs;
  if (check.problems.length > 0) {
    progress.error = `fleet refused, no cluster was touched: ${check.problems.join('; ')}`;
    fleet.setPhase(FleetPhase.Failed);
    await condition(allHandlersFinished);
    throw ApplicationFailure.create({ message: progress.error, type: FLEET_REFUSED, nonRetryable: true, details: [progress] });
  }
  for (const [c, v] of Object.entries(check.clusters)) {
    progress.clusters[c]!.startImages = v.exists ? v.images : null;
    progress.clusters[c]!.startRevision = v.revision;
  }

  // 2. Wave by wave.
  for (let i = 0; i < spec.waves.length && !fleet.stopping(); i++) {
    const wave = spec.waves[i]!;
    progress.wave = i;
    if (wave.approval && !progress.approved.includes(i)) {
      fleet.setPhase(FleetPhase.AwaitingApproval);
      log.info('fleet awaiting approval', { wave: i });
      await condition(() => progress.approved.includes(i) || fleet.stopping());
      if (fleet.stopping()) break;
    }
    if (progress.paused) {
      fleet.setPhase(FleetPhase.Paused);
      await condition(() => !progress.paused || fleet.stopping());
      if (fleet.stopping()) break;
    }
    fleet.setPhase(FleetPhase.Rolling);
    log.info('fleet wave starts', { wave: i, clusters: wave.clusters });
    await fleet.runWave(
      wave.clusters,
      (c) => {
        fleet.setState(c, 'Running');
        return fleet.rollCluster(c);
      },
      fleet.states,
      () => fleet.holding(),
    );
    if (fleet.stopping() || waveOutcome(wave.clusters, fleet.states) !== 'completed') break;
    // The bake: a durable timer; an abort or halt ends it early.
    if (i < spec.waves.length - 1 && wave.bake > 0) {
      const at = await api.fleetClock.executeWithOptions({ ...apiOptions, summary: `bake wave ${i + 1}: ${wave.bake} s` }, []);
      progress.updatedAtMs = Math.max(progress.updatedAtMs ?? 0, at);
      progress.bake = { wave: i, seconds: wave.bake, startedAtMs: at, endsAtMs: at + wave.bake * 1000 };
      progress.bakes.push(progress.bake);
      fleet.setPhase(FleetPhase.Baking);
      await condition(() => fleet.stopping(), wave.bake * 1000);
      progress.bake = null;
      fleet.changed();
    }
  }

  // 3. Halted or aborted: roll back what was rolled, in reverse wave order.
  const halter = haltingCluster(all, fleet.states);
  if (!progress.aborted && !progress.halted && halter) progress.halted = { cluster: halter, reason: 'its rollout did not complete' };
  const rollback = progress.aborted ? progress.aborted.rollback : progress.halted !== null && spec.rollbackOnFailure;
  if (rollback) {
    fleet.setPhase(FleetPhase.RollingBack);
    const back = rollbackWaves(spec.waves, fleet.states);
    log.info('fleet rolling back', { waves: back });
    for (const wave of back) {
      // A manifest fleet returns each cluster to the revision it was on; a CloneSet the fleet created stays.
      const clusters = wave.filter((c) => {
        const cp = progress.clusters[c]!;
        if (!spec.manifest || cp.startRevision != null) return true;
        cp.phase = `${cp.phase} (created by the fleet: not rolled back)`;
        return false;
      });
      const done: Record<string, FleetClusterState> = Object.fromEntries(clusters.map((c) => [c, 'Pending']));
      await fleet.runWave(
        clusters,
        (c) => {
          const cp = progress.clusters[c]!;
          cp.rollbackStartedAtMs = progress.updatedAtMs;
          const to = spec.manifest ? { revision: cp.startRevision! } : { images: cp.startImages ?? {} };
          return fleet.rollCluster(c, to).finally(() => {
            done[c] = 'Completed';
          });
        },
        done,
        () => false,
      );
    }
  }
  await condition(allHandlersFinished);
  const failedBack = Object.entries(progress.clusters).filter(([, c]) => c.rolledBack === 'Failed');
  if (failedBack.length > 0) {
    progress.error = `fleet rollback failed in ${failedBack.map(([n, c]) => `cluster ${n} (${c.error ?? 'unknown'})`).join(', ')}`;
    fleet.setPhase(FleetPhase.Failed);
    throw ApplicationFailure.create({ message: progress.error, type: 'FleetRollbackFailed', nonRetryable: true, details: [progress] });
  }
  if (progress.halted && !rollback) {
    progress.error = `fleet halted by cluster ${progress.halted.cluster}: ${progress.halted.reason}; no new cluster was started`;
    fleet.setPhase(FleetPhase.Halted);
    throw ApplicationFailure.create({ message: progress.error, type: FLEET_HALTED, nonRetryable: true, details: [progress] });
  }
  const outcome: FleetResult['outcome'] = rollback ? 'RolledBack' : progress.aborted ? 'Aborted' : 'Completed';
  fleet.setPhase(FleetPhase[outcome]);
  log.info('fleet ended', { outcome, halted: progress.halted });
  return {
    namespace: spec.namespace,
    name: spec.name,
    outcome,
    clusters: progress.clusters,
    halted: progress.halted,
    durationMs: (progress.updatedAtMs ?? 0) - (progress.startedAtMs ?? 0),
  };
}

function installFleetHandlers(fleet: Fleet): void {
  const { progress } = fleet;
  const ended = () =>
    ([FleetPhase.Completed, FleetPhase.RolledBack, FleetPhase.Aborted, FleetPhase.Halted, FleetPhase.Failed, FleetPhase.RollingBack] as string[]).includes(
      progress.phase,
    );
  const notEnded = (control: string) => {
    if (progress.aborted) throw new Error(`${control}: the fleet is being aborted${progress.aborted.rollback ? ' with rollback' : ''}`);
    if (ended()) throw new Error(`${control}: the fleet is ${progress.phase}`);
  };

  setHandler(fleetProgressQuery, () => progress);

  setHandler(clusterProgressSignal, (r) => {
    const c = progress.clusters[r.cluster];
    if (!c) return;
    c.counts = r.counts;
    c.waiting = r.waiting;
    if (r.updatedAtMs !== null) progress.updatedAtMs = Math.max(progress.updatedAtMs ?? 0, r.updatedAtMs);
    if (c.rolledBack === undefined && c.rollbackStartedAtMs === undefined) {
      c.phase = r.phase;
      c.fromRevision = r.fromRevision;
      c.toRevision = r.toRevision;
      c.startedAtMs ??= r.startedAtMs;
    } else {
      c.phase = `rollback: ${r.phase}`;
    }
    fleet.changed();
  });

  setHandler(
    approveUpdate,
    () => {
      const wave = progress.wave!;
      progress.approved.push(wave);
      log.info('fleet wave approved', { wave });
      fleet.changed();
      return { approvedWave: wave };
    },
    {
      validator: () => {
        notEnded('approve');
        if (progress.phase !== FleetPhase.AwaitingApproval) {
          throw new Error(`approve: the fleet is not awaiting approval (phase ${progress.phase}, wave ${progress.wave === null ? '-' : progress.wave + 1})`);
        }
      },
    },
  );

  setHandler(
    fleetPauseUpdate,
    () => {
      progress.paused = true;
      log.info('fleet paused: no new cluster starts');
      fleet.changed();
      return fleet.view();
    },
    { validator: () => notEnded('pause') },
  );

  setHandler(
    fleetResumeUpdate,
    () => {
      progress.paused = false;
      if (progress.phase === FleetPhase.Paused) fleet.setPhase(FleetPhase.Rolling);
      fleet.changed();
      return fleet.view();
    },
    { validator: () => notEnded('resume') },
  );

  setHandler(
    fleetAbortUpdate,
    (opts) => {
      const rollback = opts?.rollback === true;
      progress.aborted = { rollback };
      log.info('fleet aborted', { rollback });
      fleet.abortRunning(rollback);
      fleet.setPhase(FleetPhase.Aborting);
      return fleet.view();
    },
    {
      validator: (opts) => {
        notEnded('abort');
        if (opts !== undefined && opts !== null && (typeof opts !== 'object' || Array.isArray(opts)))
          throw new Error('abort takes { "rollback": true | false }');
        if (opts?.rollback !== undefined && typeof opts.rollback !== 'boolean') throw new Error('abort: rollback must be true or false');
      },
    },
  );
}
