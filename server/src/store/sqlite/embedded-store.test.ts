import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeStoreConformance } from '../store.conformance';
import { deriveKey } from '../../crypto/keys';
import { EmbeddedStore } from './embedded-store';
import { workspaceMigrations } from './migrations';
import { migrate, openEncrypted } from './open';
import { SqliteWorkspaceStore } from './workspace-store';

describeStoreConformance('EmbeddedStore', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'enclave-store-'));
  // A small page cache: the suite opens many short-lived databases.
  const store = new EmbeddedStore(dir, randomBytes(32), { cacheKiB: 1024 });
  return {
    store,
    cleanup: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('EmbeddedStore', () => {
  it('opens a workspace once, however many callers ask for it at the same time', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'enclave-store-'));
    const master = randomBytes(32);
    try {
      const first = new EmbeddedStore(dir, master, { cacheKiB: 1024 });
      const { workspaceId } = await first.createWorkspace({
        id: randomUUID(),
        name: 'Acme',
        createdAt: new Date().toISOString(),
        createdBy: randomUUID(),
      });
      await first.close();

      const store = new EmbeddedStore(dir, master, { cacheKiB: 1024 });
      try {
        const [a, b] = await Promise.all([store.workspace(workspaceId), store.workspace(workspaceId)]);
        if (!a || !b) throw new Error('workspace not found');
        // A second handle would keep its own schema cache and miss changes made through the first.
        expect(await a.getSchema()).toEqual({ version: 0, entityTypes: [] });
        await b.commit([
          {
            event: {
              id: randomUUID(),
              time: new Date().toISOString(),
              actor: { kind: 'system', id: 'system', label: 'test' },
              action: 'schema.updateEntityType',
              target: { kind: 'schema', entityType: null, id: null },
              before: null,
              after: null,
              ip: null,
              userAgent: null,
              requestId: null,
              details: null,
            },
            mutations: [{ kind: 'schema.put', schema: { version: 2, entityTypes: [] } }],
          },
        ]);
        expect(await a.getSchema()).toEqual({ version: 2, entityTypes: [] });
        expect(a).toBe(b);
      } finally {
        await store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('creates a workspace all or nothing: a control write that times out leaves no file behind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'enclave-store-'));
    const master = randomBytes(32);
    const store = new EmbeddedStore(dir, master, { cacheKiB: 1024 });
    // Another process holding the control database's write lock, as the CLI or a second server could.
    const other = openEncrypted(join(dir, 'control.db'), deriveKey(master, 'control-db'));
    try {
      other.exec('BEGIN IMMEDIATE');
      const id = randomUUID();
      const row = { id, name: 'Acme', createdAt: new Date().toISOString(), createdBy: randomUUID() };
      await expect(store.createWorkspace(row)).rejects.toMatchObject({ code: 'SQLITE_BUSY' });
      expect(readdirSync(join(dir, 'workspaces'))).toEqual([]);
      other.exec('ROLLBACK');
      // Once the lock is gone the same workspace can be created, and only then is there a file.
      await store.createWorkspace(row);
      expect(readdirSync(join(dir, 'workspaces'))).toContain(`${id}.db`);
      expect(await store.workspace(id)).not.toBeNull();
    } finally {
      other.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 20_000);

  it('reads a device stored before wipe receipts existed as one whose wipe is not confirmed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'enclave-store-'));
    const db = openEncrypted(join(dir, 'old.db'), randomBytes(32), { cacheKiB: 1024 });
    try {
      // A workspace file as the server before the wipe-receipt migration (the third) left it.
      migrate(db, workspaceMigrations.slice(0, 2));
      expect(db.prepare('SELECT name FROM pragma_table_info(?)').pluck().all('devices')).not.toContain(
        'wipe_confirmed_at',
      );
      const id = randomUUID();
      db.prepare(
        `INSERT INTO devices (id, owner_id, name, platform, app_version, public_key, paired_by, paired_at,
           revoked_at, revoked_by, wipe)
         VALUES (?, ?, 'Old laptop', 'linux', '0.1.0', ?, ?, '2024-01-01T00:00:00.000Z',
           '2024-02-01T00:00:00.000Z', ?, 1)`,
      ).run(id, randomUUID(), 'A'.repeat(43), randomUUID(), randomUUID());
      migrate(db, workspaceMigrations);
      const device = await new SqliteWorkspaceStore(randomUUID(), db).getDevice(id);
      expect(device).toMatchObject({ id, wipe: true, revokedAt: '2024-02-01T00:00:00.000Z' });
      expect(device?.wipeConfirmedAt).toBeNull();
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives a workspace file from before AI its proposals, outbox, prompt log and usage tables', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'enclave-store-'));
    const db = openEncrypted(join(dir, 'old.db'), randomBytes(32), { cacheKiB: 1024 });
    const aiTables = ['ai_proposals', 'outbox', 'ai_prompt_log', 'ai_usage'];
    const tables = () =>
      db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[];
    try {
      // A workspace file as the server before the AI migration (the fourth) left it, with a record.
      migrate(db, workspaceMigrations.slice(0, 3));
      expect(tables().filter((name) => aiTables.includes(name))).toEqual([]);
      db.prepare(
        `INSERT INTO records (id, type, data, rev, seq, created_at, updated_at)
         VALUES ('r1', 'item', '{"name":"kept"}', 1, 1, '2024-01-01T00:00:00.000Z', '2024-01-01T00:00:00.000Z')`,
      ).run();

      migrate(db, workspaceMigrations);
      expect(tables()).toEqual(expect.arrayContaining(aiTables));
      expect(db.pragma('user_version', { simple: true })).toBe(workspaceMigrations.length);
      const ws = new SqliteWorkspaceStore(randomUUID(), db);
      expect((await ws.getRecord('r1'))?.data).toEqual({ name: 'kept' });
      // The new tables work through the store, its commit included.
      const message = {
        id: randomUUID(),
        to: 'client@example.com',
        subject: 'Hello',
        body: 'Hi',
        recordId: 'r1',
        createdBy: randomUUID(),
        createdAt: '2024-03-01T00:00:00.000Z',
        status: 'queued' as const,
        attemptedAt: null,
        error: null,
      };
      await ws.commit([
        {
          event: {
            id: randomUUID(),
            time: message.createdAt,
            actor: { kind: 'system', id: 'system', label: 'test' },
            action: 'outbox.send',
            target: { kind: 'workspace', entityType: null, id: null },
            before: null,
            after: null,
            ip: null,
            userAgent: null,
            requestId: null,
            details: null,
          },
          mutations: [{ kind: 'outbox.put', message }],
        },
      ]);
      expect(await ws.listOutbox(10)).toEqual([message]);
      expect(await ws.listProposals({ limit: 10 })).toEqual([]);
      expect(await ws.usageBetween('2024-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z')).toEqual([]);
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
