/**
 * Per-Pod request metrics of the simulated kubelet, as a real kubelet (or a service mesh sidecar) would let
 * Prometheus scrape them: one `http_requests_total` counter per running container and response code.
 *
 * Every running container answers `requestsPerSecond` requests a second from the instant it started, as the
 * kubelet's runtime records it (`ContainerRuntime.startedAt`, on the kubelet's clock); a container whose image
 * matches `errorImages` fails `errorRatio` of them with a 500. A restarted container (an in-place image update)
 * starts new counters for its new image — a counter reset, which Prometheus' `rate()` handles.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { PodRuntime } from './runtime.js';
import type { Pod } from './types.js';

/** The kubelet's metrics endpoint (`SimKubeletOptions.metrics`). */
export interface SimKubeletMetricsOptions {
  /** TCP port on 127.0.0.1; 0 or undefined: an ephemeral one. */
  port?: number;
  /** Requests each running container answers per second. Default 10. */
  requestsPerSecond?: number;
  /** Regular expression source: a container whose image matches it answers requests with errors. Default: none. */
  errorImages?: string;
  /** Share of a matching container's requests that fail (code 500), 0..1. Default 1: every one. */
  errorRatio?: number;
}

/** The metrics options with their defaults applied. */
export interface MetricsModel {
  requestsPerSecond: number;
  /** undefined: no image answers with errors. */
  errorImages?: RegExp;
  errorRatio: number;
}

/** Default of `requestsPerSecond`. */
export const DEFAULT_REQUESTS_PER_SECOND = 10;

/** The counters of one running container. */
export interface ContainerSample {
  namespace: string;
  pod: string;
  container: string;
  /** The image of the running instance. */
  image: string;
  /** The Pod's `controller-revision-hash` label; '' without one. */
  revision: string;
  /** Requests answered since the instance started (every code). */
  requests: number;
  /** Of which failed (code 500). */
  errors: number;
}

/** Applies the defaults of {@link SimKubeletMetricsOptions}; throws on a ratio outside 0..1 or a bad pattern. */
export function metricsModel(opts: SimKubeletMetricsOptions): MetricsModel {
  const errorRatio = opts.errorRatio ?? 1;
  if (!(errorRatio >= 0 && errorRatio <= 1)) throw new Error(`metrics.errorRatio: ${errorRatio} must be between 0 and 1`);
  const requestsPerSecond = opts.requestsPerSecond ?? DEFAULT_REQUESTS_PER_SECOND;
  if (!(requestsPerSecond >= 0)) throw new Error(`metrics.requestsPerSecond: ${requestsPerSecond} must be ≥ 0`);
  return { requestsPerSecond, errorRatio, ...(opts.errorImages ? { errorImages: new RegExp(opts.errorImages) } : {}) };
}

const REVISION_LABEL = 'controller-revision-hash';

/**
 * The counters at `now` (epoch ms, the kubelet's clock) of every running container of the given Pods, sorted by
 * namespace, Pod and container. Terminated Pods and containers not running (being pulled, restarted, exited) have
 * none.
 */
export function containerSamples(pods: Iterable<{ pod: Pod; runtime: PodRuntime }>, now: number, model: MetricsModel): ContainerSample[] {
  const out: ContainerSample[] = [];
  for (const { pod, runtime } of pods) {
    if (runtime.terminated) continue;
    const labels = pod.metadata.labels as Record<string, string> | undefined;
    const revision = typeof labels?.[REVISION_LABEL] === 'string' ? labels[REVISION_LABEL] : '';
    for (const c of pod.spec.containers) {
      const cr = runtime.containers[c.name];
      if (cr?.phase !== 'running' || cr.startedAt === undefined) continue;
      const requests = Math.floor((Math.max(0, now - cr.startedAt) / 1000) * model.requestsPerSecond);
      const errors = model.errorImages?.test(cr.image) ? Math.floor(requests * model.errorRatio) : 0;
      out.push({ namespace: pod.metadata.namespace ?? 'default', pod: pod.metadata.name, container: c.name, image: cr.image, revision, requests, errors });
    }
  }
  const key = (s: ContainerSample) => [s.namespace, s.pod, s.container] as const;
  return out.sort((a, b) => {
    const [x, y] = [key(a), key(b)];
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i]! < y[i]! ? -1 : 1;
    return 0;
  });
}

/** A label value in the text exposition format: backslash, double quote and newline escaped. */
function labelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/**
 * Prometheus text exposition (version 0.0.4) of the samples: `http_requests_total` with its HELP and TYPE lines,
 * two series per container — `code="200"` (requests − errors) and `code="500"` (errors, 0 for a healthy image, so an
 * error ratio is 0 rather than absent).
 */
export function renderMetrics(samples: readonly ContainerSample[]): string {
  const lines = ['# HELP http_requests_total HTTP requests answered by each running container, by response code.', '# TYPE http_requests_total counter'];
  for (const s of samples) {
    const base = `namespace="${labelValue(s.namespace)}",pod="${labelValue(s.pod)}",container="${labelValue(s.container)}",image="${labelValue(s.image)}",revision="${labelValue(s.revision)}"`;
    lines.push(`http_requests_total{${base},code="200"} ${s.requests - s.errors}`);
    lines.push(`http_requests_total{${base},code="500"} ${s.errors}`);
  }
  return `${lines.join('\n')}\n`;
}

/** A running metrics endpoint. */
export interface MetricsServer {
  /** `http://127.0.0.1:PORT/metrics`. */
  url: string;
  close(): Promise<void>;
}

/** Serves `render()` at `/metrics` on 127.0.0.1:`port` (0: an ephemeral port); every other path is 404. */
export async function startMetricsServer(render: () => string, port: number, log: Logger): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
      return;
    }
    let body: string;
    try {
      body = render();
    } catch (err) {
      log.warn({ err }, 'rendering kubelet metrics failed');
      res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('error\n');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(req.method === 'HEAD' ? undefined : body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
  log.info({ url }, 'sim kubelet metrics listening');
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
