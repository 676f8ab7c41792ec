import { describe, expect, it } from 'vitest';
import { NodeLoad, PodIPAllocator, hostIPFor, makeNodes } from '../../src/sim/kubelet/scheduler.js';

describe('fake nodes and scheduling', () => {
  it('makes node-1..N with distinct host IPs', () => {
    const nodes = makeNodes(3);
    expect(nodes).toEqual([
      { name: 'node-1', hostIP: '172.18.0.2' },
      { name: 'node-2', hostIP: '172.18.0.3' },
      { name: 'node-3', hostIP: '172.18.0.4' },
    ]);
    expect(() => makeNodes(0)).toThrow();
  });

  it('host IP of an unknown node name is stable and outside the fake nodes range', () => {
    const nodes = makeNodes(2);
    expect(hostIPFor('node-2', nodes)).toBe('172.18.0.3');
    expect(hostIPFor('worker-a', nodes)).toMatch(/^172\.19\.\d+\.\d+$/);
    expect(hostIPFor('worker-a', nodes)).toBe(hostIPFor('worker-a', nodes));
  });

  it('picks the least-loaded node, round-robin among ties', () => {
    const load = new NodeLoad(makeNodes(3));
    const picks: string[] = [];
    for (let i = 0; i < 6; i++) {
      const n = load.pick();
      picks.push(n);
      load.assign(`u${i}`, n);
    }
    expect(picks).toEqual(['node-1', 'node-2', 'node-3', 'node-1', 'node-2', 'node-3']);
    load.release('u1'); // node-2 now has 1
    expect(load.pick()).toBe('node-2');
    load.assign('u0', 'node-3'); // move: node-1 1, node-3 3
    expect(load.snapshot()).toEqual({ 'node-1': 1, 'node-2': 1, 'node-3': 3 });
    load.assign('x', 'elsewhere'); // pods on nodes we did not invent are counted, never picked
    expect(load.snapshot().elsewhere).toBe(1);
    expect(['node-1', 'node-2']).toContain(load.pick());
  });
});

describe('PodIPAllocator', () => {
  it('hands out unique addresses, skipping reserved ones, and does not reuse a released one at once', () => {
    const ips = new PodIPAllocator();
    expect(ips.reserve('10.244.0.2')).toBe(true);
    expect(ips.reserve('10.244.0.2')).toBe(false);
    const a = ips.allocate();
    const b = ips.allocate();
    expect([a, b]).toEqual(['10.244.0.1', '10.244.0.3']);
    ips.release(a);
    expect(ips.allocate()).toBe('10.244.0.4');
    const many = new Set(Array.from({ length: 1000 }, () => ips.allocate()));
    expect(many.size).toBe(1000);
    for (const ip of many) expect(ip).toMatch(/^10\.24[4-7]\.\d{1,3}\.([1-9]\d?|1\d\d|2[0-4]\d|25[0-4])$/);
  });
});
