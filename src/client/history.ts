/**
 * A CloneSet's revision history, read from Kubernetes: its ControllerRevisions (oldest first) with their images, how
 * many Pods run each one, and which is the current and the update revision. What `cloneset-rollout history` prints;
 * a rollback names one of these numbers (`RolloutClient.rollback`).
 */
import { readCloneSetState } from '../kube/cloneset-read.js';
import type { KubeClients } from '../kube/clients.js';
import { byRevision } from '../rollout/history.js';
import { chooseUpdateRevision, collisionCountOf, type PodTemplateSpec } from '../rollout/index.js';

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

function templateImages(template: PodTemplateSpec | null): Record<string, string> {
  const spec = template?.spec;
  return Object.fromEntries([...(spec?.initContainers ?? []), ...(spec?.containers ?? [])].map((c) => [c.name, c.image]));
}

/** Reads the history of CloneSet `namespace/name`; throws `CloneSet ns/name not found` when it does not exist. */
export async function readHistory(k: KubeClients, namespace: string, name: string): Promise<CloneSetHistory> {
  const read = await readCloneSetState(k, namespace, name);
  if (!read) throw new Error(`CloneSet ${namespace}/${name} not found`);
  const { cloneSet: cs, pods } = read;
  const counts: Record<string, number> = {};
  for (const p of pods) if (!p.deleting && p.revision) counts[p.revision] = (counts[p.revision] ?? 0) + 1;
  const updateRevision = chooseUpdateRevision(name, cs.spec.template, read.revisions, collisionCountOf(cs)).name;
  const currentRevision = cs.status?.currentRevision || null;
  const revisions = read.revisions
    .map((r): RevisionInfo => ({
      revision: r.revision,
      name: r.name,
      images: templateImages(r.template),
      pods: counts[r.name] ?? 0,
      createdAt: r.createdAt,
      current: r.name === currentRevision,
      update: r.name === updateRevision,
    }))
    .sort(byRevision);
  return { namespace, name, updateRevision, currentRevision, revisions };
}
