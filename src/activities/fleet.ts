/**
 * The fleet's own activity: before any cluster is touched, one GET of the CloneSet in each cluster the fleet names,
 * so an unknown cluster, an unreachable one, a missing CloneSet or an image naming no container is refused up front,
 * naming the cluster. Read only.
 */
import type { Logger } from 'pino';
import { readCloneSetState } from '../kube/cloneset-read.js';
import type { KubeClients } from '../kube/clients.js';
import { describe } from '../kube/errors.js';
import { applyImages } from '../rollout/index.js';
import type { CloneSet } from '../rollout/index.js';
import { activityLogger } from './context.js';

/** How long one cluster may take to answer the GET before it counts as unreachable. */
const REACH_TIMEOUT_MS = 5_000;

export interface CheckClustersInput {
  namespace: string;
  name: string;
  clusters: string[];
  images?: Record<string, string>;
  /** The fleet applies a manifest: a cluster without the CloneSet is fine (it is created there). */
  manifest?: boolean;
}

export interface ClusterCheck {
  /** Whether the CloneSet exists there now. */
  exists: boolean;
  /** The number of the ControllerRevision the CloneSet is on (what a fleet rollback of a manifest returns to); null: unknown. */
  revision: number | null;
  /** The CloneSet's template images now, by container (what a fleet rollback returns the cluster to). */
  images: Record<string, string>;
  generation: number;
}

export interface CheckClustersResult {
  /** Activity clock at the check. */
  atMs: number;
  /** Every cluster that answered with a usable CloneSet. */
  clusters: Record<string, ClusterCheck>;
  /** What is wrong, one line per cluster, each naming it; empty: every cluster is fine. */
  problems: string[];
}

function templateImages(cs: CloneSet): Record<string, string> {
  const out: Record<string, string> = {};
  for (const c of [...(cs.spec.template.spec.initContainers ?? []), ...(cs.spec.template.spec.containers ?? [])]) if (c.image) out[c.name] = c.image;
  return out;
}

export function fleetActivities(clients: Record<string, KubeClients>, logger: Logger) {
  return {
    /** The activity clock (ms since epoch): when a fleet's bake starts, for its progress record. */
    fleetClock(): Promise<number> {
      return Promise.resolve(Date.now());
    },

    async checkFleetClusters(input: CheckClustersInput): Promise<CheckClustersResult> {
      const log = activityLogger(logger, { cloneSet: `${input.namespace}/${input.name}` });
      const known = Object.keys(clients).sort();
      const result: CheckClustersResult = { atMs: Date.now(), clusters: {}, problems: [] };
      await Promise.all(
        input.clusters.map(async (cluster) => {
          const k = clients[cluster];
          if (!k) {
            result.problems.push(`cluster ${cluster}: not known to the worker (known: ${known.join(', ') || 'none'})`);
            return;
          }
          let timer: NodeJS.Timeout | undefined;
          try {
            const read = await Promise.race([
              readCloneSetState(k, input.namespace, input.name, { podSelector: () => null }),
              new Promise<never>((_, reject) => {
                timer = setTimeout(() => reject(new Error(`no answer within ${REACH_TIMEOUT_MS / 1000} s`)), REACH_TIMEOUT_MS);
              }),
            ]);
            if (!read) {
              if (input.manifest) result.clusters[cluster] = { exists: false, revision: null, images: {}, generation: 0 };
              else result.problems.push(`cluster ${cluster}: CloneSet ${input.namespace}/${input.name} not found`);
              return;
            }
            const cs = read.cloneSet;
            const on = cs.status?.updateRevision ?? cs.status?.currentRevision;
            const revision = read.revisions.find((r) => r.name === on)?.revision ?? null;
            const applied = applyImages(cs.spec.template, input.images);
            if (!applied.ok) {
              result.problems.push(`cluster ${cluster}: CloneSet ${input.namespace}/${input.name}: ${applied.errors.map((e) => e.message).join('; ')}`);
              return;
            }
            result.clusters[cluster] = { exists: true, revision, images: templateImages(cs), generation: cs.metadata.generation ?? 0 };
          } catch (err) {
            result.problems.push(`cluster ${cluster}: unreachable (${describe(err)})`);
          } finally {
            clearTimeout(timer);
          }
        }),
      );
      result.problems.sort();
      log.info({ clusters: input.clusters, problems: result.problems }, 'fleet clusters checked');
      return result;
    },
  };
}
