import { randomUUID } from 'node:crypto';
import type {
  AuditEvent,
  CustomRole,
  PromptLogEntry,
  Proposal,
  WorkspaceRecord,
  WorkspaceSchema,
} from '@enclave/shared';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GENESIS_HASH } from '../audit/chain';
import { verifyChain } from '../audit/verify';
import { uuidv7 } from '../crypto/uuid7';
import {
  PairingUnavailable,
  RevisionConflict,
  type DeviceRow,
  type InvitationRow,
  type PairingRow,
  type MemberRow,
  type Mutation,
  type OutboxRow,
  type PendingAuditEvent,
  type PendingChange,
  type RecordListQuery,
  type SessionRow,
  type Store,
  type UsageAggregate,
  type UsageRow,
  type UserRow,
  type WorkspaceStore,
} from './types';

/**
 * The contract every store implementation must meet, written against the interfaces of
 * `./types` only. The embedded store runs it today; the PostgreSQL store runs the very same
 * suite, so the two cannot drift apart in what the rest of the server relies on.
 */

type Snapshot = Omit<WorkspaceRecord, 'seq'>;

const BASE = Date.UTC(2030, 0, 1);
/** A fixed instant, `minutes` after a base time, so that order and ranges are exact. */
const at = (minutes: number): string => new Date(BASE + minutes * 60_000).toISOString();

function makeUser(overrides: Partial<UserRow> = {}): UserRow {
  const id = randomUUID();
  return {
    id,
    email: `${id}@example.com`,
    name: 'Ada Lovelace',
    passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$placeholder',
    emailVerifiedAt: null,
    instanceAdmin: false,
    createdAt: at(0),
    ...overrides,
  };
}

function makeSession(userId: string, overrides: Partial<SessionRow> = {}): SessionRow {
  return {
    id: randomUUID(),
    userId,
    tokenHash: randomUUID(),
    previousTokenHash: null,
    rotatedAt: at(0),
    createdAt: at(0),
    lastUsedAt: at(0),
    ip: '203.0.113.9',
    userAgent: 'conformance',
    ...overrides,
  };
}

function makeEvent(overrides: Partial<PendingAuditEvent> = {}): PendingAuditEvent {
  return {
    id: randomUUID(),
    time: at(0),
    actor: { kind: 'user', id: 'user-1', label: 'ada@example.com' },
    action: 'test.event',
    target: { kind: 'workspace', entityType: null, id: null },
    before: null,
    after: null,
    ip: null,
    userAgent: null,
    requestId: null,
    details: null,
    ...overrides,
  };
}

function makeDevice(overrides: Partial<DeviceRow> = {}): DeviceRow {
  return {
    id: randomUUID(),
    ownerId: randomUUID(),
    name: 'Ada’s laptop',
    platform: 'macos',
    appVersion: '1.2.3',
    publicKey: 'A'.repeat(43),
    pairedBy: randomUUID(),
    pairedAt: at(0),
    lastSeenAt: null,
    lastIp: null,
    revokedAt: null,
    revokedBy: null,
    wipe: false,
    wipeConfirmedAt: null,
    ...overrides,
  };
}

function makePairing(overrides: Partial<PairingRow> = {}): PairingRow {
  return {
    id: randomUUID(),
    tokenHash: randomUUID().replace(/-/g, ''),
    forUserId: randomUUID(),
    createdBy: randomUUID(),
    createdAt: at(0),
    expiresAt: at(15),
    usedAt: null,
    deviceId: null,
    cancelledAt: null,
    ...overrides,
  };
}

/** A proposal filed at `createdAt`; its id is a UUIDv7 of that instant, as the server makes them. */
function makeProposal(overrides: Partial<Proposal> = {}): Proposal {
  const createdAt = overrides.createdAt ?? at(0);
  return {
    id: uuidv7(Date.parse(createdAt)),
    status: 'pending',
    feature: 'assistant',
    category: 'records',
    requestedBy: { kind: 'user', id: randomUUID(), label: 'ada@example.com' },
    request: 'Mark invoice INV-0089 as paid',
    operation: { type: 'record.update', id: 'inv-0089', data: { status: 'paid' }, expectedRev: 3 },
    summary: 'Update invoice INV-0089: status → paid',
    risk: 'high',
    provenance: [{ path: 'data.status', source: 'request', recordIds: [], sensitive: true }],
    reasons: ['highRisk', 'ruleRequiresApproval'],
    fromRecordText: false,
    confidence: 0.82,
    rationale: 'The request names the invoice and the status "paid" — Grüße 👋',
    ruleIds: ['payments-need-approval'],
    constitutionVersion: 2,
    promptLogId: uuidv7(Date.parse(createdAt)),
    createdAt,
    expiresAt: new Date(Date.parse(createdAt) + 7 * 24 * 60 * 60_000).toISOString(),
    decidedBy: null,
    decidedAt: null,
    rejectReason: null,
    executedEventId: null,
    edited: false,
    ...overrides,
  };
}

function makeOutboxMessage(overrides: Partial<OutboxRow> = {}): OutboxRow {
  const createdAt = overrides.createdAt ?? at(0);
  return {
    id: uuidv7(Date.parse(createdAt)),
    to: 'client@example.com',
    subject: 'Your invoice INV-0089',
    body: 'Dear client,\n\nThank you for your payment.\n— Acme',
    recordId: 'inv-0089',
    createdBy: randomUUID(),
    createdAt,
    status: 'queued',
    attemptedAt: null,
    error: null,
    ...overrides,
  };
}

function makePromptLogEntry(overrides: Partial<PromptLogEntry> = {}): PromptLogEntry {
  const time = overrides.time ?? at(0);
  return {
    id: uuidv7(Date.parse(time)),
    time,
    userId: randomUUID(),
    feature: 'assistant',
    model: 'claude-sonnet-4-5',
    request: {
      system: 'You act for ada@example.com.',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Mark INV-0089 paid — Grüße 👋' }] }],
      max_tokens: 1024,
    },
    response: {
      stop_reason: 'tool_use',
      content: [{ type: 'tool_use', name: 'record_update', input: { id: 'inv-0089', data: { paid: true } } }],
    },
    inputTokens: 1200,
    outputTokens: 85,
    latencyMs: 930,
    outcome: 'ok',
    error: null,
    ...overrides,
  };
}

function makeUsage(overrides: Partial<UsageRow> = {}): UsageRow {
  const time = overrides.time ?? at(0);
  return {
    id: uuidv7(Date.parse(time)),
    time,
    userId: randomUUID(),
    userLabel: 'ada@example.com',
    feature: 'assistant',
    inputTokens: 100,
    outputTokens: 10,
    promptLogId: uuidv7(Date.parse(time)),
    ...overrides,
  };
}

function snapshot(id: string, data: Record<string, unknown>, overrides: Partial<Snapshot> = {}): Snapshot {
  return {
    id,
    type: 'item',
    data,
    rev: 1,
    createdAt: at(0),
    updatedAt: at(0),
    deletedAt: null,
    ...overrides,
  };
}

/** A record write with its audit event, as the engine would commit it. */
function putChange(
  record: Snapshot,
  expectedRev: number | null,
  extra: Mutation[] = [],
  event: Partial<PendingAuditEvent> = {},
): PendingChange {
  return {
    event: makeEvent({
      action: expectedRev === null ? 'record.create' : 'record.update',
      target: { kind: 'record', entityType: record.type, id: record.id },
      after: record,
      ...event,
    }),
    mutations: [{ kind: 'record.put', record, expectedRev }, ...extra],
  };
}

const eventOnly = (overrides: Partial<PendingAuditEvent> = {}): PendingChange => ({
  event: makeEvent(overrides),
  mutations: [],
});

async function revisionConflictOf(promise: Promise<unknown>): Promise<RevisionConflict> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof RevisionConflict) return error;
    throw error;
  }
  throw new Error('expected the commit to fail with a RevisionConflict');
}

function only<T>(items: readonly T[]): T {
  expect(items).toHaveLength(1);
  return items[0] as T;
}

const ITEM_SCHEMA: WorkspaceSchema = {
  version: 1,
  entityTypes: [
    {
      key: 'item',
      label: 'Item',
      pluralLabel: 'Items',
      titleField: 'name',
      fields: [
        { key: 'name', label: 'Name', type: 'text', required: true, indexed: true, sensitivity: 'normal' },
        {
          key: 'score',
          label: 'Score',
          type: 'number',
          required: false,
          indexed: true,
          sensitivity: 'normal',
        },
        {
          key: 'active',
          label: 'Active',
          type: 'boolean',
          required: false,
          indexed: false,
          sensitivity: 'normal',
        },
        { key: 'note', label: 'Note', type: 'longText', required: false, indexed: false, sensitivity: 'pii' },
      ],
    },
  ],
};
const FIELD_TYPES: ReadonlyMap<string, string> = new Map([
  ['name', 'text'],
  ['score', 'number'],
  ['active', 'boolean'],
  ['note', 'longText'],
]);
const TEXT_FIELDS = ['name', 'note'];

export function describeStoreConformance(
  name: string,
  makeStore: () => Promise<{ store: Store; cleanup: () => Promise<void> }>,
): void {
  describe(`Store conformance: ${name}`, () => {
    let store: Store;
    let cleanup: () => Promise<void>;

    beforeEach(async () => {
      ({ store, cleanup } = await makeStore());
    });

    afterEach(async () => {
      await cleanup();
    });

    /** A fresh workspace in the store under test. */
    async function newWorkspace(name = 'Acme', createdAt = at(0)): Promise<WorkspaceStore> {
      return store.createWorkspace({ id: randomUUID(), name, createdAt, createdBy: randomUUID() });
    }

    async function newUser(overrides: Partial<UserRow> = {}): Promise<UserRow> {
      const user = makeUser(overrides);
      expect(await store.control.createUser(user)).toBe(true);
      return user;
    }

    describe('control: users', () => {
      it('creates, finds and counts users', async () => {
        expect(await store.control.countUsers()).toBe(0);
        const ada = await newUser({ instanceAdmin: true, emailVerifiedAt: at(1) });
        const bob = await newUser();
        expect(await store.control.countUsers()).toBe(2);
        expect(await store.control.getUserById(ada.id)).toEqual(ada);
        expect(await store.control.getUserByEmail(bob.email)).toEqual(bob);
        expect(await store.control.getUserById(randomUUID())).toBeNull();
        expect(await store.control.getUserByEmail('nobody@example.com')).toBeNull();
      });

      it('refuses a second user with a taken email, changing nothing', async () => {
        const first = await newUser({ email: 'taken@example.com', name: 'First' });
        const second = makeUser({ email: 'taken@example.com', name: 'Second' });
        expect(await store.control.createUser(second)).toBe(false);
        expect(await store.control.countUsers()).toBe(1);
        expect(await store.control.getUserByEmail('taken@example.com')).toEqual(first);
        expect(await store.control.getUserById(second.id)).toBeNull();
      });

      it('lets exactly one of concurrent sign-ups with one email win', async () => {
        const results = await Promise.all(
          Array.from({ length: 5 }, () => store.control.createUser(makeUser({ email: 'race@example.com' }))),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
        expect(await store.control.countUsers()).toBe(1);
      });

      it('marks an email verified and changes a password hash', async () => {
        const user = await newUser();
        await store.control.markEmailVerified(user.id, at(5));
        await store.control.setPasswordHash(user.id, 'new-hash');
        expect(await store.control.getUserById(user.id)).toEqual({
          ...user,
          emailVerifiedAt: at(5),
          passwordHash: 'new-hash',
        });
      });
    });

    describe('control: email tokens', () => {
      it('consumes a token once only', async () => {
        const user = await newUser();
        await store.control.createEmailToken({
          tokenHash: 'hash-1',
          userId: user.id,
          purpose: 'verify_email',
          expiresAt: at(60),
        });
        expect(await store.control.consumeEmailToken('unknown', 'verify_email', at(1))).toBeNull();
        expect(await store.control.consumeEmailToken('hash-1', 'verify_email', at(1))).toBe(user.id);
        expect(await store.control.consumeEmailToken('hash-1', 'verify_email', at(2))).toBeNull();
      });

      it('gives a token to exactly one of concurrent consumers', async () => {
        const user = await newUser();
        await store.control.createEmailToken({
          tokenHash: 'hash-race',
          userId: user.id,
          purpose: 'verify_email',
          expiresAt: at(60),
        });
        const results = await Promise.all(
          Array.from({ length: 5 }, () =>
            store.control.consumeEmailToken('hash-race', 'verify_email', at(1)),
          ),
        );
        expect(results.filter((r) => r === user.id)).toHaveLength(1);
        expect(results.filter((r) => r === null)).toHaveLength(4);
      });

      it('refuses an expired token', async () => {
        const user = await newUser();
        await store.control.createEmailToken({
          tokenHash: 'hash-old',
          userId: user.id,
          purpose: 'verify_email',
          expiresAt: at(60),
        });
        expect(await store.control.consumeEmailToken('hash-old', 'verify_email', at(61))).toBeNull();
      });

      it("deletes one user's tokens of one purpose, and nobody else's", async () => {
        const user = await newUser();
        const other = await newUser();
        const make = (tokenHash: string, userId: string, purpose: 'verify_email' | 'reset_password') =>
          store.control.createEmailToken({ tokenHash, userId, purpose, expiresAt: at(60) });
        await make('del-reset-1', user.id, 'reset_password');
        await make('del-reset-2', user.id, 'reset_password');
        await make('del-verify', user.id, 'verify_email');
        await make('del-other', other.id, 'reset_password');
        await store.control.deleteEmailTokensOfUser(user.id, 'reset_password');
        expect(await store.control.consumeEmailToken('del-reset-1', 'reset_password', at(1))).toBeNull();
        expect(await store.control.consumeEmailToken('del-reset-2', 'reset_password', at(1))).toBeNull();
        expect(await store.control.consumeEmailToken('del-verify', 'verify_email', at(1))).toBe(user.id);
        expect(await store.control.consumeEmailToken('del-other', 'reset_password', at(1))).toBe(other.id);
      });

      it('keeps purposes apart: a token is consumed only for its own purpose', async () => {
        const user = await newUser();
        await store.control.createEmailToken({
          tokenHash: 'purpose-1',
          userId: user.id,
          purpose: 'verify_email',
          expiresAt: at(60),
        });
        expect(await store.control.consumeEmailToken('purpose-1', 'reset_password', at(1))).toBeNull();
        expect(await store.control.consumeEmailToken('purpose-1', 'verify_email', at(1))).toBe(user.id);
      });

      it('sweeps expired tokens and keeps live ones', async () => {
        const user = await newUser();
        for (const [hash, expires] of [
          ['sweep-old', 10],
          ['sweep-live', 90],
        ] as const) {
          await store.control.createEmailToken({
            tokenHash: hash,
            userId: user.id,
            purpose: 'verify_email',
            expiresAt: at(expires),
          });
        }
        expect(await store.control.deleteExpiredEmailTokens(at(50))).toBeGreaterThanOrEqual(1);
        expect(await store.control.consumeEmailToken('sweep-old', 'verify_email', at(5))).toBeNull();
        expect(await store.control.consumeEmailToken('sweep-live', 'verify_email', at(50))).toBe(user.id);
      });
    });

    describe('control: sessions', () => {
      it('finds a session by its token hash', async () => {
        const user = await newUser();
        const session = makeSession(user.id);
        await store.control.createSession(session);
        expect(await store.control.findSessionByTokenHash(session.tokenHash, at(0))).toEqual(session);
        expect(await store.control.findSessionByTokenHash('unknown', at(0))).toBeNull();
      });

      it('rotates a token and accepts the previous one only within the grace window', async () => {
        const user = await newUser();
        const session = makeSession(user.id, { tokenHash: 'old' });
        await store.control.createSession(session);
        expect(await store.control.rotateSession(session.id, 'new', 'old', at(10))).toBe(true);

        const rotated = { ...session, tokenHash: 'new', previousTokenHash: 'old', rotatedAt: at(10) };
        expect(await store.control.findSessionByTokenHash('new', at(10))).toEqual(rotated);
        // The old token is honoured while the rotation is newer than the grace bound...
        expect(await store.control.findSessionByTokenHash('old', at(9))).toEqual(rotated);
        // ...and refused once the rotation is older than it.
        expect(await store.control.findSessionByTokenHash('old', at(10))).toBeNull();
        expect(await store.control.findSessionByTokenHash('old', at(11))).toBeNull();
      });

      it('lets only one of two rotations from the same token win', async () => {
        const user = await newUser();
        const session = makeSession(user.id, { tokenHash: 'current' });
        await store.control.createSession(session);
        expect(await store.control.rotateSession(session.id, 'first', 'current', at(1))).toBe(true);
        expect(await store.control.rotateSession(session.id, 'second', 'current', at(1))).toBe(false);
        expect(await store.control.findSessionByTokenHash('first', at(0))).toMatchObject({ id: session.id });
        expect(await store.control.findSessionByTokenHash('second', at(0))).toBeNull();
      });

      it('records use and lists a user’s sessions, most recently used first', async () => {
        const user = await newUser();
        const other = await newUser();
        const a = makeSession(user.id, { lastUsedAt: at(1) });
        const b = makeSession(user.id, { lastUsedAt: at(2) });
        const c = makeSession(other.id, { lastUsedAt: at(3) });
        for (const s of [a, b, c]) await store.control.createSession(s);
        await store.control.touchSession(a.id, at(5), '198.51.100.4');
        expect(await store.control.listSessions(user.id)).toEqual([
          { ...a, lastUsedAt: at(5), ip: '198.51.100.4' },
          b,
        ]);
      });

      it('deletes one session, or all of a user’s but one', async () => {
        const user = await newUser();
        const other = await newUser();
        const keep = makeSession(user.id);
        const drop1 = makeSession(user.id);
        const drop2 = makeSession(user.id);
        const othersSession = makeSession(other.id);
        for (const s of [keep, drop1, drop2, othersSession]) await store.control.createSession(s);

        await store.control.deleteSession(drop1.id);
        expect(await store.control.findSessionByTokenHash(drop1.tokenHash, at(0))).toBeNull();
        expect((await store.control.listSessions(user.id)).map((s) => s.id).sort()).toEqual(
          [keep.id, drop2.id].sort(),
        );

        expect(await store.control.deleteSessionsOfUser(user.id, keep.id)).toBe(1);
        expect((await store.control.listSessions(user.id)).map((s) => s.id)).toEqual([keep.id]);
        expect((await store.control.listSessions(other.id)).map((s) => s.id)).toEqual([othersSession.id]);

        expect(await store.control.deleteSessionsOfUser(user.id, null)).toBe(1);
        expect(await store.control.listSessions(user.id)).toEqual([]);
        expect(await store.control.listSessions(other.id)).toHaveLength(1);
      });

      it('sweeps sessions idle since before a bound, and only those', async () => {
        const user = await newUser();
        const idle1 = makeSession(user.id, { lastUsedAt: at(1) });
        const idle2 = makeSession(user.id, { lastUsedAt: at(2) });
        const fresh = makeSession(user.id, { lastUsedAt: at(3) });
        for (const s of [idle1, idle2, fresh]) await store.control.createSession(s);
        expect(await store.control.deleteIdleSessions(at(3))).toBe(2);
        expect((await store.control.listSessions(user.id)).map((s) => s.id)).toEqual([fresh.id]);
        expect(await store.control.deleteIdleSessions(at(3))).toBe(0);
      });
    });

    describe('control: meta', () => {
      it('sets, reads and clears values', async () => {
        expect(await store.control.getMeta('k')).toBeNull();
        await store.control.setMeta('k', 'v1');
        await store.control.setMeta('k', 'v2');
        expect(await store.control.getMeta('k')).toBe('v2');
        await store.control.setMeta('k', null);
        expect(await store.control.getMeta('k')).toBeNull();
      });

      it('compares and sets atomically', async () => {
        expect(await store.control.compareAndSetMeta('setup', null, 'token-1')).toBe(true);
        expect(await store.control.compareAndSetMeta('setup', null, 'token-2')).toBe(false);
        expect(await store.control.compareAndSetMeta('setup', 'wrong', 'token-2')).toBe(false);
        expect(await store.control.getMeta('setup')).toBe('token-1');
        expect(await store.control.compareAndSetMeta('setup', 'token-1', null)).toBe(true);
        expect(await store.control.getMeta('setup')).toBeNull();
      });

      it('lets exactly one of concurrent claims win', async () => {
        const results = await Promise.all(
          Array.from({ length: 5 }, (_, i) =>
            store.control.compareAndSetMeta('claim', null, `claimant-${i}`),
          ),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
        const winner = results.indexOf(true);
        expect(await store.control.getMeta('claim')).toBe(`claimant-${winner}`);
      });
    });

    describe('control: audit checkpoints', () => {
      const checkpoint = (workspaceId: string, seq: number, hash = `${seq}`.padStart(64, 'a')) => ({
        workspaceId,
        seq,
        hash,
        at: at(seq),
        keyId: '0123456789abcdef',
        signature: 'S'.repeat(86),
      });

      it('keeps checkpoints per workspace, oldest first, in pages', async () => {
        const a = randomUUID();
        const b = randomUUID();
        expect(await store.control.lastAuditCheckpoint(a)).toBeNull();
        expect(await store.control.listAuditCheckpoints(a, 0, 10)).toEqual([]);
        for (const seq of [7, 3, 12])
          expect(await store.control.putAuditCheckpoint(checkpoint(a, seq))).toBe(true);
        expect(await store.control.putAuditCheckpoint(checkpoint(b, 5))).toBe(true);
        expect((await store.control.listAuditCheckpoints(a, 0, 10)).map((c) => c.seq)).toEqual([3, 7, 12]);
        expect((await store.control.listAuditCheckpoints(a, 3, 1)).map((c) => c.seq)).toEqual([7]);
        expect(await store.control.listAuditCheckpoints(a, 12, 10)).toEqual([]);
        expect(await store.control.lastAuditCheckpoint(a)).toEqual(checkpoint(a, 12));
        expect(await store.control.lastAuditCheckpoint(b)).toEqual(checkpoint(b, 5));
      });

      it('never replaces a checkpoint', async () => {
        const a = randomUUID();
        expect(await store.control.putAuditCheckpoint(checkpoint(a, 4))).toBe(true);
        expect(await store.control.putAuditCheckpoint(checkpoint(a, 4, 'f'.repeat(64)))).toBe(false);
        expect(await store.control.listAuditCheckpoints(a, 0, 10)).toEqual([checkpoint(a, 4)]);
      });
    });

    describe('workspace registry', () => {
      it('registers a workspace with a wrapped key and opens it again by id', async () => {
        const id = randomUUID();
        const createdBy = randomUUID();
        const ws = await store.createWorkspace({ id, name: 'Acme', createdAt: at(1), createdBy });
        expect(ws.workspaceId).toBe(id);
        const row = await store.control.getWorkspace(id);
        expect(row).toMatchObject({ id, name: 'Acme', createdAt: at(1), createdBy });
        expect(row?.wrappedKey).toEqual(expect.any(String));
        expect(row?.wrappedKey.length).toBeGreaterThan(0);

        await ws.commit([putChange(snapshot('r1', { name: 'one' }), null)]);
        const again = await store.workspace(id);
        expect(again?.workspaceId).toBe(id);
        expect(await again?.getRecord('r1')).toMatchObject({ id: 'r1', data: { name: 'one' } });
      });

      it('answers null for an unknown workspace', async () => {
        expect(await store.workspace(randomUUID())).toBeNull();
        expect(await store.control.getWorkspace(randomUUID())).toBeNull();
      });

      it('refuses to create a workspace twice and keeps the first intact', async () => {
        const id = randomUUID();
        const ws = await store.createWorkspace({ id, name: 'First', createdAt: at(1), createdBy: 'u' });
        await ws.commit([putChange(snapshot('r1', { name: 'kept' }), null)]);
        const wrapped = (await store.control.getWorkspace(id))?.wrappedKey;
        await expect(
          store.createWorkspace({ id, name: 'Second', createdAt: at(2), createdBy: 'u' }),
        ).rejects.toThrow();
        expect(await store.control.getWorkspace(id)).toMatchObject({ name: 'First', wrappedKey: wrapped });
        const reopened = await store.workspace(id);
        expect(await reopened?.getRecord('r1')).toMatchObject({ data: { name: 'kept' } });
      });

      it('lists workspaces oldest first and renames them', async () => {
        const later = await newWorkspace('Later', at(5));
        const earlier = await newWorkspace('Earlier', at(1));
        await store.control.setWorkspaceName(later.workspaceId, 'Renamed');
        const rows = await store.control.listWorkspaces();
        expect(rows.map((r) => [r.id, r.name])).toEqual([
          [earlier.workspaceId, 'Earlier'],
          [later.workspaceId, 'Renamed'],
        ]);
      });

      it('keeps the membership index per user, idempotently', async () => {
        const a = await newWorkspace('A', at(1));
        const b = await newWorkspace('B', at(2));
        await store.control.setMembershipIndex('u1', a.workspaceId, true);
        await store.control.setMembershipIndex('u1', a.workspaceId, true);
        await store.control.setMembershipIndex('u1', b.workspaceId, true);
        await store.control.setMembershipIndex('u2', b.workspaceId, true);
        expect((await store.control.listWorkspaceIdsOfUser('u1')).sort()).toEqual(
          [a.workspaceId, b.workspaceId].sort(),
        );
        await store.control.setMembershipIndex('u1', a.workspaceId, false);
        await store.control.setMembershipIndex('u1', a.workspaceId, false);
        expect(await store.control.listWorkspaceIdsOfUser('u1')).toEqual([b.workspaceId]);
        expect(await store.control.listWorkspaceIdsOfUser('u2')).toEqual([b.workspaceId]);
        expect(await store.control.listWorkspaceIdsOfUser('u3')).toEqual([]);
      });

      it('reports itself ready, with every workspace it holds available', async () => {
        await newWorkspace();
        expect(await store.checkWorkspaces()).toEqual([]);
        expect(await store.readiness()).toEqual({
          control: true,
          storageFull: false,
          unavailableWorkspaces: [],
        });
      });
    });

    describe('workspace: commit and the audit chain', () => {
      it('starts an empty chain at the genesis hash', async () => {
        const ws = await newWorkspace();
        expect(await ws.head()).toEqual({ seq: 0, hash: GENESIS_HASH });
        expect(await ws.auditEventsFrom(1, 10)).toEqual([]);
        expect(await verifyChain(ws)).toEqual({
          ok: true,
          checked: 0,
          headSeq: 0,
          firstBroken: null,
          anchors: { checkpoints: 0, lastCheckpointSeq: null, receiptSeq: null },
        });
      });

      it('gives events gap-free sequence numbers linked into a valid hash chain', async () => {
        const ws = await newWorkspace();
        const first = await ws.commit([eventOnly({ action: 'a.one' }), eventOnly({ action: 'a.two' })]);
        const second = await ws.commit([eventOnly({ action: 'a.three' })]);
        const events = [...first.events, ...second.events];
        expect(events.map((e) => e.seq)).toEqual([1, 2, 3]);
        expect(events.map((e) => e.action)).toEqual(['a.one', 'a.two', 'a.three']);
        expect(events[0]?.prevHash).toBe(GENESIS_HASH);
        expect(events[1]?.prevHash).toBe(events[0]?.hash);
        expect(events[2]?.prevHash).toBe(events[1]?.hash);
        expect(new Set(events.map((e) => e.hash)).size).toBe(3);
        expect(await ws.head()).toEqual({ seq: 3, hash: events[2]?.hash });
        expect(await ws.auditEventsFrom(1, 10)).toEqual(events);
        expect(await verifyChain(ws)).toEqual({
          ok: true,
          checked: 3,
          headSeq: 3,
          firstBroken: null,
          anchors: { checkpoints: 0, lastCheckpointSeq: null, receiptSeq: null },
        });
      });

      it('stores every field of an event as committed', async () => {
        const ws = await newWorkspace();
        const pending = makeEvent({
          time: at(7),
          actor: { kind: 'device', id: 'device-1', label: 'Ada’s laptop' },
          action: 'record.update',
          target: { kind: 'record', entityType: 'item', id: 'r1' },
          before: { nested: { list: [1, 'two', null, true] }, unicode: 'Grüße 👋' },
          after: { n: 1.5, empty: '', quote: '"\'\\' },
          ip: '2001:db8::1',
          userAgent: 'Enclave/1.0',
          requestId: 'req-1',
          details: { revertedEventId: randomUUID() },
        });
        const [event] = (await ws.commit([{ event: pending, mutations: [] }])).events;
        expect(event).toMatchObject(pending);
        expect(await ws.getAuditEvent(pending.id)).toEqual(event);
        expect(await ws.getAuditEvent(randomUUID())).toBeNull();
        expect(await verifyChain(ws)).toMatchObject({ ok: true, checked: 1 });
      });

      it('gives each record the sequence number of the event that wrote it', async () => {
        const ws = await newWorkspace();
        const created = snapshot('r1', { name: 'one', score: 1 });
        const c1 = await ws.commit([eventOnly(), putChange(created, null)]);
        expect(c1.records).toEqual([{ ...created, seq: 2 }]);
        expect(await ws.getRecord('r1')).toEqual({ ...created, seq: 2 });

        const updated = { ...created, data: { name: 'one!', score: 2 }, rev: 2, updatedAt: at(1) };
        const c2 = await ws.commit([putChange(updated, 1)]);
        expect(c2.events.map((e) => e.seq)).toEqual([3]);
        expect(await ws.getRecord('r1')).toEqual({ ...updated, seq: 3 });
        expect(await ws.getRecord('missing')).toBeNull();
      });

      it('applies several changes to one record within a commit in order', async () => {
        const ws = await newWorkspace();
        const v1 = snapshot('r1', { name: 'v1' });
        await ws.commit([putChange(v1, null)]);
        const v2 = { ...v1, data: { name: 'v2' }, rev: 2 };
        const v3 = { ...v1, data: { name: 'v3' }, rev: 3 };
        const result = await ws.commit([putChange(v2, 1), putChange(v3, 2)]);
        expect(result.records).toEqual([
          { ...v2, seq: 2 },
          { ...v3, seq: 3 },
        ]);
        expect(await ws.getRecord('r1')).toEqual({ ...v3, seq: 3 });
      });

      it('refuses a record write at the wrong revision and writes nothing', async () => {
        const ws = await newWorkspace();
        const v1 = snapshot('r1', { name: 'v1' });
        await ws.commit([putChange(v1, null)]);
        const head = await ws.head();
        const stored = await ws.getRecord('r1');

        const stale = await revisionConflictOf(
          ws.commit([putChange({ ...v1, data: { name: 'v2' }, rev: 6 }, 5)]),
        );
        expect(stale.recordId).toBe('r1');
        expect(stale.current).toEqual(stored);

        // Creating over an existing record is a conflict too, not an overwrite.
        const duplicate = await revisionConflictOf(
          ws.commit([putChange(snapshot('r1', { name: 'dup' }), null)]),
        );
        expect(duplicate.current).toEqual(stored);

        const missing = await revisionConflictOf(
          ws.commit([putChange(snapshot('nope', { name: 'x' }, { rev: 2 }), 1)]),
        );
        expect(missing.recordId).toBe('nope');
        expect(missing.current).toBeNull();

        expect(await ws.head()).toEqual(head);
        expect(await ws.getRecord('r1')).toEqual(stored);
        expect(await ws.getRecord('nope')).toBeNull();
        expect(await ws.auditEventsFrom(1, 100)).toHaveLength(1);
        expect(await ws.recordsChangedSince(0, 100)).toEqual([stored]);
      });

      it('lets exactly one of concurrent writes from the same revision win', async () => {
        const ws = await newWorkspace();
        const v1 = snapshot('r1', { name: 'v1' });
        await ws.commit([putChange(v1, null)]);
        const attempts = await Promise.allSettled(
          Array.from({ length: 5 }, (_, i) =>
            ws.commit([putChange({ ...v1, data: { name: `w${i}` }, rev: 2 }, 1)]),
          ),
        );
        const won = attempts.filter((a) => a.status === 'fulfilled');
        const lost = attempts.filter((a) => a.status === 'rejected');
        expect(won).toHaveLength(1);
        expect(lost).toHaveLength(4);
        for (const a of lost) expect(a.reason).toBeInstanceOf(RevisionConflict);
        expect(await ws.getRecord('r1')).toMatchObject({ rev: 2, seq: 2 });
        expect(await verifyChain(ws)).toMatchObject({ ok: true, checked: 2 });
      });

      it('serialises concurrent commits into one gap-free chain', async () => {
        const ws = await newWorkspace();
        await Promise.all(
          Array.from({ length: 10 }, (_, i) =>
            ws.commit([putChange(snapshot(`r${i}`, { name: `n${i}` }), null)]),
          ),
        );
        const events = await ws.auditEventsFrom(1, 100);
        expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        expect(await verifyChain(ws)).toMatchObject({ ok: true, checked: 10 });
        expect(await ws.recordsChangedSince(0, 100)).toHaveLength(10);
      });

      it('applies a multi-change commit all or nothing', async () => {
        const ws = await newWorkspace();
        const r1 = snapshot('r1', { name: 'one' });
        await ws.commit([
          {
            event: makeEvent({ action: 'workspace.create' }),
            mutations: [
              { kind: 'meta.put', key: 'name', value: 'Before' },
              { kind: 'schema.put', schema: ITEM_SCHEMA },
            ],
          },
          putChange(r1, null),
        ]);
        const head = await ws.head();
        // Read once, so that a store caching the schema has it cached when the commit fails.
        expect(await ws.getSchema()).toEqual(ITEM_SCHEMA);
        const role: CustomRole = {
          key: 'auditor',
          label: 'Auditor',
          permissions: { item: { read: true, write: false, delete: false } },
        };
        const member: MemberRow = {
          userId: 'u9',
          email: 'u9@example.com',
          name: 'U9',
          roles: ['member'],
          joinedAt: at(1),
        };
        const invitation: InvitationRow = {
          id: randomUUID(),
          email: 'guest@example.com',
          roles: ['viewer'],
          tokenHash: 'inv-hash',
          invitedBy: 'u1',
          createdAt: at(1),
          expiresAt: at(100),
          acceptedAt: null,
          acceptedBy: null,
          cancelledAt: null,
        };
        const changedSchema: WorkspaceSchema = { ...ITEM_SCHEMA, version: 2 };

        await revisionConflictOf(
          ws.commit([
            putChange(snapshot('r2', { name: 'two' }), null, [
              { kind: 'meta.put', key: 'name', value: 'After' },
              { kind: 'schema.put', schema: changedSchema },
              { kind: 'member.put', member },
              { kind: 'role.put', role },
              { kind: 'invitation.put', invitation },
            ]),
            putChange({ ...r1, data: { name: 'one, updated' }, rev: 2 }, 1),
            // r1 is at revision 2 by now, within this very commit: this last write is stale.
            putChange({ ...r1, data: { name: 'one, stale' }, rev: 2 }, 1),
          ]),
        );

        expect(await ws.head()).toEqual(head);
        expect(await ws.auditEventsFrom(1, 100)).toHaveLength(2);
        expect(await ws.getRecord('r2')).toBeNull();
        expect(await ws.getRecord('r1')).toMatchObject({ rev: 1, data: { name: 'one' } });
        expect(await ws.getMeta('name')).toBe('Before');
        expect(await ws.getSchema()).toEqual(ITEM_SCHEMA);
        expect(await ws.getMember('u9')).toBeNull();
        expect(await ws.listRoles()).toEqual([]);
        expect(await ws.listInvitations()).toEqual([]);

        // The refused commit used up no sequence number: the next one follows on without a gap.
        const next = await ws.commit([putChange(snapshot('r3', { name: 'three' }), null)]);
        expect(next.events.map((e) => e.seq)).toEqual([head.seq + 1]);
        expect(await verifyChain(ws)).toMatchObject({ ok: true, checked: head.seq + 1 });
      });

      it('keeps workspaces apart', async () => {
        const a = await newWorkspace('A');
        const b = await newWorkspace('B');
        await a.commit([putChange(snapshot('shared-id', { name: 'in A' }), null)]);
        await a.commit([{ event: makeEvent(), mutations: [{ kind: 'meta.put', key: 'name', value: 'A' }] }]);
        expect(await b.getRecord('shared-id')).toBeNull();
        expect(await b.head()).toEqual({ seq: 0, hash: GENESIS_HASH });
        expect(await b.getMeta('name')).toBeNull();
        expect(await b.recordsChangedSince(0, 100)).toEqual([]);
        // The same record id may exist in both: ids are unique per workspace only.
        await b.commit([putChange(snapshot('shared-id', { name: 'in B' }), null)]);
        expect(await a.getRecord('shared-id')).toMatchObject({ data: { name: 'in A' } });
        expect(await b.getRecord('shared-id')).toMatchObject({ data: { name: 'in B' }, seq: 1 });
      });
    });

    describe('workspace: schema, members, roles, invitations', () => {
      it('stores the schema and meta values', async () => {
        const ws = await newWorkspace();
        await ws.commit([
          {
            event: makeEvent(),
            mutations: [
              { kind: 'schema.put', schema: ITEM_SCHEMA },
              { kind: 'meta.put', key: 'name', value: 'Acme' },
            ],
          },
        ]);
        expect(await ws.getSchema()).toEqual(ITEM_SCHEMA);
        expect(await ws.getMeta('name')).toBe('Acme');
        const v2: WorkspaceSchema = { version: 2, entityTypes: [] };
        await ws.commit([{ event: makeEvent(), mutations: [{ kind: 'schema.put', schema: v2 }] }]);
        expect(await ws.getSchema()).toEqual(v2);
        expect(await ws.getMeta('missing')).toBeNull();
      });

      it('round-trips members', async () => {
        const ws = await newWorkspace();
        const ada: MemberRow = {
          userId: 'u1',
          email: 'ada@example.com',
          name: 'Ada',
          roles: ['owner'],
          joinedAt: at(1),
        };
        const bob: MemberRow = {
          userId: 'u2',
          email: 'bob@example.com',
          name: 'Bob',
          roles: ['viewer', 'auditor'],
          joinedAt: at(2),
        };
        await ws.commit([
          { event: makeEvent(), mutations: [{ kind: 'member.put', member: ada }] },
          { event: makeEvent(), mutations: [{ kind: 'member.put', member: bob }] },
        ]);
        expect(await ws.getMember('u2')).toEqual(bob);
        expect(await ws.listMembers()).toEqual([ada, bob]);

        const promoted = { ...bob, roles: ['admin'] };
        await ws.commit([{ event: makeEvent(), mutations: [{ kind: 'member.put', member: promoted }] }]);
        expect(await ws.getMember('u2')).toEqual(promoted);

        await ws.commit([{ event: makeEvent(), mutations: [{ kind: 'member.delete', userId: 'u1' }] }]);
        expect(await ws.getMember('u1')).toBeNull();
        expect(await ws.listMembers()).toEqual([promoted]);
      });

      it('round-trips custom roles', async () => {
        const ws = await newWorkspace();
        const support: CustomRole = {
          key: 'support',
          label: 'Support',
          permissions: { ticket: { read: true, write: true, delete: false } },
        };
        const auditor: CustomRole = {
          key: 'auditor',
          label: 'Auditor',
          permissions: {
            ticket: { read: true, write: false, delete: false },
            client: { read: true, write: false, delete: false },
          },
        };
        await ws.commit([
          { event: makeEvent(), mutations: [{ kind: 'role.put', role: support }] },
          { event: makeEvent(), mutations: [{ kind: 'role.put', role: auditor }] },
        ]);
        expect(await ws.listRoles()).toEqual([auditor, support]);
        const widened = { ...support, permissions: { ticket: { read: true, write: true, delete: true } } };
        await ws.commit([
          { event: makeEvent(), mutations: [{ kind: 'role.put', role: widened }] },
          { event: makeEvent(), mutations: [{ kind: 'role.delete', key: 'auditor' }] },
        ]);
        expect(await ws.listRoles()).toEqual([widened]);
      });

      it('round-trips invitations, found by id and by token hash', async () => {
        const ws = await newWorkspace();
        const older: InvitationRow = {
          id: randomUUID(),
          email: 'a@example.com',
          roles: ['member'],
          tokenHash: 'hash-a',
          invitedBy: 'u1',
          createdAt: at(1),
          expiresAt: at(100),
          acceptedAt: null,
          acceptedBy: null,
          cancelledAt: null,
        };
        const newer: InvitationRow = {
          ...older,
          id: randomUUID(),
          email: 'b@example.com',
          tokenHash: 'hash-b',
          createdAt: at(2),
        };
        await ws.commit([
          { event: makeEvent(), mutations: [{ kind: 'invitation.put', invitation: older }] },
          { event: makeEvent(), mutations: [{ kind: 'invitation.put', invitation: newer }] },
        ]);
        expect(await ws.getInvitation(older.id)).toEqual(older);
        expect(await ws.getInvitationByTokenHash('hash-b')).toEqual(newer);
        expect(await ws.getInvitationByTokenHash('hash-c')).toBeNull();
        expect(await ws.getInvitation(randomUUID())).toBeNull();
        expect(await ws.listInvitations()).toEqual([newer, older]);

        const accepted = { ...older, acceptedAt: at(3), acceptedBy: 'u7' };
        const cancelled = { ...newer, cancelledAt: at(4) };
        await ws.commit([
          { event: makeEvent(), mutations: [{ kind: 'invitation.put', invitation: accepted }] },
          { event: makeEvent(), mutations: [{ kind: 'invitation.put', invitation: cancelled }] },
        ]);
        expect(await ws.getInvitation(older.id)).toEqual(accepted);
        expect(await ws.getInvitationByTokenHash('hash-b')).toEqual(cancelled);
      });
    });

    describe('workspace: listing records', () => {
      /**
       * Scores include ties, absent values and numbers that sort differently as text (9 < 10 < 100),
       * so a store that compares the wrong way round, or as strings, shows it.
       */
      const items: Snapshot[] = [
        snapshot('a01', { name: 'Alpha', score: 10, active: true, note: 'first' }, { createdAt: at(3) }),
        snapshot('a02', { name: 'beta', score: 9, active: false }, { createdAt: at(1) }),
        snapshot('a03', { name: 'Gamma', score: 100, active: true }, { createdAt: at(2) }),
        snapshot('a04', { name: 'delta', active: true, note: 'mentions ALPHA here' }, { createdAt: at(2) }),
        snapshot('a05', { name: 'Epsilon', score: 10 }, { createdAt: at(5) }),
        snapshot('a06', { name: 'zeta', score: -2.5, active: false }, { createdAt: at(4) }),
        snapshot('a07', { name: 'Eta' }, { createdAt: at(2) }),
        snapshot('a08', { name: 'theta', score: 10, active: true }, { createdAt: at(6) }),
        snapshot('a09', { name: 'Iota', score: 0 }, { createdAt: at(0) }),
        snapshot('a10', { name: 'kappa' }, { createdAt: at(7) }),
      ];
      const deleted = snapshot(
        'a11',
        { name: 'Alphabet (deleted)', score: 50 },
        { deletedAt: at(8), createdAt: at(8) },
      );
      const otherType = snapshot('b01', { name: 'Alpha of another type', score: 10 }, { type: 'other' });

      let ws: WorkspaceStore;

      beforeEach(async () => {
        ws = await newWorkspace();
        await ws.commit([{ event: makeEvent(), mutations: [{ kind: 'schema.put', schema: ITEM_SCHEMA }] }]);
        await ws.commit([...items, deleted, otherType].map((r) => putChange(r, null)));
      });

      const query = (overrides: Partial<RecordListQuery> = {}): RecordListQuery => ({
        type: 'item',
        sort: 'updatedAt',
        order: 'asc',
        limit: 100,
        after: null,
        ...overrides,
      });
      const list = (overrides: Partial<RecordListQuery> = {}) =>
        ws.listRecords(query(overrides), FIELD_TYPES, TEXT_FIELDS);
      const ids = async (overrides: Partial<RecordListQuery> = {}) =>
        (await list(overrides)).map((r) => r.id);

      type SortValue = string | number | null;
      const sortValueOf = (record: WorkspaceRecord | Snapshot, sort: string): SortValue => {
        if (sort === 'createdAt') return record.createdAt;
        if (sort === 'updatedAt') return record.updatedAt;
        return (record.data[sort] as SortValue | undefined) ?? null;
      };
      /**
       * The contract's order: by sort value, absent values first, ties broken by id; descending is
       * its exact reverse. Text compares by code point, not by a locale's collation, so that every
       * store pages the same way.
       */
      const expectedOrder = (records: readonly Snapshot[], sort: string, order: 'asc' | 'desc'): string[] => {
        const sorted = [...records].sort((x, y) => {
          const a = sortValueOf(x, sort);
          const b = sortValueOf(y, sort);
          if (a !== b) {
            if (a === null) return -1;
            if (b === null) return 1;
            return a < b ? -1 : 1;
          }
          return x.id < y.id ? -1 : 1;
        });
        const asc = sorted.map((r) => r.id);
        return order === 'asc' ? asc : asc.reverse();
      };

      async function pageThrough(
        sort: string,
        order: 'asc' | 'desc',
        pageSize: number,
        extra: Partial<RecordListQuery> = {},
      ) {
        const seen: string[] = [];
        let after: RecordListQuery['after'] = null;
        for (let pages = 0; pages < 50; pages++) {
          const page = await list({ ...extra, sort, order, limit: pageSize, after });
          expect(page.length).toBeLessThanOrEqual(pageSize);
          seen.push(...page.map((r) => r.id));
          const last = page.at(-1);
          if (page.length < pageSize || !last) return seen;
          after = { value: sortValueOf(last, sort), id: last.id };
        }
        throw new Error('pagination did not end');
      }

      it('lists the live records of one type only, deleted ones on request', async () => {
        const live = items.map((r) => r.id).sort();
        expect((await ids()).sort()).toEqual(live);
        expect((await ids({ includeDeleted: true })).sort()).toEqual([...live, 'a11'].sort());
        expect(await ids({ type: 'other' })).toEqual(['b01']);
        expect(await ids({ type: 'nothing' })).toEqual([]);
        expect(await ws.countLiveRecords('item')).toBe(10);
        expect(await ws.countLiveRecords('other')).toBe(1);
      });

      it('returns the records as stored', async () => {
        const [first] = await list({ filter: { field: 'name', op: 'eq', value: 'Alpha' } });
        expect(first).toEqual(await ws.getRecord('a01'));
        expect(first?.data).toEqual(items[0]?.data);
      });

      it.each([
        ['score', 'gt', '9', ['a01', 'a03', 'a05', 'a08']],
        ['score', 'gte', '10', ['a01', 'a03', 'a05', 'a08']],
        ['score', 'lt', '10', ['a02', 'a06', 'a09']],
        ['score', 'lte', '0', ['a06', 'a09']],
        ['score', 'eq', '10', ['a01', 'a05', 'a08']],
        ['score', 'eq', '-2.5', ['a06']],
        ['name', 'eq', 'beta', ['a02']],
        ['name', 'ne', 'beta', ['a01', 'a03', 'a04', 'a05', 'a06', 'a07', 'a08', 'a09', 'a10']],
        // "Not equal" includes the records where the field is absent.
        ['score', 'ne', '10', ['a02', 'a03', 'a04', 'a06', 'a07', 'a09', 'a10']],
        ['name', 'contains', 'ETA', ['a02', 'a07', 'a08', 'a06']],
        ['name', 'gt', 'kappa', ['a08', 'a06']],
        ['active', 'eq', 'true', ['a01', 'a03', 'a04', 'a08']],
        ['active', 'eq', 'false', ['a02', 'a06']],
      ] as const)('filters %s %s %s, comparing as the field’s type', async (field, op, value, expected) => {
        expect((await ids({ filter: { field, op, value } })).sort()).toEqual([...expected].sort());
      });

      it('combines filters with AND, and searches text fields case-insensitively', async () => {
        expect(
          (
            await ids({
              filter: [
                { field: 'score', op: 'gte', value: '10' },
                { field: 'active', op: 'eq', value: 'true' },
              ],
            })
          ).sort(),
        ).toEqual(['a01', 'a03', 'a08']);
        // `q` looks into every text field: a04 matches by its note, a01 by its name.
        expect((await ids({ q: 'alpha' })).sort()).toEqual(['a01', 'a04']);
        expect(await ids({ q: 'no such text' })).toEqual([]);
      });

      it('refuses a filter value that is not of the field’s type', async () => {
        await expect(list({ filter: { field: 'score', op: 'gt', value: 'ten' } })).rejects.toBeInstanceOf(
          RangeError,
        );
        await expect(list({ filter: { field: 'active', op: 'eq', value: 'yes' } })).rejects.toBeInstanceOf(
          RangeError,
        );
      });

      it.each([
        ['score', 'asc'],
        ['score', 'desc'],
        ['name', 'asc'],
        ['createdAt', 'asc'],
        ['createdAt', 'desc'],
      ] as const)('sorts by %s %s, absent values first ascending, ties by id', async (sort, order) => {
        expect(await ids({ sort, order })).toEqual(expectedOrder(items, sort, order));
      });

      it.each([
        ['score', 'asc'],
        ['score', 'desc'],
        ['createdAt', 'asc'],
        ['createdAt', 'desc'],
        ['updatedAt', 'desc'],
      ] as const)(
        'pages by %s %s without gaps or repeats, across ties and absent values',
        async (sort, order) => {
          const expected = expectedOrder(items, sort, order);
          for (const pageSize of [1, 2, 3, 4, 7]) {
            expect(await pageThrough(sort, order, pageSize)).toEqual(expected);
          }
        },
      );

      it('pages through a filtered listing', async () => {
        const filter = { field: 'score', op: 'gte', value: '0' } as const;
        const matching = items.filter((r) => typeof r.data.score === 'number' && r.data.score >= 0);
        expect(await pageThrough('score', 'desc', 2, { filter })).toEqual(
          expectedOrder(matching, 'score', 'desc'),
        );
        expect(await pageThrough('score', 'asc', 2, { filter })).toEqual(
          expectedOrder(matching, 'score', 'asc'),
        );
      });
    });

    describe('workspace: change feed', () => {
      it('lists records changed after a sequence number, oldest change first', async () => {
        const ws = await newWorkspace();
        const a = snapshot('a', { name: 'a' });
        const b = snapshot('b', { name: 'b' });
        const c = snapshot('c', { name: 'c' });
        await ws.commit([putChange(a, null), putChange(b, null)]);
        await ws.commit([eventOnly(), putChange(c, null)]);
        const aDeleted = { ...a, rev: 2, deletedAt: at(9), updatedAt: at(9) };
        await ws.commit([putChange(aDeleted, 1)]);

        expect(await ws.recordsChangedSince(0, 100)).toEqual([
          { ...b, seq: 2 },
          { ...c, seq: 4 },
          { ...aDeleted, seq: 5 },
        ]);
        expect((await ws.recordsChangedSince(2, 100)).map((r) => r.id)).toEqual(['c', 'a']);
        expect((await ws.recordsChangedSince(4, 100)).map((r) => r.id)).toEqual(['a']);
        expect(await ws.recordsChangedSince(5, 100)).toEqual([]);
        expect((await ws.recordsChangedSince(0, 2)).map((r) => r.id)).toEqual(['b', 'c']);
      });

      it('lists the same changes with the data as its stored JSON text', async () => {
        const ws = await newWorkspace();
        await ws.commit([putChange(snapshot('a', { name: 'a', n: 1 }), null)]);
        await ws.commit([putChange(snapshot('b', { name: 'b', tags: ['x'] }), null)]);
        for (const [after, limit] of [
          [0, 100],
          [1, 100],
          [0, 1],
        ] as const) {
          const parsed = (await ws.recordsChangedSinceJson(after, limit)).map(({ dataJson, ...r }) => ({
            ...r,
            data: JSON.parse(dataJson) as unknown,
          }));
          expect(parsed).toEqual(await ws.recordsChangedSince(after, limit));
        }
      });
    });

    describe('workspace: audit queries', () => {
      let ws: WorkspaceStore;
      let events: AuditEvent[];

      const ada = { kind: 'user', id: 'u-ada', label: 'ada@example.com' } as const;
      const bob = { kind: 'user', id: 'u-bob', label: 'bob@example.com' } as const;
      const laptop = { kind: 'device', id: 'd-laptop', label: 'Ada’s laptop' } as const;
      const system = { kind: 'system', id: 'system', label: 'Enclave' } as const;

      beforeEach(async () => {
        ws = await newWorkspace();
        const record = (entityType: string, id: string) => ({ kind: 'record', entityType, id }) as const;
        ({ events } = await ws.commit([
          eventOnly({ time: at(1), actor: ada, action: 'record.create', target: record('client', 'r1') }),
          eventOnly({ time: at(2), actor: bob, action: 'record.update', target: record('client', 'r1') }),
          eventOnly({ time: at(3), actor: laptop, action: 'record.create', target: record('ticket', 'r2') }),
          // Not a record event, though its target id happens to equal a record id.
          eventOnly({
            time: at(4),
            actor: ada,
            action: 'member.invite',
            target: { kind: 'invitation', entityType: null, id: 'r1' },
          }),
          eventOnly({
            time: at(5),
            actor: system,
            action: 'schema.updateEntityType',
            target: { kind: 'schema', entityType: 'client', id: 'client' },
          }),
          eventOnly({ time: at(6), actor: ada, action: 'record.delete', target: record('ticket', 'r2') }),
        ]));
      });

      const seqs = async (filter: Parameters<WorkspaceStore['queryAudit']>[0]) =>
        (await ws.queryAudit(filter)).map((e) => e.seq);

      it('returns all events newest first by default, as committed', async () => {
        expect(await ws.queryAudit({})).toEqual([...events].reverse());
        expect(await seqs({ order: 'asc' })).toEqual([1, 2, 3, 4, 5, 6]);
        expect(await seqs({ limit: 2 })).toEqual([6, 5]);
        expect(await seqs({ order: 'asc', limit: 2 })).toEqual([1, 2]);
      });

      it('filters by actor, action, entity type and record', async () => {
        expect(await seqs({ actorId: 'u-ada' })).toEqual([6, 4, 1]);
        expect(await seqs({ actorKind: 'device' })).toEqual([3]);
        expect(await seqs({ actorKind: 'user' })).toEqual([6, 4, 2, 1]);
        expect(await seqs({ action: 'record.create' })).toEqual([3, 1]);
        expect(await seqs({ entityType: 'client' })).toEqual([5, 2, 1]);
        expect(await seqs({ recordId: 'r1' })).toEqual([2, 1]);
        expect(await seqs({ recordId: 'r2', actorId: 'u-ada' })).toEqual([6]);
        expect(await seqs({ actorId: 'nobody' })).toEqual([]);
      });

      it('filters by an inclusive time range', async () => {
        expect(await seqs({ from: at(2), to: at(4) })).toEqual([4, 3, 2]);
        expect(await seqs({ from: at(5) })).toEqual([6, 5]);
        expect(await seqs({ to: at(1) })).toEqual([1]);
      });

      it('pages by sequence number in both directions', async () => {
        expect(await seqs({ before: 4 })).toEqual([3, 2, 1]);
        expect(await seqs({ before: 4, limit: 2 })).toEqual([3, 2]);
        expect(await seqs({ after: 2, order: 'asc' })).toEqual([3, 4, 5, 6]);
        expect(await seqs({ after: 2, order: 'asc', limit: 2 })).toEqual([3, 4]);
        expect(await seqs({ after: 2, before: 6 })).toEqual([5, 4, 3]);
        expect(await seqs({ after: 2, actorId: 'u-ada', order: 'asc' })).toEqual([4, 6]);
      });

      it('reads events from a sequence number on, in order', async () => {
        expect(await ws.auditEventsFrom(1, 100)).toEqual(events);
        expect((await ws.auditEventsFrom(3, 2)).map((e) => e.seq)).toEqual([3, 4]);
        expect(await ws.auditEventsFrom(7, 10)).toEqual([]);
        expect(only(await ws.auditEventsFrom(6, 10))).toEqual(events[5]);
      });
    });

    describe('workspace: devices and pairings', () => {
      let ws: WorkspaceStore;
      beforeEach(async () => {
        ws = await newWorkspace();
      });

      const change = (...mutations: Mutation[]): PendingChange => ({ event: makeEvent(), mutations });

      it('stores a device and changes only its name, revocation and wipe confirmation through device.put', async () => {
        const device = makeDevice();
        await ws.commit([change({ kind: 'device.put', device })]);
        expect(await ws.getDevice(device.id)).toEqual(device);
        const changed = {
          ...device,
          name: 'Renamed',
          revokedAt: at(5),
          revokedBy: 'u-admin',
          wipe: true,
          // Fields a device.put must not move: identity, key and pairing facts.
          publicKey: 'B'.repeat(43),
          ownerId: randomUUID(),
        };
        await ws.commit([change({ kind: 'device.put', device: changed })]);
        const revoked = {
          ...device,
          name: 'Renamed',
          revokedAt: at(5),
          revokedBy: 'u-admin',
          wipe: true,
        };
        expect(await ws.getDevice(device.id)).toEqual(revoked);
        await ws.commit([change({ kind: 'device.put', device: { ...revoked, wipeConfirmedAt: at(6) } })]);
        expect(await ws.getDevice(device.id)).toEqual({ ...revoked, wipeConfirmedAt: at(6) });
        expect((await ws.listDevices()).find((d) => d.id === device.id)?.wipeConfirmedAt).toBe(at(6));
        expect(await ws.getDevice(randomUUID())).toBeNull();
      });

      it('stores a device paired with its wipe already confirmed as it was given', async () => {
        // Not something the engine does; the column must round-trip on insert as on update all the same.
        const device = makeDevice({
          revokedAt: at(1),
          revokedBy: 'u-admin',
          wipe: true,
          wipeConfirmedAt: at(2),
        });
        await ws.commit([change({ kind: 'device.put', device })]);
        expect(await ws.getDevice(device.id)).toEqual(device);
      });

      it('notes when a device was last seen without touching anything else', async () => {
        const device = makeDevice();
        await ws.commit([change({ kind: 'device.put', device })]);
        const head = await ws.head();
        await ws.touchDevice(device.id, at(9), '198.51.100.7');
        expect(await ws.getDevice(device.id)).toEqual({
          ...device,
          lastSeenAt: at(9),
          lastIp: '198.51.100.7',
        });
        expect(await ws.head()).toEqual(head);
        // A later device.put (a rename) keeps the last-seen facts.
        await ws.commit([change({ kind: 'device.put', device: { ...device, name: 'New name' } })]);
        expect((await ws.getDevice(device.id))?.lastIp).toBe('198.51.100.7');
      });

      it('lists devices in pairing order', async () => {
        const second = makeDevice({ pairedAt: at(2) });
        const first = makeDevice({ pairedAt: at(1) });
        await ws.commit([
          change({ kind: 'device.put', device: second }, { kind: 'device.put', device: first }),
        ]);
        expect((await ws.listDevices()).map((d) => d.id)).toEqual([first.id, second.id]);
      });

      it('finds pairings by id and token hash, newest first in the list', async () => {
        const older = makePairing({ createdAt: at(1) });
        const newer = makePairing({ createdAt: at(2) });
        await ws.commit([
          change({ kind: 'pairing.put', pairing: older }, { kind: 'pairing.put', pairing: newer }),
        ]);
        expect(await ws.getPairing(older.id)).toEqual(older);
        expect(await ws.getPairingByTokenHash(newer.tokenHash)).toEqual(newer);
        expect(await ws.getPairingByTokenHash('nope')).toBeNull();
        expect((await ws.listPairings()).map((p) => p.id)).toEqual([newer.id, older.id]);
      });

      it('consumes a pairing once; a used or cancelled one refuses the whole commit', async () => {
        const pairing = makePairing();
        const cancelled = makePairing();
        await ws.commit([
          change({ kind: 'pairing.put', pairing }, { kind: 'pairing.put', pairing: cancelled }),
          change({ kind: 'pairing.put', pairing: { ...cancelled, cancelledAt: at(3) } }),
        ]);
        const device = makeDevice();
        await ws.commit([
          change(
            { kind: 'pairing.consume', pairingId: pairing.id, usedAt: at(4), deviceId: device.id },
            { kind: 'device.put', device },
          ),
        ]);
        expect(await ws.getPairing(pairing.id)).toMatchObject({ usedAt: at(4), deviceId: device.id });
        const head = await ws.head();
        for (const id of [pairing.id, cancelled.id]) {
          const other = makeDevice();
          await expect(
            ws.commit([
              change(
                { kind: 'device.put', device: other },
                { kind: 'pairing.consume', pairingId: id, usedAt: at(5), deviceId: other.id },
              ),
            ]),
          ).rejects.toBeInstanceOf(PairingUnavailable);
          expect(await ws.getDevice(other.id)).toBeNull();
        }
        expect(await ws.head()).toEqual(head);
      });

      it('lets exactly one of concurrent consumptions of a pairing win', async () => {
        const pairing = makePairing();
        await ws.commit([change({ kind: 'pairing.put', pairing })]);
        const results = await Promise.allSettled(
          Array.from({ length: 8 }, () => {
            const device = makeDevice();
            return ws.commit([
              change(
                { kind: 'pairing.consume', pairingId: pairing.id, usedAt: at(1), deviceId: device.id },
                { kind: 'device.put', device },
              ),
            ]);
          }),
        );
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        expect(await ws.listDevices()).toHaveLength(1);
      });
    });

    describe('workspace: AI proposals, outbox, prompt log and usage', () => {
      let ws: WorkspaceStore;
      beforeEach(async () => {
        ws = await newWorkspace();
      });

      const change = (...mutations: Mutation[]): PendingChange => ({ event: makeEvent(), mutations });
      const propose = (proposal: Proposal): PendingChange => change({ kind: 'ai.proposal.put', proposal });
      const ids = (items: readonly { id: string }[]) => items.map((i) => i.id);

      it('files a proposal through commit with its audit event, and replaces it when it is decided', async () => {
        const proposal = makeProposal({ createdAt: at(1) });
        const filed = await ws.commit([
          {
            event: makeEvent({ action: 'ai.proposal.file', after: proposal }),
            mutations: [{ kind: 'ai.proposal.put', proposal }],
          },
        ]);
        expect(await ws.getProposal(proposal.id)).toEqual(proposal);
        const fileEvent = only(filed.events);
        expect(fileEvent).toMatchObject({ seq: 1, action: 'ai.proposal.file', after: proposal });
        expect(await ws.getAuditEvent(fileEvent.id)).toEqual(fileEvent);

        const approved: Proposal = {
          ...proposal,
          status: 'approved',
          operation: { type: 'record.update', id: 'inv-0089', data: { status: 'paid', note: 'edited' } },
          decidedBy: { kind: 'user', id: randomUUID(), label: 'owner@example.com' },
          decidedAt: at(2),
          executedEventId: randomUUID(),
          edited: true,
        };
        const decided = await ws.commit([
          {
            event: makeEvent({ action: 'ai.proposal.approve' }),
            mutations: [{ kind: 'ai.proposal.put', proposal: approved }],
          },
        ]);
        expect(only(decided.events).seq).toBe(2);
        expect(await ws.getProposal(proposal.id)).toEqual(approved);
        // Replaced, not added: one proposal, listed under its new status only.
        expect(await ws.listProposals({ limit: 10 })).toEqual([approved]);
        expect(await ws.listProposals({ status: 'pending', limit: 10 })).toEqual([]);
        expect(await ws.listProposals({ status: 'approved', limit: 10 })).toEqual([approved]);
        expect(await ws.getProposal(uuidv7())).toBeNull();
        expect(await verifyChain(ws)).toMatchObject({ ok: true, checked: 2 });
      });

      it('lists proposals newest first, by status, a page at a time below an id', async () => {
        const statuses = ['pending', 'approved', 'pending', 'rejected', 'pending', 'expired'] as const;
        const proposals = statuses.map((status, i) => makeProposal({ status, createdAt: at(i) }));
        const [p0, p1, p2, p3, p4, p5] = proposals as [
          Proposal,
          Proposal,
          Proposal,
          Proposal,
          Proposal,
          Proposal,
        ];
        // Filed out of order: the listing follows the ids, not the order of writing.
        await ws.commit([propose(p3), propose(p0), propose(p5)]);
        await ws.commit([propose(p1), propose(p4), propose(p2)]);

        expect(ids(await ws.listProposals({ limit: 50 }))).toEqual(ids([p5, p4, p3, p2, p1, p0]));
        expect(ids(await ws.listProposals({ limit: 2 }))).toEqual(ids([p5, p4]));
        expect(ids(await ws.listProposals({ before: p4.id, limit: 2 }))).toEqual(ids([p3, p2]));
        expect(ids(await ws.listProposals({ before: p1.id, limit: 50 }))).toEqual(ids([p0]));
        expect(await ws.listProposals({ before: p0.id, limit: 50 })).toEqual([]);

        expect(ids(await ws.listProposals({ status: 'pending', limit: 50 }))).toEqual(ids([p4, p2, p0]));
        expect(ids(await ws.listProposals({ status: 'pending', limit: 1 }))).toEqual(ids([p4]));
        expect(ids(await ws.listProposals({ status: 'pending', before: p4.id, limit: 50 }))).toEqual(
          ids([p2, p0]),
        );
        // `before` is an id, whatever that proposal's status: paging on from a page's last item.
        expect(ids(await ws.listProposals({ status: 'pending', before: p3.id, limit: 50 }))).toEqual(
          ids([p2, p0]),
        );
        expect(await ws.listProposals({ status: 'rejected', limit: 50 })).toEqual([p3]);
        expect(await ws.listProposals({ status: 'expired', before: p5.id, limit: 50 })).toEqual([]);
      });

      it('finds for the expiry sweep only pending proposals whose time is up, the longest overdue first', async () => {
        const dueFirst = makeProposal({ createdAt: at(1), expiresAt: at(10) });
        const dueNow = makeProposal({ createdAt: at(2), expiresAt: at(20) });
        const notYet = makeProposal({ createdAt: at(3), expiresAt: at(21) });
        const decided = [
          makeProposal({ createdAt: at(4), expiresAt: at(5), status: 'approved', decidedAt: at(4) }),
          makeProposal({ createdAt: at(5), expiresAt: at(6), status: 'rejected', rejectReason: 'No' }),
          makeProposal({ createdAt: at(6), expiresAt: at(7), status: 'expired' }),
        ];
        await ws.commit([notYet, dueNow, ...decided, dueFirst].map(propose));

        expect(await ws.listExpiredProposals(at(20), 10)).toEqual([dueFirst, dueNow]);
        expect(await ws.listExpiredProposals(at(20), 1)).toEqual([dueFirst]);
        expect(await ws.listExpiredProposals(at(9), 10)).toEqual([]);
        // Once the sweep marks one expired, it is not found again.
        await ws.commit([propose({ ...dueFirst, status: 'expired' })]);
        expect(await ws.listExpiredProposals(at(30), 10)).toEqual([dueNow, notYet]);
      });

      it('keeps no proposal and no message from a commit that fails', async () => {
        const v1 = snapshot('r1', { name: 'v1' });
        await ws.commit([putChange(v1, null)]);
        const head = await ws.head();
        const proposal = makeProposal();
        const message = makeOutboxMessage();
        // The proposal and the message come first, in a change of their own, and are rolled back
        // with the stale record write after them.
        await revisionConflictOf(
          ws.commit([
            change({ kind: 'ai.proposal.put', proposal }, { kind: 'outbox.put', message }),
            putChange({ ...v1, data: { name: 'v2' }, rev: 3 }, 2),
          ]),
        );
        expect(await ws.getProposal(proposal.id)).toBeNull();
        expect(await ws.listProposals({ limit: 10 })).toEqual([]);
        expect(await ws.getOutboxMessage(message.id)).toBeNull();
        expect(await ws.listOutbox(10)).toEqual([]);
        expect(await ws.head()).toEqual(head);

        // A decision that fails leaves the proposal as it was.
        await ws.commit([propose(proposal)]);
        await revisionConflictOf(
          ws.commit([
            putChange({ ...v1, data: { name: 'v2' }, rev: 3 }, 2, [
              { kind: 'ai.proposal.put', proposal: { ...proposal, status: 'approved', decidedAt: at(1) } },
            ]),
          ]),
        );
        expect(await ws.getProposal(proposal.id)).toEqual(proposal);
      });

      it('queues outbox messages through commit, and notes deliveries without touching the audit log', async () => {
        const first = makeOutboxMessage({ createdAt: at(1) });
        const second = makeOutboxMessage({ createdAt: at(2), recordId: null, subject: 'Hello' });
        await ws.commit([
          change({ kind: 'outbox.put', message: first }, { kind: 'outbox.put', message: second }),
        ]);
        expect(await ws.getOutboxMessage(first.id)).toEqual(first);
        expect(await ws.getOutboxMessage(second.id)).toEqual(second);
        expect(await ws.getOutboxMessage(uuidv7())).toBeNull();
        expect(await ws.listOutbox(10)).toEqual([second, first]);
        expect(await ws.listOutbox(1)).toEqual([second]);

        const head = await ws.head();
        await ws.markOutboxDelivery(first.id, 'failed', at(3), 'connection refused');
        expect(await ws.getOutboxMessage(first.id)).toEqual({
          ...first,
          status: 'failed',
          attemptedAt: at(3),
          error: 'connection refused',
        });
        await ws.markOutboxDelivery(first.id, 'sent', at(4), null);
        expect(await ws.getOutboxMessage(first.id)).toEqual({
          ...first,
          status: 'sent',
          attemptedAt: at(4),
          error: null,
        });
        expect(await ws.getOutboxMessage(second.id)).toEqual(second);
        expect(await ws.head()).toEqual(head);

        // outbox.put replaces a message whole.
        const replaced = { ...second, subject: 'Hello again', status: 'failed' as const, error: 'bounced' };
        await ws.commit([change({ kind: 'outbox.put', message: replaced })]);
        expect(await ws.getOutboxMessage(second.id)).toEqual(replaced);
        expect(await ws.listOutbox(10)).toHaveLength(2);
      });

      it('keeps the prompt log outside the audit chain, newest first in pages, and sweeps it by time', async () => {
        const entries = [0, 1, 2, 3].map((minute) => makePromptLogEntry({ time: at(minute) }));
        const failed = makePromptLogEntry({
          time: at(4),
          response: null,
          outputTokens: 0,
          outcome: 'error',
          error: 'overloaded_error: Overloaded',
        });
        const [e0, e1, e2, e3] = entries as [PromptLogEntry, PromptLogEntry, PromptLogEntry, PromptLogEntry];
        for (const entry of [e2, failed, e0, e3, e1]) await ws.addPromptLog(entry);
        expect(await ws.head()).toEqual({ seq: 0, hash: GENESIS_HASH });

        expect(await ws.getPromptLog(e1.id)).toEqual(e1);
        expect(await ws.getPromptLog(failed.id)).toEqual(failed);
        expect(await ws.getPromptLog(uuidv7())).toBeNull();
        expect(ids(await ws.listPromptLog({ limit: 20 }))).toEqual(ids([failed, e3, e2, e1, e0]));
        expect(await ws.listPromptLog({ limit: 2 })).toEqual([failed, e3]);
        expect(await ws.listPromptLog({ before: e3.id, limit: 2 })).toEqual([e2, e1]);
        expect(await ws.listPromptLog({ before: e0.id, limit: 20 })).toEqual([]);

        // "Before" is strict: the entry at the cut-off itself stays.
        expect(await ws.deletePromptLogBefore(at(2))).toBe(2);
        expect(ids(await ws.listPromptLog({ limit: 20 }))).toEqual(ids([failed, e3, e2]));
        expect(await ws.getPromptLog(e0.id)).toBeNull();
        expect(await ws.deletePromptLogBefore(at(2))).toBe(0);
        expect(await ws.deletePromptLogBefore(at(60))).toBe(3);
        expect(await ws.listPromptLog({ limit: 20 })).toEqual([]);
      });

      it('totals usage per feature and person in a period that includes its start and excludes its end', async () => {
        const ada = randomUUID();
        const bob = randomUUID();
        const rows = [
          // Outside the period on either side: before `from`, and at `to` exactly.
          makeUsage({ time: at(9), userId: ada, inputTokens: 1_000_000 }),
          makeUsage({ time: at(20), userId: ada, userLabel: 'Ada (later)', inputTokens: 1_000_000 }),
          // Inside: Ada renamed herself during the period; her latest label is the one shown.
          makeUsage({
            time: at(10),
            userId: ada,
            userLabel: 'ada@example.com',
            inputTokens: 100,
            outputTokens: 10,
          }),
          makeUsage({
            time: at(12),
            userId: ada,
            feature: 'triage',
            userLabel: 'ada@example.com',
            inputTokens: 7,
            outputTokens: 1,
          }),
          makeUsage({
            time: at(15),
            userId: ada,
            userLabel: 'Ada Lovelace',
            inputTokens: 200,
            outputTokens: 20,
          }),
          makeUsage({
            time: at(11),
            userId: bob,
            userLabel: 'bob@example.com',
            inputTokens: 50,
            outputTokens: 5,
          }),
          makeUsage({
            time: at(19),
            userId: bob,
            userLabel: 'bob@example.com',
            feature: 'summary',
            inputTokens: 3,
            outputTokens: 0,
          }),
        ];
        for (const row of rows) await ws.addUsage(row);
        expect(await ws.head()).toEqual({ seq: 0, hash: GENESIS_HASH });

        const byKey = (list: UsageAggregate[]) =>
          [...list].sort((a, b) => `${a.feature}/${a.userId}`.localeCompare(`${b.feature}/${b.userId}`));
        const expected: UsageAggregate[] = [
          {
            feature: 'assistant',
            userId: ada,
            userLabel: 'Ada Lovelace',
            inputTokens: 300,
            outputTokens: 30,
            calls: 2,
          },
          {
            feature: 'triage',
            userId: ada,
            userLabel: 'Ada Lovelace',
            inputTokens: 7,
            outputTokens: 1,
            calls: 1,
          },
          {
            feature: 'assistant',
            userId: bob,
            userLabel: 'bob@example.com',
            inputTokens: 50,
            outputTokens: 5,
            calls: 1,
          },
          {
            feature: 'summary',
            userId: bob,
            userLabel: 'bob@example.com',
            inputTokens: 3,
            outputTokens: 0,
            calls: 1,
          },
        ];
        expect(byKey(await ws.usageBetween(at(10), at(20)))).toEqual(byKey(expected));

        // A narrower period counts only its own calls, and labels a person by their latest call in it.
        expect(byKey(await ws.usageBetween(at(10), at(15)))).toEqual(
          byKey([
            {
              feature: 'assistant',
              userId: ada,
              userLabel: 'ada@example.com',
              inputTokens: 100,
              outputTokens: 10,
              calls: 1,
            },
            {
              feature: 'triage',
              userId: ada,
              userLabel: 'ada@example.com',
              inputTokens: 7,
              outputTokens: 1,
              calls: 1,
            },
            {
              feature: 'assistant',
              userId: bob,
              userLabel: 'bob@example.com',
              inputTokens: 50,
              outputTokens: 5,
              calls: 1,
            },
          ]),
        );
        expect(await ws.usageBetween(at(30), at(40))).toEqual([]);
        expect(await ws.usageBetween(at(20), at(20))).toEqual([]);
      });
    });

    describe('control: pairing index and workspace deletion', () => {
      it('finds a pairing code’s workspace until the entry expires', async () => {
        const wsId = randomUUID();
        await store.control.indexPairing('hash-a', wsId, at(15));
        await store.control.indexPairing('hash-b', wsId, at(30));
        expect(await store.control.findPairingWorkspace('hash-a')).toBe(wsId);
        expect(await store.control.findPairingWorkspace('hash-x')).toBeNull();
        expect(await store.control.deleteExpiredPairingIndex(at(20))).toBe(1);
        expect(await store.control.findPairingWorkspace('hash-a')).toBeNull();
        expect(await store.control.findPairingWorkspace('hash-b')).toBe(wsId);
      });

      it('forgets a deleted workspace everywhere, and keeps the others', async () => {
        const doomed = await newWorkspace('Doomed');
        const kept = await newWorkspace('Kept');
        const user = randomUUID();
        await store.control.setMembershipIndex(user, doomed.workspaceId, true);
        await store.control.setMembershipIndex(user, kept.workspaceId, true);
        await store.control.indexPairing('doomed-code', doomed.workspaceId, at(15));
        await store.deleteWorkspace(doomed.workspaceId, at(1));
        expect(await store.workspace(doomed.workspaceId)).toBeNull();
        expect(await store.control.getWorkspace(doomed.workspaceId)).toBeNull();
        expect((await store.control.listWorkspaces()).map((w) => w.id)).toEqual([kept.workspaceId]);
        expect(await store.control.listWorkspaceIdsOfUser(user)).toEqual([kept.workspaceId]);
        expect(await store.control.findPairingWorkspace('doomed-code')).toBeNull();
        expect(await store.workspace(kept.workspaceId)).not.toBeNull();
      });
    });
  });
}
