/**
 * `cloneset-rollout fleet start|status|approve|pause|resume|abort`: fleet rollouts (`rolloutFleet`) from the CLI, through
 * the typed client, with the connection flags of ./connect.ts. Human output is plain lines; `status --json` the query.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { InvalidArgumentError, type Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import type { FleetHandle } from '../client/index.js';
import { formatErrors, parseFleetInput, type FleetInput } from '../rollout/index.js';
import type { FleetControlsView, FleetProgress } from '../workflows/fleet-messages.js';
import { addConnectOptions, type ConnectFlags } from './connect.js';
import { withClient } from './with-client.js';
import { renderFleetReport } from './fleet-report.js';
import { EXIT_UNSUCCESSFUL } from './operate.js';
import type { PodProgress } from '../workflows/messages.js';

type Flags = ConnectFlags & { clonesetNamespace: string };

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

function nonNegative(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError(`"${value}" is not a whole number of seconds ≥ 0`);
  return n;
}

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`"${value}" is not an integer ≥ 1`);
  return n;
}

/** `nginx=nginx:1.27` pairs → images. */
export function imagesArg(pairs: readonly string[]): Record<string, string> {
  const images: Record<string, string> = {};
  for (const p of pairs) {
    const eq = p.indexOf('=');
    if (eq <= 0 || eq === p.length - 1) throw new InvalidArgumentError(`image "${p}": expected CONTAINER=IMAGE (e.g. nginx=nginx:1.27)`);
    images[p.slice(0, eq)] = p.slice(eq + 1);
  }
  return images;
}

function fleetCommand(parent: Command, name: string, description: string): Command {
  return addConnectOptions(parent.command(name).description(description).option('-n, --cloneset-namespace <ns>', 'namespace of the CloneSet', 'default'));
}

/** The fleet's state as plain lines: the phase and wave, the bake or approval, one line per cluster. */
export function renderFleet(p: FleetProgress): string {
  const lines = [
    `fleet ${p.namespace}/${p.name}: ${p.phase}${p.wave === null ? '' : `, wave ${p.wave + 1} of ${p.waves.length}`}${p.paused ? ' (paused)' : ''}`,
  ];
  if (p.bake) lines.push(`  baking wave ${p.bake.wave + 1}: ${p.bake.seconds} s, until ${new Date(p.bake.endsAtMs).toISOString()}`);
  if (p.phase === 'AwaitingApproval' && p.wave !== null)
    lines.push(`  wave ${p.wave + 1} awaits approval: cloneset-rollout fleet approve ${p.name} -n ${p.namespace}`);
  if (p.halted) lines.push(`  halted by ${p.halted.cluster}: ${p.halted.reason}`);
  if (p.error) lines.push(`  error: ${p.error}`);
  const rows = Object.entries(p.clusters).map(([name, c]) => ({
    cells: [
      String(c.wave + 1),
      name,
      c.state,
      `${c.phase}${c.rolledBack ? ' (fleet rollback)' : ''}`,
      c.counts ? `${c.counts.updated}/${c.counts.desired}` : '-',
      c.toRevision ?? '-',
    ],
    error: c.error,
  }));
  const header = ['WAVE', 'CLUSTER', 'STATE', 'PHASE', 'UPDATED', 'REVISION'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r.cells[i]!.length)) + 2);
  const line = (cells: string[]) => `  ${cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('')}`;
  lines.push(line(header));
  for (const r of rows) {
    lines.push(line(r.cells));
    if (r.error) lines.push(`  ${''.padEnd(widths[0]! + widths[1]!)}${r.error}`);
  }
  return lines.join('\n');
}

function controlsLine(h: FleetHandle, v: FleetControlsView): string {
  const state = [v.phase, v.paused ? 'paused' : null, v.aborted ? (v.aborted.rollback ? 'aborted, rolling back' : 'aborted') : null].filter(Boolean);
  return `${h.workflowId}: ${state.join(', ')}`;
}

/** Adds `fleet start|status|approve|pause|resume|abort`. */
export function addFleetCommands(program: Command): void {
  const fleet = program.command('fleet').description('roll a CloneSet across clusters in waves (rolloutFleet, workflow fleet/<namespace>/<name>)');

  fleetCommand(fleet, 'start', 'start a fleet rollout: --wave per wave (comma-separated cluster names), or -f FILE with the whole input')
    .argument('[name]', 'CloneSet name (or in -f FILE)')
    .option('-f, --filename <file>', 'YAML/JSON fleet input ({namespace, name, images, waves, bake, approval, maxParallel, rollbackOnFailure})')
    .option('--wave <clusters>', 'one wave: cluster names separated by commas (repeat, in order)', collect)
    .option('--image <container=image>', 'a new image (repeatable)', collect)
    .option('--bake <seconds>', 'seconds each wave bakes before the next', nonNegative)
    .option('--approval', 'every wave after the first waits for `fleet approve`')
    .option('--max-parallel <n>', 'clusters rolling at once within a wave', positive)
    .option('--rollback-on-failure', 'a failed cluster rolls back, and every rolled cluster returns, in reverse wave order')
    .action(
      async (
        name: string | undefined,
        o: Flags & {
          filename?: string;
          wave?: string[];
          image?: string[];
          bake?: number;
          approval?: boolean;
          maxParallel?: number;
          rollbackOnFailure?: boolean;
        },
      ) => {
        const fromFile = o.filename ? (parseYaml(await readFile(o.filename, 'utf8')) as Partial<FleetInput>) : {};
        const input = {
          ...fromFile,
          namespace: fromFile.namespace ?? o.clonesetNamespace,
          ...(name ? { name } : {}),
          ...(o.image ? { images: imagesArg(o.image) } : {}),
          ...(o.wave ? { waves: o.wave.map((w) => w.split(',').map((c) => c.trim())) } : {}),
          ...(o.bake !== undefined ? { bake: o.bake } : {}),
          ...(o.approval ? { approval: true } : {}),
          ...(o.maxParallel !== undefined ? { maxParallel: o.maxParallel } : {}),
          ...(o.rollbackOnFailure ? { rollbackOnFailure: true } : {}),
        };
        // Refused here, naming the field, before anything starts (the workflow checks it again).
        const parsed = parseFleetInput(input);
        if (!parsed.ok) throw new Error(`invalid fleet input: ${formatErrors(parsed.errors)}`);
        await withClient(o, async (client) => {
          const h = await client.startFleet(input as FleetInput);
          process.stdout.write(`fleet rollout started: workflow ${h.workflowId}\n`);
        });
      },
    );

  fleetCommand(fleet, 'status', "show a fleet rollout: its phase, wave, bake or approval, and each cluster's phase and counts")
    .argument('<name>', 'CloneSet name')
    .option('--json', 'the progress query as JSON')
    .option('--wait', 'wait until the fleet ends, then show it')
    .action(async (name: string, o: Flags & { json?: boolean; wait?: boolean }) => {
      await withClient(o, async (client) => {
        const h = client.fleetHandle(o.clonesetNamespace, name);
        if (o.wait) await h.result().catch(() => undefined);
        const p = await h.progress();
        process.stdout.write(o.json ? JSON.stringify(p) + '\n' : renderFleet(p) + '\n');
        if (p.phase === 'Halted' || p.phase === 'Failed') process.exitCode = EXIT_UNSUCCESSFUL;
      });
    });

  fleetCommand(fleet, 'report', 'write a self-contained HTML timeline of the fleet: the clusters as lanes, their Pods under them')
    .argument('<name>', 'CloneSet name')
    .requiredOption('--out <file.html>', 'where to write the report')
    .action(async (name: string, o: Flags & { out: string }) => {
      await withClient(o, async (client) => {
        const p = await client.fleetHandle(o.clonesetNamespace, name).progress();
        const pods: Record<string, Record<string, PodProgress> | null> = {};
        for (const cluster of Object.keys(p.clusters)) {
          pods[cluster] = await client
            .handle(o.clonesetNamespace, name, cluster)
            .status()
            .then((s) => s.pods)
            .catch(() => null);
        }
        await writeFile(o.out, renderFleetReport({ fleet: p, pods }));
        process.stdout.write(`wrote ${o.out} (${Object.keys(p.clusters).length} clusters, ${p.phase})\n`);
      });
    });

  fleetCommand(fleet, 'approve', 'let the wave awaiting approval start')
    .argument('<name>', 'CloneSet name')
    .action(async (name: string, o: Flags) => {
      await withClient(o, async (client) => {
        const h = client.fleetHandle(o.clonesetNamespace, name);
        const r = await h.approve();
        process.stdout.write(`${h.workflowId}: wave ${r.approvedWave + 1} approved\n`);
      });
    });

  for (const [cmd, description] of [
    ['pause', 'start no new cluster (running clusters finish, the bake runs on)'],
    ['resume', 'lift a pause'],
  ] as const) {
    fleetCommand(fleet, cmd, description)
      .argument('<name>', 'CloneSet name')
      .action(async (name: string, o: Flags) => {
        await withClient(o, async (client) => {
          const h = client.fleetHandle(o.clonesetNamespace, name);
          process.stdout.write(controlsLine(h, await (cmd === 'pause' ? h.pause() : h.resume())) + '\n');
        });
      });
  }

  fleetCommand(fleet, 'abort', 'abort the running clusters and start no new one (--rollback: every rolled cluster returns, reverse wave order)')
    .argument('<name>', 'CloneSet name')
    .option('--rollback', 'return every cluster already rolled to its starting images, in place')
    .action(async (name: string, o: Flags & { rollback?: boolean }) => {
      await withClient(o, async (client) => {
        const h = client.fleetHandle(o.clonesetNamespace, name);
        process.stdout.write(controlsLine(h, await h.abort({ rollback: !!o.rollback })) + '\n');
      });
    });
}
