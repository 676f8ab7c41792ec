/**
 * The scenarios of the kruise tier: each drives one CloneSet through the API only (create, merge patches, Pod labels a
 * user or a hook controller would write), as a user would, and waits on observable outcomes — never on time. The
 * same function runs under Kruise and under ours; what it saw is turned into observables by observables.ts.
 *
 * Everything is small (2–10 replicas, minReadySeconds ≤ 2, grace 1 s) so the tier stays short on 2 cores.
 */
import { readFileSync } from 'node:fs';
import { CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { CLONESET } from '../../src/kube/clients.js';
import type { SimKubeletOptions } from '../../src/sim/index.js';
import type { Recorder, StoredCloneSet } from '../support/recorder.js';
import { sameResources, type Resources } from './resources.js';

const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const LIFECYCLE = 'lifecycle.apps.kruise.io/state';

const SETTLE_MS = 120_000;

/** What a scenario hands to the observables beside the log: its CloneSet, the replicas wanted after the update. */
export interface ScenarioOutcome {
  name: string;
  /** spec.replicas the update phase aims at (maxima of "not Ready vs desired" are counted against it). */
  desired: number;
  /** Scenario-specific observables (e.g. the update order by priority tier). */
  extra: Record<string, unknown>;
  /** Snapshots of the live Pods taken mid-scenario, by label. */
  snapshots: Record<string, V1Pod[]>;
}

export interface ScenarioCtx {
  kc: KubeConfig;
  /**
   * The run's namespace: unique per run, because every "ours" run shares one Temporal server and rollout workflow IDs
   * are `cloneset/<namespace>/<name>`.
   */
  ns: string;
  rec: Recorder;
  core: CoreV1Api;
  custom: CustomObjectsApi;
  extra: Record<string, unknown>;
  snapshots: Record<string, V1Pod[]>;
  /** metadata.generation of the CloneSet after the test's last write (settle waits for the controller to see it). */
  generation?: number;
}

export interface Scenario {
  name: string;
  /** One line for the test title and the doc. */
  title: string;
  /** Extra kruise-manager arguments for this scenario (e.g. a feature gate), on top of test/support/kruise.ts's. */
  kruiseArgs?: string[];
  /**
   * Sim kubelet options on top of test/support/kruise.ts's TIER_KUBELET, the same for both controllers (e.g.
   * `registerNodes`: the real apiserver admits a pods/resize only for a Pod on a known Node with room).
   */
  kubelet?: SimKubeletOptions;
  /**
   * Runs it; returns the CloneSet, the replicas the maxima are counted against and, when not the whole update
   * phase, the marks bounding them and the mark the final Pods are compared against; `phases` names windows
   * (mark to mark, or to the end) whose resizes are observed one by one (observables.ts `resize.<phase>.*`).
   */
  run(ctx: ScenarioCtx): Promise<{
    name: string;
    desired: number;
    maxWindow?: [string, string?];
    baseline?: string;
    phases?: Record<string, [string, string?]>;
  }>;
}

// ------------------------------------------------------------------------------------------------ helpers

type Spec = Record<string, unknown>;

export function cloneSet(name: string, replicas: number, spec: Spec = {}, containers?: Spec[]): StoredCloneSet & { apiVersion: string; kind: string } {
  return {
    apiVersion: 'apps.kruise.io/v1alpha1',
    kind: 'CloneSet',
    metadata: { name, namespace: '' },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: containers ?? [{ name: 'nginx', image: 'nginx:perl', imagePullPolicy: 'IfNotPresent' }] },
      },
      ...spec,
    },
  };
}

export async function create(ctx: ScenarioCtx, cs: StoredCloneSet): Promise<void> {
  const created = (await ctx.custom.createNamespacedCustomObject({
    ...CLONESET,
    namespace: ctx.ns,
    body: { ...cs, metadata: { ...cs.metadata, namespace: ctx.ns } },
  })) as StoredCloneSet;
  ctx.generation = created.metadata.generation;
}

export async function patch(ctx: ScenarioCtx, name: string, body: Spec): Promise<void> {
  const patched = (await ctx.custom.patchNamespacedCustomObject({ ...CLONESET, namespace: ctx.ns, name, body }, merge)) as StoredCloneSet;
  ctx.generation = patched.metadata.generation;
}

async function patchPodLabels(ctx: ScenarioCtx, pod: string, labels: Record<string, string | null>): Promise<void> {
  await ctx.core.patchNamespacedPod({ name: pod, namespace: ctx.ns, body: { metadata: { labels } } }, merge);
}

const cond = (p: V1Pod, type: string) => p.status?.conditions?.find((c) => c.type === type);
const isTrue = (p: V1Pod, type: string) => cond(p, type)?.status === 'True';
const specImages = (p: V1Pod) => Object.fromEntries((p.spec?.containers ?? []).map((c) => [c.name, c.image ?? '']));

/**
 * The kubelet runs the resources the spec asks for: every container's status `resources` equal its spec's (by value)
 * and no resize pending or in progress.
 */
function resourcesSettled(p: V1Pod): boolean {
  if (isTrue(p, 'PodResizePending') || isTrue(p, 'PodResizeInProgress')) return false;
  const running = new Map((p.status?.containerStatuses ?? []).map((c) => [c.name, c]));
  return (p.spec?.containers ?? []).every((c) => {
    const s = running.get(c.name);
    return !!s?.resources && sameResources(c.resources as Resources, s.resources as Resources);
  });
}

/** The kubelet runs what the spec says (every container's status image is its spec image) and reports it Ready. */
function podSettled(p: V1Pod): boolean {
  if (p.metadata?.deletionTimestamp || !isTrue(p, 'Ready')) return false;
  const state = p.metadata?.labels?.[LIFECYCLE];
  if (state !== undefined && state !== 'Normal') return false;
  if (p.spec?.readinessGates?.some((g) => g.conditionType === 'InPlaceUpdateReady') && !isTrue(p, 'InPlaceUpdateReady')) return false;
  const running = new Map((p.status?.containerStatuses ?? []).map((c) => [c.name, c]));
  return (p.spec?.containers ?? []).every((c) => {
    const s = running.get(c.name);
    return !!s?.ready && (s.image === c.image || s.image?.endsWith(`/${c.image}`));
  });
}

function describeState(ctx: ScenarioCtx, name: string): string {
  const cs = ctx.rec.cloneSet(name);
  const pods = ctx.rec.currentPods().map((p) => ({
    name: p.metadata?.name,
    deleting: !!p.metadata?.deletionTimestamp,
    images: specImages(p),
    ready: cond(p, 'Ready')?.status,
    gate: cond(p, 'InPlaceUpdateReady')?.status,
    resources: Object.fromEntries((p.spec?.containers ?? []).map((c) => [c.name, c.resources ?? null])),
    statusResources: Object.fromEntries((p.status?.containerStatuses ?? []).map((c) => [c.name, c.resources ?? null])),
    resize: ['PodResizePending', 'PodResizeInProgress']
      .map((t) => cond(p, t))
      .filter((c) => c?.status === 'True')
      .map((c) => `${c!.type}/${c!.reason ?? ''}`),
    lifecycle: p.metadata?.labels?.[LIFECYCLE],
    revision: p.metadata?.labels?.['controller-revision-hash'],
  }));
  return JSON.stringify({ generation: cs?.metadata.generation, status: cs?.status, pods }, null, 1);
}

/**
 * Waits until the CloneSet is settled: `replicas` live Pods and none terminating, each settled (podSettled),
 * `updated` of them on `images` (and, with `resources`, asking for those resources by container, and every Pod
 * running what its spec asks: resourcesSettled), and the CloneSet status saying the same at its current generation.
 */
export async function settle(
  ctx: ScenarioCtx,
  name: string,
  want: { replicas: number; updated: number; images: Record<string, string>; resources?: Record<string, Resources> },
  what: string,
): Promise<void> {
  const resources = want.resources;
  const onResources = (p: V1Pod) =>
    !resources || Object.entries(resources).every(([c, r]) => sameResources(p.spec?.containers.find((x) => x.name === c)?.resources as Resources, r));
  await ctx.rec.until(
    `${name}: ${what} (${want.replicas} Pods settled, ${want.updated} on ${JSON.stringify(want.images)}${resources ? ` and ${JSON.stringify(resources)}, running them` : ''}, status caught up)`,
    () => {
      const all = ctx.rec.currentPods();
      if (all.length !== want.replicas || !all.every(podSettled)) return false;
      if (resources && !all.every(resourcesSettled)) return false;
      const onTarget = all.filter((p) => Object.entries(want.images).every(([c, img]) => specImages(p)[c] === img) && onResources(p)).length;
      if (onTarget !== want.updated) return false;
      const cs = ctx.rec.cloneSet(name);
      const s = (cs?.status ?? {}) as Record<string, number | undefined>;
      return (
        (cs?.metadata.generation ?? 0) >= (ctx.generation ?? 0) &&
        s.observedGeneration === cs?.metadata.generation &&
        s.replicas === want.replicas &&
        s.readyReplicas === want.replicas &&
        s.availableReplicas === want.replicas &&
        (s.updatedReplicas ?? 0) === want.updated &&
        (s.updatedReadyReplicas ?? 0) === want.updated
      );
    },
    SETTLE_MS,
    () => describeState(ctx, name),
  );
}

/** Waits until every live Pod has been Ready for more than `seconds` (server timestamps are whole seconds: +1). */
export async function readyForMoreThan(ctx: ScenarioCtx, seconds: number): Promise<void> {
  const since = Math.max(...ctx.rec.livePods().map((p) => new Date(cond(p, 'Ready')?.lastTransitionTime ?? 0).getTime()));
  const wait = since + (seconds + 1) * 1000 - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
}

function snapshot(ctx: ScenarioCtx, label: string): void {
  ctx.snapshots[label] = ctx.rec.livePods();
}

export const example = (file: string) => parse(readFileSync(new URL(`../../examples/${file}`, import.meta.url), 'utf8')) as StoredCloneSet;

// ------------------------------------------------------------------------------------------------ scenarios

const perl = { nginx: 'nginx:perl' };
const v127 = { nginx: 'nginx:1.27' };
const imagePatch = (image: string, extra: Spec = {}) => ({
  spec: { template: { spec: { containers: [{ name: 'nginx', image, imagePullPolicy: 'IfNotPresent' }] } }, ...extra },
});

export const SCENARIOS: Scenario[] = [
  {
    name: 'seed',
    title: 'examples/nginx01.yaml (5 × nginx:perl), then nginx02.yaml (in place to nginx:latest, 4 replicas; minReadySeconds 30 → 2)',
    async run(ctx) {
      const cs1 = example('nginx01.yaml');
      const cs2 = example('nginx02.yaml');
      const name = cs1.metadata.name;
      (cs2.spec as { minReadySeconds: number }).minReadySeconds = 2;
      ctx.rec.mark('create');
      await create(ctx, cs1);
      await settle(ctx, name, { replicas: 5, updated: 5, images: perl }, 'nginx01 rolled out');
      await readyForMoreThan(ctx, 2);
      ctx.rec.mark('update');
      await patch(ctx, name, { spec: cs2.spec });
      await settle(ctx, name, { replicas: 4, updated: 4, images: { nginx: 'nginx:latest' } }, 'nginx02 rolled out');
      return { name, desired: 4 };
    },
  },
  {
    name: 'partition',
    title: '10 Pods, in place to nginx:1.27 with partition 3 and maxUnavailable 30 %: 7 updated, 3 kept',
    async run(ctx) {
      const name = 'web';
      ctx.rec.mark('create');
      await create(ctx, cloneSet(name, 10, { updateStrategy: { type: 'InPlaceIfPossible' } }));
      await settle(ctx, name, { replicas: 10, updated: 10, images: perl }, 'created');
      ctx.rec.mark('update');
      await patch(ctx, name, imagePatch('nginx:1.27', { updateStrategy: { type: 'InPlaceIfPossible', partition: 3, maxUnavailable: '30%' } }));
      await settle(ctx, name, { replicas: 10, updated: 7, images: v127 }, 'partition 3 reached');
      return { name, desired: 10 };
    },
  },
  {
    name: 'env-recreate',
    title: 'InPlaceIfPossible with an env change: not an image-only change, so every Pod is recreated',
    async run(ctx) {
      const name = 'web';
      ctx.rec.mark('create');
      await create(ctx, cloneSet(name, 3, { updateStrategy: { type: 'InPlaceIfPossible' } }));
      await settle(ctx, name, { replicas: 3, updated: 3, images: perl }, 'created');
      ctx.rec.mark('update');
      await patch(ctx, name, {
        spec: {
          template: { spec: { containers: [{ name: 'nginx', image: 'nginx:perl', imagePullPolicy: 'IfNotPresent', env: [{ name: 'MODE', value: 'two' }] }] } },
        },
      });
      await settle(ctx, name, { replicas: 3, updated: 3, images: perl }, 'recreated with the env');
      const envs = ctx.rec.livePods().map((p) => JSON.stringify(p.spec?.containers[0]?.env ?? []));
      ctx.extra['pods.env'] = [...new Set(envs)];
      return { name, desired: 3 };
    },
  },
  {
    name: 'two-containers',
    title: 'two containers, only the sidecar image changed: in place, only that container restarts',
    async run(ctx) {
      const name = 'web';
      const containers = (sidecar: string) => [
        { name: 'nginx', image: 'nginx:perl', imagePullPolicy: 'IfNotPresent' },
        { name: 'sidecar', image: sidecar, imagePullPolicy: 'IfNotPresent' },
      ];
      ctx.rec.mark('create');
      await create(ctx, cloneSet(name, 3, { updateStrategy: { type: 'InPlaceIfPossible' } }, containers('busybox:1.36')));
      await settle(ctx, name, { replicas: 3, updated: 3, images: { nginx: 'nginx:perl', sidecar: 'busybox:1.36' } }, 'created');
      ctx.rec.mark('update');
      await patch(ctx, name, { spec: { template: { spec: { containers: containers('busybox:1.37') } } } });
      await settle(ctx, name, { replicas: 3, updated: 3, images: { nginx: 'nginx:perl', sidecar: 'busybox:1.37' } }, 'sidecar updated');
      return { name, desired: 3 };
    },
  },
  {
    name: 'scale-during-update',
    title: 'an update held at partition 2 of 4, scaled up to 6, down to 3, then the partition lifted',
    async run(ctx) {
      const name = 'web';
      const strategy = (partition: number) => ({ updateStrategy: { type: 'InPlaceIfPossible', maxUnavailable: 1, partition } });
      ctx.rec.mark('create');
      await create(ctx, cloneSet(name, 4, strategy(0)));
      await settle(ctx, name, { replicas: 4, updated: 4, images: perl }, 'created');
      ctx.rec.mark('update');
      await patch(ctx, name, imagePatch('nginx:1.27', strategy(2)));
      await settle(ctx, name, { replicas: 4, updated: 2, images: v127 }, 'partition 2 of 4');
      ctx.rec.mark('scaleUp');
      await patch(ctx, name, { spec: { replicas: 6 } });
      await settle(ctx, name, { replicas: 6, updated: 4, images: v127 }, 'scaled up to 6, partition 2');
      snapshot(ctx, 'afterScaleUp');
      ctx.rec.mark('scaleDown');
      await patch(ctx, name, { spec: { replicas: 3 } });
      await settle(ctx, name, { replicas: 3, updated: 1, images: v127 }, 'scaled down to 3, partition 2');
      snapshot(ctx, 'afterScaleDown');
      ctx.rec.mark('lift');
      await patch(ctx, name, { spec: strategy(0) });
      await settle(ctx, name, { replicas: 3, updated: 3, images: v127 }, 'partition lifted');
      // which Pods the scale-down kept is the snapshot's observable; the final Pods are compared from the lift on
      return { name, desired: 4, maxWindow: ['update', 'scaleUp'], baseline: 'lift' };
    },
  },
  {
    name: 'maxsurge-recreate',
    title: 'ReCreate with maxSurge 1 and maxUnavailable 0: a surge Pod first, never fewer than 3 Ready',
    async run(ctx) {
      const name = 'web';
      const strategy = { updateStrategy: { type: 'ReCreate', maxSurge: 1, maxUnavailable: 0 } };
      ctx.rec.mark('create');
      await create(ctx, cloneSet(name, 3, strategy));
      await settle(ctx, name, { replicas: 3, updated: 3, images: perl }, 'created');
      ctx.rec.mark('update');
      await patch(ctx, name, imagePatch('nginx:1.27', strategy));
      await settle(ctx, name, { replicas: 3, updated: 3, images: v127 }, 'recreated');
      return { name, desired: 3 };
    },
  },
  {
    name: 'paused',
    title: 'an image change with updateStrategy.paused: nothing moves until paused is lifted',
    async run(ctx) {
      const name = 'web';
      ctx.rec.mark('create');
      await create(ctx, cloneSet(name, 3, { updateStrategy: { type: 'InPlaceIfPossible' } }));
      await settle(ctx, name, { replicas: 3, updated: 3, images: perl }, 'created');
      ctx.rec.mark('update');
      await patch(ctx, name, imagePatch('nginx:1.27', { updateStrategy: { type: 'InPlaceIfPossible', paused: true } }));
      // The controller has seen the paused generation when its status says so; then a quiet window in which nothing
      // may move (the check is on what was written, not on how long it took).
      const seen = await ctx.rec
        .until('the paused generation observed', () => (ctx.rec.cloneSet(name)?.status?.observedGeneration === ctx.generation ? true : undefined), 20_000)
        .catch(() => false);
      await new Promise((r) => setTimeout(r, 2_000));
      ctx.extra['paused.generationObserved'] = seen;
      snapshot(ctx, 'whilePaused');
      ctx.rec.mark('resume');
      await patch(ctx, name, { spec: { updateStrategy: { type: 'InPlaceIfPossible', paused: false } } });
      await settle(ctx, name, { replicas: 3, updated: 3, images: v127 }, 'resumed and rolled out');
      return { name, desired: 3 };
    },
  },
  {
    name: 'priority',
    title: 'priorityStrategy.weightPriority: the two Pods labelled tier=high are updated before the two tier=low',
    async run(ctx) {
      const name = 'web';
      const strategy = {
        updateStrategy: {
          type: 'InPlaceIfPossible',
          maxUnavailable: 1,
          priorityStrategy: { weightPriority: [{ weight: 100, matchSelector: { matchLabels: { tier: 'high' } } }] },
        },
      };
      ctx.rec.mark('create');
      await create(ctx, cloneSet(name, 4, strategy));
      await settle(ctx, name, { replicas: 4, updated: 4, images: perl }, 'created');
      // tiers by name order, so which Pods are high does not depend on who created them when
      const names = ctx.rec
        .livePods()
        .map((p) => p.metadata!.name!)
        .sort();
      for (const [i, pod] of names.entries()) await patchPodLabels(ctx, pod, { tier: i % 2 === 0 ? 'high' : 'low' });
      await ctx.rec.until('tier labels seen', () => ctx.rec.livePods().every((p) => p.metadata?.labels?.tier), 10_000);
      ctx.rec.mark('update');
      await patch(ctx, name, imagePatch('nginx:1.27', strategy));
      await settle(ctx, name, { replicas: 4, updated: 4, images: v127 }, 'rolled out');
      return { name, desired: 4 };
    },
  },
  {
    name: 'grace',
    title: 'inPlaceUpdateStrategy.gracePeriodSeconds 1: the Pod is taken out of service before its image changes',
    async run(ctx) {
      const name = 'web';
      const strategy = { updateStrategy: { type: 'InPlaceIfPossible', maxUnavailable: 1, inPlaceUpdateStrategy: { gracePeriodSeconds: 1 } } };
      ctx.rec.mark('create');
      await create(ctx, cloneSet(name, 2, strategy));
      await settle(ctx, name, { replicas: 2, updated: 2, images: perl }, 'created');
      ctx.rec.mark('update');
      await patch(ctx, name, imagePatch('nginx:1.27', strategy));
      await settle(ctx, name, { replicas: 2, updated: 2, images: v127 }, 'rolled out');
      return { name, desired: 2 };
    },
  },
  {
    name: 'hook',
    title: 'lifecycle.inPlaceUpdate hook (labelsHandler, markPodNotReady): each Pod held in PreparingUpdate until the test releases it',
    async run(ctx) {
      const name = 'web';
      const HOOK = 'hooks.example.com/in-service';
      const spec = {
        updateStrategy: { type: 'InPlaceIfPossible', maxUnavailable: 1 },
        lifecycle: { inPlaceUpdate: { labelsHandler: { [HOOK]: 'true' }, markPodNotReady: true } },
      };
      const cs = cloneSet(name, 2, spec);
      (cs.spec.template as { metadata: { labels: Record<string, string> } }).metadata.labels[HOOK] = 'true';
      ctx.rec.mark('create');
      await create(ctx, cs);
      await settle(ctx, name, { replicas: 2, updated: 2, images: perl }, 'created');
      ctx.rec.mark('update');
      await patch(ctx, name, imagePatch('nginx:1.27'));
      const held: { image: string; others: string; conditions: Record<string, string> }[] = [];
      for (let i = 0; i < 2; i++) {
        // A Pod the controller holds for the hook: PreparingUpdate, still hooked, still on the old image.
        const pod = await ctx.rec.until(
          `Pod ${i + 1} held in PreparingUpdate`,
          // markPodNotReady: out of service (Ready False) while held, whichever condition the controller uses for it
          () =>
            ctx.rec
              .livePods()
              .find(
                (p) => p.metadata?.labels?.[LIFECYCLE] === 'PreparingUpdate' && p.metadata?.labels?.[HOOK] === 'true' && cond(p, 'Ready')?.status === 'False',
              ),
          60_000,
          () => describeState(ctx, name),
        );
        const podName = pod.metadata!.name!;
        // held until released: the window (maxUnavailable 1) is taken, so the other Pod stays Normal meanwhile
        const others = ctx.rec.livePods().filter((p) => p.metadata?.name !== podName);
        held.push({
          image: pod.spec?.containers[0]?.image ?? '',
          others: [...new Set(others.map((p) => p.metadata?.labels?.[LIFECYCLE] ?? '(absent)'))].join(','),
          conditions: Object.fromEntries(['Ready', 'InPlaceUpdateReady', 'KruisePodReady'].map((t) => [t, cond(pod, t)?.status ?? '(absent)'])),
        });
        await patchPodLabels(ctx, podName, { [HOOK]: 'false' });
        // updated, then Updated until hooked again
        await ctx.rec.until(
          `Pod ${podName} Updated`,
          () => ctx.rec.livePods().find((p) => p.metadata?.name === podName && p.metadata?.labels?.[LIFECYCLE] === 'Updated'),
          60_000,
          () => describeState(ctx, name),
        );
        await patchPodLabels(ctx, podName, { [HOOK]: 'true' });
      }
      // one observable each: the image while held, the other Pods' state, each condition while held
      const uniq = (xs: string[]) => [...new Set(xs)].sort();
      ctx.extra['hook.held.image'] = uniq(held.map((h) => h.image));
      ctx.extra['hook.held.otherPods'] = uniq(held.map((h) => h.others));
      for (const t of ['Ready', 'InPlaceUpdateReady', 'KruisePodReady']) ctx.extra[`hook.held.condition.${t}`] = uniq(held.map((h) => h.conditions[t]!));
      await settle(ctx, name, { replicas: 2, updated: 2, images: v127 }, 'rolled out');
      return { name, desired: 2 };
    },
  },
  {
    name: 'resize',
    title:
      'resources in place (Kruise with InPlaceWorkloadVerticalScaling), 3 Pods, maxUnavailable 1, gracePeriodSeconds 1: the cpu request 100m → 150m alone, then nginx:1.27 with the memory limit 128Mi → 256Mi, then requests up to the limits (QoS Burstable → Guaranteed: recreated)',
    kruiseArgs: ['--feature-gates=InPlaceWorkloadVerticalScaling=true'],
    // Nodes registered (the real apiserver's pods/resize admission looks the Pod's Node up); the kubelet takes a resize
    // 1 s after admitting it, so a controller that hands a Pod back before the kubelet runs the new resources is seen
    // doing so (the tier compares the order of writes, never their timing)
    kubelet: { registerNodes: true, resizeDelayMs: 1000 },
    async run(ctx) {
      const name = 'web';
      const strategy = { updateStrategy: { type: 'InPlaceIfPossible', maxUnavailable: 1, inPlaceUpdateStrategy: { gracePeriodSeconds: 1 } } };
      const sized = (image: string, resources: Resources) => [{ name: 'nginx', image, imagePullPolicy: 'IfNotPresent', resources }];
      const initial = { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '200m', memory: '128Mi' } };
      const cpu = { requests: { cpu: '150m', memory: '64Mi' }, limits: { cpu: '200m', memory: '128Mi' } };
      const memory = { requests: { cpu: '150m', memory: '64Mi' }, limits: { cpu: '200m', memory: '256Mi' } };
      const guaranteed = { requests: { cpu: '200m', memory: '256Mi' }, limits: { cpu: '200m', memory: '256Mi' } };
      ctx.rec.mark('create');
      await create(ctx, cloneSet(name, 3, strategy, sized('nginx:perl', initial)));
      await settle(ctx, name, { replicas: 3, updated: 3, images: perl, resources: { nginx: initial } }, 'created');
      // only the cpu request: a resize alone
      ctx.rec.mark('update');
      await patch(ctx, name, { spec: { template: { spec: { containers: sized('nginx:perl', cpu) } } } });
      await settle(ctx, name, { replicas: 3, updated: 3, images: perl, resources: { nginx: cpu } }, 'cpu request resized');
      // an image and a resource together
      ctx.rec.mark('update2');
      await patch(ctx, name, { spec: { template: { spec: { containers: sized('nginx:1.27', memory) } } } });
      await settle(ctx, name, { replicas: 3, updated: 3, images: v127, resources: { nginx: memory } }, 'image and memory limit rolled out');
      // requests up to the limits: Burstable → Guaranteed, which no resize can do
      ctx.rec.mark('update3');
      await patch(ctx, name, { spec: { template: { spec: { containers: sized('nginx:1.27', guaranteed) } } } });
      await settle(ctx, name, { replicas: 3, updated: 3, images: v127, resources: { nginx: guaranteed } }, 'QoS class changed');
      // the final Pods are compared from the QoS change on; each resize phase has its own observables
      return { name, desired: 3, baseline: 'update3', phases: { cpu: ['update', 'update2'], imageAndMemory: ['update2', 'update3'], qos: ['update3'] } };
    },
  },
];

export function scenario(name: string): Scenario {
  const s = SCENARIOS.find((x) => x.name === name);
  if (!s) throw new Error(`no scenario ${name}`);
  return s;
}
