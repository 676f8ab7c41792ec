/**
 * `kruise-defaults NAME`: prepares a CloneSet for a hand-back to OpenKruise by writing the Pod defaults Kruise's
 * webhook would have written into its template (src/kube/kruise-defaults.ts, docs/kruise-compatibility.md).
 */
import type { Command } from 'commander';
import { loadKubeConfig, makeClients } from '../kube/clients.js';
import { writeKruiseDefaults } from '../kube/kruise-defaults.js';
import { addConnectOptions, resolveConnection, type ConnectFlags } from './connect.js';

export function addHandbackCommand(program: Command): void {
  addConnectOptions(
    program
      .command('kruise-defaults')
      .description("write the Pod defaults OpenKruise's webhook writes into a CloneSet's template (before handing it back to Kruise)")
      .argument('<name>', 'CloneSet name')
      .option('-n, --cloneset-namespace <ns>', 'namespace of the CloneSet', 'default')
      .option('--dry-run', 'only say whether the template needs them'),
  ).action(async (name: string, o: ConnectFlags & { clonesetNamespace: string; dryRun?: boolean }) => {
    const c = resolveConnection(o);
    const what = `CloneSet ${o.clonesetNamespace}/${name}`;
    const r = await writeKruiseDefaults(makeClients(loadKubeConfig(c.kubeconfig)), o.clonesetNamespace, name, { dryRun: o.dryRun });
    const line = !r.needed
      ? `${what}: the template already holds Kruise's defaults`
      : r.written
        ? `${what}: Kruise's defaults written into the template (generation ${r.generation}); no Pod changes`
        : `${what}: the template lacks Kruise's defaults (run without --dry-run to write them)`;
    process.stdout.write(line + '\n');
  });
}
