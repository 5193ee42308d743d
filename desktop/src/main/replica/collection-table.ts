import { createHash } from 'node:crypto';
import { getPrimaryFieldOfPrimaryKey, type RxDocumentData, type RxJsonSchema, type WithDeleted } from 'rxdb';
import { indexColumnsOf, indexLayoutOf, type IndexColumn } from './index-columns';
import type { ReplicaDb } from './replica-file';
import { ROW_COLUMNS, type StoredRow } from './row-layout';

/**
 * The replica's own format, versioned by `PRAGMA user_version`. Append-only: never edit a
 * migration that has shipped.
 *
 * `replica_catalog` maps each (database, collection, schema version) to its table and records the
 * index layout the table's key columns were computed with.
 */
const FORMAT_MIGRATIONS: readonly ((db: ReplicaDb) => void)[] = [
  (db) =>
    db.exec(`CREATE TABLE replica_catalog (
       table_name TEXT PRIMARY KEY NOT NULL,
       database_name TEXT NOT NULL,
       collection_name TEXT NOT NULL,
       schema_version INTEGER NOT NULL,
       index_layout TEXT NOT NULL,
       UNIQUE (database_name, collection_name, schema_version)
     ) STRICT`),
  // The links of filled collections to their replication's meta table (pulled-state.ts). Never
  // reused (AUTOINCREMENT): documents keep the mark of a link after it is gone.
  (db) =>
    db.exec(`CREATE TABLE replica_pulled_links (
       link INTEGER PRIMARY KEY AUTOINCREMENT,
       meta_table TEXT NOT NULL UNIQUE,
       fork_table TEXT NOT NULL
     ) STRICT`),
  // Rows as `tableDdl` describes them now: compact keys, and the fields held in columns left out
  // of the stored JSON. Every table is rewritten at once, so that no table of the old layout is
  // ever written with the new one.
  (db) => {
    const tables = db.prepare('SELECT table_name, index_layout FROM replica_catalog').all() as {
      table_name: string;
      index_layout: string;
    }[];
    // A meta table answers for its fork table's documents, and needs to know their id field.
    db.exec(`ALTER TABLE replica_pulled_links ADD COLUMN fork_primary_path TEXT NOT NULL DEFAULT ''`);
    const setPrimaryPath = db.prepare(
      'UPDATE replica_pulled_links SET fork_primary_path = ? WHERE fork_table = ?',
    );
    for (const { table_name: name, index_layout: layout } of tables) {
      const table = collectionTableOf(name, schemaOfIndexLayout<unknown>(layout));
      rebuildTable(db, table, parseWholeDocRow);
      setPrimaryPath.run(table.primaryPath, name);
    }
  },
];

export function migrateReplicaFormat(db: ReplicaDb): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > FORMAT_MIGRATIONS.length) {
    throw new Error(`The replica format ${current} is newer than this app (${FORMAT_MIGRATIONS.length})`);
  }
  for (let version = current; version < FORMAT_MIGRATIONS.length; version++) {
    db.transaction(() => {
      (FORMAT_MIGRATIONS[version] as (db: ReplicaDb) => void)(db);
      db.pragma(`user_version = ${version + 1}`);
    })();
  }
}

/** A collection's table: its (safe) name, its index columns and the field its ids are in. */
export interface CollectionTable<RxDocType> {
  readonly name: string;
  readonly columns: readonly IndexColumn<RxDocType>[];
  readonly primaryPath: string;
}

export function collectionTableOf<RxDocType>(
  name: string,
  schema: RxJsonSchema<RxDocumentData<RxDocType>>,
): CollectionTable<RxDocType> {
  return {
    name,
    columns: indexColumnsOf(schema),
    primaryPath: getPrimaryFieldOfPrimaryKey(schema.primaryKey),
  };
}

export interface CollectionIdentity {
  readonly databaseName: string;
  readonly collectionName: string;
  readonly schemaVersion: number;
}

const TABLE_NAME = /^rx_[0-9a-f]{32}$/;

/**
 * Database and collection names come from the app (and, through RxDB, from whoever names a
 * collection), so they never reach SQL text: the table is named by a hash of the triple, and the
 * catalog holds the triple itself as bound values.
 */
export function tableNameOf(identity: CollectionIdentity): string {
  const digest = createHash('sha256')
    .update(JSON.stringify([identity.databaseName, identity.collectionName, identity.schemaVersion]))
    .digest('hex');
  const name = `rx_${digest.slice(0, 32)}`;
  // Belt and braces: the name is interpolated into DDL and queries.
  if (!TABLE_NAME.test(name)) throw new Error('unexpected table name');
  return name;
}

/**
 * A document's row. The id, `_deleted`, `_rev` and `_meta.lwt` are columns and are left out of the
 * stored JSON, as is an empty `_attachments`; `docOfRow` puts them back. Each key column holds a
 * document's key of one index (index-columns.ts).
 */
function tableDdl<RxDocType>(table: CollectionTable<RxDocType>, name = table.name): string {
  const keys = table.columns.map((column) => `, ${column.column} BLOB NOT NULL`).join('');
  return `CREATE TABLE ${name} (
    id TEXT PRIMARY KEY NOT NULL,
    deleted INTEGER NOT NULL,
    lwt REAL NOT NULL,
    rev TEXT NOT NULL,
    doc TEXT NOT NULL${keys}
  ) STRICT`;
}

function indexDdl<RxDocType>(table: CollectionTable<RxDocType>): string[] {
  const name = table.name;
  return [
    // One per RxDB index, `[_meta.lwt, primary]` included: the changes feed pages through it.
    ...table.columns.map((column) => `CREATE INDEX ${name}_${column.column} ON ${name} (${column.column})`),
    // cleanup() looks for old tombstones only; a partial index keeps live documents out of it.
    `CREATE INDEX ${name}_tombstones ON ${name} (lwt) WHERE deleted = 1`,
  ];
}

/**
 * The one write statement: an upsert. Updates have been checked against the current revision
 * before it runs; inserts use it too so that a batch holding the same new id twice behaves like
 * RxDB's memory storage (the later row wins) instead of failing the whole batch.
 */
export function upsertSql<RxDocType>(table: CollectionTable<RxDocType>): string {
  const names = [...ROW_COLUMNS, ...table.columns.map((column) => column.column)];
  const updates = names
    .slice(1)
    .map((column) => `${column} = excluded.${column}`)
    .join(', ');
  return `INSERT INTO ${table.name} (${names.join(', ')}) VALUES (${names.map(() => '?').join(', ')})
    ON CONFLICT (id) DO UPDATE SET ${updates}`;
}

/** An insert that leaves an existing row as it is. */
export function insertIfAbsentSql<RxDocType>(table: CollectionTable<RxDocType>): string {
  const names = [...ROW_COLUMNS, ...table.columns.map((column) => column.column)];
  return `INSERT INTO ${table.name} (${names.join(', ')}) VALUES (${names.map(() => '?').join(', ')})
    ON CONFLICT (id) DO NOTHING`;
}

/**
 * The bound values of `upsertSql` for a document: its RxDB fields split off into the columns, the
 * rest stored as `rowValuesOfSent` stores a sent document (a non-empty `_attachments` kept).
 */
export function rowValues<RxDocType>(
  table: CollectionTable<RxDocType>,
  doc: RxDocumentData<RxDocType>,
): unknown[] {
  const { _rev: rev, _meta, _attachments: attachments, ...sent } = doc as unknown as Record<string, unknown>;
  const { lwt, ...meta } = _meta as RxDocumentData<RxDocType>['_meta'];
  if (attachments !== undefined && Object.keys(attachments as object).length > 0)
    sent._attachments = attachments;
  return rowValuesOfSent(table, sent as unknown as WithDeleted<RxDocType>, { rev: rev as string, lwt, meta });
}

/**
 * The row of a document as the server sent it (`WithDeleted`: no `_rev`, `_meta` or
 * `_attachments`), stored with the given revision and meta fields. The JSON leaves out what the
 * columns hold (the id, `_deleted`, `_rev`, `_meta.lwt`) and an empty `_meta`. A fill calls this
 * directly, without building the whole document first: it writes many.
 */
export function rowValuesOfSent<RxDocType>(
  table: CollectionTable<RxDocType>,
  sent: WithDeleted<RxDocType>,
  state: { readonly rev: string; readonly lwt: number; readonly meta: Readonly<Record<string, unknown>> },
): unknown[] {
  const {
    [table.primaryPath]: id,
    _deleted: deleted,
    ...fields
  } = sent as unknown as Record<string, unknown>;
  if (Object.keys(state.meta).length > 0) fields._meta = state.meta;
  const json = JSON.stringify(fields);
  // Now the document the keys are computed from (`_rev` and `_attachments` are in no index).
  fields[table.primaryPath] = id;
  fields._deleted = deleted;
  fields._meta = { ...state.meta, lwt: state.lwt };
  const doc = fields as unknown as RxDocumentData<RxDocType>;
  const values: unknown[] = [id, deleted === true ? 1 : 0, state.lwt, state.rev, json];
  for (const column of table.columns) values.push(column.keyOf(doc));
  return values;
}

/**
 * The document of a row, whole again: RxDB's document data, each read a fresh copy. A document
 * always comes back with `_attachments` (RxDB's document data has it).
 */
export function docOfRow<RxDocType>(
  table: CollectionTable<RxDocType>,
  row: StoredRow,
): RxDocumentData<RxDocType> {
  const doc = JSON.parse(row[4]) as Record<string, unknown>;
  doc[table.primaryPath] = row[0];
  doc._deleted = row[1] === 1;
  doc._rev = row[3];
  const meta = doc._meta as Record<string, unknown> | undefined;
  if (meta === undefined) doc._meta = { lwt: row[2] };
  else meta.lwt = row[2];
  doc._attachments ??= {};
  return doc as unknown as RxDocumentData<RxDocType>;
}

interface CatalogRow {
  database_name: string;
  collection_name: string;
  schema_version: number;
  index_layout: string;
}

/**
 * Opens the table of a collection, creating it (and its catalog row) if missing. A table whose
 * keys were computed under another index layout — the schema changed without a version bump —
 * is rebuilt, since stale keys would make range scans silently wrong.
 */
export function openCollectionTable<RxDocType>(
  db: ReplicaDb,
  identity: CollectionIdentity,
  schema: RxJsonSchema<RxDocumentData<RxDocType>>,
): CollectionTable<RxDocType> {
  const table = collectionTableOf(tableNameOf(identity), schema);
  const layout = indexLayoutOf(schema);
  db.transaction(() => {
    const row = db
      .prepare(
        `SELECT database_name, collection_name, schema_version, index_layout
         FROM replica_catalog WHERE table_name = ?`,
      )
      .get(table.name) as CatalogRow | undefined;
    if (row === undefined) {
      db.exec(tableDdl(table));
      for (const ddl of indexDdl(table)) db.exec(ddl);
      db.prepare(
        `INSERT INTO replica_catalog (table_name, database_name, collection_name, schema_version, index_layout)
         VALUES (?, ?, ?, ?, ?)`,
      ).run(table.name, identity.databaseName, identity.collectionName, identity.schemaVersion, layout);
      return;
    }
    if (
      row.database_name !== identity.databaseName ||
      row.collection_name !== identity.collectionName ||
      row.schema_version !== identity.schemaVersion
    ) {
      throw new Error('Replica table name collision: two collections hash to the same table');
    }
    if (row.index_layout !== layout) {
      rebuildTable(db, table, (stored) => docOfRow(table, stored));
      db.prepare('UPDATE replica_catalog SET index_layout = ? WHERE table_name = ?').run(layout, table.name);
    }
  })();
  return table;
}

const REBUILD_PAGE = 1_000;

/** Reads a row of the first format, whose JSON held the whole document. */
function parseWholeDocRow<RxDocType>(row: StoredRow): RxDocumentData<RxDocType> {
  return JSON.parse(row[4]) as RxDocumentData<RxDocType>;
}

/**
 * Rewrites every row into a fresh table with fresh indexes: each document is read back with
 * `readDoc` (from whatever format the table is in) and written with its keys computed anew.
 */
function rebuildTable<RxDocType>(
  db: ReplicaDb,
  table: CollectionTable<RxDocType>,
  readDoc: (row: StoredRow) => RxDocumentData<RxDocType>,
): void {
  const staging = `${table.name}_rebuild`;
  db.exec(`DROP TABLE IF EXISTS ${staging}`);
  db.exec(tableDdl(table, staging));
  const columns = new Set(
    db.prepare(`SELECT name FROM pragma_table_info(?)`).pluck().all(table.name) as string[],
  );
  // A table of the first format has no rev column: its documents hold their revision.
  const rev = columns.has('rev') ? 'rev' : `''`;
  const page = db
    .prepare(
      `SELECT rowid, id, deleted, lwt, ${rev}, doc FROM ${table.name} WHERE rowid > ? ORDER BY rowid LIMIT ?`,
    )
    .raw();
  const insert = db.prepare(upsertSql({ ...table, name: staging }));
  let after = 0;
  for (;;) {
    // Paged rather than iterated: the connection cannot write while a read cursor is open.
    const rows = page.all(after, REBUILD_PAGE) as [number, ...StoredRow][];
    for (const [, ...stored] of rows) {
      insert.run(...rowValues(table, readDoc(stored)));
    }
    const last = rows[rows.length - 1];
    if (last === undefined) break;
    after = last[0];
  }
  db.exec(`DROP TABLE ${table.name}`);
  db.exec(`ALTER TABLE ${staging} RENAME TO ${table.name}`);
  for (const ddl of indexDdl(table)) db.exec(ddl);
}

/**
 * A schema with just what the index layout records (`indexLayoutOf`): enough to compute a
 * table's keys and to find its primary key, the last field of every RxDB index.
 */
function schemaOfIndexLayout<RxDocType>(layout: string): RxJsonSchema<RxDocumentData<RxDocType>> {
  type LayoutField = [string, string, number | null, number | null, number | null, number | null];
  const indexes = JSON.parse(layout) as LayoutField[][];
  const properties: Record<string, unknown> = {};
  for (const [path, type, maxLength, minimum, maximum, multipleOf] of indexes.flat()) {
    const names = path.split('.');
    let level = properties;
    for (const name of names.slice(0, -1)) {
      const object = (level[name] ??= { type: 'object', properties: {} }) as {
        properties: Record<string, unknown>;
      };
      level = object.properties;
    }
    const part: Record<string, unknown> = { type };
    for (const [key, value] of Object.entries({ maxLength, minimum, maximum, multipleOf })) {
      if (value !== null) part[key] = value;
    }
    level[names[names.length - 1] as string] = part;
  }
  const lastFields = indexes.map((fields) => fields[fields.length - 1]?.[0]);
  const primaryKey = lastFields[0];
  if (primaryKey === undefined || lastFields.some((field) => field !== primaryKey)) {
    throw new Error('The replica table has an index layout this app cannot read');
  }
  return {
    version: 0,
    primaryKey,
    type: 'object',
    properties,
    indexes: indexes.map((fields) => fields.map(([path]) => path)),
  } as unknown as RxJsonSchema<RxDocumentData<RxDocType>>;
}

/** Drops a collection's table and forgets it in the catalog and in any pulled-state link. */
export function dropCollectionTable(db: ReplicaDb, tableName: string): void {
  if (!TABLE_NAME.test(tableName)) throw new Error('unexpected table name');
  db.transaction(() => {
    db.exec(`DROP TABLE IF EXISTS ${tableName}`);
    db.prepare('DELETE FROM replica_catalog WHERE table_name = ?').run(tableName);
    db.prepare('DELETE FROM replica_pulled_links WHERE meta_table = ? OR fork_table = ?').run(
      tableName,
      tableName,
    );
  })();
}

/** Whether a name is one of this format's collection tables (it is interpolated into SQL). */
export function isCollectionTableName(name: string): boolean {
  return TABLE_NAME.test(name);
}
