import { describe, expect, it } from 'vitest';
import {
  NOTIFY_EVENTS,
  notificationBody,
  notificationSummary,
  parseNotificationsSpec,
  wantsEvent,
  type Notification,
  type NotificationsSpec,
  type NotifyEvent,
} from '../../../src/rollout/notify.js';

const AT = Date.UTC(2025, 0, 2, 3, 4, 5, 678);
const ROLLOUT = { namespace: 'default', name: 'web', workflowId: 'cloneset/default/web' };

const note = (event: NotifyEvent, step: Notification['step'], details: Record<string, unknown>, cluster?: string): Notification => ({
  rollout: cluster ? { ...ROLLOUT, cluster } : ROLLOUT,
  step,
  event,
  details,
  atMs: AT,
});

/** Slack's escaping of mrkdwn control characters. */
const esc = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

describe('notification bodies', () => {
  it.each<[string, Notification, string]>([
    [
      'step 1: the second of three steps reached',
      note('StepReached', { index: 2, count: 3 }, { updated: 2, replicas: 4, revision: 'abc' }),
      'cloneset default/web: step 2/3 reached (2 of 4 Pods at revision abc)',
    ],
    [
      'step 2: the rollout waits for approval',
      note('ApprovalNeeded', { index: 2, count: 3 }, { updated: 2, replicas: 4 }),
      'cloneset default/web: step 2/3 waits for approval (2 of 4 Pods)',
    ],
    [
      'step 3: the analysis failed, in a named cluster',
      note('AnalysisFailed', { index: 3, count: 3 }, { reason: 'error ratio 0.42 > 0.05', query: 'sum(rate(x[1m]))' }, 'eu-1'),
      'cloneset default/web in eu-1: analysis failed at step 3/3: error ratio 0.42 > 0.05',
    ],
    [
      'step 4: the rollout completed',
      note('Completed', null, { updated: 4, replicas: 4, revision: 'abc' }),
      'cloneset default/web: rollout completed (4 of 4 Pods at revision abc)',
    ],
    [
      'step 5: the CloneSet rolled back',
      note('RolledBack', null, { revision: 'old', reason: 'analysis failed' }),
      'cloneset default/web: rolled back (revision old): analysis failed',
    ],
  ])('%s', (_step, n, summary) => {
    expect(notificationSummary(n)).toBe(summary);

    expect(notificationBody(n, 'json')).toEqual({ rollout: n.rollout, step: n.step, event: n.event, details: n.details, at: '2025-01-02T03:04:05.678Z' });
    // what a receiver gets is JSON: nothing lost on the way
    expect(JSON.parse(JSON.stringify(notificationBody(n, 'json')))).toEqual(notificationBody(n, 'json'));

    const slack = notificationBody(n, 'slack');
    expect(slack).toMatchObject({ text: esc(summary) });
    const blocks = (slack as { blocks: { type: string; text?: { type: string; text: string }; fields?: { type: string; text: string }[] }[] }).blocks;
    expect(blocks.every((b) => b.type === 'section')).toBe(true);
    expect(blocks[0]!.text).toEqual({ type: 'mrkdwn', text: `*${esc(summary)}*` });
    const fields = blocks[1]!.fields!.map((f) => f.text);
    expect(fields).toContain(`*Event*\n${n.event}`);
    expect(fields).toContain(`*Step*\n${n.step ? `${n.step.index}/${n.step.count}` : '-'}`);
    expect(fields).toContain('*Workflow*\ncloneset/default/web');
    expect(fields).toContain('*At*\n2025-01-02T03:04:05.678Z');
    expect(fields.some((f) => f.startsWith('*Cluster*'))).toBe(n.rollout.cluster !== undefined);
    expect(blocks[1]!.fields!.every((f) => f.type === 'mrkdwn')).toBe(true);
    // every detail listed, sorted by key
    expect(blocks[2]!.text!.text.split('\n')).toEqual(
      Object.keys(n.details)
        .sort()
        .map((k) => `• *${k}*: ${esc(typeof n.details[k] === 'string' ? (n.details[k] as string) : JSON.stringify(n.details[k]))}`),
    );
  });

  it('escapes Slack control characters and leaves out an empty details section', () => {
    const slack = notificationBody(note('AnalysisFailed', null, {}), 'slack') as { text: string; blocks: unknown[] };
    expect(slack.blocks).toHaveLength(2);
    const odd = notificationBody(note('RolledBack', null, { reason: 'p99 <a&b> too high' }), 'slack') as { text: string };
    expect(odd.text).toBe('cloneset default/web: rolled back: p99 &lt;a&amp;b&gt; too high');
  });
});

describe('wantsEvent', () => {
  const spec = (events?: NotifyEvent[]): NotificationsSpec => ({ webhook: { url: 'https://hooks.example.com/x', ...(events ? { events } : {}) } });
  it.each<[string, NotificationsSpec | undefined, NotifyEvent[]]>([
    ['step 1: no spec sends nothing', undefined, []],
    ['step 2: no events list sends every event', spec(), [...NOTIFY_EVENTS]],
    ['step 3: an events list sends only those', spec(['AnalysisFailed', 'RolledBack']), ['AnalysisFailed', 'RolledBack']],
    ['step 4: an empty events list sends nothing', spec([]), []],
  ])('%s', (_step, s, wanted) => {
    expect(NOTIFY_EVENTS.filter((e) => wantsEvent(s, e))).toEqual(wanted);
  });
});

describe('parseNotificationsSpec', () => {
  it('accepts a full spec as is', () => {
    const v = {
      webhook: { url: 'http://127.0.0.1:8080/hook?token=x', format: 'slack', headers: { Authorization: 'Bearer t' }, events: ['Completed'] },
    };
    expect(parseNotificationsSpec(v)).toEqual({ ok: true, value: v });
  });

  it.each<[string, unknown, string[]]>([
    ['step 1: no webhook', {}, ['notifications.webhook: is required']],
    ['step 2: not an http(s) URL', { webhook: { url: 'ftp://example.com/x' } }, ['notifications.webhook.url: must be an http:// or https:// URL']],
    ['step 3: a URL with whitespace', { webhook: { url: 'https://exa mple.com' } }, ['notifications.webhook.url: must be an http:// or https:// URL']],
    ['step 4: an unknown format', { webhook: { url: 'https://h/x', format: 'xml' } }, ['notifications.webhook.format: ']],
    ['step 5: an unknown event', { webhook: { url: 'https://h/x', events: ['Started'] } }, ['notifications.webhook.events[0]: ']],
    ['step 6: a header value not a string', { webhook: { url: 'https://h/x', headers: { 'X-N': 1 } } }, ['notifications.webhook.headers.X-N: ']],
    ['step 7: an unknown field in webhook', { webhook: { url: 'https://h/x', secret: 's' } }, ['notifications.webhook.secret: unknown field']],
    ['step 8: an unknown field at the top', { webhook: { url: 'https://h/x' }, email: 'a@b' }, ['notifications.email: unknown field']],
  ])('%s', (_step, input, messages) => {
    const r = parseNotificationsSpec(input);
    expect(r.ok).toBe(false);
    const got = r.ok ? [] : r.errors.map((e) => e.message);
    expect(got).toHaveLength(messages.length);
    messages.forEach((m, i) => expect(got[i]!.startsWith(m)).toBe(true));
  });
});
