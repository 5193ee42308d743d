import fc from 'fast-check';
import {
  now,
  randomToken,
  type EventBulk,
  type MangoQuery,
  type MangoQuerySelector,
  type RxDocumentData,
  type RxStorageChangeEvent,
  type RxStorageDefaultCheckpoint,
} from 'rxdb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  attempt,
  changesSince,
  human,
  humanSchema,
  openInstance,
  petSchema,
  prepared,
  revised,
  stored,
  type AnyInstance,
  type AnyRxStorage,
  type Human,
  type Pet,
} from './test-support';

/**
 * RxDB's `RxStorage` contract as a suite, written against the interface only, so that any
 * storage can run it: ours runs it, and so does RxDB's memory storage as the reference — a test
 * that the memory storage fails is a test of the wrong thing.
 *
 * Expected results are written out in plain JavaScript (filters and sorts over the fixture), not
 * taken from another storage; only the property-based test compares with a reference storage.
 */

export interface StorageUnderTest {
  readonly storage: AnyRxStorage;
  /** After each test, once the suite has closed its instances: release files, connections. */
  dispose(): Promise<void>;
}

export interface ConformanceOptions {
  /** The storage random queries are compared against (RxDB's memory storage). */
  reference: () => AnyRxStorage;
  /** Property-based runs (each a fresh collection pair with random data and queries). */
  propertyRuns?: number;
  /**
   * Whether calls on a closed or removed instance are refused. The contract says a closed
   * instance "cannot be used anymore" but not that it must throw, and RxDB's memory storage
   * keeps answering (its state outlives instances so that a reopen finds it), so this is checked
   * only where the storage promises it.
   */
  refusesCallsAfterClose: boolean;
}

type Doc = RxDocumentData<Human>;
type ChangeBulk = EventBulk<RxStorageChangeEvent<Doc>, RxStorageDefaultCheckpoint>;
type SortSpec = [path: string, direction: 'asc' | 'desc'][];

const SCHEMA = humanSchema();
const FIXTURE_SIZE = 60;

function valueAt(doc: object, path: string): unknown {
  let value: unknown = doc;
  for (const key of path.split('.')) value = (value as Record<string, unknown> | undefined)?.[key];
  return value;
}

function compareValues(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (typeof a === 'boolean' && typeof b === 'boolean') return a ? 1 : -1;
  return (a as number | string) < (b as number | string) ? -1 : 1;
}

/** What a query must return, computed without any storage: filter, sort (id last), skip, limit. */
function expectedIds(
  docs: readonly Doc[],
  matches: (doc: Doc) => boolean,
  sort: SortSpec,
  skip = 0,
  limit = Infinity,
): string[] {
  const order: SortSpec = [...sort, ['id', 'asc']];
  return docs
    .filter(matches)
    .sort((a, b) => {
      for (const [path, direction] of order) {
        const result = compareValues(valueAt(a, path), valueAt(b, path));
        if (result !== 0) return direction === 'asc' ? result : -result;
      }
      return 0;
    })
    .slice(skip, skip + limit)
    .map((doc) => doc.id);
}

const ids = (docs: readonly { id: string }[]): string[] => docs.map((doc) => doc.id);

export function describeRxStorageConformance(
  name: string,
  open: () => StorageUnderTest | Promise<StorageUnderTest>,
  options: ConformanceOptions,
): void {
  describe(`RxStorage conformance: ${name}`, () => {
    let subject: StorageUnderTest;
    let opened: { close(): Promise<void> }[] = [];
    // Unique per test: RxDB's memory storage keeps collections in a process-wide map.
    let databaseName: string;

    beforeEach(async () => {
      subject = await open();
      opened = [];
      databaseName = `conformance${randomToken(8)}`;
    });

    afterEach(async () => {
      for (const instance of opened) await attempt(() => instance.close()).catch(() => undefined);
      await subject.dispose();
    });

    async function humans(collectionName = 'humans', version = 0): Promise<AnyInstance<Human>> {
      const schema = version === 0 ? SCHEMA : humanSchema(version);
      const instance = await openInstance<Human>(subject.storage, databaseName, schema, collectionName);
      opened.push(instance);
      return instance;
    }

    async function insert(instance: AnyInstance<Human>, docs: Doc[]): Promise<void> {
      const result = await instance.bulkWrite(
        docs.map((document) => ({ document })),
        'conformance-insert',
      );
      expect(result.error).toEqual([]);
    }

    /** The fixture, with two tombstones that queries must see only when they ask for them. */
    async function withFixture(): Promise<{ instance: AnyInstance<Human>; docs: Doc[] }> {
      const instance = await humans();
      const docs = Array.from({ length: FIXTURE_SIZE }, (_, i) => stored(human(i)));
      docs.push(
        stored(human(FIXTURE_SIZE), { deleted: true }),
        stored(human(FIXTURE_SIZE + 1), { deleted: true }),
      );
      await insert(instance, docs);
      return { instance, docs };
    }

    describe('bulkWrite', () => {
      it('inserts documents and finds them by id', async () => {
        const instance = await humans();
        const docs = [stored(human(1)), stored(human(2))];
        await insert(instance, docs);
        expect(await instance.findDocumentsById(['h0002', 'h0001'], false)).toEqual([docs[1], docs[0]]);
      });

      it('updates a document given the current revision as previous', async () => {
        const instance = await humans();
        const first = stored(human(1));
        await insert(instance, [first]);
        const second = revised(first, { name: 'Renamed' });
        const result = await instance.bulkWrite([{ previous: first, document: second }], 'update');
        expect(result.error).toEqual([]);
        expect(await instance.findDocumentsById(['h0001'], false)).toEqual([second]);
      });

      it('refuses a wrong previous revision with 409 and the document in the database', async () => {
        const instance = await humans();
        const first = stored(human(1));
        await insert(instance, [first]);
        const stale = { ...first, _rev: '1-stale' };
        const result = await instance.bulkWrite(
          [{ previous: stale, document: revised(stale, { name: 'Lost' }) }],
          'update',
        );
        expect(result.error).toHaveLength(1);
        expect(result.error[0]).toMatchObject({ status: 409, documentId: 'h0001', documentInDb: first });
        expect(await instance.findDocumentsById(['h0001'], false)).toEqual([first]);
      });

      it('refuses a write without previous (an insert) of an existing id with 409', async () => {
        const instance = await humans();
        const first = stored(human(1));
        await insert(instance, [first]);
        const result = await instance.bulkWrite(
          [{ document: stored({ ...human(1), name: 'Again' }) }],
          'insert',
        );
        expect(result.error).toHaveLength(1);
        expect(result.error[0]).toMatchObject({ status: 409, documentId: 'h0001', documentInDb: first });
        expect(await instance.findDocumentsById(['h0001'], false)).toEqual([first]);
      });

      it('applies the rows that succeed and reports the others, in one call', async () => {
        const instance = await humans();
        const a = stored(human(1));
        const b = stored(human(2));
        await insert(instance, [a, b]);
        const aNext = revised(a, { age: 99 });
        const c = stored(human(3));
        const result = await instance.bulkWrite(
          [
            { previous: a, document: aNext },
            { previous: { ...b, _rev: '9-wrong' }, document: revised(b, { age: 1 }) },
            { document: c },
            { document: stored(human(1)) },
          ],
          'mixed',
        );
        expect(result.error.map((error) => [error.documentId, error.status])).toEqual([
          ['h0002', 409],
          ['h0001', 409],
        ]);
        const found = await instance.findDocumentsById(['h0001', 'h0002', 'h0003'], false);
        expect(found).toEqual([aNext, b, c]);
      });

      it('accepts an empty batch', async () => {
        const instance = await humans();
        expect((await instance.bulkWrite([], 'empty')).error).toEqual([]);
      });
    });

    describe('findDocumentsById', () => {
      it('leaves deleted documents out unless asked for them, and skips unknown ids', async () => {
        const instance = await humans();
        const live = stored(human(1));
        const dead = stored(human(2));
        await insert(instance, [live, dead]);
        const deleted = revised(dead, {}, { deleted: true });
        await instance.bulkWrite([{ previous: dead, document: deleted }], 'delete');
        expect(await instance.findDocumentsById(['h0001', 'h0002', 'nope'], false)).toEqual([live]);
        expect(await instance.findDocumentsById(['h0001', 'h0002', 'nope'], true)).toEqual([live, deleted]);
        expect(await instance.findDocumentsById([], true)).toEqual([]);
      });
    });

    describe('query', () => {
      const notDeleted = { _deleted: { $eq: false } };
      const cases: {
        name: string;
        selector: MangoQuerySelector<Doc>;
        matches: (doc: Doc) => boolean;
        sort?: SortSpec;
        skip?: number;
        limit?: number;
      }[] = [
        { name: '$eq on an indexed field', selector: { name: 'Grace' }, matches: (d) => d.name === 'Grace' },
        {
          name: '$eq on a non-indexed field',
          selector: { score: { $eq: human(7).score } },
          matches: (d) => d.score === human(7).score,
        },
        {
          name: '$gte/$lt on an indexed field',
          selector: { age: { $gte: 20, $lt: 40 } },
          matches: (d) => d.age >= 20 && d.age < 40,
        },
        {
          name: '$gt/$lte on an indexed field',
          selector: { age: { $gt: 20, $lte: 40 } },
          matches: (d) => d.age > 20 && d.age <= 40,
        },
        {
          name: '$gt/$lte on a non-indexed field',
          selector: { score: { $gt: 10, $lte: 50 } },
          matches: (d) => d.score > 10 && d.score <= 50,
        },
        {
          name: '$lt on a string index',
          selector: { name: { $lt: 'E' } },
          matches: (d) => d.name < 'E',
        },
        {
          name: '$in on an indexed nested field',
          selector: { 'address.city': { $in: ['Lima', 'Oslo'] } },
          matches: (d) => ['Lima', 'Oslo'].includes(d.address.city),
        },
        {
          name: '$in on a non-indexed field',
          selector: { 'address.zip': { $in: ['10000', '10013'] } },
          matches: (d) => ['10000', '10013'].includes(d.address.zip),
        },
        { name: '$ne on a boolean', selector: { active: { $ne: true } }, matches: (d) => !d.active },
        { name: '$ne on a string', selector: { name: { $ne: 'Ada' } }, matches: (d) => d.name !== 'Ada' },
        {
          name: '$regex',
          selector: { name: { $regex: '^(Al|Ba)' } },
          matches: (d) => /^(Al|Ba)/.test(d.name),
        },
        {
          name: 'nested non-indexed field',
          selector: { 'address.zip': '10026' },
          matches: (d) => d.address.zip === '10026',
        },
        {
          name: '$or',
          selector: { $or: [{ age: { $lt: 10 } }, { 'address.city': 'Perth' }] },
          matches: (d) => d.age < 10 || d.address.city === 'Perth',
        },
        {
          name: 'compound index (active, age)',
          selector: { active: true, age: { $gt: 30 } },
          matches: (d) => d.active && d.age > 30,
        },
        {
          name: 'array field',
          selector: { tags: { $in: ['prime-ish'] } },
          matches: (d) => d.tags.includes('prime-ish'),
        },
        { name: 'sort asc on an indexed field', selector: {}, matches: () => true, sort: [['age', 'asc']] },
        { name: 'sort desc on an indexed field', selector: {}, matches: () => true, sort: [['age', 'desc']] },
        {
          name: 'sort asc on a non-indexed field',
          selector: {},
          matches: () => true,
          sort: [['score', 'asc']],
        },
        {
          name: 'sort desc on a non-indexed field',
          selector: {},
          matches: () => true,
          sort: [['score', 'desc']],
        },
        {
          name: 'sort on two fields',
          selector: { age: { $gt: 5 } },
          matches: (d) => d.age > 5,
          sort: [
            ['active', 'asc'],
            ['age', 'desc'],
          ],
        },
        {
          name: 'skip and limit over an index range (all in SQL)',
          selector: { age: { $gte: 10 } },
          matches: (d) => d.age >= 10,
          sort: [['age', 'asc']],
          skip: 5,
          limit: 10,
        },
        {
          name: 'skip and limit with a filter on the ordered range',
          selector: { age: { $gt: 10 }, score: { $lt: 50 } },
          matches: (d) => d.age > 10 && d.score < 50,
          sort: [['age', 'asc']],
          skip: 2,
          limit: 5,
        },
        {
          name: 'skip and limit after an in-memory sort',
          selector: {},
          matches: () => true,
          sort: [['score', 'desc']],
          skip: 3,
          limit: 4,
        },
        {
          name: 'limit 0',
          selector: {},
          matches: () => true,
          sort: [['age', 'asc']],
          limit: 0,
        },
        {
          name: 'skip beyond the end',
          selector: { name: 'Ken' },
          matches: (d) => d.name === 'Ken',
          skip: 1_000,
        },
      ];

      for (const testCase of cases) {
        it(testCase.name, async () => {
          const { instance, docs } = await withFixture();
          const sort = testCase.sort ?? [];
          const query: MangoQuery<Doc> = {
            selector: { ...notDeleted, ...testCase.selector },
            sort: sort.map(([path, direction]) => ({ [path]: direction })),
            skip: testCase.skip,
            limit: testCase.limit,
          };
          if (sort.length === 0) delete query.sort;
          const result = await instance.query(prepared(SCHEMA, query));
          const want = expectedIds(
            docs,
            (d) => !d._deleted && testCase.matches(d),
            sort,
            testCase.skip,
            testCase.limit,
          );
          if (sort.length === 0) {
            // Without a sort, RxDB picks the order (an index's); only the set is specified.
            expect(ids(result.documents).sort()).toEqual([...want].sort());
          } else {
            expect(ids(result.documents)).toEqual(want);
          }
        });
      }

      it('returns deleted documents to a selector that does not exclude them', async () => {
        const { instance, docs } = await withFixture();
        const result = await instance.query(prepared(SCHEMA, { selector: {}, sort: [{ id: 'asc' }] }));
        expect(ids(result.documents)).toEqual(expectedIds(docs, () => true, []));
        expect(result.documents.filter((doc) => doc._deleted)).toHaveLength(2);
      });

      it('follows an index hint from the schema', async () => {
        const { instance, docs } = await withFixture();
        const result = await instance.query(
          prepared(SCHEMA, { selector: { _deleted: false, age: { $lt: 30 } }, index: ['_deleted', 'age'] }),
        );
        expect(ids(result.documents)).toEqual(
          expectedIds(docs, (d) => !d._deleted && d.age < 30, [
            ['_deleted', 'asc'],
            ['age', 'asc'],
          ]),
        );
      });

      it('refuses an index hint outside the schema', async () => {
        const { instance } = await withFixture();
        const query = prepared(SCHEMA, { selector: { score: { $gt: 3 } }, index: ['score'] });
        await expect(attempt(() => instance.query(query))).rejects.toThrow();
      });

      it('returns whole documents, equal to what was written', async () => {
        const { instance, docs } = await withFixture();
        const result = await instance.query(prepared(SCHEMA, { selector: { id: 'h0007' } }));
        expect(result.documents).toEqual([docs[7]]);
      });
    });

    describe('count', () => {
      for (const [label, selector, matches] of [
        ['an index range', { age: { $gte: 30 } }, (d: Doc) => d.age >= 30],
        ['an equality on the compound index', { active: false }, (d: Doc) => !d.active],
        ['a non-indexed field', { score: { $lt: 20 } }, (d: Doc) => d.score < 20],
        ['everything', {}, () => true],
      ] as const) {
        it(`counts ${label}`, async () => {
          const { instance, docs } = await withFixture();
          const result = await instance.count(
            prepared(SCHEMA, { selector: { _deleted: { $eq: false }, ...selector } }),
          );
          expect(result.count).toBe(docs.filter((d) => !d._deleted && matches(d)).length);
        });
      }
    });

    describe('getChangedDocumentsSince', () => {
      it('pages through many documents with equal lwt, each exactly once, in (lwt, id) order', async () => {
        const instance = await humans();
        const lwt = now() - 1_000;
        const same = Array.from({ length: 250 }, (_, i) => stored(human(i), { lwt }));
        const later = Array.from({ length: 50 }, (_, i) =>
          stored(human(250 + i), { lwt: lwt + 1 + (i % 5) }),
        );
        await insert(instance, [...later, ...same]);
        const seen: Doc[] = [];
        let checkpoint: RxStorageDefaultCheckpoint | undefined;
        for (let pages = 0; pages < 100; pages++) {
          const page = await changesSince(instance, 40, checkpoint);
          if (page.documents.length === 0) break;
          expect(page.documents.length).toBeLessThanOrEqual(40);
          seen.push(...page.documents);
          checkpoint = page.checkpoint;
        }
        const want = [...same, ...later].sort(
          (a, b) => a._meta.lwt - b._meta.lwt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
        );
        expect(ids(seen)).toEqual(ids(want));
      });

      it('moves an updated document after the checkpoint', async () => {
        const instance = await humans();
        const docs = Array.from({ length: 5 }, (_, i) => stored(human(i), { lwt: now() - 100 }));
        await insert(instance, docs);
        const first = await changesSince(instance, 10);
        expect(first.documents).toHaveLength(5);
        const doc = docs[2] as Doc;
        const next = revised(doc, { name: 'Changed' });
        await instance.bulkWrite([{ previous: doc, document: next }], 'update');
        const after = await changesSince(instance, 10, first.checkpoint);
        expect(after.documents).toEqual([next]);
        expect(after.checkpoint).toEqual({ id: 'h0002', lwt: next._meta.lwt });
      });
    });

    describe('deleted documents', () => {
      it('stores a document inserted already deleted (as replication does), without an event', async () => {
        const instance = await humans();
        let events = 0;
        const subscription = instance.changeStream().subscribe((bulk) => (events += bulk.events.length));
        try {
          const tombstone = stored(human(1), { deleted: true });
          expect((await instance.bulkWrite([{ document: tombstone }], 'pull')).error).toEqual([]);
          expect(events).toBe(0);
          expect(await instance.findDocumentsById(['h0001'], true)).toEqual([tombstone]);
          expect(await instance.findDocumentsById(['h0001'], false)).toEqual([]);
          expect((await changesSince(instance, 10)).documents).toEqual([tombstone]);
        } finally {
          subscription.unsubscribe();
        }
      });
    });

    describe('changeStream', () => {
      it('emits one bulk per successful write, with events and a checkpoint, and nothing for failures', async () => {
        const instance = await humans();
        const bulks: ChangeBulk[] = [];
        const subscription = instance.changeStream().subscribe((bulk) => bulks.push(bulk as ChangeBulk));
        try {
          const a = stored(human(1));
          const b = stored(human(2));
          await instance.bulkWrite([{ document: a }, { document: b }], 'ctx-insert');
          expect(bulks).toHaveLength(1);
          expect(bulks[0]?.context).toBe('ctx-insert');
          expect(bulks[0]?.events.map((e) => [e.operation, e.documentId])).toEqual([
            ['INSERT', 'h0001'],
            ['INSERT', 'h0002'],
          ]);
          expect(bulks[0]?.checkpoint).toEqual({ id: 'h0002', lwt: b._meta.lwt });

          const aNext = revised(a, { age: 50 });
          await instance.bulkWrite([{ previous: a, document: aNext }], 'ctx-update');
          expect(bulks[1]?.events).toMatchObject([
            { operation: 'UPDATE', documentId: 'h0001', documentData: aNext, previousDocumentData: a },
          ]);
          expect(bulks[1]?.checkpoint).toEqual({ id: 'h0001', lwt: aNext._meta.lwt });

          const bDeleted = revised(b, {}, { deleted: true });
          await instance.bulkWrite([{ previous: b, document: bDeleted }], 'ctx-delete');
          expect(bulks[2]?.events).toMatchObject([{ operation: 'DELETE', documentId: 'h0002' }]);

          // A conflict writes nothing and emits nothing.
          await instance.bulkWrite([{ document: stored(human(1)) }], 'ctx-conflict');
          expect(bulks).toHaveLength(3);

          // A mixed call emits the successful rows only.
          const c = stored(human(3));
          await instance.bulkWrite([{ document: stored(human(1)) }, { document: c }], 'ctx-mixed');
          expect(bulks).toHaveLength(4);
          expect(bulks[3]?.events.map((e) => e.documentId)).toEqual(['h0003']);

          // The checkpoint of the last bulk is where the changes feed continues.
          const rest = await changesSince(instance, 10, bulks[3]?.checkpoint);
          expect(rest.documents).toEqual([]);
        } finally {
          subscription.unsubscribe();
        }
      });
    });

    describe('cleanup', () => {
      it('purges old tombstones only', async () => {
        const instance = await humans();
        const old = now() - 60_000;
        const oldDead = stored(human(1), { lwt: old - 10 });
        const youngDead = stored(human(2), { lwt: old - 10 });
        const oldLive = stored(human(3), { lwt: old - 10 });
        await insert(instance, [oldDead, youngDead, oldLive]);
        await instance.bulkWrite(
          [
            { previous: oldDead, document: revised(oldDead, {}, { deleted: true, lwt: old }) },
            { previous: youngDead, document: revised(youngDead, {}, { deleted: true }) },
          ],
          'delete',
        );
        expect(await instance.cleanup(30_000)).toBe(true);
        const left = await instance.findDocumentsById(['h0001', 'h0002', 'h0003'], true);
        expect(ids(left)).toEqual(['h0002', 'h0003']);
      });
    });

    describe('close and remove', () => {
      it('keeps the data across close and reopen', async () => {
        const instance = await humans();
        const doc = stored(human(1));
        await insert(instance, [doc]);
        await instance.close();
        const again = await humans();
        expect(await again.findDocumentsById(['h0001'], false)).toEqual([doc]);
      });

      it('deletes the data on remove', async () => {
        const instance = await humans();
        await insert(instance, [stored(human(1)), stored(human(2))]);
        await instance.remove();
        if (options.refusesCallsAfterClose) {
          await expect(attempt(() => instance.findDocumentsById(['h0001'], true))).rejects.toThrow();
        }
        const again = await humans();
        expect(await again.findDocumentsById(['h0001', 'h0002'], true)).toEqual([]);
        const all = await again.query(prepared(SCHEMA, { selector: {} }));
        expect(all.documents).toEqual([]);
      });

      it.runIf(options.refusesCallsAfterClose)('refuses calls on a closed instance', async () => {
        const instance = await humans();
        await instance.close();
        await expect(
          attempt(() => instance.bulkWrite([{ document: stored(human(1)) }], 'x')),
        ).rejects.toThrow();
      });
    });

    describe('several collections', () => {
      it('keeps two collections and two schema versions apart', async () => {
        const humansV0 = await humans('humans', 0);
        const humansV1 = await humans('humans', 1);
        const pets = await openInstance<Pet>(subject.storage, databaseName, petSchema(), 'pets');
        opened.push(pets);
        await insert(humansV0, [stored(human(1)), stored(human(2))]);
        await insert(humansV1, [stored({ ...human(1), name: 'Version one' })]);
        await pets.bulkWrite([{ document: stored<Pet>({ id: 'h0001', species: 'cat' }) }], 'pets');

        expect(ids(await humansV0.findDocumentsById(['h0001', 'h0002'], true))).toEqual(['h0001', 'h0002']);
        const v1 = await humansV1.findDocumentsById(['h0001', 'h0002'], true);
        expect(v1.map((d) => d.name)).toEqual(['Version one']);
        expect(await pets.findDocumentsById(['h0001'], false)).toMatchObject([{ species: 'cat' }]);

        const v0All = await humansV0.query(prepared(SCHEMA, { selector: {} }));
        expect(v0All.documents).toHaveLength(2);
        expect((await changesSince(humansV1, 10)).documents).toHaveLength(1);

        await humansV0.remove();
        expect(await humansV1.findDocumentsById(['h0001'], false)).toHaveLength(1);
        expect(await pets.findDocumentsById(['h0001'], false)).toHaveLength(1);
      });
    });

    describe('random data and queries, against the reference storage', () => {
      it('returns what the reference returns', async () => {
        const reference = options.reference();
        await fc.assert(
          fc.asyncProperty(
            arbitraryHumans,
            fc.array(arbitraryQuery, { minLength: 1, maxLength: 8 }),
            async (docs, queries) => {
              const run = `prop${randomToken(8)}`;
              const ours = await openInstance<Human>(subject.storage, run, SCHEMA);
              // Another name for the reference: run against itself, the memory storage would otherwise
              // hand both sides the same process-wide collection.
              const theirs = await openInstance<Human>(reference, `${run}ref`, SCHEMA);
              try {
                const rows = docs.map((document) => ({ document }));
                expect((await ours.bulkWrite(rows, 'prop')).error).toEqual([]);
                expect((await theirs.bulkWrite(rows, 'prop')).error).toEqual([]);
                for (const query of queries) {
                  const preparedQuery = prepared(SCHEMA, query);
                  const got = await ours.query(preparedQuery);
                  const want = await theirs.query(preparedQuery);
                  expect(ids(got.documents), JSON.stringify(query)).toEqual(ids(want.documents));
                  expect(got.documents).toEqual(want.documents);
                  // RxDB's memory storage ignores skip and limit in count(); RxDB never sends them.
                  const countQuery = prepared(SCHEMA, { ...query, skip: 0, limit: undefined });
                  const gotCount = await ours.count(countQuery);
                  const wantCount = await theirs.count(countQuery);
                  expect(gotCount.count, JSON.stringify(query)).toBe(wantCount.count);
                }
              } finally {
                await ours.remove();
                await theirs.remove();
              }
            },
          ),
          { numRuns: options.propertyRuns ?? 40 },
        );
      });
    });
  });
}

/*
 * Random data for the property test. Strings mix plain ASCII with characters that sort
 * differently in UTF-8 and UTF-16 (astral symbols, which are surrogate pairs in JavaScript, and
 * characters in U+E000–U+FFFF), so that any disagreement between SQLite's order and JavaScript's
 * shows up.
 */
const NAME_POOL = [
  'Ada',
  'ada',
  'Alan',
  'Zoë',
  'Émile',
  'ﬀ ligature',
  '😀 grin',
  '𝔘nicode',
  '\uffef',
  'b',
  '',
];
const CITY_POOL = ['Oslo', 'Lima', '東京', '😀', 'Perth', 'oslo'];

const arbitraryName = fc.oneof(fc.constantFrom(...NAME_POOL), fc.string({ unit: 'binary', maxLength: 8 }));

const arbitraryHuman: fc.Arbitrary<Doc> = fc
  .record({
    id: fc.stringMatching(/^[a-z0-9]{1,12}$/),
    name: arbitraryName,
    age: fc.integer({ min: 0, max: 150 }),
    score: fc.integer({ min: 0, max: 100_000 }).map((n) => n / 100),
    active: fc.boolean(),
    city: fc.constantFrom(...CITY_POOL),
    zip: fc.constantFrom('1000', '2000', '3000'),
    deleted: fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
    lwt: fc.integer({ min: 1_700_000_000_000, max: 1_700_000_000_050 }),
  })
  .map((r) =>
    stored<Human>(
      {
        id: r.id,
        name: r.name,
        age: r.age,
        score: r.score,
        active: r.active,
        address: { city: r.city, zip: r.zip },
        tags: r.active ? ['a'] : ['b'],
      },
      { deleted: r.deleted, lwt: r.lwt, rev: '1-prop' },
    ),
  );

const arbitraryHumans = fc.uniqueArray(arbitraryHuman, { selector: (doc) => doc.id, maxLength: 40 });

const numberOps = (value: fc.Arbitrary<number>): fc.Arbitrary<Record<string, unknown>> =>
  fc.oneof(
    value.map((v) => ({ $eq: v })),
    value.map((v) => ({ $gt: v })),
    value.map((v) => ({ $gte: v })),
    value.map((v) => ({ $lt: v })),
    value.map((v) => ({ $lte: v })),
    fc.tuple(value, value).map(([a, b]) => ({ $gte: Math.min(a, b), $lt: Math.max(a, b) })),
    fc.array(value, { minLength: 1, maxLength: 3 }).map((v) => ({ $in: v })),
    value.map((v) => ({ $ne: v })),
  );

const stringOps = (value: fc.Arbitrary<string>): fc.Arbitrary<Record<string, unknown>> =>
  fc.oneof(
    value.map((v) => ({ $eq: v })),
    value.map((v) => ({ $gt: v })),
    value.map((v) => ({ $gte: v })),
    value.map((v) => ({ $lt: v })),
    value.map((v) => ({ $lte: v })),
    fc.array(value, { minLength: 1, maxLength: 3 }).map((v) => ({ $in: v })),
    value.map((v) => ({ $ne: v })),
    fc.constantFrom('^A', 'a', '^$', '😀').map((v) => ({ $regex: v })),
  );

const arbitraryCondition: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  stringOps(arbitraryName).map((op) => ({ name: op })),
  // Out-of-range bounds too: RxDB clamps them in the index strings.
  numberOps(fc.integer({ min: -5, max: 160 })).map((op) => ({ age: op })),
  numberOps(fc.integer({ min: 0, max: 1_000 })).map((op) => ({ score: op })),
  fc.boolean().map((b) => ({ active: { $eq: b } })),
  fc.boolean().map((b) => ({ active: { $ne: b } })),
  stringOps(fc.constantFrom(...CITY_POOL)).map((op) => ({ 'address.city': op })),
  fc.constantFrom('1000', '2000').map((zip) => ({ 'address.zip': zip })),
);

const arbitrarySelector: fc.Arbitrary<MangoQuerySelector<Doc>> = fc
  .record({
    notDeleted: fc.integer({ min: 0, max: 3 }).map((n) => n > 0),
    conditions: fc.array(arbitraryCondition, { maxLength: 3 }),
    or: fc.option(fc.array(arbitraryCondition, { minLength: 2, maxLength: 2 }), { freq: 4 }),
  })
  .map(({ notDeleted, conditions, or }) => {
    const selector: Record<string, unknown> = Object.assign({}, ...conditions) as Record<string, unknown>;
    if (notDeleted) selector._deleted = { $eq: false };
    if (or !== null) selector.$or = or;
    return selector as MangoQuerySelector<Doc>;
  });

const SORT_FIELDS = ['name', 'age', 'score', 'active', 'address.city', '_meta.lwt'] as const;

const arbitrarySort = fc.option(
  fc.uniqueArray(
    fc.record({ field: fc.constantFrom(...SORT_FIELDS), direction: fc.constantFrom('asc', 'desc') }),
    { selector: (part) => part.field, minLength: 1, maxLength: 2 },
  ),
  { freq: 3 },
);

const arbitraryQuery: fc.Arbitrary<MangoQuery<Doc>> = fc
  .record({
    selector: arbitrarySelector,
    sort: arbitrarySort,
    skip: fc.option(fc.integer({ min: 0, max: 5 }), { freq: 2 }),
    limit: fc.option(fc.integer({ min: 1, max: 15 }), { freq: 2 }),
  })
  .map(({ selector, sort, skip, limit }) => {
    const query: MangoQuery<Doc> = { selector };
    if (sort !== null) {
      query.sort = sort.map(({ field, direction }) => ({ [field]: direction }));
    }
    if (skip !== null) query.skip = skip;
    if (limit !== null) query.limit = limit;
    return query;
  });
