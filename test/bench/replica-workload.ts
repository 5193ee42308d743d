import {
  fillWithDefaultSettings,
  normalizeMangoQuery,
  now,
  prepareQuery,
  randomToken,
  type MangoQuery,
  type PreparedQuery,
  type RxDocumentData,
  type RxStorage,
  type RxStorageInstance,
} from 'rxdb';

/**
 * The replica benchmark's workload, run identically on every storage: in Node on ours and on
 * RxDB's memory storage, and in Chromium on RxDB's Dexie storage over the browser's own
 * IndexedDB (replica-browser.ts). Nothing here may use Node: it is bundled for the page too.
 */

export interface BenchClient {
  id: string;
  name: string;
  email: string;
  status: string;
  rank: number;
  notes: string;
}

export const STATUSES = 40;
/** Queries and counts are repeated for at least this long (and at least `MIN_REPEATS` times). */
const MEASURE_MS = 1_000;
const MIN_REPEATS = 5;

export const SCHEMA = fillWithDefaultSettings<BenchClient>({
  version: 0,
  primaryKey: 'id',
  type: 'object',
  properties: {
    id: { type: 'string', maxLength: 36 },
    name: { type: 'string', maxLength: 100 },
    email: { type: 'string', maxLength: 100 },
    status: { type: 'string', maxLength: 12 },
    rank: { type: 'integer', minimum: 0, maximum: 10_000_000, multipleOf: 1 },
    notes: { type: 'string' },
  },
  required: ['id', 'name', 'email', 'status', 'rank', 'notes'],
  indexes: ['status', 'rank'],
});

const NOTES = 'Met at the annual conference; prefers email over calls. Retainer renewed each spring. '.repeat(
  4,
);

/** A UUIDv7, as the server hands out record ids: time first, so inserts land at the index's edge. */
function timeOrderedId(): string {
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  let time = Date.now();
  for (let i = 5; i >= 0; i--) {
    bytes[i] = time % 256;
    time = Math.floor(time / 256);
  }
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x70;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A client document of about 600 bytes. */
function benchDoc(i: number): RxDocumentData<BenchClient> {
  return {
    id: timeOrderedId(),
    name: `Client ${String(i)} ${randomToken(8)}`,
    email: `client${String(i)}@example.com`,
    status: `s${String(i % STATUSES).padStart(2, '0')}`,
    rank: i * 10,
    notes: NOTES,
    _deleted: false,
    _attachments: {},
    _rev: `1-${randomToken(10)}`,
    _meta: { lwt: now() },
  };
}

const prepare = (query: MangoQuery<RxDocumentData<BenchClient>>): PreparedQuery<BenchClient> =>
  prepareQuery(SCHEMA, normalizeMangoQuery(SCHEMA, query));

/** Equality on an indexed field: docs / STATUSES documents. */
const BY_STATUS = prepare({ selector: { _deleted: false, status: 's07' } });
/** A range of an indexed field: 300 documents, in rank order. */
const BY_RANK = prepare({
  selector: { _deleted: false, rank: { $gte: 30_000, $lt: 33_000 } },
  sort: [{ rank: 'asc' }],
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- storages differ in internals and options, unused here
export type AnyStorage = RxStorage<any, any>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Instance = RxStorageInstance<BenchClient, any, any>;

export interface Figures {
  insert100: number;
  insertAll: number;
  queryStatus: number;
  queryRank: number;
  count: number;
}

async function openInstance(storage: AnyStorage): Promise<Instance> {
  return storage.createStorageInstance<BenchClient>({
    databaseInstanceToken: randomToken(10),
    databaseName: `bench${randomToken(8)}`,
    collectionName: 'clients',
    schema: SCHEMA,
    options: {},
    multiInstance: false,
    devMode: false,
  });
}

/**
 * Inserts `docs` documents in batches, timed until they can be read back: the memory storage
 * indexes lazily, on the next read, so the timing ends with one.
 */
async function insertRate(instance: Instance, docs: number, batchSize: number): Promise<number> {
  const documents = Array.from({ length: docs }, (_, i) => benchDoc(i));
  const start = performance.now();
  for (let done = 0; done < docs; done += batchSize) {
    const result = await instance.bulkWrite(
      documents.slice(done, done + batchSize).map((document) => ({ document })),
      'bench',
    );
    if (result.error.length > 0) throw new Error('bench insert failed');
  }
  await instance.count(BY_STATUS);
  return docs / ((performance.now() - start) / 1000);
}

/** Runs `once` (checked first) for at least a second; per second. */
async function repeatRate(once: () => Promise<void>): Promise<number> {
  await once();
  let repeats = 0;
  const start = performance.now();
  while (repeats < MIN_REPEATS || performance.now() - start < MEASURE_MS) {
    await once();
    repeats += 1;
  }
  return repeats / ((performance.now() - start) / 1000);
}

async function queryRate(instance: Instance, query: PreparedQuery<BenchClient>, expected: number) {
  return repeatRate(async () => {
    const result = await instance.query(query);
    if (result.documents.length !== expected) {
      throw new Error(`query returned ${String(result.documents.length)}, expected ${String(expected)}`);
    }
  });
}

async function countRate(instance: Instance, docs: number) {
  return repeatRate(async () => {
    const result = await instance.count(BY_STATUS);
    if (result.count !== docs / STATUSES) throw new Error(`count returned ${String(result.count)}`);
  });
}

/** One round of the workload on a storage, at `docs` documents. */
export async function measureStorage(storage: AnyStorage, docs: number): Promise<Figures> {
  const whole = await openInstance(storage);
  let insertAll: number;
  try {
    insertAll = await insertRate(whole, docs, Math.min(docs, 10_000));
  } finally {
    await whole.remove();
  }
  const batched = await openInstance(storage);
  try {
    return {
      insertAll,
      insert100: await insertRate(batched, docs, 100),
      queryStatus: await queryRate(batched, BY_STATUS, docs / STATUSES),
      queryRank: await queryRate(batched, BY_RANK, 300),
      count: await countRate(batched, docs),
    };
  } finally {
    await batched.remove();
  }
}
