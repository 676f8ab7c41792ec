/**
 * Simulated apiserver with a state file: objects survive a restart exactly (names, UIDs, resourceVersions),
 * resourceVersions keep increasing across it, and a watch resuming from before the restart gets 410 Gone — the
 * restarted server's watch cache starts empty, as a real apiserver's does.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSimApiServer } from '../../src/sim/apiserver/index.js';
import { KRUISE, NS, type Sim, WatchRecorder, asMerge, cloneSetManifest, podManifest, startSim, until } from './apiserver-helpers.js';

const PODS = `/api/v1/namespaces/${NS}/pods`;
const CLONESETS = `/apis/${KRUISE.group}/${KRUISE.version}/namespaces/${NS}/${KRUISE.plural}`;
let dir: string;
let statePath: string;
const open: Sim[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sim-state-'));
  statePath = join(dir, 'cluster.json');
});
afterEach(async () => {
  for (const s of open.splice(0)) await s.server.close();
  await rm(dir, { recursive: true, force: true });
});

async function start(extra: Parameters<typeof startSim>[0] = {}): Promise<Sim> {
  const sim = await startSim({ statePath, ...extra });
  open.push(sim);
  return sim;
}

async function stop(sim: Sim): Promise<void> {
  open.splice(open.indexOf(sim), 1);
  await sim.server.close();
}

async function listRv(sim: Sim): Promise<number> {
  return Number((await sim.core.listNamespacedPod({ namespace: NS })).metadata!.resourceVersion);
}

describe('state file', () => {
  it('round trip: every object comes back exactly as stored', async () => {
    const first = await start();
    await first.core.createNamespacedPod({ namespace: NS, body: podManifest('a', { app: 'x' }) });
    await first.core.createNamespacedPod({ namespace: NS, body: podManifest('b', { app: 'x' }) });
    await first.core.patchNamespacedPod({ namespace: NS, name: 'a', body: { metadata: { labels: { step: '1' } } } }, asMerge);
    await first.core.patchNamespacedPodStatus({ namespace: NS, name: 'a', body: { status: { phase: 'Running' } } }, asMerge);
    await first.custom.createNamespacedCustomObject({ ...KRUISE, namespace: NS, body: cloneSetManifest('web', 2) });
    await first.core.createNamespace({ body: { metadata: { name: 'other' } } }).catch(() => undefined);
    await first.core.createNamespacedPod({ namespace: 'other', body: podManifest('c') });
    const pods = (await first.core.listPodForAllNamespaces()).items;
    const cs = await first.custom.getNamespacedCustomObject({ ...KRUISE, namespace: NS, name: 'web' });
    await stop(first);

    const saved = JSON.parse(await readFile(statePath, 'utf8')) as { kind: string; version: number; resourceVersion: number };
    expect(saved).toMatchObject({ kind: 'SimClusterState', version: 1 });
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);

    const second = await start();
    expect((await second.core.listPodForAllNamespaces()).items).toEqual(pods);
    expect(await second.custom.getNamespacedCustomObject({ ...KRUISE, namespace: NS, name: 'web' })).toEqual(cs);
    expect(pods.map((p) => p.metadata!.uid)).toHaveLength(3);
    // optimistic concurrency carries over: the stored resourceVersion is the one to update from
    const a = pods.find((p) => p.metadata!.name === 'a')!;
    const updated = await second.core.replaceNamespacedPod({ namespace: NS, name: 'a', body: { ...a, metadata: { ...a.metadata, labels: { step: '2' } } } });
    expect(updated.metadata!.uid).toBe(a.metadata!.uid);
  });

  it('resourceVersions continue after the highest stored, deletions included', async () => {
    const first = await start();
    await first.core.createNamespacedPod({ namespace: NS, body: podManifest('a') });
    await first.core.createNamespacedPod({ namespace: NS, body: podManifest('gone') });
    await first.core.deleteNamespacedPod({ namespace: NS, name: 'gone' });
    const before = await listRv(first); // the deletion's version: newer than any object left
    await stop(first);

    const second = await start();
    expect(await listRv(second)).toBe(before);
    const b = await second.core.createNamespacedPod({ namespace: NS, body: podManifest('b') });
    expect(Number(b.metadata!.resourceVersion)).toBeGreaterThan(before);
    await stop(second);

    const third = await start();
    const c = await third.core.createNamespacedPod({ namespace: NS, body: podManifest('c') });
    expect(Number(c.metadata!.resourceVersion)).toBeGreaterThan(Number(b.metadata!.resourceVersion));
  });

  it('a watch from a resourceVersion before the restart gets 410 Expired; from the restored list it resumes', async () => {
    const first = await start();
    const a = await first.core.createNamespacedPod({ namespace: NS, body: podManifest('a') });
    await first.custom.createNamespacedCustomObject({ ...KRUISE, namespace: NS, body: cloneSetManifest('web') });
    const last = await listRv(first);
    await stop(first);

    const second = await start();
    for (const [path, rv] of [
      [PODS, a.metadata!.resourceVersion!],
      [PODS, String(last - 1)],
      [CLONESETS, a.metadata!.resourceVersion!],
      // a resource nothing was written to before the restart
      [`/api/v1/namespaces/${NS}/events`, a.metadata!.resourceVersion!],
    ] as const) {
      const w = await new WatchRecorder(second, path, { resourceVersion: rv }).start();
      expect(await w.done).toBeNull();
      expect(w.events).toHaveLength(1);
      expect(w.events[0]!.type).toBe('ERROR');
      expect(w.events[0]!.obj).toMatchObject({ kind: 'Status', reason: 'Expired', code: 410 });
      expect(w.events[0]!.obj.message).toMatch(new RegExp(`^too old resource version: ${rv} \\(${last}\\)$`));
    }

    // what a client does on 410: list again and watch from the list's version
    const rv = await listRv(second);
    expect(rv).toBe(last);
    const w = await new WatchRecorder(second, PODS, { resourceVersion: String(rv) }).start();
    await second.core.createNamespacedPod({ namespace: NS, body: podManifest('b') });
    await until(() => w.events.length === 1);
    expect(w.summary()).toEqual(['ADDED b']);
    w.stop();
  });

  it('saves while running (debounced, atomically), not only on close', async () => {
    const sim = await start({ stateSaveDelayMs: 20 });
    expect(existsSync(statePath)).toBe(false); // nothing written yet: nothing changed
    const p = await sim.core.createNamespacedPod({ namespace: NS, body: podManifest('a') });
    const savedUids = () => {
      if (!existsSync(statePath)) return [];
      const saved = JSON.parse(readFileSync(statePath, 'utf8')) as { resources: Record<string, { metadata: { uid: string } }[]> };
      return (saved.resources['/pods'] ?? []).map((o) => o.metadata.uid);
    };
    await until(() => savedUids()[0] === p.metadata!.uid, 10_000);
    // a server killed now (no close) restarts with the Pod
    const copy = join(dir, 'copy.json');
    await writeFile(copy, await readFile(statePath));
    const other = await startSimApiServer({ statePath: copy });
    try {
      const pods = (await other.kubeConfig().makeApiClient(CoreV1Api).listNamespacedPod({ namespace: NS })).items;
      expect(pods.map((x) => x.metadata!.uid)).toEqual([p.metadata!.uid]);
    } finally {
      await other.close();
    }
  });

  it('refuses a file that is not a saved cluster instead of starting empty', async () => {
    await writeFile(statePath, '{"kind":"Something"}');
    await expect(startSimApiServer({ statePath })).rejects.toThrow(/cluster\.json: not a saved simulated cluster/);
    await writeFile(statePath, '{"kind":"SimClusterState", "version": 1, "resourceVe');
    await expect(startSimApiServer({ statePath })).rejects.toThrow(/not a saved simulated cluster/);
  });
});
