/**
 * Where CLI commands find Temporal and Kubernetes: `--state-dir DIR` (a `dev` environment's endpoints.json), else
 * flags / TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_TASK_QUEUE and KUBECONFIG (or in-cluster config).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Option, type Command } from 'commander';
import { DEFAULT_TASK_QUEUE } from '../constants.js';
import type { Endpoints } from './dev.js';

export interface ConnectFlags {
  stateDir?: string;
  address?: string;
  namespace?: string;
  taskQueue?: string;
  kubeconfig?: string;
}

export interface Resolved {
  address: string;
  namespace: string;
  taskQueue: string;
  /** undefined: KubeConfig.loadFromDefault() (KUBECONFIG, ~/.kube/config, in-cluster). */
  kubeconfig?: string;
}

export function addConnectOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--state-dir <dir>', 'use the environment of `cloneset-rollout dev --state-dir DIR`'))
    .addOption(new Option('--address <host:port>', 'Temporal frontend').env('TEMPORAL_ADDRESS'))
    .addOption(new Option('--namespace <ns>', 'Temporal namespace').env('TEMPORAL_NAMESPACE'))
    .addOption(new Option('--task-queue <name>', 'task queue').env('TEMPORAL_TASK_QUEUE'))
    .addOption(new Option('--kubeconfig <path>', 'kubeconfig file').env('KUBECONFIG'));
}

export function resolveConnection(f: ConnectFlags): Resolved {
  let ep: Partial<Endpoints> = {};
  if (f.stateDir) {
    const file = join(f.stateDir, 'endpoints.json');
    try {
      ep = JSON.parse(readFileSync(file, 'utf8')) as Endpoints;
    } catch {
      throw new Error(`${file} not found: is \`cloneset-rollout dev --state-dir ${f.stateDir}\` running?`);
    }
  }
  return {
    address: f.address ?? ep.temporalAddress ?? '127.0.0.1:7233',
    namespace: f.namespace ?? ep.namespace ?? 'default',
    taskQueue: f.taskQueue ?? ep.taskQueue ?? DEFAULT_TASK_QUEUE,
    kubeconfig: ep.kubeconfig ?? f.kubeconfig?.split(':')[0],
  };
}
