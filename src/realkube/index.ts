/**
 * A real kube-apiserver (with embedded etcd) as a test backend: the second Kubernetes next to the simulator, so the
 * simulator's fidelity is checked against the real thing.
 *
 * The server is `.tools/bin/kube-apiserver-test`, built from tools/kube-apiserver by
 * `scripts/build-kube-apiserver.sh` (the upstream kube-apiserver and etcd in one Go binary, on 127.0.0.1 only).
 * {@link startRealApiServer} spawns it, waits for its `READY <kubeconfig>` line, installs the CloneSet CRD from
 * deploy/crd/cloneset.yaml and waits until the CRD is Established and its resource is served.
 *
 *   const kube = await startRealApiServer();
 *   const core = kube.kubeConfig().makeApiClient(CoreV1Api);
 *   ...
 *   await kube.stop();
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { ApiextensionsV1Api, CustomObjectsApi, KubeConfig, loadYaml, type V1CustomResourceDefinition } from '@kubernetes/client-node';

/** The repository root (this file is src/realkube/index.ts or dist/realkube/index.js). */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Where scripts/build-kube-apiserver.sh puts the binary. */
export const DEFAULT_BINARY = join(ROOT, '.tools', 'bin', 'kube-apiserver-test');

/** The CloneSet CRD manifest. */
export const CLONESET_CRD_PATH = join(ROOT, 'deploy', 'crd', 'cloneset.yaml');

/** The subset of a pino logger the launcher uses. */
export interface RealKubeLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface RealApiServerOptions {
  /** The kube-apiserver-test binary; default: `$KUBE_APISERVER_TEST`, else `.tools/bin/kube-apiserver-test`. */
  binary?: string;
  logger?: RealKubeLogger;
  /** Extra kube-apiserver flags (passed after `--`), e.g. `['--etcd-compaction-interval=5s']`. */
  apiserverArgs?: string[];
  /** `--authorization-mode`; default `Node,RBAC` (the kubeconfig's user is in system:masters either way). */
  authorizationMode?: string;
  /** Install deploy/crd/cloneset.yaml and wait for it; default true. */
  installCloneSetCrd?: boolean;
  /** Milliseconds to wait for READY and for the CRD; default 180 000. */
  startTimeoutMs?: number;
}

export interface RealApiServer {
  /** The admin kubeconfig the server wrote (client certificate in group system:masters). */
  kubeconfigPath: string;
  /** https://127.0.0.1:<port> */
  server: string;
  /** The server's process id (etcd runs inside it). */
  pid: number;
  /** A fresh KubeConfig loaded from {@link kubeconfigPath}. */
  kubeConfig(): KubeConfig;
  /** SIGTERM, wait for exit (SIGKILL after 20 s), remove the temporary directory. Idempotent. */
  stop: () => Promise<void>;
}

/** The kube-apiserver-test binary to use, or null when none is built (run scripts/build-kube-apiserver.sh). */
export function findRealApiServerBinary(): string | null {
  const candidates = [process.env.KUBE_APISERVER_TEST, DEFAULT_BINARY].filter((p): p is string => !!p);
  for (const p of candidates) {
    try {
      if (statSync(p).isFile()) return p;
    } catch {
      // not there
    }
  }
  return null;
}

/** Keeps the last lines of the server's stderr, for error messages. */
class Tail {
  private lines: string[] = [];
  constructor(private readonly max = 40) {}
  push(line: string): void {
    this.lines.push(line);
    if (this.lines.length > this.max) this.lines.shift();
  }
  toString(): string {
    return this.lines.join('\n');
  }
}

/** Starts a real kube-apiserver, waits until it is ready and the CloneSet CRD is established. */
export async function startRealApiServer(opts: RealApiServerOptions = {}): Promise<RealApiServer> {
  const binary = opts.binary ?? findRealApiServerBinary();
  if (!binary || !existsSync(binary)) {
    throw new Error(`kube-apiserver-test binary not found (${binary ?? DEFAULT_BINARY}); run scripts/build-kube-apiserver.sh`);
  }
  const timeoutMs = opts.startTimeoutMs ?? 180_000;
  const log = opts.logger;
  const dir = mkdtempSync(join(tmpdir(), 'realkube-'));
  const kubeconfigPath = join(dir, 'kubeconfig');
  const args = [
    `--kubeconfig=${kubeconfigPath}`,
    // no --data-dir: the server makes its own temporary one and removes it whenever it exits, even if we die first
    // stdin is a pipe we never write to: if this process dies, the server sees EOF and shuts down
    '--stop-on-stdin-eof',
    ...(opts.authorizationMode ? [`--authorization-mode=${opts.authorizationMode}`] : []),
    ...(opts.apiserverArgs?.length ? ['--', ...opts.apiserverArgs] : []),
  ];
  const started = Date.now();
  const child = spawn(binary, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const tail = new Tail();
  createInterface({ input: child.stderr! }).on('line', (line) => {
    tail.push(line);
    log?.debug({ component: 'kube-apiserver' }, line);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => child.once('exit', (code, signal) => res({ code, signal })));

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(killer);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    await waitForReady(child, exited, tail, timeoutMs);
    const kc = loadKubeConfig(kubeconfigPath);
    const server = kc.getCurrentCluster()?.server ?? '';
    log?.info({ server, ms: Date.now() - started }, 'kube-apiserver ready');
    if (opts.installCloneSetCrd !== false) {
      await installCrd(kc, CLONESET_CRD_PATH, timeoutMs);
      log?.info({ ms: Date.now() - started }, 'CloneSet CRD established');
    }
    return { kubeconfigPath, server, pid: child.pid!, kubeConfig: () => loadKubeConfig(kubeconfigPath), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

function loadKubeConfig(path: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  return kc;
}

function waitForReady(
  child: ChildProcess,
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>,
  tail: Tail,
  timeoutMs: number,
): Promise<void> {
  return new Promise<void>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`kube-apiserver not ready within ${timeoutMs} ms\n${tail.toString()}`)), timeoutMs);
    const rl = createInterface({ input: child.stdout! });
    rl.on('line', (line) => {
      if (line.startsWith('READY ')) {
        clearTimeout(timer);
        res();
      }
    });
    child.once('error', (err) => {
      clearTimeout(timer);
      rej(err);
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      rej(new Error(`kube-apiserver exited (code ${code}, signal ${signal}) before it was ready\n${tail.toString()}`));
    });
  });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Creates (or replaces) the CRD, then waits for Established=True and for its resource to be served. */
export async function installCrd(kc: KubeConfig, manifestPath: string, timeoutMs = 60_000): Promise<void> {
  // loadYaml maps the manifest's keys onto client-node's model (x-kubernetes-* become xKubernetes*); a plain parsed
  // object would lose every x-kubernetes-* key when the typed client serializes it.
  const crd = loadYaml<V1CustomResourceDefinition>(readFileSync(manifestPath, 'utf8'));
  const api = kc.makeApiClient(ApiextensionsV1Api);
  const name = crd.metadata!.name!;
  try {
    await api.createCustomResourceDefinition({ body: crd });
  } catch (err) {
    if ((err as { code?: number }).code !== 409) throw err;
    const existing = await api.readCustomResourceDefinition({ name });
    await api.replaceCustomResourceDefinition({ name, body: { ...crd, metadata: { ...crd.metadata, resourceVersion: existing.metadata?.resourceVersion } } });
  }
  const deadline = Date.now() + timeoutMs;
  let establishedAt: Date | undefined;
  for (;;) {
    const got = await api.readCustomResourceDefinition({ name });
    const established = got.status?.conditions?.find((c) => c.type === 'Established' && c.status === 'True');
    if (established) {
      establishedAt = established.lastTransitionTime;
      break;
    }
    if (Date.now() > deadline) throw new Error(`CRD ${name} not Established within ${timeoutMs} ms`);
    await sleep(100);
  }
  // The apiserver holds every create of a custom resource for 2 s while its CRD has been Established for less than
  // 2 s (for HA peers to catch up); waiting that out here keeps the callers' first create as fast as the others.
  if (establishedAt) {
    const wait = establishedAt.getTime() + 2_000 - Date.now();
    if (wait > 0) await sleep(wait);
  }
  // Established means the storage is ready; make sure a list of the resource answers before callers use it.
  const custom = kc.makeApiClient(CustomObjectsApi);
  const version = crd.spec.versions.find((v) => v.storage)?.name ?? crd.spec.versions[0]!.name;
  for (;;) {
    try {
      await custom.listClusterCustomObject({ group: crd.spec.group, version, plural: crd.spec.names.plural });
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(100);
    }
  }
}
