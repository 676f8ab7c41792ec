/**
 * Legacy (unaggregated) discovery documents and /version, enough for
 * kubectl-style clients to resolve the served resources.
 */
import type { JsonObject } from './json.js';
import type { Registry, ResourceDef } from './registry.js';

const MAIN_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const SUBRESOURCE_VERBS = ['get', 'patch', 'update'];

/** The version this server claims to be. */
export const SIM_VERSION = {
  major: '1',
  minor: '31',
  gitVersion: 'v1.31.0-sim',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2024-08-13T00:00:00Z',
  goVersion: 'go1.22.5',
  compiler: 'gc',
  platform: 'linux/amd64',
};

function apiResources(defs: readonly ResourceDef[]): JsonObject[] {
  const out: JsonObject[] = [];
  for (const d of defs) {
    out.push({
      name: d.resource,
      singularName: d.singular,
      namespaced: true,
      kind: d.kind,
      verbs: MAIN_VERBS,
      ...(d.shortNames.length ? { shortNames: [...d.shortNames] } : {}),
      ...(d.categories.length ? { categories: [...d.categories] } : {}),
    });
    if (d.binding) out.push({ name: `${d.resource}/binding`, singularName: '', namespaced: true, kind: 'Binding', verbs: ['create'] });
    if (d.scale) {
      out.push({
        name: `${d.resource}/scale`,
        singularName: '',
        namespaced: true,
        group: 'autoscaling',
        version: 'v1',
        kind: 'Scale',
        verbs: SUBRESOURCE_VERBS,
      });
    }
    // the real list is sorted by name: pods/resize comes before pods/status
    if (d.resize) out.push({ name: `${d.resource}/resize`, singularName: '', namespaced: true, kind: d.kind, verbs: SUBRESOURCE_VERBS });
    if (d.statusSubresource) out.push({ name: `${d.resource}/status`, singularName: '', namespaced: true, kind: d.kind, verbs: SUBRESOURCE_VERBS });
  }
  return out;
}

function groupDoc(group: string, versions: string[]): JsonObject {
  const gvs = versions.map((v) => ({ groupVersion: `${group}/${v}`, version: v }));
  return { name: group, versions: gvs, preferredVersion: gvs[0]! };
}

/**
 * The discovery document at a path (segments after the leading slash), or
 * undefined when the path is not a discovery path.
 */
export function discovery(registry: Registry, segments: readonly string[], serverAddress: string): JsonObject | undefined {
  const gvs = registry.groupVersions();
  const groups = new Map<string, string[]>();
  for (const gv of gvs) if (gv.group) groups.set(gv.group, [...(groups.get(gv.group) ?? []), gv.version]);
  const [root, a, b, ...rest] = segments;
  if (rest.length) return undefined;

  if (root === 'version' && a === undefined) return { ...SIM_VERSION };
  if (root === 'api') {
    if (a === undefined) {
      return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
    }
    if (a === 'v1' && b === undefined)
      return resourceList(
        'v1',
        registry.defs.filter((d) => d.group === ''),
      );
    return undefined;
  }
  if (root !== 'apis') return undefined;
  if (a === undefined) {
    return { kind: 'APIGroupList', apiVersion: 'v1', groups: [...groups].map(([g, vs]) => groupDoc(g, vs)) };
  }
  const versions = groups.get(a);
  if (!versions) return undefined;
  if (b === undefined) return { kind: 'APIGroup', apiVersion: 'v1', ...groupDoc(a, versions) };
  if (!versions.includes(b)) return undefined;
  return resourceList(
    `${a}/${b}`,
    registry.defs.filter((d) => d.group === a && d.version === b),
  );
}

function resourceList(groupVersion: string, defs: readonly ResourceDef[]): JsonObject {
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion, resources: apiResources(defs) };
}
