/**
 * The `notify` activity: POSTs one rollout notification to its webhook. A failure throws, so the activity's retry
 * policy retries it — except a refusal (4xx other than 408 Request Timeout and 429 Too Many Requests), which no retry
 * will change: non-retryable `NotificationRefused`. The workflow decides how many attempts a notification is worth and
 * never fails the rollout because of one.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { Logger } from 'pino';
import { notificationBody, type Notification, type WebhookSpec } from '../rollout/notify.js';

/** How long one POST may take, ms. */
export const NOTIFY_TIMEOUT_MS = 5_000;

/** The ApplicationFailure type of a webhook's refusal (a 4xx other than 408 / 429). */
export const NOTIFICATION_REFUSED = 'NotificationRefused';

/** Input of the `notify` activity. */
export interface NotifyInput {
  webhook: WebhookSpec;
  notification: Notification;
}

/** The webhook's host, for logs and errors: the path and query may carry a token, the headers certainly do. */
function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '(unparsable url)';
  }
}

/** The webhook activities, logging with `logger` (the host only: never the path, the query or header values). */
export function notifyActivities(logger: Logger) {
  const log = logger.child({ component: 'notify' });
  return {
    /** POSTs the notification as JSON (in the webhook's format, default json); resolves with the HTTP status. */
    async notify(input: NotifyInput): Promise<{ status: number }> {
      const { webhook, notification } = input;
      const host = hostOf(webhook.url);
      const format = webhook.format ?? 'json';
      const ctx = { host, format, event: notification.event, workflowId: notification.rollout.workflowId };
      let res: Response;
      try {
        res = await fetch(webhook.url, {
          method: 'POST',
          headers: { ...webhook.headers, 'content-type': 'application/json' },
          body: JSON.stringify(notificationBody(notification, format)),
          signal: AbortSignal.timeout(NOTIFY_TIMEOUT_MS),
        });
      } catch (err) {
        const reason = err instanceof Error ? (err.name === 'TimeoutError' ? `no answer within ${NOTIFY_TIMEOUT_MS} ms` : err.message) : String(err);
        log.warn({ ...ctx, reason }, 'notification not delivered; will retry');
        throw new Error(`notification to ${host} not delivered: ${reason}`);
      }
      // the body is not needed; read it so the connection is released
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) {
        log.info({ ...ctx, status: res.status }, 'notification delivered');
        return { status: res.status };
      }
      if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) {
        log.warn({ ...ctx, status: res.status }, 'notification refused; not retrying');
        throw ApplicationFailure.nonRetryable(`notification to ${host} refused: HTTP ${res.status}`, NOTIFICATION_REFUSED, { status: res.status });
      }
      log.warn({ ...ctx, status: res.status }, 'notification failed; will retry');
      throw new Error(`notification to ${host} failed: HTTP ${res.status}`);
    },
  };
}
