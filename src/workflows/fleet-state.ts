/**
 * The state of one `rolloutFleet` run (./fleet.ts): its progress record, each cluster's state, and the steps that
 * change them — a cluster's rollout as a child workflow, a wave with `maxParallel` clusters at once, the halt.
 */
import {
  condition,
  log,
  ParentClosePolicy,
  rootCause,
  setCurrentDetails,
  startChild,
  upsertSearchAttributes,
  type ChildWorkflowHandle,
} from '@temporalio/workflow';
import { clustersToStart, rolloutWorkflowIdIn, type FleetClusterState, type FleetSpec, type RolloutInput } from '../rollout/index.js';
import { api, apiOptions } from './activities.js';
import { renderFleetDetails } from './fleet-details.js';
import { FleetPhase, type FleetClusterProgress, type FleetControlsView, type FleetProgress } from './fleet-messages.js';
import { fleetAbortSignal, type RolloutResult } from './messages.js';
import { rolloutCloneSet } from './rollout.js';
import { RolloutPhaseKey } from './search-attributes.js';

export class Fleet {
  readonly progress: FleetProgress;
  readonly states: Record<string, FleetClusterState> = {};
  private readonly running: Record<string, ChildWorkflowHandle<typeof rolloutCloneSet>> = {};
  private version = 0;

  constructor(readonly spec: FleetSpec) {
    const clusters: Record<string, FleetClusterProgress> = {};
    spec.waves.forEach((w, wave) => {
      for (const c of w.clusters) {
        this.states[c] = 'Pending';
        clusters[c] = {
          wave,
          state: 'Pending',
          phase: 'Pending',
          workflowId: rolloutWorkflowIdIn(c, spec.namespace, spec.name),
          counts: null,
          fromRevision: null,
          toRevision: null,
          startImages: null,
          waiting: null,
          error: null,
          startedAtMs: null,
          endedAtMs: null,
        };
      }
    });
    this.progress = {
      phase: FleetPhase.Checking,
      namespace: spec.namespace,
      name: spec.name,
      images: spec.images ?? null,
      waves: spec.waves,
      wave: null,
      clusters,
      bake: null,
      bakes: [],
      approved: [],
      paused: false,
      aborted: null,
      halted: null,
      rollbackOnFailure: spec.rollbackOnFailure,
      maxParallel: spec.maxParallel,
      error: null,
      startedAtMs: null,
      updatedAtMs: null,
    };
  }

  /** Something changed: wake the loop, show it. */
  changed(): void {
    this.version++;
    setCurrentDetails(renderFleetDetails(this.progress));
  }

  setPhase(phase: FleetPhase): void {
    if (this.progress.phase !== phase) {
      this.progress.phase = phase;
      upsertSearchAttributes([{ key: RolloutPhaseKey, value: phase }]);
    }
    this.changed();
  }

  /** Waits until something changes (a child ends or reports, a control). */
  async nextChange(): Promise<void> {
    const seen = this.version;
    await condition(() => this.version !== seen);
  }

  /** No new cluster starts: paused, aborted or halted. */
  holding(): boolean {
    return this.progress.paused || this.progress.aborted !== null || this.progress.halted !== null;
  }

  stopping(): boolean {
    return this.progress.aborted !== null || this.progress.halted !== null;
  }

  view(): FleetControlsView {
    return { phase: this.progress.phase, paused: this.progress.paused, aborted: this.progress.aborted, wave: this.progress.wave };
  }

  setState(cluster: string, state: FleetClusterState): void {
    this.states[cluster] = state;
    this.progress.clusters[cluster]!.state = state;
  }

  /** Signals every running cluster rollout to abort (with rollback when the fleet rolls back). */
  abortRunning(rollback: boolean): void {
    for (const [cluster, h] of Object.entries(this.running)) {
      h.signal(fleetAbortSignal, { rollback }).catch((err: unknown) => log.warn('fleet abort not delivered', { cluster, err: String(err) }));
    }
  }

  /**
   * Runs one cluster's rollout (the child workflow) to its end; `rollback` (the images or revision to return to)
   * makes it the fleet's rollback of that cluster. Never throws: the outcome is in the cluster's record.
   */
  async rollCluster(cluster: string, rollback?: Pick<RolloutInput, 'images' | 'revision'>): Promise<void> {
    const c = this.progress.clusters[cluster]!;
    const input: RolloutInput = {
      namespace: this.spec.namespace,
      name: this.spec.name,
      cluster,
      ...(rollback ? rollback : this.spec.images ? { images: this.spec.images } : {}),
      ...(!rollback && this.spec.rollbackOnFailure ? { rollbackOnFailure: true } : {}),
    };
    try {
      if (!rollback && this.spec.manifest) {
        // The manifest goes into this cluster now (created, or its spec replaced); the rollout rolls it as it is.
        await api.applyFleetManifest.executeWithOptions({ ...apiOptions, summary: `apply the manifest in ${cluster}` }, [
          { namespace: this.spec.namespace, name: this.spec.name, manifest: this.spec.manifest, cluster },
        ]);
      }
      const handle = await startChild(rolloutCloneSet, {
        workflowId: c.workflowId,
        args: [input],
        // A fleet that is terminated leaves its clusters' rollouts to finish (no Pod is left half-way).
        parentClosePolicy: ParentClosePolicy.ABANDON,
        // As the client starts rollouts: a workflow task lost with a killed worker is retried after 4 s, not 10 s.
        workflowTaskTimeout: '4s',
        staticSummary: rollback ? `fleet rollback of ${cluster}` : `fleet: ${cluster}, wave ${c.wave + 1}`,
      });
      if (!rollback) {
        this.running[cluster] = handle;
        // An abort that came while the child was starting reaches it now.
        if (this.progress.aborted) this.abortRunning(this.progress.aborted.rollback);
      }
      const r: RolloutResult = await handle.result();
      if (rollback) {
        c.rolledBack = 'RolledBack';
        c.phase = `rolled back (${r.outcome})`;
        c.toRevision = r.toRevision;
      } else {
        c.phase = r.outcome;
        c.fromRevision = r.fromRevision;
        c.toRevision = r.toRevision;
        this.setState(cluster, r.outcome === 'Completed' ? 'Completed' : r.outcome);
        if (r.outcome !== 'Completed') this.halt(cluster, r.outcome === 'RolledBack' ? 'its rollout rolled back' : 'its rollout was aborted');
      }
    } catch (err) {
      const message = rootCause(err) ?? String(err);
      c.error = message;
      if (rollback) {
        c.rolledBack = 'Failed';
        c.phase = 'rollback failed';
      } else {
        c.phase = 'Failed';
        this.setState(cluster, 'Failed');
        this.halt(cluster, `its rollout failed: ${message}`);
      }
    } finally {
      delete this.running[cluster];
      const at = this.progress.updatedAtMs;
      if (rollback) c.rollbackEndedAtMs = at;
      else c.endedAtMs = at;
      this.changed();
    }
  }

  /** The first cluster that did not complete halts the fleet. */
  halt(cluster: string, reason: string): void {
    if (this.progress.halted || this.progress.aborted) return;
    this.progress.halted = { cluster, reason };
    log.warn('fleet halted', { cluster, reason });
  }

  /**
   * Rolls `clusters` (one wave) with at most maxParallel at once, none started while the fleet holds; returns once
   * none is running and none can start.
   */
  async runWave(clusters: string[], roll: (c: string) => Promise<void>, s: Record<string, FleetClusterState>, holding: () => boolean): Promise<void> {
    const inFlight: Promise<void>[] = [];
    for (;;) {
      for (const c of clustersToStart(clusters, s, this.spec.maxParallel, holding())) {
        s[c] = 'Running';
        inFlight.push(roll(c));
      }
      const running = clusters.some((c) => s[c] === 'Running');
      const pending = clusters.some((c) => s[c] === 'Pending');
      // A pause shows once the clusters running finished and the rest wait for `resume`.
      if (this.progress.paused && !running && pending && !this.stopping()) this.setPhase(FleetPhase.Paused);
      else if (this.progress.phase === FleetPhase.Paused && !this.progress.paused) this.setPhase(FleetPhase.Rolling);
      else this.changed();
      if (!running && (!pending || this.stopping())) break;
      await this.nextChange();
    }
    await Promise.all(inFlight);
  }
}
