import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  fillWithDefaultSettings,
  getChangedDocumentsSince,
  normalizeMangoQuery,
  now,
  prepareQuery,
  randomToken,
  type MangoQuery,
  type PreparedQuery,
  type RxDocumentData,
  type RxJsonSchema,
  type RxStorage,
  type RxStorageDefaultCheckpoint,
  type RxStorageInstance,
} from 'rxdb';
import { SqlcipherStorageInstance } from './sqlcipher-instance';

/** Test fixtures shared by the replica's tests and its conformance suite. */

export interface Human {
  id: string;
  name: string;
  age: number;
  score: number;
  active: boolean;
  address: { city: string; zip: string };
  tags: string[];
}

/**
 * Indexed: name, age, (active, age), address.city (nested). Not indexed: score, address.zip,
 * tags. `fillWithDefaultSettings` turns these into what RxDB hands a storage: `_deleted` in front,
 * the primary key at the end, and `[_meta.lwt, id]`.
 */
export function humanSchema(version = 0): RxJsonSchema<RxDocumentData<Human>> {
  return fillWithDefaultSettings(humanSchemaInput(version));
}

/** The schema as an app writes it, before RxDB fills in its defaults. */
export function humanSchemaInput(version = 0): RxJsonSchema<Human> {
  return {
    version,
    primaryKey: 'id',
    type: 'object',
    properties: {
      id: { type: 'string', maxLength: 40 },
      name: { type: 'string', maxLength: 40 },
      age: { type: 'integer', minimum: 0, maximum: 150, multipleOf: 1 },
      score: { type: 'number', minimum: 0, maximum: 1000 },
      active: { type: 'boolean' },
      address: {
        type: 'object',
        properties: { city: { type: 'string', maxLength: 40 }, zip: { type: 'string' } },
        required: ['city', 'zip'],
      },
      tags: { type: 'array', items: { type: 'string' } },
    },
    required: ['id', 'name', 'age', 'score', 'active', 'address', 'tags'],
    indexes: ['name', 'age', ['active', 'age'], 'address.city'],
  };
}

export interface Pet {
  id: string;
  species: string;
}

export function petSchema(): RxJsonSchema<RxDocumentData<Pet>> {
  return fillWithDefaultSettings<Pet>({
    version: 0,
    primaryKey: 'id',
    type: 'object',
    properties: { id: { type: 'string', maxLength: 40 }, species: { type: 'string', maxLength: 20 } },
    required: ['id', 'species'],
    indexes: ['species'],
  });
}

const NAMES = ['Ada', 'Grace', 'Alan', 'Barbara', 'Edsger', 'Frances', 'Ken', 'Margaret', 'Niklaus', 'Radia'];
const CITIES = ['Berlin', 'Lagos', 'Lima', 'Oslo', 'Perth'];

/** A deterministic human: ages, scores and cities repeat so that ranges and ties exist. */
export function human(i: number): Human {
  return {
    id: `h${String(i).padStart(4, '0')}`,
    name: NAMES[i % NAMES.length] ?? 'Ada',
    age: (i * 7) % 90,
    score: ((i * 37) % 1000) / 10,
    active: i % 3 !== 0,
    address: { city: CITIES[i % CITIES.length] ?? 'Oslo', zip: String(10_000 + ((i * 13) % 50)) },
    tags: i % 2 === 0 ? ['even'] : ['odd', 'prime-ish'],
  };
}

export interface DocMeta {
  deleted?: boolean;
  lwt?: number;
  rev?: string;
}

/** Storage-level document data, as RxDB would write it. */
export function stored<T>(data: T, meta: DocMeta = {}): RxDocumentData<T> {
  return {
    ...data,
    _deleted: meta.deleted ?? false,
    _attachments: {},
    _rev: meta.rev ?? `1-${randomToken(10)}`,
    _meta: { lwt: meta.lwt ?? now() },
  };
}

/** The next revision of a stored document, with changes. */
export function revised<T>(
  previous: RxDocumentData<T>,
  changes: Partial<T>,
  meta: DocMeta = {},
): RxDocumentData<T> {
  const height = Number(previous._rev.split('-')[0]) + 1;
  return {
    ...previous,
    ...changes,
    _deleted: meta.deleted ?? previous._deleted,
    _rev: meta.rev ?? `${height}-${randomToken(10)}`,
    _meta: { lwt: meta.lwt ?? now() },
  };
}

/**
 * A query as RxDB prepares it for a storage: normalised, with its query plan. Storage-level
 * queries may name meta fields (`_deleted`, `_meta.lwt`), which RxDB's own queries do too.
 */
export function prepared<T>(
  schema: RxJsonSchema<RxDocumentData<T>>,
  query: MangoQuery<RxDocumentData<T>>,
): PreparedQuery<T> {
  return prepareQuery(schema, normalizeMangoQuery(schema, query as MangoQuery<T>));
}

/**
 * Any RxStorage. Storages differ in their internals and instance options, which the suites never
 * look at; `any` keeps each storage assignable without a cast at every call site.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyRxStorage = RxStorage<any, any>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyInstance<T> = RxStorageInstance<T, any, any>;

export async function openInstance<T>(
  storage: AnyRxStorage,
  databaseName: string,
  schema: RxJsonSchema<RxDocumentData<T>>,
  collectionName = 'humans',
): Promise<AnyInstance<T>> {
  return storage.createStorageInstance<T>({
    databaseInstanceToken: randomToken(10),
    databaseName,
    collectionName,
    schema,
    options: {},
    multiInstance: false,
    devMode: false,
  });
}

/**
 * RxDB's `getChangedDocumentsSince` helper (the storage's own method when it has one, else a
 * query), typed with the default checkpoint every storage here uses: RxDB types it `any`.
 */
export function changesSince<T>(
  instance: AnyInstance<T>,
  limit: number,
  checkpoint?: RxStorageDefaultCheckpoint,
): Promise<{ documents: RxDocumentData<T>[]; checkpoint: RxStorageDefaultCheckpoint }> {
  return getChangedDocumentsSince(instance, limit, checkpoint);
}

/** The instance as this storage's own class, for its test-only methods (`explain`). */
export function asSqlcipher<T>(instance: AnyInstance<T>): SqlcipherStorageInstance<T> {
  if (!(instance instanceof SqlcipherStorageInstance)) {
    throw new Error('not an instance of the replica storage');
  }
  // `instanceof` cannot see the type argument; the document type is the caller's.
  return instance as SqlcipherStorageInstance<T>;
}

/** A temp directory and a fresh key; `dispose` removes the directory. */
export function tempReplica(): { dir: string; filePath: string; key: Buffer; dispose(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'enclave-replica-'));
  return {
    dir,
    filePath: join(dir, 'replica', 'replica.db'),
    key: randomBytes(32),
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Runs `action` as a promise, so a storage that throws synchronously reads like one that rejects. */
export function attempt<T>(action: () => T | Promise<T>): Promise<T> {
  return Promise.resolve().then(action);
}
