import { describe, expect, it } from 'vitest';
import type { Actor, AuditEvent } from '@enclave/shared';
import { ChangeFeed } from '../engine/change-feed';
import { AppError } from '../engine/errors';
import { createLogger } from '../logger';
import { MAX_WAITING_PER_WORKSPACE, NewTicketTriage } from './new-ticket-triage';

/**
 * The queue in front of new-ticket triage, on the real change feed: the triage itself (the whole
 * pipeline, against the model stub) is tested in test/ai/new-ticket-triage.test.ts.
 */

const person: Actor = { kind: 'user', id: 'u1', label: 'mia@example.com' };

function created(id: string, entityType = 'ticket', actor: Actor = person): AuditEvent {
  return {
    id: `00000000-0000-4000-8000-${id.padStart(12, '0').slice(-12)}`,
    seq: 1,
    time: new Date().toISOString(),
    actor,
    action: 'record.create',
    target: { kind: 'record', entityType, id },
    before: null,
    after: null,
    ip: null,
    userAgent: null,
    requestId: null,
    details: null,
    prevHash: '0'.repeat(64),
    hash: '1'.repeat(64),
  };
}

/** A stand-in for the AI service whose triages finish when the test says so. */
function controlledTriage() {
  const calls: { workspaceId: string; recordId: string; maker: Actor; finish: (error?: Error) => void }[] =
    [];
  let active = 0;
  let mostAtOnce = 0;
  return {
    calls,
    mostAtOnce: () => mostAtOnce,
    ai: {
      triageNewTicket: (workspaceId: string, recordId: string, maker: Actor) =>
        new Promise<null>((resolve, reject) => {
          active += 1;
          mostAtOnce = Math.max(mostAtOnce, active);
          calls.push({
            workspaceId,
            recordId,
            maker,
            finish: (error) => {
              active -= 1;
              if (error) reject(error);
              else resolve(null);
            },
          });
        }),
    },
  };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('new-ticket triage queue', () => {
  it('triages new tickets one at a time per workspace, other workspaces alongside, and never the system’s', async () => {
    const feed = new ChangeFeed();
    const triage = controlledTriage();
    const queue = new NewTicketTriage(triage.ai, createLogger('silent'));
    queue.watch(feed);

    feed.publish({
      workspaceId: 'w1',
      events: [created('a'), created('b'), created('c', 'client')],
      records: [],
    });
    feed.publish({ workspaceId: 'w2', events: [created('x')], records: [] });
    feed.publish({
      workspaceId: 'w1',
      events: [created('s', 'ticket', { kind: 'system', id: 'enclave', label: 'Enclave' })],
      records: [],
    });
    await tick();
    expect(triage.calls.map((c) => c.recordId)).toEqual(['a', 'x']);

    triage.calls[0]?.finish(new AppError('ai_allowance_spent', 'spent'));
    await tick();
    expect(triage.calls.map((c) => c.recordId)).toEqual(['a', 'x', 'b']);
    expect(triage.mostAtOnce()).toBe(2);
    triage.calls[1]?.finish();
    triage.calls[2]?.finish();
    expect(await queue.flush(1_000)).toBe(true);
    expect(triage.calls).toHaveLength(3);
  });

  it('keeps at most its limit of tickets waiting in a workspace and leaves the rest untriaged', async () => {
    const feed = new ChangeFeed();
    const triage = controlledTriage();
    const queue = new NewTicketTriage(triage.ai, createLogger('silent'));
    queue.watch(feed);
    const burst = Array.from({ length: MAX_WAITING_PER_WORKSPACE + 15 }, (_, i) => created(`t${String(i)}`));
    feed.publish({ workspaceId: 'w1', events: burst, records: [] });

    for (let i = 0; i < burst.length; i++) {
      await tick();
      triage.calls.at(-1)?.finish();
    }
    await tick();
    // The first starts at once; the limit waits behind it.
    expect(triage.calls).toHaveLength(MAX_WAITING_PER_WORKSPACE + 1);
    expect(triage.mostAtOnce()).toBe(1);
    expect(await queue.flush(1_000)).toBe(true);
  });

  it('at shutdown drops what waits, waits for the one under way, and says when time ran out', async () => {
    const feed = new ChangeFeed();
    const triage = controlledTriage();
    const queue = new NewTicketTriage(triage.ai, createLogger('silent'));
    queue.watch(feed);
    feed.publish({ workspaceId: 'w1', events: [created('a'), created('b')], records: [] });
    await tick();
    queue.stop();
    expect(await queue.flush(50)).toBe(false);
    triage.calls[0]?.finish();
    expect(await queue.flush(1_000)).toBe(true);
    feed.publish({ workspaceId: 'w1', events: [created('c')], records: [] });
    await tick();
    expect(triage.calls.map((c) => c.recordId)).toEqual(['a']);
  });
});
