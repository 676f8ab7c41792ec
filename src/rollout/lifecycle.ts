/**
 * Lifecycle hooks (`spec.lifecycle.preDelete` / `spec.lifecycle.inPlaceUpdate`), as pure decisions.
 *
 * A hook names labels and/or finalizers. A Pod is *hooked* while it carries any of them (a label with the given
 * value, or the finalizer): an external actor put them there to say "tell me before you touch this Pod". The rollout
 * then moves the Pod's `lifecycle.apps.kruise.io/state` label to PreparingUpdate / PreparingDelete and waits until the
 * actor *releases* the Pod by removing them. After an in-place update the Pod sits in `Updated` until the actor
 * hooks it again (ready for the next update), and only then returns to `Normal`.
 */
import { LifecycleState, type CloneSetLifecycle, type LifecycleHook } from './types.js';

/** What a hook check reads from a Pod. */
export interface HookedMeta {
  labels?: Record<string, string> | null;
  finalizers?: string[] | null;
}

/** The two hooks a rollout honours, as carried in the rollout's spec. */
export interface RolloutHooks {
  preDelete?: LifecycleHook;
  inPlaceUpdate?: LifecycleHook;
}

/** Whether the hook names anything at all (an empty hook never holds a Pod). */
export function hookDefined(hook: LifecycleHook | undefined | null): hook is LifecycleHook {
  if (!hook) return false;
  return Object.keys(hook.labelsHandler ?? {}).length > 0 || (hook.finalizersHandler ?? []).length > 0;
}

/** Whether the Pod carries any of the hook's labels (with its value) or finalizers. */
export function isPodHooked(hook: LifecycleHook | undefined | null, pod: HookedMeta): boolean {
  if (!hookDefined(hook)) return false;
  const labels = pod.labels ?? {};
  const finalizers = pod.finalizers ?? [];
  return Object.entries(hook.labelsHandler ?? {}).some(([k, v]) => labels[k] === v) || (hook.finalizersHandler ?? []).some((f) => finalizers.includes(f));
}

/** The hooks a rollout carries: only the ones that name something. */
export function rolloutHooks(lifecycle: CloneSetLifecycle | undefined | null): RolloutHooks {
  const out: RolloutHooks = {};
  if (hookDefined(lifecycle?.preDelete)) out.preDelete = lifecycle!.preDelete!;
  if (hookDefined(lifecycle?.inPlaceUpdate)) out.inPlaceUpdate = lifecycle!.inPlaceUpdate!;
  return out;
}

/** A wait on a hook: hold the Pod in `state` until it is released (unhooked) or hooked again. */
export interface HookWait {
  /** The lifecycle state the Pod is put in while the rollout waits. */
  state: typeof LifecycleState.PreparingUpdate | typeof LifecycleState.PreparingDelete | typeof LifecycleState.Updated;
  /** 'released': wait until the Pod is no longer hooked; 'rehooked': until it is hooked again. */
  until: 'released' | 'rehooked';
  hook: LifecycleHook;
}

/** Whether the wait is over for a Pod with these labels and finalizers. */
export function hookWaitOver(w: HookWait, pod: HookedMeta): boolean {
  const hooked = isPodHooked(w.hook, pod);
  return w.until === 'released' ? !hooked : hooked;
}

/** Human-readable reason a Pod is held, for progress and events. */
export function describeHookWait(w: HookWait): string {
  const what = [
    ...Object.entries(w.hook.labelsHandler ?? {}).map(([k, v]) => `label ${k}=${v}`),
    ...(w.hook.finalizersHandler ?? []).map((f) => `finalizer ${f}`),
  ].join(', ');
  return w.until === 'released' ? `${w.state}: waiting for ${what} to be removed` : `${w.state}: waiting for ${what} to be put back`;
}
