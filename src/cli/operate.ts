/**
 * Operating a running rollout from the project's CLI, through the typed client: `status` (live progress bar and Pod
 * table), `pause`, `resume`, `abort [--rollback]`, `set-partition`, `set-max-unavailable`, `retarget`. Every command
 * takes the connection flags of ./connect.ts (`--state-dir`, `--address`...).
 */
import { InvalidArgumentError, type Command } from 'commander';
import logUpdate from 'log-update';
import { RolloutClient, unsuccessful, type RolloutHandle, type RolloutStatus } from '../client/index.js';
import { clientConnectionOptions, loadConnectionSettings } from '../temporal/connection.js';
import type { CanaryControlView, ControlsView, RolloutProgress } from '../workflows/messages.js';
import { addConnectOptions, resolveConnection, type ConnectFlags } from './connect.js';
import { progressChanges, renderProgress } from './progress-view.js';
import { formatDuration, renderWaves } from './plan.js';
import { renderReport } from './report.js';
import { writeFile } from 'node:fs/promises';

type Flags = ConnectFlags & { clonesetNamespace: string; cluster?: string };

/** Exit code of `status` and `report` for a rollout that ended without completing (Failed, Terminated, TimedOut, Canceled). */
export const EXIT_UNSUCCESSFUL = 2;

const EXIT_CODES_HELP = `
Phases: the workflow's own (Preparing, Scaling, Updating, Stuck, Paused, Aborting, RollingBack, Completed, Aborted,
RolledBack, Failed) corrected by the execution's status: a failed run shows Failed with its root cause (also one that
failed while preparing, e.g. a CloneSet that does not exist), a terminated run Terminated ("terminated: reason"), then
TimedOut and Canceled.

Exit codes: 0 the rollout is running or ended Completed, Aborted or RolledBack; ${EXIT_UNSUCCESSFUL} it ended Failed,
Terminated, TimedOut or Canceled (the output says why); 1 the command itself failed (no such rollout, Temporal
unreachable, bad arguments).`;

const STATUS_HELP = `${EXIT_CODES_HELP} With --plan: 0 or 1 only.`;

/** One line: where the rollout is, and why it ended if it did not complete. */
function statusLine(s: RolloutStatus): string {
  return `${s.namespace}/${s.name}: ${s.phase}${s.error && unsuccessful(s) ? ` (${s.error})` : ''}`;
}

/** An int-or-percent argument: `3` → 3, `40%` stays a string, `none` → null (back to the CloneSet's value). */
export function intOrPercentArg(value: string): number | string | null {
  if (value === 'none') return null;
  if (/^\d+$/.test(value)) return Number(value);
  if (/^\d+%$/.test(value)) return value;
  throw new InvalidArgumentError(`"${value}" is not an integer ≥ 0, a percentage such as 40%, or "none"`);
}

async function withHandle<T>(o: Flags, name: string, fn: (h: RolloutHandle) => Promise<T>): Promise<T> {
  const c = resolveConnection(o);
  const client = await RolloutClient.connect({
    ...c,
    connection: clientConnectionOptions(loadConnectionSettings({ overrides: { address: c.address, namespace: c.namespace } })),
  });
  try {
    return await fn(client.handle(o.clonesetNamespace, name, o.cluster));
  } finally {
    await client.close();
  }
}

function describeControls(v: ControlsView): string {
  const parts = [v.paused ? 'paused' : 'running'];
  if (v.partition !== null) parts.push(`partition ${v.partition}`);
  if (v.maxUnavailable !== null) parts.push(`maxUnavailable ${v.maxUnavailable}`);
  if (v.aborted) parts.push(v.aborted.rollback ? `aborted, rolling back to ${v.aborted.toRevision ?? 'the previous revision'}` : 'aborted');
  parts.push(`${v.inFlight} Pod(s) in flight`);
  return parts.join(', ');
}

function operation(program: Command, name: string, description: string): Command {
  return addConnectOptions(
    program
      .command(name)
      .description(description)
      .option('-n, --cloneset-namespace <ns>', 'namespace of the CloneSet', 'default')
      .option('--cluster <name>', "the rollout in that cluster (a fleet's, or one started with a cluster): workflow cloneset/<cluster>/<ns>/<name>"),
  );
}

/** Adds the operating commands to the program. */
export function addOperateCommands(program: Command): void {
  operation(program, 'status', 'show a rollout: live progress bar and Pod table until it closes (--once: one snapshot)')
    .argument('<name>', 'CloneSet name')
    .option('--once', 'print one snapshot and exit')
    .option('--json', 'with --once or --plan: the query as JSON')
    .option('--plan', 'print what is left: the waves the planner would run from the last observation (the `plan` query)')
    .option('--interval <ms>', 'refresh interval', (v) => Number(v), 500)
    .addHelpText('after', STATUS_HELP)
    .action(async (name: string, o: Flags & { once?: boolean; json?: boolean; plan?: boolean; interval: number }) => {
      await withHandle(o, name, async (h) => {
        if (o.plan) {
          const plan = await h.plan();
          if (o.json) process.stdout.write(JSON.stringify(plan) + '\n');
          else if (!plan) process.stdout.write(`${o.clonesetNamespace}/${name}: no observation yet\n`);
          else {
            const t = plan.totals;
            process.stdout.write(
              `${plan.namespace}/${plan.name} → ${plan.updateRevision}: ${plan.outcome}${plan.reason ? ` (${plan.reason})` : ''}\n` +
                `${renderWaves(plan.waves)}\n` +
                `${t.inPlace} in place, ${t.recreate} recreated, ${t.create} created, ${t.delete} deleted in ${t.waves} wave(s); about ${formatDuration(plan.estimatedSeconds)} left\n`,
            );
          }
          return;
        }
        if (o.once) {
          const s = await h.status();
          process.stdout.write(o.json ? JSON.stringify(s) + '\n' : renderProgress(s) + '\n');
          if (unsuccessful(s)) process.exitCode = EXIT_UNSUCCESSFUL;
          return;
        }
        const tty = process.stdout.isTTY;
        let prev = null as RolloutProgress | RolloutStatus | null;
        const show = (p: RolloutProgress | RolloutStatus) => {
          if (tty) logUpdate(renderProgress(p));
          else for (const line of progressChanges(prev, p)) process.stdout.write(line + '\n');
          prev = p;
        };
        for await (const p of h.watch(o.interval)) show(p);
        // The watch ends when the workflow closes, maybe before it saw the last progress; and the record of a closed
        // run is as the run left it: the execution says how it ended. Read both once more, so the last lines say so.
        const final = await h.status();
        show(final);
        if (tty) logUpdate.done();
        process.stdout.write(statusLine(final) + '\n');
        if (unsuccessful(final)) process.exitCode = EXIT_UNSUCCESSFUL;
      });
    });

  operation(program, 'report', "write a self-contained HTML timeline of each Pod's steps and the window at work")
    .argument('<name>', 'CloneSet name')
    .requiredOption('--out <file.html>', 'where to write the report')
    .addHelpText('after', `${EXIT_CODES_HELP}\nThe report is written in every case but 1.`)
    .action(async (name: string, o: Flags & { out: string }) => {
      const s = await withHandle(o, name, (h) => h.status());
      await writeFile(o.out, renderReport(s));
      process.stdout.write(`wrote ${o.out} (${Object.keys(s.pods).length} Pods, ${s.phase}${s.error && unsuccessful(s) ? `: ${s.error}` : ''})\n`);
      if (unsuccessful(s)) process.exitCode = EXIT_UNSUCCESSFUL;
    });

  operation(program, 'pause', 'pause a rollout at a safe point: lanes in flight finish, no new Pod is taken')
    .argument('<name>', 'CloneSet name')
    .action(async (name: string, o: Flags) => {
      const v = await withHandle(o, name, (h) => h.pause());
      process.stdout.write(`paused ${o.clonesetNamespace}/${name}: ${describeControls(v)}\n`);
    });

  operation(program, 'resume', 'resume a paused rollout')
    .argument('<name>', 'CloneSet name')
    .action(async (name: string, o: Flags) => {
      const v = await withHandle(o, name, (h) => h.resume());
      process.stdout.write(`resumed ${o.clonesetNamespace}/${name}: ${describeControls(v)}\n`);
    });

  operation(program, 'abort', 'abort a rollout: lanes in flight finish, no new Pod is taken (--rollback: updated Pods return in place)')
    .argument('<name>', 'CloneSet name')
    .option('--rollback', 'return updated Pods to the previous images, in place')
    .action(async (name: string, o: Flags & { rollback?: boolean }) => {
      const v = await withHandle(o, name, (h) => h.abort({ rollback: !!o.rollback }));
      process.stdout.write(`aborted ${o.clonesetNamespace}/${name}: ${describeControls(v)}\n`);
    });

  const who = (o: { by?: string; reason?: string }) => ({ ...(o.by ? { by: o.by } : {}), ...(o.reason ? { reason: o.reason } : {}) });
  const canaryLine = (v: CanaryControlView) =>
    v.status === 'Done' ? `all ${v.steps} steps passed` : `at step ${Math.min(v.current + 1, v.steps)} of ${v.steps}`;

  operation(program, 'approve', "release the pause the rollout's canary waits at (a step's pause, or an inconclusive analysis)")
    .argument('<name>', 'CloneSet name')
    .option('--by <who>', 'who approves (recorded)', process.env.USER)
    .option('--reason <why>', 'why (recorded)')
    .action(async (name: string, o: Flags & { by?: string; reason?: string }) => {
      const v = await withHandle(o, name, (h) => h.approve(who(o)));
      process.stdout.write(`approved ${o.clonesetNamespace}/${name} ${canaryLine(v)}: the rollout goes on\n`);
    });

  operation(program, 'promote', "skip the canary's remaining pauses and bake times (--full: its analyses too)")
    .argument('<name>', 'CloneSet name')
    .option('--full', 'skip the remaining analyses as well')
    .option('--by <who>', 'who promotes (recorded)', process.env.USER)
    .option('--reason <why>', 'why (recorded)')
    .action(async (name: string, o: Flags & { full?: boolean; by?: string; reason?: string }) => {
      const v = await withHandle(o, name, (h) => h.promote({ ...who(o), ...(o.full ? { full: true } : {}) }));
      process.stdout.write(`promoted ${o.clonesetNamespace}/${name} ${canaryLine(v)}: the remaining pauses${o.full ? ' and analyses' : ''} are skipped\n`);
    });

  operation(program, 'set-partition', 'override updateStrategy.partition for this rollout (N, N%, or none)')
    .argument('<name>', 'CloneSet name')
    .argument('<partition>', 'integer ≥ 0, percentage, or none', intOrPercentArg)
    .action(async (name: string, value: number | string | null, o: Flags) => {
      const v = await withHandle(o, name, (h) => h.setPartition(value));
      process.stdout.write(`${o.clonesetNamespace}/${name}: ${describeControls(v)}\n`);
    });

  operation(program, 'set-max-unavailable', 'override updateStrategy.maxUnavailable (the window) for this rollout (N, N%, or none)')
    .argument('<name>', 'CloneSet name')
    .argument('<maxUnavailable>', 'integer ≥ 0, percentage, or none', intOrPercentArg)
    .action(async (name: string, value: number | string | null, o: Flags) => {
      const v = await withHandle(o, name, (h) => h.setMaxUnavailable(value));
      process.stdout.write(`${o.clonesetNamespace}/${name}: ${describeControls(v)}\n`);
    });

  operation(program, 'retarget', 'move a running rollout to new images (CONTAINER=IMAGE ...); Pods in flight finish first')
    .argument('<name>', 'CloneSet name')
    .argument('<images...>', 'CONTAINER=IMAGE pairs')
    .action(async (name: string, pairs: string[], o: Flags) => {
      const images: Record<string, string> = {};
      for (const pair of pairs) {
        const i = pair.indexOf('=');
        if (i <= 0) throw new InvalidArgumentError(`"${pair}" is not CONTAINER=IMAGE`);
        images[pair.slice(0, i)] = pair.slice(i + 1);
      }
      const r = await withHandle(o, name, (h) => h.retarget(images));
      process.stdout.write(`${o.clonesetNamespace}/${name}: now rolling to revision ${r.updateRevision}\n`);
    });
}
