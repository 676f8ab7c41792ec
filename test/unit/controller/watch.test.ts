/**
 * The controller's watch survives what real API servers do to long watches: errors (the client-node informer stops
 * on them, so the controller must restart it) and 410 Gone after the watch cache moved on (relist). Temporal is
 * replaced by a fake client that records starts, so these run in the unit project on the simulated apiserver.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { CloneSetController, DEFAULT_SELECTOR, MANAGED_LABEL } from '../../../src/controller/index.js';
import { applyCloneSet } from '../../../src/kube/apply.js';
import { makeClients } from '../../../src/kube/clients.js';
import { startSimApiServer, type SimApiServer } from '../../../src/sim/index.js';
import { cloneSet } from '../../support/env.js';

const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

/** A Temporal client stand-in: no workflow exists until started; starts are recorded. */
function fakeClient(started: string[]): Client {
  const running = new Set<string>();
  return {
    workflow: {
      getHandle: (id: string) => ({
        describe: async () => {
          if (!running.has(id)) throw new WorkflowNotFoundError('not found', id, undefined);
          return { status: { name: 'RUNNING' }, memo: {} };
        },
      }),
      start: async (_type: string, o: { workflowId: string }) => {
        running.add(o.workflowId);
        started.push(o.workflowId);
      },
    },
  } as unknown as Client;
}

async function until(what: string, fn: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const managed = (name: string) => {
  const cs = cloneSet('default', name);
  cs.metadata.labels = { [MANAGED_LABEL]: 'true' };
  return cs;
};

let api: SimApiServer | undefined;
let controller: CloneSetController | undefined;
afterEach(async () => {
  await controller?.stop();
  await api?.close();
  controller = api = undefined;
});

async function setup(watchHistory?: number) {
  api = await startSimApiServer({ watchHistory });
  const started: string[] = [];
  controller = new CloneSetController({
    kubeConfig: api.kubeConfig(),
    client: fakeClient(started),
    labelSelector: DEFAULT_SELECTOR,
    resyncMs: 60_000, // long: recovery must come from the watch, not from the resync
    logger,
  });
  await controller.start();
  return { api, controller, started, k: makeClients(api.kubeConfig()) };
}

describe('CloneSetController watch', () => {
  it('starts a rollout for a new managed CloneSet and ignores unmanaged ones', async () => {
    const { started, k } = await setup();
    await applyCloneSet(k, cloneSet('default', 'plain'));
    await applyCloneSet(k, managed('web'));
    await until('a start', () => started.length > 0);
    await new Promise((r) => setTimeout(r, 200));
    expect(started).toEqual(['cloneset/default/web']);
  });

  it('restarts the informer after watch and list errors (500) and catches up on what changed meanwhile', async () => {
    const { api, controller, started, k } = await setup();
    expect(controller.ready()).toBe(true);
    const watchFault = api.faults.set({ verb: 'watch', resource: 'clonesets', code: 500 });
    const listFault = api.faults.set({ verb: 'list', resource: 'clonesets', code: 500 });
    api.faults.dropWatches();
    await until('the controller to notice the failure', () => !controller.ready());
    await applyCloneSet(k, managed('during-outage'));
    await new Promise((r) => setTimeout(r, 300));
    expect(started).toEqual([]);
    api.faults.clear(watchFault);
    api.faults.clear(listFault);
    await until('the start after recovery', () => started.includes('cloneset/default/during-outage'));
    await until('ready again', () => controller.ready());
  });

  it('relists after 410 Gone when its resourceVersion fell out of the watch cache', async () => {
    const { api, started, k } = await setup(3);
    // Many writes while no watch is open: the informer's resourceVersion expires from the 3-event history.
    const fault = api.faults.set({ verb: 'watch', resource: 'clonesets', code: 503 });
    api.faults.dropWatches();
    for (let i = 0; i < 6; i++) await applyCloneSet(k, cloneSet('default', `filler-${i}`));
    await applyCloneSet(k, managed('after-expiry'));
    api.faults.clear(fault);
    await until('the start after relist', () => started.includes('cloneset/default/after-expiry'));
  });
});
