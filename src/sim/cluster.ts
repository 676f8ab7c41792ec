/**
 * A whole simulated cluster in-process: the simulated API server plus the simulated kubelet/scheduler
 * playing its nodes (connected through the apiserver's own kubeconfig, exactly as an external client).
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { startSimApiServer, type SimApiServer, type SimApiServerOptions } from './apiserver/index.js';
import { startSimKubelet, type SimKubelet, type SimKubeletOptions } from './kubelet/index.js';

export interface SimClusterOptions {
  /** Options of the simulated API server (host, port, watch history, logger). */
  apiserver?: SimApiServerOptions;
  /** Options of the simulated kubelet; `false` runs no kubelet (pods stay unscheduled). Default: defaults. */
  kubelet?: SimKubeletOptions | false;
  /** If set, the apiserver's kubeconfig is written to this file (for the CLI / kubectl). */
  kubeconfigPath?: string;
}

export interface SimCluster {
  api: SimApiServer;
  /** Undefined when started with `kubelet: false`. */
  kubelet?: SimKubelet;
  /** A fresh KubeConfig pointing at the apiserver. */
  kubeConfig(): KubeConfig;
  /** The file the kubeconfig was written to, if any. */
  kubeconfigPath?: string;
  /** Stop the kubelet, then the apiserver. Idempotent. */
  stop(): Promise<void>;
}

/** Start the apiserver, write the kubeconfig if asked, then start the kubelet (resolves once it has synced). */
export async function startSimCluster(opts: SimClusterOptions = {}): Promise<SimCluster> {
  const api = await startSimApiServer(opts.apiserver);
  let kubelet: SimKubelet | undefined;
  try {
    if (opts.kubeconfigPath) await api.writeKubeconfig(opts.kubeconfigPath);
    if (opts.kubelet !== false) kubelet = await startSimKubelet(api.kubeConfig(), opts.kubelet ?? {});
  } catch (err) {
    await api.close().catch(() => undefined);
    throw err;
  }
  let stopping: Promise<void> | undefined;
  return {
    api,
    kubelet,
    kubeConfig: () => api.kubeConfig(),
    kubeconfigPath: opts.kubeconfigPath,
    stop: () =>
      (stopping ??= (async () => {
        await kubelet?.stop();
        await api.close();
      })()),
  };
}
