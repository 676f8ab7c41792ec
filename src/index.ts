/** Public API of the cloneset-rollout package. */
export {
  RolloutClient,
  RolloutHandle,
  RolloutAlreadyRunningError,
  RolloutFailedError,
  RolloutControlRejectedError,
  RolloutNotRunningError,
  RolloutInputTooLargeError,
  staticDetails,
  ClosedPhase,
  unsuccessful,
  type RolloutClientOptions,
  type RolloutStatus,
  type RolloutStatusPhase,
} from './client/index.js';
export { DEFAULT_TASK_QUEUE, ROLLOUT_WORKFLOW_TYPE, rolloutWorkflowId } from './constants.js';
export {
  RolloutPhase,
  PodStep,
  progressQuery,
  pauseUpdate,
  resumeUpdate,
  setPartitionUpdate,
  setMaxUnavailableUpdate,
  abortUpdate,
  retargetUpdate,
  type RolloutProgress,
  type RolloutResult,
  type RolloutOutcome,
  type RolloutFailureDetails,
  type PodProgress,
  type ControlsState,
  type ControlsView,
  type IntOrPercent,
  type AbortOptions,
  type RetargetOptions,
  type RetargetResult,
} from './workflows/messages.js';
export { createRolloutWorker, bundleWorkflows, type RolloutWorkerOptions } from './worker/index.js';
export { createActivities } from './activities/index.js';
