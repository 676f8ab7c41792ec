/**
 * Structured logging: pino everywhere, including the Temporal SDK's own logger (workflow `log`, activity `log`,
 * worker internals) routed through {@link installTemporalLogging}.
 */
import { pino, type Logger, type LoggerOptions } from 'pino';
import { Runtime, type LogLevel, type LogMetadata, type Logger as TemporalLogger } from '@temporalio/worker';

export type { Logger };

/** Creates the process logger. Level from `LOG_LEVEL` (default info); JSON lines to stderr by default. */
export function createLogger(name: string, opts: LoggerOptions = {}): Logger {
  return pino(
    {
      name,
      level: process.env.LOG_LEVEL ?? 'info',
      // Never log credentials that may ride along in objects we log.
      redact: { paths: ['*.token', '*.password', '*.apiKey', '*.clientKey', '*.headers.authorization'], censor: '[redacted]' },
      ...opts,
    },
    pino.destination({ dest: 2, sync: false }),
  );
}

const pinoLevel: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/** Adapts a pino logger to the Temporal SDK's Logger interface. */
export function toTemporalLogger(logger: Logger): TemporalLogger {
  return {
    log: (level: LogLevel, message: string, meta?: LogMetadata) => logger[pinoLevel[level]](meta ?? {}, message),
    trace: (message: string, meta?: LogMetadata) => logger.trace(meta ?? {}, message),
    debug: (message: string, meta?: LogMetadata) => logger.debug(meta ?? {}, message),
    info: (message: string, meta?: LogMetadata) => logger.info(meta ?? {}, message),
    warn: (message: string, meta?: LogMetadata) => logger.warn(meta ?? {}, message),
    error: (message: string, meta?: LogMetadata) => logger.error(meta ?? {}, message),
  };
}

let installed = false;

/**
 * Routes the Temporal Runtime's logger (SDK and workflow/activity `log` calls, which carry workflowId, runId,
 * activityType... as metadata) to pino. Installs once per process; later calls are ignored.
 */
export function installTemporalLogging(logger: Logger): void {
  if (installed) return;
  installed = true;
  Runtime.install({
    logger: toTemporalLogger(logger.child({ component: 'temporal' })),
    telemetryOptions: { logging: { filter: { core: 'WARN', other: 'ERROR' }, forward: {} } },
  });
}
