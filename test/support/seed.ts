/**
 * Large CloneSets for scale tests and benchmarks: the Pods are created straight through the API (as a CloneSet
 * controller would have, with the rollout's own buildPod), not by a rollout, so a 10,000-Pod CloneSet exists in
 * seconds and the rollout under test starts from N Ready Pods on a revision it knows.
 */
import { randomUUID } from 'node:crypto';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { applyCloneSet } from '../../src/kube/apply.js';
import { CLONESET } from '../../src/kube/clients.js';
import { mapLimit } from '../../src/activities/pod-watch.js';
import { Annotations, buildPod, instanceIdFrom, Labels, LifecycleState, revisionName, toRfc3339, type CloneSet } from '../../src/rollout/index.js';
import { applyAndRoll, type TestEnv } from './env.js';

const smp = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);

/**
 * Applies `cs` with 0 replicas and rolls it (which records its revision), creates `replicas` Pods at that revision,
 * sets their InPlaceUpdateReady gate True, sets spec.replicas, waits until every Pod is Ready, then moves them to
 * lifecycle Normal.
 */
export async function seedCloneSet(env: TestEnv, cs: CloneSet, replicas: number, opts: { concurrency?: number; timeoutMs?: number } = {}): Promise<void> {
  const ns = cs.metadata.namespace!;
  const name = cs.metadata.name!;
  await applyAndRoll(env, { ...cs, spec: { ...cs.spec, replicas: 0 } });
  const live = (await env.k.custom.getNamespacedCustomObject({ ...CLONESET, namespace: ns, name })) as CloneSet;
  const revision = revisionName(name, live.spec.template);
  const concurrency = opts.concurrency ?? 32;
  const names = await mapLimit(
    Array.from({ length: replicas }, (_, i) => i),
    concurrency,
    async () => {
      for (;;) {
        // Instance ids are 5 characters, as Kruise's: among thousands of Pods a name is sometimes taken already.
        const pod = buildPod(live, live.spec.template, revision, instanceIdFrom(randomUUID()), Date.now());
        try {
          const created = await env.k.core.createNamespacedPod({ namespace: ns, body: pod as never });
          return created.metadata!.name!;
        } catch (err) {
          if ((err as { code?: number }).code !== 409) throw err;
        }
      }
    },
  );
  await mapLimit(names, concurrency, async (pod) => {
    const body = { status: { conditions: [{ type: 'InPlaceUpdateReady', status: 'True', lastTransitionTime: new Date().toISOString() }] } };
    await env.k.core.patchNamespacedPodStatus({ name: pod, namespace: ns, body }, smp);
  });
  await applyCloneSet(env.k, { ...live, spec: { ...live.spec, replicas } });
  const end = Date.now() + (opts.timeoutMs ?? 120_000);
  for (;;) {
    const list = await env.k.core.listNamespacedPod({ namespace: ns, labelSelector: `app=${name}` });
    const ready = list.items.filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length;
    if (ready === replicas) break;
    if (Date.now() > end) throw new Error(`seeding ${ns}/${name}: ${ready}/${replicas} Pods Ready`);
    await new Promise((r) => setTimeout(r, 500));
  }
  // Bound (they are Ready): as Kruise would have by now (and the rollout's own create lane does), PreparingNormal → Normal.
  await mapLimit(names, concurrency, async (pod) => {
    const body = {
      metadata: { labels: { [Labels.lifecycleState]: LifecycleState.Normal }, annotations: { [Annotations.lifecycleTimestamp]: toRfc3339(Date.now()) } },
    };
    await env.k.core.patchNamespacedPod({ name: pod, namespace: ns, body }, smp);
  });
}
