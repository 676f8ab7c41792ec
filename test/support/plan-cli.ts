/** `cloneset-rollout plan` in-process, through commander as bin/cloneset-rollout.js runs it. */
import { Command } from 'commander';
import { addPlanCommand } from '../../src/cli/plan.js';

/** Runs `cloneset-rollout plan ARGS`; returns the exit code and the output (a failing plan does not throw). */
export async function planCli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const program = new Command('cloneset-rollout').exitOverride();
  program.configureOutput({ writeOut: (t) => (stdout += t), writeErr: (t) => (stderr += t) });
  addPlanCommand(program, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  const before = process.exitCode;
  try {
    await program.parseAsync(['node', 'cloneset-rollout', 'plan', ...args]);
    return { code: Number(process.exitCode ?? 0), stdout, stderr };
  } catch (err) {
    return { code: (err as { exitCode?: number }).exitCode ?? 1, stdout, stderr };
  } finally {
    process.exitCode = before;
  }
}
