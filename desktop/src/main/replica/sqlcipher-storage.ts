import { Subject } from 'rxjs';
import {
  ensureRxStorageInstanceParamsAreCorrect,
  RXDB_VERSION,
  type RxStorageInstance,
  type RxStorageInstanceCreationParams,
} from 'rxdb';
import { migrateReplicaFormat, openCollectionTable, tableNameOf } from './collection-table';
import {
  DEFAULT_CACHE_KIB,
  openReplicaDatabase,
  useRollbackJournal,
  useWalJournal,
  type ReplicaDb,
} from './replica-file';
import type { FillPageSql } from './fill-page-writer';
import { FillWriter } from './fill-writer';
import { ReplicaFill, type FillTarget } from './replica-fill';
import { SqlcipherStorageInstance, type SharedTable } from './sqlcipher-instance';
import type {
  SqlcipherInstanceOptions,
  SqlcipherInternals,
  SqlcipherRxStorage,
  SqlcipherStorageOptions,
} from './types';

interface Closable {
  close(): Promise<void>;
}

/**
 * The RxStorage of the desktop replica: every database and collection created through one
 * storage object lives in one encrypted SQLite file, over one connection. The connection opens
 * with the first instance and closes with the last, so a closed RxDatabase leaves no handle on
 * the file; `closeAll()` ends the storage object for good.
 */
class SqlcipherStorage implements SqlcipherRxStorage {
  readonly name = 'enclave-sqlcipher';
  readonly rxdbVersion = RXDB_VERSION;

  private db: ReplicaDb | undefined;
  private readonly instances = new Set<Closable>();
  private readonly tables = new Map<string, SharedTable>();
  /** Tables a fill is writing: RxDB may not open them meanwhile (it would miss the writes). */
  private readonly filling = new Set<string>();
  private ended = false;

  constructor(private readonly options: Readonly<SqlcipherStorageOptions>) {}

  async createStorageInstance<RxDocType>(
    params: RxStorageInstanceCreationParams<RxDocType, SqlcipherInstanceOptions>,
  ): Promise<RxStorageInstance<RxDocType, SqlcipherInternals, SqlcipherInstanceOptions>> {
    if (this.ended) throw new Error('The replica storage has been closed (closeAll)');
    ensureRxStorageInstanceParamsAreCorrect(params);
    if (params.schema.attachments !== undefined) {
      throw new Error(
        `The encrypted replica storage does not support attachments (collection ${params.collectionName})`,
      );
    }
    const db = this.connection();
    try {
      const identity = {
        databaseName: params.databaseName,
        collectionName: params.collectionName,
        schemaVersion: params.schema.version,
      };
      const table = openCollectionTable<RxDocType>(db, identity, params.schema);
      if (this.filling.has(table.name)) {
        throw new Error(`The collection ${params.collectionName} is being filled from the server`);
      }
      const instance: SqlcipherStorageInstance<RxDocType> = new SqlcipherStorageInstance<RxDocType>({
        databaseName: params.databaseName,
        collectionName: params.collectionName,
        schema: params.schema,
        options: params.options,
        filePath: this.options.filePath,
        db,
        table,
        shared: this.sharedTable(tableNameOf(identity)),
        onClose: () => this.release(instance),
      });
      this.instances.add(instance);
      return instance;
    } catch (error) {
      this.closeIfUnused();
      throw error;
    }
  }

  async openFill<RxDocType, Checkpoint>(
    target: FillTarget<RxDocType>,
  ): Promise<ReplicaFill<RxDocType, Checkpoint>> {
    if (this.ended) throw new Error('The replica storage has been closed (closeAll)');
    const db = this.connection();
    let rollbackJournal = false;
    try {
      let tables: string[] = [];
      const startWriter = (sql: FillPageSql) =>
        new FillWriter({
          filePath: this.options.filePath,
          key: this.options.key,
          cacheKiB: this.options.cacheKiB ?? DEFAULT_CACHE_KIB,
          // The worker's connection joins this one in the journal it has.
          journal: rollbackJournal ? 'rollback' : 'wal',
          sql,
        });
      const fill: ReplicaFill<RxDocType, Checkpoint> = new ReplicaFill<RxDocType, Checkpoint>(
        db,
        target,
        startWriter,
        () => {
          for (const name of tables) this.filling.delete(name);
          if (rollbackJournal) useWalJournal(db);
          this.release(fill);
        },
      );
      tables = [fill.forkTable.name, fill.metaTable.name];
      const open = new Set([...this.instances].map((instance) => instanceTableOf(instance)));
      if (tables.some((name) => open.has(name) || this.filling.has(name))) {
        throw new Error(`The collection ${target.collectionName} is open: it cannot be filled now`);
      }
      // Alone on the file, the fill writes through a rollback journal (see useRollbackJournal).
      if (this.instances.size === 0) rollbackJournal = useRollbackJournal(db);
      for (const name of tables) this.filling.add(name);
      this.instances.add(fill);
      return fill;
    } catch (error) {
      if (rollbackJournal) useWalJournal(db);
      this.closeIfUnused();
      throw error;
    }
  }

  async closeAll(): Promise<void> {
    this.ended = true;
    // Each close() releases its instance; the last one closes the connection.
    await Promise.all([...this.instances].map((instance) => instance.close()));
    this.closeIfUnused();
    // The storage cannot reopen any more, so its copy of the key has no further use.
    this.options.key.fill(0);
  }

  private connection(): ReplicaDb {
    if (this.db === undefined) {
      const db = openReplicaDatabase(
        this.options.filePath,
        this.options.key,
        this.options.cacheKiB ?? DEFAULT_CACHE_KIB,
      );
      try {
        migrateReplicaFormat(db);
      } catch (error) {
        db.close();
        throw error;
      }
      this.db = db;
    }
    return this.db;
  }

  /** The shared state of a table; a removed table's is replaced, since the table starts afresh. */
  private sharedTable(tableName: string): SharedTable {
    let shared = this.tables.get(tableName);
    if (shared === undefined || shared.removed) {
      shared = { changes$: new Subject(), removed: false };
      this.tables.set(tableName, shared);
    }
    return shared;
  }

  private release(instance: Closable): void {
    this.instances.delete(instance);
    this.closeIfUnused();
  }

  private closeIfUnused(): void {
    if (this.instances.size > 0 || this.db === undefined) return;
    this.db.close();
    this.db = undefined;
    // Nobody listens any more; the next instance of a table starts a new stream.
    this.tables.clear();
  }
}

function instanceTableOf(instance: Closable): string | undefined {
  return (instance as { internals?: { tableName?: string } }).internals?.tableName;
}

/** An RxStorage keeping every collection in one SQLCipher-encrypted file. */
export function getRxStorageSqlcipher(options: SqlcipherStorageOptions): SqlcipherRxStorage {
  return new SqlcipherStorage({ ...options, key: Buffer.from(options.key) });
}
