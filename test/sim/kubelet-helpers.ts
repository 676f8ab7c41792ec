/** Shared helpers of the kubelet integration tests (not a test file itself). */
import { CoreV1Api, PatchStrategy, setHeaderOptions, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { findRealApiServerBinary, startRealApiServer } from '../../src/realkube/index.js';
import { startSimApiServer } from '../../src/sim/apiserver/index.js';
import { toPlain, type ContainerStatus, type Pod, type PodCondition } from '../../src/sim/kubelet/types.js';

/** Timings short enough for tests, long enough to observe each intermediate state by polling. */
/** Quick timings; Ready follows readiness gates at once here (statusSyncDelayMs has tests of its own). */
export const FAST = { startDelayMs: 60, restartDelayMs: 100, readyDelayMs: 40, pullBackOffMs: 300, deleteDelayMs: 60, statusSyncDelayMs: 0 };

export const GATE = 'InPlaceUpdateReady';

let seq = 0;
export function podName(prefix = 'p'): string {
  return `${prefix}-${process.pid}-${++seq}`;
}

export function podManifest(name: string, containers: Record<string, string>, opts: { gates?: string[]; nodeName?: string } = {}): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels: { app: 'kubelet-test' } },
    spec: {
      containers: Object.entries(containers).map(([n, image]) => ({ name: n, image })),
      readinessGates: (opts.gates ?? [GATE]).map((conditionType) => ({ conditionType })),
      nodeName: opts.nodeName,
    },
  };
}

export class PodClient {
  readonly core: CoreV1Api;
  constructor(
    kc: KubeConfig,
    readonly namespace = 'default',
  ) {
    this.core = kc.makeApiClient(CoreV1Api);
  }
  async create(pod: V1Pod): Promise<Pod> {
    return toPlain<Pod>(await this.core.createNamespacedPod({ namespace: this.namespace, body: pod }));
  }
  async get(name: string): Promise<Pod | undefined> {
    try {
      return toPlain<Pod>(await this.core.readNamespacedPod({ name, namespace: this.namespace }));
    } catch (err) {
      if ((err as { code?: number }).code === 404) return undefined;
      throw err;
    }
  }
  /** Set a readiness-gate condition the way the rollout engine does (SMP on pods/status, merged by type). */
  async setCondition(name: string, type: string, status: 'True' | 'False'): Promise<void> {
    const lastTransitionTime = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    await this.core.patchNamespacedPodStatus(
      { name, namespace: this.namespace, body: { status: { conditions: [{ type, status, lastTransitionTime }] } } },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
  }
  /** Change one container's image (JSON patch on the pod spec, as an in-place update does). */
  async setImage(name: string, containerIndex: number, image: string): Promise<void> {
    await this.core.patchNamespacedPod(
      { name, namespace: this.namespace, body: [{ op: 'replace', path: `/spec/containers/${containerIndex}/image`, value: image }] },
      setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
    );
  }
  async delete(name: string): Promise<void> {
    await this.core.deleteNamespacedPod({ name, namespace: this.namespace });
  }
}

export function cond(pod: Pod | undefined, type: string): PodCondition | undefined {
  return pod?.status?.conditions?.find((c) => c.type === type);
}

export function cstatus(pod: Pod | undefined, name: string): ContainerStatus | undefined {
  return pod?.status?.containerStatuses?.find((c) => c.name === name);
}

export const isReady = (pod: Pod | undefined): boolean => cond(pod, 'Ready')?.status === 'True';

/** Poll `fn` until it returns something other than undefined/false; fail with the last value seen on timeout. */
export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 10_000,
  intervalMs = 15,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${last instanceof Error ? last.message : JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Retry a client call through injected faults (5xx / 409 / 429). */
export async function retry<T>(fn: () => Promise<T>, attempts = 50): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      const code = (err as { code?: number }).code;
      if (i >= attempts || (code !== undefined && ![409, 429, 500, 503].includes(code))) throw err;
      await sleep(10 + Math.random() * 20);
    }
  }
}

/** Run `fn` over `items` with at most `limit` in flight. */
export async function parallel<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}

/** An apiserver the kubelet tests run against. */
export interface KubeletBackend {
  name: string;
  skip: boolean;
  start(): Promise<{ kc: KubeConfig; stop: () => Promise<void> }>;
}

/**
 * The simulated apiserver, and — when SIM_KUBELET_REALKUBE=1 and the binary is built (scripts/build-kube-apiserver.sh)
 * — the real kube-apiserver, on which `prepareReal` runs once it is up (e.g. to register Nodes).
 */
export function kubeletBackends(prepareReal?: (kc: KubeConfig) => Promise<void>): KubeletBackend[] {
  return [
    {
      name: 'the simulated apiserver',
      skip: false,
      async start() {
        const api = await startSimApiServer({ port: 0 });
        return { kc: api.kubeConfig(), stop: () => api.close() };
      },
    },
    {
      name: 'a real kube-apiserver',
      skip: !process.env.SIM_KUBELET_REALKUBE || !findRealApiServerBinary(),
      async start() {
        const s = await startRealApiServer({ installCloneSetCrd: false });
        await prepareReal?.(s.kubeConfig());
        return { kc: s.kubeConfig(), stop: s.stop };
      },
    },
  ];
}
