/**
 * Webhook notifications of a rollout's milestones: which events a rollout reports, where (`NotificationsSpec`), and
 * the body it POSTs — plain JSON, or a Slack incoming-webhook message. Pure (no I/O, no Node, no clock): the workflow
 * builds the notification, the `notify` activity sends it.
 */
import { z } from 'zod';
import type { Validated } from './fielderror.js';
import { zodFieldErrors } from './zod-errors.js';

/** The milestones a rollout reports. */
export const NOTIFY_EVENTS = ['StepReached', 'ApprovalNeeded', 'AnalysisFailed', 'Completed', 'RolledBack'] as const;

/**
 * - `StepReached`: a step's Pods are all at the new revision (and it now bakes, or waits);
 * - `ApprovalNeeded`: the rollout pauses until someone approves;
 * - `AnalysisFailed`: a metric analysis judged the new revision bad;
 * - `Completed`: every Pod is at the new revision;
 * - `RolledBack`: the CloneSet went back to its previous revision.
 */
export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];

/** One notification: which rollout, where it is, what happened, when. */
export interface Notification {
  rollout: { namespace: string; name: string; workflowId: string; cluster?: string };
  /** The step the rollout is at (1-based `index` of `count`); null outside the steps (e.g. completed, rolled back). */
  step: { index: number; count: number } | null;
  event: NotifyEvent;
  /**
   * Event specifics. The Slack summary reads, when present: `updated` and `replicas` (Pods at the new revision, of
   * how many), `revision`, `reason`, `message`; every entry is listed in the body.
   */
  details: Record<string, unknown>;
  /** Epoch ms of the event (the workflow's clock). */
  atMs: number;
}

const HTTP_URL = /^https?:\/\/[^\s/?#@]+(?:[/?#]\S*)?$/i;

/** Where and how a rollout reports its milestones. Strict: an unknown field is refused, naming it. */
export const NotificationsSpec = z.strictObject({
  webhook: z.strictObject({
    /** The endpoint POSTed to (http or https). */
    url: z.string().regex(HTTP_URL, { message: 'must be an http:// or https:// URL' }),
    /** `json` (default): the notification itself; `slack`: a Slack incoming-webhook message. */
    format: z.enum(['json', 'slack']).optional(),
    /** Extra request headers (e.g. Authorization); never logged. */
    headers: z.record(z.string(), z.string()).optional(),
    /** The events sent; default all. */
    events: z.array(z.enum(NOTIFY_EVENTS)).optional(),
  }),
});
export type NotificationsSpec = z.infer<typeof NotificationsSpec>;
/** The webhook part of {@link NotificationsSpec}: what the `notify` activity takes. */
export type WebhookSpec = NotificationsSpec['webhook'];

/** Validates a notifications spec, naming every problem under `prefix` (e.g. `notifications.webhook.url`). */
export function parseNotificationsSpec(input: unknown, prefix = 'notifications'): Validated<NotificationsSpec> {
  const r = NotificationsSpec.safeParse(input);
  return r.success ? { ok: true, value: r.data } : { ok: false, errors: zodFieldErrors(r.error, prefix) };
}

/** Whether `event` is to be sent: a spec is given and its `events` (default all) include it. */
export function wantsEvent(spec: NotificationsSpec | undefined, event: NotifyEvent): boolean {
  if (!spec) return false;
  return spec.webhook.events === undefined || spec.webhook.events.includes(event);
}

/** The body of the `json` format. */
export interface JsonNotificationBody {
  rollout: Notification['rollout'];
  step: Notification['step'];
  event: NotifyEvent;
  details: Record<string, unknown>;
  /** ISO-8601 (UTC, ms). */
  at: string;
}

/** A Slack Block Kit section with mrkdwn text or fields. */
export interface SlackSection {
  type: 'section';
  text?: { type: 'mrkdwn'; text: string };
  fields?: { type: 'mrkdwn'; text: string }[];
}

/** The body of the `slack` format: an incoming-webhook message. */
export interface SlackNotificationBody {
  /** One-line summary (the notification's fallback text). */
  text: string;
  blocks: SlackSection[];
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/**
 * One-line human summary, e.g. `cloneset default/web: step 2/3 reached (2 of 4 Pods at revision abc)`; a rollout in
 * a named cluster reads `cloneset default/web in eu-1: …`.
 */
export function notificationSummary(n: Notification): string {
  const who = `cloneset ${n.rollout.namespace}/${n.rollout.name}${n.rollout.cluster ? ` in ${n.rollout.cluster}` : ''}`;
  const step = n.step ? `step ${n.step.index}/${n.step.count}` : undefined;
  const updated = num(n.details.updated);
  const replicas = num(n.details.replicas);
  const revision = str(n.details.revision);
  const progress =
    updated !== undefined && replicas !== undefined
      ? ` (${updated} of ${replicas} Pods${revision ? ` at revision ${revision}` : ''})`
      : revision
        ? ` (revision ${revision})`
        : '';
  const why = str(n.details.reason) ?? str(n.details.message);
  const because = why ? `: ${why}` : '';
  switch (n.event) {
    case 'StepReached':
      return `${who}: ${step ?? 'step'} reached${progress}`;
    case 'ApprovalNeeded':
      return `${who}: ${step ? `${step} ` : ''}waits for approval${progress}`;
    case 'AnalysisFailed':
      return `${who}: analysis failed${step ? ` at ${step}` : ''}${because}`;
    case 'Completed':
      return `${who}: rollout completed${progress}`;
    case 'RolledBack':
      return `${who}: rolled back${progress}${because}`;
  }
}

/** Slack's mrkdwn control characters, escaped as Slack asks (`&`, `<`, `>`). */
function mrkdwn(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Slack caps a section's text at 3000 characters and a field at 2000. */
function cap(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** A details value as text: strings as they are, anything else as JSON. */
function detailText(v: unknown): string {
  if (typeof v === 'string') return v;
  return JSON.stringify(v) ?? String(v);
}

/** The body POSTed for `n`: the notification with an ISO `at` (`json`), or a Slack incoming-webhook message (`slack`). */
export function notificationBody(n: Notification, format: 'json' | 'slack'): JsonNotificationBody | SlackNotificationBody {
  if (format === 'json') return { rollout: n.rollout, step: n.step, event: n.event, details: n.details, at: iso(n.atMs) };
  const summary = notificationSummary(n);
  const fields = [
    `*Event*\n${n.event}`,
    `*Step*\n${n.step ? `${n.step.index}/${n.step.count}` : '-'}`,
    `*Workflow*\n${mrkdwn(n.rollout.workflowId)}`,
    ...(n.rollout.cluster ? [`*Cluster*\n${mrkdwn(n.rollout.cluster)}`] : []),
    `*At*\n${iso(n.atMs)}`,
  ].map((text) => ({ type: 'mrkdwn' as const, text: cap(text, 2000) }));
  const blocks: SlackSection[] = [
    { type: 'section', text: { type: 'mrkdwn', text: cap(`*${mrkdwn(summary)}*`, 3000) } },
    { type: 'section', fields },
  ];
  const entries = Object.keys(n.details)
    .sort()
    .map((k) => `• *${mrkdwn(k)}*: ${mrkdwn(detailText(n.details[k]))}`);
  if (entries.length > 0) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: cap(entries.join('\n'), 3000) } });
  return { text: mrkdwn(summary), blocks };
}
