/**
 * Thin, idempotent Kubernetes calls on single Pods. Every write first reads the Pod and returns early when the
 * desired state is already there, so a retry after a crash never restarts a container twice, never re-drains a
 * Pod that is already back, and never leaves InPlaceUpdateReady=False behind. Lifecycle changes carry the
 * `lifecycle.apps.kruise.io/timestamp` annotation, as Kruise writes them.
 */
import { ApplicationFailure } from '@temporalio/common';
import { PatchStrategy, setHeaderOptions, type V1Pod } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { KubeClients } from '../kube/clients.js';
import { describe, isConflict, isNotFound, NonRetryable, statusCode, toActivityError } from '../kube/errors.js';
import {
  Annotations,
  buildInPlaceUpdateState,
  Conditions,
  describeHookWait,
  hookWaitOver,
  isPodHooked,
  Labels,
  lifecycleAfterCreate,
  lifecycleAfterGateOn,
  lifecycleMetadata,
  LifecycleState,
  readyConditionAfterGateOff,
  Reasons,
  serializeInPlaceUpdateState,
  toMs,
  toPodView,
  type HookWait,
  type PodJson,
  type PodView,
  shortHash,
  specHasResize,
  type ContainerResize,
  type ResourceLists,
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
  /** Containers resized in place only: name → their new cpu/memory requests and limits. */
  resources?: Record<string, ContainerResize>;
  labels?: Record<string, string | null>;
  annotations?: Record<string, string | null>;
}

export interface InPlacePatchResult {
  /** imageIDs of the changed containers before the patch (from the inplace-update-state record on a retry). */
  previousImageIDs: Record<string, string | null>;
  /** False when the Pod already carried this patch and resize (a retried activity). */
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

  /**
   * Writes conditions in one pods/status write, optimistic on the Pod's resourceVersion (strategic merge by type:
   * the other conditions are kept). Returns the Pod as written.
   */
  async function writeConditions(ref: PodRef, pod: V1Pod, conditions: object[], what: string): Promise<V1Pod> {
    try {
      return await k.core.patchNamespacedPodStatus(
        {
          name: ref.name,
          namespace: ref.namespace,
          body: { metadata: { uid: ref.uid, resourceVersion: pod.metadata?.resourceVersion }, status: { conditions } },
        },
        smp,
      );
    } catch (err) {
      return toActivityError(err, `set ${what} on Pod ${ref.name}`);
    }
  }

  /**
   * Sets the InPlaceUpdateReady condition. Going False, Ready goes False in the same write (Kruise's
   * SetPodReadyCondition): Services drop the Pod at once, not on the kubelet's next status sync. Ready True is left
   * to the kubelet.
   */
  async function setGate(ref: PodRef, pod: V1Pod, ready: boolean): Promise<V1Pod> {
    const now = Date.now();
    const gate = {
      type: Conditions.inPlaceUpdateReady,
      status: ready ? 'True' : 'False',
      reason: ready ? '' : Reasons.startInPlaceUpdate,
      lastTransitionTime: new Date(now).toISOString(),
    };
    const readyOff = ready ? null : readyConditionAfterGateOff(pod as PodJson, now);
    return writeConditions(ref, pod, readyOff ? [gate, readyOff] : [gate], `${Conditions.inPlaceUpdateReady}=${gate.status}`);
  }

  /** Patches the lifecycle state label and its timestamp (uid precondition); returns the Pod as written. */
  async function setLifecycle(ref: PodRef, state: LifecycleState, resourceVersion?: string): Promise<V1Pod> {
    const meta = lifecycleMetadata(state, Date.now());
    return k.core.patchNamespacedPod(
      { name: ref.name, namespace: ref.namespace, body: { metadata: { uid: ref.uid, ...(resourceVersion ? { resourceVersion } : {}), ...meta } } },
      smp,
    );
  }

  function gateCondition(pod: V1Pod) {
    return pod.status?.conditions?.find((c) => c.type === Conditions.inPlaceUpdateReady);
  }

  function gateStatus(pod: V1Pod): string | undefined {
    return gateCondition(pod)?.status;
  }

  const podEvent = makePodEvent(k, logger);
  const series = eventSeriesFor(k.core);

  /** A container's resources as the Pod's spec has them (plain JSON). */
  function resourcesOf(pod: V1Pod, name: string): ResourceLists {
    const r = pod.spec?.containers?.find((c) => c.name === name)?.resources;
    const plain = (list: Record<string, unknown> | undefined) => (list ? Object.fromEntries(Object.entries(list).map(([k, q]) => [k, String(q)])) : undefined);
    const out: ResourceLists = {};
    const requests = plain(r?.requests as Record<string, unknown> | undefined);
    const limits = plain(r?.limits as Record<string, unknown> | undefined);
    if (requests) out.requests = requests;
    if (limits) out.limits = limits;
    return out;
  }

  /**
   * Resizes the containers whose spec does not ask for `want` yet, in one `pods/resize` write (uid and resourceVersion
   * preconditions; a conflict reads again). Nothing to resize → no write. Returns the Pod as written, or null.
   */
  async function resize(ref: PodRef, known: V1Pod, want: Record<string, ContainerResize>, log: Logger): Promise<V1Pod | null> {
    let pod = known;
    for (;;) {
      const containers = (pod.spec?.containers ?? [])
        .filter((c) => c.name in want && !specHasResize(resourcesOf(pod, c.name), want[c.name]!))
        .map((c) => ({ name: c.name, resources: { requests: want[c.name]!.requests, limits: want[c.name]!.limits } }));
      if (containers.length === 0) return null;
      try {
        const written = await k.core.patchNamespacedPodResize(
          {
            name: ref.name,
            namespace: ref.namespace,
            body: { metadata: { uid: ref.uid, resourceVersion: pod.metadata?.resourceVersion }, spec: { containers } },
          },
          smp,
        );
        log.info({ resize: Object.fromEntries(containers.map((c) => [c.name, c.resources])) }, 'resized Pod in place');
        return written;
      } catch (err) {
        if (isConflict(err)) {
          pod = await readPod(ref);
          continue;
        }
        const code = statusCode(err);
        if (code === 400 || code === 422) await podEvent(ref, pod, 'Warning', 'FailedUpdate', `failed to resize pod ${ref.name} in-place: ${describe(err)}`);
        return toActivityError(err, `resize Pod ${ref.name}`);
      }
    }
  }

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
          // Gated off without Ready (an earlier version of this worker, or another actor): Ready=False now too.
          const readyOff = readyConditionAfterGateOff(pod as PodJson, now);
          if (readyOff) {
            try {
              await writeConditions(ref, pod, [readyOff], 'Ready=False');
            } catch (err) {
              if (isConflict(err) || isConflictFailure(err)) continue;
              throw err;
            }
            log.info({ drainedForMs: now - offSinceMs }, 'InPlaceUpdateReady already False; Ready=False');
          } else log.info({ drainedForMs: now - offSinceMs }, 'InPlaceUpdateReady already False');
          return { atMs: Date.now(), offSinceMs };
        }
        try {
          const offSinceMs = Date.now();
          await setGate(ref, pod, false);
          log.info('InPlaceUpdateReady=False, Ready=False: Pod leaves the endpoints');
          return { atMs: Date.now(), offSinceMs };
        } catch (err) {
          if (isConflict(err) || isConflictFailure(err)) continue;
          return toActivityError(err, `update Pod ${ref.name}`);
        }
      }
    },

    /**
     * Step 3: resize the containers whose cpu/memory change through the `pods/resize` subresource (the only way a
     * running Pod's resources change), then patch the changed containers' images, the revision label, lifecycle
     * Updating and the inplace-update-state annotation in one write (optimistic on resourceVersion). Resize first: any
     * copy of the Pod at the new revision already asks for its new resources, so a wait that compares what the
     * kubelet reports with the Pod's spec never mistakes the old resources for done. Each write is skipped when the
     * Pod already has it: a retry after a crash between the two only patches, and a retry after both changes nothing
     * (no second resize, no second restart).
     */
    async patchPodInPlace(p: InPlacePatch): Promise<InPlacePatchResult> {
      const log = activityLogger(logger, { pod: p.name, namespace: p.namespace, revision: p.revision });
      const resources = p.resources ?? {};
      /** The resized containers' resources before this step (its first read), for the in-place record. */
      let before: Record<string, ResourceLists> | undefined;
      for (;;) {
        let pod = await readPod(p);
        const v = toPodView(pod as never);
        const applied = v.revision === p.revision && Object.entries(p.images).every(([n, img]) => v.containers.find((c) => c.name === n)?.specImage === img);
        if (applied) {
          // Kruise's record omits an empty imageID; ours before it wrote "": both mean unknown.
          const recorded = v.inPlaceState?.lastContainerStatuses ?? {};
          const previousImageIDs = Object.fromEntries(Object.keys(p.images).map((n) => [n, recorded[n]?.imageID || null]));
          const resized = await resize(p, pod, resources, log);
          return { previousImageIDs, patched: resized !== null, atMs: Date.now() };
        }
        for (const name of [...Object.keys(p.images), ...Object.keys(resources)]) {
          if (!v.containers.some((c) => c.name === name)) {
            await podEvent(p, pod, 'Warning', 'FailedUpdate', `failed to update pod ${p.name} in-place: no container "${name}"`);
            throw ApplicationFailure.nonRetryable(`Pod ${p.name} has no container "${name}"`, NonRetryable.Rejected);
          }
        }
        const previousImageIDs = Object.fromEntries(Object.keys(p.images).map((n) => [n, v.containers.find((c) => c.name === n)?.imageID ?? null]));
        before ??= Object.fromEntries(Object.keys(resources).map((n) => [n, resourcesOf(pod, n)]));
        pod = (await resize(p, pod, resources, log)) ?? pod;
        const now = Date.now();
        const state = serializeInPlaceUpdateState(buildInPlaceUpdateState(v, p.revision, p.images, now, before));
        const lifecycle = lifecycleMetadata(LifecycleState.Updating, now);
        const body = {
          metadata: {
            uid: p.uid,
            resourceVersion: pod.metadata?.resourceVersion,
            labels: { ...(p.labels ?? {}), [Labels.revision]: p.revision, [Labels.podTemplateHash]: shortHash(p.revision), ...lifecycle.labels },
            annotations: { ...(p.annotations ?? {}), [Annotations.inPlaceUpdateState]: state, ...lifecycle.annotations },
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
    async waitPodUpdated(
      p: PodRef & {
        images: Record<string, string>;
        previousImageIDs: Record<string, string | null>;
        /** Containers resized in place: done once their status reports the resources their spec asks for. */
        resized?: string[];
      },
    ): Promise<{ atMs: number }> {
      let warned = false; // one Warning per attempt, not one per poll
      const pod = await pollUntil(async () => {
        const current = await readPod(p);
        const r = containersUpdated(toPodView(current as never), p.images, p.previousImageIDs, { pod: current as never, containers: p.resized ?? [] });
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
     * Step 5: InPlaceUpdateReady=True, then lifecycle Normal (or `Updated`, while an inPlaceUpdate hook waits to be
     * put back) — Kruise's order. A crash between the two leaves the gate True in lifecycle Updating: unavailable
     * (not Normal), so it still holds its window slot, and the retry (or a later run's resume) writes the label. A
     * new Pod still PreparingNormal and not bound yet keeps that state (waitPodReady moves it once bound). No-op
     * when already so.
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
        try {
          if (gateStatus(pod) !== 'True') {
            // The response is the Pod as written: the label patch below starts from it.
            pod = await setGate(ref, pod, true);
            log.info('InPlaceUpdateReady=True');
            continue;
          }
          const next = lifecycleAfterGateOn(pod.metadata?.labels?.[Labels.lifecycleState] ?? null, want, !!pod.spec?.nodeName);
          if (next !== null) {
            await setLifecycle(ref, next);
            log.info(`lifecycle ${next}`);
          }
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
            await setLifecycle(p, p.state, pod.metadata?.resourceVersion);
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

    /**
     * Waits until the Pod is Ready with its gate True; returns when Ready last became True. A new Pod still in
     * lifecycle PreparingNormal is moved to Normal once it is bound (Kruise's rule without a preNormal hook), so a
     * Pod this returns for is lifecycle Normal (or has no lifecycle label).
     */
    async waitPodReady(ref: PodRef): Promise<ReadyResult> {
      const log = activityLogger(logger, { pod: ref.name, namespace: ref.namespace });
      return pollUntil(async () => {
        let v = await view(ref);
        const next = lifecycleAfterCreate(v);
        if (next !== null) {
          try {
            v = toPodView((await setLifecycle(ref, next)) as never);
            log.info(`bound to ${v.nodeName}: lifecycle ${next}`);
          } catch (err) {
            if (isNotFound(err)) throw ApplicationFailure.nonRetryable(`Pod ${ref.namespace}/${ref.name} no longer exists`, NonRetryable.PodGone);
            return toActivityError(err, `set lifecycle ${next} on Pod ${ref.name}`);
          }
        }
        if (readyWithGate(v) && v.lifecycleState !== LifecycleState.PreparingNormal) {
          return { done: true, value: { readySinceMs: v.readySinceMs ?? Date.now(), atMs: Date.now() } };
        }
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
