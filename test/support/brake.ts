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
 * Plays the service registry the hook waits on: releases Pods held in PreparingUpdate only as the test allows
 * ({@link release}, {@link open}), and hooks updated Pods again (Updated → Normal) unless {@link holdUpdated}. It
 * lists the Pods itself every 50 ms (no watch that could fall behind or drop), one step at a time.
 */
export class HookActor {
  private budget = 0;
  private readonly released = new Set<string>();
  private holdAfter = false;
  private stopped = false;
  private pods: V1Pod[] = [];
  private readonly loop: Promise<void>;

  constructor(
    private readonly k: KubeClients,
    private readonly namespace: string,
    private readonly labelSelector = 'app=web',
  ) {
    this.loop = this.run();
  }

  /** Pods held in PreparingUpdate now (not released), as last listed. */
  held(): string[] {
    return this.pods
      .filter((p) => lifecycleState(p) === 'PreparingUpdate' && p.metadata?.labels?.[HOOK_LABEL] === 'true' && !this.released.has(p.metadata!.name!))
      .map((p) => p.metadata!.name!);
  }

  /** The Pods (not terminating) as last listed. */
  listed(): V1Pod[] {
    return this.pods;
  }

  /** Pods waiting in Updated for the hook to come back, as last listed. */
  updated(): string[] {
    return this.pods.filter((p) => lifecycleState(p) === 'Updated').map((p) => p.metadata!.name!);
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

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.tick();
      } catch {
        // the next round lists again
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  private async tick(): Promise<void> {
    const list = await within(this.k.core.listNamespacedPod({ namespace: this.namespace, labelSelector: this.labelSelector }));
    this.pods = list.items.filter((p) => !p.metadata?.deletionTimestamp);
    for (const p of this.pods) {
      const name = p.metadata!.name!;
      const label = p.metadata?.labels?.[HOOK_LABEL];
      const state = lifecycleState(p);
      if (state === 'PreparingUpdate' && label === 'true') {
        if (!this.released.has(name) && this.budget > 0) {
          this.budget--;
          this.released.add(name);
        }
        if (this.released.has(name)) await this.label(p, 'false');
      } else if (state === 'Updated' && label !== 'true' && !this.holdAfter) {
        this.released.delete(name); // a later update of the same Pod (a rollback, a retarget) is held again
        await this.label(p, 'true');
      }
    }
  }

  /** Sets the hook label, on the version listed (a Pod changed since is seen again next round). */
  private async label(p: V1Pod, value: string): Promise<void> {
    const body = { metadata: { resourceVersion: p.metadata!.resourceVersion, labels: { [HOOK_LABEL]: value } } };
    await within(this.k.core.patchNamespacedPod({ name: p.metadata!.name!, namespace: this.namespace, body }, merge)).catch(() => undefined);
  }
}

/** A Kubernetes call, or a rejection after 5 s (a call that never answers must not stall the actor). */
function within<T>(call: Promise<T>, ms = 5_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([call, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)))]).finally(() =>
    clearTimeout(timer),
  );
}
