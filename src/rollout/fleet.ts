/**
 * Fleet rollouts, the pure half: the input (`rolloutFleet`), its validation (unknown fields, empty waves, a cluster
 * listed twice), and the decisions the fleet workflow takes each time something changes — which clusters start now
 * (waves in order, `maxParallel` at once, nothing new once halted, paused or aborted), whether a wave is done, and
 * which clusters a rollback returns, in reverse wave order.
 */
import { z } from 'zod';
import { fieldError, type FieldError, type Validated } from './fielderror.js';
import { ImageRef, zodFieldErrors } from './input.js';
import { isDns1123Label, isDns1123Subdomain } from './selector.js';
import { CLUSTER_NAME_PROBLEM } from './cluster.js';
import type { CloneSet } from './types.js';
import { validateCloneSet } from './validate.js';

const ClusterName = z.string().refine(isDns1123Label, { message: CLUSTER_NAME_PROBLEM });
const Seconds = z
  .number()
  .refine((n) => Number.isSafeInteger(n) && n >= 0 && n <= 7 * 24 * 3600, { message: 'must be an integer number of seconds, 0 to 604800' });

/** One wave: its clusters, the bake after it, whether it needs an approval before it starts. */
const WaveObject = z.strictObject({
  clusters: z.array(ClusterName),
  /** Seconds to wait after every cluster of this wave completed, before the next wave (default: the fleet's `bake`). */
  bake: Seconds.optional(),
  /** This wave starts only after the `approve` Update (default: the fleet's `approval`; never for the first wave). */
  approval: z.boolean().optional(),
});

export const FleetInput = z.strictObject({
  namespace: z.string().refine(isDns1123Label, { message: 'must be a DNS-1123 label (lowercase alphanumerics and "-", at most 63 characters)' }),
  name: z.string().refine(isDns1123Subdomain, { message: 'must be a DNS-1123 subdomain (lowercase alphanumerics, "-" and ".", at most 253 characters)' }),
  /**
   * A whole CloneSet to apply in each cluster when its turn comes (created where it does not exist), instead of
   * `images`; its metadata names the fleet's namespace and name (or leaves them out).
   */
  manifest: z.record(z.string(), z.unknown()).optional(),
  /** New images by container name, set in each cluster's CloneSet template when its turn comes. */
  images: z.record(z.string().refine(isDns1123Label, { message: 'container name must be a DNS-1123 label' }), ImageRef).optional(),
  /** Clusters by name (as the worker knows them), wave by wave: `[["canary"], ["eu-1", "eu-2"]]` or `{clusters, bake, approval}`. */
  waves: z.array(z.union([z.array(ClusterName), WaveObject])),
  /** Seconds each wave bakes (after its last cluster completed, before the next wave); default 0. */
  bake: Seconds.optional(),
  /** Every wave after the first waits for the `approve` Update (after its predecessor's bake). Default false. */
  approval: z.boolean().optional(),
  /** Clusters rolling at once within a wave; default all of the wave's. */
  maxParallel: z
    .number()
    .refine((n) => Number.isSafeInteger(n) && n >= 1, { message: 'must be an integer ≥ 1' })
    .optional(),
  /**
   * A cluster whose rollout fails or is rolled back halts the fleet; with this, its own rollout rolls back at its
   * progress deadline, and every cluster already rolled returns to its starting images in place, in reverse wave order.
   */
  rollbackOnFailure: z.boolean().optional(),
});
export type FleetInput = z.infer<typeof FleetInput>;

/** One wave, every default filled in. */
export interface FleetWave {
  clusters: string[];
  bake: number;
  approval: boolean;
}

/** A valid fleet request, normalized. */
export interface FleetSpec {
  namespace: string;
  name: string;
  images?: Record<string, string>;
  /** The CloneSet to apply in each cluster (metadata namespace and name filled in). */
  manifest?: CloneSet;
  waves: FleetWave[];
  maxParallel: number;
  rollbackOnFailure: boolean;
}

/** Validates a fleet request, naming every problem (the wave and the cluster). */
export function parseFleetInput(input: unknown): Validated<FleetSpec> {
  const r = FleetInput.safeParse(input);
  if (!r.success) return { ok: false, errors: zodFieldErrors(r.error) };
  const v = r.data;
  const errors: FieldError[] = [];
  if (v.waves.length === 0) errors.push(fieldError('waves', 'must name at least one wave of clusters'));
  let manifest: CloneSet | undefined;
  if (v.manifest !== undefined) {
    if (v.images !== undefined) errors.push(fieldError('manifest', 'cannot be combined with images (the manifest brings its own template)'));
    const meta = (v.manifest.metadata ?? {}) as { namespace?: unknown; name?: unknown };
    if (meta.namespace !== undefined && meta.namespace !== v.namespace)
      errors.push(fieldError('manifest.metadata.namespace', `must be ${v.namespace} (the fleet's namespace) or left out`));
    if (meta.name !== undefined && meta.name !== v.name)
      errors.push(fieldError('manifest.metadata.name', `must be ${v.name} (the fleet's CloneSet) or left out`));
    manifest = { ...v.manifest, metadata: { ...(v.manifest.metadata as object), namespace: v.namespace, name: v.name } } as unknown as CloneSet;
    const checked = validateCloneSet(manifest);
    if (!checked.ok) errors.push(...checked.errors.map((e) => ({ field: `manifest.${e.field}`, message: `manifest.${e.message}` })));
  }
  const seen = new Map<string, number>();
  const waves: FleetWave[] = v.waves.map((w, i) => {
    const o = Array.isArray(w) ? { clusters: w } : w;
    if (o.clusters.length === 0) errors.push(fieldError(`waves[${i}]`, 'is empty: a wave names at least one cluster'));
    for (const c of o.clusters) {
      const first = seen.get(c);
      if (first !== undefined) {
        errors.push(fieldError(`waves[${i}]`, `cluster ${c} is listed twice${first === i ? ' in this wave' : ` (also in waves[${first}])`}`));
      } else seen.set(c, i);
    }
    return { clusters: o.clusters, bake: o.bake ?? v.bake ?? 0, approval: i > 0 && (o.approval ?? v.approval ?? false) };
  });
  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    value: {
      namespace: v.namespace,
      name: v.name,
      ...(v.images ? { images: v.images } : {}),
      ...(manifest ? { manifest } : {}),
      waves,
      maxParallel: v.maxParallel ?? Math.max(...waves.map((w) => w.clusters.length)),
      rollbackOnFailure: v.rollbackOnFailure ?? false,
    },
  };
}

/** Every cluster of the fleet, in wave order. */
export function fleetClusters(spec: Pick<FleetSpec, 'waves'>): string[] {
  return spec.waves.flatMap((w) => w.clusters);
}

/** Where one cluster's rollout stands, as the fleet sees it. */
export type FleetClusterState = 'Pending' | 'Running' | 'Completed' | 'Failed' | 'RolledBack' | 'Aborted';

/** Which clusters of `wave` start now: in order, up to `maxParallel` running at once; none once the fleet holds. */
export function clustersToStart(wave: readonly string[], states: Readonly<Record<string, FleetClusterState>>, maxParallel: number, holding: boolean): string[] {
  if (holding) return [];
  const running = wave.filter((c) => states[c] === 'Running').length;
  const free = Math.max(0, maxParallel - running);
  return wave.filter((c) => (states[c] ?? 'Pending') === 'Pending').slice(0, free);
}

/** How a wave stands: every cluster Completed, still going, or settled with a cluster that did not complete. */
export function waveOutcome(wave: readonly string[], states: Readonly<Record<string, FleetClusterState>>): 'completed' | 'running' | 'settled' {
  if (wave.every((c) => states[c] === 'Completed')) return 'completed';
  if (wave.some((c) => states[c] === 'Running')) return 'running';
  return wave.some((c) => states[c] !== 'Pending' && states[c] !== 'Completed') ? 'settled' : 'running';
}

/** The first cluster whose rollout did not complete (failed, rolled back, aborted): what halts the fleet. */
export function haltingCluster(order: readonly string[], states: Readonly<Record<string, FleetClusterState>>): string | null {
  return order.find((c) => states[c] === 'Failed' || states[c] === 'RolledBack' || states[c] === 'Aborted') ?? null;
}

/**
 * The clusters a fleet rollback returns to their starting images, wave by wave in reverse order (within a wave, the
 * reverse of its list): those whose rollout completed or failed (its template may carry the new images). A cluster
 * that rolled itself back, was aborted, or never started is left alone.
 */
export function rollbackWaves(waves: readonly Pick<FleetWave, 'clusters'>[], states: Readonly<Record<string, FleetClusterState>>): string[][] {
  return waves
    .map((w) => [...w.clusters].reverse().filter((c) => states[c] === 'Completed' || states[c] === 'Failed'))
    .reverse()
    .filter((w) => w.length > 0);
}
