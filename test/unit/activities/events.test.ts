/**
 * Event series on the simulated apiserver: occurrences of one reason on one object fold into one Event (count,
 * lastTimestamp, combined message); another reason, another object or a gap longer than the window starts a new one;
 * concurrent occurrences never lose a count; an Event deleted meanwhile is created again with the whole count.
 */
import { CoreV1Api, KubeConfig, type CoreV1Event } from '@kubernetes/client-node';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventSeries, SERIES_WINDOW_MS, seriesMessage } from '../../../src/activities/events.js';
import type { EventTarget } from '../../../src/activities/context.js';
import { startSimCluster, type SimCluster } from '../../../src/sim/index.js';

const log = pino({ level: 'silent' });
let cluster: SimCluster;
let core: CoreV1Api;
beforeAll(async () => {
  cluster = await startSimCluster({ apiserver: { port: 0 }, kubelet: false });
  core = cluster.kubeConfig().makeApiClient(CoreV1Api);
});
afterAll(async () => {
  await cluster?.stop();
});

const target = (namespace: string, name = 'web', uid = `uid-${name}`): EventTarget => ({
  kind: 'CloneSet',
  apiVersion: 'apps.kruise.io/v1alpha1',
  namespace,
  name,
  uid,
});
const events = async (namespace: string): Promise<CoreV1Event[]> => (await core.listNamespacedEvent({ namespace })).items;
let n = 0;
const ns = () => `events-${++n}`;

describe('seriesMessage', () => {
  it.each([
    { step: 'one occurrence: the message as given', count: 1, want: 'succeed to create pod web-a' },
    { step: 'several: the latest, saying how many were combined', count: 3, want: '(combined from 3 similar events) succeed to create pod web-a' },
  ])('$step', ({ count, want }) => {
    expect(seriesMessage('succeed to create pod web-a', count)).toBe(want);
  });
});

describe('EventSeries', () => {
  it('folds 200 concurrent occurrences of one reason into one Event with count 200', async () => {
    const namespace = ns();
    const s = new EventSeries(core);
    await Promise.all(Array.from({ length: 200 }, (_, i) => s.record(log, target(namespace), 'Normal', 'SuccessfulCreate', `succeed to create pod web-${i}`)));
    const list = await events(namespace);
    expect(list).toHaveLength(1);
    expect(list[0]!.count).toBe(200);
    expect(list[0]!.reason).toBe('SuccessfulCreate');
    expect(list[0]!.involvedObject).toMatchObject({ kind: 'CloneSet', name: 'web', uid: 'uid-web' });
    expect(list[0]!.message).toMatch(/^\(combined from 200 similar events\) succeed to create pod web-\d+$/);
  });

  it('keeps one series per object, type and reason', async () => {
    const namespace = ns();
    const s = new EventSeries(core);
    for (let i = 0; i < 3; i++) {
      await s.record(log, target(namespace, 'web'), 'Normal', 'SuccessfulCreate', `create ${i}`);
      await s.record(log, target(namespace, 'web'), 'Normal', 'SuccessfulDelete', `delete ${i}`);
      await s.record(log, target(namespace, 'api'), 'Normal', 'SuccessfulCreate', `create ${i}`);
      await s.record(log, target(namespace, 'web'), 'Warning', 'SuccessfulCreate', `odd ${i}`);
    }
    const list = await events(namespace);
    const keys = list.map((e) => `${e.involvedObject.name}/${e.type}/${e.reason}=${e.count}`).sort();
    expect(keys).toEqual(['api/Normal/SuccessfulCreate=3', 'web/Normal/SuccessfulCreate=3', 'web/Normal/SuccessfulDelete=3', 'web/Warning/SuccessfulCreate=3']);
  });

  it('starts a new Event after a gap longer than the window', async () => {
    const namespace = ns();
    let now = Date.parse('2026-01-01T00:00:00Z');
    const s = new EventSeries(core, () => now);
    await s.record(log, target(namespace), 'Normal', 'SuccessfulDelete', 'a');
    now += SERIES_WINDOW_MS - 1;
    await s.record(log, target(namespace), 'Normal', 'SuccessfulDelete', 'b');
    now += SERIES_WINDOW_MS + 1;
    await s.record(log, target(namespace), 'Normal', 'SuccessfulDelete', 'c');
    const counts = (await events(namespace)).map((e) => [e.count, e.message]).sort();
    expect(counts).toEqual([
      [1, 'c'],
      [2, '(combined from 2 similar events) b'],
    ]);
  });

  it('creates the Event again, with the whole count, when it was deleted meanwhile', async () => {
    const namespace = ns();
    const s = new EventSeries(core);
    await s.record(log, target(namespace), 'Normal', 'SuccessfulUpdatePodInPlace', 'one');
    const [first] = await events(namespace);
    await core.deleteNamespacedEvent({ namespace, name: first!.metadata!.name! });
    await s.record(log, target(namespace), 'Normal', 'SuccessfulUpdatePodInPlace', 'two');
    const list = await events(namespace);
    expect(list).toHaveLength(1);
    expect(list[0]!.count).toBe(2);
    expect(list[0]!.metadata!.name).not.toBe(first!.metadata!.name);
  });

  it('never fails its caller when the write fails: it logs the failure', async () => {
    const dead = new KubeConfig();
    dead.loadFromOptions({
      clusters: [{ name: 'dead', server: 'http://127.0.0.1:1' }],
      users: [{ name: 'u' }],
      contexts: [{ name: 'dead', cluster: 'dead', user: 'u' }],
      currentContext: 'dead',
    });
    const lines: string[] = [];
    const captured = pino({ level: 'warn' }, { write: (l: string) => void lines.push(l) });
    const s = new EventSeries(dead.makeApiClient(CoreV1Api));
    await expect(s.record(captured, target('default'), 'Normal', 'SuccessfulCreate', 'x')).resolves.toBeUndefined();
    expect(lines.map((l) => JSON.parse(l) as { msg: string; reason: string })).toEqual([
      expect.objectContaining({ msg: 'could not record event', reason: 'SuccessfulCreate' }),
    ]);
  });
});
