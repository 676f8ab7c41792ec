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
import { freePort } from './ports.js';

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
  /** How long to wait for the frontend to answer. Default 60 s. */
  startTimeoutMs?: number;
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

/** Starts the dev server and resolves once its frontend answers gRPC calls. */
export async function startDevServer(opts: DevServerOptions = {}): Promise<DevServer> {
  const binary = opts.binary ?? ensureTemporalCli();
  if (!binary) return startDownloadedServer(opts);
  const ip = opts.ip ?? '127.0.0.1';
  const port = opts.port ?? (await freePort(ip));
  const uiPort = opts.headless ? undefined : (opts.uiPort ?? (await freePort(ip)));
  const namespace = opts.namespace ?? 'default';
  const args = ['server', 'start-dev', '--ip', ip, '--port', String(port), '--namespace', namespace];
  args.push('--log-level', opts.logLevel ?? 'warn', '--http-port', String(await freePort(ip)));
  if (opts.dbFilename) {
    mkdirSync(dirname(opts.dbFilename), { recursive: true });
    args.push('--db-filename', opts.dbFilename);
  }
  if (uiPort === undefined) args.push('--headless');
  else args.push('--ui-port', String(uiPort));
  for (const sa of SEARCH_ATTRIBUTES) args.push('--search-attribute', `${sa.name}=${sa.type}`);
  for (const [k, v] of Object.entries(opts.dynamicConfig ?? {})) args.push('--dynamic-config-value', `${k}=${JSON.stringify(v)}`);

  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: false });
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(chunk.toString());
    if (output.length > 50) output.shift();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const address = `${ip}:${port}`;
  opts.logger?.info({ address, uiPort, db: opts.dbFilename ?? 'memory' }, 'starting Temporal dev server');

  try {
    await waitForFrontend(child, address, namespace, opts.startTimeoutMs ?? 60_000);
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`Temporal dev server did not start: ${(err as Error).message}\n${output.join('')}`);
  }
  return {
    address,
    namespace,
    uiUrl: uiPort === undefined ? null : `http://${ip}:${uiPort}`,
    pid: child.pid ?? -1,
    stop: () => stopChild(child),
  };
}

async function waitForFrontend(child: ChildProcess, address: string, namespace: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`exited with code ${child.exitCode}`);
    try {
      const conn = await Connection.connect({ address, connectTimeout: 1_000 });
      try {
        await conn.workflowService.describeNamespace({ namespace });
        return;
      } finally {
        await conn.close();
      }
    } catch (err) {
      lastError = err;
      await new Promise((r) => setTimeout(r, 250));
    }
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
  const port = opts.port ?? (await freePort(ip));
  const uiPort = opts.headless ? undefined : (opts.uiPort ?? (await freePort(ip)));
  const namespace = opts.namespace ?? 'default';
  opts.logger?.warn('no Temporal CLI or Go found; downloading the CLI through @temporalio/testing');
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      ip,
      port,
      namespace,
      ui: uiPort !== undefined,
      uiPort,
      dbFilename: opts.dbFilename,
      searchAttributes: SEARCH_ATTRIBUTES.map((sa) => defineSearchAttributeKey(sa.name, SearchAttributeType.KEYWORD)),
      extraArgs: Object.entries(opts.dynamicConfig ?? {}).flatMap(([k, v]) => [
        '--dynamic-config-value',
        `${k}=${JSON.stringify(v)}`,
      ]),
    },
  });
  return {
    address: env.address,
    namespace,
    uiUrl: uiPort === undefined ? null : `http://${ip}:${uiPort}`,
    pid: -1,
    stop: () => env.teardown(),
  };
}
