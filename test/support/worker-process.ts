/**
 * The rollout worker as a separate OS process (`node bin/cloneset-rollout.js worker`, from dist/: run `npm run build`
 * first), so tests can SIGKILL it at any instant and start a new one, as a crashed pod or node would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { prebuiltWorkflowBundle } from './bundle.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = `${ROOT}bin/cloneset-rollout.js`;

export interface WorkerProcessOptions {
  /** Temporal frontend host:port (TEMPORAL_ADDRESS). */
  address: string;
  taskQueue: string;
  /** Kubeconfig file of the (simulated) cluster (KUBECONFIG). */
  kubeconfigPath: string;
  /** Worker log level (LOG_LEVEL); default 'warn'. Logs go to stderr; the last lines are kept for diagnostics. */
  logLevel?: string;
  /** Extra environment for the worker process (e.g. NODE_OPTIONS). */
  env?: Record<string, string>;
  /** Node flags for the worker process (e.g. `--cpu-prof`, which NODE_OPTIONS does not allow). */
  nodeArgs?: string[];
  /** Extra arguments of `cloneset-rollout worker` (e.g. `--cluster eu-1=FILE`). */
  args?: string[];
}

/** One worker process at a time: start, SIGKILL, start again. */
export class WorkerProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  /** Last log lines of every process started, for failure messages. */
  readonly log: string[] = [];
  /** Number of processes started / killed so far. */
  starts = 0;
  kills = 0;

  constructor(private readonly opts: WorkerProcessOptions) {
    if (!existsSync(`${ROOT}dist/cli/main.js`)) throw new Error('dist/ is missing: run `npm run build` first');
    prebuiltWorkflowBundle(); // the worker loads it: refuse a missing or stale one with "run npm run build"
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /**
   * Spawns a worker and resolves once the SDK logged the worker RUNNING (connected, bundle built, polling).
   * Returns the spawn time and the ready time (ms since epoch).
   */
  async start(timeoutMs = 30_000): Promise<{ spawnedAt: number; readyAt: number }> {
    if (this.running) throw new Error('a worker process is already running');
    const spawnedAt = Date.now();
    const child = spawn(process.execPath, [...(this.opts.nodeArgs ?? []), BIN, 'worker', ...(this.opts.args ?? [])], {
      cwd: ROOT,
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: this.opts.address,
        TEMPORAL_TASK_QUEUE: this.opts.taskQueue,
        KUBECONFIG: this.opts.kubeconfigPath,
        LOG_LEVEL: this.opts.logLevel ?? 'info',
        ...this.opts.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.starts++;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const readyAt = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`worker not started within ${timeoutMs} ms:\n${this.tail()}`)), timeoutMs);
      const onData = (chunk: Buffer) => {
        for (const line of chunk.toString().split('\n')) {
          if (!line) continue;
          this.log.push(line);
          if (this.log.length > 200) this.log.shift();
          if (line.includes('"state":"RUNNING"')) {
            clearTimeout(timer);
            resolve(Date.now());
          }
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`worker exited (${code ?? signal}) before starting:\n${this.tail()}`));
      });
    });
    return { spawnedAt, readyAt };
  }

  /** SIGKILL: no shutdown, no goodbye to Temporal; in-flight tasks are found only by timeouts. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.child!.kill('SIGKILL');
    this.kills++;
    await this.exited;
  }

  /** Graceful stop (SIGTERM), e.g. at the end of a test. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.child!.kill('SIGTERM');
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), 12_000);
    await this.exited;
    clearTimeout(timer);
  }

  tail(n = 40): string {
    return this.log.slice(-n).join('\n');
  }
}
