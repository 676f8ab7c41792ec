/**
 * The worker settings the benchmarks run with: the same as the shipped Dockerfile and deploy/worker.yaml (a unit
 * test keeps them equal), so the measured memory is what a deployed worker uses.
 */
export const WORKER_NODE_OPTIONS = '--max-old-space-size=256';
