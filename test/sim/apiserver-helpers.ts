/**
 * Shared fixtures for the simulated apiserver tests: a server per test file,
 * typed clients, manifests, and helpers to assert Status errors and to
 * collect watch events, all through @kubernetes/client-node.
 */
import {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  type KubernetesObject,
  PatchStrategy,
  type V1Pod,
  Watch,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { expect } from 'vitest';
import { type SimApiServer, type SimApiServerOptions, startSimApiServer } from '../../src/sim/apiserver/index.js';

export const NS = 'default';
export const KRUISE = { group: 'apps.kruise.io', version: 'v1alpha1', plural: 'clonesets' } as const;

/** A started server with clients bound to it. */
export interface Sim {
  server: SimApiServer;
  core: CoreV1Api;
  apps: AppsV1Api;
  custom: CustomObjectsApi;
  watch: Watch;
}

/** Starts a server and makes clients from its kubeconfig, as the worker does. */
export async function startSim(opts: SimApiServerOptions = {}): Promise<Sim> {
  const server = await startSimApiServer(opts);
  const kc = server.kubeConfig();
  return { server, core: kc.makeApiClient(CoreV1Api), apps: kc.makeApiClient(AppsV1Api), custom: kc.makeApiClient(CustomObjectsApi), watch: new Watch(kc) };
}

/** Patch content-type options for client-node 1.x calls. */
export const asMerge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
export const asJsonPatch = setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);
export const asStrategic = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);

/** A minimal valid Pod. */
export function podManifest(name: string, labels: Record<string, string> = {}, extra: Partial<V1Pod['spec']> = {}): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels },
    spec: { containers: [{ name: 'app', image: 'nginx:1.25', env: [{ name: 'A', value: '1' }], ports: [{ containerPort: 80 }] }], ...extra },
  };
}

/** A minimal valid CloneSet. */
export function cloneSetManifest(name: string, replicas = 3): KubernetesObject & { spec: Record<string, unknown> } {
  return {
    apiVersion: 'apps.kruise.io/v1alpha1',
    kind: 'CloneSet',
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image: 'nginx:1.25' }] } },
      updateStrategy: { type: 'InPlaceIfPossible' },
    },
  };
}

/** The Status body of a client-node ApiException (its body is the raw response text). */
export interface StatusBody {
  kind: string;
  status: string;
  message: string;
  reason: string;
  code: number;
  details?: { name?: string; kind?: string; group?: string; causes?: { reason: string; message: string; field: string }[]; retryAfterSeconds?: number };
}

/** Awaits a call expected to fail and returns its Status, asserting code and reason. */
export async function expectStatus(p: Promise<unknown>, code: number, reason: string): Promise<StatusBody> {
  const err = await p.then(
    (v) => {
      throw new Error(`expected HTTP ${code} ${reason}, got success: ${JSON.stringify(v).slice(0, 300)}`);
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApiException);
  const ex = err as ApiException<string>;
  expect(ex.code).toBe(code);
  const status = JSON.parse(ex.body) as StatusBody;
  expect(status).toMatchObject({ kind: 'Status', status: 'Failure', reason, code });
  return status;
}

/** One received watch event. */
export interface SeenEvent {
  type: string;
  name: string;
  rv: string;
  obj: KubernetesObject & Record<string, unknown>;
}

/** A running client-node watch that records events. */
export class WatchRecorder {
  readonly events: SeenEvent[] = [];
  done: Promise<unknown>;
  private controller: AbortController | undefined;
  private resolveDone!: (err: unknown) => void;

  constructor(
    private readonly sim: Sim,
    readonly path: string,
    readonly query: Record<string, string | number | boolean | undefined> = {},
  ) {
    this.done = new Promise((r) => (this.resolveDone = r));
  }

  async start(): Promise<this> {
    this.controller = await this.sim.watch.watch(
      this.path,
      this.query,
      (type, obj: KubernetesObject & Record<string, unknown>) =>
        this.events.push({ type, name: obj.metadata?.name ?? '', rv: obj.metadata?.resourceVersion ?? '', obj }),
      (err) => this.resolveDone(err),
    );
    return this;
  }

  stop(): void {
    this.controller?.abort();
  }

  /** Events of the given types, as `TYPE name` strings. */
  summary(types: string[] = ['ADDED', 'MODIFIED', 'DELETED']): string[] {
    return this.events.filter((e) => types.includes(e.type)).map((e) => `${e.type} ${e.name}`);
  }

  /** The resourceVersion of the last event received. */
  lastRv(): string {
    return this.events[this.events.length - 1]?.rv ?? '';
  }
}

/** Polls until `fn` returns true (vitest's waitFor with a clearer default). */
export async function until(fn: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
