/**
 * How every benchmark reports: one JSON line per scenario on stdout, with the commit and the machine, and a table of
 * all of a file's rows at its end (call {@link printTableAfterAll} once per file).
 */
import { execSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { afterAll } from 'vitest';

const machine = `${cpus().length} × ${cpus()[0]?.model.trim()}, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}`;
const commit = (() => {
  try {
    return execSync('git rev-parse --short HEAD', { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
})();

const rows: Record<string, unknown>[] = [];

export function report(row: Record<string, unknown>): void {
  const line = { ...row, commit, machine };
  rows.push(line);
  process.stdout.write(JSON.stringify(line) + '\n');
}

export function printTableAfterAll(): void {
  afterAll(() => {
    console.table(rows.map(({ machine: _m, commit: _c, ...r }) => r));
  });
}

/** The p-th percentile (nearest rank) of `xs`. */
export const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
