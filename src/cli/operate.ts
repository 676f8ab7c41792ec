/**
 * Operating a running rollout from the project's CLI, through the typed client: `status` (live progress bar and Pod
 * table), `pause`, `resume`, `abort [--rollback]`, `set-partition`, `set-max-unavailable`, `retarget`. Every command
 * takes the connection flags of ./connect.ts (`--state-dir`, `--address`...).
 */
import { InvalidArgumentError, type Command } from 'commander';
import logUpdate from 'log-update';
import { RolloutClient, type RolloutHandle } from '../client/index.js';
import { clientConnectionOptions, loadConnectionSettings } from '../temporal/connection.js';
import type { ControlsView, RolloutProgress } from '../workflows/messages.js';
import { addConnectOptions, resolveConnection, type ConnectFlags } from './connect.js';
import { progressChanges, renderProgress } from './progress-view.js';
import { formatDuration, renderWaves } from './plan.js';
import { renderReport } from './report.js';
import { writeFile } from 'node:fs/promises';

type Flags = ConnectFlags & { clonesetNamespace: string };

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
    return await fn(client.handle(o.clonesetNamespace, name));
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
      .option('-n, --cloneset-namespace <ns>', 'namespace of the CloneSet', 'default'),
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
          const p = await h.progress();
          process.stdout.write(o.json ? JSON.stringify(p) + '\n' : renderProgress(p) + '\n');
          return;
        }
        const tty = process.stdout.isTTY;
        let prev = null as RolloutProgress | null;
        const show = (p: RolloutProgress) => {
          if (tty) logUpdate(renderProgress(p));
          else for (const line of progressChanges(prev, p)) process.stdout.write(line + '\n');
          prev = p;
        };
        for await (const p of h.watch(o.interval)) show(p);
        // The watch ends when the workflow closes, maybe before it saw the last progress: read it once more (a
        // closed rollout still answers), so the last line is how it ended, not its phase a moment before.
        const last = await h.progress().catch(() => null);
        if (last && JSON.stringify(last) !== JSON.stringify(prev)) show(last);
        if (tty) logUpdate.done();
        if (prev) process.stdout.write(`${prev.namespace}/${prev.name}: ${prev.phase}\n`);
      });
    });

  operation(program, 'report', 'write a self-contained HTML timeline of each Pod\'s steps and the window at work')
    .argument('<name>', 'CloneSet name')
    .requiredOption('--out <file.html>', 'where to write the report')
    .action(async (name: string, o: Flags & { out: string }) => {
      const p = await withHandle(o, name, (h) => h.progress());
      await writeFile(o.out, renderReport(p));
      process.stdout.write(`wrote ${o.out} (${Object.keys(p.pods).length} Pods, ${p.phase})\n`);
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
