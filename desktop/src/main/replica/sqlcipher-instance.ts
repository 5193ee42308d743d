import { Subject, takeUntil, type Observable } from 'rxjs';
import {
  categorizeBulkWriteRows,
  getPrimaryFieldOfPrimaryKey,
  now,
  type BulkWriteRow,
  type CategorizeBulkWriteRowsOutput,
  type EventBulk,
  type PreparedQuery,
  type RxDocumentData,
  type RxJsonSchema,
  type RxStorageBulkWriteResponse,
  type RxStorageChangeEvent,
  type RxStorageCountResult,
  type RxStorageDefaultCheckpoint,
  type RxStorageInstance,
  type RxStorageQueryResult,
  type StringKeys,
} from 'rxdb';
import {
  dropCollectionTable,
  insertIfAbsentSql,
  docOfRow,
  rowValues,
  upsertSql,
  type CollectionTable,
} from './collection-table';
import { changesIndexOf, columnOfIndex, type IndexColumn } from './index-columns';
import {
  docIdOfMetaId,
  isPulledState,
  LINK_OF_META_TABLE_SQL,
  LINKS_OF_FORK_TABLE_SQL,
  forkTableOf,
  metaTableOf,
  pulledMetaDoc,
  type PulledLink,
} from './pulled-state';
import { QueryRunner, type QueryExplanation } from './query-runner';
import type { ReplicaDb } from './replica-file';
import { DOC_COLUMNS, type StoredRow } from './row-layout';
import { StatementCache } from './statement-cache';
import type { SqlcipherInstanceOptions, SqlcipherInternals } from './types';

type ChangeBulk<RxDocType> = EventBulk<
  RxStorageChangeEvent<RxDocumentData<RxDocType>>,
  RxStorageDefaultCheckpoint
>;

/**
 * What the instances of one collection table share within a storage object: RxDB may open the
 * same collection more than once (two RxDatabase objects of one name), and a write through one
 * must reach the change stream of every other, as in RxDB's memory storage.
 */
export interface SharedTable {
  /** Document types differ per table; each instance views the stream with its own. */
  readonly changes$: Subject<ChangeBulk<unknown>>;
  /** Set by `remove()`: the table is gone, so its other instances refuse every call. */
  removed: boolean;
}

export interface SqlcipherInstanceInit<RxDocType> {
  readonly databaseName: string;
  readonly collectionName: string;
  readonly schema: RxJsonSchema<RxDocumentData<RxDocType>>;
  readonly options: SqlcipherInstanceOptions;
  readonly filePath: string;
  readonly db: ReplicaDb;
  readonly table: CollectionTable<RxDocType>;
  readonly shared: SharedTable;
  /** Tells the storage this instance is done with the connection. */
  readonly onClose: () => void;
}

/**
 * Tombstones purged per `cleanup()` call, so that one call never holds the write lock for long;
 * RxDB's cleanup calls again while the answer is `false`.
 */
const CLEANUP_BATCH = 5_000;

/** One RxDB collection (of one schema version) in the encrypted replica. */
export class SqlcipherStorageInstance<RxDocType> implements RxStorageInstance<
  RxDocType,
  SqlcipherInternals,
  SqlcipherInstanceOptions,
  RxStorageDefaultCheckpoint
> {
  readonly databaseName: string;
  readonly collectionName: string;
  readonly schema: Readonly<RxJsonSchema<RxDocumentData<RxDocType>>>;
  readonly options: Readonly<Record<string, unknown>>;
  readonly internals: Readonly<SqlcipherInternals>;

  private readonly primaryPath: StringKeys<RxDocumentData<RxDocType>>;
  private readonly db: ReplicaDb;
  private readonly table: CollectionTable<RxDocType>;
  private readonly shared: SharedTable;
  private readonly onClose: () => void;
  private readonly statements: StatementCache;
  private readonly runner: QueryRunner<RxDocType>;
  private readonly changesColumn: IndexColumn<RxDocType>;
  private readonly upsertSql: string;
  private readonly closed$ = new Subject<void>();
  private closed = false;
  private readonly writeInTransaction: (
    rows: BulkWriteRow<RxDocType>[],
    context: string,
  ) => CategorizeBulkWriteRowsOutput<RxDocType>;

  constructor(init: SqlcipherInstanceInit<RxDocType>) {
    this.databaseName = init.databaseName;
    this.collectionName = init.collectionName;
    this.schema = init.schema;
    this.options = optionsObject(init.options);
    this.internals = { filePath: init.filePath, tableName: init.table.name };
    this.primaryPath = getPrimaryFieldOfPrimaryKey(init.schema.primaryKey);
    this.db = init.db;
    this.table = init.table;
    this.shared = init.shared;
    this.onClose = init.onClose;
    this.statements = new StatementCache(init.db);
    this.runner = new QueryRunner(init.db, init.table, init.schema, this.statements);
    const changesColumn = columnOfIndex(init.table.columns, changesIndexOf(init.schema));
    if (changesColumn === undefined) throw new Error('The replica table has no changes index');
    this.changesColumn = changesColumn;
    this.upsertSql = upsertSql(init.table);
    // Reading the current documents and writing happen in one transaction, so the conflict check
    // and the write see the same state.
    this.writeInTransaction = init.db.transaction((rows: BulkWriteRow<RxDocType>[], context: string) =>
      this.write(rows, context),
    );
  }

  async bulkWrite(
    documentWrites: BulkWriteRow<RxDocType>[],
    context: string,
  ): Promise<RxStorageBulkWriteResponse<RxDocType>> {
    this.assertUsable();
    if (documentWrites.length === 0) return { error: [] };
    const categorized = this.writeInTransaction(documentWrites, context);
    // Only now is the transaction committed: a subscriber that reads back sees the write, and a
    // write that threw (rolled back) has emitted nothing.
    const newest = categorized.newestRow;
    if (categorized.eventBulk.events.length > 0 && newest !== undefined) {
      const bulk: ChangeBulk<RxDocType> = {
        ...categorized.eventBulk,
        checkpoint: { id: this.idOf(newest.document), lwt: newest.document._meta.lwt },
      };
      this.shared.changes$.next(bulk);
    }
    return { error: categorized.errors };
  }

  private write(rows: BulkWriteRow<RxDocType>[], context: string): CategorizeBulkWriteRowsOutput<RxDocType> {
    const current = new Map<string, RxDocumentData<RxDocType>>();
    for (const doc of this.readByIds(rows.map((row) => this.idOf(row.document)))) {
      current.set(this.idOf(doc), doc);
    }
    const asMeta = this.pulledLinkAsMeta();
    if (asMeta !== undefined) {
      // A write based on a meta row this table answered for a filled document (RxDB read it
      // first) is checked against that row; a write with no previous state inserts as usual.
      const based = rows.filter((row) => row.previous !== undefined).map((row) => this.idOf(row.document));
      for (const doc of this.pulledMetaDocs(
        asMeta,
        based.filter((id) => !current.has(id)),
      )) {
        current.set(this.idOf(doc), doc as RxDocumentData<RxDocType>);
      }
    }
    const categorized = categorizeBulkWriteRows<RxDocType>(
      this,
      // The primary key is a field of the document type itself, not one of RxDB's meta fields.
      this.primaryPath as StringKeys<RxDocType>,
      current,
      rows,
      context,
    );
    const written = [...categorized.bulkInsertDocs, ...categorized.bulkUpdateDocs];
    this.keepPulledMetaOfOverwritten(written.map((row) => current.get(this.idOf(row.document))));
    const upsert = this.statements.get(this.upsertSql);
    for (const row of written) {
      upsert.run(...rowValues(this.table, row.document));
    }
    return categorized;
  }

  /** The link where this table is the meta table, if a fill made one. */
  private pulledLinkAsMeta(): PulledLink | undefined {
    return this.statements.get(LINK_OF_META_TABLE_SQL).get(this.table.name) as PulledLink | undefined;
  }

  /** The meta rows a meta table answers for from its fork table: filled, unchanged documents. */
  private pulledMetaDocs(link: PulledLink, metaIds: readonly string[]): RxDocumentData<unknown>[] {
    const docIds = metaIds.map(docIdOfMetaId).filter((id): id is string => id !== undefined);
    if (docIds.length === 0) return [];
    const forkTable = forkTableOf(link);
    const rows = this.statements
      .rows<StoredRow>(
        `SELECT ${DOC_COLUMNS} FROM ${link.forkTable} WHERE id IN (SELECT value FROM json_each(?))`,
      )
      .all(JSON.stringify(docIds));
    const docs: RxDocumentData<unknown>[] = [];
    for (const row of rows) {
      const doc = docOfRow(forkTable, row);
      if (isPulledState(doc, link.link)) docs.push(pulledMetaDoc(doc, row[0]));
    }
    return docs;
  }

  /**
   * Copy on write: a filled document about to be overwritten takes its meta row along first, so
   * the replication still knows the state the server had (an existing meta row is kept).
   */
  private keepPulledMetaOfOverwritten(previous: readonly (RxDocumentData<RxDocType> | undefined)[]): void {
    const links = this.statements.get(LINKS_OF_FORK_TABLE_SQL).all(this.table.name) as PulledLink[];
    for (const link of links) {
      const metaTable = metaTableOf(link, this.schema);
      const insert = this.statements.get(insertIfAbsentSql(metaTable));
      for (const doc of previous) {
        if (doc === undefined || !isPulledState(doc, link.link)) continue;
        const docId = this.idOf(doc);
        insert.run(...rowValues(metaTable, pulledMetaDoc(doc, docId)));
      }
    }
  }

  async findDocumentsById(ids: string[], withDeleted: boolean): Promise<RxDocumentData<RxDocType>[]> {
    this.assertUsable();
    const byId = new Map<string, RxDocumentData<RxDocType>>();
    for (const doc of this.readByIds(ids)) byId.set(this.idOf(doc), doc);
    const asMeta = this.pulledLinkAsMeta();
    if (asMeta !== undefined) {
      for (const doc of this.pulledMetaDocs(
        asMeta,
        ids.filter((id) => !byId.has(id)),
      )) {
        byId.set(this.idOf(doc), doc as RxDocumentData<RxDocType>);
      }
    }
    const found: RxDocumentData<RxDocType>[] = [];
    for (const id of ids) {
      const doc = byId.get(id);
      if (doc !== undefined && (withDeleted || !doc._deleted)) found.push(doc);
    }
    return found;
  }

  /** One statement for any number of ids: they go in as one JSON array, unpacked by json_each. */
  private readByIds(ids: readonly string[]): RxDocumentData<RxDocType>[] {
    if (ids.length === 0) return [];
    return this.statements
      .rows<StoredRow>(
        `SELECT ${DOC_COLUMNS} FROM ${this.table.name} WHERE id IN (SELECT value FROM json_each(?))`,
      )
      .all(JSON.stringify(ids))
      .map((row) => docOfRow(this.table, row));
  }

  async query(preparedQuery: PreparedQuery<RxDocType>): Promise<RxStorageQueryResult<RxDocType>> {
    this.assertUsable();
    return { documents: this.runner.query(preparedQuery) };
  }

  async count(preparedQuery: PreparedQuery<RxDocType>): Promise<RxStorageCountResult> {
    this.assertUsable();
    return this.runner.count(preparedQuery);
  }

  /** Not part of RxDB's contract: the SQL a query or count runs and SQLite's plan, for tests. */
  explain(preparedQuery: PreparedQuery<RxDocType>, operation: 'query' | 'count' = 'query'): QueryExplanation {
    this.assertUsable();
    return this.runner.explain(preparedQuery, operation);
  }

  /**
   * The documents changed after the checkpoint, in the order of RxDB's `[_meta.lwt, primary]`
   * index, read as a range of its column.
   */
  async getChangedDocumentsSince(
    limit: number,
    checkpoint?: RxStorageDefaultCheckpoint,
  ): Promise<{ documents: RxDocumentData<RxDocType>[]; checkpoint: RxStorageDefaultCheckpoint }> {
    this.assertUsable();
    const { sql, params } = this.changesSince(limit, checkpoint);
    const documents = this.statements
      .rows<StoredRow>(sql)
      .all(...params)
      .map((row) => docOfRow(this.table, row));
    const last = documents[documents.length - 1];
    return {
      documents,
      checkpoint:
        last === undefined
          ? (checkpoint ?? { id: '', lwt: 0 })
          : { id: this.idOf(last), lwt: last._meta.lwt },
    };
  }

  /** Not part of RxDB's contract: SQLite's plan for `getChangedDocumentsSince`, for tests. */
  explainChangedDocumentsSince(checkpoint?: RxStorageDefaultCheckpoint): string[] {
    this.assertUsable();
    const { sql, params } = this.changesSince(100, checkpoint);
    const rows = this.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[];
    return rows.map((row) => row.detail);
  }

  /**
   * The checkpoint's position in the index is the key its document has (the same function, not a
   * query bound), so "after the checkpoint" is exact: keys are unique, as they end with the id.
   */
  private changesSince(
    limit: number,
    checkpoint: RxStorageDefaultCheckpoint | undefined,
  ): { sql: string; params: unknown[] } {
    const column = this.changesColumn.column;
    const from = `SELECT ${DOC_COLUMNS} FROM ${this.table.name}`;
    if (checkpoint === undefined) return { sql: `${from} ORDER BY ${column} LIMIT ?`, params: [limit] };
    // A stand-in document with just the two indexed fields.
    const position = this.changesColumn.keyOf({
      [this.primaryPath]: checkpoint.id,
      _meta: { lwt: checkpoint.lwt },
    } as unknown as RxDocumentData<RxDocType>);
    return { sql: `${from} WHERE ${column} > ? ORDER BY ${column} LIMIT ?`, params: [position, limit] };
  }

  changeStream(): Observable<ChangeBulk<RxDocType>> {
    this.assertUsable();
    // Every instance of the table emits what any of them wrote; the cast gives the stream this
    // instance's document type, which all writers to the table share.
    return (this.shared.changes$ as unknown as Subject<ChangeBulk<RxDocType>>).pipe(takeUntil(this.closed$));
  }

  async cleanup(minimumDeletedTime: number): Promise<boolean> {
    this.assertUsable();
    const name = this.table.name;
    const purgeBefore = now() - minimumDeletedTime;
    const purged = this.statements
      .get(
        `DELETE FROM ${name} WHERE rowid IN
           (SELECT rowid FROM ${name} WHERE deleted = 1 AND lwt <= ? LIMIT ${CLEANUP_BATCH})`,
      )
      .run(purgeBefore).changes;
    if (purged < CLEANUP_BATCH) return true;
    const more = this.statements
      .get(`SELECT 1 FROM ${name} WHERE deleted = 1 AND lwt <= ? LIMIT 1`)
      .get(purgeBefore);
    return more === undefined;
  }

  async getAttachmentData(_documentId: string, _attachmentId: string, _digest: string): Promise<Blob> {
    throw new Error('The encrypted replica storage does not support attachments');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.closed$.next();
    this.closed$.complete();
    this.statements.clear();
    this.onClose();
  }

  async remove(): Promise<void> {
    this.assertUsable();
    dropCollectionTable(this.db, this.table.name);
    this.shared.removed = true;
    await this.close();
  }

  private assertUsable(): void {
    if (this.closed) {
      throw new Error(`The replica storage instance ${this.databaseName}/${this.collectionName} is closed`);
    }
    if (this.shared.removed) {
      throw new Error(`The replica storage instance ${this.databaseName}/${this.collectionName} was removed`);
    }
  }

  /** RxDB primary keys are strings (its schema check requires `type: 'string'`). */
  private idOf(doc: object): string {
    return (doc as Record<string, unknown>)[this.primaryPath] as string;
  }
}

/** The options as given when they are an object (RxDB passes `{}` by default), else `{}`. */
function optionsObject(options: SqlcipherInstanceOptions): Readonly<Record<string, unknown>> {
  return typeof options === 'object' && options !== null ? (options as Record<string, unknown>) : {};
}
