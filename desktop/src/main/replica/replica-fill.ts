import { fillWithDefaultSettings, now, type RxDocumentData, type RxJsonSchema, type WithDeleted } from 'rxdb';
import {
  isCollectionTableName,
  openCollectionTable,
  DOC_COLUMNS,
  docOfRow,
  type StoredRow,
  rowValues,
  rowValuesOfSent,
  upsertSql,
  type CollectionTable,
} from './collection-table';
import { changesIndexOf, columnOfIndex } from './index-columns';
import {
  PULLED_MARK,
  PULLED_REV,
  LINK_OF_META_TABLE_SQL,
  replicationMetaCollectionName,
  replicationMetaSchema,
  type PulledLink,
  type PulledMark,
} from './pulled-state';
import type { ReplicaDb } from './replica-file';

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
 */
export class ReplicaFill<RxDocType, Checkpoint> {
  readonly forkTable: CollectionTable<RxDocType>;
  readonly metaTable: CollectionTable<unknown>;
  private readonly link: number;
  private readonly primaryPath: string;
  private readonly writePageInTransaction: (
    docs: readonly WithDeleted<RxDocType>[],
    checkpoint: Checkpoint,
  ) => number;
  private readonly finishInTransaction: () => void;
  private readonly readMetaDoc: { get(id: string): unknown };
  private closed = false;

  constructor(
    private readonly db: ReplicaDb,
    target: FillTarget<RxDocType>,
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
    const upsertFork = db.prepare(upsertSql(this.forkTable));
    const readForkRevs = db.prepare(
      `SELECT id, rev FROM ${this.forkTable.name}
       WHERE id IN (SELECT value FROM json_each(?))`,
    );
    const upsertMeta = db.prepare(upsertSql(this.metaTable));

    this.writePageInTransaction = db.transaction(
      (docs: readonly WithDeleted<RxDocType>[], checkpoint: Checkpoint) => {
        const lwt = now();
        const idOf = (doc: WithDeleted<RxDocType>) =>
          (doc as Record<string, unknown>)[this.primaryPath] as string;
        // A fresh fill has none; a resumed one may meet documents again that changed meanwhile.
        const previousRevs = new Map<string, string>();
        for (const row of readForkRevs.all(JSON.stringify(docs.map(idOf))) as { id: string; rev: string }[]) {
          previousRevs.set(row.id, row.rev);
        }
        let written = 0;
        for (const doc of docs) {
          const id = idOf(doc);
          const previousRev = previousRevs.get(id);
          // A deletion of a document this replica never had leaves nothing to keep.
          if (previousRev === undefined && doc._deleted) continue;
          const rev = previousRev === undefined ? PULLED_REV : nextRev(previousRev);
          const mark: PulledMark = { link: this.link, rev };
          const meta = { [PULLED_MARK]: mark };
          upsertFork.run(...rowValuesOfSent(this.forkTable, doc, { rev, lwt, meta }));
          written++;
        }
        this.writeCheckpoint(upsertMeta, DOWN, 'down', checkpoint, lwt);
        return written;
      },
    );

    this.finishInTransaction = db.transaction(() => {
      const newestRow = db.prepare(newestSql).raw().get() as StoredRow | undefined;
      const newest = newestRow === undefined ? undefined : docOfRow(this.forkTable, newestRow);
      // The fork's own checkpoint after the newest filled document: the upstream starts past them.
      const up =
        newest === undefined
          ? { id: '', lwt: 0 }
          : { id: (newest as Record<string, unknown>)[this.primaryPath] as string, lwt: newest._meta.lwt };
      this.writeCheckpoint(upsertMeta, UP, 'up', up, now());
    });
  }

  /** Where this fill stands, read from the tables. */
  state(): FillState<Checkpoint> {
    if (this.readCheckpoint(UP) !== undefined) return { kind: 'done' };
    const down = this.readCheckpoint(DOWN) as CheckpointDoc<Checkpoint> | undefined;
    if (down === undefined && this.hasDocuments()) return { kind: 'not_fillable' };
    return { kind: 'fill', checkpoint: down?.checkpointData ?? null };
  }

  /** Writes one page of pulled documents and the checkpoint after it; answers how many were kept. */
  writePage(docs: readonly WithDeleted<RxDocType>[], checkpoint: Checkpoint): number {
    this.assertOpen();
    return this.writePageInTransaction(docs, checkpoint);
  }

  /** Marks the fill done: the upstream's checkpoint goes past every filled document. */
  finish(): void {
    this.assertOpen();
    this.finishInTransaction();
  }

  /** Lets go of the connection; RxDB may open the collection now. Idempotent. */
  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.onClose();
    }
    return Promise.resolve();
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('The replica fill is closed');
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
  private writeCheckpoint(
    upsert: { run(...values: unknown[]): unknown },
    id: string,
    direction: 'down' | 'up',
    checkpointData: unknown,
    lwt: number,
  ): void {
    const previous = this.readCheckpoint(id) as { _rev?: string } | undefined;
    const doc = {
      id,
      isCheckpoint: '1',
      itemId: direction,
      checkpointData,
      _deleted: false,
      _attachments: {},
      _meta: { lwt },
      _rev: previous?._rev === undefined ? PULLED_REV : nextRev(previous._rev),
    } as RxDocumentData<unknown>;
    upsert.run(...rowValues(this.metaTable, doc));
  }
}

/** The revision after `rev` (RxDB's `<height>-<token>`). */
function nextRev(rev: string): string {
  const height = Number.parseInt(rev.split('-')[0] ?? '0', 10);
  return `${String((Number.isFinite(height) ? height : 0) + 1)}-pulled`;
}
