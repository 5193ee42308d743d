import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import type { AuditEvent, ErrorCode, Operation, WorkspaceRecord } from '@enclave/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyChain } from '../audit/verify';
import { EmbeddedStore } from '../store/sqlite/embedded-store';
import type { InvitationRow, UserRow, WorkspaceStore } from '../store/types';
import { WorkspacesService } from '../workspaces/workspaces.service';
import { ChangeFeed } from './change-feed';
import type { OperationContext } from './context';
import { AppError, CommandEngine } from './engine';

/**
 * Random sequences of record operations, run through the real engine on a real encrypted store.
 * Whatever the sequence, the audit chain verifies, replaying the audit log rebuilds the records
 * exactly, the records match an independent model of what each operation means, and refused
 * operations leave no trace.
 */

const RUNS = 40;
const ALL = 1_000_000;

// ---- generated operations -------------------------------------------------------------------

const text = fc.string({ unit: 'binary', maxLength: 24 });
const email = fc
  .tuple(fc.stringMatching(/^[a-z0-9]{1,10}$/), fc.constantFrom('example.com', 'example.org'))
  .map(([local, domain]) => `${local}@${domain}`);
const phone = fc.stringMatching(/^\+?[0-9][0-9 ().-]{2,15}$/);
const date = fc
  .date({ min: new Date('1990-01-01T00:00:00Z'), max: new Date('2040-12-31T00:00:00Z'), noInvalidDate: true })
  .map((d) => d.toISOString().slice(0, 10));
const hours = fc.double({ noNaN: true, noDefaultInfinity: true });
/** An optional field's value, or null, which clears it. */
const orNull = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: null, freq: 5 });

const clientStatus = fc.constantFrom('lead', 'active', 'inactive');
/** Required text fields refuse blank values. */
const filled = text.filter((s) => s.trim().length > 0);
const clientFields = {
  name: filled,
  status: clientStatus,
  email: orNull(email),
  phone: orNull(phone),
  since: orNull(date),
  notes: orNull(text),
  tax_id: orNull(text),
};
const ticketFields = {
  subject: filled,
  priority: fc.constantFrom('low', 'normal', 'high', 'urgent'),
  status: fc.constantFrom('open', 'pending', 'closed'),
  body: orNull(text),
  estimate_hours: orNull(hours),
};

/** Which record an operation aims at: an index into the eligible records, taken modulo their count. */
const pick = fc.nat();

const REFUSALS = [
  'invalidCreate',
  'invalidUpdate',
  'danglingReference',
  'viewerCreate',
  'viewerUpdate',
  'viewerDelete',
  'viewerRestore',
  'viewerRevert',
  'staleRevision',
  'updateDeleted',
  'batch',
] as const;

const intent = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('createClient' as const),
      data: fc.record(clientFields, { requiredKeys: ['name', 'status'] }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('createTicket' as const),
      data: fc.record(ticketFields, { requiredKeys: ['subject', 'priority', 'status'] }),
      client: fc.option(pick, { nil: undefined }),
    }),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('update' as const),
      pick,
      clientPatch: fc.record(clientFields, { requiredKeys: [] }),
      ticketPatch: fc.record(ticketFields, { requiredKeys: [] }),
      /** A ticket's client: left alone, cleared, or set to a live client. */
      ticketClient: fc.oneof(fc.constant(undefined), fc.constant(null), pick),
      withRev: fc.boolean(),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), pick, withRev: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('restore' as const), pick }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('revert' as const), pick }) },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('refused' as const),
      how: fc.constantFrom(...REFUSALS),
      pick,
      variant: fc.nat(),
    }),
  },
);
type Intent = typeof intent extends fc.Arbitrary<infer T> ? T : never;

const INVALID_CLIENTS: Record<string, unknown>[] = [
  { status: 'lead' },
  { name: 'Ada', status: 'bogus' },
  { name: 'Ada', status: 'lead', nickname: 'not a field' },
  { name: 42, status: 'lead' },
  { name: 'Ada', status: 'lead', email: 'not-an-email' },
  { name: 'Ada', status: 'lead', since: '2024-02-30' },
];
const INVALID_PATCHES: Record<string, Record<string, unknown>[]> = {
  client: [{ status: 'bogus' }, { name: null }, { status: null }, { unknown_field: 1 }, { email: 'nope' }],
  ticket: [
    { priority: 'whenever' },
    { subject: null },
    { estimate_hours: 'two' },
    { client: 'no-such-client' },
  ],
};

// ---- an independent model of what each operation means ---------------------------------------

interface ModelState {
  data: Record<string, unknown>;
  deleted: boolean;
  rev: number;
}
interface ModelRecord {
  current: ModelState;
  /** The state before the record's last audited change (null after its creation): what undo goes back to. */
  beforeLast: ModelState | null;
}

/** Data as it comes back from storage: JSON in, JSON out. */
/** As the engine stores data: JSON values only, and no nulls (null and absent are the same). */
const asStored = (data: Record<string, unknown>) =>
  Object.fromEntries(
    Object.entries(JSON.parse(JSON.stringify(data)) as Record<string, unknown>).filter(([, v]) => v !== null),
  );

function change(m: ModelRecord, next: ModelState): void {
  m.beforeLast = m.current;
  m.current = next;
}

// ---- the workspace under test -----------------------------------------------------------------

const BASE = Date.parse('2030-06-01T08:00:00.000Z');

function makeUser(label: string): UserRow {
  const id = randomUUID();
  return {
    id,
    email: `${label}-${id.slice(0, 8)}@example.com`,
    name: label,
    passwordHash: 'unused',
    emailVerifiedAt: new Date(BASE).toISOString(),
    instanceAdmin: false,
    createdAt: new Date(BASE).toISOString(),
  };
}

describe('CommandEngine over the embedded store, property-based', () => {
  let dir: string;
  let store: EmbeddedStore;
  let engine: CommandEngine;
  let workspaces: WorkspacesService;
  let tick = 0;
  const feed = new ChangeFeed();
  const published = new Map<string, AuditEvent[]>();
  const owner = makeUser('owner');
  const viewer = makeUser('viewer');

  const ctxFor = (user: UserRow, workspaceId: string): OperationContext => ({
    workspaceId,
    actor: { kind: 'user', id: user.id, label: user.email },
    principal: { userId: user.id, email: user.email, name: user.name },
    request: { ip: '203.0.113.1', userAgent: 'property-test', requestId: null },
  });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'enclave-engine-prop-'));
    store = new EmbeddedStore(dir, randomBytes(32), { cacheKiB: 1024 });
    // Every operation gets its own instant, so timestamps in snapshots tell operations apart.
    const clock = () => new Date(BASE + ++tick * 1000);
    engine = new CommandEngine(store, feed, clock);
    workspaces = new WorkspacesService(store, engine, clock);
    expect(await store.control.createUser(owner)).toBe(true);
    expect(await store.control.createUser(viewer)).toBe(true);
    feed.subscribe((c) => {
      const list = published.get(c.workspaceId) ?? [];
      list.push(...c.events);
      published.set(c.workspaceId, list);
    });
  });

  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A workspace made as the product makes one: standard template, its creator as owner, a viewer invited. */
  async function newWorkspace() {
    const summary = await workspaces.create(owner, 'Property', 'standard', {
      ip: null,
      userAgent: null,
      requestId: null,
    });
    const asOwner = ctxFor(owner, summary.id);
    const asViewer = ctxFor(viewer, summary.id);
    const invited = await engine.execute(asOwner, {
      type: 'member.invite',
      email: viewer.email,
      roles: ['viewer'],
    });
    const invitation = invited.extra.invitation as InvitationRow;
    await engine.execute(asViewer, { type: 'member.accept', invitationId: invitation.id });
    const ws = await store.workspace(summary.id);
    if (!ws) throw new Error('workspace not found after creation');
    return { ws, asOwner, asViewer };
  }

  const recordsOf = (ws: WorkspaceStore) => ws.recordsChangedSince(0, ALL);
  const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

  /** The event that last changed a record: the one whose sequence number the record carries. */
  async function lastEventOf(ws: WorkspaceStore, record: WorkspaceRecord): Promise<AuditEvent> {
    const [event] = await ws.auditEventsFrom(record.seq, 1);
    expect(event?.target).toMatchObject({ kind: 'record', id: record.id });
    return event as AuditEvent;
  }

  async function expectRefused(ws: WorkspaceStore, code: ErrorCode, attempt: () => Promise<unknown>) {
    const head = await ws.head();
    const before = await recordsOf(ws);
    const publishedBefore = published.get(ws.workspaceId)?.length ?? 0;
    const error = await attempt().then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe(code);
    expect(await ws.head()).toEqual(head);
    expect(await recordsOf(ws)).toEqual(before);
    expect(published.get(ws.workspaceId)?.length ?? 0).toBe(publishedBefore);
  }

  async function run(intents: readonly Intent[]): Promise<void> {
    const { ws, asOwner, asViewer } = await newWorkspace();
    const model = new Map<string, ModelRecord>();
    const modelOf = (id: string) => {
      const m = model.get(id);
      if (!m) throw new Error(`record ${id} missing from the model`);
      return m;
    };
    const execute = (op: Operation) => engine.execute(asOwner, op);

    for (const step of intents) {
      const all = await recordsOf(ws);
      const live = all.filter((r) => r.deletedAt === null);
      const deleted = all.filter((r) => r.deletedAt !== null);
      const liveClients = live.filter((r) => r.type === 'client');
      const choose = <T>(from: readonly T[], index: number): T | undefined =>
        from[index % Math.max(from.length, 1)];

      switch (step.kind) {
        case 'createClient': {
          const { record } = await execute({ type: 'record.create', entityType: 'client', data: step.data });
          if (!record) throw new Error('create returned no record');
          model.set(record.id, {
            current: { data: asStored(step.data), deleted: false, rev: 1 },
            beforeLast: null,
          });
          break;
        }
        case 'createTicket': {
          const client = step.client === undefined ? undefined : choose(liveClients, step.client);
          const data = { ...step.data, ...(client ? { client: client.id } : {}) };
          const { record } = await execute({ type: 'record.create', entityType: 'ticket', data });
          if (!record) throw new Error('create returned no record');
          model.set(record.id, {
            current: { data: asStored(data), deleted: false, rev: 1 },
            beforeLast: null,
          });
          break;
        }
        case 'update': {
          const target = choose(live, step.pick);
          if (!target) break;
          let patch: Record<string, unknown> = target.type === 'client' ? step.clientPatch : step.ticketPatch;
          if (target.type === 'ticket' && step.ticketClient !== undefined) {
            const client = step.ticketClient === null ? null : choose(liveClients, step.ticketClient);
            if (client !== undefined) patch = { ...patch, client: client === null ? null : client.id };
          }
          const result = await execute({
            type: 'record.update',
            id: target.id,
            data: patch,
            ...(step.withRev ? { expectedRev: target.rev } : {}),
          });
          const m = modelOf(target.id);
          const merged = Object.fromEntries(
            // A null in the patch clears the field: merge first, then drop the nulls.
            Object.entries({
              ...m.current.data,
              ...(JSON.parse(JSON.stringify(patch)) as Record<string, unknown>),
            }).filter(([, v]) => v !== null),
          );
          // An update to the same values changes nothing and writes no event.
          if (JSON.stringify(merged) === JSON.stringify(m.current.data)) {
            expect(result.event).toBeNull();
          } else {
            expect(result.event?.action).toBe('record.update');
            change(m, { data: merged, deleted: false, rev: m.current.rev + 1 });
          }
          break;
        }
        case 'delete': {
          const target = choose(live, step.pick);
          if (!target) break;
          await execute({
            type: 'record.delete',
            id: target.id,
            ...(step.withRev ? { expectedRev: target.rev } : {}),
          });
          const m = modelOf(target.id);
          change(m, { ...m.current, deleted: true, rev: m.current.rev + 1 });
          break;
        }
        case 'restore': {
          const target = choose(deleted, step.pick);
          if (!target) break;
          await execute({ type: 'record.restore', id: target.id });
          const m = modelOf(target.id);
          change(m, { ...m.current, deleted: false, rev: m.current.rev + 1 });
          break;
        }
        case 'revert': {
          const target = choose(all, step.pick);
          if (!target) break;
          const event = await lastEventOf(ws, target);
          const result = await execute({ type: 'record.revert', eventId: event.id });
          expect(result.event?.details).toEqual({ revertedEventId: event.id });
          const m = modelOf(target.id);
          const before = m.beforeLast;
          change(m, {
            data: before ? before.data : m.current.data,
            deleted: before === null || before.deleted,
            rev: m.current.rev + 1,
          });
          break;
        }
        case 'refused':
          await refuse(step, { ws, asOwner, asViewer, all, live, deleted });
          break;
      }
    }

    // The chain verifies end to end.
    const head = await ws.head();
    expect(await verifyChain(ws)).toEqual({
      ok: true,
      checked: head.seq,
      headSeq: head.seq,
      firstBroken: null,
      anchors: { checkpoints: 0, lastCheckpointSeq: null, receiptSeq: null },
    });

    // Replaying the record events' snapshots, in order, rebuilds the records exactly.
    const events = await ws.auditEventsFrom(1, ALL);
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: head.seq }, (_, i) => i + 1));
    const replayed = new Map<string, WorkspaceRecord>();
    for (const event of events) {
      if (event.target.kind !== 'record' || event.after === null) continue;
      const after = event.after as Omit<WorkspaceRecord, 'seq'>;
      expect(after.id).toBe(event.target.id);
      replayed.set(after.id, { ...after, seq: event.seq });
    }
    const stored = (await recordsOf(ws)).sort(byId);
    expect([...replayed.values()].sort(byId)).toEqual(stored);

    // The records are what the model says each operation means.
    expect(
      stored.map((r) => ({ id: r.id, data: r.data, deleted: r.deletedAt !== null, rev: r.rev })),
    ).toEqual([...model.entries()].map(([id, m]) => ({ id, ...m.current })).sort(byId));

    // Subscribers saw every committed event after the workspace's creation, once, in order.
    expect((published.get(ws.workspaceId) ?? []).map((e) => e.hash)).toEqual(
      events.slice(1).map((e) => e.hash),
    );
  }

  async function refuse(
    step: Extract<Intent, { kind: 'refused' }>,
    s: {
      ws: WorkspaceStore;
      asOwner: OperationContext;
      asViewer: OperationContext;
      all: WorkspaceRecord[];
      live: WorkspaceRecord[];
      deleted: WorkspaceRecord[];
    },
  ): Promise<void> {
    const { ws, asOwner, asViewer } = s;
    const at = <T>(from: readonly T[]): T | undefined => from[step.pick % Math.max(from.length, 1)];
    const variant = <T>(from: readonly T[]): T => from[step.variant % from.length] as T;
    const liveTarget = at(s.live);
    const deletedTarget = at(s.deleted);
    const anyTarget = at(s.all);
    const owner = (op: unknown) => () => engine.execute(asOwner, op);
    const asViewerDo = (op: unknown) => () => engine.execute(asViewer, op);

    switch (step.how) {
      case 'invalidCreate':
        return expectRefused(
          ws,
          'validation_failed',
          owner({ type: 'record.create', entityType: 'client', data: variant(INVALID_CLIENTS) }),
        );
      case 'invalidUpdate':
        if (!liveTarget) return;
        return expectRefused(
          ws,
          'validation_failed',
          owner({
            type: 'record.update',
            id: liveTarget.id,
            data: variant(INVALID_PATCHES[liveTarget.type] ?? []),
          }),
        );
      case 'danglingReference': {
        // A ticket may not point at a client that does not exist, nor at one that is deleted.
        const deletedClient = s.deleted.find((r) => r.type === 'client');
        const client = step.variant % 2 === 0 && deletedClient ? deletedClient.id : `missing-${step.variant}`;
        return expectRefused(
          ws,
          'validation_failed',
          owner({
            type: 'record.create',
            entityType: 'ticket',
            data: { subject: 'Dangling', priority: 'low', status: 'open', client },
          }),
        );
      }
      case 'viewerCreate':
        return expectRefused(
          ws,
          'forbidden',
          asViewerDo({
            type: 'record.create',
            entityType: 'client',
            data: { name: 'By a viewer', status: 'lead' },
          }),
        );
      case 'viewerUpdate':
        if (!liveTarget) return;
        return expectRefused(
          ws,
          'forbidden',
          asViewerDo({ type: 'record.update', id: liveTarget.id, data: {} }),
        );
      case 'viewerDelete':
        if (!liveTarget) return;
        return expectRefused(ws, 'forbidden', asViewerDo({ type: 'record.delete', id: liveTarget.id }));
      case 'viewerRestore':
        if (!deletedTarget) return;
        return expectRefused(ws, 'forbidden', asViewerDo({ type: 'record.restore', id: deletedTarget.id }));
      case 'viewerRevert': {
        if (!anyTarget) return;
        const event = await lastEventOf(ws, anyTarget);
        return expectRefused(ws, 'forbidden', asViewerDo({ type: 'record.revert', eventId: event.id }));
      }
      case 'staleRevision': {
        if (!liveTarget) return;
        const expectedRev = liveTarget.rev + 1 + (step.variant % 3);
        const op =
          step.variant % 2 === 0
            ? { type: 'record.update', id: liveTarget.id, data: {}, expectedRev }
            : { type: 'record.delete', id: liveTarget.id, expectedRev };
        return expectRefused(ws, 'conflict', owner(op));
      }
      case 'updateDeleted':
        if (!deletedTarget) return;
        return expectRefused(
          ws,
          'conflict',
          owner({ type: 'record.update', id: deletedTarget.id, data: {} }),
        );
      case 'batch':
        // One bad operation in a batch takes the good ones down with it.
        return expectRefused(ws, 'validation_failed', () =>
          engine.executeBatch(asOwner, [
            { type: 'record.create', entityType: 'client', data: { name: 'Batched', status: 'lead' } },
            ...(liveTarget ? [{ type: 'record.delete', id: liveTarget.id }] : []),
            { type: 'record.create', entityType: 'client', data: variant(INVALID_CLIENTS) },
          ]),
        );
    }
  }

  it('keeps the chain valid and the audit log a faithful replay of the records', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(intent, { minLength: 5, maxLength: 40, size: 'max' }), (intents) =>
        run(intents),
      ),
      { numRuns: RUNS },
    );
  });

  it('changes nothing for refused operations, even on a busy workspace', async () => {
    const refusedOnly = fc.array(
      fc.record({
        kind: fc.constant('refused' as const),
        how: fc.constantFrom(...REFUSALS),
        pick,
        variant: fc.nat(),
      }),
      { minLength: 1, maxLength: 15 },
    );
    const seed: Intent[] = [
      { kind: 'createClient', data: { name: 'Seed client', status: 'active' } },
      { kind: 'createClient', data: { name: 'Doomed client', status: 'lead' } },
      { kind: 'createTicket', data: { subject: 'Seed ticket', priority: 'high', status: 'open' }, client: 0 },
      { kind: 'delete', pick: 1, withRev: true },
    ];
    await fc.assert(
      fc.asyncProperty(refusedOnly, (refusals) => run([...seed, ...refusals])),
      { numRuns: RUNS },
    );
  });
});
