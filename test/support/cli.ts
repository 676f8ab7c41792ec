/** The project's CLI (`bin/cloneset-rollout.js`, from dist/) as a user runs it, against a test's Temporal server. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `cloneset-rollout ARGS --address ADDRESS`: its exit code and output (a failing command does not throw). */
export async function projectCli(address: string, args: string[], timeoutMs = 90_000): Promise<CliRun> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['bin/cloneset-rollout.js', ...args, '--address', address], { timeout: timeoutMs });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}
