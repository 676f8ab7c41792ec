/**
 * CloneSet-level activities: resolve a rollout's target (validate, apply requested images, record the revision),
 * observe the Pods while refreshing the CloneSet's status, and create Pods of a revision. Decisions are made by the
 * pure modules in src/rollout; these functions only read and write Kubernetes.
 */
import { ApplicationFailure } from '@temporalio/common';
import { PatchStrategy, setHeaderOptions, type V1ControllerRevision } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { CLONESET, type KubeClients } from '../kube/clients.js';
import { isAlreadyExists, isConflict, isNotFound, NonRetryable, toActivityError } from '../kube/errors.js';
import {
  applyImages,
  buildPod,
  canonicalJson,
  CLONESET_API_VERSION,
  computeStatus,
  formatErrors,
  planPodUpdate,
  planSpecFrom,
  revisionName,
  rolloutHooks,
  selectorString,
  toPodView,
  validateCloneSet,
  type CloneSet,
  type NormalizedCloneSet,
  type PodTemplateSpec,
  type PodView,
  type RolloutHooks,
} from '../rollout/index.js';
import { activityLogger, recordEvent } from './context.js';
import type { Observation, RevisionPlan, RolloutSpec, RolloutTarget } from './types.js';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** Label on ControllerRevisions naming their CloneSet (the selector labels are copied too, as Kruise does). */
export const REVISION_CLONESET_LABEL = 'apps.kruise.io/cloneset-name';

export function cloneSetActivities(k: KubeClients, logger: Logger) {
  async function readCloneSet(namespace: string, name: string): Promise<CloneSet> {
    try {
      return (await k.custom.getNamespacedCustomObject({ ...CLONESET, namespace, name })) as CloneSet;
    } catch (err) {
      if (isNotFound(err)) {
        throw ApplicationFailure.nonRetryable(`CloneSet ${namespace}/${name} not found`, NonRetryable.CloneSetNotFound);
      }
      return toActivityError(err, `read CloneSet ${namespace}/${name}`);
    }
  }

  function normalize(cs: unknown, what: string): NormalizedCloneSet {
    const v = validateCloneSet(cs);
    if (!v.ok) throw ApplicationFailure.nonRetryable(`${what} is invalid: ${formatErrors(v.errors)}`, NonRetryable.InvalidSpec);
    return v.value;
  }

  /** Pods the CloneSet controls (selector match and controller ownerReference with its uid). */
  async function listPods(cs: NormalizedCloneSet): Promise<PodView[]> {
    try {
      const list = await k.core.listNamespacedPod({ namespace: cs.metadata.namespace, labelSelector: selectorString(cs.spec.selector) });
      return list.items
        .filter((p) => p.metadata?.ownerReferences?.some((o) => o.controller && o.uid === cs.metadata.uid))
        .map((p) => toPodView(p as never));
    } catch (err) {
      return toActivityError(err, `list Pods of CloneSet ${cs.metadata.name}`);
    }
  }

  async function listRevisionTemplates(cs: NormalizedCloneSet): Promise<Record<string, PodTemplateSpec>> {
    try {
      const list = await k.apps.listNamespacedControllerRevision({
        namespace: cs.metadata.namespace,
        labelSelector: `${REVISION_CLONESET_LABEL}=${cs.metadata.name}`,
      });
      const out: Record<string, PodTemplateSpec> = {};
      for (const cr of list.items) {
        if (!cr.metadata?.ownerReferences?.some((o) => o.uid === cs.metadata.uid)) continue;
        const template = (cr.data as { spec?: { template?: PodTemplateSpec } } | undefined)?.spec?.template;
        if (cr.metadata?.name && template) out[cr.metadata.name] = template;
      }
      return out;
    } catch (err) {
      return toActivityError(err, `list ControllerRevisions of CloneSet ${cs.metadata.name}`);
    }
  }

  /** Records the template of a revision (immutable, like a ControllerRevision of a Deployment or a CloneSet). */
  async function ensureRevision(cs: NormalizedCloneSet, revision: string, existing: Record<string, PodTemplateSpec>) {
    if (existing[revision]) return;
    const numbers = Object.keys(existing).length;
    const body: V1ControllerRevision = {
      metadata: {
        name: revision,
        namespace: cs.metadata.namespace,
        labels: { ...(cs.spec.selector.matchLabels ?? {}), [REVISION_CLONESET_LABEL]: cs.metadata.name },
        ownerReferences: [ownerRef(cs)],
      },
      data: { spec: { template: cs.spec.template } },
      revision: numbers + 1,
    };
    try {
      await k.apps.createNamespacedControllerRevision({ namespace: cs.metadata.namespace, body });
    } catch (err) {
      if (!isAlreadyExists(err)) toActivityError(err, `record revision ${revision}`);
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

  return {
    /**
     * Resolves what the rollout moves toward. With `images`, first sets those container images in the CloneSet's
     * template. Everything is validated before anything is written: a bad spec, an unknown container or an
     * InPlaceOnly change that is not in-place-able fails non-retryably with the cluster unchanged.
     */
    async prepareRollout(input: { namespace: string; name: string; images?: Record<string, string> }): Promise<RolloutTarget> {
      const log = activityLogger(logger, { cloneSet: `${input.namespace}/${input.name}` });
      for (;;) {
        const current = await readCloneSet(input.namespace, input.name);
        const applied = applyImages(current.spec.template, input.images);
        if (!applied.ok) {
          throw ApplicationFailure.nonRetryable(
            `CloneSet ${input.namespace}/${input.name}: ${formatErrors(applied.errors)}`,
            NonRetryable.InvalidSpec,
          );
        }
        const candidate: CloneSet = { ...current, spec: { ...current.spec, template: applied.value } };
        const cs = normalize(candidate, `CloneSet ${input.namespace}/${input.name}`);
        const template = cs.spec.template;
        const updateRevision = revisionName(cs.metadata.name, template);
        const pods = await listPods(cs);
        const templates = await listRevisionTemplates(cs);
        const revisions: Record<string, RevisionPlan> = {};
        for (const rev of new Set(pods.map((p) => p.revision ?? ''))) {
          if (rev === updateRevision) continue;
          const plan = planPodUpdate(templates[rev] ?? null, template, cs.spec.updateStrategy.type);
          revisions[rev] = {
            action: plan.action,
            images: plan.diff?.containerImages ?? {},
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
        if (JSON.stringify(candidate.spec.template) !== JSON.stringify(current.spec.template)) {
          try {
            await k.custom.replaceNamespacedCustomObject({ ...CLONESET, namespace: input.namespace, name: input.name, body: candidate });
            log.info({ images: input.images }, 'set images in the CloneSet template');
            continue; // re-read: the write bumped generation and resourceVersion
          } catch (err) {
            if (isConflict(err)) continue;
            return toActivityError(err, `update CloneSet ${input.namespace}/${input.name}`);
          }
        }
        await ensureRevision(cs, updateRevision, templates);
        const counts: Record<string, number> = {};
        for (const p of pods) if (p.revision) counts[p.revision] = (counts[p.revision] ?? 0) + 1;
        const majority = Object.entries(counts).sort((a, b) => b[1] - a[1])[0]?.[0];
        const images = Object.fromEntries(template.spec.containers.map((c) => [c.name, c.image]));
        log.info({ updateRevision, strategy: cs.spec.updateStrategy.type, pods: pods.length }, 'rollout target resolved');
        return {
          namespace: cs.metadata.namespace,
          name: cs.metadata.name,
          uid: cs.metadata.uid ?? '',
          generation: cs.metadata.generation ?? 0,
          selector: selectorString(cs.spec.selector),
          updateRevision,
          currentRevision: current.status?.currentRevision || majority || updateRevision,
          images,
          spec: rolloutSpec(cs),
          revisions,
          atMs: Date.now(),
        };
      }
    },

    /** Lists the CloneSet's Pods and refreshes its status subresource when the computed status changed. */
    async observe(input: { target: RolloutTarget }): Promise<Observation> {
      const t = input.target;
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
        });
        if (canonicalJson(raw.status ?? {}) !== canonicalJson(status)) {
          try {
            await k.custom.patchNamespacedCustomObjectStatus(
              { ...CLONESET, namespace: t.namespace, name: t.name, body: { status } },
              mergePatch,
            );
          } catch (err) {
            if (!isNotFound(err)) toActivityError(err, `update status of CloneSet ${t.name}`);
          }
        }
      }
      return { atMs, generation, pods };
    },

    /**
     * Sets the CloneSet's `Progressing` condition (status subresource), keeping the other conditions; no-op when it
     * already has that status and reason. ProgressDeadlineExceeded (False) when no Pod progressed for
     * progressDeadlineSeconds; CloneSetUpdated (True) once Pods move again.
     */
    async setProgressing(input: { namespace: string; name: string; uid: string; status: 'True' | 'False'; reason: string; message: string }): Promise<{ atMs: number }> {
      const log = activityLogger(logger, { cloneSet: `${input.namespace}/${input.name}` });
      for (;;) {
        const raw = await readCloneSet(input.namespace, input.name);
        if (raw.metadata.uid !== input.uid) {
          throw ApplicationFailure.nonRetryable(`CloneSet ${input.namespace}/${input.name} was deleted (and recreated) mid-rollout`, NonRetryable.CloneSetNotFound);
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
              body: { metadata: { resourceVersion: raw.metadata.resourceVersion }, status: { conditions: [...conditions.filter((c) => c !== existing), condition] } },
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
        template = (cr.data as { spec?: { template?: PodTemplateSpec } } | undefined)?.spec?.template;
      } catch (err) {
        if (!isNotFound(err)) return toActivityError(err, `read revision ${input.revision}`);
      }
      if (!template) {
        if (revisionName(cs.metadata.name, cs.spec.template) !== input.revision) {
          throw ApplicationFailure.nonRetryable(`revision ${input.revision} of CloneSet ${input.cloneSetName} is unknown`, NonRetryable.Rejected);
        }
        template = cs.spec.template;
      }
      const body = buildPod(cs, template, input.revision, input.instanceId);
      const name = String(body.metadata?.name);
      try {
        const created = await k.core.createNamespacedPod({ namespace: input.namespace, body: body as never });
        log.info({ pod: name, revision: input.revision }, 'created Pod');
        await recordEvent(
          k.core,
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

function ownerRef(cs: NormalizedCloneSet) {
  return { apiVersion: CLONESET_API_VERSION, kind: 'CloneSet', name: cs.metadata.name, uid: cs.metadata.uid ?? '', controller: true, blockOwnerDeletion: true };
}
