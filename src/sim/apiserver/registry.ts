/**
 * The resource registry: one definition per served resource, carrying the
 * per-kind strategy hooks (defaulting, validation, status handling, graceful
 * deletion) that the generic REST machinery in rest.ts calls. This mirrors the
 * split between the generic registry store and per-kind strategies in
 * k8s.io/apiserver.
 */
import type { GroupKind, GroupResource } from './errors.js';
import type { JsonObject } from './json.js';
import { meta } from './meta.js';
import type { FieldGetter } from './selectors.js';
import type { SmpSchema } from './strategic.js';
import type { FieldError } from './validation.js';

/** API verbs, as in RBAC and discovery. */
export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

/** Where the scale subresource finds replicas and selector (CRD `subresources.scale`). */
export interface ScaleSpec {
  specReplicasPath: readonly string[];
  statusReplicasPath: readonly string[];
  labelSelectorPath: readonly string[];
}

/** Per-kind behaviour; every hook is optional. Hooks mutate their first argument in place. */
export interface KindStrategy {
  /** Defaulting, applied to every decoded body of the main resource (create, update, patch result). */
  applyDefaults?(obj: JsonObject): void;
  /** Create-time preparation beyond defaulting (e.g. initial status). */
  prepareForCreate?(obj: JsonObject): void;
  /** Fix-ups of a status-subresource write before validation. */
  prepareForStatusUpdate?(obj: JsonObject, old: JsonObject): void;
  /** Canonicalization of values the real server would re-encode (time precision). */
  normalize?(obj: JsonObject): void;
  validateCreate?(obj: JsonObject): FieldError[];
  validateUpdate?(obj: JsonObject, old: JsonObject): FieldError[];
  validateStatusUpdate?(obj: JsonObject, old: JsonObject): FieldError[];
  /**
   * A write to the resize subresource (pods/resize): keep only what a resize may change of the decoded, defaulted
   * body (the strategy's PrepareForUpdate), given the stored object.
   */
  prepareForResize?(obj: JsonObject, old: JsonObject): void;
  validateResize?(obj: JsonObject, old: JsonObject): FieldError[];
  /**
   * Why a decoded body cannot be converted to the kind's Go type (e.g. a malformed resource quantity), as the real
   * decoder words it; undefined when it can.
   */
  decodeError?(obj: JsonObject): string | undefined;
  /**
   * For kinds with graceful deletion (pods): the grace period for this delete
   * given the requested one (CheckGracefulDelete).
   */
  gracePeriod?(obj: JsonObject, requested: number | undefined): number;
}

/** The parts of a CRD version the simulator uses. */
export interface CrdVersion {
  /** openAPIV3Schema */
  readonly schema: JsonObject;
  /** additionalPrinterColumns */
  readonly printerColumns: readonly JsonObject[];
}

/** A served resource. */
export interface ResourceDef {
  readonly group: string;
  readonly version: string;
  /** Plural resource name, e.g. `pods`. */
  readonly resource: string;
  readonly kind: string;
  readonly singular: string;
  readonly shortNames: readonly string[];
  readonly categories: readonly string[];
  /** `group/version`, or `v1` for the core group. */
  readonly apiVersion: string;
  readonly listKind: string;
  readonly gr: GroupResource;
  readonly gk: GroupKind;
  /** Key of this resource in the store. */
  readonly storeKey: string;
  readonly statusSubresource: boolean;
  /** Writes to /status also take metadata changes (labels, annotations, finalizers), as for Pods. */
  readonly statusWritesMetadata: boolean;
  readonly scale?: ScaleSpec;
  readonly binding: boolean;
  /** The resize subresource (pods/resize, InPlacePodVerticalScaling) is served. */
  readonly resize: boolean;
  /** metadata.generation is maintained (1 at create, +1 on spec changes). */
  readonly tracksGeneration: boolean;
  /** PUT without metadata.resourceVersion is allowed (AllowUnconditionalUpdate). */
  readonly allowUnconditionalUpdate: boolean;
  /** PUT of a missing object creates it (AllowCreateOnUpdate). */
  readonly allowCreateOnUpdate: boolean;
  /** DELETE answers with the object instead of a Status (ReturnDeletedObject). */
  readonly returnDeletedObject: boolean;
  /** Strategic merge patch schema; undefined means the kind does not accept SMP (custom resources). */
  readonly strategicMerge?: SmpSchema;
  /** Top-level members stored as sent, key order included (RawExtension fields such as a revision's `data`). */
  readonly verbatim?: ReadonlySet<string>;
  /** Set for custom resources: what their CRD version declares (schema for pruning/validation, printer columns). */
  readonly crd?: CrdVersion;
  /** Selectable fields besides metadata.name/metadata.namespace. */
  readonly fields: Readonly<Record<string, FieldGetter>>;
  readonly strategy: KindStrategy;
}

/** The parts of a definition that are not derived. */
export type ResourceSpec = Pick<ResourceDef, 'group' | 'version' | 'resource' | 'kind' | 'singular'> &
  Partial<
    Pick<
      ResourceDef,
      | 'shortNames'
      | 'categories'
      | 'statusSubresource'
      | 'statusWritesMetadata'
      | 'scale'
      | 'binding'
      | 'resize'
      | 'tracksGeneration'
      | 'allowUnconditionalUpdate'
      | 'allowCreateOnUpdate'
      | 'returnDeletedObject'
      | 'strategicMerge'
      | 'crd'
      | 'verbatim'
      | 'fields'
      | 'strategy'
    >
  >;

/** Fills in derived members and the defaults of the generic store. */
export function defineResource(spec: ResourceSpec): ResourceDef {
  const apiVersion = spec.group ? `${spec.group}/${spec.version}` : spec.version;
  const nameFields: Record<string, FieldGetter> = {
    'metadata.name': (o) => meta(o).name ?? '',
    'metadata.namespace': (o) => meta(o).namespace ?? '',
  };
  return {
    shortNames: [],
    categories: [],
    statusSubresource: false,
    statusWritesMetadata: false,
    binding: false,
    resize: false,
    tracksGeneration: false,
    allowUnconditionalUpdate: false,
    allowCreateOnUpdate: false,
    returnDeletedObject: false,
    strategy: {},
    ...spec,
    fields: { ...nameFields, ...spec.fields },
    apiVersion,
    listKind: `${spec.kind}List`,
    gr: { group: spec.group, resource: spec.resource },
    gk: { group: spec.group, kind: spec.kind },
    storeKey: `${spec.group}/${spec.resource}`,
  };
}

/** Lookup of definitions by group/version/resource. */
export class Registry {
  private readonly byPath = new Map<string, ResourceDef>();

  constructor(readonly defs: readonly ResourceDef[]) {
    for (const d of defs) this.byPath.set(`${d.group}/${d.version}/${d.resource}`, d);
  }

  /** The definition served at /api[s]/{group}/{version}/{resource}, if any. */
  find(group: string, version: string, resource: string): ResourceDef | undefined {
    return this.byPath.get(`${group}/${version}/${resource}`);
  }

  /** Distinct group/versions, core first. */
  groupVersions(): { group: string; version: string }[] {
    const seen = new Map<string, { group: string; version: string }>();
    for (const d of this.defs) seen.set(d.apiVersion, { group: d.group, version: d.version });
    return [...seen.values()];
  }
}
