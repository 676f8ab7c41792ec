import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { REDACT } from '../../src/log.js';
import {
  clientConnectionOptions,
  ConnectionSettingsError,
  describeConnection,
  loadConnectionSettings,
  nativeConnectionOptions,
} from '../../src/temporal/connection.js';

const CA = '-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n';
const CERT = '-----BEGIN CERTIFICATE-----\nCLIENT\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN PRIVATE KEY-----\nSECRETKEY\n-----END PRIVATE KEY-----\n';
const API_KEY = 'tmprl-api-key-4f1e9c0d7b';

/** A fake file system for PEM paths and config files. */
const files: Record<string, string> = {
  '/etc/tls/ca.crt': CA,
  '/etc/tls/tls.crt': CERT,
  '/etc/tls/tls.key': KEY,
  '/etc/temporal.yaml': `address: ns.a1b2c.tmprl.cloud:7233\nnamespace: ns.a1b2c\ntls:\n  ca: /etc/tls/ca.crt\n  serverName: ns.a1b2c.tmprl.cloud\napiKey: ${API_KEY}\n`,
  '/etc/bad.yaml': 'adress: typo:7233\n',
};
const readFile = (p: string) => {
  if (!(p in files)) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
  return files[p]!;
};
const load = (env: Record<string, string>, overrides?: { address?: string; namespace?: string }) => loadConnectionSettings({ env, overrides, readFile });
const buf = (s: string) => Buffer.from(s, 'utf8');

describe('loadConnectionSettings → NativeConnection / Connection options', () => {
  it.each<[string, Record<string, string>, Record<string, unknown>]>([
    ['plaintext to 127.0.0.1:7233 with no settings (the dev server)', {}, { address: '127.0.0.1:7233', tls: false }],
    ['TEMPORAL_TLS=true: TLS with the system CAs', { TEMPORAL_ADDRESS: 't:7233', TEMPORAL_TLS: 'true' }, { address: 't:7233', tls: {} }],
    ['server CA from a file path', { TEMPORAL_TLS_CA: '/etc/tls/ca.crt' }, { tls: { serverRootCACertificate: buf(CA) } }],
    ['server CA as inline PEM', { TEMPORAL_TLS_CA: CA }, { tls: { serverRootCACertificate: buf(CA) } }],
    [
      'mTLS: client certificate and key, CA and SNI override',
      { TEMPORAL_TLS_CA: '/etc/tls/ca.crt', TEMPORAL_TLS_CERT: '/etc/tls/tls.crt', TEMPORAL_TLS_KEY: KEY, TEMPORAL_TLS_SERVER_NAME: 'temporal.internal' },
      { tls: { serverRootCACertificate: buf(CA), clientCertPair: { crt: buf(CERT), key: buf(KEY) }, serverNameOverride: 'temporal.internal' } },
    ],
    ['API key alone turns TLS on (Temporal Cloud)', { TEMPORAL_ADDRESS: 'x.tmprl.cloud:7233', TEMPORAL_API_KEY: API_KEY }, { tls: {}, apiKey: API_KEY }],
    ['TEMPORAL_TLS=false with nothing else stays plaintext', { TEMPORAL_TLS: 'false' }, { tls: false }],
  ])('%s', (_name, env, expected) => {
    const s = load(env);
    const native = nativeConnectionOptions(s);
    const client = clientConnectionOptions(s);
    expect(native).toMatchObject(expected);
    expect(client).toEqual(native); // one source for both kinds of connection
    if (!('apiKey' in expected)) expect(native).not.toHaveProperty('apiKey');
  });

  it('reads a config file; the environment and flags win over it', () => {
    const fromFile = load({ TEMPORAL_CONFIG_FILE: '/etc/temporal.yaml' });
    expect(fromFile).toEqual({
      address: 'ns.a1b2c.tmprl.cloud:7233',
      namespace: 'ns.a1b2c',
      tls: { ca: CA, serverName: 'ns.a1b2c.tmprl.cloud' },
      apiKey: API_KEY,
    });
    const overridden = load({ TEMPORAL_CONFIG_FILE: '/etc/temporal.yaml', TEMPORAL_NAMESPACE: 'env-ns', TEMPORAL_API_KEY: 'env-key' }, { address: 'flag:1' });
    expect(overridden).toMatchObject({ address: 'flag:1', namespace: 'env-ns', apiKey: 'env-key' });
  });

  it.each([
    ['half an mTLS pair', { TEMPORAL_TLS_CERT: CERT }, /needs both TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY/],
    ['an unreadable PEM path (named, not printed)', { TEMPORAL_TLS_CA: '/nope/ca.crt' }, /TEMPORAL_TLS_CA: cannot read \/nope\/ca.crt: ENOENT/],
    ['a config file with an unknown key', { TEMPORAL_CONFIG_FILE: '/etc/bad.yaml' }, /\/etc\/bad.yaml: .*adress|Unrecognized key/],
  ])('rejects %s', (_name, env, message) => {
    expect(() => load(env)).toThrow(ConnectionSettingsError);
    expect(() => load(env)).toThrow(message);
  });

  it('never logs the API key or the client key: describeConnection and the process logger', () => {
    const s = load({ TEMPORAL_CONFIG_FILE: '/etc/temporal.yaml', TEMPORAL_TLS_CERT: CERT, TEMPORAL_TLS_KEY: KEY });
    let out = '';
    const sink = new Writable({ write: (c, _e, done) => ((out += String(c)), done()) });
    const log = pino({ level: 'trace' }, sink);
    log.info(describeConnection(s), 'connecting');
    expect(describeConnection(s)).toEqual({
      address: 'ns.a1b2c.tmprl.cloud:7233',
      namespace: 'ns.a1b2c',
      tls: true,
      serverCA: 'custom',
      mtls: true,
      serverName: 'ns.a1b2c.tmprl.cloud',
      apiKey: 'set',
    });
    expect(out).toContain('"apiKey":"set"');
    expect(out).not.toContain(API_KEY);
    expect(out).not.toContain('SECRETKEY');
  });

  it('the process logger censors the settings even when they are logged whole by mistake', () => {
    const s = load({ TEMPORAL_API_KEY: API_KEY, TEMPORAL_TLS_CERT: CERT, TEMPORAL_TLS_KEY: KEY });
    let out = '';
    const sink = new Writable({ write: (c, _e, done) => ((out += String(c)), done()) });
    const log = pino({ level: 'trace', redact: REDACT }, sink);
    log.info({ settings: s }, 'oops');
    log.info({ worker: { connection: s } }, 'nested oops');
    expect(out).toContain('[redacted]');
    expect(out).not.toContain(API_KEY);
    expect(out).not.toContain('SECRETKEY');
  });
});
