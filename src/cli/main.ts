/** The `cloneset-rollout` command line. */
import { Command, InvalidArgumentError } from 'commander';
import { DEFAULT_TASK_QUEUE } from '../constants.js';
import { loadKubeConfig } from '../kube/clients.js';
import { createFileLogger, createLogger } from '../log.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { RolloutClient } from '../client/index.js';
import { applyCloneSet, parseCloneSets } from '../kube/apply.js';
import { makeClients } from '../kube/clients.js';
import { addConnectOptions, resolveConnection, type ConnectFlags } from './connect.js';
import { runDemo } from './demo.js';
import { startDev } from './dev.js';
import { onShutdown } from './signals.js';
import { addServeOptions, serve, type ServeFlags } from './serve.js';
import { addOperateCommands } from './operate.js';
import { addPlanCommand } from './plan.js';
import { addHistoryCommands } from './history.js';
import { addHandbackCommand } from './handback.js';
import { addFleetCommands } from './fleet.js';
import { clientConnectionOptions, loadConnectionSettings } from '../temporal/connection.js';

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new InvalidArgumentError(`"${value}" is not a TCP port (1-65535)`);
  return n;
}

const program = new Command('cloneset-rollout')
  .description('Durable in-place rollouts of Kubernetes CloneSets, orchestrated by Temporal workflows')
  .showHelpAfterError();

program
  .command('dev')
  .description('run the Temporal dev server (persisted), the simulated cluster and a worker; writes DIR/endpoints.json')
  .requiredOption('--state-dir <dir>', 'where the Temporal database, kubeconfig and endpoints.json live')
  .option('--port <port>', 'Temporal frontend gRPC port (default: a free port)', port)
  .option('--ui-port <port>', 'Temporal Web UI port (default: a free port)', port)
  .option('--no-worker', 'do not run a worker in this process (start one with `cloneset-rollout worker`)')
  .option('--no-ui', 'run the Temporal server without its Web UI')
  .option('--task-queue <name>', 'task queue of the worker', DEFAULT_TASK_QUEUE)
  .option('--controller', 'also run the CloneSet controller (rolls out managed CloneSets on every change)')
  .option('--all', 'with --controller: manage every CloneSet, not only those labelled cloneset-rollout.io/managed=true')
  .action(
    async (o: { stateDir: string; port?: number; uiPort?: number; worker: boolean; ui: boolean; taskQueue: string; controller?: boolean; all?: boolean }) => {
      const logger = createLogger('cloneset-rollout-dev');
      const env = await startDev({ ...o, logger });
      onShutdown(env.stop, logger);
      process.stdout.write(
        `Temporal: ${env.endpoints.temporalAddress}  UI: ${env.endpoints.uiUrl ?? '(off)'}\n` +
          `KUBECONFIG=${env.endpoints.kubeconfig}\nendpoints: ${o.stateDir}/endpoints.json  (Ctrl-C to stop)\n`,
      );
    },
  );

addServeOptions(
  program.command('worker').description('run a rollout worker (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, KUBECONFIG or in-cluster config; TLS: see README)'),
  { controllerFlag: true },
).action(async (o: ServeFlags) => {
  await serve(o, { worker: true }, createLogger('cloneset-rollout-worker'));
});

addServeOptions(
  program.command('controller').description('watch CloneSets (label cloneset-rollout.io/managed=true by default) and start their rollouts on new generations'),
  { controllerFlag: false },
).action(async (o: ServeFlags) => {
  await serve({ ...o, controller: true }, { worker: false }, createLogger('cloneset-rollout-controller'));
});

program
  .command('demo')
  .description('the seed walkthrough: nginxweb1 5 × nginx:perl, then in place to nginx:latest with 4 replicas')
  .option('--fast', 'shorten minReadySeconds to 3 s for a quick run (default: honour the manifests)')
  .option('--resize', 'roll a cpu change in place instead (examples/resize01.yaml, then resize02.yaml)')
  .option('--json', 'print the evidence as one JSON object')
  .option('--state-dir <dir>', 'keep the environment here (default: a temporary dir)')
  .option('--keep', 'keep the environment and its UI running after the demo, until Ctrl-C')
  .action(async (o: { fast?: boolean; resize?: boolean; json?: boolean; stateDir?: string; keep?: boolean }) => {
    // The live view owns the terminal: worker and SDK logs go to a file (errors also as a plain line on stderr).
    const logFile = o.stateDir ? join(o.stateDir, 'demo.log') : join(tmpdir(), `cloneset-rollout-demo-${process.pid}.log`);
    const logger = createFileLogger('cloneset-rollout demo', logFile);
    const evidence = await runDemo({
      minReadySeconds: o.fast ? 3 : undefined,
      json: !!o.json,
      stateDir: o.stateDir,
      keep: !!o.keep,
      resize: !!o.resize,
      logger,
    });
    if (!o.json) process.stdout.write(`Logs: ${logFile}\n`);
    process.exitCode = evidence.ok ? 0 : 1;
  });

addConnectOptions(
  program
    .command('apply')
    .description('create or update the CloneSets in FILE and start their rollouts')
    .requiredOption('-f, --filename <file>', 'YAML manifest with one or more CloneSets')
    .option('--no-rollout', 'only apply; do not start a rollout'),
).action(async (o: ConnectFlags & { filename: string; rollout: boolean }) => {
  const c = resolveConnection(o);
  const cloneSets = parseCloneSets(await readFile(o.filename, 'utf8'), o.filename);
  const k = makeClients(loadKubeConfig(c.kubeconfig));
  // TLS / API key from TEMPORAL_TLS_* / TEMPORAL_API_KEY / TEMPORAL_CONFIG_FILE (src/temporal/connection.ts).
  const client = o.rollout
    ? await RolloutClient.connect({
        ...c,
        connection: clientConnectionOptions(loadConnectionSettings({ overrides: { address: c.address, namespace: c.namespace } })),
      })
    : null;
  try {
    for (const cs of cloneSets) {
      const r = await applyCloneSet(k, cs);
      process.stdout.write(`clonesets.apps.kruise.io/${r.name} ${r.action}\n`);
      if (!client) continue;
      try {
        const h = await client.start({ namespace: r.namespace, name: r.name });
        process.stdout.write(`rollout started: workflow ${h.workflowId}\n`);
      } catch (err) {
        if ((err as Error).name !== 'RolloutAlreadyRunningError') throw err;
        process.stdout.write(`${(err as Error).message}\n`);
      }
    }
  } finally {
    await client?.close();
  }
});

addOperateCommands(program);
addPlanCommand(program);
addHistoryCommands(program);
addHandbackCommand(program);
addFleetCommands(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`cloneset-rollout: ${(err as Error)?.message ?? String(err)}\n`);
  process.exit(1);
});
