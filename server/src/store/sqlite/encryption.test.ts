import { randomBytes, randomUUID } from 'node:crypto';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import type { WorkspaceRecord, WorkspaceSchema } from '@enclave/shared';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventHash } from '../../audit/chain';
import { verifyChain } from '../../audit/verify';
import { deriveKey, loadMasterKey, unwrapKey } from '../../crypto/keys';
import type { PendingChange, WorkspaceStore } from '../types';
import { EmbeddedStore, workspaceDbPath } from './embedded-store';

const NOW = '2030-05-01T10:00:00.000Z';
const RECORDS = 200;

const SCHEMA: WorkspaceSchema = {
  version: 1,
  entityTypes: [
    {
      key: 'client',
      label: 'Client',
      pluralLabel: 'Clients',
      titleField: 'name',
      fields: [
        { key: 'name', label: 'Name', type: 'text', required: true, indexed: true, sensitivity: 'normal' },
        {
          key: 'notes',
          label: 'Notes',
          type: 'longText',
          required: false,
          indexed: false,
          sensitivity: 'pii',
        },
      ],
    },
  ],
};

function recordChange(record: Omit<WorkspaceRecord, 'seq'>, expectedRev: number | null): PendingChange {
  return {
    event: {
      id: randomUUID(),
      time: NOW,
      actor: { kind: 'user', id: 'owner', label: 'owner@example.com' },
      action: expectedRev === null ? 'record.create' : 'record.update',
      target: { kind: 'record', entityType: record.type, id: record.id },
      before: null,
      after: record,
      ip: null,
      userAgent: null,
      requestId: null,
      details: null,
    },
    mutations: [{ kind: 'record.put', record, expectedRev }],
  };
}

function client(id: string, name: string, notes: string): Omit<WorkspaceRecord, 'seq'> {
  return {
    id,
    type: 'client',
    data: { name, notes },
    rev: 1,
    createdAt: NOW,
    updatedAt: NOW,
    deletedAt: null,
  };
}

/** Every file under `dir`, with the directories met on the way. */
function walk(dir: string): { files: string[]; dirs: string[] } {
  const out = { files: [] as string[], dirs: [dir] };
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      const inner = walk(path);
      out.files.push(...inner.files);
      out.dirs.push(...inner.dirs);
    } else {
      out.files.push(path);
    }
  }
  return out;
}

const mode = (path: string) => statSync(path).mode & 0o777;

/** Opens a database file directly, as someone holding the file (and perhaps a key) could. */
function openRaw(path: string, key: Buffer | null): Database.Database {
  const db = new Database(path, { fileMustExist: true });
  if (key) {
    db.pragma(`cipher='sqlcipher'`);
    db.pragma('legacy=4');
    db.pragma(`key="x'${key.toString('hex')}'"`);
  }
  return db;
}

/** Reading the schema is the first thing that touches a page: a wrong key fails right there. */
const readSchema = (db: Database.Database) => db.prepare('SELECT count(*) AS n FROM sqlite_master').get();

describe('encryption at rest in the embedded store', () => {
  let root: string;
  let dataDir: string;
  let master: Buffer;
  let store: EmbeddedStore | null;
  const marker = `PLAINTEXT-MARKER-${randomBytes(8).toString('hex')}`;
  const email = `marker-${randomBytes(6).toString('hex')}@example.org`;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'enclave-at-rest-'));
    dataDir = join(root, 'data');
    master = randomBytes(32);
    store = null;
  });

  afterEach(async () => {
    await store?.close();
    rmSync(root, { recursive: true, force: true });
  });

  function openStore(key = master): EmbeddedStore {
    store = new EmbeddedStore(dataDir, key, { cacheKiB: 1024 });
    return store;
  }

  async function closeStore(): Promise<void> {
    await store?.close();
    store = null;
  }

  /** A user, and a workspace whose records, audit snapshots, name and member all carry the marker. */
  async function populate(s: EmbeddedStore): Promise<WorkspaceStore> {
    const userId = randomUUID();
    expect(
      await s.control.createUser({
        id: userId,
        email,
        name: `Owner ${marker}`,
        passwordHash: 'hash',
        emailVerifiedAt: NOW,
        instanceAdmin: false,
        createdAt: NOW,
      }),
    ).toBe(true);
    const ws = await s.createWorkspace({
      id: randomUUID(),
      name: `Workspace ${marker}`,
      createdAt: NOW,
      createdBy: userId,
    });
    await ws.commit([
      {
        event: {
          id: randomUUID(),
          time: NOW,
          actor: { kind: 'user', id: userId, label: email },
          action: 'workspace.create',
          target: { kind: 'workspace', entityType: null, id: ws.workspaceId },
          before: null,
          after: { name: `Workspace ${marker}` },
          ip: null,
          userAgent: null,
          requestId: null,
          details: null,
        },
        mutations: [
          { kind: 'schema.put', schema: SCHEMA },
          { kind: 'meta.put', key: 'name', value: `Workspace ${marker}` },
          { kind: 'member.put', member: { userId, email, name: 'Owner', roles: ['owner'], joinedAt: NOW } },
        ],
      },
    ]);
    for (let i = 0; i < RECORDS; i += 50) {
      await ws.commit(
        Array.from({ length: 50 }, (_, j) =>
          recordChange(client(`c${i + j}`, `Client ${marker} ${i + j}`, `${marker} `.repeat(20)), null),
        ),
      );
    }
    return ws;
  }

  function filesHolding(needle: string): string[] {
    const bytes = Buffer.from(needle, 'utf8');
    return walk(dataDir).files.filter((f) => readFileSync(f).includes(bytes));
  }

  it('finds the plaintext in an unencrypted SQLite file, so the search below means something', () => {
    const plain = new Database(join(root, 'plain.db'));
    plain.exec('CREATE TABLE t (v TEXT)');
    plain.prepare('INSERT INTO t VALUES (?)').run(`Client ${marker}`);
    plain.close();
    expect(readFileSync(join(root, 'plain.db')).includes(Buffer.from(marker))).toBe(true);
  });

  it('writes no plaintext to any file in the data directory, WAL included', async () => {
    const s = openStore();
    const ws = await populate(s);
    // While open, the recent writes sit in the write-ahead log: it must be encrypted too.
    const wal = walk(dataDir).files.filter((f) => f.endsWith('-wal') && statSync(f).size > 0);
    expect(wal).toContain(`${workspaceDbPath(dataDir, ws.workspaceId)}-wal`);
    expect(filesHolding(marker)).toEqual([]);
    expect(filesHolding(email)).toEqual([]);

    // Closing folds the WAL into the database files.
    await closeStore();
    expect(walk(dataDir).files.some((f) => f.endsWith('.db') && statSync(f).size > 100_000)).toBe(true);
    expect(filesHolding(marker)).toEqual([]);
    expect(filesHolding(email)).toEqual([]);

    // The data is all there for the right master key.
    const reopened = await openStore().workspace(ws.workspaceId);
    expect(await reopened?.recordsChangedSince(0, RECORDS + 1)).toHaveLength(RECORDS);
    expect((await reopened?.getRecord('c7'))?.data.name).toBe(`Client ${marker} 7`);
    expect(await store?.control.getUserByEmail(email)).toMatchObject({ email });
    expect(await verifyChain(reopened as WorkspaceStore)).toMatchObject({ ok: true, headSeq: 1 + RECORDS });
  });

  it('opens a workspace file with its own unwrapped key only', async () => {
    const s = openStore();
    const ws = await populate(s);
    const other = await s.createWorkspace({
      id: randomUUID(),
      name: 'Other',
      createdAt: NOW,
      createdBy: 'u',
    });
    const wrapping = deriveKey(master, 'workspace-key-wrap');
    const wrappedOf = async (id: string) => (await s.control.getWorkspace(id))?.wrappedKey ?? '';
    const key = unwrapKey(wrapping, await wrappedOf(ws.workspaceId), ws.workspaceId);
    const otherKey = unwrapKey(wrapping, await wrappedOf(other.workspaceId), other.workspaceId);
    await closeStore();
    const path = workspaceDbPath(dataDir, ws.workspaceId);

    for (const wrong of [null, randomBytes(32), otherKey, deriveKey(master, 'control-db'), master]) {
      const db = openRaw(path, wrong);
      try {
        expect(() => readSchema(db)).toThrow(/not a database/);
      } finally {
        db.close();
      }
    }

    const db = openRaw(path, key);
    try {
      const row = db.prepare<[string], { data: string }>('SELECT data FROM records WHERE id = ?').get('c3');
      expect(JSON.parse(row?.data ?? '{}')).toMatchObject({ name: `Client ${marker} 3` });
    } finally {
      db.close();
    }
  });

  it('opens the control database with its derived key only', async () => {
    await populate(openStore());
    await closeStore();
    const path = join(dataDir, 'control.db');
    for (const wrong of [null, randomBytes(32), master]) {
      const db = openRaw(path, wrong);
      try {
        expect(() => readSchema(db)).toThrow(/not a database/);
      } finally {
        db.close();
      }
    }
    const db = openRaw(path, deriveKey(master, 'control-db'));
    try {
      expect(db.prepare('SELECT email FROM users').all()).toEqual([{ email }]);
    } finally {
      db.close();
    }
  });

  it('opens nothing under another master key', async () => {
    const s = openStore();
    const ws = await populate(s);
    const wrapped = (await s.control.getWorkspace(ws.workspaceId))?.wrappedKey ?? '';
    await closeStore();

    const otherMaster = randomBytes(32);
    expect(() => openStore(otherMaster)).toThrow(/the master key does not open/);
    // Even with the control database in hand, the wrapped key does not open under another master key...
    expect(() => unwrapKey(deriveKey(otherMaster, 'workspace-key-wrap'), wrapped, ws.workspaceId)).toThrow();
    // ...nor when copied onto another workspace: the workspace id is bound into the wrapping.
    expect(() => unwrapKey(deriveKey(master, 'workspace-key-wrap'), wrapped, randomUUID())).toThrow();
    expect(unwrapKey(deriveKey(master, 'workspace-key-wrap'), wrapped, ws.workspaceId)).toHaveLength(32);
  });

  it('keeps files 0600 and directories 0700, tightening a data directory made too open', async () => {
    mkdirSync(dataDir);
    chmodSync(dataDir, 0o755);
    const ws = await populate(openStore());
    const open = walk(dataDir);
    // The check covers the live WAL and shared-memory companions, not just the main files.
    expect(open.files).toEqual(
      expect.arrayContaining([
        join(dataDir, 'control.db'),
        `${workspaceDbPath(dataDir, ws.workspaceId)}-wal`,
        `${workspaceDbPath(dataDir, ws.workspaceId)}-shm`,
      ]),
    );
    for (const file of open.files) expect([file, mode(file).toString(8)]).toEqual([file, '600']);
    for (const dir of open.dirs) expect([dir, mode(dir).toString(8)]).toEqual([dir, '700']);

    await closeStore();
    await openStore().workspace(ws.workspaceId);
    for (const file of walk(dataDir).files) expect([file, mode(file).toString(8)]).toEqual([file, '600']);
  });

  describe('the master key file', () => {
    it('is created 0600 with 256 random bits, and loads back the same', () => {
      const path = join(root, 'keys', 'master.key');
      const created = loadMasterKey(path, { create: true, dataExists: false });
      expect(created).toHaveLength(32);
      expect(mode(path)).toBe(0o600);
      expect(readFileSync(path, 'utf8').trim()).toBe(created.toString('hex'));
      expect(loadMasterKey(path, { create: false, dataExists: false }).equals(created)).toBe(true);
      expect(
        loadMasterKey(join(root, 'keys2', 'master.key'), { create: true, dataExists: false }).equals(created),
      ).toBe(false);
    });

    it.each([0o644, 0o640, 0o604, 0o660, 0o666])('is refused when its mode is %o', (fileMode) => {
      const path = join(root, 'master.key');
      writeFileSync(path, randomBytes(32).toString('hex'));
      chmodSync(path, fileMode);
      expect(() => loadMasterKey(path, { create: false, dataExists: false })).toThrow(
        /must not be readable by group or others/,
      );
    });

    it('is accepted owner-only, and refused when missing or malformed', () => {
      const path = join(root, 'master.key');
      const key = randomBytes(32);
      writeFileSync(path, key.toString('hex') + '\n');
      chmodSync(path, 0o400);
      expect(loadMasterKey(path, { create: false, dataExists: false }).equals(key)).toBe(true);
      chmodSync(path, 0o600);
      writeFileSync(path, 'not hex at all');
      expect(() => loadMasterKey(path, { create: false, dataExists: false })).toThrow(/64 hex characters/);
      expect(() => loadMasterKey(join(root, 'absent.key'), { create: false, dataExists: false })).toThrow(
        /not found/,
      );
    });
  });

  describe('the audit log below the application', () => {
    /** A populated workspace, closed, and its file opened directly with its key. */
    async function openWithKey(): Promise<{ db: Database.Database; workspaceId: string; lastSeq: number }> {
      const s = openStore();
      const ws = await populate(s);
      const wrapped = (await s.control.getWorkspace(ws.workspaceId))?.wrappedKey ?? '';
      const { seq } = await ws.head();
      await closeStore();
      const key = unwrapKey(deriveKey(master, 'workspace-key-wrap'), wrapped, ws.workspaceId);
      return {
        db: openRaw(workspaceDbPath(dataDir, ws.workspaceId), key),
        workspaceId: ws.workspaceId,
        lastSeq: seq,
      };
    }

    async function verifyAfter(workspaceId: string) {
      const ws = await openStore().workspace(workspaceId);
      return verifyChain(ws as WorkspaceStore);
    }

    const rowOf = (db: Database.Database, seq: number) =>
      db.prepare('SELECT * FROM audit_events WHERE seq = ?').get(seq) as Record<string, unknown>;

    it('refuses UPDATE and DELETE even to a holder of the key', async () => {
      const { db, workspaceId, lastSeq } = await openWithKey();
      try {
        const before = rowOf(db, 3);
        expect(() => db.prepare(`UPDATE audit_events SET action = 'forged' WHERE seq = 3`).run()).toThrow(
          /append-only/,
        );
        expect(() => db.prepare(`UPDATE audit_events SET after = NULL`).run()).toThrow(/append-only/);
        expect(() => db.prepare(`DELETE FROM audit_events WHERE seq = ?`).run(lastSeq)).toThrow(
          /append-only/,
        );
        expect(() => db.prepare(`DELETE FROM audit_events`).run()).toThrow(/append-only/);
        expect(rowOf(db, 3)).toEqual(before);
        expect(db.prepare('SELECT count(*) AS n FROM audit_events').get()).toEqual({ n: lastSeq });
      } finally {
        db.close();
      }
      expect(await verifyAfter(workspaceId)).toMatchObject({ ok: true, checked: lastSeq });
    });

    it('reports a rewritten event once the guard is dropped', async () => {
      const { db, workspaceId } = await openWithKey();
      try {
        db.exec('DROP TRIGGER audit_events_no_update');
        const changed = db
          .prepare(`UPDATE audit_events SET after = json_set(after, '$.data.name', 'forged') WHERE seq = 5`)
          .run();
        expect(changed.changes).toBe(1);
      } finally {
        db.close();
      }
      expect(await verifyAfter(workspaceId)).toMatchObject({
        ok: false,
        checked: 4,
        firstBroken: { seq: 5, reason: 'hash_mismatch' },
      });
    });

    it('reports a rewritten event even when its own hash is recomputed', async () => {
      const { db, workspaceId } = await openWithKey();
      try {
        db.exec('DROP TRIGGER audit_events_no_update');
        db.prepare(
          `UPDATE audit_events SET after = json_set(after, '$.data.name', 'forged') WHERE seq = 5`,
        ).run();
        const s = openStore();
        const ws = await s.workspace(workspaceId);
        const forged = (await ws?.auditEventsFrom(5, 1))?.[0];
        await closeStore();
        if (!forged) throw new Error('event 5 missing');
        const { hash: _hash, prevHash, ...content } = forged;
        db.prepare('UPDATE audit_events SET hash = ? WHERE seq = 5').run(eventHash(prevHash, content));
      } finally {
        db.close();
      }
      expect(await verifyAfter(workspaceId)).toMatchObject({
        ok: false,
        firstBroken: { seq: 6, reason: 'prev_hash_mismatch' },
      });
    });

    it('reports a deleted last event', async () => {
      const { db, workspaceId, lastSeq } = await openWithKey();
      try {
        db.exec('DROP TRIGGER audit_events_no_delete');
        expect(db.prepare('DELETE FROM audit_events WHERE seq = ?').run(lastSeq).changes).toBe(1);
      } finally {
        db.close();
      }
      const result = await verifyAfter(workspaceId);
      expect(result.ok).toBe(false);
      expect(['head_mismatch', 'sequence_gap']).toContain(result.firstBroken?.reason);
      expect(result.firstBroken?.seq).toBe(lastSeq);
    });

    it('reports a deleted event in the middle', async () => {
      const { db, workspaceId } = await openWithKey();
      try {
        db.exec('DROP TRIGGER audit_events_no_delete');
        db.prepare('DELETE FROM audit_events WHERE seq = 10').run();
      } finally {
        db.close();
      }
      expect(await verifyAfter(workspaceId)).toMatchObject({
        ok: false,
        firstBroken: { seq: 10, reason: 'sequence_gap' },
      });
    });
  });
});
