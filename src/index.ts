/** Public API of the cloneset-rollout package. */
export { RolloutClient, RolloutHandle, RolloutAlreadyRunningError, RolloutFailedError, type RolloutClientOptions } from './client/index.js';
export { DEFAULT_TASK_QUEUE, ROLLOUT_WORKFLOW_TYPE, rolloutWorkflowId } from './constants.js';
export { RolloutPhase, PodStep, progressQuery, type RolloutProgress, type RolloutResult, type PodProgress } from './workflows/messages.js';
export { createRolloutWorker, bundleWorkflows, type RolloutWorkerOptions } from './worker/index.js';
export { createActivities } from './activities/index.js';
