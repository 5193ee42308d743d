import { existsSync } from 'node:fs';
import { fillWithDefaultSettings, type RxDocumentData } from 'rxdb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openReplicaDatabase } from './replica-file';
import { getRxStorageSqlcipher } from './sqlcipher-storage';
import {
  asSqlcipher,
  human,
  humanSchema,
  humanSchemaInput,
  openInstance,
  prepared,
  revised,
  stored,
  tempReplica,
  type Human,
} from './test-support';
import type { SqlcipherRxStorage } from './types';

/** What this storage promises beyond RxDB's contract, or more precisely than it. */

const SCHEMA = humanSchema();

let replica: ReturnType<typeof tempReplica>;
let storage: SqlcipherRxStorage;

beforeEach(() => {
  replica = tempReplica();
  storage = getRxStorageSqlcipher({ filePath: replica.filePath, key: replica.key });
});

afterEach(async () => {
  await storage.closeAll();
  replica.dispose();
});

const open = async (databaseName = 'db', collectionName = 'humans', schema = SCHEMA) =>
  asSqlcipher(await openInstance<Human>(storage, databaseName, schema, collectionName));

/** A second connection to the replica, as another process would have. */
function otherConnection() {
  return openReplicaDatabase(replica.filePath, replica.key);
}

describe('connection', () => {
  it('shares one connection, closes it with the last instance, and reopens it for the next', async () => {
    const a = await open('db', 'a');
    const b = await open('db', 'b');
    await a.bulkWrite([{ document: stored(human(1)) }], 'x');
    await a.close();
    await b.bulkWrite([{ document: stored(human(2)) }], 'x');
    expect(existsSync(`${replica.filePath}-wal`)).toBe(true);
    await b.close();
    // Closing the last connection checkpoints the WAL into the file and deletes it.
    expect(existsSync(`${replica.filePath}-wal`)).toBe(false);
    const again = await open('db', 'a');
    expect(await again.findDocumentsById(['h0001'], false)).toHaveLength(1);
  });

  it('refuses a replica written by a newer format', async () => {
    const db = otherConnection();
    db.pragma('user_version = 99');
    db.close();
    await expect(open()).rejects.toThrow(/newer than this app/);
    // A failed open leaves no connection behind.
    expect(existsSync(`${replica.filePath}-wal`)).toBe(false);
  });
});

describe('writes', () => {
  it('emits only after the commit: another connection already sees the rows', async () => {
    const instance = await open();
    const reader = otherConnection();
    try {
      const seen: number[] = [];
      instance.changeStream().subscribe(() => {
        seen.push(
          reader.prepare(`SELECT count(*) AS n FROM ${instance.internals.tableName}`).pluck().get() as number,
        );
      });
      await instance.bulkWrite([{ document: stored(human(1)) }, { document: stored(human(2)) }], 'x');
      expect(seen).toEqual([2]);
    } finally {
      reader.close();
    }
  });

  it('rolls back the whole call and emits nothing when a row cannot be written', async () => {
    const instance = await open();
    let events = 0;
    instance.changeStream().subscribe(() => events++);
    // JSON.stringify throws on a BigInt: the failure comes after the first row was written.
    const broken = { ...stored(human(2)), score: 1n } as unknown as RxDocumentData<Human>;
    await expect(
      instance.bulkWrite([{ document: stored(human(1)) }, { document: broken }], 'x'),
    ).rejects.toThrow();
    expect(events).toBe(0);
    expect(await instance.findDocumentsById(['h0001', 'h0002'], true)).toEqual([]);
  });

  it('lets the later of two inserts of one new id win, like the memory storage', async () => {
    const instance = await open();
    const later = stored({ ...human(1), name: 'Later' });
    const result = await instance.bulkWrite([{ document: stored(human(1)) }, { document: later }], 'x');
    expect(result.error).toEqual([]);
    expect(await instance.findDocumentsById(['h0001'], false)).toEqual([later]);
  });

  it('reaches every instance of the same collection, and remove() ends them all', async () => {
    const a = await open();
    const b = await open();
    const seenByB: string[] = [];
    b.changeStream().subscribe((bulk) => seenByB.push(...bulk.events.map((e) => e.documentId)));
    await a.bulkWrite([{ document: stored(human(1)) }], 'x');
    expect(seenByB).toEqual(['h0001']);
    await a.remove();
    await expect(b.findDocumentsById(['h0001'], true)).rejects.toThrow(/removed/);
    const fresh = await open();
    expect(await fresh.findDocumentsById(['h0001'], true)).toEqual([]);
  });
});

describe('collections', () => {
  it('refuses schemas with attachments, and attachment reads', async () => {
    const schema = { ...SCHEMA, attachments: {} };
    await expect(open('db', 'files', schema)).rejects.toThrow(/attachments/);
    const instance = await open();
    await expect(instance.getAttachmentData('h0001', 'a', 'digest')).rejects.toThrow(/attachments/);
  });

  it('keeps names out of SQL: hostile names work and tables are named by hash', async () => {
    const hostile = `x"; DROP TABLE replica_catalog; --`;
    const instance = await open(hostile, `${hostile}'`);
    await instance.bulkWrite([{ document: stored(human(1)) }], 'x');
    expect(await instance.findDocumentsById(['h0001'], false)).toHaveLength(1);
    const db = otherConnection();
    try {
      const tables = db
        .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`)
        .pluck()
        .all() as string[];
      // The replica format's own tables (and SQLite's AUTOINCREMENT bookkeeping), else hashes only.
      const formatTables = new Set(['replica_catalog', 'replica_pulled_links', 'sqlite_sequence']);
      expect(tables.every((name) => formatTables.has(name) || /^rx_[0-9a-f]{32}$/.test(name))).toBe(true);
      expect(db.prepare('SELECT database_name FROM replica_catalog').pluck().all()).toEqual([hostile]);
    } finally {
      db.close();
    }
  });

  it('rebuilds the keys when the index layout changed without a version bump', async () => {
    const first = await open();
    await first.bulkWrite(
      Array.from({ length: 50 }, (_, i) => ({ document: stored(human(i)) })),
      'x',
    );
    await first.close();
    // Same version, but a wider `age` range: every key of the age indexes changes width.
    const wider = fillWithDefaultSettings<Human>({
      ...humanSchemaInput(),
      properties: {
        ...humanSchemaInput().properties,
        age: { type: 'integer', minimum: 0, maximum: 100_000, multipleOf: 1 },
      },
    });
    const second = await open('db', 'humans', wider);
    const found = await second.query(
      prepared(wider, { selector: { _deleted: false, age: { $gte: 20, $lt: 40 } }, sort: [{ age: 'asc' }] }),
    );
    const want = Array.from({ length: 50 }, (_, i) => human(i))
      .filter((h) => h.age >= 20 && h.age < 40)
      .sort((a, b) => a.age - b.age || (a.id < b.id ? -1 : 1));
    expect(want.length).toBeGreaterThan(5);
    expect(found.documents.map((d) => d.id)).toEqual(want.map((h) => h.id));
  });
});

describe('queries', () => {
  it('names the index when a hint is outside the schema', async () => {
    const instance = await open();
    const query = prepared(SCHEMA, { selector: { name: { $gt: 'A' } }, index: ['name'] });
    await expect(instance.query(query)).rejects.toThrow(/\["name","id"\] is not an index/);
  });
});

describe('count and cleanup', () => {
  it('applies skip and limit to a fast count, as query() would', async () => {
    const instance = await open();
    await instance.bulkWrite(
      Array.from({ length: 30 }, (_, i) => ({ document: stored(human(i)) })),
      'x',
    );
    const all = await instance.count(prepared(SCHEMA, { selector: { _deleted: false } }));
    expect(all).toEqual({ count: 30, mode: 'fast' });
    const cut = await instance.count(
      prepared(SCHEMA, { selector: { _deleted: false }, skip: 25, limit: 10 }),
    );
    expect(cut).toEqual({ count: 5, mode: 'fast' });
  });

  it('purges tombstones in batches and says when some are left', async () => {
    const instance = await open();
    const old = Date.now() - 60_000;
    const docs = Array.from({ length: 5_200 }, (_, i) => stored(human(i), { lwt: old }));
    await instance.bulkWrite(
      docs.map((document) => ({ document })),
      'x',
    );
    await instance.bulkWrite(
      docs.map((doc) => ({ previous: doc, document: revised(doc, {}, { deleted: true, lwt: old + 1 }) })),
      'delete',
    );
    expect(await instance.cleanup(1_000)).toBe(false);
    expect(await instance.cleanup(1_000)).toBe(true);
    expect(await instance.count(prepared(SCHEMA, { selector: {} }))).toEqual({ count: 0, mode: 'fast' });
  });
});
