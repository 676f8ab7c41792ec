/** Typed API clients built from one KubeConfig (kubeconfig file, in-cluster service account, or the simulator). */
import { AppsV1Api, CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { withConnectionReuse } from './http.js';

export interface KubeClients {
  /** The KubeConfig the clients were built from (with a shared keep-alive connection pool). */
  kc: KubeConfig;
  core: CoreV1Api;
  apps: AppsV1Api;
  custom: CustomObjectsApi;
}

/** API clients sharing one keep-alive connection pool (client-node would open a connection per request). */
export function makeClients(kubeConfig: KubeConfig): KubeClients {
  const { kc } = withConnectionReuse(kubeConfig);
  return { kc, core: kc.makeApiClient(CoreV1Api), apps: kc.makeApiClient(AppsV1Api), custom: kc.makeApiClient(CustomObjectsApi) };
}

/** KUBECONFIG (or ~/.kube/config), else in-cluster config: `KubeConfig.loadFromDefault()`'s order. */
export function loadKubeConfig(path?: string): KubeConfig {
  const kc = new KubeConfig();
  if (path) kc.loadFromFile(path);
  else kc.loadFromDefault();
  return kc;
}

/** Group/version/plural of the CloneSet custom resource. */
export const CLONESET = { group: 'apps.kruise.io', version: 'v1alpha1', plural: 'clonesets' } as const;
