/**
 * The Temporal Web UI, in a real browser (Debian's headless chromium driven by playwright-core): a rollout is found
 * by its CloneSetName search attribute in the workflows list, opened, and its current details show its progress
 * and the controls in effect. The shared test server is headless, so this file runs its own dev server with the UI.
 * The screenshot is kept in test-results/ as an artifact.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RolloutClient } from '../../src/client/index.js';
import { applyCloneSet } from '../../src/kube/apply.js';
import { makeClients } from '../../src/kube/clients.js';
import { startSimCluster, type SimCluster } from '../../src/sim/index.js';
import { startDevServer, type DevServer } from '../../src/temporal/dev-server.js';
import { PodStep } from '../../src/workflows/messages.js';
import { createRolloutWorker } from '../../src/worker/index.js';
import { prebuiltWorkflowBundle } from '../support/bundle.js';
import { setSpecPaused } from '../support/brake.js';
import { cloneSet, testLogger } from '../support/env.js';

let server: DevServer;
let cluster: SimCluster;
let client: RolloutClient;
let browser: BrowserContext;
let stopWorker = async () => {};

beforeAll(async () => {
  server = await startDevServer({ headless: false, logLevel: 'error' });
  cluster = await startSimCluster({ kubelet: { startDelayMs: 50, restartDelayMs: 100, readyDelayMs: 50 } });
  const { worker, connection } = await createRolloutWorker({
    address: server.address,
    kubeConfig: cluster.kubeConfig(),
    logger: testLogger,
    workflowBundle: prebuiltWorkflowBundle(),
  });
  const running = worker.run();
  stopWorker = async () => {
    worker.shutdown();
    await running;
    await connection.close();
  };
  client = await RolloutClient.connect({ address: server.address });
  // Never a browser download: Debian's chromium with a fresh profile (playwright passes it as --user-data-dir).
  browser = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'ui-test-chromium-')), {
    executablePath: '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1400, height: 1600 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-quic',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});

afterAll(async () => {
  await browser?.close();
  await client?.close();
  await stopWorker();
  await cluster?.stop();
  await server?.stop();
});

describe('Temporal UI', () => {
  it('finds a paused rollout by CloneSetName, opens it, and its current details show the progress and the pause', async () => {
    const k = makeClients(cluster.kubeConfig());
    const cs = cloneSet('default', 'web', { replicas: 3, minReadySeconds: 1, updateStrategy: { type: 'InPlaceIfPossible', maxUnavailable: 1 } });
    await applyCloneSet(k, cs);
    await (await client.start({ namespace: 'default', name: 'web' })).result();
    // What makes the rollout slow enough, on any machine: it starts braked (the CloneSet's updateStrategy.paused)
    // until an operator partition of 2 is in place, so it holds with one Pod updated; it is paused there, and the
    // partition lifted: only the pause holds it while the browser looks.
    await setSpecPaused(k, 'default', 'web', true);
    const handle = await client.start({ namespace: 'default', name: 'web', images: { nginx: 'nginx:1.27' } });
    await handle.setPartition(2);
    await setSpecPaused(k, 'default', 'web', false);
    const deadline = Date.now() + 60_000;
    for (;;) {
      const p = await handle.progress();
      if (p.counts.updated === 1 && Object.values(p.pods).some((x) => x.step === PodStep.Done) && /holding at partition/.test(p.waiting ?? '')) break;
      if (Date.now() > deadline) throw new Error(`not held at the partition: ${JSON.stringify(p)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    await handle.pause();
    // 0, not null: see the continue-as-new test (lifting the partition with null while paused can end the run).
    await handle.setPartition(0);
    const p = await handle.progress();

    const page = await browser.newPage();
    try {
      // The list has both runs of the workflow ID (the first rollout created the Pods): open this one, by its run ID,
      // reloading until the list shows it (the visibility store may lag behind the start).
      const { runId } = await handle.workflow.describe();
      const query = encodeURIComponent('CloneSetName="web"');
      const link = page.locator(`a[href*="${encodeURIComponent(handle.workflowId)}/${runId}"]`).first();
      const listDeadline = Date.now() + 60_000;
      for (;;) {
        await page.goto(`${server.uiUrl}/namespaces/default/workflows?query=${query}`, { waitUntil: 'domcontentloaded' });
        if (
          await link.waitFor({ timeout: 5_000 }).then(
            () => true,
            () => false,
          )
        )
          break;
        if (Date.now() > listDeadline) throw new Error(`the workflows list never showed run ${runId}`);
      }
      await link.click();
      await page.waitForURL(/\/workflows\/cloneset/, { timeout: 30_000 });
      // The summary and the current details live under the workflow's "User Metadata" tab.
      await page.getByText('User Metadata', { exact: true }).first().click();
      // The UI renders Markdown details in a sandboxed iframe: read the text of every frame.
      const want = `updated ${p.counts.updated} of 3`;
      let text = '';
      const deadline = Date.now() + 30_000;
      while (!text.includes(want)) {
        if (Date.now() > deadline) throw new Error(`the UI never showed "${want}":\n${text}`);
        await new Promise((r) => setTimeout(r, 250));
        const texts = await Promise.all(
          page.frames().map((f) =>
            f
              .locator('body')
              .innerText({ timeout: 1_000 })
              .catch(() => ''),
          ),
        );
        text = texts.join('\n');
      }
      expect(text).toContain('Roll CloneSet default/web to nginx=nginx:1.27'); // static summary from the client
      expect(text).toMatch(/Paused\s*default\/web/);
      expect(text).toContain('controls: paused');
      expect(text).toMatch(new RegExp(`${p.fromRevision}\\s*→\\s*${p.toRevision}`));
    } finally {
      mkdirSync('test-results', { recursive: true });
      await page.screenshot({ path: 'test-results/ui-rollout.png', fullPage: true });
      await page.close();
    }
    await handle.resume();
    await handle.result();
  });
});
