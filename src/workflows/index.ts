/** Workflow entry module bundled for the worker. Only workflow functions are exported here. */
export { rolloutCloneSet } from './rollout.js';
export { rolloutFleet } from './fleet.js';
