/**
 * The pure domain core of cloneset-rollout. Safe for Temporal's workflow sandbox: no Node built-ins, no Kubernetes
 * client, no clock or randomness; plain JSON in and out.
 */
export * from './types.js';
export * from './fielderror.js';
export * from './intstr.js';
export * from './selector.js';
export * from './input.js';
export * from './validate.js';
export * from './hash.js';
export * from './revision.js';
export * from './pod-defaults.js';
export * from './go-json.js';
export * from './podview.js';
export * from './inplace.js';
export * from './resources.js';
export * from './order.js';
export * from './plan.js';
export * from './status.js';
export * from './resume.js';
export * from './simulate.js';
export * from './lifecycle.js';
export * from './steps.js';
export * from './canary.js';
export * from './analysis.js';
export * from './notify.js';
export * from './deadline.js';
export * from './cluster.js';
export * from './fleet.js';
export {
  INSTANCE_ID_LENGTH,
  instanceIdFrom,
  buildPod,
  shortHash,
  readyConditionAfterGateOff,
  toRfc3339,
  buildInPlaceUpdateState,
  serializeInPlaceUpdateState,
  type PodOwner,
  type NewPod,
} from './pod.js';
