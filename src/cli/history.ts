/**
 * Revision history and rollback from the project's CLI: `history NAME` lists the CloneSet's ControllerRevisions
 * (Kubernetes only), `rollback NAME [--to-revision N] [--wait]` rolls back to one of them as a rollout like any other
 * (Temporal). Both take the connection flags of ./connect.ts (`--state-dir`, `--address`, `--kubeconfig`...).
 */
import { InvalidArgumentError, type Command } from 'commander';
import { readHistory, RolloutAlreadyRunningError, type CloneSetHistory, type RolloutHandle } from '../client/index.js';
import { loadKubeConfig, makeClients } from '../kube/clients.js';
import { addConnectOptions, resolveConnection, type ConnectFlags } from './connect.js';
import { withClient } from './with-client.js';

type Flags = ConnectFlags & { clonesetNamespace: string };

/** `--to-revision`: a revision number ≥ 0 (0: the previous revision). */
export function revisionArg(value: string): number {
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new InvalidArgumentError(`"${value}" is not a revision number (an integer ≥ 0; 0: the previous revision)`);
  }
  return Number(value);
}

/** The history as a table, oldest first: REVISION, NAME, IMAGES, PODS, CREATED, then the current/update marks. */
export function renderHistory(h: CloneSetHistory): string {
  if (h.revisions.length === 0) return `CloneSet ${h.namespace}/${h.name} has no recorded revisions yet (none was rolled out)`;
  const header = ['REVISION', 'NAME', 'IMAGES', 'PODS', 'CREATED', ''];
  const rows = h.revisions.map((r) => [
    String(r.revision),
    r.name,
    Object.entries(r.images)
      .map(([c, i]) => `${c}=${i}`)
      .join(',') || '-',
    String(r.pods),
    r.createdAt ?? '-',
    [r.current ? 'current' : '', r.update ? 'update' : ''].filter(Boolean).join(', '),
  ]);
  const widths = header.map((_, i) => Math.max(header[i]!.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  const lines = [line(header), ...rows.map(line)];
  if (!h.revisions.some((r) => r.update)) lines.push(`(the template's revision ${h.updateRevision} is not recorded yet: it was not rolled out)`);
  return lines.join('\n');
}

/**
 * Waits until the rollback resolved its target (the progress query names the revision it moves to) or the run
 * closed; a failed run (e.g. an unknown revision) throws its root cause. Null when it did not get there in time.
 */
async function awaitTarget(h: RolloutHandle, timeoutMs = 30_000): Promise<string | null> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const { status } = await h.workflow.describe();
    if (status.name !== 'RUNNING') return (await h.result()).toRevision;
    const p = await h.progress().catch(() => null); // not queryable until a worker took the first task
    if (p?.toRevision) return p.toRevision;
    await new Promise((r) => setTimeout(r, 200));
  }
  return null;
}

/** Adds `history` and `rollback` to the program. */
export function addHistoryCommands(program: Command): void {
  addConnectOptions(
    program
      .command('history')
      .description("list a CloneSet's revisions (ControllerRevisions), oldest first, with their images and Pods")
      .argument('<name>', 'CloneSet name')
      .option('-n, --cloneset-namespace <ns>', 'namespace of the CloneSet', 'default')
      .option('--json', 'print the history as JSON'),
  ).action(async (name: string, o: Flags & { json?: boolean }) => {
    const c = resolveConnection(o);
    const h = await readHistory(makeClients(loadKubeConfig(c.kubeconfig)), o.clonesetNamespace, name);
    process.stdout.write((o.json ? JSON.stringify(h) : renderHistory(h)) + '\n');
  });

  addConnectOptions(
    program
      .command('rollback')
      .description('roll a CloneSet back to a revision of its history (default: the previous one), as a rollout')
      .argument('<name>', 'CloneSet name')
      .option('-n, --cloneset-namespace <ns>', 'namespace of the CloneSet', 'default')
      .option('--to-revision <n>', 'revision number from `history` (0: the previous revision)', revisionArg, 0)
      .option('--wait', 'wait for the rollout to finish'),
  ).action(async (name: string, o: Flags & { toRevision: number; wait?: boolean }) => {
    const what = `${o.clonesetNamespace}/${name}`;
    const to = o.toRevision ? `revision ${o.toRevision}` : 'the previous revision';
    await withClient(o, async (client) => {
      const h = await client.rollback(o.clonesetNamespace, name, { toRevision: o.toRevision }).catch((err: unknown) => {
        if (!(err instanceof RolloutAlreadyRunningError)) throw err;
        throw new Error(
          `a rollout of ${what} is running (workflow ${err.workflowId}): wait for it, or abort it first ` +
            `(\`cloneset-rollout abort ${name} -n ${o.clonesetNamespace} --rollback\` returns its updated Pods)`,
          { cause: err },
        );
      });
      process.stdout.write(`rolling back ${what} to ${to}: workflow ${h.workflowId}\n`);
      const target = await awaitTarget(h);
      if (target) process.stdout.write(`${what}: template set to revision ${target}; Pods are moving to it\n`);
      if (!o.wait) {
        process.stdout.write(`follow it with: cloneset-rollout status ${name} -n ${o.clonesetNamespace}\n`);
        return;
      }
      const r = await h.result();
      const how = [`${r.updatedInPlace} in place`, `${r.recreated} recreated`, r.created ? `${r.created} created` : '', r.deleted ? `${r.deleted} deleted` : '']
        .filter(Boolean)
        .join(', ');
      const ended = r.aborted ? (r.aborted.rollback ? 'aborted and reverted' : 'aborted') : 'rolled back';
      process.stdout.write(`${ended} ${what} to ${r.toRevision}: ${how} in ${(r.durationMs / 1000).toFixed(1)}s\n`);
    });
  });
}
