/**
 * The rollout's webhook notifications: each one an activity, retried for about a minute, never awaited by the step
 * that sent it and never failing the rollout; the run waits for the ones in flight before it closes.
 */
import { log, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { notifyActivities } from '../activities/notify.js';
import { wantsEvent, type Notification, type NotificationsSpec, type NotifyEvent, type RolloutInput } from '../rollout/index.js';

type NotifyActivities = ReturnType<typeof notifyActivities>;

const webhook = proxyActivities<NotifyActivities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '20s', maximumAttempts: 6, nonRetryableErrorTypes: ['NotificationRefused'] },
});

export class Notifier {
  /** Where to send (the input's `notifications` or its annotation); undefined: nothing is sent. */
  spec: NotificationsSpec | undefined;
  private readonly sent: Promise<void>[] = [];

  constructor(private readonly input: Pick<RolloutInput, 'namespace' | 'name' | 'cluster'>) {}

  /** Sends `event` when the spec asks for it; `atMs` is the activity clock of the moment it happened. */
  send(event: NotifyEvent, step: Notification['step'], details: Record<string, unknown>, atMs: number): void {
    if (!this.spec || !wantsEvent(this.spec, event)) return;
    const { namespace, name, cluster } = this.input;
    const notification: Notification = {
      rollout: { namespace, name, workflowId: workflowInfo().workflowId, ...(cluster ? { cluster } : {}) },
      step,
      event,
      details,
      atMs,
    };
    this.sent.push(
      webhook.notify({ webhook: this.spec.webhook, notification }).then(
        () => undefined,
        (err: unknown) => log.warn('notification not delivered; the rollout goes on', { event, err: String((err as Error)?.message ?? err) }),
      ),
    );
  }

  /** Waits for every notification in flight (delivered or given up). */
  async flush(): Promise<void> {
    await Promise.all(this.sent);
  }
}
