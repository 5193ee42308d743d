import type { Actor } from '@enclave/shared';
import type { ChangeFeed } from '../engine/change-feed';
import { AppError } from '../engine/errors';
import type { Logger } from '../logger';
import { TICKET_TYPE, type AiService } from './ai-service';

/** Tickets waiting for triage in one workspace, beyond which new ones are left untriaged. */
export const MAX_WAITING_PER_WORKSPACE = 20;

interface Waiting {
  workspaceId: string;
  recordId: string;
  maker: Actor;
}

/**
 * Triages each new ticket after its creation commits, one at a time per workspace, so a burst
 * (a device pushing its offline work, an import) becomes a short queue rather than a flood of
 * model calls. Past `MAX_WAITING_PER_WORKSPACE` waiting tickets the rest are left for triage on
 * request, and the log says how many. A failed triage changes nothing and is logged; the ticket
 * stays as it was made.
 */
export class NewTicketTriage {
  private unsubscribe: (() => void) | null = null;
  private readonly waiting = new Map<string, Waiting[]>();
  private readonly running = new Map<string, Promise<void>>();
  private stopped = false;

  constructor(
    private readonly ai: Pick<AiService, 'triageNewTicket'>,
    private readonly logger: Logger,
  ) {}

  watch(feed: ChangeFeed): void {
    this.unsubscribe = feed.subscribe(({ workspaceId, events }) => {
      let skipped = 0;
      for (const event of events) {
        // The system never makes tickets for anyone; whoever else did, the triage works for them.
        if (event.action !== 'record.create' || event.target.entityType !== TICKET_TYPE) continue;
        if (event.target.id === null || event.actor.kind === 'system') continue;
        if (!this.enqueue({ workspaceId, recordId: event.target.id, maker: event.actor })) skipped += 1;
      }
      if (skipped > 0) {
        this.logger.warn(
          { workspaceId, skipped },
          'new tickets left untriaged: too many already waiting for triage in this workspace',
        );
      }
    });
  }

  /**
   * Drops the waiting tickets and waits up to `withinMs` for the triages under way (at shutdown,
   * before the databases close). false: one was still waiting for the model when time ran out.
   */
  async flush(withinMs: number): Promise<boolean> {
    this.waiting.clear();
    let timer: NodeJS.Timeout | undefined;
    const timeUp = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), withinMs);
    });
    try {
      return await Promise.race([Promise.all([...this.running.values()]).then(() => true), timeUp]);
    } finally {
      clearTimeout(timer);
    }
  }

  stop(): void {
    this.stopped = true;
    this.waiting.clear();
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  private enqueue(item: Waiting): boolean {
    if (this.stopped) return false;
    const queue = this.waiting.get(item.workspaceId) ?? [];
    if (queue.length >= MAX_WAITING_PER_WORKSPACE) return false;
    queue.push(item);
    this.waiting.set(item.workspaceId, queue);
    this.kick(item.workspaceId);
    return true;
  }

  private kick(workspaceId: string): void {
    if (this.running.has(workspaceId)) return;
    const run = this.drain(workspaceId).finally(() => {
      this.running.delete(workspaceId);
      // A ticket may have arrived between the queue running dry and this line.
      if ((this.waiting.get(workspaceId)?.length ?? 0) > 0) this.kick(workspaceId);
      else this.waiting.delete(workspaceId);
    });
    this.running.set(workspaceId, run);
  }

  private async drain(workspaceId: string): Promise<void> {
    for (;;) {
      const next = this.waiting.get(workspaceId)?.shift();
      if (!next) return;
      await this.triage(next);
    }
  }

  private async triage({ workspaceId, recordId, maker }: Waiting): Promise<void> {
    try {
      await this.ai.triageNewTicket(workspaceId, recordId, maker);
    } catch (err) {
      // Expected refusals (allowance spent, the provider down) are the workspace's state, not faults.
      if (err instanceof AppError) {
        this.logger.info({ workspaceId, recordId, code: err.code }, 'new ticket not triaged');
      } else {
        this.logger.error({ err, workspaceId, recordId }, 'new ticket triage failed');
      }
    }
  }
}
