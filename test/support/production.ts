/**
 * The production topology (scripts/production-topology.sh: PostgreSQL 15, the Temporal server on it with 4 history
 * shards, the Web UI server) driven from tests: start it in a directory, read its endpoints, restart its Temporal
 * server process or its database mid-rollout, stop it.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const TOPOLOGY_SCRIPT = join(ROOT, 'scripts/production-topology.sh');

export interface ProductionEndpoints {
  temporalAddress: string;
  namespace: string;
  uiUrl: string;
  postgres: string;
  temporalServerVersion: string;
  temporalUiVersion: string;
  postgresMajor: number;
  numHistoryShards: number;
  dir: string;
}

export class ProductionTopology {
  constructor(readonly dir: string) {}

  private async script(command: string, extra: string[] = [], timeoutMs = 300_000): Promise<string> {
    try {
      const { stdout } = await run('bash', [TOPOLOGY_SCRIPT, command, '--dir', this.dir, ...extra], { timeout: timeoutMs, maxBuffer: 1 << 24 });
      return stdout;
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string; message: string };
      throw new Error(`production-topology.sh ${command} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
    }
  }

  /**
   * Starts everything (initialising the directory on first use) and resolves to the endpoints. With `ownerPid`, the
   * topology stops by itself once that process is gone (a test run killed before its teardown).
   */
  async start(ownerPid?: number): Promise<ProductionEndpoints> {
    await this.script('start', ownerPid === undefined ? [] : ['--owner-pid', String(ownerPid)]);
    return this.endpoints();
  }

  endpoints(): ProductionEndpoints {
    return JSON.parse(readFileSync(join(this.dir, 'endpoints.json'), 'utf8')) as ProductionEndpoints;
  }

  status(): Promise<string> {
    return this.script('status');
  }

  stopTemporal(): Promise<string> {
    return this.script('stop-temporal');
  }

  /** Starts the Temporal server process again and resolves once it is healthy. */
  startTemporal(): Promise<string> {
    return this.script('start-temporal');
  }

  /** `pg_ctl restart -m fast`: the database goes away under the running Temporal server and comes back. */
  restartPostgres(): Promise<string> {
    return this.script('restart-postgres');
  }

  /** The running temporal-server process. */
  serverPid(): number {
    return Number(readFileSync(join(this.dir, 'temporal.pid'), 'utf8').trim());
  }

  /** The PostgreSQL postmaster (its backends are its children). */
  postgresPid(): number {
    return Number(readFileSync(join(this.dir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
  }

  stop(): Promise<string> {
    return this.script('stop');
  }
}
