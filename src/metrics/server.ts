/**
 * The process's tiny HTTP endpoint for Kubernetes probes and Prometheus:
 * - `/healthz` — liveness: 200 while the event loop answers;
 * - `/readyz` — readiness: 200 when every registered check passes (worker polling, controller watch synced), else 503
 *   with the failing checks named;
 * - `/metrics` — the project's rollout metrics, followed by the Temporal SDK's own metrics when the SDK's Prometheus
 *   exporter runs (fetched from its bind address), so one scrape target carries both.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';

export interface HealthServerOptions {
  /** TCP port; 0 picks a free one. */
  port: number;
  /** Default '0.0.0.0' (probes come from the kubelet, scrapes from Prometheus). */
  host?: string;
  /** Named readiness checks; /readyz is 200 only when all return true. */
  checks?: Record<string, () => boolean>;
  /** Text exposition of our own metrics. */
  metrics?: () => Promise<string>;
  /** host:port of the Temporal SDK's Prometheus exporter, appended to /metrics. */
  sdkMetricsAddress?: string;
  logger?: Logger;
}

export interface HealthServer {
  port: number;
  close(): Promise<void>;
}

export async function startHealthServer(opts: HealthServerOptions): Promise<HealthServer> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    void handle(path ?? '/', opts).then(
      ({ status, body, type }) => {
        res.writeHead(status, { 'content-type': type ?? 'text/plain; charset=utf-8' });
        res.end(body);
      },
      (err: unknown) => {
        opts.logger?.warn({ err: (err as Error).message, path }, 'health endpoint failed');
        res.writeHead(500).end('error\n');
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '0.0.0.0', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  opts.logger?.info({ port }, 'health and metrics endpoint listening (/healthz /readyz /metrics)');
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function handle(path: string, opts: HealthServerOptions): Promise<{ status: number; body: string; type?: string }> {
  switch (path) {
    case '/healthz':
      return { status: 200, body: 'ok\n' };
    case '/readyz': {
      const failing = Object.entries(opts.checks ?? {})
        .filter(([, check]) => !safe(check))
        .map(([name]) => name);
      return failing.length === 0 ? { status: 200, body: 'ok\n' } : { status: 503, body: `not ready: ${failing.join(', ')}\n` };
    }
    case '/metrics': {
      const ours = opts.metrics ? await opts.metrics() : '';
      const sdk = opts.sdkMetricsAddress ? await scrape(`http://${opts.sdkMetricsAddress}/metrics`) : '';
      return { status: 200, body: ours + (ours.endsWith('\n') || !ours ? '' : '\n') + sdk, type: 'text/plain; version=0.0.4; charset=utf-8' };
    }
    default:
      return { status: 404, body: 'not found\n' };
  }
}

function safe(check: () => boolean): boolean {
  try {
    return check();
  } catch {
    return false;
  }
}

/** The SDK exporter's text; an unreachable exporter must not break our own metrics. */
async function scrape(url: string): Promise<string> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    return res.ok ? await res.text() : '';
  } catch {
    return '';
  }
}
