/**
 * Simulated apiserver: fault injection (errors, latency, after-commit
 * failures, watch faults), counters, and the loopback-only listener.
 */
import { ApiException } from '@kubernetes/client-node';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSimApiServer } from '../../src/sim/apiserver/index.js';
import { type Sim, NS, WatchRecorder, asMerge, expectStatus, podManifest, startSim } from './apiserver-helpers.js';

let sim: Sim;
beforeAll(async () => {
  sim = await startSim({ faultSeed: 42 });
  for (const name of ['f1', 'f2', 'f3']) await sim.core.createNamespacedPod({ namespace: NS, body: podManifest(name) });
});
afterAll(() => sim.server.close());
beforeEach(() => sim.server.faults.clear());

const patchLabel = (name: string, v: string) => sim.core.patchNamespacedPod({ namespace: NS, name, body: { metadata: { labels: { v } } } }, asMerge);
const patchStatus = (name: string, phase: string) => sim.core.patchNamespacedPodStatus({ namespace: NS, name, body: { status: { phase } } }, asMerge);

describe('injected errors', () => {
  it.each([
    [500, 'InternalError', 'Internal error occurred: injected fault'],
    [503, 'ServiceUnavailable', 'the server is currently unable to handle the request'],
    [
      409,
      'Conflict',
      'Operation cannot be fulfilled on pods "f1": the object has been modified; please apply your changes to the latest version and try again',
    ],
    [429, 'TooManyRequests', 'Too many requests, please try again later.'],
  ] as const)('code %i answers a %s Status and is counted', async (code, reason, message) => {
    const before = sim.server.faults.injected()[`patch:pods:${code}`] ?? 0;
    sim.server.faults.set({ verb: 'patch', resource: 'pods', code });
    const s = await expectStatus(patchLabel('f1', `c${code}`), code, reason);
    expect(s.message).toBe(message);
    expect(sim.server.faults.injected()[`patch:pods:${code}`]).toBe(before + 1);
    // the request had no effect
    const pod = await sim.core.readNamespacedPod({ namespace: NS, name: 'f1' });
    expect(pod.metadata?.labels?.v).not.toBe(`c${code}`);
  });

  it('429 carries Retry-After', async () => {
    sim.server.faults.set({ verb: 'get', resource: 'pods', code: 429 });
    const err = (await sim.core.readNamespacedPod({ namespace: NS, name: 'f1' }).catch((e: unknown) => e)) as ApiException<string>;
    expect(err).toBeInstanceOf(ApiException);
    expect(err.headers['retry-after']).toBe('1');
    expect(JSON.parse(err.body).details).toEqual({ retryAfterSeconds: 1 });
  });

  it('fails about errorRate of the matching requests, reproducibly with a seed', async () => {
    sim.server.faults.set({ verb: 'get', resource: 'pods', errorRate: 0.3, code: 503 });
    const before = sim.server.faults.injected()['get:pods:503'] ?? 0;
    let failed = 0;
    for (let i = 0; i < 200; i++) {
      await sim.core.readNamespacedPod({ namespace: NS, name: 'f2' }).catch(() => failed++);
    }
    expect(failed).toBeGreaterThan(30);
    expect(failed).toBeLessThan(90);
    expect(sim.server.faults.injected()['get:pods:503']).toBe(before + failed);
  });

  it('matches verb, resource and subresource precisely', async () => {
    sim.server.faults.set({ verb: 'patch', resource: 'pods', subresource: 'status', code: 500 });
    await expectStatus(patchStatus('f2', 'Running'), 500, 'InternalError');
    await patchLabel('f2', 'main-ok');
    await sim.core.readNamespacedPod({ namespace: NS, name: 'f2' });
    expect(sim.server.faults.injected()['patch:pods/status:500']).toBe(1);

    sim.server.faults.clear();
    sim.server.faults.set({ verb: 'patch', resource: 'pods', subresource: '', code: 500 });
    await patchStatus('f2', 'Running');
    await expectStatus(patchLabel('f2', 'main-fails'), 500, 'InternalError');
  });

  it('clear(id) removes a single rule', async () => {
    const id = sim.server.faults.set({ resource: '*', code: 503 });
    await expectStatus(sim.core.listNamespacedPod({ namespace: NS }), 503, 'ServiceUnavailable');
    sim.server.faults.clear(id);
    await sim.core.listNamespacedPod({ namespace: NS });
  });

  it('afterCommit stores the write but reports failure, as a lost response would', async () => {
    sim.server.faults.set({ verb: 'patch', resource: 'pods', code: 500, afterCommit: true });
    await expectStatus(patchLabel('f3', 'committed'), 500, 'InternalError');
    const pod = await sim.core.readNamespacedPod({ namespace: NS, name: 'f3' });
    expect(pod.metadata?.labels?.v).toBe('committed');
  });

  it('a faulted watch request fails before streaming', async () => {
    sim.server.faults.set({ verb: 'watch', resource: 'pods', code: 503 });
    const w = await new WatchRecorder(sim, `/api/v1/namespaces/${NS}/pods`).start();
    expect(((await w.done) as { statusCode?: number }).statusCode).toBe(503);
    expect(sim.server.faults.injected()['watch:pods:503']).toBe(1);
  });
});

describe('injected latency', () => {
  it('delays matching requests and counts them', async () => {
    sim.server.faults.set({ verb: 'get', resource: 'pods', latencyMs: 150 });
    const t0 = performance.now();
    await sim.core.readNamespacedPod({ namespace: NS, name: 'f1' });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
    const t1 = performance.now();
    await sim.core.listNamespacedPod({ namespace: NS });
    expect(performance.now() - t1).toBeLessThan(140);
    expect(sim.server.faults.injected()['get:pods:latency']).toBeGreaterThanOrEqual(1);
  });
});

describe('server', () => {
  it('counts requests and writes', async () => {
    const before = sim.server.stats();
    await sim.core.readNamespacedPod({ namespace: NS, name: 'f1' });
    await patchLabel('f1', `w${Date.now()}`);
    const after = sim.server.stats();
    expect(after.requests - before.requests).toBe(2);
    expect(after.writes - before.writes).toBe(1);
  });

  it('listens on loopback only', async () => {
    expect(new URL(sim.server.url).hostname).toBe('127.0.0.1');
    expect(sim.server.kubeconfigYaml()).toContain(`server: ${sim.server.url}`);
    await expect(startSimApiServer({ host: '0.0.0.0' })).rejects.toThrow(/loopback/);
    await expect(startSimApiServer({ host: '192.168.1.10' })).rejects.toThrow(/loopback/);
  });

  it('close() ends open watches', async () => {
    const other = await startSim();
    const w = await new WatchRecorder(other, `/api/v1/namespaces/${NS}/pods`).start();
    await other.server.close();
    expect(await w.done).toBeNull();
  });
});
