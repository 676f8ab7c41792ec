/**
 * The two CloneSet controllers of the `kruise` tier, each on a fresh real kube-apiserver (src/realkube) whose nodes
 * are played by the simulated kubelet:
 *
 * - `kruise`: OpenKruise's kruise-manager (scripts/build-kruise.sh → .tools/bin/kruise-manager-v1.9.1), unchanged, out
 *   of cluster with its real admission webhooks. Kruise's 18 CRDs (config/crd/bases) are installed as an install has
 *   them, namespace `kruise-system` (leader election), and the two webhook configurations from config/webhook, named
 *   and selected as `kustomize build config/default` does (prefix `kruise-`). kruise-manager's local mode
 *   (WEBHOOK_HOST=127.0.0.1, docs/contributing/DEBUG.md) writes a self-signed CA, points every webhook at
 *   https://127.0.0.1:<port>/… and only then starts its controllers; it is ready when the log shows the
 *   cloneset-controller's workers starting.
 * - `ours`: the project's CloneSet CRD (deploy/crd/cloneset.yaml) and `cloneset-rollout worker --controller --all` as
 *   a process, on the Temporal dev server the run shares (test/setup/temporal-global.ts) with a task queue of its own.
 *
 * Every process logs to a file under the run's directory, kept for diagnosis.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, statSync, type WriteStream } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import {
  AdmissionregistrationV1Api,
  CoreV1Api,
  loadAllYaml,
  type KubeConfig,
  type V1MutatingWebhookConfiguration,
  type V1ValidatingWebhookConfiguration,
} from '@kubernetes/client-node';
import { pino } from 'pino';
import { installCrd, startRealApiServer, type RealApiServer } from '../../src/realkube/index.js';
import { startSimKubelet, type SimKubelet, type SimKubeletOptions } from '../../src/sim/index.js';
import { freePort } from '../../src/temporal/ports.js';
import { prebuiltWorkflowBundle } from './bundle.js';

const ROOT = resolve(fileURLToPath(new URL('../../', import.meta.url)));

export const KRUISE_VERSION = process.env.KRUISE_VERSION ?? 'v1.9.1';
/** Where scripts/build-kruise.sh puts kruise-manager and Kruise's config/ (CRDs, webhook configurations). */
export const KRUISE_BINARY = process.env.KRUISE_MANAGER ?? join(ROOT, '.tools', 'bin', `kruise-manager-${KRUISE_VERSION}`);
export const KRUISE_CONFIG = join(ROOT, '.tools', 'kruise', KRUISE_VERSION, 'config');
export const KRUISE_NAMESPACE = 'kruise-system';
export const KRUISE_WEBHOOKS = {
  mutating: 'kruise-mutating-webhook-configuration',
  validating: 'kruise-validating-webhook-configuration',
} as const;

/** Why the tier cannot run (kruise-manager or its config not built), or null. Never a reason to skip: the tier fails. */
export function kruiseMissing(): string | null {
  const missing = [KRUISE_BINARY, join(KRUISE_CONFIG, 'crd', 'bases'), join(KRUISE_CONFIG, 'webhook', 'manifests.yaml')].filter((p) => !existsSync(p));
  if (missing.length === 0 && statSync(KRUISE_BINARY).isFile()) return null;
  return (
    `the kruise tier needs OpenKruise's kruise-manager ${KRUISE_VERSION} and its config/, missing: ${missing.join(', ')}. ` +
    'Build them with `bash scripts/build-kruise.sh` (Go >= 1.23 and the Go module proxy; about 7 minutes the first time), ' +
    'or run `bash scripts/setup.sh --test`.'
  );
}

// ------------------------------------------------------------------------------------------------ Kruise install

/** Kruise's CRD manifests (config/crd/bases), sorted. */
export function kruiseCrdFiles(): string[] {
  const dir = join(KRUISE_CONFIG, 'crd', 'bases');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => join(dir, f));
}

type WebhookConfiguration = (V1MutatingWebhookConfiguration | V1ValidatingWebhookConfiguration) & { kind: string };

/** config/webhook/manifests.yaml with patch_manifests.yaml's selectors, named as `kustomize build config/default` names them. */
export function kruiseWebhookConfigurations(): WebhookConfiguration[] {
  const read = (f: string) => loadAllYaml(readFileSync(join(KRUISE_CONFIG, 'webhook', f), 'utf8')).filter(Boolean) as WebhookConfiguration[];
  const docs = read('manifests.yaml');
  const patches = existsSync(join(KRUISE_CONFIG, 'webhook', 'patch_manifests.yaml')) ? read('patch_manifests.yaml') : [];
  for (const d of docs) {
    const patch = patches.find((p) => p.kind === d.kind && p.metadata?.name === d.metadata?.name);
    d.metadata = { ...d.metadata, name: `kruise-${d.metadata?.name}` };
    for (const wh of d.webhooks ?? []) {
      if (wh.clientConfig?.service) wh.clientConfig.service = { ...wh.clientConfig.service, namespace: KRUISE_NAMESPACE, name: 'kruise-webhook-service' };
      const pw = patch?.webhooks?.find((x) => x.name === wh.name);
      if (pw?.namespaceSelector) wh.namespaceSelector = pw.namespaceSelector;
      if (pw?.objectSelector) wh.objectSelector = pw.objectSelector;
    }
  }
  return docs;
}

/** Installs Kruise's CRDs (waiting until each is served), its namespace and its two webhook configurations. */
export async function installKruise(kc: KubeConfig): Promise<{ crds: number; webhooks: string[] }> {
  const files = kruiseCrdFiles();
  await Promise.all(files.map((f) => installCrd(kc, f, 120_000)));
  try {
    await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: KRUISE_NAMESPACE } } });
  } catch (err) {
    if ((err as { code?: number }).code !== 409) throw err;
  }
  const adm = kc.makeApiClient(AdmissionregistrationV1Api);
  const webhooks: string[] = [];
  for (const d of kruiseWebhookConfigurations()) {
    if (d.kind === 'MutatingWebhookConfiguration') await adm.createMutatingWebhookConfiguration({ body: d as V1MutatingWebhookConfiguration });
    else if (d.kind === 'ValidatingWebhookConfiguration') await adm.createValidatingWebhookConfiguration({ body: d as V1ValidatingWebhookConfiguration });
    else continue;
    webhooks.push(d.metadata!.name!);
  }
  return { crds: files.length, webhooks };
}

/**
 * Deletes Kruise's webhook configurations, as an uninstall does: with failurePolicy Fail and no webhook server left,
 * every Pod write would be refused. Kruise's CRDs stay (its CloneSets with them). Idempotent.
 */
export async function uninstallKruiseWebhooks(kc: KubeConfig): Promise<void> {
  const adm = kc.makeApiClient(AdmissionregistrationV1Api);
  const gone = (err: unknown) => {
    if ((err as { code?: number }).code !== 404) throw err;
  };
  await adm.deleteMutatingWebhookConfiguration({ name: KRUISE_WEBHOOKS.mutating }).catch(gone);
  await adm.deleteValidatingWebhookConfiguration({ name: KRUISE_WEBHOOKS.validating }).catch(gone);
}

// ------------------------------------------------------------------------------------------------ processes

export interface ManagedProcess {
  pid: number;
  logPath: string;
  /** The last log lines, for failure messages. */
  tail(n?: number): string;
  /** SIGTERM, SIGKILL after `graceMs`; resolves with how it exited. Idempotent. */
  stop(graceMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Spawns `cmd`, logs its stdout+stderr to `logPath`, resolves once a line matches `ready` (fails on exit or timeout). */
async function spawnUntilReady(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  logPath: string,
  ready: RegExp,
  timeoutMs: number,
  what: string,
): Promise<ManagedProcess> {
  const log: WriteStream = createWriteStream(logPath);
  const child: ChildProcess = spawn(cmd, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })));
  let onLine: (line: string) => void = () => {};
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on('line', (line) => {
      log.write(`${line}\n`);
      lines.push(line);
      if (lines.length > 400) lines.shift();
      onLine(line);
    });
  }
  const tail = (n = 60) => lines.slice(-n).join('\n');
  // If this test process ends without stopping it (a crash, vitest tearing the worker down), take the child along:
  // neither kruise-manager nor the worker notices on its own that its apiserver is gone.
  const orphanGuard = () => child.kill('SIGKILL');
  process.once('exit', orphanGuard);
  void exited.then(() => process.off('exit', orphanGuard));
  let stopping: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | undefined;
  const stop = (graceMs = 10_000) =>
    (stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        const how = await exited;
        clearTimeout(killer);
        await new Promise<void>((r) => log.end(r));
        return how;
      }
      const how = await exited;
      await new Promise<void>((r) => log.end(r));
      return how;
    })());
  try {
    await new Promise<void>((res, rej) => {
      const timer = setTimeout(() => rej(new Error(`${what} not ready within ${timeoutMs} ms (log: ${logPath}):\n${tail()}`)), timeoutMs);
      onLine = (line) => {
        if (ready.test(line)) {
          clearTimeout(timer);
          res();
        }
      };
      void exited.then(({ code, signal }) => {
        clearTimeout(timer);
        rej(new Error(`${what} exited (${code ?? signal}) before it was ready (log: ${logPath}):\n${tail()}`));
      });
    });
  } catch (err) {
    await stop(2_000);
    throw err;
  }
  onLine = () => {};
  return { pid: child.pid!, logPath, tail, stop };
}

/** Starts kruise-manager against the apiserver of `kubeconfigPath` (Kruise installed), logs in `dir`. */
export async function startKruiseManager(opts: { kubeconfigPath: string; dir: string; verbosity?: number; extraArgs?: string[] }): Promise<ManagedProcess> {
  const why = kruiseMissing();
  if (why) throw new Error(why);
  const certDir = join(opts.dir, 'kruise-certs');
  const protectionDir = join(opts.dir, 'kruise-protection-log');
  mkdirSync(certDir, { recursive: true });
  mkdirSync(protectionDir, { recursive: true });
  const args = [
    '--metrics-addr=0', // controller-runtime: "0" disables the metrics server
    `--health-probe-addr=127.0.0.1:${await freePort()}`,
    '--enable-pprof=false',
    `--protection-log-path=${protectionDir}`,
    `--v=${opts.verbosity ?? 3}`,
    ...(opts.extraArgs ?? []),
  ];
  const env = {
    ...process.env,
    KUBECONFIG: opts.kubeconfigPath,
    WEBHOOK_HOST: '127.0.0.1',
    WEBHOOK_PORT: String(await freePort()),
    WEBHOOK_CERT_DIR: certDir,
    POD_NAMESPACE: KRUISE_NAMESPACE,
  };
  return spawnUntilReady(KRUISE_BINARY, args, env, join(opts.dir, 'kruise-manager.log'), /Starting workers.*cloneset-controller/, 120_000, 'kruise-manager');
}

/** Starts `cloneset-rollout worker --controller --all` (dist/; `npm run build` first), ready at its first RUNNING. */
export async function startOursController(opts: {
  kubeconfigPath: string;
  dir: string;
  address: string;
  taskQueue: string;
  /** Node flags for the worker process, e.g. `--cpu-prof`. */
  nodeArgs?: string[];
}): Promise<ManagedProcess> {
  if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` first');
  prebuiltWorkflowBundle(); // refuses a stale bundle with "run npm run build"
  const env = {
    ...process.env,
    TEMPORAL_ADDRESS: opts.address,
    TEMPORAL_TASK_QUEUE: opts.taskQueue,
    KUBECONFIG: opts.kubeconfigPath,
    LOG_LEVEL: 'info',
  };
  const args = [...(opts.nodeArgs ?? []), join(ROOT, 'bin', 'cloneset-rollout.js'), 'worker', '--controller', '--all'];
  return spawnUntilReady(process.execPath, args, env, join(opts.dir, 'cloneset-rollout.log'), /"state":"RUNNING"/, 60_000, 'cloneset-rollout worker');
}

// ------------------------------------------------------------------------------------------------ one controller run

export type ControllerName = 'kruise' | 'ours';

/**
 * The sim kubelet's knobs for the tier: fixed delays, so both controllers meet the same nodes. They only shape how
 * long a scenario takes; the tier compares outcomes and orderings, never timings.
 */
export const TIER_KUBELET: SimKubeletOptions = { nodes: 3, startDelayMs: 100, restartDelayMs: 300, readyDelayMs: 50, deleteDelayMs: 100 };

export interface ControllerRun {
  controller: ControllerName;
  kc: KubeConfig;
  kubeconfigPath: string;
  /** Where the logs are. */
  dir: string;
  process: ManagedProcess;
  /** The kube-apiserver's process id. */
  apiserverPid: number;
  stop(): Promise<void>;
}

/**
 * A fresh real apiserver with one controller's CRDs (Kruise's 18, installed as an install has them, or the project's)
 * and the sim kubelet, logs in `dir`. `own` registers a clean-up; `stop` runs them newest first, then stops the
 * kubelet and the apiserver. Idempotent.
 */
export interface TierCluster {
  kc: KubeConfig;
  kubeconfigPath: string;
  /** The kube-apiserver's process id. */
  apiserverPid: number;
  own: (cleanup: () => Promise<unknown>) => void;
  stop: () => Promise<void>;
}

export async function startTierCluster(opts: {
  dir: string;
  crds: ControllerName;
  kubelet?: SimKubeletOptions;
  apiserverArgs?: string[];
}): Promise<TierCluster> {
  mkdirSync(opts.dir, { recursive: true });
  const file = (f: string) => pino({ level: 'info' }, pino.destination({ dest: join(opts.dir, f), sync: true }));
  const api: RealApiServer = await startRealApiServer({
    installCloneSetCrd: opts.crds === 'ours',
    logger: file('apiserver.log'),
    apiserverArgs: opts.apiserverArgs,
  });
  const cleanups: (() => Promise<unknown>)[] = [() => api.stop()];
  const stop = async () => {
    for (const f of cleanups.reverse()) await f().catch(() => {});
    cleanups.length = 0;
  };
  try {
    const kc = api.kubeConfig();
    if (opts.crds === 'kruise') await installKruise(kc);
    const kubelet: SimKubelet = await startSimKubelet(kc, { ...TIER_KUBELET, ...opts.kubelet, logger: file('kubelet.log') });
    cleanups.push(() => kubelet.stop());
    return { kc, kubeconfigPath: api.kubeconfigPath, apiserverPid: api.pid, own: (c) => void cleanups.push(c), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * A fresh tier cluster ({@link startTierCluster}) with the controller running on it. `address` is the Temporal
 * frontend (only for `ours`).
 */
export async function startControllerRun(
  controller: ControllerName,
  opts: { dir: string; address?: string; kubelet?: SimKubeletOptions; kruiseArgs?: string[]; oursNodeArgs?: string[]; apiserverArgs?: string[] },
): Promise<ControllerRun> {
  if (controller === 'kruise') {
    const why = kruiseMissing();
    if (why) throw new Error(why);
  }
  const cluster = await startTierCluster({ dir: opts.dir, crds: controller, kubelet: opts.kubelet, apiserverArgs: opts.apiserverArgs });
  const { kc, kubeconfigPath } = cluster;
  try {
    let proc: ManagedProcess;
    if (controller === 'kruise') {
      proc = await startKruiseManager({ kubeconfigPath, dir: opts.dir, extraArgs: opts.kruiseArgs });
      cluster.own(async () => {
        await proc.stop();
        await uninstallKruiseWebhooks(kc);
      });
    } else {
      if (!opts.address) throw new Error('the ours controller needs the Temporal address');
      proc = await startOursController({
        kubeconfigPath,
        dir: opts.dir,
        address: opts.address,
        taskQueue: `kruise-tier-${randomBytes(4).toString('hex')}`,
        nodeArgs: opts.oursNodeArgs,
      });
      cluster.own(() => proc.stop(15_000));
    }
    return { controller, kc, kubeconfigPath, dir: opts.dir, process: proc, apiserverPid: cluster.apiserverPid, stop: cluster.stop };
  } catch (err) {
    await cluster.stop();
    throw err;
  }
}
