/**
 * Thin, idempotent Kubernetes calls on single Pods. Every write first reads the Pod and returns early when the
 * desired state is already there, so a retry after a crash never restarts a container twice, never re-drains a
 * Pod that is already back, and never leaves InPlaceUpdateReady=False behind.
 */
import { ApplicationFailure } from '@temporalio/common';
import { PatchStrategy, setHeaderOptions, type V1Pod } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { KubeClients } from '../kube/clients.js';
import { describe, isConflict, isNotFound, NonRetryable, statusCode, toActivityError } from '../kube/errors.js';
import {
  Annotations,
  Conditions,
  describeHookWait,
  hookWaitOver,
  isPodHooked,
  Labels,
  LifecycleState,
  Reasons,
  toMs,
  toPodView,
  type HookWait,
  type PodView,
} from '../rollout/index.js';
import { activityLogger, pollUntil, recordEvent } from './context.js';
import { eventSeriesFor } from './events.js';
import { containersUpdated, readyWithGate } from './predicates.js';
import type { PodRef, ReadyResult } from './types.js';

const smp = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);

export interface InPlacePatch extends PodRef {
  /** Target revision (the `controller-revision-hash` label value). */
  revision: string;
  /** Changed containers only: name → new image. */
  images: Record<string, string>;
  labels?: Record<string, string | null>;
  annotations?: Record<string, string | null>;
}

export interface InPlacePatchResult {
  /** imageIDs of the changed containers before the patch (from the inplace-update-state record on a retry). */
  previousImageIDs: Record<string, string | null>;
  /** False when the Pod already carried this patch (a retried activity). */
  patched: boolean;
  atMs: number;
}

/**
 * Records an Event on the Pod, and counts it in the matching series on its controlling CloneSet (one Event per reason
 * there, see src/activities/events.ts). Best effort: never fails the activity. Takes the Pod the caller just read, for
 * its owner: no extra read.
 */
export function makePodEvent(k: KubeClients, logger: Logger) {
  const series = eventSeriesFor(k.core);
  return async function podEvent(ref: PodRef, pod: V1Pod, type: 'Normal' | 'Warning', reason: string, text: string): Promise<void> {
    const log = activityLogger(logger, { pod: ref.name, namespace: ref.namespace });
    const owner = pod.metadata?.ownerReferences?.find((o) => o.controller && o.kind === 'CloneSet');
    await Promise.all([
      recordEvent(k.core, log, { kind: 'Pod', apiVersion: 'v1', namespace: ref.namespace, name: ref.name, uid: ref.uid }, type, reason, text),
      owner
        ? series.record(log, { kind: 'CloneSet', apiVersion: owner.apiVersion, namespace: ref.namespace, name: owner.name, uid: owner.uid }, type, reason, text)
        : undefined,
    ]);
  };
}

export function podActivities(k: KubeClients, logger: Logger) {
  /** Reads the Pod; a missing Pod or one with another uid means someone else deleted/replaced it. */
  async function readPod(ref: PodRef): Promise<V1Pod> {
    let pod: V1Pod;
    try {
      pod = await k.core.readNamespacedPod({ name: ref.name, namespace: ref.namespace });
    } catch (err) {
      if (isNotFound(err)) throw ApplicationFailure.nonRetryable(`Pod ${ref.namespace}/${ref.name} no longer exists`, NonRetryable.PodGone);
      return toActivityError(err, `read Pod ${ref.namespace}/${ref.name}`);
    }
    if (pod.metadata?.uid !== ref.uid) {
      throw ApplicationFailure.nonRetryable(`Pod ${ref.namespace}/${ref.name} was replaced (uid ${pod.metadata?.uid})`, NonRetryable.PodGone);
    }
    return pod;
  }

  async function view(ref: PodRef): Promise<PodView> {
    return toPodView((await readPod(ref)) as never);
  }

  /** Sets the InPlaceUpdateReady condition (strategic merge by type: other conditions are kept). */
  async function setGate(ref: PodRef, pod: V1Pod, ready: boolean): Promise<void> {
    const condition = {
      type: Conditions.inPlaceUpdateReady,
      status: ready ? 'True' : 'False',
      reason: ready ? '' : Reasons.startInPlaceUpdate,
      lastTransitionTime: new Date().toISOString(),
    };
    try {
      await k.core.patchNamespacedPodStatus(
        {
          name: ref.name,
          namespace: ref.namespace,
          body: { metadata: { uid: ref.uid, resourceVersion: pod.metadata?.resourceVersion }, status: { conditions: [condition] } },
        },
        smp,
      );
    } catch (err) {
      return toActivityError(err, `set ${Conditions.inPlaceUpdateReady}=${condition.status} on Pod ${ref.name}`);
    }
  }

  function gateCondition(pod: V1Pod) {
    return pod.status?.conditions?.find((c) => c.type === Conditions.inPlaceUpdateReady);
  }

  function gateStatus(pod: V1Pod): string | undefined {
    return gateCondition(pod)?.status;
  }

  const podEvent = makePodEvent(k, logger);
  const series = eventSeriesFor(k.core);

  return {
    /**
     * Step 1: InPlaceUpdateReady=False so Services drop the Pod. No-op when already False; `offSinceMs` says since
     * when the gate has been False, so the grace period is never started over after a retry.
     */
    async markPodNotReady(ref: PodRef): Promise<{ atMs: number; offSinceMs: number }> {
      const log = activityLogger(logger, { pod: ref.name, namespace: ref.namespace });
      for (;;) {
        const pod = await readPod(ref);
        if (gateStatus(pod) === 'False') {
          const now = Date.now();
          // lastTransitionTime is stored at second precision: add the second back so the grace is never shortened.
          const since = toMs(gateCondition(pod)?.lastTransitionTime);
          const offSinceMs = since === null ? now : Math.min(now, since + 1000);
          log.info({ drainedForMs: now - offSinceMs }, 'InPlaceUpdateReady already False');
          return { atMs: now, offSinceMs };
        }
        try {
          const offSinceMs = Date.now();
          await setGate(ref, pod, false);
          log.info('InPlaceUpdateReady=False: Pod leaves the endpoints');
          return { atMs: Date.now(), offSinceMs };
        } catch (err) {
          if (isConflict(err) || isConflictFailure(err)) continue;
          return toActivityError(err, `update Pod ${ref.name}`);
        }
      }
    },

    /**
     * Step 3: patch the changed containers' images, the revision label, lifecycle Updating and the
     * inplace-update-state annotation in one write (optimistic on resourceVersion). Already applied → no-op.
     */
    async patchPodInPlace(p: InPlacePatch): Promise<InPlacePatchResult> {
      const log = activityLogger(logger, { pod: p.name, namespace: p.namespace, revision: p.revision });
      for (;;) {
        const pod = await readPod(p);
        const v = toPodView(pod as never);
        const applied = v.revision === p.revision && Object.entries(p.images).every(([n, img]) => v.containers.find((c) => c.name === n)?.specImage === img);
        if (applied) {
          const recorded = v.inPlaceState?.lastContainerStatuses ?? {};
          const previousImageIDs = Object.fromEntries(Object.keys(p.images).map((n) => [n, recorded[n]?.imageID ?? null]));
          return { previousImageIDs, patched: false, atMs: Date.now() };
        }
        for (const name of Object.keys(p.images)) {
          if (!v.containers.some((c) => c.name === name)) {
            await podEvent(p, pod, 'Warning', 'FailedUpdate', `failed to update pod ${p.name} in-place: no container "${name}"`);
            throw ApplicationFailure.nonRetryable(`Pod ${p.name} has no container "${name}"`, NonRetryable.Rejected);
          }
        }
        const previousImageIDs = Object.fromEntries(Object.keys(p.images).map((n) => [n, v.containers.find((c) => c.name === n)?.imageID ?? null]));
        const state = {
          revision: p.revision,
          updateTimestamp: new Date().toISOString(),
          lastContainerStatuses: Object.fromEntries(Object.entries(previousImageIDs).map(([n, id]) => [n, { imageID: id ?? '' }])),
        };
        const body = {
          metadata: {
            uid: p.uid,
            resourceVersion: pod.metadata?.resourceVersion,
            labels: { ...(p.labels ?? {}), [Labels.revision]: p.revision, [Labels.lifecycleState]: LifecycleState.Updating },
            annotations: { ...(p.annotations ?? {}), [Annotations.inPlaceUpdateState]: JSON.stringify(state) },
          },
          // In the Pod's own container order: a strategic merge patch listing containers in another order would
          // reorder the list, which the apiserver forbids as a spec change.
          spec: { containers: v.containers.filter((c) => c.name in p.images).map((c) => ({ name: c.name, image: p.images[c.name] })) },
        };
        try {
          await k.core.patchNamespacedPod({ name: p.name, namespace: p.namespace, body }, smp);
        } catch (err) {
          if (isConflict(err)) continue;
          // Rejected for good (400/422): say so on the Pod and the CloneSet; retryable errors are not events.
          const code = statusCode(err);
          if (code === 400 || code === 422) await podEvent(p, pod, 'Warning', 'FailedUpdate', `failed to update pod ${p.name} in-place: ${describe(err)}`);
          return toActivityError(err, `patch images of Pod ${p.name}`);
        }
        log.info({ images: p.images }, 'patched Pod in place');
        return { previousImageIDs, patched: true, atMs: Date.now() };
      }
    },

    /** Step 4: wait until every changed container runs its new image and is ready (heartbeats while waiting). */
    async waitPodUpdated(p: PodRef & { images: Record<string, string>; previousImageIDs: Record<string, string | null> }): Promise<{ atMs: number }> {
      let warned = false; // one Warning per attempt, not one per poll
      const pod = await pollUntil(async () => {
        const current = await readPod(p);
        const r = containersUpdated(toPodView(current as never), p.images, p.previousImageIDs);
        if (!r.done && r.stuck.length > 0 && !warned) {
          warned = true;
          await podEvent(p, current, 'Warning', 'FailedUpdate', `in-place update of pod ${p.name} is stuck: ${r.stuck.join(', ')}`);
        }
        return r.done ? { done: true, value: current } : { done: false, detail: { waiting: r.waiting, stuck: r.stuck } };
      });
      const done = { atMs: Date.now() };
      await podEvent(
        p,
        pod,
        'Normal',
        'SuccessfulUpdatePodInPlace',
        `successfully update pod ${p.name} in-place(revision ${pod.metadata?.labels?.[Labels.revision] ?? 'unknown'})`,
      );
      return done;
    },

    /**
     * Step 5: InPlaceUpdateReady=True and lifecycle Normal (or `Updated`, while an inPlaceUpdate hook waits to be put
     * back). No-op when already so.
     */
    async markPodReady(
      ref: PodRef & { lifecycle?: typeof LifecycleState.Normal | typeof LifecycleState.Updated },
      /**
       * A recent copy of the Pod (batch steps pass what their watch saw), saving the first read. A stale copy costs
       * a conflict and a fresh read, never a wrong write: every write is conditional on uid / resourceVersion.
       */
      known?: V1Pod,
    ): Promise<{ atMs: number }> {
      const log = activityLogger(logger, { pod: ref.name, namespace: ref.namespace });
      const want = ref.lifecycle ?? LifecycleState.Normal;
      let pod: V1Pod | undefined = known?.metadata?.uid === ref.uid ? known : undefined;
      for (;;) {
        pod ??= await readPod(ref);
        const lifecycle = pod.metadata?.labels?.[Labels.lifecycleState];
        try {
          // A Pod without the label stays without it when Normal is wanted (Pods not created by a CloneSet).
          if ((lifecycle !== undefined || want !== LifecycleState.Normal) && lifecycle !== want) {
            // The response is the Pod as written: the status write below is optimistic on its resourceVersion.
            pod = await k.core.patchNamespacedPod(
              { name: ref.name, namespace: ref.namespace, body: { metadata: { uid: ref.uid, labels: { [Labels.lifecycleState]: want } } } },
              smp,
            );
            continue;
          }
          if (gateStatus(pod) === 'True') return { atMs: Date.now() };
          await setGate(ref, pod, true);
          log.info('InPlaceUpdateReady=True');
          return { atMs: Date.now() };
        } catch (err) {
          pod = undefined;
          if (isConflict(err) || isConflictFailure(err)) continue;
          if (isNotFound(err)) throw ApplicationFailure.nonRetryable(`Pod ${ref.namespace}/${ref.name} no longer exists`, NonRetryable.PodGone);
          return toActivityError(err, `update Pod ${ref.name}`);
        }
      }
    },

    /**
     * Lifecycle hook: puts the Pod in `state` (PreparingUpdate / PreparingDelete / Updated) and waits, heartbeating,
     * until an external actor releases it (removes the hook's labels and finalizers) or, for `Updated`, hooks it
     * again. With `markNotReady`, InPlaceUpdateReady goes False first so Services drop the Pod while it is held.
     * A Pod not hooked when a release wait starts is not held at all. Idempotent: a retry finds the state set and
     * simply goes on waiting. Returns whether the Pod was held.
     */
    async awaitLifecycleHook(p: PodRef & HookWait & { markNotReady?: boolean }): Promise<{ held: boolean; atMs: number }> {
      const log = activityLogger(logger, { pod: p.name, namespace: p.namespace, lifecycle: p.state });
      const wait: HookWait = { state: p.state, until: p.until, hook: p.hook };
      for (;;) {
        const pod = await readPod(p);
        const meta = { labels: pod.metadata?.labels ?? {}, finalizers: pod.metadata?.finalizers ?? [] };
        const current = meta.labels[Labels.lifecycleState];
        if (hookWaitOver(wait, meta) && (p.until === 'rehooked' || current !== p.state)) {
          return { held: false, atMs: Date.now() };
        }
        try {
          if (current !== p.state) {
            await k.core.patchNamespacedPod(
              {
                name: p.name,
                namespace: p.namespace,
                body: { metadata: { uid: p.uid, resourceVersion: pod.metadata?.resourceVersion, labels: { [Labels.lifecycleState]: p.state } } },
              },
              smp,
            );
            log.info({ hooked: isPodHooked(p.hook, meta) }, `lifecycle ${p.state}: held by a hook`);
            await podEvent(p, pod, 'Normal', `Lifecycle${p.state}`, `pod ${p.name} is ${describeHookWait(wait)}`);
            continue;
          }
          if (p.markNotReady && gateStatus(pod) !== 'False') {
            await setGate(p, pod, false);
            continue;
          }
        } catch (err) {
          if (isConflict(err) || isConflictFailure(err)) continue;
          return toActivityError(err, `set lifecycle ${p.state} on Pod ${p.name}`);
        }
        break;
      }
      await pollUntil(async () => {
        const pod = await readPod(p);
        const meta = { labels: pod.metadata?.labels ?? {}, finalizers: pod.metadata?.finalizers ?? [] };
        return hookWaitOver(wait, meta) ? { done: true, value: true } : { done: false, detail: { held: describeHookWait(wait) } };
      });
      log.info(`lifecycle ${p.state}: released`);
      return { held: true, atMs: Date.now() };
    },

    /** Waits until the Pod is Ready with its gate True; returns when Ready last became True. */
    async waitPodReady(ref: PodRef): Promise<ReadyResult> {
      return pollUntil(async () => {
        const v = await view(ref);
        if (readyWithGate(v)) return { done: true, value: { readySinceMs: v.readySinceMs ?? Date.now(), atMs: Date.now() } };
        const waiting = v.containers.filter((c) => !c.ready).map((c) => `${c.name}: ${c.waitingReason ?? 'not ready'}`);
        return { done: false, detail: { phase: v.phase, waiting } };
      });
    },

    /** Deletes the Pod (uid precondition) and waits until it is gone. Already gone → done. */
    async deletePod(ref: PodRef & { cloneSet?: { name: string; uid: string }; reason?: string }): Promise<{ atMs: number }> {
      const log = activityLogger(logger, { pod: ref.name, namespace: ref.namespace });
      try {
        await k.core.deleteNamespacedPod({ name: ref.name, namespace: ref.namespace, body: { preconditions: { uid: ref.uid } } });
        log.info({ reason: ref.reason }, 'deleted Pod');
        if (ref.cloneSet) {
          await series.record(
            log,
            { kind: 'CloneSet', apiVersion: 'apps.kruise.io/v1alpha1', namespace: ref.namespace, name: ref.cloneSet.name, uid: ref.cloneSet.uid },
            'Normal',
            'SuccessfulDelete',
            `succeed to delete pod ${ref.name}${ref.reason ? ` (${ref.reason})` : ''}`,
          );
        }
      } catch (err) {
        // 404: gone already; 409: the precondition failed, so the Pod with this uid is gone too.
        if (!isNotFound(err) && !isConflict(err)) return toActivityError(err, `delete Pod ${ref.name}`);
      }
      return pollUntil(async () => {
        try {
          const pod = await k.core.readNamespacedPod({ name: ref.name, namespace: ref.namespace });
          if (pod.metadata?.uid !== ref.uid) return { done: true, value: { atMs: Date.now() } };
          return { done: false, detail: { deleting: true } };
        } catch (err) {
          if (isNotFound(err)) return { done: true, value: { atMs: Date.now() } };
          return toActivityError(err, `read Pod ${ref.name}`);
        }
      });
    },
  };
}

/** Our own conflict handling: setGate converts API errors, so look at the retryable failure's type. */
function isConflictFailure(err: unknown): boolean {
  return err instanceof ApplicationFailure && err.type === 'Http409';
}
