/**
 * CPU time of the processes a benchmark runs, from /proc (Linux): user + system seconds, the process's own threads
 * plus its waited-for children. A benchmark takes a {@link CpuMeter} before and after the part it measures.
 */
import { readdirSync, readFileSync } from 'node:fs';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';

/** Kernel clock ticks per second (USER_HZ): 100 on every Linux build Node runs on. */
const TICKS = 100;

/** User + system CPU seconds of `pid` so far (0 if it has exited). */
export function cpuSeconds(pid: number): number {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return 0;
  }
  // The command name (field 2) may hold spaces: the fields after it start past its closing parenthesis.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14–17 of proc(5) (utime, stime, cutime, cstime) are at 11–14 here (field 3 is at 0).
  return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / TICKS;
}

/** The first process whose command line (NUL-separated arguments) holds every one of `parts`, or undefined. */
export function findPid(parts: string[]): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let args: string[];
    try {
      args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (parts.every((p) => args.includes(p))) return Number(entry);
  }
  return undefined;
}

/** The Temporal dev server listening on `address` (host:port), found by its command line. */
export function temporalServerPid(address: string): number | undefined {
  const port = address.split(':').pop()!;
  return findPid(['start-dev', '--port', port]);
}

/**
 * User + system CPU seconds of `pid` and its live children (e.g. a PostgreSQL postmaster and its backends): the
 * children that exited are in the parent's waited-for time already.
 */
export function treeCpuSeconds(pid: number): number {
  let total = cpuSeconds(pid);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) total += cpuSeconds(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return total;
}

/** A process to meter: its pid, or `{ tree: pid }` for it and its children. */
export type Metered = number | { tree: number } | undefined;

const seconds = (m: Exclude<Metered, undefined>) => (typeof m === 'number' ? cpuSeconds(m) : treeCpuSeconds(m.tree));

/** CPU seconds per process between {@link CpuMeter.start} and {@link CpuMeter.stop}. */
export class CpuMeter {
  private readonly before = new Map<string, number>();
  constructor(private readonly pids: Record<string, Metered>) {}

  start(): this {
    for (const [name, pid] of Object.entries(this.pids)) if (pid !== undefined) this.before.set(name, seconds(pid));
    return this;
  }

  /** Seconds used since start, by process name. */
  stop(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [name, pid] of Object.entries(this.pids)) if (pid !== undefined) out[name] = seconds(pid) - this.before.get(name)!;
    return out;
  }
}

/** `cpu` (seconds by process) per 1,000 Pod updates, rounded to 0.01 s, with the total. */
export function perThousand(cpu: Record<string, number>, podUpdates: number): Record<string, number> {
  const k = 1000 / podUpdates;
  const out: Record<string, number> = {};
  let total = 0;
  for (const [name, s] of Object.entries(cpu)) {
    out[name] = +(s * k).toFixed(2);
    total += s * k;
  }
  out.total = +total.toFixed(2);
  return out;
}

/** GETs `path` from the apiserver with the kubeconfig's credentials: the body. */
export async function apiserverGet(kc: KubeConfig, path: string): Promise<Buffer> {
  const server = kc.getCurrentCluster()!.server;
  const opts: https.RequestOptions = {};
  await kc.applyToHTTPSOptions(opts);
  return new Promise<Buffer>((resolve, reject) => {
    https
      .get(`${server}${path}`, opts, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(Buffer.concat(chunks)));
      })
      .on('error', reject);
  });
}

/** The apiserver's `apiserver_request_total`, summed by `VERB resource[/subresource]` (its /metrics, admin credentials). */
export async function apiserverRequests(kc: KubeConfig): Promise<Record<string, number>> {
  const text = (await apiserverGet(kc, '/metrics')).toString('utf8');
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const labels = Object.fromEntries([...line.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    const key = `${labels.verb} ${labels.resource}${labels.subresource ? `/${labels.subresource}` : ''}`;
    out[key] = (out[key] ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return out;
}

/** `after − before`, the non-zero entries, largest first. */
export function diffCounts(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(after)
      .map(([k, v]) => [k, v - (before[k] ?? 0)] as const)
      .filter(([, v]) => v > 0)
      .sort((a, b) => b[1] - a[1]),
  );
}
