/**
 * Picking TCP ports for servers we start as child processes (the Temporal dev server), which we cannot hand an
 * already-bound socket to.
 *
 * A port the kernel hands out for port 0 comes from its ephemeral range, the same range it draws from for every
 * outgoing connection and every other bind(0) on the machine — including the several internal ports the Temporal dev
 * server picks for itself. Released again so the child can bind it, such a port can be taken by any of those before the
 * child gets to it. {@link freePort} therefore picks ports *below* the ephemeral range, which the kernel never hands out
 * on its own: only a process that names the port explicitly can take it. It checks the port by binding it, and never
 * hands out the same port twice within a minute in this process. That narrows the race to other processes choosing
 * explicit ports at random at the same moment; callers still retry with new ports when the child reports a bind error
 * (see dev-server.ts).
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';

/** Lowest port picked from; below it live many well-known services. */
const LOW = 10_000;
/** Random candidates tried below the ephemeral range before falling back to the kernel's choice. */
const CANDIDATES = 64;
/** How long a port handed out stays reserved against being handed out again by this process. */
const RESERVE_MS = 60_000;

const handedOut = new Map<number, number>();

/** First port of the kernel's ephemeral range (Linux: ip_local_port_range; elsewhere the IANA range, 49152). */
export function ephemeralRangeStart(): number {
  try {
    const [lo] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (lo && Number.isInteger(lo)) return lo;
  } catch {
    // not Linux
  }
  return 49_152;
}

function listen(port: number, host: string): Promise<Server | null> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolve(null));
    srv.listen({ port, host, exclusive: true }, () => resolve(srv));
  });
}

function close(srv: Server): Promise<void> {
  return new Promise((resolve) => srv.close(() => resolve()));
}

function reserved(port: number, now: number): boolean {
  const at = handedOut.get(port);
  if (at === undefined) return false;
  if (now - at < RESERVE_MS) return true;
  handedOut.delete(port);
  return false;
}

/**
 * A loopback TCP port free at the time of the call: random below the ephemeral range (see the module comment),
 * else the kernel's choice. Released before returning, so a child process can bind it.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const now = Date.now();
  const high = ephemeralRangeStart();
  if (high - LOW >= 1_000) {
    for (let i = 0; i < CANDIDATES; i++) {
      const port = LOW + Math.floor(Math.random() * (high - LOW));
      if (reserved(port, now)) continue;
      const srv = await listen(port, host);
      if (!srv) continue;
      await close(srv);
      handedOut.set(port, now);
      return port;
    }
  }
  for (;;) {
    const srv = await listen(0, host);
    if (!srv) throw new Error(`cannot bind a TCP port on ${host}`);
    const addr = srv.address();
    await close(srv);
    if (typeof addr !== 'object' || !addr) throw new Error('no port');
    if (reserved(addr.port, now)) continue;
    handedOut.set(addr.port, now);
    return addr.port;
  }
}

/** The ports named by Go's `listen tcp HOST:PORT: bind: address already in use` errors in a child's output. */
export function portsInUse(output: string): number[] {
  const ports = new Set<number>();
  for (const m of output.matchAll(/listen tcp \S*?:(\d{1,5}): bind: address already in use/g)) ports.add(Number(m[1]));
  return [...ports];
}

/** Whether a child's output reports that a port it wanted was taken. */
export function isBindError(output: string): boolean {
  return /address already in use|EADDRINUSE/i.test(output);
}
