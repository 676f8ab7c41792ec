/**
 * Simulated kubelet + scheduler: plays the nodes of a cluster against any Kubernetes API server (our
 * simulated one or a real kube-apiserver with no nodes), talking to it only through @kubernetes/client-node.
 *
 * - binds unscheduled pods (pods/binding) to fake nodes node-1..node-N, least-loaded first;
 * - runs their containers on a simulated runtime: start after `startDelayMs`, ready `readyDelayMs` later;
 *   in-place restart of exactly the containers whose spec image changed; unpullable / never-ready images;
 * - publishes pod status like the real kubelet (phase, IPs, containerStatuses, PodScheduled / Initialized /
 *   ContainersReady / Ready honouring readinessGates) with strategic-merge patches on pods/status; a readiness
 *   gate written by someone else reaches Ready only on the next status sync (`statusSyncDelayMs` later);
 * - finishes graceful deletions (delete with gracePeriodSeconds 0 and a uid precondition);
 * - resizes running Pods in place (pods/resize): a resize that does not fit the node's `nodeAllocatable` at all is
 *   `PodResizePending` Infeasible, one that does not fit next to the node's other Pods is `PodResizePending` Deferred
 *   (admitted when room frees up), otherwise `PodResizeInProgress` until, `resizeDelayMs` later, the containers run
 *   with the new resources (`containerStatuses[].resources`, `allocatedResources`) — restarted once where a changed
 *   resource's `resizePolicy` says RestartContainer; `status.observedGeneration` follows the Pod's generation.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { pino, type Logger } from 'pino';
import { DEFAULT_NEVER_READY_IMAGES, DEFAULT_UNPULLABLE_IMAGES, randomContainerId } from './images.js';
import { KubeletLoop, type SimKubeletStats } from './kubelet.js';
import { containerSamples, metricsModel, renderMetrics, startMetricsServer, type MetricsServer, type SimKubeletMetricsOptions } from './metrics.js';
import { DEFAULT_NODE_ALLOCATABLE, parseAllocatable } from './resize.js';
import { DEFAULT_RESIZE_DELAY_MS } from './runtime.js';
import { makeNodes } from './scheduler.js';

export interface SimKubeletOptions {
  /** Number of fake nodes `node-1`..`node-N` (host IPs 172.18.0.2..). Pods go to the least-loaded node. Default 3. */
  nodes?: number;
  /** New pod accepted on a node → its containers running (image pull + start), ms. Default 300. */
  startDelayMs?: number;
  /** Container killed for a changed spec image → new instance running (pull + restart), ms. Default 500. */
  restartDelayMs?: number;
  /** Container started → ready (first successful readiness probe), ms. Default 100. */
  readyDelayMs?: number;
  /** `ErrImagePull` → `ImagePullBackOff`, ms. Default 500. */
  pullBackOffMs?: number;
  /** Cap on graceful termination: containers exit after min(deletionGracePeriodSeconds, this), ms. Default 200. */
  deleteDelayMs?: number;
  /**
   * Images that never pull (container waits in ErrImagePull, then ImagePullBackOff). Default
   * `DEFAULT_UNPULLABLE_IMAGES`: a repository path segment `unpullable` / `does-not-exist`
   * (`unpullable:1`, `registry.local/does-not-exist/app:2`) or a tag starting with one of those
   * (`nginx:unpullable`, `nginx:does-not-exist-1.27`).
   */
  unpullableImages?: RegExp;
  /** Images that start but never become ready. Default `/never-ready/`. */
  neverReadyImages?: RegExp;
  /**
   * A readiness-gate condition written by someone else (InPlaceUpdateReady) reaches the Ready condition only this
   * long after the kubelet first sees it: a real kubelet recomputes Ready on its next status sync, seconds later, so
   * a Pod whose gate went False stays Ready (and in its Services' endpoints) meanwhile unless the writer set
   * Ready=False itself, as Kruise does. Container readiness still counts at once. 0: at once. Default
   * `DEFAULT_STATUS_SYNC_DELAY_MS` (1000).
   */
  statusSyncDelayMs?: number;
  /**
   * Allocatable cpu and memory of every node (quantities), against which resizes are admitted: the Pod's new requests
   * above it → Infeasible; above what the node's other Pods leave → Deferred. Default `DEFAULT_NODE_ALLOCATABLE`
   * (cpu "64", memory "256Gi").
   */
  nodeAllocatable?: { cpu?: string; memory?: string };
  /**
   * Register node-1..node-N as Node objects with `nodeAllocatable` as their capacity and allocatable, as a real
   * kubelet does. Needed for pods/resize of bound Pods on a real kube-apiserver, whose admission looks the Pod's Node up
   * (403 `node "node-1" not found` without it) and refuses a resize beyond its allocatable (403, cause NodeCapacity).
   * The simulated apiserver serves no Nodes: there it does nothing. Default false.
   */
  registerNodes?: boolean;
  /** A resize admitted → its containers run with the new resources (PodResizeInProgress meanwhile), ms. Default 200. */
  resizeDelayMs?: number;
  /** Maximum concurrent writes (bind / status patch / delete) to the apiserver. Default 32. */
  maxConcurrentWrites?: number;
  /**
   * Serve per-Pod request metrics (`http_requests_total` by container, image, revision and code) at `metricsUrl`, on
   * 127.0.0.1, as Prometheus text. Default: no endpoint. See metrics.ts.
   */
  metrics?: SimKubeletMetricsOptions;
  /** Default: a pino logger at level `warn`. */
  logger?: Logger;
}

/**
 * Default of `statusSyncDelayMs`: the low end of a real kubelet's lag (its status sync after a pod update); long
 * enough that a Ready left to the kubelet is seen lagging, short enough for the demo.
 */
export const DEFAULT_STATUS_SYNC_DELAY_MS = 1000;

export interface SimKubelet {
  /** Stop watching, cancel timers and wait for in-flight writes. Pods are left as they are. */
  stop(): Promise<void>;
  /** Counters since start. */
  stats(): SimKubeletStats;
  /** Live pods per node name (pods bound to names we did not invent are counted under those names). */
  nodeLoad(): Record<string, number>;
  /** In-place resizes actuated since start, per Pod (`namespace/name` → count); `stats().resizes` is their sum. */
  resizesByPod(): Record<string, number>;
  /** `http://127.0.0.1:PORT/metrics` when started with `metrics`; closed by `stop()`. */
  metricsUrl?: string;
}

/**
 * Start the kubelet; resolves once the initial pod list has been received (it keeps retrying the list
 * until the apiserver answers).
 */
export async function startSimKubelet(kc: KubeConfig, opts: SimKubeletOptions = {}): Promise<SimKubelet> {
  const log = (opts.logger ?? pino({ level: 'warn' })).child({ component: 'sim-kubelet' });
  const loop = new KubeletLoop(
    kc,
    {
      nodes: makeNodes(opts.nodes ?? 3),
      allocatable: parseAllocatable(opts.nodeAllocatable),
      ...(opts.registerNodes ? { registerNodes: { ...DEFAULT_NODE_ALLOCATABLE, ...opts.nodeAllocatable } } : {}),
      resizeDelayMs: opts.resizeDelayMs ?? DEFAULT_RESIZE_DELAY_MS,
      startDelayMs: opts.startDelayMs ?? 300,
      restartDelayMs: opts.restartDelayMs ?? 500,
      readyDelayMs: opts.readyDelayMs ?? 100,
      pullBackOffMs: opts.pullBackOffMs ?? 500,
      deleteDelayMs: opts.deleteDelayMs ?? 200,
      unpullableImages: opts.unpullableImages ?? DEFAULT_UNPULLABLE_IMAGES,
      neverReadyImages: opts.neverReadyImages ?? DEFAULT_NEVER_READY_IMAGES,
      newContainerId: randomContainerId,
      maxConcurrentWrites: opts.maxConcurrentWrites ?? 32,
      statusSyncDelayMs: opts.statusSyncDelayMs ?? DEFAULT_STATUS_SYNC_DELAY_MS,
      retryMinMs: 50,
      retryMaxMs: 2000,
    },
    log,
  );
  const model = opts.metrics ? metricsModel(opts.metrics) : undefined;
  await loop.start();
  let metrics: MetricsServer | undefined;
  try {
    if (model) metrics = await startMetricsServer(() => renderMetrics(containerSamples(loop.podRuntimes(), Date.now(), model)), opts.metrics?.port ?? 0, log);
  } catch (err) {
    await loop.stop();
    throw err;
  }
  log.info({ nodes: opts.nodes ?? 3, metricsUrl: metrics?.url }, 'sim kubelet started');
  return {
    stop: async () => {
      await metrics?.close();
      await loop.stop();
    },
    ...(metrics ? { metricsUrl: metrics.url } : {}),
    stats: () => ({ ...loop.counters }),
    nodeLoad: () => loop.nodeLoad(),
    resizesByPod: () => Object.fromEntries(loop.resizesByPod),
  };
}

export type { SimKubeletStats } from './kubelet.js';
export {
  DEFAULT_REQUESTS_PER_SECOND,
  containerSamples,
  metricsModel,
  renderMetrics,
  type ContainerSample,
  type MetricsModel,
  type SimKubeletMetricsOptions,
} from './metrics.js';
export { DEFAULT_NODE_ALLOCATABLE, DEFAULT_RESIZE_DELAY_MS };
export { DEFAULT_NEVER_READY_IMAGES, DEFAULT_UNPULLABLE_IMAGES, imageIdFor, imageRepository } from './images.js';
export { withConnectionReuse } from '../../kube/http.js';
