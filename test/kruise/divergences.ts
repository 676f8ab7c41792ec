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
