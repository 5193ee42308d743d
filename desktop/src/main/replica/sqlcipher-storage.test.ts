import { existsSync } from 'node:fs';
import { fillWithDefaultSettings, getIndexableStringMonad, type RxDocumentData } from 'rxdb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collectionTableOf, rowValues, rowValuesOfSent, tableNameOf } from './collection-table';
import { encodeIndexKey, indexLayoutOf } from './index-columns';
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

describe('row format', () => {
  // `[_deleted, address.city, id]` padded: the flag, then city and id at their maxLength of 40.
  const PADDED_CITY_KEY = 1 + 40 + 40;

  it('stores what the columns hold once: not in the JSON, and keys without their padding', async () => {
    const instance = await open();
    const doc = { ...stored(human(7)), _meta: { lwt: 1_700_000_000_000.25, other: 'kept' } };
    await instance.bulkWrite([{ document: doc }], 'x');
    const db = otherConnection();
    try {
      const row = db
        .prepare(`SELECT id, deleted, lwt, rev, doc, length(k0) AS k0 FROM ${instance.internals.tableName}`)
        .get() as { id: string; rev: string; lwt: number; doc: string; k0: number };
      expect(row).toMatchObject({ id: 'h0007', rev: doc._rev, lwt: doc._meta.lwt });
      const json = JSON.parse(row.doc) as Record<string, unknown>;
      for (const field of ['id', '_rev', '_deleted', '_attachments']) expect(json).not.toHaveProperty(field);
      expect(json._meta).toEqual({ other: 'kept' });
      // `[_deleted, name, id]`: "0", "Margaret" and its end mark, "h0007" and its end mark.
      expect(row.k0).toBe(1 + 9 + 6);
    } finally {
      db.close();
    }
    expect(await instance.findDocumentsById(['h0007'], false)).toEqual([doc]);
  });

  it('makes the same row of a sent document as of the whole document it stands for', () => {
    const table = collectionTableOf<Human>('rx_test', SCHEMA);
    for (const [i, meta] of [
      [1, {}],
      [2, { pulled: { link: 3, rev: '1-pulled' } }],
    ] as const) {
      const sent = { ...human(i), _deleted: i === 2 };
      const whole = { ...sent, _rev: '1-x', _meta: { ...meta, lwt: 1_700_000_000_000.5 }, _attachments: {} };
      expect(rowValuesOfSent(table, sent, { rev: '1-x', lwt: 1_700_000_000_000.5, meta })).toEqual(
        rowValues(table, whole),
      );
    }
  });

  it('rewrites a replica of the earlier format when it opens: same documents, same answers', async () => {
    // A replica as format 2 left it: whole documents as JSON, keys padded to their full width.
    const db = otherConnection();
    const table = tableNameOf({ databaseName: 'db', collectionName: 'humans', schemaVersion: 0 });
    const indexes = (SCHEMA.indexes ?? []).map((index) => (typeof index === 'string' ? [index] : [...index]));
    const docs = Array.from({ length: 40 }, (_, i) => stored(human(i), { deleted: i === 3 }));
    db.exec(`CREATE TABLE replica_catalog (table_name TEXT PRIMARY KEY NOT NULL, database_name TEXT NOT NULL,
      collection_name TEXT NOT NULL, schema_version INTEGER NOT NULL, index_layout TEXT NOT NULL,
      UNIQUE (database_name, collection_name, schema_version)) STRICT`);
    db.exec(`CREATE TABLE replica_pulled_links (link INTEGER PRIMARY KEY AUTOINCREMENT,
      meta_table TEXT NOT NULL UNIQUE, fork_table TEXT NOT NULL) STRICT`);
    const keys = indexes.map((_, i) => `k${String(i)}`);
    db.exec(`CREATE TABLE ${table} (id TEXT PRIMARY KEY NOT NULL, deleted INTEGER NOT NULL, lwt REAL NOT NULL,
      doc TEXT NOT NULL, ${keys.map((k) => `${k} BLOB NOT NULL`).join(', ')}) STRICT`);
    for (const k of keys) db.exec(`CREATE INDEX ${table}_${k} ON ${table} (${k})`);
    db.prepare('INSERT INTO replica_catalog VALUES (?, ?, ?, ?, ?)').run(
      table,
      'db',
      'humans',
      0,
      indexLayoutOf(SCHEMA),
    );
    db.prepare('INSERT INTO replica_pulled_links (meta_table, fork_table) VALUES (?, ?)').run(
      'rx_meta',
      table,
    );
    const keyFunctions = indexes.map((fields) => getIndexableStringMonad(SCHEMA, fields));
    const insert = db.prepare(`INSERT INTO ${table} VALUES (?, ?, ?, ?, ${keys.map(() => '?').join(', ')})`);
    for (const doc of docs) {
      const padded = keyFunctions.map((keyOf) => encodeIndexKey(keyOf(doc)));
      insert.run(doc.id, doc._deleted ? 1 : 0, doc._meta.lwt, JSON.stringify(doc), ...padded);
    }
    db.pragma('user_version = 2');
    expect(db.prepare(`SELECT max(length(k3)) FROM ${table}`).pluck().get()).toBe(PADDED_CITY_KEY);

    const instance = await open();
    try {
      expect(db.pragma('user_version', { simple: true })).toBe(3);
      // The longest: "Berlin" and an id of five characters, each with its end mark.
      expect(db.prepare(`SELECT max(length(k3)) FROM ${table}`).pluck().get()).toBe(1 + 7 + 6);
      expect(db.prepare('SELECT fork_primary_path FROM replica_pulled_links').pluck().get()).toBe('id');
      expect(db.prepare(`SELECT doc FROM ${table} WHERE id = 'h0001'`).pluck().get()).not.toMatch(/"id"/);
    } finally {
      db.close();
    }
    expect(
      await instance.findDocumentsById(
        docs.map((doc) => doc.id),
        true,
      ),
    ).toEqual(docs);
    const inOslo = await instance.query(
      prepared(SCHEMA, { selector: { _deleted: false, 'address.city': 'Oslo' }, sort: [{ id: 'asc' }] }),
    );
    const want = docs.filter((doc) => !doc._deleted && doc.address.city === 'Oslo').map((doc) => doc.id);
    expect(want.length).toBeGreaterThan(3);
    expect(inOslo.documents.map((doc) => doc.id)).toEqual(want);
  });
});
