/** Typed API clients built from one KubeConfig (kubeconfig file, in-cluster service account, or the simulator). */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
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

/**
 * No kubeconfig to reach a cluster with: none given, KUBECONFIG and ~/.kube/config absent, not in a cluster. (Left
 * alone, client-node falls back to http://localhost:8080 and fails with "HTTP protocol is not allowed when
 * skipTLSVerify is not set or false".)
 */
export class NoKubeconfigError extends Error {
  override name = 'NoKubeconfigError';
}

const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/** Why `loadFromDefault()` would find nothing (the sentence to show), or null if it has a source. */
function noDefaultKubeconfig(): string | null {
  const env = (process.env.KUBECONFIG ?? '').split(delimiter).filter(Boolean);
  if (env.some((f) => existsSync(f))) return null;
  const home = join(homedir(), '.kube', 'config');
  if (env.length === 0 && existsSync(home)) return null;
  if (process.env.KUBERNETES_SERVICE_HOST && existsSync(SERVICE_ACCOUNT_TOKEN)) return null;
  const where = env.length > 0 ? `KUBECONFIG names no existing file (${env.join(delimiter)})` : `no KUBECONFIG, no ${home}, not running in a cluster`;
  return `no kubeconfig found (${where}): pass --kubeconfig FILE, set KUBECONFIG=FILE, or write ~/.kube/config`;
}

/**
 * KUBECONFIG (or ~/.kube/config), else in-cluster config: `KubeConfig.loadFromDefault()`'s order. Throws
 * {@link NoKubeconfigError} when there is none (or `path` does not exist), saying how to give one.
 */
export function loadKubeConfig(path?: string): KubeConfig {
  const kc = new KubeConfig();
  if (path) {
    if (!existsSync(path)) throw new NoKubeconfigError(`kubeconfig ${path} not found: pass --kubeconfig FILE, set KUBECONFIG=FILE, or write ~/.kube/config`);
    kc.loadFromFile(path);
  } else {
    const none = noDefaultKubeconfig();
    if (none) throw new NoKubeconfigError(none);
    kc.loadFromDefault();
  }
  return kc;
}

/** Group/version/plural of the CloneSet custom resource. */
export const CLONESET = { group: 'apps.kruise.io', version: 'v1alpha1', plural: 'clonesets' } as const;
