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
const IN_PLACE = ['seed', 'partition', 'two-containers', 'scale-during-update', 'paused', 'priority', 'grace', 'hook', 'resize'] as const;

export const DIVERGENCES: readonly Divergence[] = [
  // ---------------------------------------------------------------- Pod creation
  {
    id: 'kruise-pod-ready-gate',
    scenarios: 'all',
    observable: 'pod.readinessGate.KruisePodReady',
    kruise: 'every Pod, condition ["True"]',
    ours: '(absent)',
    reason:
      "Kruise's Pod mutating webhook adds the KruisePodReady readiness gate to every Pod it admits and its controllers keep the condition (PodUnavailableBudget, lifecycle markPodNotReady); ours has no admission webhook and builds Pods with InPlaceUpdateReady only.",
  },
  // ---------------------------------------------------------------- CloneSet status
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
    scenarios: ['env-recreate', 'resize'],
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
    id: 'grace-annotation',
    scenarios: ['grace'],
    observable: 'order.grace.vsImage',
    kruise: ['earlier write'],
    ours: ['never'],
    reason:
      'With gracePeriodSeconds Kruise first writes apps.kruise.io/inplace-update-grace (revision, images, grace) and patches the image after the grace; ours keeps the grace period as a durable timer in its workflow and writes no annotation.',
  },
  // ---------------------------------------------------------------- the window
  {
    id: 'seed-surplus-serves-in-update',
    scenarios: ['seed'],
    observable: 'max.inUpdate',
    kruise: 1,
    ours: 2,
    reason:
      'Scaling 5 → 4 while updating, ours keeps the surplus Pod serving and updates two old Pods at once (5 serving − floor 4 − maxUnavailable 1 = 2), then deletes the surplus; Kruise deletes the surplus first and updates one at a time. Ours never has fewer than 3 Pods serving (the same floor; max.notReadyVsDesired is equal) and finishes a wave sooner.',
  },
  {
    id: 'seed-surplus-serves-not-ready',
    scenarios: ['seed'],
    observable: 'max.notReady',
    kruise: 1,
    ours: 2,
    reason: 'The two Pods ours updates at once are both not Ready for their restart, while the surplus Pod still serves (see seed-surplus-serves-in-update).',
  },
  // ---------------------------------------------------------------- in-place resources
  {
    id: 'resize-serves-gate',
    scenarios: ['resize'],
    observable: 'resize.cpu.gate',
    kruise: ['True throughout'],
    ours: ['False during the update'],
    reason:
      "A resources-only change: Kruise (InPlaceWorkloadVerticalScaling; pkg/util/inplaceupdate/inplace_update_defaults.go defaultCheckPodNeedsBeUnready) sets InPlaceUpdateReady=False only when a changed resource's resizePolicy is RestartContainer, so a NotRequired resize keeps the Pod in service (lifecycle Updating still counts it unavailable for maxUnavailable); ours drains every in-place update, a resize too (README, In-place resources: a container that restarts or slows down for it never serves meanwhile).",
  },
  {
    id: 'resize-serves-ready',
    scenarios: ['resize'],
    observable: 'resize.cpu.ready',
    kruise: ['True throughout'],
    ours: ['False during the update'],
    reason: 'Ready follows the gate: Kruise leaves it True during a NotRequired resize, ours sets Ready=False with the gate (see resize-serves-gate).',
  },
  {
    id: 'resize-serves-max-gate-off',
    scenarios: ['resize'],
    observable: 'resize.cpu.max.gateOff',
    kruise: 0,
    ours: 1,
    reason:
      'Pods with InPlaceUpdateReady=False at once during the cpu resize: none under Kruise, one at a time (maxUnavailable 1) under ours (see resize-serves-gate).',
  },
  {
    id: 'resize-serves-max-not-ready',
    scenarios: ['resize'],
    observable: 'resize.cpu.max.notReady',
    kruise: 0,
    ours: 1,
    reason:
      'Pods not Ready at once during the cpu resize: none under Kruise, one at a time under ours (see resize-serves-gate); both update one Pod at a time (resize.cpu.max.inUpdate is equal).',
  },
  {
    id: 'resize-order',
    scenarios: ['resize'],
    observable: 'resize.cpu.order',
    kruise: ['revision+grace → resize → kubeletTookIt → Normal'],
    ours: ['gateOff → resize → revision → kubeletTookIt → gateOn → Normal'],
    reason:
      "Kruise writes the revision with apps.kruise.io/inplace-update-grace, resizes after the grace and moves the Pod to Normal once containerStatuses[].resources match the spec (NativeVerticalUpdate.IsUpdateCompleted); ours drains first (resize-serves-gate), keeps the grace as a timer, resizes, then writes the revision (with lifecycle Updating and the in-place state): every copy of the Pod at its new revision already asks for its new resources, so the wait that follows compares what the kubelet reports with the Pod's spec and never takes the old resources for done. Both hand the Pod back only after the kubelet runs the new resources.",
  },
  {
    id: 'resize-image-order',
    scenarios: ['resize'],
    observable: 'resize.imageAndMemory.order',
    kruise: ['gateOff → revision+grace → resize → image → kubeletTookIt → gateOn → Normal'],
    ours: ['gateOff → resize → revision+image → kubeletTookIt → gateOn → Normal'],
    reason:
      'An image and a resource together: Kruise writes the grace annotation with the revision, and after the grace resizes through pods/resize before it writes the image (two writes; pkg/util/inplaceupdate/inplace_update.go finishGracePeriod); ours keeps the grace as a timer, resizes, then patches revision and image in one write (see resize-order). Either way the container restarts once (resize.imageAndMemory.restarts is equal) and comes back with the new resources.',
  },
  {
    id: 'resize-state-resources',
    scenarios: ['resize'],
    observable: 'resize.cpu.state.lastContainerStatuses',
    kruise: [null],
    ours: [{ nginx: { imageID: '<string>', resources: 'requests cpu=100m memory=64Mi; limits cpu=200m memory=128Mi' } }],
    reason:
      "Kruise's in-place update state records only containers whose image changes, with their imageID (apis/apps/pub/inplace_update.go InPlaceUpdateContainerStatus has no resources), so a resources-only update leaves lastContainerStatuses null; ours records every changed container with its imageID and, for a resize, the resources before it. Kruise reads ours' record unharmed (unknown fields are ignored; an unchanged imageID with an unchanged image passes its completion check).",
  },
  {
    id: 'resize-state-resources-image',
    scenarios: ['resize'],
    observable: 'resize.imageAndMemory.state.lastContainerStatuses',
    kruise: [{ nginx: { imageID: '<string>' } }],
    ours: [{ nginx: { imageID: '<string>', resources: 'requests cpu=150m memory=64Mi; limits cpu=200m memory=128Mi' } }],
    reason: 'With the image changed too, both record the imageID; ours also the resources before the resize (see resize-state-resources).',
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
