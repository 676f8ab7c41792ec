/** Where one Pod is in its update: the steps of a lane, as the progress record, the UI and the report name them. */
export const PodStep = {
  Pending: 'Pending',
  /** Held by a lifecycle hook (PreparingUpdate / PreparingDelete / Updated) until an external actor lets go. */
  Hooked: 'LifecycleHook',
  GateOff: 'InPlaceUpdateReady=False',
  Grace: 'GracePeriod',
  Patching: 'PatchingImages',
  Restarting: 'WaitingForContainers',
  GateOn: 'InPlaceUpdateReady=True',
  WaitingReady: 'WaitingForReady',
  MinReady: 'MinReadySeconds',
  Deleting: 'Deleting',
  Creating: 'Creating',
  Done: 'Done',
  Failed: 'Failed',
} as const;
export type PodStep = (typeof PodStep)[keyof typeof PodStep];

/** Steps that wait on the rollout's own timers or on an external actor, not on the kubelet. */
export const WAITING_ON_OURSELVES: readonly PodStep[] = [PodStep.Grace, PodStep.MinReady, PodStep.Hooked];
