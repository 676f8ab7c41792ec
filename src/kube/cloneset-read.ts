/**
 * Reads a CloneSet with the Pods it controls and its ControllerRevisions: the one read path of the activities
 * (src/activities/cloneset.ts), `cloneset-rollout plan` (src/cli/plan.ts) and `history` (src/client/history.ts).
 * Plain Kubernetes reads, no Temporal: a missing CloneSet is null, and API errors go to the caller's `onError`
 * (the activities turn them into activity failures; the CLI and the client let them through unchanged).
 */
import type { KubeClients } from './clients.js';
import { CLONESET } from './clients.js';
import { isNotFound, statusCode } from './errors.js';
import { REVISION_CLONESET_LABEL } from '../rollout/history.js';
import type { V1ControllerRevision } from '@kubernetes/client-node';
import { selectorString, templateOfRevision, toPodView, type CloneSet, type LabelSelector, type PodTemplateSpec, type PodView } from '../rollout/index.js';

/** Pods per LIST page. */
export const LIST_PAGE_SIZE = 500;

/** A ControllerRevision of a CloneSet: name (the revision), number, the template it records, when it was made. */
export interface StoredRevision {
  name: string;
  revision: number;
  template: PodTemplateSpec | null;
  /** metadata.creationTimestamp (RFC 3339, whole seconds), or null. */
  createdAt: string | null;
}

/** A CloneSet as read, the Pods it controls and its ControllerRevisions. */
export interface CloneSetRead {
  cloneSet: CloneSet;
  pods: PodView[];
  revisions: StoredRevision[];
}

/**
 * What to do with an API error: throw (never return). `what` names the read, e.g. `list Pods of CloneSet web`.
 * The default rethrows the error unchanged.
 */
export type OnReadError = (err: unknown, what: string) => never;

const rethrow: OnReadError = (err) => {
  throw err;
};

/** The CloneSet `namespace/name` as stored, or null when it does not exist. */
export async function getCloneSet(k: KubeClients, namespace: string, name: string, onError: OnReadError = rethrow): Promise<CloneSet | null> {
  try {
    return (await k.custom.getNamespacedCustomObject({ ...CLONESET, namespace, name })) as CloneSet;
  } catch (err) {
    if (isNotFound(err)) return null;
    return onError(err, `read CloneSet ${namespace}/${name}`);
  }
}

/**
 * Pods a CloneSet controls: those its selector matches whose controller ownerReference carries its uid. Listed in
 * pages, each turned into PodViews at once: a 10,000-Pod CloneSet never sits in memory as full Pod objects. The pages
 * are one consistent snapshot (the continue token carries its resourceVersion); an expired token (410) starts the
 * list over.
 */
export async function listCloneSetPods(
  k: KubeClients,
  cs: { namespace: string; name: string; uid: string | undefined; selector: LabelSelector },
  onError: OnReadError = rethrow,
): Promise<PodView[]> {
  const labelSelector = selectorString(cs.selector);
  for (;;) {
    const out: PodView[] = [];
    let next: string | undefined;
    try {
      do {
        const page = await k.core.listNamespacedPod({ namespace: cs.namespace, labelSelector, limit: LIST_PAGE_SIZE, _continue: next });
        for (const p of page.items) {
          if (p.metadata?.ownerReferences?.some((o) => o.controller && o.uid === cs.uid)) out.push(toPodView(p as never));
        }
        next = page.metadata?._continue || undefined;
      } while (next);
      return out;
    } catch (err) {
      if (statusCode(err) === 410) continue;
      return onError(err, `list Pods of CloneSet ${cs.name}`);
    }
  }
}

/**
 * A CloneSet's ControllerRevisions, found as Kruise finds its own (Kubernetes' ListControllerRevisions): those the
 * CloneSet's selector matches whose controller ownerReference carries its uid; and, as before, those with our
 * CloneSet-name label and an ownerReference with its uid (revisions written by older cloneset-rollout versions).
 * Each once, in the order listed. Revisions without a controller (which Kruise would count too) are left out.
 */
export async function listCloneSetRevisions(
  k: KubeClients,
  cs: { namespace: string; name: string; uid: string | undefined; selector: LabelSelector | null | undefined },
  onError: OnReadError = rethrow,
): Promise<StoredRevision[]> {
  const { namespace, name, uid } = cs;
  try {
    const [bySelector, byLabel] = await Promise.all([
      cs.selector ? k.apps.listNamespacedControllerRevision({ namespace, labelSelector: selectorString(cs.selector) }) : Promise.resolve({ items: [] }),
      k.apps.listNamespacedControllerRevision({ namespace, labelSelector: `${REVISION_CLONESET_LABEL}=${name}` }),
    ]);
    const out: StoredRevision[] = [];
    const seen = new Set<string>();
    const take = (cr: V1ControllerRevision, owned: boolean) => {
      const crName = cr.metadata?.name;
      if (!crName || seen.has(crName) || !owned) return;
      seen.add(crName);
      const created = cr.metadata?.creationTimestamp;
      out.push({
        name: crName,
        revision: cr.revision ?? 0,
        template: templateOfRevision(cr.data),
        createdAt: created ? new Date(created).toISOString().replace(/\.\d{3}Z$/, 'Z') : null,
      });
    };
    for (const cr of bySelector.items) take(cr, cr.metadata?.ownerReferences?.some((o) => o.controller && o.uid === uid) ?? false);
    for (const cr of byLabel.items) take(cr, cr.metadata?.ownerReferences?.some((o) => o.uid === uid) ?? false);
    return out;
  } catch (err) {
    return onError(err, `list ControllerRevisions of CloneSet ${name}`);
  }
}

export interface ReadCloneSetOptions {
  /**
   * The selector to list the Pods with, decided from the CloneSet read (it may throw to refuse the CloneSet); null
   * lists none. Default: the CloneSet's own selector (none when it has none).
   */
  podSelector?: (cs: CloneSet) => LabelSelector | null | undefined;
  /** List the ControllerRevisions (default true); else `revisions` is empty. */
  revisions?: boolean;
  onError?: OnReadError;
}

/**
 * The CloneSet `namespace/name`, the Pods it controls and its ControllerRevisions (Pods and revisions listed side by
 * side, after the CloneSet: both need its uid). Null when the CloneSet does not exist.
 */
export async function readCloneSetState(k: KubeClients, namespace: string, name: string, opts: ReadCloneSetOptions = {}): Promise<CloneSetRead | null> {
  const onError = opts.onError ?? rethrow;
  const cloneSet = await getCloneSet(k, namespace, name, onError);
  if (!cloneSet) return null;
  const uid = cloneSet.metadata.uid;
  const selector = opts.podSelector ? opts.podSelector(cloneSet) : cloneSet.spec?.selector;
  const [pods, revisions] = await Promise.all([
    selector ? listCloneSetPods(k, { namespace, name, uid, selector }, onError) : Promise.resolve([]),
    opts.revisions === false ? Promise.resolve([]) : listCloneSetRevisions(k, { namespace, name, uid, selector: cloneSet.spec?.selector }, onError),
  ]);
  return { cloneSet, pods, revisions };
}
