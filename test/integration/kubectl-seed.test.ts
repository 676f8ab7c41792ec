/**
 * The seed document's walkthrough driven by kubectl against a real kube-apiserver with the project's CRD installed:
 * `kubectl apply -f nginx01.yaml`, roll out, `kubectl apply -f nginx02.yaml`, roll out, `kubectl get clonesets`.
 * Runs in the integration-real project only (the real apiserver serves the OpenAPI kubectl apply needs).
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { livePods, startTestEnv, type TestEnv } from '../support/env.js';

let env: TestEnv;
beforeAll(async () => {
  env = await startTestEnv();
});
afterAll(async () => {
  await env?.stop();
});

const kubectl = (...args: string[]) => execFileSync('kubectl', ['--kubeconfig', env.cluster.kubeconfigPath!, ...args], { encoding: 'utf8' });

describe('kubectl drives the seed walkthrough', () => {
  it('applies both manifests, rolls out in place, and shows Kruise-style columns', async () => {
    expect(kubectl('apply', '-f', 'examples/nginx01.yaml')).toContain('cloneset.apps.kruise.io/nginxweb1 created');
    await (await env.client.start({ namespace: 'default', name: 'nginxweb1' })).result();
    const before = await livePods(env, 'default', 'nginxweb1');
    expect(before).toHaveLength(5);

    expect(kubectl('apply', '-f', 'examples/nginx02.yaml')).toContain('cloneset.apps.kruise.io/nginxweb1 configured');
    // The manifest's minReadySeconds (30 s) shortened for the suite, the way an operator would patch it.
    kubectl('patch', 'clonesets', 'nginxweb1', '--type', 'merge', '-p', '{"spec":{"minReadySeconds":1}}');
    const result = await (await env.client.start({ namespace: 'default', name: 'nginxweb1' })).result();
    expect(result).toMatchObject({ updatedInPlace: 4, recreated: 0, deleted: 1 });

    const after = await livePods(env, 'default', 'nginxweb1');
    expect(after).toHaveLength(4);
    for (const p of after) {
      expect(before.find((b) => b.metadata!.name === p.metadata!.name)?.metadata!.uid).toBe(p.metadata!.uid);
      expect(p.status!.containerStatuses![0]!.image).toBe('nginx:latest');
    }

    const table = kubectl('get', 'clone', 'nginxweb1').trim().split('\n');
    expect(table[0]!.split(/\s+/)).toEqual(['NAME', 'DESIRED', 'UPDATED', 'UPDATED_READY', 'UPDATED_AVAILABLE', 'READY', 'TOTAL', 'AGE']);
    expect(table[1]!.split(/\s+/).slice(0, 7)).toEqual(['nginxweb1', '4', '4', '4', '4', '4', '4']);
    const wide = kubectl('get', 'clonesets', 'nginxweb1', '-o', 'wide').trim().split('\n');
    expect(wide[0]).toMatch(/CONTAINERS\s+IMAGES\s+SELECTOR/);
    expect(wide[1]).toMatch(/nginx\s+nginx:latest\s+app=nginxweb1/);
  });
});
