/**
 * Shared fixtures for the rollout core tests: the seed CloneSets (inlined from shared/seed so the tests do not
 * depend on files outside the repo) and a compact PodView builder.
 */
import type { CloneSet, ContainerView, PlanSpec, PodView } from '../../../src/rollout/index.js';

/** shared/seed/nginx01.yaml: 5 replicas of nginx:perl, defaults everywhere else. */
export function seed01(): CloneSet {
  return {
    apiVersion: 'apps.kruise.io/v1alpha1',
    kind: 'CloneSet',
    metadata: { name: 'nginxweb1', namespace: 'default' },
    spec: {
      replicas: 5,
      selector: { matchLabels: { app: 'nginxweb1' } },
      template: {
        metadata: { labels: { app: 'nginxweb1' } },
        spec: {
          containers: [{ name: 'nginx', image: 'nginx:perl', imagePullPolicy: 'IfNotPresent', ports: [{ containerPort: 80 }] }],
        },
      },
    },
  };
}

/** shared/seed/nginx02.yaml: InPlaceIfPossible, replicas 4, minReadySeconds 30, scale maxUnavailable 1, nginx:latest. */
export function seed02(): CloneSet {
  return {
    apiVersion: 'apps.kruise.io/v1alpha1',
    kind: 'CloneSet',
    metadata: { name: 'nginxweb1', namespace: 'default' },
    spec: {
      minReadySeconds: 30,
      updateStrategy: { type: 'InPlaceIfPossible' },
      scaleStrategy: { maxUnavailable: 1 },
      replicas: 4,
      selector: { matchLabels: { app: 'nginxweb1' } },
      template: {
        metadata: { labels: { app: 'nginxweb1' } },
        spec: {
          containers: [{ name: 'nginx', image: 'nginx:latest', imagePullPolicy: 'IfNotPresent', ports: [{ containerPort: 80 }] }],
        },
      },
    },
  };
}

/** A fixed "now" for tests: 2024-05-01T12:00:00Z. */
export const NOW = Date.UTC(2024, 4, 1, 12, 0, 0);
export const SEC = 1000;

export interface PodOpts {
  revision?: string | null;
  /** Seconds the pod has been Ready before NOW; null = not ready. Default 3600 (long ready). */
  readyFor?: number | null;
  phase?: string;
  deleting?: boolean;
  nodeName?: string | null;
  /** Seconds since creation before NOW. Default 7200. */
  age?: number;
  restarts?: number;
  gateReady?: boolean | null;
  hasGate?: boolean;
  lifecycleState?: string | null;
  image?: string;
  labels?: Record<string, string>;
  gracePending?: boolean;
  containers?: ContainerView[];
}

/** Builds a PodView: by default a long-ready Running pod with the gate True, on revision 'old'. */
export function pod(name: string, o: PodOpts = {}): PodView {
  const readyFor = o.readyFor === undefined ? 3600 : o.readyFor;
  const ready = readyFor !== null;
  const image = o.image ?? 'nginx:perl';
  const restarts = o.restarts ?? 0;
  const containers = o.containers ?? [
    {
      name: 'nginx',
      specImage: image,
      statusImage: image,
      imageID: `docker.io/library/${image}@sha256:aaaa`,
      ready,
      restartCount: restarts,
      started: true,
      waitingReason: null,
    },
  ];
  return {
    name,
    uid: `uid-${name}`,
    revision: o.revision === undefined ? 'old' : o.revision,
    instanceId: name.split('-').pop() ?? null,
    creationTimestamp: NOW - (o.age ?? 7200) * SEC,
    phase: o.phase ?? 'Running',
    deleting: o.deleting ?? false,
    nodeName: o.nodeName === undefined ? 'node-1' : o.nodeName,
    ready,
    readySinceMs: ready ? NOW - (readyFor as number) * SEC : null,
    gateReady: o.gateReady === undefined ? true : o.gateReady,
    hasGate: o.hasGate ?? true,
    containers,
    restartCount: containers.reduce((n, c) => n + c.restartCount, 0),
    lifecycleState: o.lifecycleState === undefined ? 'Normal' : o.lifecycleState,
    inPlaceState: null,
    inPlaceGracePending: o.gracePending ?? false,
    labels: { app: 'nginxweb1', ...(o.labels ?? {}) },
  };
}

/** `count` default pods named `${prefix}-0..n-1`, with increasing age so the order is deterministic. */
export function pods(prefix: string, count: number, o: PodOpts = {}): PodView[] {
  return Array.from({ length: count }, (_, i) => pod(`${prefix}-${i}`, { age: 7200 + i, ...o }));
}

/** A resolved planner spec: 5 replicas, window 1, InPlaceIfPossible, no surge, partition, delay or pause; overrides. */
export function planSpec(o: Partial<PlanSpec> = {}): PlanSpec {
  return {
    replicas: 5,
    partition: 0,
    maxUnavailable: 1,
    maxSurge: 0,
    scaleMaxUnavailable: null,
    podsToDelete: [],
    type: 'InPlaceIfPossible',
    minReadySeconds: 0,
    paused: false,
    ...o,
  };
}
