/**
 * Pure decisions of the simulated kubelet's in-place Pod resize (InPlacePodVerticalScaling, v1.33+ semantics): does a
 * resized Pod fit its node (Infeasible: not even on an empty node; Deferred: not next to what the node's other Pods
 * were allocated), and must a container be restarted to take its new resources (its resizePolicy). Quantities are
 * compared as the kubelet does: cpu in millicores, memory in bytes.
 */
import { quantityNanos } from '../apiserver/quantity.js';

/** A container's `resources` (requests and limits), quantities as the apiserver stores them. */
export interface Resources {
  requests?: Record<string, string>;
  limits?: Record<string, string>;
}

/** cpu in millicores, memory in bytes. */
export interface ResourceTotals {
  cpu: bigint;
  memory: bigint;
}

/** The resources a resize may change, in the order the kubelet reports them. */
export const RESIZABLE = ['cpu', 'memory'] as const;
export type ResizableResource = (typeof RESIZABLE)[number];

/** cpu → millicores (rounded up, as Quantity.MilliValue), memory → bytes (rounded up, as Quantity.Value). */
export function quantityValue(resource: ResizableResource, q: string | undefined): bigint {
  const nanos = q === undefined ? 0n : (quantityNanos(q) ?? 0n);
  const unit = resource === 'cpu' ? 1_000_000n : 1_000_000_000n;
  return nanos / unit + (nanos % unit > 0n ? 1n : 0n);
}

/** A node's allocatable cpu and memory from the option's quantity strings. */
export function parseAllocatable(a: { cpu?: string; memory?: string } = {}): ResourceTotals {
  const cpu = a.cpu ?? DEFAULT_NODE_ALLOCATABLE.cpu;
  const memory = a.memory ?? DEFAULT_NODE_ALLOCATABLE.memory;
  for (const [k, v] of [
    ['cpu', cpu],
    ['memory', memory],
  ] as const) {
    if (quantityNanos(v) === undefined || quantityNanos(v)! < 0n) throw new Error(`nodeAllocatable.${k} is not a quantity: ${JSON.stringify(v)}`);
  }
  return { cpu: quantityValue('cpu', cpu), memory: quantityValue('memory', memory) };
}

/** Default `nodeAllocatable`: large enough that nothing the project runs is ever short of room. */
export const DEFAULT_NODE_ALLOCATABLE = { cpu: '64', memory: '256Gi' } as const;

/** The Pod's requests (sum over its containers; resource.GetResourceRequest without init containers and overhead). */
export function podRequests(containers: readonly (Resources | undefined)[]): ResourceTotals {
  const total: ResourceTotals = { cpu: 0n, memory: 0n };
  for (const r of containers) for (const k of RESIZABLE) total[k] += quantityValue(k, r?.requests?.[k]);
  return total;
}

export function addTotals(a: ResourceTotals, b: ResourceTotals): ResourceTotals {
  return { cpu: a.cpu + b.cpu, memory: a.memory + b.memory };
}

/** The outcome of a resize's admission on its node. */
export type ResizeFit = { fits: true } | { fits: false; reason: 'Infeasible' | 'Deferred'; message: string };

/**
 * canResizePod: Infeasible when the Pod's new requests exceed the node's allocatable on their own (memory named first,
 * as the kubelet does); Deferred when they exceed what the node's other Pods leave (the admission predicate's
 * "Node didn't have enough resource", cpu named first); otherwise it fits.
 */
export function resizeFit(requested: ResourceTotals, allocatable: ResourceTotals, usedByOthers: ResourceTotals): ResizeFit {
  if (requested.cpu > allocatable.cpu || requested.memory > allocatable.memory) {
    const what =
      requested.memory > allocatable.memory
        ? `memory, requested: ${requested.memory}, capacity: ${allocatable.memory}`
        : `cpu, requested: ${requested.cpu}, capacity: ${allocatable.cpu}`;
    return { fits: false, reason: 'Infeasible', message: `Node didn't have enough capacity: ${what}` };
  }
  for (const k of RESIZABLE) {
    if (requested[k] + usedByOthers[k] > allocatable[k]) {
      return {
        fits: false,
        reason: 'Deferred',
        message: `Node didn't have enough resource: ${k}, requested: ${requested[k]}, used: ${usedByOthers[k]}, capacity: ${allocatable[k]}`,
      };
    }
  }
  return { fits: true };
}

/** The resources of `r` a resize acts on (cpu and memory requests and limits), values compared as quantities. */
export function changedResources(from: Resources | undefined, to: Resources | undefined): ResizableResource[] {
  return RESIZABLE.filter((k) =>
    (['requests', 'limits'] as const).some((side) => {
      const a = from?.[side]?.[k];
      const b = to?.[side]?.[k];
      if (a === undefined || b === undefined) return a !== b;
      return quantityNanos(a) !== quantityNanos(b);
    }),
  );
}

/** Whether two resource sets are the same for a resize (cpu and memory). */
export function sameResizable(a: Resources | undefined, b: Resources | undefined): boolean {
  return changedResources(a, b).length === 0;
}

/** A container's resizePolicy entries. */
export type ResizePolicy = readonly { resourceName?: string; restartPolicy?: string }[] | undefined;

/**
 * Whether taking `to` instead of `from` restarts the container: some changed resource's resizePolicy says
 * RestartContainer (NotRequired, the default, never restarts).
 */
export function resizeNeedsRestart(policy: ResizePolicy, from: Resources | undefined, to: Resources | undefined): boolean {
  const restart = new Set((policy ?? []).filter((p) => p.restartPolicy === 'RestartContainer').map((p) => p.resourceName));
  return changedResources(from, to).some((k) => restart.has(k));
}

/** A copy of a container's `resources` as the kubelet records it (requests and limits only, empty lists dropped). */
export function copyResources(r: unknown): Resources {
  const src = (r ?? {}) as Resources;
  const out: Resources = {};
  if (src.requests && Object.keys(src.requests).length) out.requests = { ...src.requests };
  if (src.limits && Object.keys(src.limits).length) out.limits = { ...src.limits };
  return out;
}
