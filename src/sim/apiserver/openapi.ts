/**
 * A minimal OpenAPI v3 for kubectl: `/openapi/v3` (the index of group-versions) and one document per served
 * group-version with its paths. kubectl 1.32 fetches these before `apply` to learn whether the server does field
 * validation itself (a PATCH operation for the kind with a `fieldValidation` query parameter); when it does, it
 * sends `fieldValidation=Strict` and validates nothing client-side.
 *
 * Schemas are only given for custom resources (from their CRD). Built-in kinds get paths but no schema on
 * purpose: kubectl then computes strategic merge patches from its compiled-in types, which know the merge
 * keys, instead of from a schema that would not. `/openapi/v2` is not served.
 */
import type { JsonObject } from './json.js';
import type { Registry, ResourceDef } from './registry.js';

const OBJECT_META_REF = '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';
const WRITE_PARAMS = ['dryRun', 'fieldManager', 'fieldValidation'];

/** The path of a group-version in the index: `api/v1`, `apis/apps/v1`. */
function gvPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

/** Reverse-domain schema name, as the real server derives it for CRDs (apps.kruise.io → io.kruise.apps). */
function schemaName(def: ResourceDef): string {
  return `${def.group.split('.').reverse().join('.')}.${def.version}.${def.kind}`;
}

function query(names: readonly string[]): JsonObject[] {
  return names.map((name) => ({ name, in: 'query', schema: { type: 'string', uniqueItems: true } }));
}

function operation(def: ResourceDef, action: string, params: readonly string[]): JsonObject {
  return {
    operationId: `${action}${def.kind}`,
    parameters: query(params),
    responses: { '200': { description: 'OK' } },
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': { group: def.group, version: def.version, kind: def.kind },
  };
}

function gvDocument(defs: readonly ResourceDef[]): JsonObject {
  const paths: JsonObject = {};
  const schemas: JsonObject = {
    'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta': { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
  };
  for (const def of defs) {
    const base = `/${gvPath(def.group, def.version)}/namespaces/{namespace}/${def.resource}`;
    paths[base] = { get: operation(def, 'list', []), post: operation(def, 'post', WRITE_PARAMS) };
    paths[`${base}/{name}`] = {
      get: operation(def, 'get', []),
      put: operation(def, 'put', WRITE_PARAMS),
      patch: operation(def, 'patch', [...WRITE_PARAMS, 'force']),
      delete: operation(def, 'delete', ['dryRun']),
    };
    if (def.crd) {
      const schema = structuredClone(def.crd.schema);
      const props = schema.properties as JsonObject | undefined;
      if (props) props.metadata = { allOf: [{ $ref: OBJECT_META_REF }] };
      schemas[schemaName(def)] = {
        ...schema,
        'x-kubernetes-group-version-kind': [{ group: def.group, version: def.version, kind: def.kind }],
      };
    }
  }
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: 'v0.1.0' }, paths, components: { schemas } };
}

/** The document at /openapi/v3[/...] (segments after `openapi/v3`), or undefined when there is none. */
export function openApiV3(registry: Registry, rest: readonly string[]): JsonObject | undefined {
  const gvs = registry.groupVersions();
  if (rest.length === 0) {
    const paths: JsonObject = {};
    for (const { group, version } of gvs) {
      const p = gvPath(group, version);
      // the hash only has to change when the document does; the served set is fixed at build time
      paths[p] = { serverRelativeURL: `/openapi/v3/${p}?hash=sim-${group || 'core'}-${version}` };
    }
    return { paths };
  }
  const path = rest.join('/');
  const gv = gvs.find(({ group, version }) => gvPath(group, version) === path);
  if (!gv) return undefined;
  return gvDocument(registry.defs.filter((d) => d.group === gv.group && d.version === gv.version));
}
