/**
 * Starting the real Temporal dev server (`temporal server start-dev`) is reliable: a port taken between the pick and
 * the server's bind costs a quiet retry with other ports, and many starts in a row all succeed.
 */
import { createServer, type Server } from 'node:net';
import { Writable } from 'node:stream';
import { Connection } from '@temporalio/client';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { startDevServer } from '../../src/temporal/dev-server.js';
import { freePort } from '../../src/temporal/ports.js';

function holdPort(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(port, '127.0.0.1', () => resolve(srv));
  });
}

/** A logger at trace level whose lines are kept, to check what a user would have seen. */
function memoryLogger() {
  const lines: { level: number; msg: string; [k: string]: unknown }[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l));
      cb();
    },
  });
  return { logger: pino({ level: 'trace' }, stream), lines };
}

async function answers(address: string): Promise<boolean> {
  const conn = await Connection.connect({ address, connectTimeout: 5_000 });
  try {
    await conn.workflowService.describeNamespace({ namespace: 'default' });
    return true;
  } finally {
    await conn.close();
  }
}

describe('Temporal dev server start', () => {
  it('retries with other ports when a port it picked is taken before the server binds it, and says nothing alarming', async () => {
    const taken = await freePort();
    const holder = await holdPort(taken);
    const picks: number[] = [];
    const { logger, lines } = memoryLogger();
    try {
      // The first pick (the frontend port) is a port someone else holds: exactly the race of a released probe port.
      const server = await startDevServer({
        headless: true,
        logLevel: 'error',
        logger,
        pickPort: async (ip) => {
          const p = picks.length === 0 ? taken : await freePort(ip);
          picks.push(p);
          return p;
        },
      });
      try {
        expect(server.address).not.toBe(`127.0.0.1:${taken}`);
        expect(await answers(server.address)).toBe(true);
        expect(picks.length).toBeGreaterThan(3); // a second set of ports was picked
        const retry = lines.find((l) => /retrying with other ports/.test(l.msg));
        expect(retry).toMatchObject({ level: 20, attempt: 1, taken: [taken] }); // debug
        expect(lines.filter((l) => l.level >= 40)).toEqual([]); // no warn, no error
        expect(JSON.stringify(lines)).not.toMatch(/SIGSEGV|goroutine|address already in use/);
      } finally {
        await server.stop();
      }
    } finally {
      holder.close();
    }
  });

  it('starts 30 times in a row, with the Web UI on as `dev` runs it', async () => {
    const failures: string[] = [];
    let started = 0;
    for (let i = 0; i < 30; i++) {
      try {
        const server = await startDevServer({ logLevel: 'error' });
        try {
          if ((await answers(server.address)) && (await fetch(server.uiUrl!)).ok) started++;
        } finally {
          await server.stop();
        }
      } catch (err) {
        failures.push(`start ${i + 1}: ${(err as Error).message.slice(0, 2_000)}`);
      }
    }
    expect(failures).toEqual([]);
    expect(started).toBe(30);
  }, 600_000);
});
