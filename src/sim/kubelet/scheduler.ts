/**
 * Pure helpers of the simulated scheduler and pod network: the fake nodes, least-loaded node choice and a
 * pod IP allocator. No Node objects exist in the apiserver; nodes are just names and IPs.
 */
import { createHash } from 'node:crypto';

/** A fake node. */
export interface SimNode {
  /** `node-1` … `node-N`. */
  name: string;
  /** `172.18.0.<i+1>` (kind-like), reported as status.hostIP of its pods. */
  hostIP: string;
}

/** `count` fake nodes node-1..node-N. */
export function makeNodes(count: number): SimNode[] {
  if (!Number.isInteger(count) || count < 1 || count > 250) throw new Error(`nodes must be an integer in 1..250, got ${count}`);
  return Array.from({ length: count }, (_, i) => ({ name: `node-${i + 1}`, hostIP: `172.18.0.${i + 2}` }));
}

/**
 * Host IP for a node name: the fake node's IP, or — for a pod someone bound to a node name we did not
 * invent — a stable address in 172.19.0.0/16 derived from the name (we play every node of the cluster).
 */
export function hostIPFor(nodeName: string, nodes: readonly SimNode[]): string {
  const known = nodes.find((n) => n.name === nodeName);
  if (known) return known.hostIP;
  const h = createHash('sha256').update(nodeName).digest();
  return `172.19.${h[0]!}.${(h[1]! % 254) + 1}`;
}

/**
 * Number of live pods per node, with least-loaded choice. Ties are broken round-robin so an empty cluster
 * fills node-1, node-2, node-3, node-1, ... O(nodes) per choice.
 */
export class NodeLoad {
  private readonly load = new Map<string, number>();
  private readonly nodeOf = new Map<string, string>();
  private cursor = 0;

  constructor(private readonly nodes: readonly SimNode[]) {
    for (const n of nodes) this.load.set(n.name, 0);
  }

  /** Record that pod `uid` is on `node` (idempotent; moves it if it was counted elsewhere). */
  assign(uid: string, node: string): void {
    const prev = this.nodeOf.get(uid);
    if (prev === node) return;
    if (prev !== undefined) this.load.set(prev, (this.load.get(prev) ?? 1) - 1);
    this.nodeOf.set(uid, node);
    this.load.set(node, (this.load.get(node) ?? 0) + 1);
  }

  /** Forget pod `uid`. */
  release(uid: string): void {
    const prev = this.nodeOf.get(uid);
    if (prev === undefined) return;
    this.nodeOf.delete(uid);
    this.load.set(prev, (this.load.get(prev) ?? 1) - 1);
  }

  /** The node a new pod should go to (does not record it: call `assign`). */
  pick(): string {
    let best = -1;
    let bestLoad = Infinity;
    for (let k = 0; k < this.nodes.length; k++) {
      const i = (this.cursor + k) % this.nodes.length;
      const l = this.load.get(this.nodes[i]!.name) ?? 0;
      if (l < bestLoad) {
        bestLoad = l;
        best = i;
      }
    }
    this.cursor = (best + 1) % this.nodes.length;
    return this.nodes[best]!.name;
  }

  /** Pods per node (for tests and logs). */
  snapshot(): Record<string, number> {
    return Object.fromEntries(this.load);
  }
}

/** Number of usable pod addresses: 10.244.0.1 … 10.247.255.254 (last octet 1..254). */
const POD_IP_SPACE = 4 * 256 * 254;

function podIPAt(n: number): string {
  const block = Math.floor(n / 254);
  return `10.${244 + Math.floor(block / 256)}.${block % 256}.${(n % 254) + 1}`;
}

/**
 * Unique pod IPs from 10.244.0.0/14. Addresses are handed out sequentially and only reused after the whole
 * space has been cycled, so a deleted pod's IP does not immediately show up on a new pod.
 */
export class PodIPAllocator {
  private readonly used = new Set<string>();
  private next = 0;

  /** Mark an address as taken (e.g. found in an existing pod's status); false if it already was. */
  reserve(ip: string): boolean {
    if (this.used.has(ip)) return false;
    this.used.add(ip);
    return true;
  }

  allocate(): string {
    for (let tries = 0; tries < POD_IP_SPACE; tries++) {
      const ip = podIPAt(this.next);
      this.next = (this.next + 1) % POD_IP_SPACE;
      if (!this.used.has(ip)) {
        this.used.add(ip);
        return ip;
      }
    }
    throw new Error('pod IP space exhausted');
  }

  release(ip: string): void {
    this.used.delete(ip);
  }

  get size(): number {
    return this.used.size;
  }
}
