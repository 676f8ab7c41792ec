/**
 * Lifecycle hooks (`spec.lifecycle.preDelete` / `spec.lifecycle.inPlaceUpdate`), as pure decisions.
 *
 * A hook names labels and/or finalizers. A Pod is *hooked* while it carries any of them (a label with the given
 * value, or the finalizer): an external actor put them there to say "tell me before you touch this Pod". The rollout
 * then moves the Pod's `lifecycle.apps.kruise.io/state` label to PreparingUpdate / PreparingDelete and waits until the
 * actor *releases* the Pod by removing them. After an in-place update the Pod sits in `Updated` until the actor
 * hooks it again (ready for the next update), and only then returns to `Normal`.
 */
import { toRfc3339 } from './pod.js';
import { Annotations, Labels, LifecycleState, type CloneSetLifecycle, type LifecycleHook } from './types.js';

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

/**
 * The metadata of a lifecycle change, as Kruise writes it in one patch: the state label and the
 * `lifecycle.apps.kruise.io/timestamp` annotation (RFC 3339, whole seconds, UTC).
 */
export function lifecycleMetadata(state: LifecycleState, nowMs: number): { labels: Record<string, string>; annotations: Record<string, string> } {
  return { labels: { [Labels.lifecycleState]: state }, annotations: { [Annotations.lifecycleTimestamp]: toRfc3339(nowMs) } };
}

/**
 * What a Pod created in `PreparingNormal` moves to, and when (Kruise's refreshPodState, with no preNormal hook):
 * `Normal` once the Pod is bound to a node (moving it earlier can trip old kube-schedulers, kruise#1485); null while
 * it is not bound yet, or when it is not in PreparingNormal at all. A Pod in PreparingNormal is not available.
 */
export function lifecycleAfterCreate(pod: { lifecycleState: string | null; nodeName: string | null }): typeof LifecycleState.Normal | null {
  if (pod.lifecycleState !== LifecycleState.PreparingNormal) return null;
  return pod.nodeName ? LifecycleState.Normal : null;
}

/**
 * The lifecycle state to write once InPlaceUpdateReady is True (that write comes first, as Kruise's
 * refreshPodState does), or null when the label stays as it is: already `want`; absent while Normal is wanted (a
 * Pod not created by a CloneSet keeps having none); or PreparingNormal on a Pod not bound yet (it moves to Normal
 * once bound: {@link lifecycleAfterCreate}).
 */
export function lifecycleAfterGateOn(
  current: string | null,
  want: typeof LifecycleState.Normal | typeof LifecycleState.Updated,
  bound: boolean,
): typeof LifecycleState.Normal | typeof LifecycleState.Updated | null {
  if (current === want) return null;
  if ((current === null || current === '') && want === LifecycleState.Normal) return null;
  if (current === LifecycleState.PreparingNormal && want === LifecycleState.Normal && !bound) return null;
  return want;
}
