/**
 * CloneSet API types (apps.kruise.io/v1alpha1), typed after OpenKruise's API, plus the label, annotation and
 * condition names the rollout reads and writes.
 *
 * Everything here is plain JSON: no classes, no Map/Set, no Date. This module is bundled into Temporal's workflow
 * sandbox, so it must stay free of Node built-ins and of non-deterministic calls.
 */

/** An integer or a percentage string such as `"20%"` (Kubernetes `IntOrString`). */
export type IntOrString = number | string;

/** CloneSet API group/version and kind. */
export const CLONESET_API_VERSION = 'apps.kruise.io/v1alpha1';
export const CLONESET_KIND = 'CloneSet';

/** Labels, annotations, condition types and reasons shared with OpenKruise. */
export const Labels = {
  /** The pod's revision: `${cloneSetName}-${hash}`. */
  revision: 'controller-revision-hash',
  /** The pod's stable instance id; the pod name is `${cloneSetName}-${instanceId}`. */
  instanceId: 'apps.kruise.io/cloneset-instance-id',
  /** Lifecycle state, one of {@link LifecycleState}. */
  lifecycleState: 'lifecycle.apps.kruise.io/state',
  /** The hash part of the revision a Pod was created at (`controller-revision-hash` without `${cloneSet}-`). */
  podTemplateHash: 'pod-template-hash',
} as const;

export const Annotations = {
  /** JSON {@link InPlaceUpdateState}: written when a pod is updated in place. */
  inPlaceUpdateState: 'apps.kruise.io/inplace-update-state',
  /** Pending spec while an in-place grace period runs. */
  inPlaceUpdateGrace: 'apps.kruise.io/inplace-update-grace',
  /** RFC 3339 (whole seconds) time of the last change of the lifecycle state label. */
  lifecycleTimestamp: 'lifecycle.apps.kruise.io/timestamp',
} as const;

export const Conditions = {
  /** Pod readiness gate and condition: False while an in-place update runs. */
  inPlaceUpdateReady: 'InPlaceUpdateReady',
  /** Kubelet's Ready condition. */
  ready: 'Ready',
} as const;

export const Reasons = {
  /** Reason on InPlaceUpdateReady=False when an in-place update starts. */
  startInPlaceUpdate: 'StartInPlaceUpdate',
} as const;

/** `spec.updateStrategy.type` values. */
export const UpdateStrategyType = {
  ReCreate: 'ReCreate',
  InPlaceIfPossible: 'InPlaceIfPossible',
  InPlaceOnly: 'InPlaceOnly',
} as const;
export type UpdateStrategyType = (typeof UpdateStrategyType)[keyof typeof UpdateStrategyType];

/** Values of the `lifecycle.apps.kruise.io/state` label. */
export const LifecycleState = {
  PreparingNormal: 'PreparingNormal',
  Normal: 'Normal',
  PreparingUpdate: 'PreparingUpdate',
  Updating: 'Updating',
  Updated: 'Updated',
  PreparingDelete: 'PreparingDelete',
} as const;
export type LifecycleState = (typeof LifecycleState)[keyof typeof LifecycleState];

/** Pod phases as reported by the kubelet. */
export const PodPhase = {
  Pending: 'Pending',
  Running: 'Running',
  Succeeded: 'Succeeded',
  Failed: 'Failed',
  Unknown: 'Unknown',
} as const;
export type PodPhase = (typeof PodPhase)[keyof typeof PodPhase];

/** Defaults applied by {@link validateCloneSet} (same as Kruise's defaulting webhook). */
export const Defaults = {
  replicas: 1,
  updateStrategyType: UpdateStrategyType.ReCreate,
  partition: 0,
  maxUnavailable: '20%',
  maxSurge: 0,
  gracePeriodSeconds: 0,
  minReadySeconds: 0,
  revisionHistoryLimit: 10,
  paused: false,
} as const;

export interface ObjectMeta {
  name?: string;
  namespace?: string;
  uid?: string;
  generation?: number;
  resourceVersion?: string;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [k: string]: unknown;
}

export interface LabelSelectorRequirement {
  key: string;
  /** `In` | `NotIn` | `Exists` | `DoesNotExist`. */
  operator: string;
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

/** A container, typed loosely: only name and image matter to the rollout; the rest is carried as-is. */
export interface Container {
  name: string;
  image: string;
  [k: string]: unknown;
}

/** A PodSpec, typed loosely. */
export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  restartPolicy?: string;
  readinessGates?: { conditionType: string }[];
  nodeName?: string;
  [k: string]: unknown;
}

export interface PodTemplateSpec {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string>; [k: string]: unknown };
  spec: PodSpec;
}

/** `spec.scaleStrategy`. */
export interface CloneSetScaleStrategy {
  /** Limits pod creation during scale-up. Unset: unlimited. Percent of replicas, rounded up. */
  maxUnavailable?: IntOrString;
  /** Names of pods to delete (and replace). */
  podsToDelete?: string[];
  [k: string]: unknown;
}

export interface UpdatePriorityWeightTerm {
  weight: number;
  matchSelector: LabelSelector;
}

export interface UpdatePriorityStrategy {
  weightPriority?: UpdatePriorityWeightTerm[];
  orderPriority?: { orderedKey: string }[];
}

export interface UpdateScatterTerm {
  key: string;
  value: string;
}

/** `spec.updateStrategy`. */
export interface CloneSetUpdateStrategy {
  /** Default `ReCreate`. */
  type?: UpdateStrategyType;
  /** Pods kept on old revisions. Int or percent (rounded up). Default 0. */
  partition?: IntOrString;
  /** Default `"20%"`; percent rounds up when maxSurge is 0, down otherwise. */
  maxUnavailable?: IntOrString;
  /** Default 0; percent rounds up. */
  maxSurge?: IntOrString;
  /** Stops updates (not scaling). Default false. */
  paused?: boolean;
  inPlaceUpdateStrategy?: {
    /** Seconds between marking the pod not-ready and patching its images. Default 0. */
    gracePeriodSeconds?: number;
  };
  priorityStrategy?: UpdatePriorityStrategy;
  scatterStrategy?: UpdateScatterTerm[];
  [k: string]: unknown;
}

export interface LifecycleHook {
  labelsHandler?: Record<string, string>;
  finalizersHandler?: string[];
  markPodNotReady?: boolean;
}

export interface CloneSetLifecycle {
  preDelete?: LifecycleHook;
  inPlaceUpdate?: LifecycleHook;
  preNormal?: LifecycleHook;
}

export interface CloneSetSpec {
  /** Desired pods. Default 1. */
  replicas?: number;
  selector?: LabelSelector;
  template: PodTemplateSpec;
  /** Seconds a pod must be Ready before it counts as available. Default 0. */
  minReadySeconds?: number;
  /** Default 10. */
  revisionHistoryLimit?: number;
  /** Seconds without progress before Progressing=False. Unset: no Progressing condition. */
  progressDeadlineSeconds?: number;
  scaleStrategy?: CloneSetScaleStrategy;
  updateStrategy?: CloneSetUpdateStrategy;
  lifecycle?: CloneSetLifecycle;
  volumeClaimTemplates?: unknown[];
  [k: string]: unknown;
}

export interface CloneSetCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  /** RFC3339. */
  lastTransitionTime?: string;
  lastUpdateTime?: string;
}

export interface CloneSetStatus {
  observedGeneration: number;
  replicas: number;
  readyReplicas: number;
  availableReplicas: number;
  updatedReplicas: number;
  updatedReadyReplicas: number;
  /** Omitted when 0, as Kruise serializes it. */
  updatedAvailableReplicas?: number;
  /** spec.replicas − resolved partition; omitted when 0, as Kruise serializes it. */
  expectedUpdatedReplicas?: number;
  updateRevision: string;
  currentRevision: string;
  /** Revision-name hash collisions seen (0 unless one happened); Kruise always writes it. */
  collisionCount: number;
  /** The selector as a string (`app=web,tier in (a,b)`), for the scale subresource. */
  labelSelector: string;
  conditions?: CloneSetCondition[];
}

export interface CloneSet {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec: CloneSetSpec;
  status?: Partial<CloneSetStatus>;
}

/** A CloneSet after {@link validateCloneSet}: every defaulted field is present. */
export interface NormalizedCloneSetSpec extends CloneSetSpec {
  replicas: number;
  selector: LabelSelector;
  minReadySeconds: number;
  revisionHistoryLimit: number;
  scaleStrategy: CloneSetScaleStrategy & { podsToDelete: string[] };
  updateStrategy: CloneSetUpdateStrategy & {
    type: UpdateStrategyType;
    partition: IntOrString;
    maxUnavailable: IntOrString;
    maxSurge: IntOrString;
    paused: boolean;
    inPlaceUpdateStrategy: { gracePeriodSeconds: number };
  };
}

export interface NormalizedCloneSet extends CloneSet {
  metadata: ObjectMeta & { name: string; namespace: string };
  spec: NormalizedCloneSetSpec;
}

/**
 * The `apps.kruise.io/inplace-update-state` annotation, as Kruise's `InPlaceUpdateState` (apis/apps/pub): keys in
 * its field order, timestamps RFC 3339 with whole seconds. Pods patched by earlier versions of this project carry
 * millisecond timestamps and no `updateImages` / `containerBatchesRecord`; they are read the same way.
 */
export interface InPlaceUpdateState {
  /** Revision the pod is being updated to. */
  revision: string;
  /** RFC3339 time the update started. */
  updateTimestamp: string;
  /**
   * imageIDs of the changed containers before the update, by container name. Kruise omits an empty imageID
   * (`{}`); older records of ours wrote `""`.
   */
  lastContainerStatuses: Record<string, { imageID?: string; resources?: { requests?: Record<string, string>; limits?: Record<string, string> } }>;
  /** True when resources are resized in place (Kruise's `updateResources`, omitted when false). */
  updateResources?: boolean;
  /** True when images change (Kruise's `updateImages`, omitted when false). */
  updateImages?: boolean;
  /** One entry per batch of containers patched: when, and which (sorted). */
  containerBatchesRecord?: { timestamp: string; containers: string[] }[];
  [k: string]: unknown;
}
