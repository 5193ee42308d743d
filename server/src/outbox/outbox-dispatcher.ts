import type { Mailer } from '../auth/mailer';
import type { ChangeFeed } from '../engine/change-feed';
import type { Logger } from '../logger';
import type { Store } from '../store/types';

/**
 * Delivers what `outbox.send` queued, after the commit: the message is on record (and audited)
 * before it leaves, and a failed delivery is noted on the message rather than undoing it.
 */
export class OutboxDispatcher {
  private unsubscribe: (() => void) | null = null;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly store: Store,
    private readonly mailer: Mailer,
    private readonly logger: Logger,
  ) {}

  watch(feed: ChangeFeed): void {
    this.unsubscribe = feed.subscribe(({ workspaceId, events }) => {
      for (const event of events) {
        if (event.action !== 'outbox.send' || event.target.id === null) continue;
        const delivery = this.deliver(workspaceId, event.target.id).finally(() => {
          this.inFlight.delete(delivery);
        });
        this.inFlight.add(delivery);
      }
    });
  }

  /** Waits for the deliveries under way (at shutdown, before the databases close). */
  async flush(): Promise<void> {
    await Promise.all([...this.inFlight]);
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  private async deliver(workspaceId: string, messageId: string): Promise<void> {
    try {
      const ws = await this.store.workspace(workspaceId);
      const message = ws ? await ws.getOutboxMessage(messageId) : null;
      if (!ws || !message || message.status !== 'queued') return;
      try {
        await this.mailer.send({ to: message.to, subject: message.subject, text: message.body });
        await ws.markOutboxDelivery(messageId, 'sent', new Date().toISOString(), null);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        await ws.markOutboxDelivery(messageId, 'failed', new Date().toISOString(), reason.slice(0, 500));
        this.logger.warn({ workspaceId, messageId }, 'outbox message could not be delivered');
      }
    } catch (err) {
      this.logger.error({ err, workspaceId, messageId }, 'outbox delivery failed');
    }
  }
}
