/**
 * What a user can observe of one scenario run, as a flat map `observable → value`, the same for either controller:
 * the final Pods (counts, images, restarts, the labels and annotations Kruise's tools read, readiness gates and
 * conditions), which Pods were updated in place, recreated or deleted, maxima over the update (from the recorded
 * sequence of watch events), the orderings of writes on each Pod, the final CloneSet status and the Events.
 *
 * Values are normalized to what must match between controllers: names, UIDs and hashes become shapes
 * (`<name>-<hash:10>`) and relations (the Pod's revision is the status' updateRevision), timestamps become their
 * format. Each observable is one field or one behaviour, so a divergence names exactly one of them.
 */
import type { CoreV1Event, V1Pod } from '@kubernetes/client-node';
import type { Recorded, Recorder, StoredCloneSet } from '../support/recorder.js';
import { formatResources, sameResources, type Resources } from './resources.js';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type Observables = Record<string, Json>;

export interface RunRecord {
  rec: Recorder;
  name: string;
  desired: number;
  pods: V1Pod[];
  cloneSet: StoredCloneSet;
  events: CoreV1Event[];
  extra: Record<string, unknown>;
  snapshots: Record<string, V1Pod[]>;
  /** Marks bounding the maxima (default: from "update" to the end). */
  maxWindow?: [string, string?];
  /** The mark the final Pods are compared against (in place, recreated, restarts, orderings); default "update". */
  baseline?: string;
  /** Windows (mark to mark, or to the end) whose resizes are observed one by one: `resize.<phase>.*`. */
  phases?: Record<string, [string, string?]>;
}

const LIFECYCLE = 'lifecycle.apps.kruise.io/state';
const LIFECYCLE_TS = 'lifecycle.apps.kruise.io/timestamp';
const REVISION = 'controller-revision-hash';
const TEMPLATE_HASH = 'pod-template-hash';
const INSTANCE = 'apps.kruise.io/cloneset-instance-id';
const STATE = 'apps.kruise.io/inplace-update-state';
const GRACE = 'apps.kruise.io/inplace-update-grace';
const TRACKED_LABELS = [REVISION, TEMPLATE_HASH, INSTANCE, LIFECYCLE];
const TRACKED_ANNOTATIONS = [LIFECYCLE_TS, STATE, GRACE];
const UPDATING = new Set(['PreparingUpdate', 'Updating', 'Updated']);
const ABSENT = '(absent)';
/** Kruise's Events that stand for one Pod acted on each (recorded on the CloneSet). */
const COUNTED_REASONS = new Set([
  'SuccessfulCreate',
  'SuccessfulDelete',
  'SuccessfulUpdatePodInPlace',
  'SuccessfulUpdatePodReCreate',
  'FailedCreate',
  'FailedDelete',
  'FailedUpdatePodInPlace',
]);

const cond = (p: V1Pod, type: string) => p.status?.conditions?.find((c) => c.type === type);
const condStatus = (p: V1Pod, type: string) => cond(p, type)?.status ?? ABSENT;
const images = (p: V1Pod) => (p.spec?.containers ?? []).map((c) => `${c.name}=${c.image}`).join(',');
const live = (pods: Iterable<V1Pod>) => [...pods].filter((p) => !p.metadata?.deletionTimestamp);
/** Every container's spec resources, by name: `nginx: requests cpu=100m …`. */
const specResources = (p: V1Pod) => (p.spec?.containers ?? []).map((c) => `${c.name}: ${formatResources(c.resources as Resources)}`).join(', ');
/** Every container's resources as the kubelet reports them (containerStatuses[].resources). */
const statusResources = (p: V1Pod) =>
  (p.status?.containerStatuses ?? [])
    .map((c) => `${c.name}: ${formatResources(c.resources as Resources)}`)
    .sort()
    .join(', ');
/** The requests the kubelet admitted (containerStatuses[].allocatedResources). */
const allocatedResources = (p: V1Pod) =>
  (p.status?.containerStatuses ?? [])
    .map((c) => `${c.name}: ${c.allocatedResources ? formatResources({ requests: c.allocatedResources }) : ABSENT}`)
    .sort()
    .join(', ');
const statusImages = (p: V1Pod) =>
  (p.status?.containerStatuses ?? [])
    .map((c) => `${c.name}=${c.image}`)
    .sort()
    .join(',');
const sameSpecResources = (a: V1Pod, b: V1Pod) =>
  (a.spec?.containers ?? []).every((c) => sameResources(c.resources as Resources, b.spec?.containers.find((x) => x.name === c.name)?.resources as Resources));
/** Whether the Pods ask for any cpu or memory (the resource observables are only made for scenarios that size their Pods). */
const sized = (p: V1Pod) =>
  (p.spec?.containers ?? []).some((c) => Object.keys(c.resources?.requests ?? {}).length + Object.keys(c.resources?.limits ?? {}).length > 0);

/** Sorted distinct values. */
function distinct(values: Json[]): Json {
  const seen = new Map(values.map((v) => [stableJson(v), v]));
  return [...seen.keys()].sort().map((k) => seen.get(k)!);
}

/** value → how many times, keys sorted. */
function tally(values: string[]): Json {
  const m: Record<string, number> = {};
  for (const v of values) m[v] = (m[v] ?? 0) + 1;
  return Object.fromEntries(Object.entries(m).sort(([a], [b]) => a.localeCompare(b)));
}

export function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v ?? null);
}

const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;

/** The format of a string: timestamps by precision, CloneSet-derived names by shape, anything else "string". */
function stringShape(s: string, csName: string): string {
  const ts = RFC3339.exec(s);
  if (ts) return `<time${ts[1] ? `:fraction${ts[1].length - 1}` : ':seconds'}${ts[2] === 'Z' ? 'Z' : ':offset'}>`;
  // a revision name: the hash's length varies with its value (Kruise's SafeEncodeString of a 32-bit hash)
  if (s.startsWith(`${csName}-`)) return /^[a-z0-9]+$/.test(s.slice(csName.length + 1)) ? '<name>-<hash>' : '<name>-<string>';
  return '<string>';
}

/** The shape of a JSON value: key names and types (strings by stringShape), array items merged. */
export function shape(v: unknown, csName: string): Json {
  if (v === undefined) return ABSENT;
  if (v === null) return null;
  if (typeof v === 'string') return stringShape(v, csName);
  if (typeof v === 'number') return '<number>';
  if (typeof v === 'boolean') return v;
  if (Array.isArray(v)) return distinct(v.map((x) => shape(x, csName)));
  return Object.fromEntries(
    Object.keys(v)
      .sort()
      .map((k) => [k, shape((v as Record<string, unknown>)[k], csName)]),
  );
}

/** Live Pods as of a mark, replaying the log. */
function podsAt(log: Recorded[], seq: number): Map<string, V1Pod> {
  const m = new Map<string, V1Pod>();
  for (const e of log) {
    if (e.seq >= seq) break;
    if (e.kind !== 'Pod') continue;
    if (e.type === 'DELETED') m.delete(e.obj.metadata!.uid!);
    else m.set(e.obj.metadata!.uid!, e.obj);
  }
  return m;
}

/** Every write seen on one Pod (by uid) from `from` on, in order. */
function writesOf(log: Recorded[], uid: string, from: number, to = Infinity): V1Pod[] {
  return log.filter((e) => e.kind === 'Pod' && e.seq >= from && e.seq < to && e.type !== 'DELETED' && e.obj.metadata?.uid === uid).map((e) => e.obj as V1Pod);
}

function collapse(xs: string[]): string[] {
  return xs.filter((x, i) => i === 0 || xs[i - 1] !== x);
}

/** Where `b` first happened relative to `a` in a Pod's writes: "earlier write", "same write", "later write", "never". */
function relative(writes: V1Pod[], a: (p: V1Pod) => boolean, b: (p: V1Pod) => boolean): string {
  const ia = writes.findIndex(a);
  const ib = writes.findIndex(b);
  if (ib < 0) return 'never';
  if (ia < 0) return 'without the other';
  return ib < ia ? 'earlier write' : ib === ia ? 'same write' : 'later write';
}

export function observe(r: RunRecord): Observables {
  const o: Observables = {};
  const { rec, name } = r;
  const log = rec.log;
  const updateSeq = rec.seqOf(r.baseline ?? 'update');
  const createSeq = rec.marks.get('create') ?? 0;
  const pods = live(r.pods).sort((a, b) => a.metadata!.name!.localeCompare(b.metadata!.name!));
  const status = (r.cloneSet.status ?? {}) as Record<string, unknown>;
  const templateLabels = Object.keys(((r.cloneSet.spec.template as { metadata?: { labels?: Record<string, string> } })?.metadata?.labels ?? {}) as object);

  // ------------------------------------------------------------------ the final Pods
  o['pods.count'] = pods.length;
  o['pods.terminating'] = r.pods.length - pods.length;
  o['pods.images'] = tally(pods.map(images));

  // in place / recreated / deleted, relative to the Pods live when the update was applied
  const before = [...podsAt(log, updateSeq).values()].filter((p) => !p.metadata?.deletionTimestamp);
  const beforeByUid = new Map(before.map((p) => [p.metadata!.uid!, p]));
  // container restarts the update caused (a Pod created since starts from 0)
  const restartsAtBaseline = (p: V1Pod, c: string) =>
    beforeByUid.get(p.metadata!.uid!)?.status?.containerStatuses?.find((x) => x.name === c)?.restartCount ?? 0;
  o['pods.restartsDuringUpdate'] = tally(
    pods.map((p) => (p.status?.containerStatuses ?? []).map((c) => `${c.name}:${c.restartCount - restartsAtBaseline(p, c.name)}`).join(',')),
  );
  const finalUids = new Set(pods.map((p) => p.metadata!.uid!));
  const kept = pods.filter((p) => beforeByUid.has(p.metadata!.uid!));
  o['pods.updatedInPlace'] = kept.filter((p) => images(p) !== images(beforeByUid.get(p.metadata!.uid!)!)).length;
  o['pods.unchanged'] = kept.filter((p) => images(p) === images(beforeByUid.get(p.metadata!.uid!)!)).length;
  o['pods.createdDuringUpdate'] = pods.length - kept.length;
  o['pods.deletedDuringUpdate'] = before.filter((p) => !finalUids.has(p.metadata!.uid!)).length;
  o['pods.keptNames'] = kept.every((p) => beforeByUid.get(p.metadata!.uid!)!.metadata!.name === p.metadata!.name);
  if (pods.some(sized)) {
    // resources: what the spec asks, what the kubelet runs and admitted, the QoS class; Pods resized since the baseline
    o['pods.resizedInPlace'] = kept.filter((p) => !sameSpecResources(p, beforeByUid.get(p.metadata!.uid!)!)).length;
    o['pod.resources.spec'] = distinct(pods.map(specResources));
    o['pod.resources.status'] = distinct(pods.map(statusResources));
    o['pod.resources.allocated'] = distinct(pods.map(allocatedResources));
    o['pod.qosClass'] = distinct(pods.map((p) => p.status?.qosClass ?? ABSENT));
  }

  // labels Kruise's tools read: shapes, and how they relate to the CloneSet
  for (const key of [REVISION, LIFECYCLE]) {
    const values = pods.map((p) => p.metadata?.labels?.[key]);
    o[`pod.label.${key}`] = distinct(values.map((v) => (key === LIFECYCLE ? (v ?? ABSENT) : shape(v, name))));
  }
  const updateRevision = typeof status.updateRevision === 'string' ? status.updateRevision : undefined;
  const currentRevision = typeof status.currentRevision === 'string' ? status.currentRevision : undefined;
  o['pod.revision.vsStatus'] = tally(
    pods.map((p) => {
      const rv = p.metadata?.labels?.[REVISION];
      return rv === undefined ? ABSENT : rv === updateRevision ? 'updateRevision' : rv === currentRevision ? 'currentRevision' : 'other';
    }),
  );
  // pod-template-hash and the instance id, by what they must equal (their values are hashes and random ids)
  o[`pod.label.${TEMPLATE_HASH}`] = distinct(
    pods.map((p) => {
      const h = p.metadata?.labels?.[TEMPLATE_HASH];
      const rv = p.metadata?.labels?.[REVISION];
      return h === undefined ? ABSENT : rv === `${name}-${h}` ? 'the revision hash' : `other: ${stringShape(h, name)}`;
    }),
  );
  o[`pod.label.${INSTANCE}`] = distinct(
    pods.map((p) => {
      const id = p.metadata?.labels?.[INSTANCE];
      return id === undefined ? ABSENT : p.metadata?.name === `${name}-${id}` ? 'the name suffix' : `other: ${stringShape(id, name)}`;
    }),
  );
  o['pod.name'] = distinct(pods.map((p) => shape(p.metadata?.name, name)));
  o['pod.labels.other'] = distinct(
    pods.flatMap((p) => Object.keys(p.metadata?.labels ?? {}).filter((k) => !TRACKED_LABELS.includes(k) && !templateLabels.includes(k) && k !== 'tier')),
  );

  // annotations
  o[`pod.annotation.${LIFECYCLE_TS}`] = distinct(pods.map((p) => shape(p.metadata?.annotations?.[LIFECYCLE_TS], name)));
  o[`pod.annotation.${GRACE}`] = tally(pods.map((p) => (p.metadata?.annotations?.[GRACE] === undefined ? ABSENT : 'present')));
  // the in-place update state, on the Pods updated in place since the baseline
  const updatedInPlace = kept.filter((p) => images(p) !== images(beforeByUid.get(p.metadata!.uid!)!));
  const states = updatedInPlace.map((p) => p.metadata?.annotations?.[STATE]).filter((s): s is string => s !== undefined);
  o[`pod.annotation.${STATE}.pods`] =
    states.length === updatedInPlace.length ? 'every Pod updated in place' : `${states.length} of ${updatedInPlace.length} Pods updated in place`;
  const parsed = states.map((s) => JSON.parse(s) as Record<string, unknown>);
  for (const key of [...new Set(parsed.flatMap((s) => Object.keys(s)))].sort()) {
    o[`pod.annotation.${STATE}.${key}`] = distinct(parsed.map((s) => shape(s[key], name)));
  }
  o['pod.annotations.other'] = distinct(pods.flatMap((p) => Object.keys(p.metadata?.annotations ?? {}).filter((k) => !TRACKED_ANNOTATIONS.includes(k))));

  // gates, conditions, owner
  // a readiness gate with its condition (one comes with the other); then the other conditions
  const gates = [...new Set(pods.flatMap((p) => (p.spec?.readinessGates ?? []).map((g) => g.conditionType)))].sort();
  for (const type of gates) {
    const n = pods.filter((p) => p.spec?.readinessGates?.some((g) => g.conditionType === type)).length;
    const conditions = distinct(
      pods.map((p) => (cond(p, type) ? `${cond(p, type)!.status}${cond(p, type)!.reason ? `/${cond(p, type)!.reason}` : ''}` : ABSENT)),
    );
    o[`pod.readinessGate.${type}`] = `${n === pods.length ? 'every Pod' : `${n} of ${pods.length} Pods`}, condition ${stableJson(conditions)}`;
  }
  for (const type of [...new Set(pods.flatMap((p) => (p.status?.conditions ?? []).map((c) => c.type)))].filter((t) => !gates.includes(t)).sort()) {
    o[`pod.condition.${type}`] = distinct(
      pods.map((p) => {
        const c = cond(p, type);
        return c ? `${c.status}${c.reason ? `/${c.reason}` : ''}` : ABSENT;
      }),
    );
  }
  o['pod.ownerReference'] = distinct(
    pods.map((p) =>
      (p.metadata?.ownerReferences ?? [])
        .map(
          (ref) =>
            `${ref.apiVersion}/${ref.kind} ${ref.name === name ? '<cloneset>' : '<other>'} controller=${ref.controller} blockOwnerDeletion=${ref.blockOwnerDeletion}`,
        )
        .join(';'),
    ),
  );

  // ------------------------------------------------------------------ maxima over the update (from the log)
  const [fromMark, toMark] = r.maxWindow ?? ['update'];
  const from = rec.seqOf(fromMark);
  const to = toMark ? rec.seqOf(toMark) : Infinity;
  const current = podsAt(log, from);
  const max = { notReadyVsDesired: 0, notReady: 0, inUpdate: 0, pods: 0 };
  const measure = () => {
    const l = live(current.values());
    const ready = l.filter((p) => condStatus(p, 'Ready') === 'True').length;
    max.notReadyVsDesired = Math.max(max.notReadyVsDesired, r.desired - ready);
    max.notReady = Math.max(max.notReady, l.length - ready);
    max.inUpdate = Math.max(
      max.inUpdate,
      l.filter((p) => condStatus(p, 'InPlaceUpdateReady') === 'False' || UPDATING.has(p.metadata?.labels?.[LIFECYCLE] ?? '')).length,
    );
    max.pods = Math.max(max.pods, l.length);
  };
  measure();
  for (const e of log) {
    if (e.seq < from || e.seq >= to || e.kind !== 'Pod') continue;
    if (e.type === 'DELETED') current.delete(e.obj.metadata!.uid!);
    else current.set(e.obj.metadata!.uid!, e.obj);
    measure();
  }
  for (const [k, v] of Object.entries(max)) o[`max.${k}`] = v;

  // ------------------------------------------------------------------ orderings of writes on each Pod
  const inPlace = before.filter((p) => writesOf(log, p.metadata!.uid!, updateSeq).some((w) => images(w) !== images(p)));
  const perPod = inPlace.map((p) => ({ old: images(p), writes: [p, ...writesOf(log, p.metadata!.uid!, updateSeq)] }));
  const newImage = (old: string) => (w: V1Pod) => images(w) !== old;
  const gateOff = (w: V1Pod) => condStatus(w, 'InPlaceUpdateReady') === 'False';
  o['order.gateOff.ready'] = distinct(perPod.map(({ writes }) => (writes.find(gateOff) ? condStatus(writes.find(gateOff)!, 'Ready') : 'no gate-off')));
  o['order.gateOff.vsImage'] = distinct(perPod.map(({ old, writes }) => relative(writes, newImage(old), gateOff)));
  o['order.image.lifecycle'] = distinct(perPod.map(({ old, writes }) => writes.find(newImage(old))?.metadata?.labels?.[LIFECYCLE] ?? ABSENT));
  o['order.grace.vsImage'] = distinct(perPod.map(({ old, writes }) => relative(writes, newImage(old), (w) => w.metadata?.annotations?.[GRACE] !== undefined)));
  o['order.normal.vsGateTrue'] = distinct(
    perPod.map(({ old, writes }) => {
      const i = writes.findIndex(newImage(old));
      const after = writes.slice(i);
      const normal = after.findIndex((w) => w.metadata?.labels?.[LIFECYCLE] === 'Normal');
      const gateTrue = after.findIndex((w) => condStatus(w, 'InPlaceUpdateReady') === 'True');
      if (normal < 0) return 'never Normal';
      if (gateTrue < 0) return 'Normal without gate True';
      return gateTrue < normal ? 'gate True in an earlier write' : gateTrue === normal ? 'same write' : 'gate True in a later write';
    }),
  );
  o['order.lifecycle.update'] = distinct(perPod.map(({ writes }) => collapse(writes.map((w) => w.metadata?.labels?.[LIFECYCLE] ?? ABSENT)).join(' → ')));

  // Pods created by the controller before the update (the initial scale-up)
  const firstUpdate = rec.seqOf('update');
  const created = log.filter((e) => e.kind === 'Pod' && e.type === 'ADDED' && e.seq >= createSeq && e.seq < firstUpdate).map((e) => e.obj as V1Pod);
  o['create.lifecycle'] = distinct(
    created.map((p) => collapse(writesOf(log, p.metadata!.uid!, createSeq, firstUpdate).map((w) => w.metadata?.labels?.[LIFECYCLE] ?? ABSENT)).join(' → ')),
  );
  o['create.gate.vsReady'] = distinct(
    created.map((p) =>
      relative(
        writesOf(log, p.metadata!.uid!, createSeq, firstUpdate),
        (w) => condStatus(w, 'Ready') === 'True',
        (w) => condStatus(w, 'InPlaceUpdateReady') === 'True',
      ),
    ),
  );

  // the order Pods were taken in, by a label a priority strategy reads (only when the Pods carry one)
  if (before.some((p) => p.metadata?.labels?.tier)) {
    const started = perPod.map(({ old, writes }) => ({
      tier: writes[0]!.metadata?.labels?.tier ?? '?',
      at:
        log.find(
          (e) =>
            e.kind === 'Pod' &&
            e.seq >= updateSeq &&
            e.obj.metadata?.uid === writes[0]!.metadata?.uid &&
            (gateOff(e.obj as V1Pod) || newImage(old)(e.obj as V1Pod)),
        )?.seq ?? Infinity,
    }));
    o['update.order.tier'] = started
      .sort((a, b) => a.at - b.at)
      .map((s) => s.tier)
      .join(',');
  }

  // ------------------------------------------------------------------ the CloneSet status
  for (const key of Object.keys(status).sort()) {
    const v = status[key];
    // FailedUpdate is left out: Kruise sets it on any passing write conflict and never clears it (a Kruise bug, seen
    // or not depending on a race), so it says nothing a user could rely on.
    if (key === 'conditions') {
      const conditions = ((v as { type: string; status: string; reason?: string }[]) ?? []).filter((c) => c.type !== 'FailedUpdate');
      if (conditions.length) o['status.conditions'] = distinct(conditions.map((c) => `${c.type}=${c.status}${c.reason ? `/${c.reason}` : ''}`));
    } else if (key === 'currentRevision' || key === 'updateRevision') o[`status.${key}`] = shape(v, name);
    else if (key === 'observedGeneration') o['status.observedGeneration'] = v === r.cloneSet.metadata.generation ? 'generation' : 'behind';
    else o[`status.${key}`] = v as Json;
  }
  // the revision's literal hash (the same template on both sides, so equal hashes would mean the same hashing)
  o['revision.hash'] = updateRevision?.startsWith(`${name}-`) ? updateRevision.slice(name.length + 1) : (updateRevision ?? ABSENT);
  o['status.currentRevision.vsUpdateRevision'] = currentRevision === undefined ? ABSENT : currentRevision === updateRevision ? 'equal' : 'different';

  // ------------------------------------------------------------------ Events (by reason and involved kind)
  // Only Events about the CloneSet and its Pods (the apiserver's own, e.g. on the default Service, are not the
  // controller's). Counts are compared for Kruise's one-per-Pod-action reasons on the CloneSet, where Kruise records
  // them; any other (reason, kind) by its type alone: e.g. how many rollout runs a scenario takes depends on whether
  // an edit lands while a run is still open, which is timing, not behaviour.
  const counts = new Map<string, { type: string; count: number }>();
  for (const e of r.events.filter((x) => x.involvedObject?.kind === 'CloneSet' || x.involvedObject?.kind === 'Pod')) {
    const key = `events.${e.reason ?? ABSENT}.${e.involvedObject.kind}`;
    const entry = counts.get(key) ?? { type: e.type ?? ABSENT, count: 0 };
    entry.count += e.count ?? e.series?.count ?? 1;
    counts.set(key, entry);
  }
  for (const [key, { type, count }] of [...counts.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const [, reason, kind] = key.split('.');
    o[key] = COUNTED_REASONS.has(reason!) && kind === 'CloneSet' ? `${type} ×${count}` : type;
  }

  // ------------------------------------------------------------------ resizes, phase by phase
  for (const [phase, [a, b]] of Object.entries(r.phases ?? {})) Object.assign(o, resizePhase(r, phase, rec.seqOf(a), b ? rec.seqOf(b) : Infinity));

  // ------------------------------------------------------------------ mid-scenario snapshots and extras
  for (const [label, snap] of Object.entries(r.snapshots)) {
    const l = live(snap);
    o[`snapshot.${label}.images`] = tally(l.map(images));
    // Which Pods a scale-down keeps is not compared beyond their images: Kruise's deletion ranking falls through to
    // Ready times at whole seconds, so between an updated Pod and a newer one its choice depends on the clock.
  }
  for (const [k, v] of Object.entries(r.extra)) o[`extra.${k}`] = v as Json;
  return o;
}

/** The in-place update state annotation's lastContainerStatuses, normalized: imageID by shape, resources by value. */
function lastStatuses(v: unknown, csName: string): Json {
  if (v === undefined) return ABSENT;
  if (v === null || typeof v !== 'object') return shape(v, csName);
  return Object.fromEntries(
    Object.entries(v as Record<string, Record<string, unknown>>)
      .sort(([x], [y]) => x.localeCompare(y))
      .map(([c, st]) => [
        c,
        Object.fromEntries(
          Object.keys(st ?? {})
            .sort()
            .map((k) => [k, k === 'resources' ? formatResources(st[k] as Resources) : shape(st[k], csName)]),
        ),
      ]),
  );
}

/**
 * One phase's resizes, from mark `from` to `to`: the Pods live at `from` whose spec resources changed by `to` (kept:
 * same UID), and for them what a user sees while it happens — whether the gate and Ready went False, the order of the
 * controller's writes (revision label, grace annotation, gate off, the resize, the image, gate on, lifecycle Normal)
 * against the kubelet taking the resize, how many writes resized it, the lifecycle states, the restarts, the in-place
 * update state at the end — and the maxima over the phase. Whether the kubelet reported PodResizeInProgress is not
 * compared: it depends on how its writes interleave with the controller's (a resize that lands while the container
 * restarts for its image is taken by the restart).
 */
function resizePhase(r: RunRecord, phase: string, from: number, to: number): Observables {
  const o: Observables = {};
  const p = `resize.${phase}`;
  const { rec, name } = r;
  const log = rec.log;
  const start = [...podsAt(log, from).values()].filter((x) => !x.metadata?.deletionTimestamp);
  const end = podsAt(log, to);
  const created = [...end.values()].filter((x) => !x.metadata?.deletionTimestamp && !start.some((s) => s.metadata?.uid === x.metadata?.uid));
  const resized = start
    .map((p0) => ({ p0, writes: writesOf(log, p0.metadata!.uid!, from, to) }))
    .filter(({ p0, writes }) => writes.length > 0 && end.has(p0.metadata!.uid!) && !sameSpecResources(writes.at(-1)!, p0));
  o[`${p}.inPlace`] = resized.length;
  o[`${p}.created`] = created.length;
  o[`${p}.deleted`] = start.filter((x) => !end.has(x.metadata!.uid!) || end.get(x.metadata!.uid!)!.metadata?.deletionTimestamp).length;
  if (resized.length > 0) Object.assign(o, resizedPods(p, name, resized));
  // where the phase ends: every live Pod (resized or created)
  const last = live(end.values());
  o[`${p}.spec`] = distinct(last.map(specResources));
  o[`${p}.status`] = distinct(last.map(statusResources));
  o[`${p}.qosClass`] = distinct(last.map((x) => x.status?.qosClass ?? ABSENT));
  // maxima over the phase
  const current = podsAt(log, from);
  const max = { notReady: 0, inUpdate: 0, gateOff: 0 };
  const measure = () => {
    const l = live(current.values());
    max.notReady = Math.max(max.notReady, l.filter((x) => condStatus(x, 'Ready') !== 'True').length);
    max.inUpdate = Math.max(
      max.inUpdate,
      l.filter((x) => condStatus(x, 'InPlaceUpdateReady') === 'False' || UPDATING.has(x.metadata?.labels?.[LIFECYCLE] ?? '')).length,
    );
    max.gateOff = Math.max(max.gateOff, l.filter((x) => condStatus(x, 'InPlaceUpdateReady') === 'False').length);
  };
  measure();
  for (const e of log) {
    if (e.seq < from || e.seq >= to || e.kind !== 'Pod') continue;
    if (e.type === 'DELETED') current.delete(e.obj.metadata!.uid!);
    else current.set(e.obj.metadata!.uid!, e.obj);
    measure();
  }
  for (const [k, v] of Object.entries(max)) o[`${p}.max.${k}`] = v;
  return o;
}

/** What the Pods resized in place in one phase went through (see {@link resizePhase}). */
function resizedPods(p: string, name: string, resized: { p0: V1Pod; writes: V1Pod[] }[]): Observables {
  const o: Observables = {};
  const restarts = (p0: V1Pod, last: V1Pod) =>
    (last.status?.containerStatuses ?? [])
      .map((c) => `${c.name}:${c.restartCount - (p0.status?.containerStatuses?.find((x) => x.name === c.name)?.restartCount ?? 0)}`)
      .join(',');
  o[`${p}.restarts`] = tally(resized.map(({ p0, writes }) => restarts(p0, writes.at(-1)!)));
  o[`${p}.gate`] = distinct(
    resized.map(({ writes }) => (writes.some((w) => condStatus(w, 'InPlaceUpdateReady') === 'False') ? 'False during the update' : 'True throughout')),
  );
  o[`${p}.ready`] = distinct(
    resized.map(({ writes }) => (writes.some((w) => condStatus(w, 'Ready') === 'False') ? 'False during the update' : 'True throughout')),
  );
  o[`${p}.lifecycle`] = distinct(resized.map(({ p0, writes }) => collapse([p0, ...writes].map((w) => w.metadata?.labels?.[LIFECYCLE] ?? ABSENT)).join(' → ')));
  // how many writes changed the spec resources (one resize each)
  o[`${p}.resizeWrites`] = distinct(resized.map(({ p0, writes }) => writes.filter((w, i) => !sameSpecResources(w, i === 0 ? p0 : writes[i - 1]!)).length));
  o[`${p}.order`] = distinct(
    resized.map(({ p0, writes }) => {
      const last = writes.at(-1)!;
      const milestones: [string, (w: V1Pod) => boolean][] = [
        ['revision', (w) => w.metadata?.labels?.[REVISION] !== p0.metadata?.labels?.[REVISION]],
        ['grace', (w) => w.metadata?.annotations?.[GRACE] !== undefined],
        ['gateOff', (w) => condStatus(w, 'InPlaceUpdateReady') === 'False'],
        ['resize', (w) => !sameSpecResources(w, p0)],
        ['image', (w) => images(w) !== images(p0)],
        // the kubelet runs the phase's final spec: its resources and images, as the end of the phase reports them
        [
          'kubeletTookIt',
          (w) =>
            sameSpecResources(w, last) &&
            images(w) === images(last) &&
            statusResources(w) === statusResources(last) &&
            statusImages(w) === statusImages(last) &&
            statusResources(w) !== statusResources(p0),
        ],
      ];
      const at = milestones.map(([m, f]) => [m, writes.findIndex(f)] as const).filter(([, i]) => i >= 0);
      // back in service: the gate True again (when it went off) and lifecycle Normal, the first writes after both the
      // resize and the revision (whichever came later) that say so — before or after the kubelet took it
      const resize = at.find(([m]) => m === 'resize')![1];
      const from = Math.max(resize, at.find(([m]) => m === 'revision')?.[1] ?? resize);
      const after = writes.slice(from);
      const gateOn = after.findIndex((w) => condStatus(w, 'InPlaceUpdateReady') === 'True');
      const normal = after.findIndex((w) => (w.metadata?.labels?.[LIFECYCLE] ?? 'Normal') === 'Normal');
      if (at.some(([m]) => m === 'gateOff') && gateOn >= 0) at.push(['gateOn', from + gateOn] as const);
      if (normal >= 0) at.push(['Normal', from + normal] as const);
      const groups = new Map<number, string[]>();
      for (const [m, i] of at) groups.set(i, [...(groups.get(i) ?? []), m]);
      return [...groups.entries()]
        .sort(([x], [y]) => x - y)
        .map(([, ms]) => ms.join('+'))
        .join(' → ');
    }),
  );
  // the in-place update state annotation at the end of the phase
  const states = resized
    .map(({ writes }) => writes.at(-1)!.metadata?.annotations?.[STATE])
    .map((st) => (st === undefined ? undefined : (JSON.parse(st) as Record<string, unknown>)));
  o[`${p}.state.pods`] = `${states.filter(Boolean).length} of ${resized.length}`;
  const parsed = states.filter((x): x is Record<string, unknown> => x !== undefined);
  for (const key of [...new Set(parsed.flatMap((x) => Object.keys(x)))].sort()) {
    o[`${p}.state.${key}`] = distinct(parsed.map((x) => (key === 'lastContainerStatuses' ? lastStatuses(x[key], name) : shape(x[key], name))));
  }
  return o;
}
