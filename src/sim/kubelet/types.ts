/**
 * Minimal, JSON-shaped views of the core/v1 Pod fields the simulated kubelet reads and writes.
 *
 * We deliberately do not use client-node's `V1Pod` class internally: objects arriving on a watch are raw
 * JSON (timestamps are strings) while objects returned by typed API calls are deserialized (timestamps are
 * `Date`s). Everything is normalised to this plain shape at the I/O boundary (see `toPlainPod`), so the
 * pure modules only ever see RFC 3339 strings.
 */

/** RFC 3339 timestamp with second precision, e.g. `2025-01-02T03:04:05Z` (what the apiserver stores). */
export type Timestamp = string;

export interface PodCondition {
  type: string;
  /** 'True', 'False' or 'Unknown'. */
  status: string;
  reason?: string;
  message?: string;
  lastProbeTime?: Timestamp | null;
  lastTransitionTime?: Timestamp;
  /** The Pod generation the condition was set for (kubelet 1.34+). */
  observedGeneration?: number;
}

export interface ContainerStateRunning {
  startedAt?: Timestamp;
}
export interface ContainerStateWaiting {
  reason?: string;
  message?: string;
}
export interface ContainerStateTerminated {
  exitCode: number;
  reason?: string;
  message?: string;
  startedAt?: Timestamp;
  finishedAt?: Timestamp;
  containerID?: string;
}
export interface ContainerState {
  running?: ContainerStateRunning;
  waiting?: ContainerStateWaiting;
  terminated?: ContainerStateTerminated;
}

export interface ContainerStatus {
  name: string;
  image: string;
  imageID: string;
  containerID?: string;
  ready: boolean;
  started?: boolean;
  restartCount: number;
  state?: ContainerState;
  lastState?: ContainerState;
  /** The requests and limits the container runs with (InPlacePodVerticalScaling). */
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  /** The requests the kubelet admitted for the container. */
  allocatedResources?: Record<string, string>;
}

export interface PodStatus {
  /** The Pod generation the kubelet last acted on (kubelet 1.34+). */
  observedGeneration?: number;
  phase?: string;
  conditions?: PodCondition[];
  containerStatuses?: ContainerStatus[];
  hostIP?: string;
  hostIPs?: { ip: string }[];
  podIP?: string;
  podIPs?: { ip: string }[];
  startTime?: Timestamp;
  [other: string]: unknown;
}

export interface PodContainerSpec {
  name: string;
  image?: string;
  [other: string]: unknown;
}

export interface Pod {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    uid: string;
    resourceVersion?: string;
    deletionTimestamp?: Timestamp;
    deletionGracePeriodSeconds?: number;
    [other: string]: unknown;
  };
  spec: {
    nodeName?: string;
    containers: PodContainerSpec[];
    readinessGates?: { conditionType: string }[];
    [other: string]: unknown;
  };
  status?: PodStatus;
}

/** Format epoch milliseconds the way the apiserver stores `metav1.Time`: RFC 3339, whole seconds, UTC. */
export function rfc3339(ms: number): Timestamp {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Parse a timestamp (string or Date) to epoch ms; undefined when absent or unparsable. */
export function parseTime(v: unknown): number | undefined {
  if (v instanceof Date) return v.getTime();
  if (typeof v !== 'string' || v === '') return undefined;
  const ms = Date.parse(v);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * Deep-copy an object coming from client-node into plain JSON, turning `Date`s into second-precision
 * RFC 3339 strings (typed API results are deserialized with `Date`s; watch events are not).
 */
export function toPlain<T>(obj: unknown): T {
  const walk = (v: unknown): unknown => {
    if (v instanceof Date) return rfc3339(v.getTime());
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = walk(x);
      return out;
    }
    return v;
  };
  return walk(obj) as T;
}
