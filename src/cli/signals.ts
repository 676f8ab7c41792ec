/** Runs `stop` once on the first SIGINT or SIGTERM, then exits; a second signal exits at once. */
export function onShutdown(stop: () => Promise<void>, log?: { info(msg: string): void; error(obj: unknown, msg: string): void }): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(130);
    stopping = true;
    log?.info(`${signal} received, shutting down`);
    stop().then(
      () => process.exit(0),
      (err) => {
        log?.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}
