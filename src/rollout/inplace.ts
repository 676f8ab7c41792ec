/**
 * In-place-ability: what changed between two pod templates, whether a pod can take the change in place, and
 * whether an in-place update has been applied by the kubelet.
 *
 * In place (Kruise): a change of `spec.containers[i].image` (matched by name) and template metadata
 * labels/annotations, and (Kruise's InPlaceWorkloadVerticalScaling) a change of a container's cpu and memory requests
 * and limits that keeps the Pod's QoS class: the Pod is resized through `pods/resize` (src/rollout/resources.ts).
 * Anything else (env, ports, other resources, init containers, volumes, container set or order…) needs a new pod. Kruise restarts a container whose env reads a changed label/annotation via the downward API; we
 * cannot restart a container without changing its image, so such a change is not in place here.
 *
 * Templates are compared with the Pod defaults Kruise's webhook writes applied to BOTH sides, in Go's encoding
 * ({@link comparableTemplate}): a CloneSet created under Kruise stores `imagePullPolicy`, `terminationMessagePath`,
 * `protocol: TCP`, `resources: {}`… in its template, one created under cloneset-rollout does not, and a template
 * edited by hand may have them or not. A default present on one side only is no change at all — it neither forces a
 * recreate nor counts as a difference — so Pods Kruise made are updated in place on an image change, and a template
 * is recognised as the one a ControllerRevision records whoever wrote it ({@link sameTemplate},
 * src/rollout/revision.ts chooseUpdateRevision). Fields Go does not know are kept (the project's CRD preserves them;
 * changing one is a change).
 */
import { canonicalJson } from './hash.js';
import { goTyped } from './go-json.js';
import { defaultPodTemplate } from './pod-defaults.js';
import type { ContainerView, PodView } from './podview.js';
import { diffContainerResources, qosClass, type ContainerResize } from './resources.js';
import { UpdateStrategyType, type Container, type PodTemplateSpec } from './types.js';

/** How one pod moves to the new revision. */
export const PodUpdateAction = {
  /** Patch images (and metadata) of the running pod. */
  InPlace: 'inPlace',
  /** Delete the pod and create a new one at the update revision. */
  Recreate: 'recreate',
  /** Cannot be updated under this strategy (InPlaceOnly with a change that is not in-place-able). */
  Fail: 'fail',
} as const;
export type PodUpdateAction = (typeof PodUpdateAction)[keyof typeof PodUpdateAction];

/** Result of {@link diffTemplates}. */
export interface TemplateDiff {
  /** True if the change can be applied in place under the given strategy (never under ReCreate). */
  inPlace: boolean;
  /** New image by container name, only for containers whose image changed. */
  containerImages: Record<string, string>;
  /** New cpu/memory requests and limits by container name, only for containers resized in place. */
  containerResources: Record<string, ContainerResize>;
  /** The resizes in words by container name, e.g. `nginx: ['cpu 100m→200m']`. */
  resizes: Record<string, string[]>;
  /** Template metadata to apply to the pod; null removes the key. */
  metadata: { labels: Record<string, string | null>; annotations: Record<string, string | null> };
  /** One entry per change that is not in-place-able, naming the field, e.g. `spec.containers[nginx].env changed`. */
  reasons: string[];
}

const same = (a: unknown, b: unknown): boolean => canonicalJson(a) === canonicalJson(b);

/**
 * A template as compared: Kruise's Pod defaults applied, through Go's struct encoding (zero omitempty fields
 * dropped, `resources: {}` and the like written), unknown fields kept. Null members are dropped by the comparison.
 */
export function comparableTemplate(template: PodTemplateSpec): PodTemplateSpec {
  return goTyped(defaultPodTemplate(template), 'PodTemplateSpec', { keepUnknown: true }) as unknown as PodTemplateSpec;
}

/** Whether two templates are the same once defaults are applied to both ({@link comparableTemplate}). */
export function sameTemplate(a: PodTemplateSpec, b: PodTemplateSpec): boolean {
  return canonicalJson(comparableTemplate(a)) === canonicalJson(comparableTemplate(b));
}

function mapDiff(oldMap: Record<string, string> | undefined, newMap: Record<string, string> | undefined): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  const o = oldMap ?? {};
  const n = newMap ?? {};
  for (const k of Object.keys(n).sort()) if (o[k] !== n[k]) out[k] = n[k] as string;
  for (const k of Object.keys(o).sort()) if (!(k in n)) out[k] = null;
  return out;
}

function unionKeys(a: object | undefined, b: object | undefined): string[] {
  return [...new Set([...Object.keys(a ?? {}), ...Object.keys(b ?? {})])].sort();
}

/** Field paths a container reads from pod metadata through env valueFrom.fieldRef. */
function downwardApiReads(c: Container): string[] {
  const env = Array.isArray(c.env) ? (c.env as { valueFrom?: { fieldRef?: { fieldPath?: string } } }[]) : [];
  return env.map((e) => e.valueFrom?.fieldRef?.fieldPath).filter((p): p is string => typeof p === 'string');
}

/** True if a fieldPath reads the given label/annotation key (or the whole map). */
function readsKey(fieldPath: string, kind: 'labels' | 'annotations', key: string): boolean {
  if (fieldPath === `metadata.${kind}`) return true;
  const m = /^metadata\.(labels|annotations)\['(.*)'\]$/.exec(fieldPath);
  return m !== null && m[1] === kind && m[2] === key;
}

interface ContainerChanges {
  images: Record<string, string>;
  resources: Record<string, ContainerResize>;
  resizes: Record<string, string[]>;
}

function diffContainers(oldCs: Container[], newCs: Container[], out: ContainerChanges, reasons: string[]): void {
  const oldNames = oldCs.map((c) => c.name);
  const newNames = newCs.map((c) => c.name);
  for (const n of oldNames) if (!newNames.includes(n)) reasons.push(`spec.containers[${n}] removed`);
  for (const n of newNames) if (!oldNames.includes(n)) reasons.push(`spec.containers[${n}] added`);
  const common = newNames.filter((n) => oldNames.includes(n));
  const oldOrder = oldNames.filter((n) => common.includes(n));
  if (common.join('\u0000') !== oldOrder.join('\u0000')) reasons.push('spec.containers order changed');
  for (const name of common) {
    const o = oldCs.find((c) => c.name === name) as Container;
    const n = newCs.find((c) => c.name === name) as Container;
    for (const k of unionKeys(o, n)) {
      if (k === 'image') {
        if (o.image !== n.image) out.images[name] = n.image;
      } else if (k === 'resources') {
        const r = diffContainerResources(name, o.resources, n.resources);
        reasons.push(...r.reasons);
        if (r.resize) {
          out.resources[name] = r.resize;
          out.resizes[name] = r.changes;
        }
      } else if (!same(o[k], n[k])) {
        reasons.push(`spec.containers[${name}].${k} changed`);
      }
    }
  }
}

/**
 * Compares an old and a new pod template, defaults applied to both ({@link comparableTemplate}). `reasons` lists
 * every change that is not in-place-able; `inPlace` is true when there is none and the strategy is not ReCreate.
 * Identical templates give inPlace true and no images.
 */
export function diffTemplates(oldRaw: PodTemplateSpec, newRaw: PodTemplateSpec, strategyType: UpdateStrategyType): TemplateDiff {
  const oldTemplate = comparableTemplate(oldRaw);
  const newTemplate = comparableTemplate(newRaw);
  const reasons: string[] = [];
  const changes: ContainerChanges = { images: {}, resources: {}, resizes: {} };
  const om = oldTemplate.metadata ?? {};
  const nm = newTemplate.metadata ?? {};
  const metadata = { labels: mapDiff(om.labels, nm.labels), annotations: mapDiff(om.annotations, nm.annotations) };
  for (const k of unionKeys(om, nm)) {
    if (k !== 'labels' && k !== 'annotations' && !same(om[k], nm[k])) reasons.push(`metadata.${k} changed`);
  }
  const os = oldTemplate.spec;
  const ns = newTemplate.spec;
  for (const k of unionKeys(os, ns)) {
    if (k !== 'containers' && !same(os[k], ns[k])) reasons.push(`spec.${k} changed`);
  }
  diffContainers(os.containers ?? [], ns.containers ?? [], changes, reasons);
  if (Object.keys(changes.resources).length > 0) {
    const before = qosClass([...(os.containers ?? []), ...(os.initContainers ?? [])]);
    const after = qosClass([...(ns.containers ?? []), ...(ns.initContainers ?? [])]);
    if (before !== after) {
      const names = Object.keys(changes.resources).sort().join(', ');
      reasons.push(`spec.containers[${names}].resources change the Pod's QoS class from ${before} to ${after}, which a resize can not do`);
    }
  }

  // Downward API env is read once at container start: a changed key would stay stale after an in-place update.
  for (const c of ns.containers ?? []) {
    for (const path of downwardApiReads(c)) {
      for (const kind of ['labels', 'annotations'] as const) {
        for (const key of Object.keys(metadata[kind])) {
          if (readsKey(path, kind, key)) {
            reasons.push(`spec.containers[${c.name}].env reads changed metadata.${kind}['${key}'] via the downward API`);
          }
        }
      }
    }
  }
  return {
    inPlace: reasons.length === 0 && strategyType !== UpdateStrategyType.ReCreate,
    containerImages: changes.images,
    containerResources: changes.resources,
    resizes: changes.resizes,
    metadata,
    reasons: [...new Set(reasons)],
  };
}

/** Result of {@link planPodUpdate}. */
export interface PodUpdatePlan {
  action: PodUpdateAction;
  /** Why the pod is not updated in place (empty for inPlace). */
  reasons: string[];
  /** The diff, when the old template was known. */
  diff: TemplateDiff | null;
}

/**
 * Decides how a pod on an old revision moves to the new template:
 * - ReCreate → recreate;
 * - old template unknown → recreate (InPlaceIfPossible) or fail (InPlaceOnly);
 * - in-place-able → inPlace; otherwise recreate (InPlaceIfPossible) or fail naming the fields (InPlaceOnly).
 */
export function planPodUpdate(oldTemplate: PodTemplateSpec | null, newTemplate: PodTemplateSpec, strategyType: UpdateStrategyType): PodUpdatePlan {
  if (strategyType === UpdateStrategyType.ReCreate) {
    return { action: PodUpdateAction.Recreate, reasons: ['update strategy is ReCreate'], diff: null };
  }
  const fallback = strategyType === UpdateStrategyType.InPlaceOnly ? PodUpdateAction.Fail : PodUpdateAction.Recreate;
  if (oldTemplate === null) {
    return { action: fallback, reasons: ['template of the pod revision is unknown'], diff: null };
  }
  const diff = diffTemplates(oldTemplate, newTemplate, strategyType);
  if (diff.inPlace) return { action: PodUpdateAction.InPlace, reasons: [], diff };
  const reasons = fallback === PodUpdateAction.Fail ? diff.reasons.map((r) => `can not update in-place: ${r}`) : diff.reasons;
  return { action: fallback, reasons, diff };
}

/**
 * {@link planPodUpdate} for every known old revision, keyed by revision name: the planner's `actionsByRevision`.
 */
export function planByRevision(
  templatesByRevision: Record<string, PodTemplateSpec>,
  newTemplate: PodTemplateSpec,
  strategyType: UpdateStrategyType,
): Record<string, PodUpdatePlan> {
  const out: Record<string, PodUpdatePlan> = {};
  for (const rev of Object.keys(templatesByRevision).sort()) {
    out[rev] = planPodUpdate(templatesByRevision[rev] as PodTemplateSpec, newTemplate, strategyType);
  }
  return out;
}

/**
 * Normalizes an image reference the way the kubelet reports it, so `nginx:latest` equals
 * `docker.io/library/nginx:latest`: adds docker.io, library/ and :latest where implied.
 */
export function normalizeImage(image: string): string {
  const at = image.indexOf('@');
  const digest = at >= 0 ? image.slice(at) : '';
  let name = at >= 0 ? image.slice(0, at) : image;
  const lastSlash = name.lastIndexOf('/');
  const hasTag = name.lastIndexOf(':') > lastSlash;
  if (!hasTag && !digest) name += ':latest';
  const first = name.split('/')[0] as string;
  const hasDomain = name.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (!hasDomain) name = `docker.io/${name.includes('/') ? '' : 'library/'}${name}`;
  return name + digest;
}

/** Waiting reasons after which the kubelet will not make progress on its own. */
export const STUCK_WAITING_REASONS = [
  'ImagePullBackOff',
  'ErrImagePull',
  'InvalidImageName',
  'ErrImageNeverPull',
  'CreateContainerConfigError',
  'CreateContainerError',
] as const;

/** Result of {@link checkInPlaceCompletion}. */
export interface InPlaceCompletion {
  /** Every changed container runs its new image. */
  done: boolean;
  /** Names of changed containers not yet running the new image. */
  pending: string[];
  /** Containers waiting for a reason that will not resolve on its own, e.g. `nginx: ImagePullBackOff`. */
  stuck: string[];
}

/**
 * Has the kubelet applied an in-place update? For each changed container: not done while its status is missing,
 * or while its imageID equals the one recorded before the update AND its reported image differs from the target
 * (comparing image strings covers a new tag that resolves to the same digest).
 *
 * @param images target image by container name (the changed containers only)
 * @param lastImageIDs imageIDs before the update (from the inplace-update-state annotation)
 */
export function checkInPlaceCompletion(
  pod: Pick<PodView, 'containers'>,
  images: Record<string, string>,
  lastImageIDs: Record<string, { imageID: string }>,
): InPlaceCompletion {
  const pending: string[] = [];
  const stuck: string[] = [];
  for (const name of Object.keys(images).sort()) {
    const c: ContainerView | undefined = pod.containers.find((x) => x.name === name);
    const target = images[name] as string;
    // Without a recorded imageID (unknown), only the image string can prove the update.
    const last = lastImageIDs[name]?.imageID;
    const imageIdMoved = last !== undefined && c?.imageID != null && c.imageID !== last;
    const applied = c !== undefined && c.statusImage !== null && (imageIdMoved || normalizeImage(c.statusImage) === normalizeImage(target));
    if (!applied) pending.push(name);
    if (c?.waitingReason && (STUCK_WAITING_REASONS as readonly string[]).includes(c.waitingReason)) {
      stuck.push(`${name}: ${c.waitingReason}`);
    }
  }
  return { done: pending.length === 0, pending, stuck };
}
