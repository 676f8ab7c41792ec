/**
 * CloneSet-level activities: resolve a rollout's target (validate, apply requested images or a recorded revision,
 * record the revision), observe the Pods while refreshing the CloneSet's status and plan the round next to them, set
 * the Progressing condition, and create Pods of a revision. Decisions are made by the pure modules in src/rollout
 * (the planner runs here, next to the Pods); these functions only read (src/kube/cloneset-read.ts) and write
 * Kubernetes.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { PatchStrategy, setHeaderOptions, type V1ControllerRevision } from '@kubernetes/client-node';
import { mapLimit } from './pod-watch.js';
import { planRound } from './round.js';
import { applyCloneSet, ManifestError } from '../kube/apply.js';
import type { Logger } from 'pino';
import { getCloneSet, listCloneSetPods, readCloneSetState, type StoredRevision } from '../kube/cloneset-read.js';
import { CLONESET, type KubeClients } from '../kube/clients.js';
import { describe, isAlreadyExists, isConflict, isNotFound, NonRetryable, statusCode, toActivityError } from '../kube/errors.js';
import {
  applyImages,
  buildPod,
  canonicalJson,
  CLONESET_API_VERSION,
  computeStatus,
  formatErrors,
  planPodUpdate,
  chooseUpdateRevision,
  collisionCountOf,
  planSpecFrom,
  revisionData,
  revisionName,
  REVISION_HASH_LABEL,
  rolloutHooks,
  sameTemplate,
  shortHash,
  templateOfRevision,
  selectorString,
  statusMergePatch,
  ROLLOUT_ANNOTATIONS,
  validateCloneSet,
  type CloneSet,
  type NormalizedCloneSet,
  type PodTemplateSpec,
  type PodView,
  type RolloutHooks,
} from '../rollout/index.js';
import {
  applyRecord,
  formatRollbackMarker,
  parseRollbackMarker,
  planPrune,
  planRecord,
  resolveRevision,
  REVISION_CLONESET_LABEL,
  ROLLBACK_ANNOTATION,
  type RollbackMarker,
} from '../rollout/history.js';
import { activityLogger, recordEvent } from './context.js';
import { eventSeriesFor } from './events.js';
import type { PlannedObservation, PlanRoundInput, RevisionPlan, RolloutSpec, RolloutTarget } from './types.js';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const smp = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);

const cloneSetNotFound = (namespace: string, name: string) =>
  ApplicationFailure.nonRetryable(`CloneSet ${namespace}/${name} not found`, NonRetryable.CloneSetNotFound);

/** Run ID of the workflow calling this activity; null outside an activity (plain calls in tests). */
function currentRun(): string | null {
  try {
    return Context.current().info.workflowExecution?.runId || null;
  } catch {
    return null;
  }
}

export function cloneSetActivities(k: KubeClients, logger: Logger) {
  async function readCloneSet(namespace: string, name: string): Promise<CloneSet> {
    const cs = await getCloneSet(k, namespace, name, toActivityError);
    if (!cs) throw cloneSetNotFound(namespace, name);
    return cs;
  }

  function normalize(cs: unknown, what: string): NormalizedCloneSet {
    const v = validateCloneSet(cs);
    if (!v.ok) throw ApplicationFailure.nonRetryable(`${what} is invalid: ${formatErrors(v.errors)}`, NonRetryable.InvalidSpec);
    return v.value;
  }

  /** Pods the CloneSet controls (selector match and controller ownerReference with its uid), listed in pages. */
  function listPods(cs: NormalizedCloneSet): Promise<PodView[]> {
    const { namespace, name, uid } = cs.metadata;
    return listCloneSetPods(k, { namespace, name, uid, selector: cs.spec.selector }, toActivityError);
  }

  /**
   * Records the template of a revision as the newest (src/rollout/history.ts): a new ControllerRevision numbered
   * highest + 1, or, when the template already has one (a rollback, or a revision Kruise made), that one renumbered
   * highest + 1. The recorded template itself is immutable. A new one is what Kruise's controller would write
   * (src/rollout/revision.ts): its data layout and bytes, the template's labels (which the selector matches) and the
   * hash label, the controller ownerReference — so Kruise, after a hand-back, finds it and counts it equal. Returns
   * the history as it now is.
   */
  async function recordRevision(cs: NormalizedCloneSet, revision: string, existing: StoredRevision[], log: Logger): Promise<StoredRevision[]> {
    const plan = planRecord(existing, revision);
    const namespace = cs.metadata.namespace;
    if (plan.action === 'create') {
      const body: V1ControllerRevision = {
        metadata: {
          name: revision,
          namespace,
          labels: {
            ...(cs.spec.selector.matchLabels ?? {}),
            ...(cs.spec.template.metadata?.labels ?? {}),
            [REVISION_HASH_LABEL]: shortHash(revision),
            [REVISION_CLONESET_LABEL]: cs.metadata.name,
          },
          ownerReferences: [ownerRef(cs)],
        },
        // Parsed from Kruise's bytes: keys in its (sorted) order, so the JSON the client sends is those bytes.
        data: JSON.parse(revisionData(cs.spec.template)) as object,
        revision: plan.revision,
      };
      try {
        await k.apps.createNamespacedControllerRevision({ namespace, body });
        log.info({ revision, number: plan.revision }, 'recorded revision');
      } catch (err) {
        if (!isAlreadyExists(err)) toActivityError(err, `record revision ${revision}`);
        // Ours from an earlier attempt, or another object of that name: only the former may be used.
        const found = await k.apps
          .readNamespacedControllerRevision({ namespace, name: revision })
          .catch((e) => toActivityError(e, `read revision ${revision}`));
        const template = templateOfRevision(found.data);
        if (!found.metadata?.ownerReferences?.some((o) => o.uid === cs.metadata.uid) || !template || !sameTemplate(template, cs.spec.template)) {
          throw ApplicationFailure.nonRetryable(
            `ControllerRevision ${namespace}/${revision} exists and does not record this template of CloneSet ${cs.metadata.name}`,
            NonRetryable.Rejected,
          );
        }
      }
    } else if (plan.action === 'renumber') {
      try {
        await k.apps.patchNamespacedControllerRevision({ namespace, name: revision, body: { revision: plan.revision } }, mergePatch);
        log.info({ revision, from: plan.from, number: plan.revision }, 'revision re-used: renumbered as the newest');
      } catch (err) {
        toActivityError(err, `renumber revision ${revision}`);
      }
    }
    return applyRecord(existing, plan, (name, number) => ({ name, revision: number, template: cs.spec.template, createdAt: null }));
  }

  /**
   * Deletes the oldest ControllerRevisions beyond spec.revisionHistoryLimit, never a live one (update, current, or
   * on a Pod). Housekeeping: a failure is logged and left to the next rollout; NotFound (already gone) is fine.
   */
  async function pruneRevisions(cs: NormalizedCloneSet, history: StoredRevision[], live: Iterable<string>, log: Logger) {
    for (const old of planPrune(history, { limit: cs.spec.revisionHistoryLimit, live })) {
      try {
        await k.apps.deleteNamespacedControllerRevision({ namespace: cs.metadata.namespace, name: old.name });
        log.info({ revision: old.name, number: old.revision, limit: cs.spec.revisionHistoryLimit }, 'pruned revision');
      } catch (err) {
        if (!isNotFound(err)) log.warn({ revision: old.name, err: describe(err) }, 'could not prune revision (retried by the next rollout)');
      }
    }
  }

  /** The lifecycle hooks the rollout honours; absent when none is set (older rollouts carried none). */
  function hooksOf(cs: NormalizedCloneSet): { hooks?: RolloutHooks } {
    const hooks = rolloutHooks(cs.spec.lifecycle);
    return Object.keys(hooks).length > 0 ? { hooks } : {};
  }

  function rolloutSpec(cs: NormalizedCloneSet): RolloutSpec {
    return {
      ...planSpecFrom(cs.spec),
      gracePeriodSeconds: cs.spec.updateStrategy.inPlaceUpdateStrategy.gracePeriodSeconds,
      progressDeadlineSeconds: cs.spec.progressDeadlineSeconds ?? null,
      ...hooksOf(cs),
    };
  }

  /**
   * The ControllerRevision a rollback (`revision` input) sets in the template. A retry of the same workflow run finds
   * the one it chose in the CloneSet's rollback annotation: resolving again could name another (by then it may have
   * been renumbered, and "the previous revision" of the template it set is the one it left).
   */
  function chooseRollback(
    current: CloneSet,
    history: StoredRevision[],
    requested: number,
    run: string | null,
  ): { marker: RollbackMarker; template: PodTemplateSpec } {
    const cloneSet = `${current.metadata.namespace}/${current.metadata.name}`;
    const marker = parseRollbackMarker(current.metadata.annotations?.[ROLLBACK_ANNOTATION]);
    let chosen: StoredRevision;
    let number: number;
    if (run !== null && marker?.run === run) {
      const found = history.find((r) => r.name === marker.revision);
      if (!found) {
        throw ApplicationFailure.nonRetryable(
          `CloneSet ${cloneSet}: revision ${marker.number} (${marker.revision}), which this rollback set, no longer exists`,
          NonRetryable.InvalidSpec,
        );
      }
      chosen = found;
      number = marker.number;
    } else {
      const templateRevision = current.spec?.template
        ? chooseUpdateRevision(String(current.metadata.name), current.spec.template, history, collisionCountOf(current)).name
        : '';
      const r = resolveRevision(history, requested, { cloneSet, templateRevision });
      if (!r.ok) throw ApplicationFailure.nonRetryable(r.error, NonRetryable.InvalidSpec);
      chosen = r.value;
      number = chosen.revision;
    }
    if (!chosen.template) {
      throw ApplicationFailure.nonRetryable(`CloneSet ${cloneSet}: revision ${number} (${chosen.name}) records no template`, NonRetryable.InvalidSpec);
    }
    return { marker: { run: run ?? '', revision: chosen.name, number }, template: chosen.template };
  }

  /**
   * Lists the CloneSet's Pods and refreshes its status subresource when the computed status changed. `generation` is
   * the CloneSet's now (a change means a new target; the Pods are then not listed if the spec is invalid).
   */
  async function observeCloneSet(t: RolloutTarget): Promise<{ atMs: number; generation: number; pods: PodView[] }> {
    const raw = await readCloneSet(t.namespace, t.name);
    if (raw.metadata.uid !== t.uid) {
      throw ApplicationFailure.nonRetryable(`CloneSet ${t.namespace}/${t.name} was deleted (and recreated) mid-rollout`, NonRetryable.CloneSetNotFound);
    }
    const generation = raw.metadata.generation ?? 0;
    const v = validateCloneSet(raw);
    const cs = v.ok ? v.value : null;
    const pods = cs ? await listPods(cs) : [];
    const atMs = Date.now();
    if (cs && generation === t.generation) {
      const status = computeStatus({
        pods,
        spec: cs.spec,
        updateRevision: t.updateRevision,
        currentRevision: raw.status?.currentRevision || t.currentRevision,
        generation,
        nowMs: atMs,
        conditions: raw.status?.conditions,
        collisionCount: raw.status?.collisionCount,
      });
      if (canonicalJson(raw.status ?? {}) !== canonicalJson(status)) {
        try {
          await k.custom.patchNamespacedCustomObjectStatus(
            { ...CLONESET, namespace: t.namespace, name: t.name, body: { status: statusMergePatch(raw.status, status) } },
            mergePatch,
          );
        } catch (err) {
          if (!isNotFound(err)) toActivityError(err, `update status of CloneSet ${t.name}`);
        }
      }
    }
    return { atMs, generation, pods };
  }

  /**
   * Asks the apiserver (dryRun=All, nothing stored) whether the Pods of each revision that resizes in place take the
   * resize — one Pod per node, since the apiserver checks a resize against its Pod's node (status.allocatable): what
   * it refuses (a request beyond what the node has, a QoS change the rules above missed, a limit range…) fails the
   * rollout before any Pod or the CloneSet is touched, with the server's message naming the container and field.
   */
  async function dryRunResizes(namespace: string, name: string, pods: PodView[], revisions: Record<string, RevisionPlan>): Promise<void> {
    const probes: { pod: PodView; rev: string; want: NonNullable<RevisionPlan['resources']> }[] = [];
    for (const [rev, plan] of Object.entries(revisions)) {
      const want = plan.resources;
      if (!want || plan.action !== 'inPlace') continue;
      const byNode = new Map<string, PodView>();
      for (const p of pods) if (p.revision === rev && !p.deleting && !byNode.has(p.nodeName ?? '')) byNode.set(p.nodeName ?? '', p);
      for (const pod of byNode.values()) probes.push({ pod, rev, want });
    }
    await mapLimit(probes, 16, async ({ pod, rev, want }) => {
      const containers = pod.containers.filter((c) => c.name in want).map((c) => ({ name: c.name, resources: want[c.name] }));
      try {
        await k.core.patchNamespacedPodResize({ name: pod.name, namespace, body: { spec: { containers } }, dryRun: 'All' }, smp);
      } catch (err) {
        const code = statusCode(err);
        if (code === 400 || code === 422 || code === 403) {
          throw ApplicationFailure.nonRetryable(
            `CloneSet ${namespace}/${name}: the apiserver refuses to resize Pod ${pod.name}${pod.nodeName ? ` on ${pod.nodeName}` : ''} (revision ${rev}) in place: ${describe(err)}`,
            NonRetryable.InvalidSpec,
          );
        }
        if (!isNotFound(err)) toActivityError(err, `dry-run resize of Pod ${pod.name}`);
      }
    });
  }

  return {
    /**
     * A fleet's manifest, applied in this cluster when its turn comes (`kubectl apply` for this one kind: created, or
     * its spec, labels and annotations replaced). Idempotent: an unchanged CloneSet is left alone.
     */
    async applyFleetManifest(input: {
      namespace: string;
      name: string;
      manifest: CloneSet;
      /** Read by the activity router. */ cluster?: string;
    }): Promise<{ action: string; generation: number }> {
      const log = activityLogger(logger, { cloneSet: `${input.namespace}/${input.name}` });
      try {
        const r = await applyCloneSet(k, { ...input.manifest, metadata: { ...input.manifest.metadata, namespace: input.namespace, name: input.name } });
        log.info({ action: r.action, generation: r.generation }, 'fleet manifest applied');
        return { action: r.action, generation: r.generation };
      } catch (err) {
        if (err instanceof ManifestError) throw ApplicationFailure.nonRetryable(err.message, NonRetryable.InvalidSpec);
        return toActivityError(err, `apply CloneSet ${input.namespace}/${input.name}`);
      }
    },

    /**
     * Resolves what the rollout moves toward. With `images`, first sets those container images in the CloneSet's
     * template; with `revision` (a rollback), first sets the template that ControllerRevision recorded (0: the
     * previous revision). Everything is validated before anything is written: a bad spec, an unknown container or
     * revision, or an InPlaceOnly change that is not in-place-able fails non-retryably with the cluster unchanged.
     * Then the update revision is recorded as the newest ControllerRevision and the history pruned to
     * spec.revisionHistoryLimit (src/rollout/history.ts).
     */
    async prepareRollout(input: {
      namespace: string;
      name: string;
      images?: Record<string, string>;
      revision?: number;
      /**
       * With `images` (an abort's rollback): also set back the containers' resources that ControllerRevision recorded
       * (the revision the rollout started from), so a rollout that resized Pods resizes them back. Unknown: images only.
       */
      resourcesOf?: string;
    }): Promise<RolloutTarget> {
      const log = activityLogger(logger, { cloneSet: `${input.namespace}/${input.name}` });
      if (input.revision !== undefined && input.images !== undefined) {
        throw ApplicationFailure.nonRetryable(
          `CloneSet ${input.namespace}/${input.name}: revision cannot be combined with images (a revision brings its own template)`,
          NonRetryable.InvalidSpec,
        );
      }
      const run = currentRun();
      /** Resolved once: after its template is set, "the previous revision" would name the one the CloneSet left. */
      let rollback: { marker: RollbackMarker; template: PodTemplateSpec } | null = null;
      for (;;) {
        // The CloneSet and its ControllerRevisions; its Pods once the CloneSet the rollout would write is valid.
        const read = await readCloneSetState(k, input.namespace, input.name, { podSelector: () => null, onError: toActivityError });
        if (!read) throw cloneSetNotFound(input.namespace, input.name);
        const { cloneSet: current, revisions: history } = read;
        if (input.revision !== undefined) rollback ??= chooseRollback(current, history, input.revision, run);
        const applied = rollback
          ? { ok: true as const, value: JSON.parse(JSON.stringify(rollback.template)) as PodTemplateSpec }
          : applyImages(current.spec.template, input.images);
        const from = input.resourcesOf === undefined ? undefined : history.find((r) => r.name === input.resourcesOf)?.template;
        if (applied.ok && !rollback && from) applied.value = withResourcesOf(applied.value, from);
        if (!applied.ok) {
          throw ApplicationFailure.nonRetryable(`CloneSet ${input.namespace}/${input.name}: ${formatErrors(applied.errors)}`, NonRetryable.InvalidSpec);
        }
        // A rollback marks the CloneSet with the revision it chose, in the same write as the template (retries).
        const marker = rollback && run !== null ? formatRollbackMarker(rollback.marker) : undefined;
        const markerChanged = marker !== undefined && current.metadata.annotations?.[ROLLBACK_ANNOTATION] !== marker;
        const candidate: CloneSet = {
          ...current,
          metadata: markerChanged ? { ...current.metadata, annotations: { ...current.metadata.annotations, [ROLLBACK_ANNOTATION]: marker } } : current.metadata,
          spec: { ...current.spec, template: applied.value },
        };
        const cs = normalize(candidate, `CloneSet ${input.namespace}/${input.name}`);
        const template = cs.spec.template;
        // By content first: a template some ControllerRevision records (Kruise's too) keeps that revision's name.
        const updateRevision = chooseUpdateRevision(cs.metadata.name, template, history, collisionCountOf(current)).name;
        const pods = await listPods(cs);
        const templates: Record<string, PodTemplateSpec> = {};
        for (const r of history) if (r.template) templates[r.name] = r.template;
        const revisions: Record<string, RevisionPlan> = {};
        for (const rev of new Set(pods.map((p) => p.revision ?? ''))) {
          if (rev === updateRevision) continue;
          const plan = planPodUpdate(templates[rev] ?? null, template, cs.spec.updateStrategy.type);
          const resizes = plan.action === 'inPlace' ? (plan.diff?.containerResources ?? {}) : {};
          revisions[rev] = {
            action: plan.action,
            images: plan.diff?.containerImages ?? {},
            ...(Object.keys(resizes).length > 0 ? { resources: resizes, resizes: plan.diff?.resizes ?? {} } : {}),
            labels: plan.diff?.metadata.labels ?? {},
            annotations: plan.diff?.metadata.annotations ?? {},
            reasons: plan.reasons,
          };
        }
        const impossible = Object.entries(revisions).filter(([, r]) => r.action === 'fail');
        if (impossible.length > 0) {
          throw ApplicationFailure.nonRetryable(
            `CloneSet ${input.namespace}/${input.name} uses InPlaceOnly but ${impossible
              .map(([rev, r]) => `revision ${rev || '(none)'}: ${r.reasons.join('; ')}`)
              .join(' | ')}`,
            NonRetryable.InPlaceNotPossible,
          );
        }
        await dryRunResizes(input.namespace, input.name, pods, revisions);
        // Compared canonically: a recorded template may list its keys in another order than the apiserver's.
        if (canonicalJson(candidate.spec.template) !== canonicalJson(current.spec.template) || markerChanged) {
          try {
            await k.custom.replaceNamespacedCustomObject({ ...CLONESET, namespace: input.namespace, name: input.name, body: candidate });
            if (rollback) {
              log.info(
                { revision: rollback.marker.number, revisionName: rollback.marker.revision, images: containerImages(template) },
                `rollback: set the template of revision ${rollback.marker.number} in the CloneSet`,
              );
            } else log.info({ images: input.images }, 'set images in the CloneSet template');
            continue; // re-read: the write bumped generation and resourceVersion
          } catch (err) {
            if (isConflict(err)) continue;
            return toActivityError(err, `update CloneSet ${input.namespace}/${input.name}`);
          }
        }
        const recorded = await recordRevision(cs, updateRevision, history, log);
        const counts: Record<string, number> = {};
        for (const p of pods) if (p.revision) counts[p.revision] = (counts[p.revision] ?? 0) + 1;
        const majority = Object.entries(counts).sort((a, b) => b[1] - a[1])[0]?.[0];
        const currentRevision = current.status?.currentRevision || majority || updateRevision;
        await pruneRevisions(cs, recorded, [updateRevision, currentRevision, ...Object.keys(counts)], log);
        const images = Object.fromEntries(template.spec.containers.map((c) => [c.name, c.image]));
        log.info({ updateRevision, strategy: cs.spec.updateStrategy.type, pods: pods.length }, 'rollout target resolved');
        return {
          namespace: cs.metadata.namespace,
          name: cs.metadata.name,
          uid: cs.metadata.uid ?? '',
          generation: cs.metadata.generation ?? 0,
          selector: selectorString(cs.spec.selector),
          updateRevision,
          currentRevision,
          images,
          spec: rolloutSpec(cs),
          revisions,
          atMs: Date.now(),
          ...rolloutAnnotations(current.metadata.annotations),
        };
      }
    },

    /**
     * Lists the CloneSet's Pods (refreshing its status subresource when the computed status changed) and runs the
     * pure planner next to the data, with the target's spec (the workflow applies the controls to it) and the Pods
     * its lanes hold. Returns the decision and only the Pods the round acts on — not every
     * Pod: the workflow's history stays small however large the CloneSet. Every Pod comes back too while there
     * are at most `fullPodsUpTo` (the `plan` query simulates from them).
     */
    async observePlan(input: PlanRoundInput): Promise<PlannedObservation> {
      return planRound(await observeCloneSet(input.target), input);
    },

    /**
     * Sets the CloneSet's `Progressing` condition (status subresource), keeping the other conditions; no-op when it
     * already has that status and reason. ProgressDeadlineExceeded (False) when no Pod progressed for
     * progressDeadlineSeconds; CloneSetUpdated (True) once Pods move again.
     */
    async setProgressing(input: {
      namespace: string;
      name: string;
      uid: string;
      status: 'True' | 'False';
      reason: string;
      message: string;
    }): Promise<{ atMs: number }> {
      const log = activityLogger(logger, { cloneSet: `${input.namespace}/${input.name}` });
      for (;;) {
        const raw = await readCloneSet(input.namespace, input.name);
        if (raw.metadata.uid !== input.uid) {
          throw ApplicationFailure.nonRetryable(
            `CloneSet ${input.namespace}/${input.name} was deleted (and recreated) mid-rollout`,
            NonRetryable.CloneSetNotFound,
          );
        }
        const conditions = raw.status?.conditions ?? [];
        const existing = conditions.find((c) => c.type === 'Progressing');
        if (existing?.status === input.status && existing.reason === input.reason) return { atMs: Date.now() };
        const now = new Date().toISOString();
        const condition = {
          type: 'Progressing',
          status: input.status,
          reason: input.reason,
          message: input.message,
          lastUpdateTime: now,
          lastTransitionTime: existing?.status === input.status ? (existing.lastTransitionTime ?? now) : now,
        };
        try {
          await k.custom.patchNamespacedCustomObjectStatus(
            {
              ...CLONESET,
              namespace: input.namespace,
              name: input.name,
              body: {
                metadata: { resourceVersion: raw.metadata.resourceVersion },
                status: { conditions: [...conditions.filter((c) => c !== existing), condition] },
              },
            },
            mergePatch,
          );
        } catch (err) {
          if (isConflict(err)) continue;
          return toActivityError(err, `set the Progressing condition of CloneSet ${input.name}`);
        }
        log.info({ status: input.status, reason: input.reason }, `Progressing=${input.status}: ${input.message}`);
        await recordEvent(
          k.core,
          log,
          { kind: 'CloneSet', apiVersion: CLONESET_API_VERSION, namespace: input.namespace, name: input.name, uid: input.uid },
          input.status === 'False' ? 'Warning' : 'Normal',
          input.reason,
          input.message,
        );
        return { atMs: Date.now() };
      }
    },

    /** Records an Event on the CloneSet (e.g. AnalysisFailed), as `kubectl describe` shows it. */
    async recordCloneSetEvent(input: {
      namespace: string;
      name: string;
      uid: string;
      type: 'Normal' | 'Warning';
      reason: string;
      message: string;
    }): Promise<{ atMs: number }> {
      const log = activityLogger(logger, { cloneSet: `${input.namespace}/${input.name}` });
      await recordEvent(
        k.core,
        log,
        { kind: 'CloneSet', apiVersion: CLONESET_API_VERSION, namespace: input.namespace, name: input.name, uid: input.uid },
        input.type,
        input.reason,
        input.message,
      );
      return { atMs: Date.now() };
    },

    /** Creates one Pod of `revision` from the recorded template. Idempotent: an existing Pod of ours is returned. */
    async createPod(input: {
      namespace: string;
      cloneSetName: string;
      cloneSetUid: string;
      revision: string;
      instanceId: string;
    }): Promise<{ name: string; uid: string; atMs: number }> {
      const log = activityLogger(logger, { cloneSet: `${input.namespace}/${input.cloneSetName}` });
      const raw = await readCloneSet(input.namespace, input.cloneSetName);
      if (raw.metadata.uid !== input.cloneSetUid) {
        throw ApplicationFailure.nonRetryable(`CloneSet ${input.namespace}/${input.cloneSetName} was replaced mid-rollout`, NonRetryable.CloneSetNotFound);
      }
      const cs = normalize(raw, `CloneSet ${input.namespace}/${input.cloneSetName}`);
      let template: PodTemplateSpec | undefined;
      try {
        const cr = await k.apps.readNamespacedControllerRevision({ namespace: input.namespace, name: input.revision });
        template = templateOfRevision(cr.data) ?? undefined;
      } catch (err) {
        if (!isNotFound(err)) return toActivityError(err, `read revision ${input.revision}`);
      }
      if (!template) {
        if (revisionName(cs.metadata.name, cs.spec.template, collisionCountOf(raw)) !== input.revision) {
          throw ApplicationFailure.nonRetryable(`revision ${input.revision} of CloneSet ${input.cloneSetName} is unknown`, NonRetryable.Rejected);
        }
        template = cs.spec.template;
      }
      const body = buildPod(cs, template, input.revision, input.instanceId, Date.now());
      const name = String(body.metadata?.name);
      try {
        const created = await k.core.createNamespacedPod({ namespace: input.namespace, body: body as never });
        log.info({ pod: name, revision: input.revision }, 'created Pod');
        await eventSeriesFor(k.core).record(
          log,
          { kind: 'CloneSet', apiVersion: CLONESET_API_VERSION, namespace: input.namespace, name: input.cloneSetName, uid: input.cloneSetUid },
          'Normal',
          'SuccessfulCreate',
          `succeed to create pod ${name}`,
        );
        return { name, uid: created.metadata?.uid ?? '', atMs: Date.now() };
      } catch (err) {
        if (!isAlreadyExists(err)) return toActivityError(err, `create Pod ${name}`);
      }
      const existing = await k.core.readNamespacedPod({ namespace: input.namespace, name }).catch((err) => toActivityError(err, `read Pod ${name}`));
      if (!existing.metadata?.ownerReferences?.some((o) => o.uid === input.cloneSetUid)) {
        throw ApplicationFailure.nonRetryable(`Pod ${name} exists and does not belong to CloneSet ${input.cloneSetName}`, NonRetryable.Rejected);
      }
      return { name, uid: existing.metadata?.uid ?? '', atMs: Date.now() };
    },
  };
}

/** `template` with each container's `resources` as `from` has them (by container name; absent there: removed). */
function withResourcesOf(template: PodTemplateSpec, from: PodTemplateSpec): PodTemplateSpec {
  const out = JSON.parse(JSON.stringify(template)) as PodTemplateSpec;
  for (const c of out.spec.containers) {
    const was = from.spec.containers.find((x) => x.name === c.name);
    if (!was) continue;
    if (was.resources === undefined) delete c.resources;
    else c.resources = JSON.parse(JSON.stringify(was.resources)) as unknown;
  }
  return out;
}

/** The rollout annotations the CloneSet carries, by input field (none: nothing). */
function rolloutAnnotations(annotations: Record<string, string> | undefined): Pick<RolloutTarget, 'annotations'> {
  const found = Object.entries(ROLLOUT_ANNOTATIONS).filter(([, key]) => annotations?.[key] !== undefined);
  return found.length === 0 ? {} : { annotations: Object.fromEntries(found.map(([field, key]) => [field, annotations![key]!])) };
}

function containerImages(template: PodTemplateSpec): Record<string, string> {
  return Object.fromEntries(template.spec.containers.map((c) => [c.name, c.image]));
}

function ownerRef(cs: NormalizedCloneSet) {
  return { apiVersion: CLONESET_API_VERSION, kind: 'CloneSet', name: cs.metadata.name, uid: cs.metadata.uid ?? '', controller: true, blockOwnerDeletion: true };
}
