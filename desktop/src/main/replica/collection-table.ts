import { createHash } from 'node:crypto';
import type { RxDocumentData, RxJsonSchema } from 'rxdb';
import { indexColumnsOf, indexLayoutOf, type IndexColumn } from './index-columns';
import type { ReplicaDb } from './replica-file';

/**
 * The replica's own format, versioned by `PRAGMA user_version`. Append-only: never edit a
 * migration that has shipped.
 *
 * `replica_catalog` maps each (database, collection, schema version) to its table and records the
 * index layout the table's key columns were computed with.
 */
const FORMAT_MIGRATIONS: readonly string[] = [
  `CREATE TABLE replica_catalog (
     table_name TEXT PRIMARY KEY NOT NULL,
     database_name TEXT NOT NULL,
     collection_name TEXT NOT NULL,
     schema_version INTEGER NOT NULL,
     index_layout TEXT NOT NULL,
     UNIQUE (database_name, collection_name, schema_version)
   ) STRICT`,
  // The links of filled collections to their replication's meta table (pulled-state.ts). Never
  // reused (AUTOINCREMENT): documents keep the mark of a link after it is gone.
  `CREATE TABLE replica_pulled_links (
     link INTEGER PRIMARY KEY AUTOINCREMENT,
     meta_table TEXT NOT NULL UNIQUE,
     fork_table TEXT NOT NULL
   ) STRICT`,
];

export function migrateReplicaFormat(db: ReplicaDb): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > FORMAT_MIGRATIONS.length) {
    throw new Error(`The replica format ${current} is newer than this app (${FORMAT_MIGRATIONS.length})`);
  }
  for (let version = current; version < FORMAT_MIGRATIONS.length; version++) {
    db.transaction(() => {
      db.exec(FORMAT_MIGRATIONS[version] as string);
      db.pragma(`user_version = ${version + 1}`);
    })();
  }
}

/** A collection's table: its (safe) name and its index columns. */
export interface CollectionTable<RxDocType> {
  readonly name: string;
  readonly columns: readonly IndexColumn<RxDocType>[];
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

function tableDdl<RxDocType>(table: CollectionTable<RxDocType>, name = table.name): string {
  const keys = table.columns.map((column) => `, ${column.column} BLOB NOT NULL`).join('');
  return `CREATE TABLE ${name} (
    id TEXT PRIMARY KEY NOT NULL,
    deleted INTEGER NOT NULL,
    lwt REAL NOT NULL,
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
  const keyNames = table.columns.map((column) => column.column);
  const names = ['id', 'deleted', 'lwt', 'doc', ...keyNames];
  const updates = names
    .slice(1)
    .map((column) => `${column} = excluded.${column}`)
    .join(', ');
  return `INSERT INTO ${table.name} (${names.join(', ')}) VALUES (${names.map(() => '?').join(', ')})
    ON CONFLICT (id) DO UPDATE SET ${updates}`;
}

/** An insert that leaves an existing row as it is. */
export function insertIfAbsentSql<RxDocType>(table: CollectionTable<RxDocType>): string {
  const names = ['id', 'deleted', 'lwt', 'doc', ...table.columns.map((column) => column.column)];
  return `INSERT INTO ${table.name} (${names.join(', ')}) VALUES (${names.map(() => '?').join(', ')})
    ON CONFLICT (id) DO NOTHING`;
}

/** The bound values of `upsertSql` for a document. */
export function rowValues<RxDocType>(
  table: CollectionTable<RxDocType>,
  id: string,
  doc: RxDocumentData<RxDocType>,
): unknown[] {
  const values: unknown[] = [id, doc._deleted ? 1 : 0, doc._meta.lwt, JSON.stringify(doc)];
  for (const column of table.columns) values.push(column.keyOf(doc));
  return values;
}

/** Documents are stored as the JSON of RxDB's document data; each read gets its own copy. */
export function parseStoredDoc<RxDocType>(text: string): RxDocumentData<RxDocType> {
  return JSON.parse(text) as RxDocumentData<RxDocType>;
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
  const table: CollectionTable<RxDocType> = { name: tableNameOf(identity), columns: indexColumnsOf(schema) };
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
      rebuildTable(db, table);
      db.prepare('UPDATE replica_catalog SET index_layout = ? WHERE table_name = ?').run(layout, table.name);
    }
  })();
  return table;
}

const REBUILD_PAGE = 1_000;

/** Recomputes every key column from the stored documents, into a fresh table with fresh indexes. */
function rebuildTable<RxDocType>(db: ReplicaDb, table: CollectionTable<RxDocType>): void {
  const staging = `${table.name}_rebuild`;
  db.exec(`DROP TABLE IF EXISTS ${staging}`);
  db.exec(tableDdl(table, staging));
  const page = db
    .prepare(`SELECT rowid, id, doc FROM ${table.name} WHERE rowid > ? ORDER BY rowid LIMIT ?`)
    .raw();
  const insert = db.prepare(upsertSql({ ...table, name: staging }));
  let after = 0;
  for (;;) {
    // Paged rather than iterated: the connection cannot write while a read cursor is open.
    const rows = page.all(after, REBUILD_PAGE) as [number, string, string][];
    for (const [, id, text] of rows) {
      insert.run(...rowValues(table, id, parseStoredDoc<RxDocType>(text)));
    }
    const last = rows[rows.length - 1];
    if (last === undefined) break;
    after = last[0];
  }
  db.exec(`DROP TABLE ${table.name}`);
  db.exec(`ALTER TABLE ${staging} RENAME TO ${table.name}`);
  for (const ddl of indexDdl(table)) db.exec(ddl);
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
