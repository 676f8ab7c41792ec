/**
 * Deterministic holds on a rollout, so tests that operate a running rollout never race it, however fast or slow the
 * machine is:
 * - the brake: the CloneSet's own `spec.updateStrategy.paused`. A rollout started braked takes no Pod until
 *   released, so controls sent meanwhile (pause, setPartition...) are in place before any Pod moves.
 * - the hook: an `inPlaceUpdate` lifecycle hook (a label the rollout waits on). A Pod taken stays in flight, held
 *   in PreparingUpdate, until the {@link HookActor} releases it; after its update it waits in Updated until the
 *   actor puts the label back (the actor does that by itself unless told to hold).
 */
import { PatchStrategy, setHeaderOptions, type V1Pod } from '@kubernetes/client-node';
import { CLONESET, type KubeClients } from '../../src/kube/clients.js';
import type { CloneSet } from '../../src/rollout/index.js';
import type { ReadinessWatcher } from './watcher.js';

const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** Sets the CloneSet's `spec.updateStrategy.paused` (a merge patch: the template, images included, is left alone). */
export async function setSpecPaused(k: KubeClients, namespace: string, name: string, paused: boolean): Promise<void> {
  await k.custom.patchNamespacedCustomObject({ ...CLONESET, namespace, name, body: { spec: { updateStrategy: { paused } } } }, merge);
}

export const HOOK_LABEL = 'hooks.example.com/in-service';
export const LIFECYCLE_STATE = 'lifecycle.apps.kruise.io/state';

/** The CloneSet with an inPlaceUpdate hook on {@link HOOK_LABEL} (Pods are created hooked). Mutates and returns it. */
export function withUpdateHook(cs: CloneSet): CloneSet {
  cs.spec.lifecycle = { ...cs.spec.lifecycle, inPlaceUpdate: { labelsHandler: { [HOOK_LABEL]: 'true' } } };
  cs.spec.template.metadata = { ...cs.spec.template.metadata, labels: { ...cs.spec.template.metadata?.labels, [HOOK_LABEL]: 'true' } };
  return cs;
}

export const lifecycleState = (p: V1Pod | undefined) => p?.metadata?.labels?.[LIFECYCLE_STATE];

/**
 * Plays the service registry the hook waits on, every 50 ms: releases Pods held in PreparingUpdate only as the test
 * allows ({@link release}, {@link open}), and hooks updated Pods again (Updated → Normal) unless {@link holdUpdated}.
 */
export class HookActor {
  private budget = 0;
  private readonly released = new Set<string>();
  private holdAfter = false;
  private readonly timer: NodeJS.Timeout;
  private readonly patching = new Set<string>();

  constructor(
    private readonly k: KubeClients,
    private readonly namespace: string,
    private readonly w: ReadinessWatcher,
  ) {
    this.timer = setInterval(() => this.tick(), 50);
  }

  /** Pods held in PreparingUpdate now (not released). */
  held(): string[] {
    return this.w.livePods().filter((p) => lifecycleState(p) === 'PreparingUpdate' && p.metadata?.labels?.[HOOK_LABEL] === 'true' && !this.released.has(p.metadata!.name!)).map((p) => p.metadata!.name!);
  }

  /** Pods waiting in Updated for the hook to come back. */
  updated(): string[] {
    return this.w.livePods().filter((p) => lifecycleState(p) === 'Updated').map((p) => p.metadata!.name!);
  }

  /** Lets `n` more Pods (the next ones to reach PreparingUpdate, or these names) through. */
  release(n: number | string[]): void {
    if (typeof n === 'number') this.budget += n;
    else for (const name of n) this.released.add(name);
  }

  /** Lets every Pod through from now on, and hooks updated Pods again. */
  open(): void {
    this.budget = Infinity;
    this.holdAfter = false;
  }

  /** Whether updated Pods wait in Updated (true) or are hooked again at once (false, the default). */
  holdUpdated(hold: boolean): void {
    this.holdAfter = hold;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private tick(): void {
    for (const p of this.w.livePods()) {
      const name = p.metadata!.name!;
      const label = p.metadata?.labels?.[HOOK_LABEL];
      const state = lifecycleState(p);
      if (state === 'PreparingUpdate' && label === 'true') {
        if (!this.released.has(name) && this.budget > 0) {
          this.budget--;
          this.released.add(name);
        }
        if (this.released.has(name)) this.label(name, 'false');
      } else if (state === 'Updated' && label === 'false' && !this.holdAfter) {
        this.released.delete(name); // a later update of the same Pod (a rollback, a retarget) is held again
        this.label(name, 'true');
      }
    }
  }

  private label(name: string, value: string): void {
    if (this.patching.has(name)) return;
    this.patching.add(name);
    void this.k.core
      .patchNamespacedPod({ name, namespace: this.namespace, body: { metadata: { labels: { [HOOK_LABEL]: value } } } }, merge)
      .catch(() => undefined)
      .finally(() => this.patching.delete(name));
  }
}
