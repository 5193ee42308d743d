import { fillWithDefaultSettings, now, type RxDocumentData, type RxJsonSchema, type WithDeleted } from 'rxdb';
import {
  isCollectionTableName,
  openCollectionTable,
  docOfRow,
  rowValues,
  rowValuesOfSent,
  upsertSql,
  type CollectionTable,
} from './collection-table';
import type { FillPageSql } from './fill-page-writer';
import type { FillWriter } from './fill-writer';
import { changesIndexOf, columnOfIndex } from './index-columns';
import { nextPulledRev, PULLED_MARK, PULLED_REV, type PulledMark } from './pulled-mark';
import {
  LINK_OF_META_TABLE_SQL,
  replicationMetaCollectionName,
  replicationMetaSchema,
  type PulledLink,
} from './pulled-state';
import type { ReplicaDb } from './replica-file';
import { DOC_COLUMNS, ROW_AT, type StoredRow } from './row-layout';

/** Which collection a fill writes, and which of its replications takes over afterwards. */
export interface FillTarget<RxDocType> {
  readonly databaseName: string;
  readonly collectionName: string;
  /** The collection's schema as given to `addCollections` (defaults are filled in here). */
  readonly schema: RxJsonSchema<RxDocType>;
  /** The `replicationIdentifier` of the `replicateRxCollection` that continues from the fill. */
  readonly replicationIdentifier: string;
}

/** Where a fill stands: `done` once finished (or once RxDB's replication has run instead). */
export type FillState<Checkpoint> =
  | { kind: 'fill'; checkpoint: Checkpoint | null }
  | { kind: 'done' }
  /** The collection holds documents a fill did not write: RxDB's replication fills it. */
  | { kind: 'not_fillable' };

interface CheckpointDoc<Checkpoint> {
  checkpointData: Checkpoint;
}

const DOWN = 'down|1';
const UP = 'up|1';

/**
 * The first pull of a fresh replica, written straight into the collection's table: the documents
 * as RxDB's downstream would have written them (marked as pulled, so that their replication meta
 * is not stored a second time, see pulled-state.ts) and the replication's checkpoints, so that
 * RxDB's `replicateRxCollection` with the same identifier continues where the fill stopped and
 * neither pulls nor pushes the filled documents again.
 *
 * Each page is one transaction with its checkpoint: a fill stopped at any point (the app quit, the
 * connection dropped) resumes after the last page written. Nothing is emitted on RxDB's change
 * streams, so no instance of either table may be open while a fill runs (the storage checks).
 *
 * The rows of each page are built here, on the app's thread, and written on the fill's worker
 * thread (`FillWriter`), so that building the next page and writing this one overlap. Pages are
 * written in the order given; `writePage` may be called again before the last one has answered.
 */
export class ReplicaFill<RxDocType, Checkpoint> {
  readonly forkTable: CollectionTable<RxDocType>;
  readonly metaTable: CollectionTable<unknown>;
  private readonly link: number;
  private readonly primaryPath: string;
  private readonly writerSql: FillPageSql;
  private readonly upsertMeta: { run(...values: unknown[]): unknown };
  private readonly finishInTransaction: () => void;
  private readonly readMetaDoc: { get(id: string): unknown };
  private writer: FillWriter | null = null;
  /** The last page handed to the writer; `finish` waits for it. */
  private lastPage: Promise<number> = Promise.resolve(0);
  /** The revision of the `down` checkpoint row as the pages given so far leave it. */
  private downRev: string | undefined | null = null;
  /** A page failed: the pages after it may not be written on top. */
  private failure: Error | null = null;
  private closing: Promise<void> | null = null;

  constructor(
    private readonly db: ReplicaDb,
    target: FillTarget<RxDocType>,
    /** Starts the thread that writes the pages, once the fill writes (one already done needs none). */
    private readonly startWriter: (sql: FillPageSql) => FillWriter,
    private readonly onClose: () => void = () => undefined,
  ) {
    const forkSchema = fillWithDefaultSettings<RxDocType>(target.schema);
    this.primaryPath =
      typeof forkSchema.primaryKey === 'string' ? forkSchema.primaryKey : forkSchema.primaryKey.key;
    const schemaVersion = forkSchema.version;
    this.forkTable = openCollectionTable(
      db,
      { databaseName: target.databaseName, collectionName: target.collectionName, schemaVersion },
      forkSchema,
    );
    this.metaTable = openCollectionTable(
      db,
      {
        databaseName: target.databaseName,
        collectionName: replicationMetaCollectionName(target.collectionName, target.replicationIdentifier),
        schemaVersion,
      },
      replicationMetaSchema(forkSchema),
    );
    if (!isCollectionTableName(this.forkTable.name) || !isCollectionTableName(this.metaTable.name)) {
      throw new Error('unexpected table name');
    }
    this.readMetaDoc = db.prepare(`SELECT ${DOC_COLUMNS} FROM ${this.metaTable.name} WHERE id = ?`).raw();
    this.link = this.linkTables();
    const changes = columnOfIndex(this.forkTable.columns, changesIndexOf(forkSchema));
    if (changes === undefined) throw new Error('The replica table has no changes index');
    const newestSql = `SELECT ${DOC_COLUMNS} FROM ${this.forkTable.name} ORDER BY ${changes.column} DESC LIMIT 1`;
    this.writerSql = {
      upsertFork: upsertSql(this.forkTable),
      readForkRevs: `SELECT id, rev FROM ${this.forkTable.name} WHERE id IN (SELECT value FROM json_each(?))`,
      upsertMeta: upsertSql(this.metaTable),
    };
    this.upsertMeta = db.prepare(this.writerSql.upsertMeta);

    this.finishInTransaction = db.transaction(() => {
      const newestRow = db.prepare(newestSql).raw().get() as StoredRow | undefined;
      const newest = newestRow === undefined ? undefined : docOfRow(this.forkTable, newestRow);
      // The fork's own checkpoint after the newest filled document: the upstream starts past them.
      const up =
        newest === undefined
          ? { id: '', lwt: 0 }
          : { id: (newest as Record<string, unknown>)[this.primaryPath] as string, lwt: newest._meta.lwt };
      const previous = this.readCheckpoint(UP) as { _rev?: string } | undefined;
      this.upsertMeta.run(...this.checkpointRow(UP, 'up', up, now(), previous?._rev));
    });
  }

  /** Where this fill stands, read from the tables. */
  state(): FillState<Checkpoint> {
    if (this.readCheckpoint(UP) !== undefined) return { kind: 'done' };
    const down = this.readCheckpoint(DOWN) as CheckpointDoc<Checkpoint> | undefined;
    if (down === undefined && this.hasDocuments()) return { kind: 'not_fillable' };
    return { kind: 'fill', checkpoint: down?.checkpointData ?? null };
  }

  /**
   * Starts the thread that writes the pages, if it has not started: a fill calls this before it
   * asks for the first page, so that the thread starts while the server reads it.
   */
  startWriting(): void {
    this.assertWritable();
    this.writerStarted();
  }

  /**
   * Writes one page of pulled documents and the checkpoint after it, after the pages given before;
   * answers how many were kept once it is written.
   */
  async writePage(docs: readonly WithDeleted<RxDocType>[], checkpoint: Checkpoint): Promise<number> {
    this.assertWritable();
    const lwt = now();
    // Built for documents new to the replica; the writer corrects those it already holds.
    const mark: PulledMark = { link: this.link, rev: PULLED_REV };
    const state = { rev: PULLED_REV, lwt, meta: { [PULLED_MARK]: mark } };
    const rows = docs.map((doc) => rowValuesOfSent(this.forkTable, doc, state));
    if (this.downRev === null)
      this.downRev = (this.readCheckpoint(DOWN) as { _rev?: string } | undefined)?._rev;
    const checkpointRow = this.checkpointRow(DOWN, 'down', checkpoint, lwt, this.downRev);
    this.downRev = checkpointRow[ROW_AT.rev] as string;
    const written = this.writerStarted().write({ rows, checkpointRow });
    this.lastPage = written;
    written.catch((error: unknown) => {
      this.failure ??= error instanceof Error ? error : new Error(String(error));
    });
    return written;
  }

  /** Once every page is written: marks the fill done, the upstream's checkpoint past every filled document. */
  async finish(): Promise<void> {
    this.assertWritable();
    await this.lastPage;
    this.assertWritable();
    this.finishInTransaction();
  }

  /**
   * Lets go of the connections (after the pages given are written); RxDB may open the collection
   * now. Every call waits for the same close: a wipe that closes the storage deletes the files
   * only once the worker's connection is closed too.
   */
  close(): Promise<void> {
    this.closing ??= this.closeConnections();
    return this.closing;
  }

  private async closeConnections(): Promise<void> {
    try {
      await this.writer?.close();
    } finally {
      this.onClose();
    }
  }

  private writerStarted(): FillWriter {
    this.writer ??= this.startWriter(this.writerSql);
    return this.writer;
  }

  private assertWritable(): void {
    if (this.closing !== null) throw new Error('The replica fill is closed');
    if (this.failure !== null) throw this.failure;
  }

  private linkTables(): number {
    this.db
      .prepare(
        `INSERT INTO replica_pulled_links (meta_table, fork_table, fork_primary_path) VALUES (?, ?, ?)
         ON CONFLICT (meta_table) DO NOTHING`,
      )
      .run(this.metaTable.name, this.forkTable.name, this.forkTable.primaryPath);
    const row = this.db.prepare(LINK_OF_META_TABLE_SQL).get(this.metaTable.name) as PulledLink;
    if (row.forkTable !== this.forkTable.name)
      throw new Error('The replication meta table belongs to another collection');
    return row.link;
  }

  private hasDocuments(): boolean {
    return this.db.prepare(`SELECT 1 FROM ${this.forkTable.name} LIMIT 1`).get() !== undefined;
  }

  private readCheckpoint(id: string): CheckpointDoc<unknown> | undefined {
    const row = this.readMetaDoc.get(id) as StoredRow | undefined;
    return row === undefined
      ? undefined
      : (docOfRow(this.metaTable, row) as unknown as CheckpointDoc<unknown>);
  }

  /** A checkpoint row as RxDB's `setCheckpoint` writes it (RxDB's later writes build on it). */
  private checkpointRow(
    id: string,
    direction: 'down' | 'up',
    checkpointData: unknown,
    lwt: number,
    previousRev: string | undefined,
  ): unknown[] {
    const doc = {
      id,
      isCheckpoint: '1',
      itemId: direction,
      checkpointData,
      _deleted: false,
      _attachments: {},
      _meta: { lwt },
      _rev: previousRev === undefined ? PULLED_REV : nextPulledRev(previousRev),
    } as RxDocumentData<unknown>;
    return rowValues(this.metaTable, doc);
  }
}
