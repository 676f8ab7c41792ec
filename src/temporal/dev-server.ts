/**
 * Runs the real Temporal server (`temporal server start-dev`) as a child process: SQLite persistence when a db file
 * is given, the Web UI unless headless, and the project's search attributes registered.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Connection } from '@temporalio/client';
import type { Logger } from 'pino';
import { SEARCH_ATTRIBUTES } from '../workflows/search-attributes.js';
import { ensureTemporalCli } from './binary.js';
import { freePort, isBindError, portsInUse } from './ports.js';

export interface DevServerOptions {
  /** Path of the `temporal` binary. Default: found or built by {@link ensureTemporalCli}. */
  binary?: string;
  /** SQLite file; state survives restarts. Default: in memory. */
  dbFilename?: string;
  /** Loopback address to bind. Default 127.0.0.1. */
  ip?: string;
  /** Frontend gRPC port. Default: a free port. */
  port?: number;
  /** Web UI port. Default: a free port. Ignored when headless. */
  uiPort?: number;
  /** Skip the Web UI. Default false. */
  headless?: boolean;
  /** Namespace created at start. Default 'default'. */
  namespace?: string;
  /** Server log level. Default 'warn'. */
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** Extra `--dynamic-config-value KEY=JSON` pairs. */
  dynamicConfig?: Record<string, unknown>;
  /** How long to wait for the frontend to answer, per attempt. Default 60 s. */
  startTimeoutMs?: number;
  /**
   * Starts tried when the server can't bind a port (it reports "address already in use", or dies of a Go panic while
   * starting): each attempt picks new ports for everything not given explicitly. Default 4.
   */
  startAttempts?: number;
  /** Picks the ports not given explicitly. Default {@link freePort}; tests inject their own. */
  pickPort?: (ip: string) => Promise<number>;
  logger?: Logger;
}

export interface DevServer {
  /** host:port of the frontend gRPC service. */
  address: string;
  namespace: string;
  /** Web UI base URL, or null when headless. */
  uiUrl: string | null;
  pid: number;
  /** Stops the server (SIGTERM, then SIGKILL after 5 s). */
  stop(): Promise<void>;
}

/** The ports of one start attempt. */
interface Ports {
  port: number;
  uiPort?: number;
  httpPort: number;
  metricsPort: number;
}

/** How one start attempt ended. */
type Attempt = { ok: true; server: DevServer } | { ok: false; reason: string; output: string; retryable: boolean };

/** Output of a server that could not get a port, or that panicked while starting (Go's exit code 2). */
function isTransientStartFailure(output: string): boolean {
  return isBindError(output) || /^panic: |\[signal SIGSEGV/m.test(output);
}

/**
 * Starts the dev server and resolves once its frontend answers gRPC calls. Ports not given are picked by
 * {@link freePort}; another process can still take one between the pick and the server's bind, so a start that fails
 * that way is retried with new ports ({@link DevServerOptions.startAttempts}), quietly: the failed attempts' output is
 * only shown (in the error) if every attempt fails.
 */
export async function startDevServer(opts: DevServerOptions = {}): Promise<DevServer> {
  const binary = opts.binary ?? ensureTemporalCli();
  if (!binary) return startDownloadedServer(opts);
  const ip = opts.ip ?? '127.0.0.1';
  const pick = opts.pickPort ?? freePort;
  const attempts = Math.max(1, opts.startAttempts ?? 4);
  const fixed = new Set([opts.port, opts.headless ? undefined : opts.uiPort].filter((p): p is number => p !== undefined));
  for (let attempt = 1; ; attempt++) {
    const ports: Ports = {
      port: opts.port ?? (await pick(ip)),
      uiPort: opts.headless ? undefined : (opts.uiPort ?? (await pick(ip))),
      httpPort: await pick(ip),
      metricsPort: await pick(ip),
    };
    const result = await startOnce(binary, ip, ports, opts);
    if (result.ok) return result.server;
    // A port the caller chose won't come free by trying again.
    const takenFixed = portsInUse(result.output).filter((p) => fixed.has(p));
    if (!result.retryable || takenFixed.length > 0 || attempt >= attempts) {
      const tries = attempt > 1 ? ` (attempt ${attempt} of ${attempts})` : '';
      throw new Error(`Temporal dev server did not start: ${result.reason}${tries}\n${result.output}`);
    }
    opts.logger?.debug({ attempt, ports, taken: portsInUse(result.output) }, 'Temporal dev server could not bind its ports; retrying with other ports');
  }
}

/** One start of the server on the given ports. Failed attempts leave no process behind. */
async function startOnce(binary: string, ip: string, ports: Ports, opts: DevServerOptions): Promise<Attempt> {
  const namespace = opts.namespace ?? 'default';
  const args = ['server', 'start-dev', '--ip', ip, '--port', String(ports.port), '--namespace', namespace];
  args.push('--log-level', opts.logLevel ?? 'warn', '--http-port', String(ports.httpPort), '--metrics-port', String(ports.metricsPort));
  if (opts.dbFilename) {
    mkdirSync(dirname(opts.dbFilename), { recursive: true });
    args.push('--db-filename', opts.dbFilename);
  }
  if (ports.uiPort === undefined) args.push('--headless');
  else args.push('--ui-port', String(ports.uiPort));
  for (const sa of SEARCH_ATTRIBUTES) args.push('--search-attribute', `${sa.name}=${sa.type}`);
  for (const [k, v] of Object.entries(opts.dynamicConfig ?? {})) args.push('--dynamic-config-value', `${k}=${JSON.stringify(v)}`);

  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: false });
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(chunk.toString());
    if (output.length > 200) output.shift();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  // 'close': exited and its output fully read (what a failed attempt is judged on)
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  const address = `${ip}:${ports.port}`;
  opts.logger?.info({ address, uiPort: ports.uiPort, db: opts.dbFilename ?? 'memory' }, 'starting Temporal dev server');

  try {
    await waitForFrontend(child, address, namespace, opts.startTimeoutMs ?? 60_000, spawnError);
    // Answered, but maybe by some other server on that port while ours gave up on it.
    if (child.exitCode !== null || child.signalCode !== null || isBindError(output.join(''))) throw new Error('exited while starting');
  } catch (err) {
    child.kill('SIGKILL');
    await Promise.race([closed, spawnError]);
    const text = output.join('');
    return { ok: false, reason: (err as Error).message, output: text, retryable: isTransientStartFailure(text) };
  }
  return {
    ok: true,
    server: {
      address,
      namespace,
      uiUrl: ports.uiPort === undefined ? null : `http://${ip}:${ports.uiPort}`,
      pid: child.pid ?? -1,
      stop: () => stopChild(child),
    },
  };
}

/** Resolves once the frontend answers; rejects as soon as the child exits (or fails to spawn), or on timeout. */
async function waitForFrontend(child: ChildProcess, address: string, namespace: string, timeoutMs: number, spawnError: Promise<Error>) {
  const deadline = Date.now() + timeoutMs;
  const died = new Promise<never>((_, reject) => {
    const onExit = () => reject(new Error(child.exitCode !== null ? `exited with code ${child.exitCode}` : `killed by ${child.signalCode}`));
    if (child.exitCode !== null || child.signalCode !== null) onExit();
    else child.once('exit', onExit);
    void spawnError.then(reject);
  });
  died.catch(() => undefined);
  let lastError: unknown;
  while (Date.now() < deadline) {
    const probe = (async () => {
      const conn = await Connection.connect({ address, connectTimeout: 1_000 });
      try {
        await conn.workflowService.describeNamespace({ namespace });
      } finally {
        await conn.close();
      }
    })();
    probe.catch(() => undefined);
    try {
      await Promise.race([probe, died]);
      return;
    } catch (err) {
      if (child.exitCode !== null || child.signalCode !== null) await died;
      lastError = err;
    }
    await Promise.race([new Promise((r) => setTimeout(r, 250)), died]);
  }
  throw new Error(`no answer from ${address} within ${timeoutMs} ms: ${String(lastError)}`);
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/**
 * Last resort when neither a `temporal` binary nor Go is available: @temporalio/testing downloads the CLI itself
 * (needs internet access to Temporal's release host).
 */
async function startDownloadedServer(opts: DevServerOptions): Promise<DevServer> {
  const { TestWorkflowEnvironment } = await import('@temporalio/testing');
  const { SearchAttributeType, defineSearchAttributeKey } = await import('@temporalio/common');
  const ip = opts.ip ?? '127.0.0.1';
  const pick = opts.pickPort ?? freePort;
  const attempts = Math.max(1, opts.startAttempts ?? 4);
  const namespace = opts.namespace ?? 'default';
  opts.logger?.warn('no Temporal CLI or Go found; downloading the CLI through @temporalio/testing');
  for (let attempt = 1; ; attempt++) {
    const port = opts.port ?? (await pick(ip));
    const uiPort = opts.headless ? undefined : (opts.uiPort ?? (await pick(ip)));
    const extraArgs = ['--http-port', String(await pick(ip)), '--metrics-port', String(await pick(ip))];
    for (const [k, v] of Object.entries(opts.dynamicConfig ?? {})) extraArgs.push('--dynamic-config-value', `${k}=${JSON.stringify(v)}`);
    try {
      const env = await TestWorkflowEnvironment.createLocal({
        server: {
          ip,
          port,
          namespace,
          ui: uiPort !== undefined,
          uiPort,
          dbFilename: opts.dbFilename,
          searchAttributes: SEARCH_ATTRIBUTES.map((sa) => defineSearchAttributeKey(sa.name, SearchAttributeType.KEYWORD)),
          extraArgs,
        },
      });
      return {
        address: env.address,
        namespace,
        uiUrl: uiPort === undefined ? null : `http://${ip}:${uiPort}`,
        pid: -1,
        stop: () => env.teardown(),
      };
    } catch (err) {
      const fixedTaken = portsInUse(String(err)).some((p) => p === opts.port || p === opts.uiPort);
      if (attempt >= attempts || fixedTaken || !isTransientStartFailure(String(err))) throw err;
      opts.logger?.debug({ attempt }, 'Temporal dev server could not bind its ports; retrying with other ports');
    }
  }
}
