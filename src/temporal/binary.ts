/**
 * Locates (and if needed installs) the `temporal` CLI that runs the real Temporal dev server.
 *
 * Order: `$TEMPORAL_CLI`, `temporal` on PATH, the project-local tools dir (`.tools/bin`); if none is found and `go`
 * is available, `go install github.com/temporalio/cli/cmd/temporal@v1.5.1` into the tools dir. v1.5.1 is the newest
 * tag whose go.mod `go install` accepts. Returns null when nothing works, so callers can fall back to
 * @temporalio/testing's own download (which needs internet).
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, mkdirSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The CLI module and tag that `go install` builds. */
export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal@v1.5.1';

/** Repository root (works from src/ under vitest and from dist/ after build). */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Project-local tools dir, ignored by git. Override with `CLONESET_ROLLOUT_TOOLS`. */
export function toolsDir(): string {
  return process.env.CLONESET_ROLLOUT_TOOLS ?? join(PROJECT_ROOT, '.tools', 'bin');
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && isExecutable(join(dir, name))) return join(dir, name);
  }
  return null;
}

/** Finds an existing `temporal` binary without installing anything. */
export function findTemporalCli(): string | null {
  const fromEnv = process.env.TEMPORAL_CLI;
  if (fromEnv) {
    if (!isExecutable(fromEnv)) throw new Error(`TEMPORAL_CLI=${fromEnv} is not an executable file`);
    return fromEnv;
  }
  return onPath('temporal') ?? (isExecutable(join(toolsDir(), 'temporal')) ? join(toolsDir(), 'temporal') : null);
}

/**
 * Finds the binary or builds it with `go install` into the tools dir (minutes on first use; Go caches the build).
 * Progress from `go` goes to stderr of this process.
 */
export function ensureTemporalCli(opts: { install?: boolean } = {}): string | null {
  const found = findTemporalCli();
  if (found || opts.install === false) return found;
  if (!onPath('go')) return null;
  const dir = toolsDir();
  mkdirSync(dir, { recursive: true });
  process.stderr.write(`Building the Temporal CLI: go install ${TEMPORAL_CLI_MODULE} (first time only)\n`);
  const res = spawnSync('go', ['install', TEMPORAL_CLI_MODULE], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, GOBIN: dir, GOFLAGS: '-mod=mod' },
  });
  if (res.status !== 0) {
    throw new Error(`go install ${TEMPORAL_CLI_MODULE} failed with exit code ${res.status ?? res.signal}`);
  }
  return join(dir, 'temporal');
}
