/**
 * A simulated Kubernetes API server: an in-process HTTP server speaking the
 * Kubernetes REST API for Pods, Events, ControllerRevisions and OpenKruise
 * CloneSets, following the real apiserver's storage, validation, concurrency
 * and watch rules. Clients reach it exactly like a real cluster, through a
 * kubeconfig; it is the project's default cluster, as SQLite is a default
 * database.
 *
 * @example
 *   const sim = await startSimApiServer();
 *   const core = sim.kubeConfig().makeApiClient(CoreV1Api);
 *   ...
 *   await sim.close();
 */
import { createServer } from 'node:http';
import { writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import YAML from 'yaml';
import { type FaultInjector, Faults, seededRandom } from './faults.js';
import { StatePersister, loadSnapshot } from './persist.js';
import { Registry } from './registry.js';
import { RESOURCES } from './resources.js';
import { RestStorage } from './rest.js';
import { FrontEnd } from './server.js';
import { Store } from './store.js';
import { WatchHub } from './watch.js';

export type { FaultInjector, FaultRule } from './faults.js';
export type { Verb } from './registry.js';

/** Options of {@link startSimApiServer}. */
export interface SimApiServerOptions {
  /** Listen address; must be a loopback address. Default '127.0.0.1'. */
  host?: string;
  /** Default 0 (ephemeral). */
  port?: number;
  /** Events kept per resource for watch resumption; older resourceVersion -> 410 Gone. Default 10000. */
  watchHistory?: number;
  logger?: Logger;
  /** Interval of BOOKMARK events on watches with allowWatchBookmarks=true. Default 1000 ms. */
  bookmarkIntervalMs?: number;
  /** Seed for fault injection's random choices, for reproducible runs. Default: Math.random. */
  faultSeed?: number;
  /**
   * File that keeps the objects across restarts: loaded at start if it exists, rewritten (atomically) after
   * changes and on close. resourceVersions continue after the saved ones; watches from before the restart get 410.
   * Default: nothing is kept.
   */
  statePath?: string;
  /** How long changes are collected before the state file is rewritten. Default 200 ms. */
  stateSaveDelayMs?: number;
}

/** A running simulated apiserver. */
export interface SimApiServer {
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  /** A kubeconfig (cluster, user and context all named 'sim', namespace 'default') pointing at url. */
  kubeconfigYaml(): string;
  writeKubeconfig(path: string): Promise<void>;
  /** A KubeConfig loaded from kubeconfigYaml(). */
  kubeConfig(): KubeConfig;
  faults: FaultInjector;
  /** requests: HTTP requests received; writes: objects created, updated or deleted; watches: open watch streams. */
  stats(): { requests: number; writes: number; watches: number };
  /** The state file, if any (see {@link SimApiServerOptions.statePath}). */
  statePath?: string;
  /** Writes the state file now, if there is one and anything changed. */
  saveState(): Promise<void>;
  /** Stops listening and ends open watches and connections, then writes the state file. */
  close(): Promise<void>;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** Starts a simulated apiserver; resolves once it is listening. */
export async function startSimApiServer(opts: SimApiServerOptions = {}): Promise<SimApiServer> {
  const host = opts.host ?? '127.0.0.1';
  // the server has no authentication: it must never be reachable from elsewhere
  if (!isLoopback(host)) throw new Error(`simulated apiserver must listen on a loopback address, not ${host}`);
  const logger = opts.logger?.child({ component: 'sim-apiserver' });
  const store = new Store(opts.watchHistory ?? 10_000);
  for (const def of RESOURCES) if (def.crd) store.installCustomResource(def.storeKey);
  const saved = opts.statePath ? await loadSnapshot(opts.statePath) : undefined;
  if (saved) store.restore(saved);
  const persister = opts.statePath ? new StatePersister(store, opts.statePath, opts.stateSaveDelayMs ?? 200, logger) : undefined;
  const rest = new RestStorage(store);
  const hub = new WatchHub(rest, opts.bookmarkIntervalMs ?? 1000);
  const faults = new Faults(opts.faultSeed !== undefined ? seededRandom(opts.faultSeed) : Math.random, () => hub.closeAll());
  let address = '';
  const frontEnd = new FrontEnd({ registry: new Registry(RESOURCES), rest, hub, faults, ...(logger ? { logger } : {}), address: () => address });
  const server = createServer({ keepAliveTimeout: 30_000 }, frontEnd.handle);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const info = server.address() as AddressInfo;
  address = info.family === 'IPv6' ? `[${info.address}]:${info.port}` : `${info.address}:${info.port}`;
  const url = `http://${address}`;
  logger?.info(
    { url, ...(opts.statePath ? { state: opts.statePath, restored: saved ? Object.values(saved.resources).reduce((n, l) => n + l.length, 0) : 0 } : {}) },
    'simulated apiserver listening',
  );

  const kubeconfigYaml = (): string =>
    YAML.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      // client-node refuses plain http unless TLS verification is explicitly off
      clusters: [{ name: 'sim', cluster: { server: url, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'sim', user: {} }],
      contexts: [{ name: 'sim', context: { cluster: 'sim', user: 'sim', namespace: 'default' } }],
      'current-context': 'sim',
    });

  let closing: Promise<void> | undefined;
  return {
    url,
    kubeconfigYaml,
    writeKubeconfig: (path) => writeFile(path, kubeconfigYaml(), { mode: 0o600 }),
    kubeConfig() {
      const kc = new KubeConfig();
      kc.loadFromString(kubeconfigYaml());
      return kc;
    },
    faults,
    stats: () => ({ requests: frontEnd.requests, writes: store.writes, watches: hub.size }),
    statePath: opts.statePath,
    saveState: async () => persister?.flush(),
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        hub.closeAll();
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }).finally(() => persister?.close());
      return closing;
    },
  };
}
