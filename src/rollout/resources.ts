/**
 * In-place resources: which changes of a container's `resources` a running Pod can take through the `pods/resize`
 * subresource, the Pod's QoS class, and whether the kubelet has applied a resize.
 *
 * Kubernetes (InPlacePodVerticalScaling, on by default since 1.33) resizes cpu and memory requests and limits of a
 * running container. The apiserver refuses a resize that changes the Pod's QoS class, removes a request or a limit,
 * or touches any other resource (ephemeral-storage, extended resources); those changes need a new Pod. Quantities are
 * compared by value (`0.1` is `100m`), and a container's missing request defaults to its limit, as the apiserver
 * defaults them at create.
 */

/** cpu and memory: the resources a running container can be resized in. */
export const RESIZABLE = ['cpu', 'memory'] as const;
export type ResizableResource = (typeof RESIZABLE)[number];

/** A container's requests and limits as the template or Pod spec writes them (quantity strings). */
export interface ResourceLists {
  requests?: Record<string, string>;
  limits?: Record<string, string>;
}

/** What a resize sends for one container: its full cpu/memory requests and limits after the change. */
export interface ContainerResize {
  requests: Partial<Record<ResizableResource, string>>;
  limits: Partial<Record<ResizableResource, string>>;
}

/** The Pod's QoS class (status.qosClass). */
export type QosClass = 'Guaranteed' | 'Burstable' | 'BestEffort';

const QUANTITY = /^([+-]?)([0-9]*)(?:\.([0-9]*))?(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?$/;
const DECIMAL_EXP: Readonly<Record<string, number>> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];

/**
 * The value of a resource quantity in nano-units (exact; precision below a nano-unit rounds up, as Kubernetes
 * does), or null when the text is not a quantity. Numbers are accepted as JSON writes them.
 */
export function quantityNanos(v: unknown): bigint | null {
  const text = typeof v === 'number' && Number.isFinite(v) ? String(v) : v;
  if (typeof text !== 'string') return null;
  const m = QUANTITY.exec(text.trim());
  if (!m) return null;
  const [, sign = '', whole = '', frac = '', suffix = ''] = m;
  if (!whole && !frac) return null;
  const digits = BigInt(`${whole}${frac}` || '0');
  const up = (num: bigint, den: bigint): bigint => num / den + (num % den !== 0n ? 1n : 0n);
  const scale = 10n ** BigInt(frac.length);
  const binary = BINARY.indexOf(suffix);
  let nanos: bigint;
  if (suffix && binary > 0) nanos = up(digits * 1024n ** BigInt(binary) * 10n ** 9n, scale);
  else {
    const e = (/^[eE]/.test(suffix) ? Number(suffix.slice(1)) : (DECIMAL_EXP[suffix] as number)) + 9 - frac.length;
    nanos = e >= 0 ? digits * 10n ** BigInt(e) : up(digits, 10n ** BigInt(-e));
  }
  return sign === '-' ? -nanos : nanos;
}

/** Two quantities of the same value (`0.1` and `100m`); absent equals absent. */
export function sameQuantity(a: unknown, b: unknown): boolean {
  if (a === undefined || a === null || b === undefined || b === null) return (a ?? null) === (b ?? null);
  const x = quantityNanos(a);
  const y = quantityNanos(b);
  return x !== null && y !== null ? x === y : a === b;
}

const asList = (v: unknown): Record<string, string> => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, string>) : {});

/** Requests with the apiserver's default applied: a resource with a limit and no request requests its limit. */
export function effectiveRequests(r: ResourceLists | undefined): Record<string, string> {
  const requests = { ...asList(r?.requests) };
  for (const [k, v] of Object.entries(asList(r?.limits))) if (!(k in requests)) requests[k] = v;
  return requests;
}

/**
 * The QoS class of a Pod with these containers (regular and init), as Kubernetes computes it from cpu and memory:
 * Guaranteed when every container limits both and requests what it limits, BestEffort when none requests or
 * limits either, Burstable otherwise.
 */
export function qosClass(containers: readonly object[]): QosClass {
  let any = false;
  let guaranteed = containers.length > 0;
  for (const c of containers) {
    const r = ((c as { resources?: unknown }).resources ?? {}) as ResourceLists;
    const requests = effectiveRequests(r);
    const limits = asList(r.limits);
    for (const res of RESIZABLE) {
      // Zero counts as unset, as Kubernetes' QoS computation does.
      const nonZero = (q: bigint | null) => (q !== null && q > 0n ? q : null);
      const req = nonZero(quantityNanos(requests[res]));
      const lim = nonZero(quantityNanos(limits[res]));
      if (req !== null || lim !== null) any = true;
      if (lim === null || req === null || req !== lim) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

/** Result of {@link diffContainerResources}. */
export interface ResourcesDiff {
  /** The resize to send, or null when cpu and memory are unchanged. */
  resize: ContainerResize | null;
  /** Human-readable changes, e.g. `cpu 100m→200m`, `memory limit 128Mi→256Mi`. */
  changes: string[];
  /** Changes a resize can not make, each naming the field: the container needs a new Pod. */
  reasons: string[];
}

function pick(list: Record<string, string>): Partial<Record<ResizableResource, string>> {
  const out: Partial<Record<ResizableResource, string>> = {};
  for (const r of RESIZABLE) if (list[r] !== undefined) out[r] = String(list[r]);
  return out;
}

/**
 * Compares one container's resources between two templates. cpu and memory requests and limits may change in
 * place; a request or limit may not be removed (the apiserver forbids it); claims and every other resource must stay.
 */
export function diffContainerResources(name: string, oldRaw: unknown, newRaw: unknown): ResourcesDiff {
  const o = (oldRaw ?? {}) as ResourceLists & Record<string, unknown>;
  const n = (newRaw ?? {}) as ResourceLists & Record<string, unknown>;
  const field = `spec.containers[${name}].resources`;
  const reasons: string[] = [];
  const changed: [string, number, string][] = [];
  for (const k of new Set([...Object.keys(o), ...Object.keys(n)])) {
    if (k === 'requests' || k === 'limits') continue;
    if (JSON.stringify(o[k] ?? null) !== JSON.stringify(n[k] ?? null)) reasons.push(`${field}.${k} changed`);
  }
  const lists = {
    requests: [effectiveRequests(o), effectiveRequests(n)] as const,
    limits: [asList(o.limits), asList(n.limits)] as const,
  };
  const raw = { requests: [asList(o.requests), asList(n.requests)] as const, limits: lists.limits };
  for (const kind of ['requests', 'limits'] as const) {
    // cpu and memory with requests defaulted from limits; any other resource as written.
    const names = new Set([...Object.keys(raw[kind][0]), ...Object.keys(raw[kind][1]), ...RESIZABLE]);
    for (const res of [...names].sort()) {
      const resizable = (RESIZABLE as readonly string[]).includes(res);
      const [before, after] = resizable ? lists[kind] : raw[kind];
      if (sameQuantity(before[res], after[res])) continue;
      if (!resizable) reasons.push(`${field}.${kind}.${res} changed: only cpu and memory can be resized in place`);
      else if (after[res] === undefined)
        reasons.push(`${field}.${kind}.${res} removed: a resize can not remove a ${kind === 'requests' ? 'request' : 'limit'}`);
      else changed.push([res, kind === 'requests' ? 0 : 1, `${kind === 'requests' ? res : `${res} limit`} ${before[res] ?? 'none'}→${after[res]}`]);
    }
  }
  // By resource, the request before the limit: `cpu 100m→200m`, `cpu limit 200m→400m`, `memory …`.
  const changes = changed.sort((a, b) => (a[0] === b[0] ? a[1] - b[1] : a[0] < b[0] ? -1 : 1)).map((c) => c[2]);
  const resize = changes.length > 0 && reasons.length === 0 ? { requests: pick(lists.requests[1]), limits: pick(lists.limits[1]) } : null;
  return { resize, changes, reasons };
}

/** Whether a Pod spec container already asks for a resize's values (cpu and memory requests and limits). */
export function specHasResize(spec: ResourceLists | undefined, want: ContainerResize): boolean {
  const requests = effectiveRequests(spec);
  const limits = asList(spec?.limits);
  return RESIZABLE.every((r) => sameQuantity(requests[r], want.requests[r]) && sameQuantity(limits[r], want.limits[r]));
}

/** The container-status part of a Pod the resize check reads (plain JSON or client-node objects). */
export interface ResizePodJson {
  metadata?: { generation?: number };
  spec?: { containers?: { name: string; resources?: unknown }[] };
  status?: {
    observedGeneration?: number;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
    containerStatuses?: { name: string; resources?: unknown; allocatedResources?: Record<string, string> }[];
  };
}

export const ResizeConditions = {
  /** The kubelet has not admitted a resize yet (reason Infeasible or Deferred). */
  pending: 'PodResizePending',
  /** The kubelet admitted a resize and is applying it. */
  inProgress: 'PodResizeInProgress',
} as const;

/** Where a Pod's resize stands, from its conditions: null when the kubelet reports none in flight. */
export function resizeState(pod: {
  status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[] };
}): { reason: 'Infeasible' | 'Deferred' | 'InProgress' | 'Error'; message: string } | null {
  const conds = pod.status?.conditions ?? [];
  const pending = conds.find((c) => c.type === ResizeConditions.pending && c.status === 'True');
  if (pending) return { reason: pending.reason === 'Infeasible' ? 'Infeasible' : 'Deferred', message: pending.message ?? '' };
  const progress = conds.find((c) => c.type === ResizeConditions.inProgress && c.status === 'True');
  if (progress) return { reason: progress.reason === 'Error' ? 'Error' : 'InProgress', message: progress.message ?? '' };
  return null;
}

/** Result of {@link checkResizeCompletion}. */
export interface ResizeCompletion {
  done: boolean;
  /** Containers whose reported resources do not match their spec yet. */
  pending: string[];
  /** The kubelet will not apply it on its own, e.g. `resize Infeasible: Node didn't have enough capacity: cpu…`. */
  stuck: string[];
  /** What the resize waits for (Deferred, in progress), for the progress record. */
  waiting: string[];
}

/**
 * Has the kubelet applied the resize of these containers? Done when each one's status `resources` match its spec
 * (cpu and memory requests and limits, by value), with allocatedResources matching the requests where reported and
 * no resize in flight. A kubelet that reports no container resources proves it by `status.observedGeneration`
 * reaching the Pod's generation with no resize condition.
 */
export function checkResizeCompletion(pod: ResizePodJson, containers: readonly string[]): ResizeCompletion {
  const state = resizeState(pod);
  const pending: string[] = [];
  const observed = pod.status?.observedGeneration;
  const generationSeen = observed !== undefined && pod.metadata?.generation !== undefined && observed >= pod.metadata.generation;
  for (const name of [...containers].sort()) {
    const spec = pod.spec?.containers?.find((c) => c.name === name);
    const st = pod.status?.containerStatuses?.find((c) => c.name === name);
    if (!spec || !st) {
      pending.push(name);
      continue;
    }
    const want: ContainerResize = {
      requests: pick(effectiveRequests(spec.resources as ResourceLists)),
      limits: pick(asList((spec.resources as ResourceLists | undefined)?.limits)),
    };
    const applied = st.resources === undefined || st.resources === null ? generationSeen && state === null : specHasResize(st.resources as ResourceLists, want);
    const allocated = st.allocatedResources === undefined || RESIZABLE.every((r) => sameQuantity(st.allocatedResources?.[r], want.requests[r]));
    if (!applied || !allocated) pending.push(name);
  }
  const stuck = state && (state.reason === 'Infeasible' || state.reason === 'Error') ? [`resize ${state.reason}: ${state.message}`] : [];
  const waiting = state && pending.length > 0 && stuck.length === 0 ? [`resize ${state.reason}${state.message ? `: ${state.message}` : ''}`] : [];
  return { done: pending.length === 0, pending, stuck, waiting };
}
