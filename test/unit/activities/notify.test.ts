/**
 * The `notify` activity against a loopback webhook: what it POSTs (headers, body in each format), and how each answer
 * surfaces — 2xx resolves with the status, 5xx / 408 / 429 / no answer throw a retryable error, any other 4xx a
 * non-retryable NotificationRefused. Header values never reach the logs.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { ApplicationFailure } from '@temporalio/common';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { NOTIFICATION_REFUSED, notifyActivities } from '../../../src/activities/notify.js';
import type { Notification } from '../../../src/rollout/notify.js';

interface Received {
  method?: string;
  url?: string;
  headers: IncomingHttpHeaders;
  body: unknown;
}

const notification: Notification = {
  rollout: { namespace: 'default', name: 'web', workflowId: 'cloneset/default/web' },
  step: { index: 2, count: 3 },
  event: 'StepReached',
  details: { updated: 2, replicas: 4, revision: 'abc' },
  atMs: Date.UTC(2025, 0, 2, 3, 4, 5),
};

describe('notify activity', () => {
  let server: Server;
  let base: string;
  let status = 200;
  const received: Received[] = [];
  const logLines: string[] = [];
  const activities = notifyActivities(
    pino(
      { level: 'debug' },
      new Writable({
        write(chunk: Buffer, _enc, done) {
          logLines.push(chunk.toString());
          done();
        },
      }),
    ),
  );

  beforeAll(async () => {
    server = createServer((req, res) => {
      let data = '';
      req.on('data', (c: Buffer) => (data += c.toString()));
      req.on('end', () => {
        received.push({ method: req.method, url: req.url, headers: req.headers, body: JSON.parse(data) });
        res.writeHead(status, { 'content-type': 'text/plain' }).end('answer');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((r) => {
      server.close(() => r());
      server.closeAllConnections();
    });
  });

  beforeEach(() => {
    received.length = 0;
    logLines.length = 0;
    status = 200;
  });

  it('POSTs the json body with the given headers and resolves with the status', async () => {
    status = 202;
    const r = await activities.notify({
      webhook: { url: `${base}/hook?token=sekrit`, headers: { Authorization: 'Bearer t0ps3cret', 'X-Team': 'web' } },
      notification,
    });
    expect(r).toEqual({ status: 202 });
    expect(received).toHaveLength(1);
    const got = received[0]!;
    expect(got.method).toBe('POST');
    expect(got.url).toBe('/hook?token=sekrit');
    expect(got.headers['content-type']).toBe('application/json');
    expect(got.headers.authorization).toBe('Bearer t0ps3cret');
    expect(got.headers['x-team']).toBe('web');
    expect(got.body).toEqual({
      rollout: notification.rollout,
      step: { index: 2, count: 3 },
      event: 'StepReached',
      details: { updated: 2, replicas: 4, revision: 'abc' },
      at: '2025-01-02T03:04:05.000Z',
    });
    const logs = logLines.join('');
    expect(logs).toContain('notification delivered');
    expect(logs).toContain(`"host":"${new URL(base).host}"`);
    expect(logs).not.toMatch(/t0ps3cret|sekrit/);
  });

  it('POSTs a Slack message in the slack format', async () => {
    await activities.notify({ webhook: { url: `${base}/slack`, format: 'slack' }, notification });
    expect(received[0]!.body).toMatchObject({
      text: 'cloneset default/web: step 2/3 reached (2 of 4 Pods at revision abc)',
      blocks: [{ type: 'section', text: { type: 'mrkdwn' } }, { type: 'section' }, { type: 'section' }],
    });
  });

  it.each([
    ['step 1: a server error is retried', 500],
    ['step 2: a request timeout is retried', 408],
    ['step 3: too many requests is retried', 429],
  ])('%s', async (_step, code) => {
    status = code;
    const err = await activities.notify({ webhook: { url: `${base}/hook` }, notification }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(ApplicationFailure);
    expect((err as Error).message).toBe(`notification to ${new URL(base).host} failed: HTTP ${code}`);
  });

  it('a refusal (400) is not retried: NotificationRefused', async () => {
    status = 400;
    const err = await activities
      .notify({ webhook: { url: `${base}/hook`, headers: { Authorization: 'Bearer t0ps3cret' } }, notification })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: NOTIFICATION_REFUSED, nonRetryable: true, message: expect.stringContaining('HTTP 400') });
    expect(logLines.join('')).not.toContain('t0ps3cret');
  });

  it('a webhook nobody listens on throws a retryable error', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const err = await activities.notify({ webhook: { url: `http://127.0.0.1:${port}/hook` }, notification }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(ApplicationFailure);
    expect((err as Error).message).toMatch(new RegExp(`^notification to 127\\.0\\.0\\.1:${port} not delivered`));
  });
});
