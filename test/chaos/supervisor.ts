/**
 * The chaos supervisor: rollouts of several CloneSets at once on their own Temporal dev server (SQLite-persisted) and
 * their own simulated cluster, while the worker process is SIGKILLed at chosen moments (in grace timers, right after
 * image patches, in readiness waits, at random), the dev server is stopped and started again on the same port and
 * db file, and the simulated apiserver answers Pod patches with 5xx and 409, adds latency and drops watches.
 *
 * An independent observer (one ReadinessWatcher per CloneSet, nothing shared with the worker) and the supervisor's
 * own bookkeeping check the invariants; the report counts kills, restarts, faults, violations and resumption times.
 * One implementation for the in-suite reduced run (test/integration/chaos.test.ts), the full run
 * (test/chaos/chaos.test.ts, `npm run test:chaos`) and the production tier (test/production/chaos.test.ts: two worker
 * processes, the Temporal server on PostgreSQL, whose server process and database are restarted), parameterised by
 * {@link ChaosSize} and {@link ChaosBackend}.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { RolloutAlreadyRunningError, RolloutClient, RolloutFailedError } from '../../src/client/index.js';
import { applyCloneSet } from '../../src/kube/apply.js';
import { makeClients, type KubeClients } from '../../src/kube/clients.js';
import type { CloneSet } from '../../src/rollout/index.js';
import { startSimCluster, type SimCluster, type SimKubeletOptions } from '../../src/sim/index.js';
import { startDevServer, type DevServer } from '../../src/temporal/dev-server.js';
import { freePort } from '../../src/temporal/ports.js';
import type { RolloutResult } from '../../src/workflows/messages.js';
import { ReadinessWatcher, type WatcherStep } from '../support/watcher.js';
import { WorkerProcess } from '../support/worker-process.js';

export interface ChaosCloneSet {
  name: string;
  replicas: number;
  type: 'InPlaceIfPossible' | 'InPlaceOnly';
  gracePeriodSeconds: number;
  minReadySeconds: number;
  maxUnavailable: number;
  partition?: number;
  /** Container names; every one starts at `<container>:r0`. */
  containers: string[];
  /** Successive image changes (container → image), each one rollout. */
  rounds: Record<string, string>[];
}

export type KillKind = 'grace' | 'after-image' | 'readiness' | 'random';

export interface ChaosSize {
  name: 'reduced' | 'full' | 'production';
  cloneSets: ChaosCloneSet[];
  /** The run fails its counts below these. */
  minKills: number;
  minServerRestarts: number;
  /** No kills beyond this (then the rollouts are let finish). */
  maxKills: number;
  /** Restart the Temporal server when the kill count reaches each of these. */
  serverRestartAtKills: number[];
  /** Worker processes on the one task queue (default 1); a kill hits one of them, chosen at random. */
  workers?: number;
  /** Restart the database under the running Temporal server at these kill counts (a backend with a database). */
  databaseRestartAtKills?: number[];
  minDatabaseRestarts?: number;
  dropWatchesEveryMs: number;
  kubelet: SimKubeletOptions;
  /** Everything (setup, chaos, checks) must be over by then. */
  deadlineMs: number;
  /** Pause after each resumption before the next kill is aimed, ms (random in [0, this]). */
  pauseMs: number;
}

const img = (c: string, r: number) => `${c}:r${r}`;

export const REDUCED: ChaosSize = {
  name: 'reduced',
  cloneSets: [
    {
      name: 'only',
      replicas: 4,
      type: 'InPlaceOnly',
      gracePeriodSeconds: 2,
      minReadySeconds: 0,
      maxUnavailable: 2,
      containers: ['app', 'sidecar'],
      // Three rounds: enough work that the minimum kills always land while rollouts are still running.
      rounds: [{ app: img('app', 1) }, { app: img('app', 2), sidecar: img('sidecar', 1) }, { sidecar: img('sidecar', 2) }],
    },
    {
      name: 'ifpossible',
      replicas: 4,
      type: 'InPlaceIfPossible',
      gracePeriodSeconds: 0,
      minReadySeconds: 1,
      maxUnavailable: 2,
      partition: 1,
      containers: ['app'],
      rounds: [{ app: img('app', 1) }, { app: img('app', 2) }, { app: img('app', 3) }],
    },
  ],
  minKills: 5,
  minServerRestarts: 1,
  maxKills: 8,
  serverRestartAtKills: [2],
  dropWatchesEveryMs: 2_000,
  kubelet: { startDelayMs: 50, restartDelayMs: 300, readyDelayMs: 400 },
  deadlineMs: 120_000,
  pauseMs: 300,
};

export const FULL: ChaosSize = {
  name: 'full',
  cloneSets: [
    {
      name: 'alpha',
      replicas: 8,
      type: 'InPlaceIfPossible',
      gracePeriodSeconds: 2,
      minReadySeconds: 1,
      maxUnavailable: 2,
      containers: ['app'],
      rounds: [{ app: img('app', 1) }, { app: img('app', 2) }, { app: img('app', 3) }],
    },
    {
      name: 'bravo',
      replicas: 8,
      type: 'InPlaceOnly',
      gracePeriodSeconds: 0,
      minReadySeconds: 0,
      maxUnavailable: 3,
      containers: ['app', 'sidecar'],
      rounds: [{ app: img('app', 1) }, { sidecar: img('sidecar', 1) }, { app: img('app', 2), sidecar: img('sidecar', 2) }],
    },
    {
      name: 'charlie',
      replicas: 8,
      type: 'InPlaceIfPossible',
      gracePeriodSeconds: 3,
      minReadySeconds: 0,
      maxUnavailable: 1,
      containers: ['app'],
      rounds: [{ app: img('app', 1) }, { app: img('app', 2) }],
    },
    {
      name: 'delta',
      replicas: 8,
      type: 'InPlaceOnly',
      gracePeriodSeconds: 1,
      minReadySeconds: 1,
      maxUnavailable: 2,
      partition: 3,
      containers: ['app'],
      rounds: [{ app: img('app', 1) }, { app: img('app', 2) }, { app: img('app', 3) }],
    },
    {
      name: 'echo',
      replicas: 8,
      type: 'InPlaceIfPossible',
      gracePeriodSeconds: 1,
      minReadySeconds: 0,
      maxUnavailable: 3,
      containers: ['app', 'sidecar'],
      rounds: [{ sidecar: img('sidecar', 1) }, { app: img('app', 1) }, { app: img('app', 2) }],
    },
    {
      name: 'foxtrot',
      replicas: 8,
      type: 'InPlaceOnly',
      gracePeriodSeconds: 2,
      minReadySeconds: 1,
      maxUnavailable: 1,
      containers: ['app'],
      rounds: [{ app: img('app', 1) }, { app: img('app', 2) }],
    },
  ],
  minKills: 30,
  minServerRestarts: 2,
  maxKills: 40,
  serverRestartAtKills: [10, 21],
  dropWatchesEveryMs: 3_000,
  kubelet: { startDelayMs: 50, restartDelayMs: 400, readyDelayMs: 500 },
  deadlineMs: 20 * 60_000,
  pauseMs: 1_000,
};

export interface KillRecord {
  /** ms since the chaos phase started. */
  atMs: number;
  kind: KillKind;
  /** What aimed it, e.g. "gate-off charlie-x 1.2s into a 3s grace". */
  detail: string;
  /** ms from the triggering watch event to the SIGKILL (after-image / readiness kinds). */
  triggerLatencyMs: number | null;
  /** CloneSets with work pending at the kill. */
  pending: string[];
  /** ms from the new worker's spawn to the next Pod step seen on a pending CloneSet (null: nothing pending, or none seen). */
  resumeMs: number | null;
  /** ms from the new worker's spawn to its RUNNING log line. */
  bootMs: number;
}

export interface RestartRecord {
  atMs: number;
  downMs: number;
  workerSurvived: boolean;
  rolloutsRunning: string[];
}

export interface ChaosReport {
  size: string;
  durationMs: number;
  chaosMs: number;
  kills: { total: number; byKind: Record<KillKind, number>; log: KillRecord[] };
  /** `rolloutsRunning`: the CloneSets whose rollout was running when the restart began. */
  serverRestarts: { total: number; log: RestartRecord[] };
  databaseRestarts: { total: number; log: RestartRecord[] };
  workers: number;
  workerStarts: number;
  unexpectedWorkerExits: number;
  faults: Record<string, number>;
  faultsTotal: number;
  violations: string[];
  /** From the new worker's spawn to the next Pod step; `fromRunning*`: from its RUNNING line (boot excluded). */
  resume: { samples: number; p50: number | null; p95: number | null; max: number | null; fromRunningP50: number | null; fromRunningP95: number | null };
  rollouts: { planned: number; completed: number; failed: string[] };
  maxUnavailableSeen: Record<string, { seen: number; allowed: number }>;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const rand = (lo: number, hi: number) => lo + Math.random() * (hi - lo);

function percentile(xs: number[], p: number): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

function manifest(namespace: string, c: ChaosCloneSet): CloneSet {
  return {
    apiVersion: 'apps.kruise.io/v1alpha1',
    kind: 'CloneSet',
    metadata: { name: c.name, namespace },
    spec: {
      replicas: c.replicas,
      minReadySeconds: c.minReadySeconds,
      selector: { matchLabels: { app: c.name } },
      template: {
        metadata: { labels: { app: c.name } },
        spec: { containers: c.containers.map((n) => ({ name: n, image: img(n, 0), imagePullPolicy: 'IfNotPresent' })) },
      },
      updateStrategy: {
        type: c.type,
        maxUnavailable: c.maxUnavailable,
        ...(c.partition !== undefined ? { partition: c.partition } : {}),
        inPlaceUpdateStrategy: { gracePeriodSeconds: c.gracePeriodSeconds },
      },
    } as CloneSet['spec'],
  };
}

const gateOf = (p: V1Pod) => p.status?.conditions?.find((c) => c.type === 'InPlaceUpdateReady')?.status;
const isReady = (p: V1Pod) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
const specImages = (p: V1Pod) => Object.fromEntries((p.spec?.containers ?? []).map((c) => [c.name, c.image]));

/** One CloneSet's rollouts, one after the other, and what the supervisor knows about them. */
class Driver {
  watcher!: ReadinessWatcher;
  /** Index of the first timeline entry after the watcher's initial list. */
  timelineFrom = 0;
  /** Images the running rollout heads to (all containers), or null between rollouts. */
  target: Record<string, string> | null = null;
  images: Record<string, string>;
  finished = false;
  completed = 0;
  failed: string[] = [];
  results: RolloutResult[] = [];

  constructor(
    readonly spec: ChaosCloneSet,
    readonly namespace: string,
  ) {
    this.images = Object.fromEntries(spec.containers.map((c) => [c, img(c, 0)]));
  }

  /** Pods still to be stepped by the running rollout (what a resumed worker must get to). */
  pending(): boolean {
    if (!this.target) return false;
    const live = this.watcher.livePods();
    if (live.some((p) => gateOf(p) === 'False')) return true;
    const updated = live.filter((p) => Object.entries(this.target!).every(([c, i]) => specImages(p)[c] === i)).length;
    return updated < this.spec.replicas - (this.spec.partition ?? 0);
  }

  /** Expected spec images seen per container on a Pod updated by every round: initial + one per change. */
  changesOf(container: string): number {
    return this.spec.rounds.filter((r) => r[container] !== undefined).length;
  }
}

/**
 * The Temporal server the chaos runs on, and how it is restarted. The default ({@link devServerBackend}) is a dev
 * server of the run's own, SQLite-persisted, stopped and started again on the same port and db file.
 */
export interface ChaosBackend {
  /** Starts (or attaches to) the server; resolves to its frontend address. */
  start(): Promise<string>;
  /** Stops the Temporal server process, waits `holdMs`, starts it again (same address, same persistence). */
  restartServer(holdMs: number): Promise<void>;
  /** Restarts the database under the running Temporal server. */
  restartDatabase?(): Promise<void>;
  stop(): Promise<void>;
}

export function devServerBackend(dbFilename: string): ChaosBackend {
  let server: DevServer | undefined;
  let port = 0;
  return {
    async start() {
      port = await freePort();
      server = await startDevServer({ dbFilename, headless: true, port, logLevel: 'error' });
      return server.address;
    },
    async restartServer(holdMs) {
      await server!.stop();
      await sleep(holdMs);
      server = await startDevServer({ dbFilename, headless: true, port, logLevel: 'error' });
    },
    async stop() {
      await server?.stop();
    },
  };
}

/** Retries a Temporal client call through server restarts (connection errors), up to `ms`. */
async function through<T>(what: string, fn: () => Promise<T>, ms = 120_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof RolloutFailedError || err instanceof RolloutAlreadyRunningError) throw err;
      if (Date.now() > end) throw new Error(`${what}: ${(err as Error).message}`);
      await sleep(500);
    }
  }
}

export async function runChaos(size: ChaosSize, log: (line: string) => void = () => undefined, backendArg?: ChaosBackend): Promise<ChaosReport> {
  const started = Date.now();
  const deadline = started + size.deadlineMs;
  const dir = mkdtempSync(join(tmpdir(), 'chaos-'));
  const kubeconfigPath = join(dir, 'kubeconfig');
  const backend = backendArg ?? devServerBackend(join(dir, 'chaos.db'));
  const taskQueue = `chaos-${size.name}`;
  const namespace = `chaos-${size.name}`;
  const violations: string[] = [];
  const violate = (v: string) => {
    violations.push(v);
    log(`VIOLATION ${v}`);
  };

  let cluster: SimCluster | undefined;
  let client: RolloutClient | undefined;
  const workers: WorkerProcess[] = [];
  const drivers = size.cloneSets.map((c) => new Driver(c, namespace));
  const timers: NodeJS.Timeout[] = [];
  let chaosStart = 0;
  const t = () => Date.now() - chaosStart;
  const kills: KillRecord[] = [];
  const restarts: ChaosReport['serverRestarts']['log'] = [];
  const dbRestarts: ChaosReport['databaseRestarts']['log'] = [];
  let unexpectedExits = 0;
  let serverDown = false;

  try {
    const address = await backend.start();
    cluster = await startSimCluster({ kubeconfigPath, kubelet: size.kubelet });
    const k: KubeClients = makeClients(cluster.kubeConfig());
    client = await RolloutClient.connect({ address, taskQueue });
    for (let i = 0; i < (size.workers ?? 1); i++) workers.push(new WorkerProcess({ address, taskQueue, kubeconfigPath }));
    await Promise.all(workers.map((w) => w.start(60_000)));
    const anyRunning = () => workers.some((w) => w.running);

    // Setup, no chaos yet: every CloneSet created and scaled up by a rollout.
    await Promise.all(
      drivers.map(async (d) => {
        await applyCloneSet(k, manifest(namespace, d.spec));
        await (await client!.start({ namespace, name: d.spec.name })).result();
        d.watcher = new ReadinessWatcher(cluster!.kubeConfig(), namespace, `app=${d.spec.name}`);
        await d.watcher.start();
        d.watcher.resetMarks(d.spec.replicas);
        d.timelineFrom = d.watcher.timeline.length; // the initial list's ADDED events count up from 0 Ready
      }),
    );
    const initialUids = Object.fromEntries(
      drivers.map((d) => [
        d.spec.name,
        Object.values(d.watcher.pods)
          .map((h) => h.uid)
          .sort(),
      ]),
    );
    log(`setup done in ${Date.now() - started} ms: ${drivers.length} CloneSets × ${drivers.map((d) => d.spec.replicas).join('/')} Pods`);

    // Faults in the simulated apiserver (they hit the kubelet too, as a flaky apiserver would).
    const faults = cluster.api.faults;
    faults.set({ verb: 'patch', resource: 'pods', subresource: '', errorRate: 0.08, code: 500 });
    faults.set({ verb: 'patch', resource: 'pods', subresource: '', errorRate: 0.04, code: 500, afterCommit: true });
    faults.set({ verb: 'patch', resource: 'pods', subresource: 'status', errorRate: 0.08, code: 503 });
    faults.set({ verb: 'patch', resource: 'pods', errorRate: 0.06, code: 409 });
    faults.set({ resource: 'pods', latencyMs: 15 });
    faults.set({ verb: 'get', resource: 'clonesets', latencyMs: 25 });
    timers.push(setInterval(() => faults.dropWatches(), size.dropWatchesEveryMs));
    chaosStart = Date.now();

    // The rollouts: each CloneSet's rounds one after the other, all CloneSets at once.
    const rolling = Promise.all(
      drivers.map(async (d) => {
        try {
          for (const [i, change] of d.spec.rounds.entries()) {
            await sleep(rand(100, 800));
            const target = { ...d.images, ...change };
            d.target = target;
            let handle;
            try {
              handle = await through(`start ${d.spec.name}`, () => client!.start({ namespace, name: d.spec.name, images: change }));
            } catch (err) {
              if (!(err instanceof RolloutAlreadyRunningError)) throw err;
              handle = client!.handle(namespace, d.spec.name); // started, but the answer was lost to a server restart
            }
            const result = await through(`result ${d.spec.name}`, () => handle.result(), size.deadlineMs);
            d.results.push(result);
            d.completed++;
            d.images = target;
            d.target = null;
            const expected = d.spec.replicas - (d.spec.partition ?? 0);
            if (result.updatedInPlace !== expected || result.recreated + result.created + result.deleted !== 0) {
              violate(
                `${d.spec.name} round ${i + 1}: result updatedInPlace ${result.updatedInPlace} (want ${expected}), recreated ${result.recreated}, created ${result.created}, deleted ${result.deleted}`,
              );
            }
            log(`${(t() / 1000).toFixed(1)}s ${d.spec.name}: round ${i + 1}/${d.spec.rounds.length} completed (${result.fromRevision} → ${result.toRevision})`);
          }
        } catch (err) {
          d.failed.push((err as Error).message);
          violate(`${d.spec.name}: rollout did not complete: ${(err as Error).message}`);
        } finally {
          d.target = null;
          d.finished = true;
        }
      }),
    );

    const allDone = () => drivers.every((d) => d.finished);
    /** Starts a worker process (one start at a time each), retrying while the server is down (the process exits when it cannot connect). */
    const starting = new Map<WorkerProcess, Promise<{ spawnedAt: number; readyAt: number }>>();
    let killing = false;
    const startWorker = (w: WorkerProcess) => {
      let p = starting.get(w);
      if (!p) {
        p = (async () => {
          try {
            for (;;) {
              try {
                return await w.start(60_000);
              } catch (err) {
                if (Date.now() > deadline) throw err;
                await sleep(500);
              }
            }
          } finally {
            starting.delete(w);
          }
        })();
        starting.set(w, p);
      }
      return p;
    };
    /** Worker processes that can be killed now: running, not being started; none while one is being killed. */
    const victims = () => (killing || serverDown ? [] : workers.filter((w) => w.running && !starting.has(w)));
    const killable = () => victims().length > 0;
    // A worker that exits by itself (e.g. its server vanished) is started again.
    let supervising = true;
    const keeper = (async () => {
      while (supervising) {
        await sleep(200);
        for (const w of workers) {
          if (supervising && !w.running && !serverDown && !killing && !starting.has(w)) {
            unexpectedExits++;
            log(`${(t() / 1000).toFixed(1)}s worker exited by itself; starting a new one`);
            startWorker(w).catch((err: Error) => log(`worker could not be started again: ${err.message}`));
          }
        }
      }
    })();

    const running = () => drivers.filter((d) => d.target).map((d) => d.spec.name);
    /** Holds a restart until some rollout has Pods still to step (not between two rounds), or every rollout ended. */
    const midRollout = async () => {
      while (!drivers.some((d) => d.pending()) && !drivers.every((d) => d.finished)) await sleep(20);
    };
    const restartServer = async () => {
      await midRollout();
      const at = t();
      const rolloutsRunning = running();
      serverDown = true;
      const stoppedAt = Date.now();
      await backend.restartServer(rand(300, 1500));
      serverDown = false;
      const downMs = Date.now() - stoppedAt;
      // Give the workers a moment to reconnect (or exit, then the keeper starts new ones).
      await sleep(3_000);
      restarts.push({ atMs: at, downMs, workerSurvived: anyRunning(), rolloutsRunning });
      log(`${(at / 1000).toFixed(1)}s Temporal server restarted (down ${downMs} ms; workers ${anyRunning() ? 'reconnected' : 'exited'})`);
    };
    const restartDatabase = async () => {
      await midRollout();
      const at = t();
      const rolloutsRunning = running();
      serverDown = true;
      const stoppedAt = Date.now();
      await backend.restartDatabase!();
      serverDown = false;
      const downMs = Date.now() - stoppedAt;
      await sleep(3_000);
      dbRestarts.push({ atMs: at, downMs, workerSurvived: anyRunning(), rolloutsRunning });
      log(`${(at / 1000).toFixed(1)}s database restarted under the Temporal server (down ${downMs} ms)`);
    };

    /** Waits for a watcher step matching `pick` on a running CloneSet; the callback runs synchronously on the event. */
    const onNextStep = (pick: (d: Driver, s: WatcherStep) => boolean, timeoutMs: number, act: (d: Driver, s: WatcherStep) => void) =>
      new Promise<boolean>((resolve) => {
        const offs: (() => void)[] = [];
        const finish = (v: boolean) => {
          clearTimeout(timer);
          for (const off of offs) off();
          resolve(v);
        };
        const timer = setTimeout(() => finish(false), timeoutMs);
        for (const d of drivers) {
          offs.push(
            d.watcher.onStep((s) => {
              if (d.target && killable() && pick(d, s)) {
                act(d, s);
                finish(true);
              }
            }),
          );
        }
      });

    const kinds: KillKind[] = ['after-image', 'grace', 'readiness', 'random'];
    const restartedAt = new Set<number>();
    const dbRestartedAt = new Set<number>();
    let n = 0;
    while (!allDone() && Date.now() < deadline) {
      if (kills.length >= size.maxKills) {
        await sleep(200);
        continue;
      }
      if (size.serverRestartAtKills.includes(kills.length) && !restartedAt.has(kills.length)) {
        restartedAt.add(kills.length);
        await restartServer();
        continue;
      }
      if (backend.restartDatabase && size.databaseRestartAtKills?.includes(kills.length) && !dbRestartedAt.has(kills.length)) {
        dbRestartedAt.add(kills.length);
        await restartDatabase();
        continue;
      }
      if (!killable()) {
        await sleep(100);
        continue;
      }
      let kind = kinds[n++ % kinds.length]!;
      let detail = '';
      let triggerLatencyMs = null as number | null; // set in kill(), a closure: keep TS from narrowing it to null
      let pending: string[] = [];
      let killedAt = 0;
      let victim: WorkerProcess | undefined;
      const kill = (why: string, eventAt?: number) => {
        pending = drivers.filter((d) => d.pending()).map((d) => d.spec.name);
        const vs = victims();
        victim = vs[Math.floor(Math.random() * vs.length)]!;
        killing = true;
        killedAt = Date.now();
        if (eventAt !== undefined) triggerLatencyMs = killedAt - eventAt;
        detail = workers.length > 1 ? `worker ${workers.indexOf(victim) + 1}: ${why}` : why;
        return victim.kill();
      };
      let killed: Promise<void> | undefined;
      if (kind === 'after-image') {
        const hit = await onNextStep(
          (_d, s) => s.what === 'image',
          8_000,
          (d, s) => {
            killed = kill(`image patch of ${s.pod}`, s.atMs);
          },
        );
        if (!hit) kind = 'random';
      } else if (kind === 'readiness') {
        // Gate back on: the workflow now waits for the kubelet's Ready (readyDelayMs) and minReadySeconds.
        const hit = await onNextStep(
          (_d, s) => s.what === 'gate-on',
          8_000,
          (d, s) => {
            killed = kill(`readiness wait of ${s.pod} (gate on)`, s.atMs);
          },
        );
        if (!hit) kind = 'random';
      } else if (kind === 'grace') {
        let aimed: { d: Driver; s: WatcherStep } | undefined;
        const hit = await onNextStep(
          (d, s) => s.what === 'gate-off' && d.spec.gracePeriodSeconds > 0,
          8_000,
          (d, s) => {
            aimed = { d, s };
          },
        );
        if (hit && aimed) {
          const graceMs = aimed.d.spec.gracePeriodSeconds * 1000;
          const into = rand(150, Math.max(200, graceMs - 350));
          await sleep(aimed.s.atMs + into - Date.now());
          const h = aimed.d.watcher.pods[aimed.s.pod];
          const stillInGrace = !!h && !h.imagePatchedAt.some((x) => x >= aimed!.s.atMs);
          if (stillInGrace && killable()) killed = kill(`${aimed.s.pod} ${(into / 1000).toFixed(1)}s into its ${aimed.d.spec.gracePeriodSeconds}s grace`);
          else kind = 'random';
        } else kind = 'random';
      }
      if (kind === 'random' && !killed) {
        const wait = rand(200, 2_500);
        await sleep(wait);
        if (allDone()) break;
        if (!killable()) continue;
        killed = kill(`random, ${Math.round(wait)} ms after aiming`);
      }
      if (!killed) continue;
      await killed;
      const atMs = killedAt - chaosStart;
      const { spawnedAt, readyAt } = await startWorker(victim!);
      killing = false;
      const rec: KillRecord = { atMs, kind, detail, triggerLatencyMs, pending, resumeMs: null, bootMs: readyAt - spawnedAt };
      kills.push(rec);
      if (pending.length > 0) {
        const watched = drivers.filter((d) => pending.includes(d.spec.name));
        const end = Date.now() + 45_000;
        for (;;) {
          const first = watched.map((d) => d.watcher.firstStepAfter(spawnedAt)?.atMs).filter((x): x is number => x !== undefined);
          if (first.length > 0) {
            rec.resumeMs = Math.min(...first) - spawnedAt;
            break;
          }
          if (Date.now() > end || watched.every((d) => !d.target)) break;
          await sleep(20);
        }
      }
      log(
        `${(atMs / 1000).toFixed(1)}s kill #${kills.length} ${kind}: ${detail}${triggerLatencyMs !== null ? ` (+${triggerLatencyMs} ms)` : ''}; ` +
          `boot ${rec.bootMs} ms, resumed ${rec.resumeMs ?? '-'} ms; pending ${pending.join(',') || 'none'}`,
      );
      await sleep(rand(0, size.pauseMs));
    }
    await rolling;
    supervising = false;
    await keeper;
    const chaosMs = Date.now() - chaosStart;
    for (const x of timers) clearInterval(x);
    faults.clear();
    const injected = faults.injected();

    // Final checks, against a quiet cluster.
    await sleep(500);
    const maxSeen: ChaosReport['maxUnavailableSeen'] = {};
    for (const d of drivers) {
      const wch = d.watcher;
      const name = d.spec.name;
      maxSeen[name] = { seen: wch.maxUnavailable, allowed: d.spec.maxUnavailable };
      const over = wch.timeline.slice(d.timelineFrom).filter((e) => d.spec.replicas - e.ready > d.spec.maxUnavailable);
      for (const e of over.slice(0, 3)) {
        violate(
          `${name}: ${d.spec.replicas - e.ready} unavailable > maxUnavailable ${d.spec.maxUnavailable} at +${e.atMs - chaosStart} ms (${e.type} ${e.pod})`,
        );
      }
      if (over.length > 3) violate(`${name}: … ${over.length - 3} more instants over maxUnavailable`);
      const created = wch.steps.filter((s) => s.what === 'created' || s.what === 'deleting');
      for (const s of created) violate(`${name}: Pod ${s.pod} ${s.what} (${d.spec.type}, image-only changes)`);
      for (const [pod, h] of Object.entries(wch.pods)) {
        if (h.deleted) violate(`${name}: Pod ${pod} deleted (${d.spec.type})`);
      }
      const pods = (await k.core.listNamespacedPod({ namespace, labelSelector: `app=${name}` })).items;
      const uids = pods.map((p) => p.metadata!.uid!).sort();
      if (JSON.stringify(uids) !== JSON.stringify(initialUids[name]))
        violate(`${name}: Pod set changed (${uids.length} Pods now, ${initialUids[name]!.length} before)`);
      const lastRevision = d.results[d.results.length - 1]?.toRevision;
      let atTarget = 0;
      for (const p of pods) {
        const pn = p.metadata!.name!;
        const h = wch.pods[pn];
        const full = Object.entries(d.images).every(([c, i]) => specImages(p)[c] === i);
        if (full) atTarget++;
        if (full && p.metadata?.labels?.['controller-revision-hash'] !== lastRevision) {
          violate(`${name}: Pod ${pn} has the target images but revision ${p.metadata?.labels?.['controller-revision-hash']} (want ${lastRevision})`);
        }
        if (gateOf(p) !== 'True') violate(`${name}: Pod ${pn} InPlaceUpdateReady=${gateOf(p)}`);
        if (!isReady(p)) violate(`${name}: Pod ${pn} not Ready`);
        if (p.metadata?.labels?.['lifecycle.apps.kruise.io/state'] !== 'Normal')
          violate(`${name}: Pod ${pn} lifecycle ${p.metadata?.labels?.['lifecycle.apps.kruise.io/state']}`);
        for (const cs of p.status?.containerStatuses ?? []) {
          if (cs.image !== specImages(p)[cs.name] || !cs.ready) violate(`${name}: Pod ${pn} container ${cs.name} runs ${cs.image} ready=${cs.ready}`);
        }
        for (const c of d.spec.containers) {
          const seen = h?.images[c] ?? [];
          const ids = h?.containerIds[c] ?? [];
          // Each image change applied to a container restarts it exactly once.
          if (ids.length !== seen.length)
            violate(`${name}: Pod ${pn} container ${c}: ${ids.length} container instances for ${seen.length} images (${seen.join(' → ')})`);
          if (full && seen.length !== 1 + d.changesOf(c))
            violate(`${name}: Pod ${pn} container ${c} went through ${seen.join(' → ')} (want ${1 + d.changesOf(c)} images)`);
        }
      }
      const want = d.spec.replicas - (d.spec.partition ?? 0);
      if (d.completed === d.spec.rounds.length && atTarget !== want) violate(`${name}: ${atTarget} Pods at the target images, want ${want}`);
      if (pods.length !== d.spec.replicas) violate(`${name}: ${pods.length} Pods, want ${d.spec.replicas}`);
    }

    const byKind = { grace: 0, 'after-image': 0, readiness: 0, random: 0 } as Record<KillKind, number>;
    for (const x of kills) byKind[x.kind]++;
    const resumes = kills.map((x) => x.resumeMs).filter((x): x is number => x !== null);
    const afterBoot = kills.filter((x) => x.resumeMs !== null).map((x) => Math.max(0, x.resumeMs! - x.bootMs));
    return {
      size: size.name,
      durationMs: Date.now() - started,
      chaosMs,
      kills: { total: kills.length, byKind, log: kills },
      serverRestarts: { total: restarts.length, log: restarts },
      databaseRestarts: { total: dbRestarts.length, log: dbRestarts },
      workers: workers.length,
      workerStarts: workers.reduce((a, w) => a + w.starts, 0),
      unexpectedWorkerExits: unexpectedExits,
      faults: injected,
      faultsTotal: Object.values(injected).reduce((a, b) => a + b, 0),
      violations,
      resume: {
        samples: resumes.length,
        p50: percentile(resumes, 50),
        p95: percentile(resumes, 95),
        max: resumes.length ? Math.max(...resumes) : null,
        fromRunningP50: percentile(afterBoot, 50),
        fromRunningP95: percentile(afterBoot, 95),
      },
      rollouts: {
        planned: drivers.reduce((a, d) => a + d.spec.rounds.length, 0),
        completed: drivers.reduce((a, d) => a + d.completed, 0),
        failed: drivers.flatMap((d) => d.failed.map((f) => `${d.spec.name}: ${f}`)),
      },
      maxUnavailableSeen: maxSeen,
    };
  } catch (err) {
    for (const [i, w] of workers.entries()) log(`worker ${i + 1} log tail:\n${w.tail()}`);
    throw err;
  } finally {
    for (const x of timers) clearInterval(x);
    for (const d of drivers) d.watcher?.stop();
    await Promise.all(workers.map((w) => w.stop().catch(() => undefined)));
    await client?.close().catch(() => undefined);
    await backend.stop().catch(() => undefined);
    await cluster?.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The report as a table (and the caller prints the JSON line). */
export function formatReport(r: ChaosReport): string {
  const rows: [string, string][] = [
    ['size', r.size],
    [
      'kills',
      `${r.kills.total} (${Object.entries(r.kills.byKind)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')})`,
    ],
    [
      'server restarts',
      `${r.serverRestarts.total} (down ${r.serverRestarts.log.map((x) => `${x.downMs} ms`).join(', ') || '-'}; worker survived ${r.serverRestarts.log.filter((x) => x.workerSurvived).length})`,
    ],
    ['database restarts', `${r.databaseRestarts.total} (down ${r.databaseRestarts.log.map((x) => `${x.downMs} ms`).join(', ') || '-'})`],
    ['worker processes / starts / exits on their own', `${r.workers} / ${r.workerStarts} / ${r.unexpectedWorkerExits}`],
    [
      'faults injected',
      `${r.faultsTotal}: ${Object.entries(r.faults)
        .sort()
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    ],
    ['invariant violations', String(r.violations.length)],
    [
      'max unavailable seen / allowed',
      Object.entries(r.maxUnavailableSeen)
        .map(([n, m]) => `${n} ${m.seen}/${m.allowed}`)
        .join(', '),
    ],
    [
      'resumption p50 / p95 / max',
      `${r.resume.p50 ?? '-'} / ${r.resume.p95 ?? '-'} / ${r.resume.max ?? '-'} ms (${r.resume.samples} samples, from worker spawn; from RUNNING: ${r.resume.fromRunningP50 ?? '-'} / ${r.resume.fromRunningP95 ?? '-'} ms)`,
    ],
    ['rollouts completed', `${r.rollouts.completed} / ${r.rollouts.planned}`],
    ['duration', `${(r.durationMs / 1000).toFixed(1)} s (chaos phase ${(r.chaosMs / 1000).toFixed(1)} s)`],
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  const line = `+${'-'.repeat(w + 2)}+${'-'.repeat(72)}`;
  return [line, ...rows.map(([k, v]) => `| ${k.padEnd(w)} | ${v}`), line].join('\n');
}
