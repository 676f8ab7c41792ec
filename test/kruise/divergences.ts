/**
 * Every known difference between OpenKruise's kruise-manager (v1.9.1) and ours, as the kruise tier observes it: one
 * line per observable and scenario set, with what each side shows and why. docs/kruise-divergences.md mirrors this
 * table line by line (test/kruise/divergences-doc.test.ts checks it). A difference not listed here fails the tier; a
 * line that no longer holds fails it too, so a fix removes exactly its line.
 */
import type { Json } from './observables.js';

export interface Divergence {
  /** Stable id, also the doc's first column. */
  id: string;
  /** Scenario names (test/kruise/scenarios.ts), or 'all'. */
  scenarios: readonly string[] | 'all';
  /** The observable (test/kruise/observables.ts). */
  observable: string;
  kruise: Json;
  ours: Json;
  /** The current behaviour and why it differs. */
  reason: string;
  /**
   * The values differ per scenario (e.g. hashes): the line holds whenever the two sides differ, and `kruise` / `ours`
   * describe the values instead of listing them.
   */
  anyValues?: true;
}

/** Scenarios that update Pods in place. */
const IN_PLACE = ['seed', 'partition', 'two-containers', 'scale-during-update', 'paused', 'priority', 'grace', 'hook'] as const;

export const DIVERGENCES: readonly Divergence[] = [
  // ---------------------------------------------------------------- Pod creation
  {
    id: 'create-preparing-normal',
    scenarios: 'all',
    observable: 'create.lifecycle',
    kruise: ['PreparingNormal → Normal'],
    ours: ['Normal'],
    reason:
      'Kruise creates every Pod in lifecycle state PreparingNormal and moves it to Normal in a second write (where a preNormal hook would hold it); ours creates Pods directly in Normal, as it has no preNormal hook support.',
  },
  {
    id: 'kruise-pod-ready-gate',
    scenarios: 'all',
    observable: 'pod.readinessGate.KruisePodReady',
    kruise: 'every Pod, condition ["True"]',
    ours: '(absent)',
    reason:
      "Kruise's Pod mutating webhook adds the KruisePodReady readiness gate to every Pod it admits and its controllers keep the condition (PodUnavailableBudget, lifecycle markPodNotReady); ours has no admission webhook and builds Pods with InPlaceUpdateReady only.",
  },
  {
    id: 'lifecycle-timestamp',
    scenarios: 'all',
    observable: 'pod.annotation.lifecycle.apps.kruise.io/timestamp',
    kruise: ['<time:secondsZ>'],
    ours: ['(absent)'],
    reason:
      'Kruise stamps lifecycle.apps.kruise.io/timestamp (whole seconds) with every lifecycle state change; ours writes the state label without the timestamp annotation.',
  },
  {
    id: 'pod-template-hash',
    scenarios: 'all',
    observable: 'pod.label.pod-template-hash',
    kruise: ['the revision hash'],
    ours: ['(absent)'],
    reason: 'Kruise labels each Pod pod-template-hash = the hash part of its controller-revision-hash; ours sets only controller-revision-hash.',
  },
  {
    id: 'revision-hash',
    scenarios: 'all',
    observable: 'revision.hash',
    kruise: "<the hash of Kruise's ControllerRevision (the webhook-defaulted template)>",
    ours: '<FNV-1a 32 of the template as stored>',
    anyValues: true,
    reason:
      "The same template gets another revision name: Kruise hashes its ControllerRevision data, the template after its mutating webhook's defaulting; ours hashes the stored template's canonical JSON (src/rollout/revision.ts). Pods' controller-revision-hash and the status revisions differ with it; both are compared by shape and relation.",
  },
  // ---------------------------------------------------------------- CloneSet status
  {
    id: 'status-collision-count',
    scenarios: 'all',
    observable: 'status.collisionCount',
    kruise: 0,
    ours: '(absent)',
    reason: 'Kruise always writes status.collisionCount (0 without hash collisions); ours does not write the field.',
  },
  // ---------------------------------------------------------------- Events
  {
    id: 'event-rollout-started',
    scenarios: 'all',
    observable: 'events.RolloutStarted.CloneSet',
    kruise: '(absent)',
    ours: 'Normal',
    reason: 'Ours records a RolloutStarted Event on the CloneSet when its controller starts a rollout workflow; Kruise has no rollout runs and no such Event.',
  },
  {
    id: 'event-inplace-on-pod',
    scenarios: IN_PLACE,
    observable: 'events.SuccessfulUpdatePodInPlace.Pod',
    kruise: '(absent)',
    ours: 'Normal',
    reason: 'Ours records SuccessfulUpdatePodInPlace on the Pod as well as on the CloneSet; Kruise records it on the CloneSet only (the counts there match).',
  },
  {
    id: 'event-recreate-3',
    scenarios: ['env-recreate'],
    observable: 'events.SuccessfulUpdatePodReCreate.CloneSet',
    kruise: 'Normal ×3',
    ours: '(absent)',
    reason:
      'Kruise records SuccessfulUpdatePodReCreate for each Pod it deletes to recreate it at the new revision; ours records SuccessfulDelete and SuccessfulCreate only (those match).',
  },
  {
    id: 'event-recreate-surge',
    scenarios: ['maxsurge-recreate'],
    observable: 'events.SuccessfulUpdatePodReCreate.CloneSet',
    kruise: 'Normal ×2',
    ours: '(absent)',
    reason:
      'Kruise records SuccessfulUpdatePodReCreate for the 2 Pods its update deletes (the third old Pod goes as surplus of the surge, with SuccessfulDelete only); ours records SuccessfulDelete and SuccessfulCreate only.',
  },
  {
    id: 'event-lifecycle-on-cloneset',
    scenarios: ['hook'],
    observable: 'events.LifecyclePreparingUpdate.CloneSet',
    kruise: '(absent)',
    ours: 'Normal',
    reason: 'Ours records an Event when it holds a Pod in PreparingUpdate for an inPlaceUpdate hook; Kruise records none (its log says it).',
  },
  {
    id: 'event-lifecycle-on-pod',
    scenarios: ['hook'],
    observable: 'events.LifecyclePreparingUpdate.Pod',
    kruise: '(absent)',
    ours: 'Normal',
    reason: 'The same hold Event as on the CloneSet, also on the Pod; Kruise records none.',
  },
  // ---------------------------------------------------------------- in-place updates: writes and their order
  {
    id: 'ready-false-with-gate-off',
    scenarios: IN_PLACE,
    observable: 'order.gateOff.ready',
    kruise: ['False'],
    ours: ['True'],
    reason:
      "Kruise writes InPlaceUpdateReady=False and Ready=False in one pods/status write, so endpoints drop the Pod at once; ours writes the gate only and Ready=False follows from the kubelet's next status write.",
  },
  {
    id: 'gate-true-before-normal',
    scenarios: ['seed', 'partition', 'two-containers', 'scale-during-update', 'paused', 'priority', 'grace'],
    observable: 'order.normal.vsGateTrue',
    kruise: ['gate True in an earlier write'],
    ours: ['gate True in a later write'],
    reason:
      'Kruise sets InPlaceUpdateReady=True once the new containers run and only then the lifecycle label back to Normal; ours writes lifecycle Normal first and the gate True in a later write (with an inPlaceUpdate hook both wait in Updated, so the hook scenario agrees).',
  },
  {
    id: 'state-container-batches',
    scenarios: IN_PLACE,
    observable: 'pod.annotation.apps.kruise.io/inplace-update-state.containerBatchesRecord',
    kruise: [[{ containers: ['<string>'], timestamp: '<time:secondsZ>' }]],
    ours: '(absent)',
    reason:
      'Kruise records in apps.kruise.io/inplace-update-state which containers it updated in which batch (containerBatchesRecord); ours writes no such field.',
  },
  {
    id: 'state-update-images',
    scenarios: IN_PLACE,
    observable: 'pod.annotation.apps.kruise.io/inplace-update-state.updateImages',
    kruise: [true],
    ours: '(absent)',
    reason: 'Kruise marks an image update in apps.kruise.io/inplace-update-state with updateImages: true; ours writes no such field.',
  },
  {
    id: 'state-update-timestamp',
    scenarios: IN_PLACE,
    observable: 'pod.annotation.apps.kruise.io/inplace-update-state.updateTimestamp',
    kruise: ['<time:secondsZ>'],
    ours: ['<time:fraction3Z>'],
    reason: 'Kruise writes updateTimestamp as a metav1.Time (whole seconds); ours writes a JavaScript ISO string with milliseconds.',
  },
  {
    id: 'grace-annotation',
    scenarios: ['grace'],
    observable: 'order.grace.vsImage',
    kruise: ['earlier write'],
    ours: ['never'],
    reason:
      'With gracePeriodSeconds Kruise first writes apps.kruise.io/inplace-update-grace (revision, images, grace) and patches the image after the grace; ours keeps the grace period as a durable timer in its workflow and writes no annotation.',
  },
  // ---------------------------------------------------------------- lifecycle hooks
  {
    id: 'hook-held-gate',
    scenarios: ['hook'],
    observable: 'extra.hook.held.condition.InPlaceUpdateReady',
    kruise: ['True'],
    ours: ['False'],
    reason:
      'markPodNotReady: Kruise takes a held Pod out of service with KruisePodReady=False and leaves InPlaceUpdateReady True until the update starts; ours has no KruisePodReady gate and sets InPlaceUpdateReady=False while it holds the Pod.',
  },
  {
    id: 'hook-held-kruise-pod-ready',
    scenarios: ['hook'],
    observable: 'extra.hook.held.condition.KruisePodReady',
    kruise: ['False'],
    ours: ['(absent)'],
    reason: 'markPodNotReady: Kruise sets KruisePodReady=False on the held Pod; ours has no KruisePodReady condition (see kruise-pod-ready-gate).',
  },
];

const cell = (s: string) => s.replace(/\|/g, '\\|');
const value = (v: Json) => `\`${JSON.stringify(v)}\``;

/** The row of docs/kruise-divergences.md's table that mirrors a divergence. */
export function docRow(d: Divergence): string {
  const scenarios = d.scenarios === 'all' ? 'all' : d.scenarios.join(', ');
  const shown = (v: Json) => (d.anyValues && typeof v === 'string' ? `${v} (any value)` : value(v));
  return `| ${[d.id, scenarios, `\`${d.observable}\``, shown(d.kruise), shown(d.ours), d.reason].map(cell).join(' | ')} |`;
}
