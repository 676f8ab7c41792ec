/**
 * The Kubernetes backends the fidelity table runs against. `real` is the upstream kube-apiserver
 * (src/realkube, skipped when its binary is not built); `sim` is the project's simulated apiserver. Both run by
 * default, so the same table is the simulator's fidelity check; FIDELITY_BACKENDS (e.g. `real` or `sim`) narrows it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { findRealApiServerBinary, startRealApiServer } from '../../src/realkube/index.js';

export interface RunningBackend {
  kc: KubeConfig;
  /** A kubeconfig file, for kubectl. */
  kubeconfigPath: string;
  stop: () => Promise<void>;
}

export interface Backend {
  name: 'real' | 'sim';
  /** Why the backend is skipped, or null when it runs. */
  skipReason: string | null;
  start(): Promise<RunningBackend>;
}

const wanted = new Set(
  (process.env.FIDELITY_BACKENDS ?? 'real,sim')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);

export const backends: Backend[] = [
  {
    name: 'real',
    skipReason: !wanted.has('real')
      ? 'not in FIDELITY_BACKENDS'
      : findRealApiServerBinary()
        ? null
        : 'no kube-apiserver-test binary (run scripts/build-kube-apiserver.sh)',
    async start() {
      const s = await startRealApiServer();
      return { kc: s.kubeConfig(), kubeconfigPath: s.kubeconfigPath, stop: s.stop };
    },
  },
  {
    name: 'sim',
    skipReason: wanted.has('sim') ? null : 'not in FIDELITY_BACKENDS',
    async start() {
      // imported lazily: the simulator is only loaded when asked for
      const { startSimApiServer } = await import('../../src/sim/index.js');
      const sim = await startSimApiServer();
      const dir = mkdtempSync(join(tmpdir(), 'sim-kubeconfig-'));
      const kubeconfigPath = join(dir, 'kubeconfig');
      await sim.writeKubeconfig(kubeconfigPath);
      return {
        kc: sim.kubeConfig(),
        kubeconfigPath,
        async stop() {
          await sim.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
];
