/**
 * Structured logging: pino everywhere, including the Temporal SDK's own logger (workflow `log`, activity `log`,
 * worker internals) routed through {@link installTemporalLogging}.
 */
import { pino, type Logger, type LoggerOptions } from 'pino';
import { Runtime, type LogLevel, type LogMetadata, type Logger as TemporalLogger } from '@temporalio/worker';

export type { Logger };

/**
 * Paths pino censors in every log line: credentials that may ride along in objects we log, including Temporal
 * connection settings (src/temporal/connection.ts) logged whole by mistake.
 */
export const REDACT = {
  paths: ['*.token', '*.password', '*.apiKey', '*.clientKey', '*.headers.authorization', '*.tls.key', '*.*.apiKey', '*.*.tls.key'],
  censor: '[redacted]',
};

/** Creates the process logger. Level from `LOG_LEVEL` (default info); JSON lines to stderr by default. */
export function createLogger(name: string, opts: LoggerOptions = {}): Logger {
  return pino(
    {
      name,
      level: process.env.LOG_LEVEL ?? 'info',
      // Never log credentials that may ride along in objects we log.
      redact: REDACT,
      ...opts,
    },
    pino.destination({ dest: 2, sync: false }),
  );
}

/**
 * The logger of a human-facing command (the demo, whose live view owns the terminal): its JSON lines go to `file`,
 * and only errors also reach stderr, as one plain line each (`name: message`), never as raw JSON.
 */
export function createFileLogger(name: string, file: string, level = process.env.LOG_LEVEL ?? 'warn'): Logger {
  const human = {
    write(line: string) {
      let msg = line.trim();
      try {
        const o = JSON.parse(line) as { msg?: string; err?: { message?: string } | string };
        const err = typeof o.err === 'string' ? o.err : o.err?.message;
        msg = `${o.msg ?? ''}${err ? ` (${err})` : ''}`;
      } catch {
        // not JSON: as is
      }
      process.stderr.write(`${name}: ${msg} (log: ${file})\n`);
    },
  };
  return pino(
    { name, level, redact: REDACT },
    pino.multistream([
      { level: level as pino.Level, stream: pino.destination({ dest: file, sync: true, mkdir: true }) },
      { level: 'error', stream: human },
    ]),
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

/** Options of the process's single Temporal Runtime besides logging. */
export interface TemporalRuntimeOptions {
  /** Serve the SDK's Prometheus metrics (temporal_*) on this host:port, e.g. `0.0.0.0:9464`. Default: no metrics. */
  metricsBindAddress?: string;
}

/**
 * Routes the Temporal Runtime's logger (SDK and workflow/activity `log` calls, which carry workflowId, runId,
 * activityType... as metadata) to pino, and optionally turns on the SDK's Prometheus exporter. The Runtime can be
 * installed only once per process, so this is the one place that does it; later calls are ignored (returns false,
 * and warns if they asked for metrics the installed Runtime lacks).
 */
export function installTemporalLogging(logger: Logger, opts: TemporalRuntimeOptions = {}): boolean {
  if (installed) {
    if (opts.metricsBindAddress)
      logger.warn({ metricsBindAddress: opts.metricsBindAddress }, 'Temporal Runtime already installed: SDK metrics options ignored');
    return false;
  }
  installed = true;
  Runtime.install({
    logger: toTemporalLogger(logger.child({ component: 'temporal' })),
    telemetryOptions: {
      logging: { filter: { core: 'WARN', other: 'ERROR' }, forward: {} },
      ...(opts.metricsBindAddress ? { metrics: { prometheus: { bindAddress: opts.metricsBindAddress } } } : {}),
    },
  });
  return true;
}
