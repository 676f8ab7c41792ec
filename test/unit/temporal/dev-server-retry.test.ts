/**
 * The dev server starter's retry on port races, against a stand-in `temporal` binary that fails the way the real one
 * does when a port it was given is taken between the pick and its bind: a bind error, a Go panic trace, exit code 2.
 */
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startDevServer } from '../../../src/temporal/dev-server.js';
import { ephemeralRangeStart, freePort, isBindError, portsInUse } from '../../../src/temporal/ports.js';

/** A fake `temporal` that appends its arguments to a log file, prints `output` to stderr and exits with `code`. */
function fakeTemporal(output: string, code: number): { binary: string; calls: () => string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'fake-temporal-'));
  const binary = join(dir, 'temporal');
  const log = join(dir, 'calls.log');
  writeFileSync(join(dir, 'output.txt'), output);
  writeFileSync(binary, `#!/bin/sh\necho "$*" >> '${log}'\ncat '${join(dir, 'output.txt')}' >&2\nexit ${code}\n`);
  chmodSync(binary, 0o755);
  return { binary, calls: () => readFileSync(log, 'utf8').trim().split('\n') };
}

const GO_PANIC = `time=2026-01-01T00:00:00.000 level=ERROR msg="listen tcp 127.0.0.1:PORT: bind: address already in use"
panic: runtime error: invalid memory address or nil pointer dereference
[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x1a2b3c]

goroutine 1 [running]:
go.temporal.io/server/temporal.(*serverImpl).Start(...)
`;

describe('startDevServer retries', () => {
  it('gives up after startAttempts bind failures, each with new ports, and only then shows the Go trace', async () => {
    const fake = fakeTemporal(GO_PANIC, 2);
    const picked: number[] = [];
    const err = await startDevServer({
      binary: fake.binary,
      headless: true,
      startAttempts: 3,
      startTimeoutMs: 30_000,
      pickPort: async () => {
        picked.push(20_000 + picked.length);
        return picked.at(-1)!;
      },
    }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/^Temporal dev server did not start: exited with code 2 \(attempt 3 of 3\)/);
    expect(err?.message).toContain('[signal SIGSEGV');
    const calls = fake.calls();
    expect(calls).toHaveLength(3);
    // frontend, http and metrics port per attempt, never the same twice
    expect(picked).toHaveLength(9);
    expect(new Set(calls.map((c) => /--port (\d+)/.exec(c)![1])).size).toBe(3);
    expect(calls[0]).toMatch(/--http-port \d+ --metrics-port \d+/);
  });

  it('does not retry when the taken port is one the caller chose', async () => {
    const fake = fakeTemporal(`level=ERROR msg="can't set frontend port 7233: listen tcp 127.0.0.1:7233: bind: address already in use"\n`, 1);
    await expect(startDevServer({ binary: fake.binary, headless: true, port: 7233, startTimeoutMs: 30_000 })).rejects.toThrow(
      /did not start: exited with code 1\n.*can't set frontend port 7233/,
    );
    expect(fake.calls()).toHaveLength(1);
  });

  it('does not retry a failure that is not about ports', async () => {
    const fake = fakeTemporal('Error: unknown flag: --bogus\n', 1);
    await expect(startDevServer({ binary: fake.binary, headless: true, startTimeoutMs: 30_000 })).rejects.toThrow(/unknown flag/);
    expect(fake.calls()).toHaveLength(1);
  });
});

describe('port picking', () => {
  it('picks distinct ports below the ephemeral range, free when picked', async () => {
    const ports = await Promise.all(Array.from({ length: 20 }, () => freePort()));
    expect(new Set(ports).size).toBe(20);
    const high = ephemeralRangeStart();
    for (const p of ports) expect(p).toBeLessThan(high);
  });

  it('reads the taken ports out of Go bind errors', () => {
    const out = `msg="can't set UI port 18233: listen tcp 127.0.0.1:18233: bind: address already in use"\nlisten tcp [::1]:7000: bind: address already in use`;
    expect(portsInUse(out)).toEqual([18233, 7000]);
    expect(isBindError(out)).toBe(true);
    expect(isBindError('Error: unknown flag')).toBe(false);
  });
});
