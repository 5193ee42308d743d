import type { MangoQuery, RxDocumentData } from 'rxdb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlcipherStorageInstance } from './sqlcipher-instance';
import { getRxStorageSqlcipher } from './sqlcipher-storage';
import {
  asSqlcipher,
  human,
  humanSchema,
  openInstance,
  prepared,
  stored,
  tempReplica,
  type Human,
} from './test-support';

/**
 * The queries RxDB sends must be index range scans: SQLite's own plan for the SQL the query
 * runner builds says SEARCH … USING INDEX, never a full SCAN of the collection's table.
 */

const SCHEMA = humanSchema();
const DOCS = 2_000;

const replica = tempReplica();
const storage = getRxStorageSqlcipher({ filePath: replica.filePath, key: replica.key });
let instance: SqlcipherStorageInstance<Human>;

beforeAll(async () => {
  instance = asSqlcipher(await openInstance<Human>(storage, 'plans', SCHEMA));
  await instance.bulkWrite(
    Array.from({ length: DOCS }, (_, i) => ({ document: stored(human(i)) })),
    'seed',
  );
});

afterAll(async () => {
  await storage.closeAll();
  replica.dispose();
});

const query = (q: MangoQuery<RxDocumentData<Human>>) => prepared(SCHEMA, q);

function expectIndexSearch(plan: string[], table: string): void {
  expect(plan.join('\n')).toMatch(/SEARCH \S+ USING (COVERING )?INDEX/);
  // A full scan reads as "SCAN <table>" with no index; "SCAN … USING INDEX" would still be a
  // full pass over an index, so any SCAN of the table fails the test.
  for (const line of plan) expect(line).not.toMatch(new RegExp(`^SCAN ${table}\\b`));
}

describe('query plans', () => {
  it('runs an indexed range query as an index search, limit and offset in SQL', () => {
    const explained = instance.explain(
      query({ selector: { _deleted: false, age: { $gte: 20, $lt: 30 } }, sort: [{ age: 'asc' }], limit: 10 }),
    );
    expect(explained.strategy).toBe('range-limit');
    expect(explained.sql).toMatch(/LIMIT \? OFFSET \?/);
    expectIndexSearch(explained.plan, instance.internals.tableName);
  });

  it('runs an equality on a nested indexed field as an index search', () => {
    const explained = instance.explain(query({ selector: { _deleted: false, 'address.city': 'Lima' } }));
    expectIndexSearch(explained.plan, instance.internals.tableName);
  });

  it('reads the range in index order when only the sort is satisfied', () => {
    const explained = instance.explain(
      query({ selector: { _deleted: false, age: { $gt: 10 }, score: { $lt: 50 } }, sort: [{ age: 'asc' }] }),
    );
    expect(explained.strategy).toBe('ordered-range-scan');
    expectIndexSearch(explained.plan, instance.internals.tableName);
    // The order comes from the index: no sorting step.
    expect(explained.plan.join('\n')).not.toMatch(/TEMP B-TREE/);
  });

  it('still searches the index when the result must be sorted in memory', () => {
    const explained = instance.explain(
      query({ selector: { _deleted: false, age: { $lt: 5 } }, sort: [{ score: 'desc' }] }),
    );
    expect(explained.strategy).toBe('range-filter-sort');
    expectIndexSearch(explained.plan, instance.internals.tableName);
  });

  it('counts an index range with a SQL COUNT over the index', async () => {
    const q = query({ selector: { _deleted: false, age: { $gte: 20, $lt: 30 } } });
    const explained = instance.explain(q, 'count');
    expect(explained.strategy).toBe('range-count');
    expect(explained.sql).toMatch(/^SELECT count\(\*\)/);
    expectIndexSearch(explained.plan, instance.internals.tableName);
    const counted = await instance.count(q);
    expect(counted.mode).toBe('fast');
    expect(counted.count).toBe(
      Array.from({ length: DOCS }, (_, i) => human(i)).filter((h) => h.age >= 20 && h.age < 30).length,
    );
  });

  it('answers a count the index cannot answer alone as slow', async () => {
    const counted = await instance.count(query({ selector: { _deleted: false, score: { $lt: 10 } } }));
    expect(counted.mode).toBe('slow');
  });

  it('pages the changes feed through the (lwt, id) index', () => {
    const table = instance.internals.tableName;
    expectIndexSearch(instance.explainChangedDocumentsSince({ id: 'h0100', lwt: 1 }), table);
    // Without a checkpoint it is a walk of the whole index in order, which is the point.
    expect(instance.explainChangedDocumentsSince().join('\n')).toMatch(/USING INDEX \S+_k\d+/);
  });
});
