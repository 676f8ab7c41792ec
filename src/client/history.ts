/**
 * A CloneSet's revision history, read from Kubernetes: its ControllerRevisions (oldest first) with their images, how
 * many Pods run each one, and which is the current and the update revision. What `cloneset-rollout history` prints;
 * a rollback names one of these numbers (`RolloutClient.rollback`).
 */
import { CLONESET, type KubeClients } from '../kube/clients.js';
import { isNotFound } from '../kube/errors.js';
import { byRevision, REVISION_CLONESET_LABEL } from '../rollout/history.js';
import { Labels, revisionName, selectorString, type CloneSet, type PodTemplateSpec } from '../rollout/index.js';

/** One ControllerRevision of a CloneSet. */
export interface RevisionInfo {
  /** Its number: what `rollback --to-revision N` takes. */
  revision: number;
  /** Its name: the `controller-revision-hash` label of its Pods. */
  name: string;
  /** Container images of its template, name → image (init containers included). */
  images: Record<string, string>;
  /** Pods of the CloneSet on this revision now. */
  pods: number;
  /** creationTimestamp (RFC 3339), or null. */
  createdAt: string | null;
  /** status.currentRevision: the revision the CloneSet's Pods were all on last. */
  current: boolean;
  /** The revision of the CloneSet's template: what a rollout moves the Pods to. */
  update: boolean;
}

export interface CloneSetHistory {
  namespace: string;
  name: string;
  /** Revision of the template as it is now (status.updateRevision once a rollout observed it). */
  updateRevision: string;
  /** status.currentRevision, or null before any rollout. */
  currentRevision: string | null;
  /** Oldest first. */
  revisions: RevisionInfo[];
}

function templateImages(template: PodTemplateSpec | undefined): Record<string, string> {
  const spec = template?.spec;
  return Object.fromEntries([...(spec?.initContainers ?? []), ...(spec?.containers ?? [])].map((c) => [c.name, c.image]));
}

/** Reads the history of CloneSet `namespace/name`; throws `CloneSet ns/name not found` when it does not exist. */
export async function readHistory(k: KubeClients, namespace: string, name: string): Promise<CloneSetHistory> {
  let cs: CloneSet;
  try {
    cs = (await k.custom.getNamespacedCustomObject({ ...CLONESET, namespace, name })) as CloneSet;
  } catch (err) {
    if (isNotFound(err)) throw new Error(`CloneSet ${namespace}/${name} not found`);
    throw err;
  }
  const uid = cs.metadata.uid;
  const [crs, pods] = await Promise.all([
    k.apps.listNamespacedControllerRevision({ namespace, labelSelector: `${REVISION_CLONESET_LABEL}=${name}` }),
    cs.spec?.selector ? k.core.listNamespacedPod({ namespace, labelSelector: selectorString(cs.spec.selector) }) : Promise.resolve({ items: [] }),
  ]);
  const counts: Record<string, number> = {};
  for (const p of pods.items) {
    if (p.metadata?.deletionTimestamp || !p.metadata?.ownerReferences?.some((o) => o.controller && o.uid === uid)) continue;
    const rev = p.metadata.labels?.[Labels.revision];
    if (rev) counts[rev] = (counts[rev] ?? 0) + 1;
  }
  const updateRevision = revisionName(name, cs.spec.template);
  const currentRevision = cs.status?.currentRevision || null;
  const revisions = crs.items
    .filter((cr) => cr.metadata?.name && cr.metadata.ownerReferences?.some((o) => o.uid === uid))
    .map((cr): RevisionInfo => {
      const rev = cr.metadata!.name!;
      const created = cr.metadata?.creationTimestamp;
      return {
        revision: cr.revision ?? 0,
        name: rev,
        images: templateImages((cr.data as { spec?: { template?: PodTemplateSpec } } | undefined)?.spec?.template),
        pods: counts[rev] ?? 0,
        createdAt: created ? new Date(created).toISOString().replace(/\.\d{3}Z$/, 'Z') : null,
        current: rev === currentRevision,
        update: rev === updateRevision,
      };
    })
    .sort(byRevision);
  return { namespace, name, updateRevision, currentRevision, revisions };
}
