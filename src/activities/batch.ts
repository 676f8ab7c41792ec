/**
 * The in-place steps for a batch of Pods that start together: one activity per step instead of one per Pod, so a
 * wave of a hundred Pods costs a handful of workflow events, not hundreds. Each step applies the single-Pod step
 * (src/activities/pods.ts, idempotent) to every Pod, a few at a time; a retried batch finds the Pods already done
 * and moves on. A Pod that vanished is reported as gone (the workflow re-plans), never as a batch failure.
 *
 * The wait for containers and readiness is driven by one watch on the CloneSet's Pods (pod-watch.ts), not polling.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { V1Pod } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { KubeClients } from '../kube/clients.js';
import { NonRetryable } from '../kube/errors.js';
import { resumeWait, toPodView, type ContainerResize, type ResumeWait } from '../rollout/index.js';
import { activityLogger, heartbeat } from './context.js';
import { collectionVersion, mapLimit, PodSetWatch } from './pod-watch.js';
import { makePodEvent, type podActivities } from './pods.js';
import { containersUpdated, readyWithGate } from './predicates.js';
import type { PodRef } from './types.js';

/** Kubernetes calls in flight at once for one batch. */
const CONCURRENCY = 32;

/** Per-Pod outcome of a batch step: results by Pod name, and the Pods found gone (with why). */
export interface BatchResult<T> {
  results: Record<string, T>;
  gone: Record<string, string>;
  atMs: number;
}

/** A Pod of a batch: the namespace is the batch's. */
export interface BatchPod {
  name: string;
  uid: string;
}

/** How Pods of one old revision change: the same for every Pod on it, so sent once per revision. */
export interface BatchRevisionPlan {
  images: Record<string, string>;
  /** Containers resized in place through pods/resize (absent: none). */
  resources?: Record<string, ContainerResize>;
  labels: Record<string, string | null>;
  annotations: Record<string, string | null>;
}

export interface PatchBatchInput {
  namespace: string;
  /** The revision the Pods move to. */
  revision: string;
  /** By the revision a Pod is on. */
  plans: Record<string, BatchRevisionPlan>;
  pods: (BatchPod & { from: string })[];
  /**
   * The CloneSet's label selector: given, the step first takes the Pods' collection resourceVersion (one LIST with
   * limit 1) and returns it as `watchFrom`, so the wait that follows watches from before these patches without
   * reading each Pod again.
   */
  selector?: string;
}

/** The patch step's result: per Pod whether it was patched now, and where the following wait may watch from. */
export interface PatchBatchResult extends BatchResult<boolean> {
  /** A resourceVersion taken before any of the patches: every later change of these Pods is newer. */
  watchFrom?: string;
}

export interface FinishInput {
  namespace: string;
  /** The CloneSet's label selector (the watch's filter). */
  selector: string;
  /** The revision the Pods were patched to: their in-place record says which containers changed, and from what. */
  revision: string;
  pods: BatchPod[];
  /**
   * Once one Pod is Ready, wait at most this long (ms) for the others before returning the Ready ones, so one slow
   * Pod does not hold the window slots of its batch. Default 1000.
   */
  lingerMs?: number;
  /**
   * Watch from this resourceVersion (the patch step's `watchFrom`) instead of reading every Pod first: each Pod's
   * patch, and all that follows it, arrives as a watch event. Too old (410 Gone): the wait starts over with reads.
   */
  watchFrom?: string;
  /**
   * Hold each Ready Pod this long after it became Ready (its minReadySeconds) before counting it done, so it comes
   * back available: a short minReadySeconds costs the workflow no durable timer (and no timer's rounding up to the
   * server's timer precision). 0 (default): Pods come back as soon as they are Ready.
   */
  holdReadyMs?: number;
}

export interface FinishResult {
  /** Pods Ready with InPlaceUpdateReady=True, lifecycle Normal: when each became Ready (ms since epoch). */
  ready: Record<string, number>;
  gone: Record<string, string>;
  /** Pods still on their way (the workflow waits for them again). */
  pending: string[];
  atMs: number;
}

function isPodGone(err: unknown): string | null {
  return err instanceof ApplicationFailure && err.type === NonRetryable.PodGone ? err.message : null;
}

const refs = (namespace: string, pods: BatchPod[]): PodRef[] => pods.map((p) => ({ namespace, name: p.name, uid: p.uid }));

export function batchActivities(k: KubeClients, logger: Logger, single: ReturnType<typeof podActivities>) {
  const podEvent = makePodEvent(k, logger);

  /** Runs a single-Pod step on every Pod; PodGone is collected, any other error fails the batch (and is retried). */
  async function each<I extends PodRef, T>(pods: I[], step: (p: I) => Promise<T>): Promise<BatchResult<T>> {
    const results: Record<string, T> = {};
    const gone: Record<string, string> = {};
    await mapLimit(pods, CONCURRENCY, async (p) => {
      try {
        results[p.name] = await step(p);
      } catch (err) {
        const why = isPodGone(err);
        if (why === null) throw err;
        gone[p.name] = why;
      }
      heartbeat({ done: Object.keys(results).length + Object.keys(gone).length, of: pods.length });
    });
    return { results, gone, atMs: Date.now() };
  }

  return {
    /** Step 1 for a batch: InPlaceUpdateReady=False on every Pod (see markPodNotReady): since when, per Pod. */
    async markPodsNotReady(input: { namespace: string; pods: BatchPod[] }): Promise<BatchResult<number>> {
      return each(refs(input.namespace, input.pods), async (p) => (await single.markPodNotReady(p)).offSinceMs);
    },

    /** Step 3 for a batch: patch each Pod's changed images (see patchPodInPlace): whether it was patched now. */
    async patchPodsInPlace(input: PatchBatchInput): Promise<PatchBatchResult> {
      const pods = input.pods.map((p) => ({ ...p, namespace: input.namespace }));
      const watchFrom = input.selector === undefined ? undefined : await collectionVersion(k, input.namespace, input.selector);
      const result = await each(pods, async (p) => {
        const plan = input.plans[p.from];
        if (!plan) throw ApplicationFailure.nonRetryable(`no plan for revision ${p.from} of Pod ${p.name}`, NonRetryable.Rejected);
        return (await single.patchPodInPlace({ ...p, revision: input.revision, ...plan })).patched;
      });
      return watchFrom ? { ...result, watchFrom } : result;
    },

    /**
     * Steps 4–5 for a batch, driven by a watch: as each Pod's changed containers run their new images, its
     * InPlaceUpdateReady goes True (lifecycle Normal); then it waits for the kubelet's Ready. Returns when every Pod
     * is Ready, or when some are and `lingerMs` passed since the first (the rest are `pending`).
     */
    async finishPodsInPlace(input: FinishInput): Promise<FinishResult> {
      const log = activityLogger(logger, { namespace: input.namespace, pods: input.pods.map((p) => p.name) });
      const byName = Object.fromEntries(refs(input.namespace, input.pods).map((p) => [p.name, p]));
      /** What each Pod's changed containers must reach, from its in-place record (read with its first copy). */
      const wanted: Record<string, ResumeWait> = {};
      const phase: Record<string, 'containers' | 'gating' | 'ready'> = Object.fromEntries(input.pods.map((p) => [p.name, 'containers']));
      const latest: Record<string, V1Pod> = {};
      const ready: Record<string, number> = {};
      const gone: Record<string, string> = {};
      const warned = new Set<string>();
      let firstReadyAt: number | null = null;
      const hold = input.holdReadyMs ?? 0;
      /** Ready Pods held until they are available: the timer that evaluates each again. */
      const holding = new Map<string, NodeJS.Timeout>();
      let failure: unknown = null;
      let wake: () => void = () => undefined;
      const pending = () => input.pods.map((p) => p.name).filter((n) => !(n in ready) && !(n in gone));

      const evaluate = (name: string) => {
        const p = byName[name]!;
        const pod = latest[name];
        if (!pod || name in ready || name in gone) return;
        const v = toPodView(pod as never);
        if (phase[name] === 'containers') {
          // A copy from before this Pod's patch (a watch from before the patches replays it, e.g. its resize): not yet.
          if (v.revision !== input.revision) return;
          const want = (wanted[name] ??= resumeWait(v, input.revision));
          const r = containersUpdated(v, want.images, want.previousImageIDs, { pod, containers: want.resized ?? [] });
          if (!r.done) {
            if (r.stuck.length > 0 && !warned.has(name)) {
              warned.add(name);
              void podEvent(p, pod, 'Warning', 'FailedUpdate', `in-place update of pod ${name} is stuck: ${r.stuck.join(', ')}`);
            }
            return;
          }
          phase[name] = 'gating';
          // Recorded once: a gate already True means an earlier attempt of this wait (retried after a worker died or
          // missed a heartbeat) recorded it before putting the Pod back.
          if (v.gateReady !== true) {
            void podEvent(p, pod, 'Normal', 'SuccessfulUpdatePodInPlace', `successfully update pod ${name} in-place(revision ${v.revision ?? 'unknown'})`);
          }
          void single
            .markPodReady(p, pod)
            .then(() => {
              phase[name] = 'ready';
              evaluate(name);
            })
            .catch((err: unknown) => {
              const why = isPodGone(err);
              if (why !== null) gone[name] = why;
              else failure ??= err;
              wake();
            });
          return;
        }
        if (phase[name] === 'ready' && readyWithGate(v)) {
          const now = Date.now();
          const since = v.readySinceMs ?? now;
          if (since + hold > now) {
            // Ready, not yet available: evaluated again when it is (an event in between re-checks it too).
            clearTimeout(holding.get(name));
            holding.set(
              name,
              setTimeout(
                () => {
                  holding.delete(name);
                  evaluate(name);
                },
                since + hold - now,
              ),
            );
            return;
          }
          ready[name] = since;
          firstReadyAt ??= now;
          wake();
        }
      };

      const watch = new PodSetWatch(k, {
        namespace: input.namespace,
        fromResourceVersion: input.watchFrom,
        labelSelector: input.selector,
        pods: Object.fromEntries(input.pods.map((p) => [p.name, p.uid])),
        pending,
        onPod(name, pod) {
          if (pod === null) {
            if (!(name in ready)) gone[name] ??= `Pod ${input.namespace}/${name} no longer exists`;
            wake();
            return;
          }
          latest[name] = pod;
          evaluate(name);
        },
      });
      const linger = input.lingerMs ?? 1000;
      let cancelled: Promise<never> | null = null;
      try {
        cancelled = Context.current().cancelled;
      } catch {
        // not in an activity (plain call)
      }
      try {
        await watch.start();
        for (;;) {
          if (failure) throw failure as Error;
          const left = pending();
          if (left.length === 0) break;
          if (firstReadyAt !== null && Date.now() - firstReadyAt >= linger) break;
          heartbeat({ pending: left.length, ready: Object.keys(ready).length });
          const tick = new Promise<void>((resolve) => {
            wake = resolve;
            setTimeout(resolve, firstReadyAt === null ? 1000 : Math.max(10, Math.min(1000, firstReadyAt + linger - Date.now())));
          });
          await (cancelled ? Promise.race([tick, cancelled]) : tick);
        }
      } finally {
        watch.stop();
        for (const t of holding.values()) clearTimeout(t);
      }
      const left = pending();
      log.info({ ready: Object.keys(ready).length, gone: Object.keys(gone).length, pending: left.length, watch: watch.counters }, 'batch in place: Pods ready');
      return { ready, gone, pending: left, atMs: Date.now() };
    },
  };
}
