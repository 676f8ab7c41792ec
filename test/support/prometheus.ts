/**
 * A real Prometheus (the Debian package's /usr/bin/prometheus, 2.42; `bash scripts/setup.sh --test` installs it) for
 * tests: scrapes the given metrics URLs, answers PromQL on its HTTP API. Its output goes to a log file in its temp dir,
 * printed only when it fails to start or a wait times out; the temp dir (config, TSDB, log) is removed by `stop()`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/temporal/ports.js';

/** Where the Debian package installs Prometheus. */
export const PROMETHEUS_BINARY = '/usr/bin/prometheus';

export interface PrometheusOptions {
  /** Full metrics URLs, e.g. `http://127.0.0.1:PORT/metrics`. */
  targets: string[];
  /** scrape_interval and evaluation_interval, ms. Default 1000. */
  scrapeIntervalMs?: number;
  /** How long to wait for `/-/ready`, ms. Default 30 000. */
  readyTimeoutMs?: number;
}

export interface TestPrometheus {
  /** `http://127.0.0.1:PORT`. */
  url: string;
  /** SIGTERM, wait for the exit, remove the temp dir. */
  stop(): Promise<void>;
  /** Polls `/api/v1/query` until `query` returns a non-empty vector; throws (with the log) after `timeoutMs` (default 15 000). */
  waitForSeries(query: string, timeoutMs?: number): Promise<void>;
  /** Runs an instant query through the HTTP API and returns the parsed response as is (success or error). */
  query(query: string): Promise<PromQueryResponse>;
}

/** The JSON answer of `/api/v1/query`. */
export interface PromQueryResponse {
  status: 'success' | 'error';
  data?: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
  errorType?: string;
  error?: string;
}

/** The scrape config: one job per target, so each keeps its own metrics_path. */
export function prometheusConfig(targets: string[], scrapeIntervalMs: number): string {
  const interval = `${Math.max(1, Math.round(scrapeIntervalMs))}ms`;
  const jobs = targets.map((t, i) => {
    const u = new URL(t);
    if (u.protocol !== 'http:') throw new Error(`prometheus target ${t}: only http:// targets are supported`);
    return [
      `  - job_name: target-${i}`,
      `    metrics_path: ${JSON.stringify(u.pathname || '/metrics')}`,
      `    static_configs:`,
      `      - targets: [${JSON.stringify(u.host)}]`,
    ].join('\n');
  });
  return [
    `global:`,
    `  scrape_interval: ${interval}`,
    // at most the interval (Prometheus refuses a longer one; its default is 10 s)
    `  scrape_timeout: ${interval}`,
    `  evaluation_interval: ${interval}`,
    `scrape_configs:`,
    ...jobs,
    '',
  ].join('\n');
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Starts Prometheus scraping `targets`; resolves once it is ready. Fails naming set-up when the binary is missing. */
export async function startPrometheus(opts: PrometheusOptions): Promise<TestPrometheus> {
  if (!existsSync(PROMETHEUS_BINARY)) {
    throw new Error(`${PROMETHEUS_BINARY} is missing: run \`bash scripts/setup.sh --test\` (installs the Debian package prometheus)`);
  }
  const dir = await mkdtemp(join(tmpdir(), 'prometheus-'));
  const configFile = join(dir, 'prometheus.yml');
  const logFile = join(dir, 'prometheus.log');
  await writeFile(configFile, prometheusConfig(opts.targets, opts.scrapeIntervalMs ?? 1000));
  const log = async () => (await readFile(logFile, 'utf8').catch(() => '')).trim();

  let child: ChildProcess | undefined;
  let url = '';
  let exited: Promise<void> = Promise.resolve();
  const stop = async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child?.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killer);
    }
    await rm(dir, { recursive: true, force: true });
  };

  try {
    // A port picked then released may be taken before Prometheus binds it: try a few.
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      url = `http://127.0.0.1:${port}`;
      const out = await open(logFile, 'a');
      child = spawn(
        PROMETHEUS_BINARY,
        [
          `--config.file=${configFile}`,
          `--storage.tsdb.path=${join(dir, 'data')}`,
          `--web.listen-address=127.0.0.1:${port}`,
          '--web.enable-lifecycle',
          '--log.level=info',
        ],
        { stdio: ['ignore', out.fd, out.fd] },
      );
      const proc = child;
      exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
      void exited.then(() => out.close());
      if (await ready(url, proc, opts.readyTimeoutMs ?? 30_000)) break;
      const bindError = /address already in use/.test(await log());
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await exited;
      if (!bindError || attempt >= 3) throw new Error(`prometheus did not become ready at ${url}; its log:\n${await log()}`);
    }
  } catch (err) {
    await stop();
    throw err;
  }

  const query = async (q: string): Promise<PromQueryResponse> => {
    const res = await fetch(`${url}/api/v1/query?${new URLSearchParams({ query: q }).toString()}`, { signal: AbortSignal.timeout(5_000) });
    return (await res.json()) as PromQueryResponse;
  };

  return {
    url,
    stop,
    query,
    async waitForSeries(q, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      let last: unknown;
      for (;;) {
        try {
          const r = await query(q);
          if (r.status === 'success' && r.data?.resultType === 'vector' && r.data.result.length > 0) return;
          last = r;
        } catch (err) {
          last = err instanceof Error ? err.message : err;
        }
        if (Date.now() > deadline) {
          throw new Error(`timed out waiting for series of ${q}; last answer: ${JSON.stringify(last)}; prometheus log:\n${await log()}`);
        }
        await sleep(200);
      }
    },
  };
}

/** Polls `/-/ready` until 200 (true) or the process exits or the time is up (false). */
async function ready(url: string, proc: ChildProcess, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null || proc.signalCode !== null) return false;
    try {
      const res = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(2_000) });
      if (res.status === 200) return true;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  return false;
}
