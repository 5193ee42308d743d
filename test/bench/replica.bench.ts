import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import * as fakeIndexedDb from 'fake-indexeddb';
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
import { getRxStorageDexie } from 'rxdb/plugins/storage-dexie';
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import { uuidv7 } from '../../server/src/crypto/uuid7';
import { getRxStorageSqlcipher } from '../../desktop/src/main/replica';
import { median, round } from './sync-fixtures';

export interface ReplicaBenchResult {
  name: 'replica.insert' | 'replica.query' | 'replica.count';
  /** What was done, identically, on every storage. */
  workload: string;
  unit: 'docs/s' | 'queries/s' | 'counts/s';
  oursPerSec: number;
  memoryPerSec: number;
  dexiePerSec: number;
  /** ours / RxDB's memory storage (in-process arrays, nothing persisted: the ceiling). */
  ratioMemory: number;
  /** ours / RxDB's Dexie storage over fake-indexeddb (an IndexedDB implementation in JavaScript). */
  ratioDexie: number;
  method: string;
}

interface BenchClient {
  id: string;
  name: string;
  email: string;
  status: string;
  rank: number;
  notes: string;
}

// fake-indexeddb types its exports with the DOM's IndexedDB types, which Node's lib does not have.
const fakeIdb = fakeIndexedDb as unknown as Required<NonNullable<Parameters<typeof getRxStorageDexie>[0]>>;

const DOCS = 10_000;
const STATUSES = 40;
const ROUNDS = 3;
const QUERY_REPEATS = 200;
const COUNT_REPEATS = 500;

const SCHEMA = fillWithDefaultSettings<BenchClient>({
  version: 0,
  primaryKey: 'id',
  type: 'object',
  properties: {
    id: { type: 'string', maxLength: 36 },
    name: { type: 'string', maxLength: 100 },
    email: { type: 'string', maxLength: 100 },
    status: { type: 'string', maxLength: 12 },
    rank: { type: 'integer', minimum: 0, maximum: 1_000_000, multipleOf: 1 },
    notes: { type: 'string' },
  },
  required: ['id', 'name', 'email', 'status', 'rank', 'notes'],
  indexes: ['status', 'rank'],
});

const NOTES = 'Met at the annual conference; prefers email over calls. Retainer renewed each spring. '.repeat(
  4,
);

/** A client document of about 600 bytes; ids are UUIDv7, as the server hands them out. */
function benchDoc(i: number): RxDocumentData<BenchClient> {
  return {
    id: uuidv7(),
    name: `Client ${i} ${randomToken(8)}`,
    email: `client${i}@example.com`,
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

/** Equality on an indexed field: DOCS / STATUSES = 250 documents. */
const BY_STATUS = prepare({ selector: { _deleted: false, status: 's07' } });
/** A range of an indexed field: 300 documents, in rank order. */
const BY_RANK = prepare({
  selector: { _deleted: false, rank: { $gte: 30_000, $lt: 33_000 } },
  sort: [{ rank: 'asc' }],
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- storages differ in internals and options, unused here
type AnyStorage = RxStorage<any, any>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Instance = RxStorageInstance<BenchClient, any, any>;
type Side = 'ours' | 'memory' | 'dexie';

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
 * Inserts DOCS documents in batches, timed until they can be read back: the memory storage
 * indexes lazily, on the next read, so the timing ends with one.
 */
async function insertRate(instance: Instance, batchSize: number): Promise<number> {
  const docs = Array.from({ length: DOCS }, (_, i) => benchDoc(i));
  const start = performance.now();
  for (let done = 0; done < DOCS; done += batchSize) {
    const result = await instance.bulkWrite(
      docs.slice(done, done + batchSize).map((document) => ({ document })),
      'bench',
    );
    if (result.error.length > 0) throw new Error('bench insert failed');
  }
  await instance.count(BY_STATUS);
  return DOCS / ((performance.now() - start) / 1000);
}

async function queryRate(instance: Instance, query: PreparedQuery<BenchClient>, expected: number) {
  const check = await instance.query(query);
  if (check.documents.length !== expected) {
    throw new Error(`query returned ${check.documents.length}, expected ${expected}`);
  }
  const start = performance.now();
  for (let i = 0; i < QUERY_REPEATS; i++) await instance.query(query);
  return QUERY_REPEATS / ((performance.now() - start) / 1000);
}

async function countRate(instance: Instance): Promise<number> {
  const check = await instance.count(BY_STATUS);
  if (check.count !== DOCS / STATUSES) throw new Error(`count returned ${check.count}`);
  const start = performance.now();
  for (let i = 0; i < COUNT_REPEATS; i++) await instance.count(BY_STATUS);
  return COUNT_REPEATS / ((performance.now() - start) / 1000);
}

type Figures = Record<'insert100' | 'insert10000' | 'queryStatus' | 'queryRank' | 'count', number[]>;

async function measure(storage: AnyStorage, figures: Figures): Promise<void> {
  const whole = await openInstance(storage);
  try {
    figures.insert10000.push(await insertRate(whole, DOCS));
  } finally {
    await whole.remove();
  }
  const batched = await openInstance(storage);
  try {
    figures.insert100.push(await insertRate(batched, 100));
    figures.queryStatus.push(await queryRate(batched, BY_STATUS, DOCS / STATUSES));
    figures.queryRank.push(await queryRate(batched, BY_RANK, 300));
    figures.count.push(await countRate(batched));
  } finally {
    await batched.remove();
  }
}

const emptyFigures = (): Figures => ({
  insert100: [],
  insert10000: [],
  queryStatus: [],
  queryRank: [],
  count: [],
});

/**
 * The same workload on three storages, in the same run: ours (SQLCipher file in a temp dir),
 * RxDB's memory storage, RxDB's Dexie storage over fake-indexeddb. Each figure is the median of
 * three rounds; the storages take turns going first.
 */
export async function benchReplica(): Promise<ReplicaBenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'enclave-replica-bench-'));
  const ours = getRxStorageSqlcipher({ filePath: join(dir, 'replica.db'), key: randomBytes(32) });
  const storages: Record<Side, AnyStorage> = {
    ours,
    memory: getRxStorageMemory(),
    dexie: getRxStorageDexie({ indexedDB: fakeIdb.indexedDB, IDBKeyRange: fakeIdb.IDBKeyRange }),
  };
  const figures: Record<Side, Figures> = {
    ours: emptyFigures(),
    memory: emptyFigures(),
    dexie: emptyFigures(),
  };
  const order: Side[] = ['ours', 'memory', 'dexie'];
  try {
    for (let r = 0; r < ROUNDS; r++) {
      for (let i = 0; i < order.length; i++) {
        const side = order[(i + r) % order.length] as Side;
        await measure(storages[side], figures[side]);
      }
    }
  } finally {
    await ours.closeAll();
    rmSync(dir, { recursive: true, force: true });
  }

  const row = (
    name: ReplicaBenchResult['name'],
    key: keyof Figures,
    workload: string,
    unit: ReplicaBenchResult['unit'],
  ): ReplicaBenchResult => {
    const oursRate = median(figures.ours[key]);
    const memoryRate = median(figures.memory[key]);
    const dexieRate = median(figures.dexie[key]);
    return {
      name,
      workload,
      unit,
      oursPerSec: Math.round(oursRate),
      memoryPerSec: Math.round(memoryRate),
      dexiePerSec: Math.round(dexieRate),
      ratioMemory: round(oursRate / memoryRate, 3),
      ratioDexie: round(oursRate / dexieRate, 3),
      method:
        'RxStorageInstance API directly (no RxDatabase), same documents (~600 B JSON, UUIDv7 ids, ' +
        'indexes on status and rank) and same prepared queries on each storage; median of ' +
        `${ROUNDS} rounds, storages alternate first place`,
    };
  };
  return [
    row(
      'replica.insert',
      'insert100',
      `${DOCS} docs, bulkWrite of 100 each, into an empty collection`,
      'docs/s',
    ),
    row('replica.insert', 'insert10000', `${DOCS} docs in one bulkWrite, into an empty collection`, 'docs/s'),
    row(
      'replica.query',
      'queryStatus',
      `equality on an indexed field over ${DOCS} docs, ${DOCS / STATUSES} results, repeated ${QUERY_REPEATS}×`,
      'queries/s',
    ),
    row(
      'replica.query',
      'queryRank',
      `range on an indexed integer, sorted by it, over ${DOCS} docs, 300 results, repeated ${QUERY_REPEATS}×`,
      'queries/s',
    ),
    row(
      'replica.count',
      'count',
      `count of an indexed equality (${DOCS / STATUSES} of ${DOCS}), repeated ${COUNT_REPEATS}×`,
      'counts/s',
    ),
  ];
}
