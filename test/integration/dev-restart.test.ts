/**
 * `cloneset-rollout dev --state-dir DIR` keeps the simulated cluster as well as Temporal: stopped with Ctrl-C in the
 * middle of an in-place rollout and started again on the same DIR, the rollout (the same workflow run) carries on and
 * completes on the same Pods — names and UIDs kept.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { afterAll, describe, expect, it } from 'vitest';
import { findTemporalCli } from '../../src/temporal/binary.js';

const NAME = 'restartweb';
const WORKFLOW = `cloneset/default/${NAME}`;

/** Three Pods updated in place one at a time, each after a 15 s grace period: 30 s or more left once the first starts. */
function manifest(image: string): string {
  return `apiVersion: apps.kruise.io/v1alpha1
kind: CloneSet
metadata:
  name: ${NAME}
  namespace: default
spec:
  replicas: 3
  selector:
    matchLabels:
      app: ${NAME}
  updateStrategy:
    type: InPlaceIfPossible
    maxUnavailable: 1
    inPlaceUpdateStrategy:
      gracePeriodSeconds: 15
  template:
    metadata:
      labels:
        app: ${NAME}
    spec:
      containers:
      - name: nginx
        image: ${image}
`;
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const stateDir = mkdtempSync(join(tmpdir(), 'dev-restart-'));
const running = new Set<ChildProcess>();
afterAll(() => {
  for (const c of running) c.kill('SIGKILL');
  rmSync(stateDir, { recursive: true, force: true });
});

/** Starts `dev` as a user would and waits for its endpoints.json. */
async function startDev() {
  const child = spawn(process.execPath, ['bin/cloneset-rollout.js', 'dev', '--state-dir', stateDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LOG_LEVEL: 'warn' },
  });
  running.add(child);
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  child.stdout!.resume();
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => (running.delete(child), r(code))));
  const file = join(stateDir, 'endpoints.json');
  const endpoints = await waitFor(
    'endpoints.json',
    () => (existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>) : undefined),
    120_000,
  ).catch((err: Error) => {
    throw new Error(`${err.message}: ${stderr}`);
  });
  const kc = new KubeConfig();
  kc.loadFromFile(endpoints.kubeconfig!);
  const core = kc.makeApiClient(CoreV1Api);
  const temporal = (...args: string[]) => execFileSync(findTemporalCli()!, [...args, '--address', endpoints.temporalAddress!], { encoding: 'utf8' });
  const cli = (...args: string[]) => execFileSync(process.execPath, ['bin/cloneset-rollout.js', ...args, '--state-dir', stateDir], { encoding: 'utf8' });
  const pods = async () => (await core.listNamespacedPod({ namespace: 'default', labelSelector: `app=${NAME}` })).items;
  /** Ctrl-C, as a user stops it. */
  const interrupt = async () => {
    child.kill('SIGINT');
    return exited;
  };
  return { temporal, cli, pods, interrupt, stderr: () => stderr };
}

const facts = (ps: V1Pod[]) => ps.map((p) => ({ name: p.metadata!.name!, uid: p.metadata!.uid! })).sort((a, b) => a.name.localeCompare(b.name));
const gateOff = (p: V1Pod) => p.status?.conditions?.some((c) => c.type === 'InPlaceUpdateReady' && c.status === 'False');
const runId = (temporal: (...a: string[]) => string) =>
  (JSON.parse(temporal('workflow', 'describe', '--workflow-id', WORKFLOW, '--output', 'json')) as { workflowExecutionInfo: { execution: { runId: string } } })
    .workflowExecutionInfo.execution.runId;

describe('cloneset-rollout dev --state-dir, restarted mid-rollout', () => {
  it('resumes the rollout on the same Pods after Ctrl-C and a restart on the same DIR', async () => {
    const perl = join(stateDir, 'perl.yaml');
    const latest = join(stateDir, 'latest.yaml');
    writeFileSync(perl, manifest('nginx:perl'));
    writeFileSync(latest, manifest('nginx:latest'));

    const first = await startDev();
    expect(first.cli('apply', '-f', perl)).toContain(`clonesets.apps.kruise.io/${NAME} created`);
    first.temporal('workflow', 'result', '--workflow-id', WORKFLOW);
    const before = facts(await first.pods());
    expect(before).toHaveLength(3);

    expect(first.cli('apply', '-f', latest)).toContain(`rollout started: workflow ${WORKFLOW}`);
    const run = runId(first.temporal);
    // the first Pod is in flight (its gate is off, its grace period running): the rest can't be done before the stop
    await waitFor('a Pod in flight', async () => ((await first.pods()).some(gateOff) ? true : undefined), 60_000);
    const atStop = await first.pods();
    expect(atStop.filter((p) => p.spec!.containers[0]!.image === 'nginx:latest').length).toBeLessThan(3);
    expect(await first.interrupt()).toBe(0);
    expect(existsSync(join(stateDir, 'cluster.json'))).toBe(true);

    const second = await startDev();
    try {
      // the cluster is back as it was stopped, not empty
      expect(facts(await second.pods())).toEqual(before);
      const result = JSON.parse(second.temporal('workflow', 'result', '--workflow-id', WORKFLOW, '--output', 'json')) as {
        status: string;
        closeEvent: { workflowExecutionCompletedEventAttributes: { result: [{ updatedInPlace: number; recreated: number }] } };
      };
      expect(result.status).toBe('COMPLETED');
      expect(runId(second.temporal)).toBe(run); // the same run carried on
      expect(result.closeEvent.workflowExecutionCompletedEventAttributes.result[0]).toMatchObject({ updatedInPlace: 3, recreated: 0 });
      const after = await second.pods();
      expect(facts(after)).toEqual(before);
      for (const p of after) {
        expect(p.status?.containerStatuses?.[0]).toMatchObject({ image: 'nginx:latest', ready: true, restartCount: 1 });
      }
    } finally {
      expect(await second.interrupt()).toBe(0);
    }
  });
});
