/**
 * An in-memory CloneSet and its Pods, and mocked rollout activities that read and write it: the real workflow runs on
 * the real Temporal server with no apiserver and no kubelet. Decisions come from the project's own pure code
 * (validateCloneSet, planSpecFrom, planPodUpdate, planStep, podsToResume, blockingReasons, resumeWait,
 * containersUpdated...), so the mocks answer as the real activities would; only the Kubernetes I/O is faked.
 *
 * The test drives the "kubelet": by default a patched container comes up at once; `kubelet.hold()` keeps patched
 * containers down (ContainerCreating) until `kubelet.start(names)`, and `badImages` never come up (ImagePullBackOff).
 * Waiting activities heartbeat while they wait and honour cancellation, like the real ones.
 */
import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import type { FinishInput, FinishResult, PatchBatchInput, BatchResult, BatchPod } from '../../src/activities/batch.js';
import type { InPlacePatch, InPlacePatchResult } from '../../src/activities/pods.js';
import { containersUpdated, readyWithGate } from '../../src/activities/predicates.js';
import { planRound } from '../../src/activities/round.js';
import type { PlannedObservation, PodRef, ReadyResult, RevisionPlan, RolloutSpec, RolloutTarget } from '../../src/activities/types.js';
import { NonRetryable } from '../../src/kube/error-types.js';
import {
  Annotations,
  applyImages,
  canonicalJson,
  Conditions,
  formatErrors,
  hookWaitOver,
  Labels,
  lifecycleAfterCreate,
  lifecycleAfterGateOn,
  LifecycleState,
  planPodUpdate,
  planSpecFrom,
  resumeWait,
  revisionName,
  rolloutHooks,
  selectorString,
  toPodView,
  validateCloneSet,
  type CloneSet,
  type CloneSetCondition,
  type CloneSetSpec,
  type HookWait,
  type InFlight,
  type PodTemplateSpec,
  type PodView,
  type RolloutDecision,
} from '../../src/rollout/index.js';

/** A Pod as the apiserver would hold it (the fields toPodView reads). */
export interface FakePod {
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    labels: Record<string, string>;
    annotations: Record<string, string>;
    creationTimestamp: string;
    deletionTimestamp?: string;
    finalizers?: string[];
  };
  spec: { nodeName: string; containers: { name: string; image: string }[]; readinessGates: { conditionType: string }[] };
  status: {
    phase: string;
    conditions: { type: string; status: string; lastTransitionTime: string; reason?: string }[];
    containerStatuses: {
      name: string;
      image: string;
      imageID: string;
      ready: boolean;
      restartCount: number;
      started: boolean;
      state: { running?: object; waiting?: { reason: string } };
    }[];
  };
}

/** One activity call, as the mock saw it. */
export interface Call {
  activity: string;
  input: unknown;
  atMs: number;
}

export interface FakeCloneSetOptions {
  namespace: string;
  name?: string;
  replicas: number;
  image?: string;
  updateStrategy?: CloneSetSpec['updateStrategy'];
  minReadySeconds?: number;
  progressDeadlineSeconds?: number;
}

const iso = (ms: number) => new Date(ms).toISOString();
const imageId = (image: string) => `docker.io/library/${image.replace(/^.*\//, '')}@sha256:${canonicalJson(image).length.toString(16).padStart(64, '0')}`;

/** The CloneSet, its recorded revisions and its Pods, with a scripted kubelet. */
export class FakeCluster {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  generation = 1;
  spec: CloneSetSpec;
  status: { currentRevision: string; conditions: CloneSetCondition[] };
  /** ControllerRevisions: revision name → template. */
  readonly revisions = new Map<string, PodTemplateSpec>();
  readonly pods = new Map<string, FakePod>();
  /** Every activity call, in order. */
  readonly calls: Call[] = [];
  /** The planner's decisions the mocked observePlan returned (generation unchanged), in order. */
  readonly decisions: RolloutDecision[] = [];
  /** Waiting activities that ended by cancellation (a superseded lane), with the Pods they waited on. */
  readonly cancelled: { activity: string; pods: string[] }[] = [];
  /** Images the kubelet can never pull (ImagePullBackOff). */
  readonly badImages = new Set<string>();
  /** Highest number of Pods not Ready at once (gate False or containers down), and who they were. */
  maxNotReady = 0;
  maxNotReadyPods: string[] = [];
  private holding = false;
  /** `pod:image` the kubelet was told to bring up while holding. */
  private readonly released = new Set<string>();
  private uidSeq = 0;
  private waiters = new Set<() => void>();
  private readonly holds: { activity: string; arrive: () => void; released: Promise<void> }[] = [];

  constructor(o: FakeCloneSetOptions) {
    this.namespace = o.namespace;
    this.name = o.name ?? 'web';
    this.uid = `cs-${o.namespace}`;
    this.spec = {
      replicas: o.replicas,
      selector: { matchLabels: { app: this.name } },
      template: { metadata: { labels: { app: this.name } }, spec: { containers: [{ name: 'nginx', image: o.image ?? 'nginx:1.0' }] } },
      updateStrategy: { type: 'InPlaceIfPossible', ...o.updateStrategy },
      ...(o.minReadySeconds !== undefined ? { minReadySeconds: o.minReadySeconds } : {}),
      ...(o.progressDeadlineSeconds !== undefined ? { progressDeadlineSeconds: o.progressDeadlineSeconds } : {}),
    };
    const revision = this.recordRevision();
    this.status = { currentRevision: revision, conditions: [] };
    const longAgo = Date.now() - 3_600_000;
    for (let i = 0; i < o.replicas; i++) this.addPod(`${this.name}-${String(i).padStart(2, '0')}`, revision, longAgo + i);
  }

  // ---- the test's controls ----------------------------------------------------------------------------------

  /** The kubelet stops bringing patched containers up: they stay down until {@link start}. */
  readonly kubelet = {
    hold: () => {
      this.holding = true;
    },
    /** Brings the named Pods' containers up (all held Pods when omitted); the kubelet keeps holding others. */
    start: (names?: string[]) => {
      for (const n of names ?? [...this.pods.keys()]) {
        for (const c of this.pods.get(n)?.spec.containers ?? []) this.released.add(`${n}:${c.image}`);
      }
      for (const p of this.pods.values()) this.reconcile(p);
      this.changed();
    },
    /** Stops holding: every patched container comes up now and from now on. */
    release: () => {
      this.holding = false;
      for (const p of this.pods.values()) this.reconcile(p);
      this.changed();
    },
  };

  /**
   * Holds the next call of `activity` before it does anything: `arrived` resolves when the call comes in, and it
   * goes on once `release()` is called. (For quick activities only: they have no heartbeat, so keep it short.)
   */
  holdNext(activity: string): { arrived: Promise<void>; release: () => void } {
    let arrive!: () => void;
    let release!: () => void;
    const arrived = new Promise<void>((r) => (arrive = r));
    const released = new Promise<void>((r) => (release = r));
    this.holds.push({ activity, arrive, released });
    return { arrived, release };
  }

  /** Waits at a hold set by {@link holdNext}, if one is set for this activity. */
  async passHold(activity: string): Promise<void> {
    const i = this.holds.findIndex((h) => h.activity === activity);
    if (i < 0) return;
    const [h] = this.holds.splice(i, 1);
    h!.arrive();
    await h!.released;
  }

  /** A new CloneSet spec (e.g. `kubectl set image`): the template changes, metadata.generation goes up. */
  setImages(images: Record<string, string>): void {
    const applied = applyImages(this.spec.template, images);
    if (!applied.ok) throw new Error(formatErrors(applied.errors));
    this.spec = { ...this.spec, template: applied.value };
    this.generation++;
    this.changed();
  }

  /** Pod views, sorted by name. */
  views(): PodView[] {
    return [...this.pods.values()].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name)).map((p) => toPodView(p));
  }

  images(): Record<string, string> {
    return Object.fromEntries(this.views().map((v) => [v.name, v.containers[0]!.specImage]));
  }

  revisionOf(template = this.spec.template): string {
    return revisionName(this.name, template);
  }

  callsOf(activity: string): Call[] {
    return this.calls.filter((c) => c.activity === activity);
  }

  /** Pod names each call of a batch activity (or single-Pod activity) named, in call order. */
  podsOf(activity: string): string[][] {
    return this.callsOf(activity).map((c) => {
      const i = c.input as { pods?: { name: string }[]; name?: string };
      return i.pods ? i.pods.map((p) => p.name) : i.name ? [i.name] : [];
    });
  }

  /** Resolves once `pred` holds on the model (checked at every change); rejects after `timeoutMs`. */
  async until<T>(what: string, pred: () => T | undefined | false, timeoutMs = 20_000): Promise<T> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const v = pred();
      if (v) return v;
      if (Date.now() > end) throw new Error(`fake cluster ${this.namespace}: timed out waiting for ${what}`);
      await this.nextChange(Math.min(200, end - Date.now()));
    }
  }

  // ---- the model --------------------------------------------------------------------------------------------

  changed(): void {
    const notReady = [...this.pods.values()].filter((p) => !toPodView(p).ready).map((p) => p.metadata.name);
    if (notReady.length > this.maxNotReady) {
      this.maxNotReady = notReady.length;
      this.maxNotReadyPods = notReady.sort();
    }
    const w = this.waiters;
    this.waiters = new Set();
    for (const f of w) f();
  }

  nextChange(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, Math.max(1, timeoutMs));
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.waiters.add(done);
    });
  }

  private recordRevision(): string {
    const rev = this.revisionOf();
    if (!this.revisions.has(rev)) this.revisions.set(rev, JSON.parse(JSON.stringify(this.spec.template)) as PodTemplateSpec);
    return rev;
  }

  private nextUid(): string {
    return `${this.namespace}-uid-${++this.uidSeq}`;
  }

  addPod(name: string, revision: string, sinceMs = Date.now()): FakePod {
    const template = this.revisions.get(revision)!;
    const containers = template.spec.containers.map((c) => ({ name: c.name, image: c.image }));
    const pod: FakePod = {
      metadata: {
        name,
        namespace: this.namespace,
        uid: this.nextUid(),
        labels: {
          ...(template.metadata?.labels ?? {}),
          [Labels.revision]: revision,
          [Labels.instanceId]: name.slice(this.name.length + 1),
          [Labels.lifecycleState]: LifecycleState.Normal,
        },
        annotations: {},
        creationTimestamp: iso(sinceMs),
      },
      spec: { nodeName: 'node-1', containers, readinessGates: [{ conditionType: Conditions.inPlaceUpdateReady }] },
      status: {
        phase: 'Running',
        conditions: [
          { type: Conditions.inPlaceUpdateReady, status: 'True', lastTransitionTime: iso(sinceMs) },
          { type: Conditions.ready, status: 'False', lastTransitionTime: iso(sinceMs) },
        ],
        containerStatuses: [],
      },
    };
    this.pods.set(name, pod);
    this.reconcile(pod, sinceMs);
    return pod;
  }

  private condition(p: FakePod, type: string) {
    return p.status.conditions.find((c) => c.type === type)!;
  }

  private setCondition(p: FakePod, type: string, status: 'True' | 'False', atMs = Date.now(), reason?: string) {
    const c = this.condition(p, type);
    if (c.status !== status) {
      c.status = status;
      c.lastTransitionTime = iso(atMs);
    }
    if (reason !== undefined) c.reason = reason;
  }

  /** The kubelet: containers follow their spec image (unless held or unpullable); Ready follows containers and gate. */
  private reconcile(p: FakePod, atMs = Date.now()): void {
    const name = p.metadata.name;
    for (const c of p.spec.containers) {
      let st = p.status.containerStatuses.find((s) => s.name === c.name);
      if (!st) {
        st = { name: c.name, image: '', imageID: '', ready: false, restartCount: 0, started: false, state: {} };
        p.status.containerStatuses.push(st);
      }
      if (st.image === c.image && st.ready) continue;
      if (this.badImages.has(c.image)) {
        Object.assign(st, { image: c.image, imageID: '', ready: false, started: false, state: { waiting: { reason: 'ImagePullBackOff' } } });
      } else if (this.holding && !this.released.has(`${name}:${c.image}`) && st.image !== '') {
        Object.assign(st, { ready: false, started: false, state: { waiting: { reason: 'ContainerCreating' } } });
      } else {
        const restarted = st.image !== '';
        Object.assign(st, { image: c.image, imageID: imageId(c.image), ready: true, started: true, state: { running: {} } });
        if (restarted) st.restartCount++;
      }
    }
    const containersReady = p.status.containerStatuses.every((s) => s.ready);
    const gate = this.condition(p, Conditions.inPlaceUpdateReady).status === 'True';
    this.setCondition(p, Conditions.ready, containersReady && gate ? 'True' : 'False', atMs);
  }

  private live(ref: { name: string; uid: string }): FakePod {
    const p = this.pods.get(ref.name);
    if (!p) throw ApplicationFailure.nonRetryable(`Pod ${this.namespace}/${ref.name} no longer exists`, NonRetryable.PodGone);
    if (p.metadata.uid !== ref.uid) {
      throw ApplicationFailure.nonRetryable(`Pod ${this.namespace}/${ref.name} was replaced (uid ${p.metadata.uid})`, NonRetryable.PodGone);
    }
    return p;
  }

  private normalized() {
    const cs: CloneSet = {
      apiVersion: 'apps.kruise.io/v1alpha1',
      kind: 'CloneSet',
      metadata: { name: this.name, namespace: this.namespace, uid: this.uid, generation: this.generation },
      spec: this.spec,
    };
    const v = validateCloneSet(cs);
    if (!v.ok) throw ApplicationFailure.nonRetryable(`CloneSet ${this.namespace}/${this.name} is invalid: ${formatErrors(v.errors)}`, NonRetryable.InvalidSpec);
    return v.value;
  }

  // ---- what the activities do (same inputs and results as src/activities) -----------------------------------

  prepareRollout(input: { namespace: string; name: string; images?: Record<string, string>; revision?: number }): RolloutTarget {
    if (input.revision !== undefined) throw ApplicationFailure.nonRetryable('the fake cluster keeps no revision numbers', NonRetryable.InvalidSpec);
    const applied = applyImages(this.spec.template, input.images);
    if (!applied.ok)
      throw ApplicationFailure.nonRetryable(`CloneSet ${input.namespace}/${input.name}: ${formatErrors(applied.errors)}`, NonRetryable.InvalidSpec);
    if (canonicalJson(applied.value) !== canonicalJson(this.spec.template)) {
      this.spec = { ...this.spec, template: applied.value };
      this.generation++;
    }
    const cs = this.normalized();
    const updateRevision = this.recordRevision();
    const revisions: Record<string, RevisionPlan> = {};
    const views = this.views();
    for (const rev of new Set(views.map((p) => p.revision ?? ''))) {
      if (rev === updateRevision) continue;
      const plan = planPodUpdate(this.revisions.get(rev) ?? null, cs.spec.template, cs.spec.updateStrategy.type);
      revisions[rev] = {
        action: plan.action,
        images: plan.diff?.containerImages ?? {},
        labels: plan.diff?.metadata.labels ?? {},
        annotations: plan.diff?.metadata.annotations ?? {},
        reasons: plan.reasons,
      };
    }
    const hooks = rolloutHooks(cs.spec.lifecycle);
    const spec: RolloutSpec = {
      ...planSpecFrom(cs.spec),
      gracePeriodSeconds: cs.spec.updateStrategy.inPlaceUpdateStrategy.gracePeriodSeconds,
      progressDeadlineSeconds: cs.spec.progressDeadlineSeconds ?? null,
      ...(Object.keys(hooks).length > 0 ? { hooks } : {}),
    };
    this.changed();
    return {
      namespace: this.namespace,
      name: this.name,
      uid: this.uid,
      generation: this.generation,
      selector: selectorString(cs.spec.selector),
      updateRevision,
      currentRevision: this.status.currentRevision,
      images: Object.fromEntries(cs.spec.template.spec.containers.map((c) => [c.name, c.image])),
      spec,
      revisions,
      atMs: Date.now(),
    };
  }

  private observeCloneSet(t: RolloutTarget): { atMs: number; generation: number; pods: PodView[] } {
    if (t.uid !== this.uid)
      throw ApplicationFailure.nonRetryable(`CloneSet ${t.namespace}/${t.name} was deleted (and recreated) mid-rollout`, NonRetryable.CloneSetNotFound);
    const pods = this.views();
    const active = pods.filter((p) => !p.deleting);
    if (this.generation === t.generation && active.length === this.spec.replicas && active.every((p) => p.revision === t.updateRevision)) {
      this.status.currentRevision = t.updateRevision;
    }
    return { atMs: Date.now(), generation: this.generation, pods };
  }

  /** As the real observePlan: plans with `target.spec` (the operator's overrides applied by the workflow). */
  observePlan(input: { target: RolloutTarget; inFlight: Record<string, InFlight>; fromRevision: string | null; fullPodsUpTo: number }): PlannedObservation {
    const round = planRound(this.observeCloneSet(input.target), input);
    if (round.decision) this.decisions.push(round.decision);
    return round;
  }

  setProgressing(input: { namespace: string; name: string; uid: string; status: 'True' | 'False'; reason: string; message: string }): { atMs: number } {
    if (input.uid !== this.uid)
      throw ApplicationFailure.nonRetryable(`CloneSet ${input.namespace}/${input.name} was deleted (and recreated) mid-rollout`, NonRetryable.CloneSetNotFound);
    const existing = this.status.conditions.find((c) => c.type === 'Progressing');
    if (existing?.status === input.status && existing.reason === input.reason) return { atMs: Date.now() };
    const now = iso(Date.now());
    const c: CloneSetCondition = {
      type: 'Progressing',
      status: input.status,
      reason: input.reason,
      message: input.message,
      lastUpdateTime: now,
      lastTransitionTime: now,
    };
    this.status.conditions = [...this.status.conditions.filter((x) => x !== existing), c];
    this.changed();
    return { atMs: Date.now() };
  }

  markPodNotReady(ref: PodRef): { atMs: number; offSinceMs: number } {
    const p = this.live(ref);
    const gate = this.condition(p, Conditions.inPlaceUpdateReady);
    if (gate.status === 'False') return { atMs: Date.now(), offSinceMs: Date.parse(gate.lastTransitionTime) };
    const offSinceMs = Date.now();
    this.setCondition(p, Conditions.inPlaceUpdateReady, 'False', offSinceMs, 'StartInPlaceUpdate');
    this.reconcile(p);
    this.changed();
    return { atMs: Date.now(), offSinceMs };
  }

  patchPodInPlace(input: InPlacePatch): InPlacePatchResult {
    const p = this.live(input);
    const v = toPodView(p);
    const applied =
      v.revision === input.revision && Object.entries(input.images).every(([n, img]) => v.containers.find((c) => c.name === n)?.specImage === img);
    if (applied) {
      const recorded = v.inPlaceState?.lastContainerStatuses ?? {};
      return {
        previousImageIDs: Object.fromEntries(Object.keys(input.images).map((n) => [n, recorded[n]?.imageID ?? null])),
        patched: false,
        atMs: Date.now(),
      };
    }
    for (const n of Object.keys(input.images)) {
      if (!v.containers.some((c) => c.name === n)) throw ApplicationFailure.nonRetryable(`Pod ${input.name} has no container "${n}"`, NonRetryable.Rejected);
    }
    const previousImageIDs = Object.fromEntries(Object.keys(input.images).map((n) => [n, v.containers.find((c) => c.name === n)?.imageID ?? null]));
    const state = {
      revision: input.revision,
      updateTimestamp: iso(Date.now()),
      lastContainerStatuses: Object.fromEntries(Object.entries(previousImageIDs).map(([n, id]) => [n, { imageID: id ?? '' }])),
    };
    const meta = (m: Record<string, string>, changes: Record<string, string | null> | undefined) => {
      for (const [k, val] of Object.entries(changes ?? {})) {
        if (val === null) delete m[k];
        else m[k] = val;
      }
    };
    meta(p.metadata.labels, { ...input.labels, [Labels.revision]: input.revision, [Labels.lifecycleState]: LifecycleState.Updating });
    meta(p.metadata.annotations, { ...input.annotations, [Annotations.inPlaceUpdateState]: JSON.stringify(state) });
    for (const c of p.spec.containers) if (c.name in input.images) c.image = input.images[c.name]!;
    this.reconcile(p);
    this.changed();
    return { previousImageIDs, patched: true, atMs: Date.now() };
  }

  markPodReady(ref: PodRef & { lifecycle?: string }): { atMs: number } {
    const p = this.live(ref);
    const want = ref.lifecycle === LifecycleState.Updated ? LifecycleState.Updated : LifecycleState.Normal;
    // The gate first, then the label (the real markPodReady's order and rule).
    this.setCondition(p, Conditions.inPlaceUpdateReady, 'True', Date.now(), '');
    const next = lifecycleAfterGateOn(p.metadata.labels[Labels.lifecycleState] ?? null, want, !!p.spec.nodeName);
    if (next !== null) p.metadata.labels[Labels.lifecycleState] = next;
    this.reconcile(p);
    this.changed();
    return { atMs: Date.now() };
  }

  createPod(input: { namespace: string; cloneSetName: string; cloneSetUid: string; revision: string; instanceId: string }): {
    name: string;
    uid: string;
    atMs: number;
  } {
    if (input.cloneSetUid !== this.uid)
      throw ApplicationFailure.nonRetryable(`CloneSet ${input.namespace}/${input.cloneSetName} was replaced mid-rollout`, NonRetryable.CloneSetNotFound);
    if (!this.revisions.has(input.revision))
      throw ApplicationFailure.nonRetryable(`revision ${input.revision} of CloneSet ${input.cloneSetName} is unknown`, NonRetryable.Rejected);
    const name = `${this.name}-${input.instanceId}`;
    let existing = this.pods.get(name);
    if (!existing) {
      existing = this.addPod(name, input.revision);
      // As the real createPod: a new Pod starts PreparingNormal, moved to Normal once bound (waitPodReady).
      existing.metadata.labels[Labels.lifecycleState] = LifecycleState.PreparingNormal;
    }
    this.changed();
    return { name, uid: existing.metadata.uid, atMs: Date.now() };
  }

  deletePod(ref: PodRef): { atMs: number } {
    const p = this.pods.get(ref.name);
    if (p && p.metadata.uid === ref.uid) this.pods.delete(ref.name);
    this.changed();
    return { atMs: Date.now() };
  }

  // ---- waits: heartbeat, honour cancellation, re-check at every change of the model --------------------------

  /** Runs `check` at every model change until it returns a value; heartbeats meanwhile; cancellation ends it. */
  async waitFor<T>(check: () => T | undefined, detail?: () => unknown, pods: string[] = []): Promise<T> {
    let ctx: Context | null = null;
    try {
      ctx = Context.current();
    } catch {
      // not in an activity
    }
    try {
      for (;;) {
        const v = check();
        if (v !== undefined) return v;
        ctx?.heartbeat(detail?.());
        const tick = this.nextChange(500);
        await (ctx ? Promise.race([tick, ctx.cancelled]) : tick);
      }
    } catch (err) {
      if (err instanceof CancelledFailure && ctx) {
        this.cancelled.push({ activity: ctx.info.activityType, pods });
        this.changed();
      }
      throw err;
    }
  }

  async waitPodUpdated(input: PodRef & { images: Record<string, string>; previousImageIDs: Record<string, string | null> }): Promise<{ atMs: number }> {
    return this.waitFor(
      () => (containersUpdated(toPodView(this.live(input)), input.images, input.previousImageIDs).done ? { atMs: Date.now() } : undefined),
      undefined,
      [input.name],
    );
  }

  async waitPodReady(ref: PodRef): Promise<ReadyResult> {
    return this.waitFor(() => {
      const p = this.live(ref);
      if (lifecycleAfterCreate(toPodView(p)) !== null) {
        p.metadata.labels[Labels.lifecycleState] = LifecycleState.Normal;
        this.changed();
      }
      const v = toPodView(p);
      return readyWithGate(v) && v.lifecycleState !== LifecycleState.PreparingNormal
        ? { readySinceMs: v.readySinceMs ?? Date.now(), atMs: Date.now() }
        : undefined;
    });
  }

  async awaitLifecycleHook(input: PodRef & HookWait & { markNotReady?: boolean }): Promise<{ held: boolean; atMs: number }> {
    const wait: HookWait = { state: input.state, until: input.until, hook: input.hook };
    const meta = () => {
      const p = this.live(input);
      return { labels: p.metadata.labels, finalizers: p.metadata.finalizers ?? [] };
    };
    const current = this.live(input).metadata.labels[Labels.lifecycleState];
    if (hookWaitOver(wait, meta()) && (input.until === 'rehooked' || current !== input.state)) return { held: false, atMs: Date.now() };
    const p = this.live(input);
    p.metadata.labels[Labels.lifecycleState] = input.state;
    if (input.markNotReady) this.setCondition(p, Conditions.inPlaceUpdateReady, 'False', Date.now(), 'StartInPlaceUpdate');
    this.reconcile(p);
    this.changed();
    return this.waitFor(() => (hookWaitOver(wait, meta()) ? { held: true, atMs: Date.now() } : undefined));
  }

  /**
   * As the real finishPodsInPlace: per Pod, wait for its changed containers (from its in-place record), then gate
   * True and lifecycle Normal, then Ready. Returns when every Pod is Ready or gone, or — where the real one lingers
   * a second for the rest — as soon as some are Ready and the others wait on the kubelet (`pending`).
   */
  async finishPodsInPlace(input: FinishInput): Promise<FinishResult> {
    const ready: Record<string, number> = {};
    const gone: Record<string, string> = {};
    const pending = () => input.pods.map((p) => p.name).filter((n) => !(n in ready) && !(n in gone));
    /** What each Pod's changed containers must reach, read from its first copy (as the real activity does). */
    const wanted: Record<string, ReturnType<typeof resumeWait>> = {};
    const step = () => {
      for (const ref of input.pods) {
        if (ref.name in ready || ref.name in gone) continue;
        const p = this.pods.get(ref.name);
        if (!p || p.metadata.uid !== ref.uid) {
          gone[ref.name] = `Pod ${input.namespace}/${ref.name} no longer exists`;
          continue;
        }
        let v = toPodView(p);
        const want = (wanted[ref.name] ??= resumeWait(v, input.revision));
        if (v.gateReady !== true) {
          if (!containersUpdated(v, want.images, want.previousImageIDs).done) continue;
          this.markPodReady({ namespace: input.namespace, name: ref.name, uid: ref.uid });
          v = toPodView(p);
        }
        // Held until available when asked (holdReadyMs: the rollout's short minReadySeconds).
        if (readyWithGate(v) && (v.readySinceMs ?? 0) + (input.holdReadyMs ?? 0) <= Date.now()) ready[ref.name] = v.readySinceMs ?? Date.now();
      }
      const left = pending();
      if (left.length === 0 || Object.keys(ready).length > 0) return { ready, gone, pending: left, atMs: Date.now() };
      return undefined;
    };
    return this.waitFor(
      step,
      () => ({ pending: pending().length, ready: Object.keys(ready).length }),
      input.pods.map((p) => p.name),
    );
  }

  /** Applies a single-Pod step to every Pod of a batch; PodGone is collected (as src/activities/batch.ts). */
  batch<T>(pods: BatchPod[], one: (ref: PodRef & { from?: string }) => T): BatchResult<T> {
    const results: Record<string, T> = {};
    const gone: Record<string, string> = {};
    for (const p of pods) {
      try {
        results[p.name] = one({ namespace: this.namespace, ...p });
      } catch (err) {
        if (err instanceof ApplicationFailure && err.type === NonRetryable.PodGone) gone[p.name] = err.message;
        else throw err;
      }
    }
    return { results, gone, atMs: Date.now() };
  }
}

/** Fake clusters by namespace: one worker's activities serve every test of a file. */
export class FakeClusters {
  private readonly byNamespace = new Map<string, FakeCluster>();

  add(o: FakeCloneSetOptions): FakeCluster {
    const c = new FakeCluster(o);
    this.byNamespace.set(o.namespace, c);
    return c;
  }

  private get(namespace: string, activity: string, input: unknown): FakeCluster {
    const c = this.byNamespace.get(namespace);
    if (!c) throw ApplicationFailure.nonRetryable(`CloneSet ${namespace}/web not found`, NonRetryable.CloneSetNotFound);
    c.calls.push({ activity, input: JSON.parse(JSON.stringify(input ?? null)) as unknown, atMs: Date.now() });
    return c;
  }

  /** The mocked activities: every name the workflow schedules, with the real ones' input and result shapes. */
  activities() {
    const at = (activity: string, namespace: string, input: unknown) => this.get(namespace, activity, input);
    return {
      prepareRollout: async (i: { namespace: string; name: string; images?: Record<string, string>; revision?: number }) =>
        at('prepareRollout', i.namespace, i).prepareRollout(i),
      observePlan: async (i: { target: RolloutTarget; inFlight: Record<string, InFlight>; fromRevision: string | null; fullPodsUpTo: number }) => {
        const c = at('observePlan', i.target.namespace, i);
        await c.passHold('observePlan');
        return c.observePlan(i);
      },
      setProgressing: async (i: { namespace: string; name: string; uid: string; status: 'True' | 'False'; reason: string; message: string }) =>
        at('setProgressing', i.namespace, i).setProgressing(i),
      createPod: async (i: { namespace: string; cloneSetName: string; cloneSetUid: string; revision: string; instanceId: string }) =>
        at('createPod', i.namespace, i).createPod(i),
      markPodNotReady: async (r: PodRef) => at('markPodNotReady', r.namespace, r).markPodNotReady(r),
      patchPodInPlace: async (p: InPlacePatch) => at('patchPodInPlace', p.namespace, p).patchPodInPlace(p),
      waitPodUpdated: async (p: PodRef & { images: Record<string, string>; previousImageIDs: Record<string, string | null> }) =>
        at('waitPodUpdated', p.namespace, p).waitPodUpdated(p),
      markPodReady: async (r: PodRef & { lifecycle?: typeof LifecycleState.Normal | typeof LifecycleState.Updated }) =>
        at('markPodReady', r.namespace, r).markPodReady(r),
      awaitLifecycleHook: async (p: PodRef & HookWait & { markNotReady?: boolean }) => at('awaitLifecycleHook', p.namespace, p).awaitLifecycleHook(p),
      waitPodReady: async (r: PodRef) => at('waitPodReady', r.namespace, r).waitPodReady(r),
      deletePod: async (r: PodRef & { cloneSet?: { name: string; uid: string }; reason?: string }) => at('deletePod', r.namespace, r).deletePod(r),
      markPodsNotReady: async (i: { namespace: string; pods: BatchPod[] }) => {
        const c = at('markPodsNotReady', i.namespace, i);
        return c.batch(i.pods, (r) => c.markPodNotReady(r).offSinceMs);
      },
      patchPodsInPlace: async (i: PatchBatchInput) => {
        const c = at('patchPodsInPlace', i.namespace, i);
        return c.batch(i.pods, (r) => {
          const plan = i.plans[r.from ?? ''];
          if (!plan) throw ApplicationFailure.nonRetryable(`no plan for revision ${r.from} of Pod ${r.name}`, NonRetryable.Rejected);
          return c.patchPodInPlace({ namespace: i.namespace, name: r.name, uid: r.uid, revision: i.revision, ...plan }).patched;
        });
      },
      finishPodsInPlace: async (i: FinishInput) => at('finishPodsInPlace', i.namespace, i).finishPodsInPlace(i),
    };
  }
}
