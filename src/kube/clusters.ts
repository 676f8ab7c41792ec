/**
 * The clusters a worker knows by name: `--cluster NAME=KUBECONFIG[:CONTEXT]` (repeatable) or a clusters file
 * (`clusters: { NAME: { kubeconfig: FILE, context: CTX } }`, YAML or JSON). The single-cluster rollout is the
 * cluster named `default`: the worker's own kubeconfig unless one is given under that name.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { parse as parseYaml } from 'yaml';
import { CLUSTER_NAME_PROBLEM, DEFAULT_CLUSTER, isClusterName } from '../rollout/cluster.js';

/** Where one named cluster's kubeconfig is. */
export interface ClusterSource {
  name: string;
  kubeconfig: string;
  context?: string;
}

/** A bad `--cluster` value or clusters file entry, naming it. */
export class ClusterConfigError extends Error {
  override name = 'ClusterConfigError';
}

/** Parses one `NAME=KUBECONFIG[:CONTEXT]`. */
export function parseClusterFlag(value: string): ClusterSource {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new ClusterConfigError(`--cluster ${JSON.stringify(value)}: expected NAME=KUBECONFIG[:CONTEXT]`);
  const name = value.slice(0, eq);
  const rest = value.slice(eq + 1);
  if (!isClusterName(name)) throw new ClusterConfigError(`--cluster ${JSON.stringify(value)}: cluster name ${JSON.stringify(name)} ${CLUSTER_NAME_PROBLEM}`);
  const colon = rest.lastIndexOf(':');
  const [kubeconfig, context] = colon > 0 ? [rest.slice(0, colon), rest.slice(colon + 1)] : [rest, undefined];
  if (!kubeconfig) throw new ClusterConfigError(`--cluster ${JSON.stringify(value)}: no kubeconfig file`);
  return { name, kubeconfig, ...(context ? { context } : {}) };
}

/** Reads a clusters file: `clusters: { NAME: { kubeconfig, context? } }` (relative paths from the file's directory). */
export function readClustersFile(path: string): ClusterSource[] {
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ClusterConfigError(`clusters file ${path}: ${(err as Error).message}`);
  }
  const clusters = (doc as { clusters?: unknown } | null)?.clusters;
  if (typeof clusters !== 'object' || clusters === null || Array.isArray(clusters)) {
    throw new ClusterConfigError(`clusters file ${path}: clusters: must be a map of NAME: { kubeconfig: FILE, context: CTX }`);
  }
  return Object.entries(clusters as Record<string, unknown>).map(([name, v]) => {
    if (!isClusterName(name)) throw new ClusterConfigError(`clusters file ${path}: clusters.${name}: cluster name ${CLUSTER_NAME_PROBLEM}`);
    const e = v as { kubeconfig?: unknown; context?: unknown } | null;
    if (typeof e?.kubeconfig !== 'string' || e.kubeconfig === '')
      throw new ClusterConfigError(`clusters file ${path}: clusters.${name}.kubeconfig: is required`);
    if (e.context !== undefined && typeof e.context !== 'string')
      throw new ClusterConfigError(`clusters file ${path}: clusters.${name}.context: must be a string`);
    const kubeconfig = isAbsolute(e.kubeconfig) ? e.kubeconfig : resolve(dirname(path), e.kubeconfig);
    return { name, kubeconfig, ...(e.context ? { context: e.context } : {}) };
  });
}

/** Loads each source's KubeConfig (with its context), refusing a name given twice or a missing file or context. */
export function loadClusters(sources: readonly ClusterSource[]): Record<string, KubeConfig> {
  const out: Record<string, KubeConfig> = {};
  for (const s of sources) {
    if (out[s.name]) throw new ClusterConfigError(`cluster ${s.name}: given twice`);
    if (!existsSync(s.kubeconfig)) throw new ClusterConfigError(`cluster ${s.name}: kubeconfig ${s.kubeconfig} not found`);
    const kc = new KubeConfig();
    kc.loadFromFile(s.kubeconfig);
    if (s.context) {
      if (!kc.getContexts().some((c) => c.name === s.context)) {
        throw new ClusterConfigError(
          `cluster ${s.name}: context ${s.context} not in ${s.kubeconfig} (contexts: ${kc
            .getContexts()
            .map((c) => c.name)
            .join(', ')})`,
        );
      }
      kc.setCurrentContext(s.context);
    }
    out[s.name] = kc;
  }
  return out;
}

export { DEFAULT_CLUSTER };
