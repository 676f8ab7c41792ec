/**
 * The production topology itself: the Temporal server of the pinned version on PostgreSQL with 4 history shards and
 * SQL visibility, the project's search attributes in `default`, the Web UI server serving the UI and reaching the
 * frontend, every process logging into the topology's directory.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { describe, expect, inject, it } from 'vitest';
import { SEARCH_ATTRIBUTES } from '../../src/workflows/search-attributes.js';
import { ProductionTopology } from '../support/production.js';

describe('production topology', () => {
  const dir = inject('productionDir');
  const address = inject('temporalAddress');
  const endpoints = new ProductionTopology(dir).endpoints();

  it('runs the pinned Temporal server on PostgreSQL 15 with 4 history shards and SQL visibility', async () => {
    const connection = await Connection.connect({ address });
    try {
      const info = await connection.workflowService.getClusterInfo({});
      expect(info.serverVersion).toBe(endpoints.temporalServerVersion.replace(/^v/, ''));
      expect(info.historyShardCount).toBe(4);
      expect(info.persistenceStore).toBe('postgres12');
      expect(info.visibilityStore).toBe('postgres12');
      const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
      for (const sa of SEARCH_ATTRIBUTES) expect(customAttributes?.[sa.name], sa.name).toBe(2); // INDEXED_VALUE_TYPE_KEYWORD
    } finally {
      await connection.close();
    }
    expect(endpoints.postgresMajor).toBe(15);
    const version = readFileSync(join(dir, 'pg', 'PG_VERSION'), 'utf8').trim();
    expect(version).toBe('15');
  });

  it('serves the Web UI (the embedded assets) and its API reaches the frontend', async () => {
    const page = await fetch(`${endpoints.uiUrl}/`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<html');
    expect(html).toMatch(/_app\/immutable/);
    const settings = (await (await fetch(`${endpoints.uiUrl}/api/v1/settings`)).json()) as { Version?: string };
    expect(settings.Version).toBe(endpoints.temporalUiVersion.replace(/^v/, ''));
    const namespaces = (await (await fetch(`${endpoints.uiUrl}/api/v1/namespaces`)).json()) as { namespaces?: { namespaceInfo?: { name?: string } }[] };
    expect(namespaces.namespaces?.map((n) => n.namespaceInfo?.name)).toContain('default');
  });

  it('logs every process to a file in its directory, and `status` names the addresses', () => {
    for (const f of ['postgres.log', 'temporal.log', 'ui.log', 'schema.log']) expect(existsSync(join(dir, f)), f).toBe(true);
    const status = execFileSync('bash', ['scripts/production-topology.sh', 'status', '--dir', dir], { encoding: 'utf8' });
    expect(status).toContain(`temporal    running  ${address}`);
    expect(status).toContain(`ui          running  ${endpoints.uiUrl}`);
    expect(status).toMatch(/postgresql {2}running {2}127\.0\.0\.1:\d+/);
  });
});
