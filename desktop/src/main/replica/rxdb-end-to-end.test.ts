import { addRxPlugin, createRxDatabase, type RxCollection, type RxDatabase, type RxJsonSchema } from 'rxdb';
import { disableWarnings, RxDBDevModePlugin } from 'rxdb/plugins/dev-mode';
import { wrappedValidateAjvStorage } from 'rxdb/plugins/validate-ajv';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openReplicaDatabase } from './replica-file';
import { getRxStorageSqlcipher } from './sqlcipher-storage';
import { tempReplica } from './test-support';
import type { SqlcipherRxStorage } from './types';

/**
 * The storage under RxDB itself, in dev-mode (which checks what RxDB hands storages and gets
 * back) with a schema validator: a database, a collection, writes, queries, reactive queries and
 * counts, and the data still there after a restart.
 */

disableWarnings();
addRxPlugin(RxDBDevModePlugin);

interface Client {
  id: string;
  name: string;
  status: 'lead' | 'active' | 'archived';
  rank: number;
  notes?: string;
}

const clientSchema: RxJsonSchema<Client> = {
  version: 0,
  primaryKey: 'id',
  type: 'object',
  properties: {
    id: { type: 'string', maxLength: 36 },
    name: { type: 'string', maxLength: 100 },
    status: { type: 'string', enum: ['lead', 'active', 'archived'], maxLength: 10 },
    rank: { type: 'integer', minimum: 0, maximum: 1_000, multipleOf: 1 },
    notes: { type: 'string' },
  },
  required: ['id', 'name', 'status', 'rank'],
  indexes: ['status', 'rank', ['status', 'rank']],
};

type Collections = { clients: RxCollection<Client> };

let replica: ReturnType<typeof tempReplica>;
let storages: SqlcipherRxStorage[];
let databases: RxDatabase<Collections>[];

beforeEach(() => {
  replica = tempReplica();
  storages = [];
  databases = [];
});

afterEach(async () => {
  // RxDB keeps a process-wide registry of open database names: close them even when a test failed.
  for (const db of databases) if (!db.closed) await db.close();
  for (const storage of storages) await storage.closeAll();
  replica.dispose();
});

async function openDatabase(): Promise<RxDatabase<Collections>> {
  const storage = getRxStorageSqlcipher({ filePath: replica.filePath, key: replica.key });
  storages.push(storage);
  const db = await createRxDatabase<Collections>({
    name: 'workspace',
    storage: wrappedValidateAjvStorage({ storage }),
    multiInstance: false,
  });
  databases.push(db);
  await db.addCollections({ clients: { schema: clientSchema } });
  return db;
}

const client = (i: number, status: Client['status'] = 'lead'): Client => ({
  id: `client-${String(i).padStart(3, '0')}`,
  name: `Client ${i}`,
  status,
  rank: (i * 37) % 100,
});

/** Resolves once `check` passes (reactive results arrive asynchronously). */
async function eventually(check: () => void, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}

describe('RxDB over the replica storage', () => {
  it('inserts, queries, updates and deletes documents', async () => {
    const db = await openDatabase();
    const { clients } = db;
    await clients.insert(client(0, 'active'));
    const result = await clients.bulkInsert(
      Array.from({ length: 30 }, (_, i) => client(i + 1, i % 2 ? 'active' : 'lead')),
    );
    expect(result.error).toEqual([]);

    const active = await clients.find({ selector: { status: 'active' }, sort: [{ rank: 'desc' }] }).exec();
    const want = [
      client(0, 'active'),
      ...Array.from({ length: 30 }, (_, i) => client(i + 1, i % 2 ? 'active' : 'lead')),
    ]
      .filter((c) => c.status === 'active')
      .sort((a, b) => b.rank - a.rank || (a.id < b.id ? -1 : 1));
    expect(active.map((doc) => doc.id)).toEqual(want.map((c) => c.id));

    const top = await clients
      .find({ selector: { rank: { $gte: 50 } }, sort: [{ rank: 'asc' }], limit: 3 })
      .exec();
    expect(top.map((doc) => doc.rank)).toEqual([...top.map((doc) => doc.rank)].sort((a, b) => a - b));
    expect(top.every((doc) => doc.rank >= 50)).toBe(true);

    const one = await clients.findOne('client-005').exec(true);
    await one.incrementalPatch({ name: 'Renamed', notes: 'Prefers email' });
    expect((await clients.findOne('client-005').exec(true)).name).toBe('Renamed');

    await (await clients.findOne('client-006').exec(true)).remove();
    expect(await clients.findOne('client-006').exec()).toBeNull();
    // 31 clients, 16 of them active until client-006 (active) was deleted. Counts on an index are
    // SQL counts; one the index cannot answer ($in) would be refused by RxDB as a slow count.
    expect(await clients.count({ selector: { status: 'lead' } }).exec()).toBe(15);
    expect(await clients.count({ selector: { status: 'active' } }).exec()).toBe(15);
    expect(await clients.count({ selector: { status: 'active', rank: { $gte: 50 } } }).exec()).toBe(
      want.filter((c) => c.id !== 'client-006' && c.rank >= 50).length,
    );
  });

  it('keeps reactive queries and counts up to date', async () => {
    const db = await openDatabase();
    const { clients } = db;
    await clients.bulkInsert([client(1), client(2, 'active'), client(3)]);

    let leads: string[] = [];
    let leadCount = -1;
    const subscriptions = [
      clients
        .find({ selector: { status: 'lead' }, sort: [{ rank: 'asc' }] })
        .$.subscribe((docs) => (leads = docs.map((doc) => doc.id))),
      clients.count({ selector: { status: 'lead' } }).$.subscribe((count) => (leadCount = count)),
    ];
    try {
      await eventually(() => expect(new Set(leads)).toEqual(new Set(['client-001', 'client-003'])));
      await eventually(() => expect(leadCount).toBe(2));

      await clients.insert(client(4));
      await eventually(() => expect(leads).toContain('client-004'));
      await eventually(() => expect(leadCount).toBe(3));

      await (await clients.findOne('client-001').exec(true)).incrementalPatch({ status: 'active' });
      await eventually(() => expect(leads).not.toContain('client-001'));
      await eventually(() => expect(leadCount).toBe(2));

      await (await clients.findOne('client-003').exec(true)).remove();
      await eventually(() => expect(leads).toEqual(['client-004']));
    } finally {
      for (const subscription of subscriptions) subscription.unsubscribe();
    }
  });

  it('finds the data again after a restart, with a new storage object on the same file', async () => {
    const first = await openDatabase();
    await first.clients.bulkInsert([client(1), client(2, 'archived')]);
    await first.close();

    const second = await openDatabase();
    const docs = await second.clients.find({ selector: {}, sort: [{ id: 'asc' }] }).exec();
    expect(docs.map((doc) => doc.toJSON())).toEqual([client(1), client(2, 'archived')]);
    await second.close();
  });

  it('drops every table of the database on remove()', async () => {
    const db = await openDatabase();
    await db.clients.insert(client(1));
    await db.remove();
    const raw = openReplicaDatabase(replica.filePath, replica.key);
    try {
      expect(raw.prepare('SELECT count(*) FROM replica_catalog').pluck().get()).toBe(0);
      expect(
        raw
          .prepare(`SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name LIKE 'rx_%'`)
          .pluck()
          .get(),
      ).toBe(0);
    } finally {
      raw.close();
    }
  });
});
