/**
 * How every process of the project (worker, controller, CLI client) reaches a secured Temporal: server CA, mTLS
 * client certificate, SNI override and API key (Temporal Cloud), from environment variables or a config file.
 * One settings object feeds both `Connection.connect` (client, gRPC-js) and `NativeConnection.connect` (worker, Rust
 * core), so the two can't drift apart. {@link describeConnection} is the only form of the settings that may be logged.
 *
 * Environment (each PEM value is either the PEM text itself or a path to a PEM file):
 *   TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
 *   TEMPORAL_TLS ("true": TLS with the system's CAs), TEMPORAL_TLS_CA, TEMPORAL_TLS_CERT, TEMPORAL_TLS_KEY,
 *   TEMPORAL_TLS_SERVER_NAME, TEMPORAL_API_KEY, TEMPORAL_CONFIG_FILE (YAML/JSON with the same settings; env wins).
 */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from '@temporalio/client';
import type { NativeConnectionOptions } from '@temporalio/worker';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

/** Resolved connection settings (PEM contents already read). */
export interface TemporalConnectionSettings {
  address: string;
  namespace: string;
  /** undefined: plaintext. */
  tls?: {
    /** PEM of the CA that signed the server's certificate; default: the system's roots. */
    ca?: string;
    /** mTLS client certificate and key (PEM), both or neither. */
    cert?: string;
    key?: string;
    /** SNI / host name to verify instead of the address's host. */
    serverName?: string;
  };
  /** Bearer API key (Temporal Cloud); implies TLS. */
  apiKey?: string;
}

/** A config file: the same settings, PEM values as inline PEM or file paths (relative to the file's directory is not supported: use absolute paths). */
const FileSchema = z.strictObject({
  address: z.string().min(1).optional(),
  namespace: z.string().min(1).optional(),
  tls: z
    .union([
      z.boolean(),
      z.strictObject({ ca: z.string().optional(), cert: z.string().optional(), key: z.string().optional(), serverName: z.string().optional() }),
    ])
    .optional(),
  apiKey: z.string().min(1).optional(),
});
export type TemporalConfigFile = z.infer<typeof FileSchema>;

/** Thrown for settings that can't work (half an mTLS pair, an unreadable PEM, a malformed config file). */
export class ConnectionSettingsError extends Error {
  override name = 'ConnectionSettingsError';
}

type Env = Record<string, string | undefined>;
type ReadFile = (path: string) => string;

const defaultRead: ReadFile = (p) => readFileSync(p, 'utf8');

/** Inline PEM is kept; anything else is a path to read. The error names the setting, never the value. */
function pem(value: string | undefined, what: string, read: ReadFile): string | undefined {
  if (!value) return undefined;
  if (value.trimStart().startsWith('-----BEGIN')) return value;
  try {
    return read(value);
  } catch (err) {
    throw new ConnectionSettingsError(`${what}: cannot read ${value}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/**
 * Builds the settings from, in order of precedence: explicit overrides (CLI flags), the environment, the config
 * file (`TEMPORAL_CONFIG_FILE` or `configFile`), defaults (127.0.0.1:7233, namespace `default`, plaintext).
 */
export function loadConnectionSettings(
  opts: { env?: Env; overrides?: { address?: string; namespace?: string }; configFile?: string; readFile?: ReadFile } = {},
): TemporalConnectionSettings {
  const env = opts.env ?? process.env;
  const read = opts.readFile ?? defaultRead;
  const filePath = opts.configFile ?? env.TEMPORAL_CONFIG_FILE;
  let file: TemporalConfigFile = {};
  if (filePath) {
    const parsed = FileSchema.safeParse(parseYaml(pem(filePath, 'TEMPORAL_CONFIG_FILE', read) ?? ''));
    if (!parsed.success) {
      throw new ConnectionSettingsError(`${filePath}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
    }
    file = parsed.data;
  }
  const fileTls = typeof file.tls === 'object' ? file.tls : {};
  const ca = pem(env.TEMPORAL_TLS_CA ?? fileTls.ca, 'TEMPORAL_TLS_CA', read);
  const cert = pem(env.TEMPORAL_TLS_CERT ?? fileTls.cert, 'TEMPORAL_TLS_CERT', read);
  const key = pem(env.TEMPORAL_TLS_KEY ?? fileTls.key, 'TEMPORAL_TLS_KEY', read);
  const serverName = env.TEMPORAL_TLS_SERVER_NAME ?? fileTls.serverName;
  const apiKey = env.TEMPORAL_API_KEY || file.apiKey || undefined;
  if (!!cert !== !!key) throw new ConnectionSettingsError('mTLS needs both TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY');
  const tlsFlag = env.TEMPORAL_TLS !== undefined ? /^(1|true|yes)$/i.test(env.TEMPORAL_TLS) : file.tls !== undefined && file.tls !== false;
  // Any TLS material, or an API key (Temporal Cloud accepts keys over TLS only), turns TLS on.
  const tls = tlsFlag || ca || cert || serverName || apiKey ? { ca, cert, key, serverName } : undefined;
  return {
    address: opts.overrides?.address ?? env.TEMPORAL_ADDRESS ?? file.address ?? '127.0.0.1:7233',
    namespace: opts.overrides?.namespace ?? env.TEMPORAL_NAMESPACE ?? file.namespace ?? 'default',
    ...(tls ? { tls: dropUndefined(tls) } : {}),
    ...(apiKey ? { apiKey } : {}),
  };
}

function dropUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** The TLS part shared by both connection kinds (`false` = plaintext). */
function tlsConfig(s: TemporalConnectionSettings) {
  if (!s.tls) return false as const;
  const enc = (text: string) => Buffer.from(text, 'utf8');
  return {
    ...(s.tls.ca ? { serverRootCACertificate: enc(s.tls.ca) } : {}),
    ...(s.tls.cert && s.tls.key ? { clientCertPair: { crt: enc(s.tls.cert), key: enc(s.tls.key) } } : {}),
    ...(s.tls.serverName ? { serverNameOverride: s.tls.serverName } : {}),
  };
}

/** Options for `NativeConnection.connect` (the worker). */
export function nativeConnectionOptions(s: TemporalConnectionSettings): NativeConnectionOptions {
  return { address: s.address, tls: tlsConfig(s), ...(s.apiKey ? { apiKey: s.apiKey } : {}) };
}

/** Options for `Connection.connect` (clients: the controller, the CLI, applications). */
export function clientConnectionOptions(s: TemporalConnectionSettings): ConnectionOptions {
  return { address: s.address, tls: tlsConfig(s), ...(s.apiKey ? { apiKey: s.apiKey } : {}) };
}

/** What may be logged: where, and which security features are on — never key or certificate contents. */
export function describeConnection(s: TemporalConnectionSettings): Record<string, unknown> {
  return {
    address: s.address,
    namespace: s.namespace,
    tls: !!s.tls,
    serverCA: s.tls?.ca ? 'custom' : s.tls ? 'system' : undefined,
    mtls: !!s.tls?.cert,
    serverName: s.tls?.serverName,
    apiKey: s.apiKey ? 'set' : undefined,
  };
}
