/** The simulated cluster: API server, kubelet/scheduler, and both together. */
export * from './apiserver/index.js';
export * from './kubelet/index.js';
export * from './cluster.js';
