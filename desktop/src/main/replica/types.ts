import type { FillTarget, ReplicaFill } from './replica-fill';
import type { RxStorage } from 'rxdb';

export interface SqlcipherStorageOptions {
  /** The replica file; created 0600 (directories 0700) if missing. */
  filePath: string;
  /** The 256-bit replica key (32 bytes). */
  key: Buffer;
  /** SQLite page cache in KiB (default 32768): decryption is per page read. */
  cacheKiB?: number;
}

/** What `instance.internals` shows: where the collection lives. Read-only, for diagnostics. */
export interface SqlcipherInternals {
  readonly filePath: string;
  /** The SQL table holding this (database, collection, schema version). */
  readonly tableName: string;
}

/**
 * Per-collection options (RxDB's `instanceCreationOptions`). The storage takes none — everything
 * is a property of the storage object, since all collections share its file and connection — and
 * ignores whatever comes: RxDB hands the collection's options through untyped (and its IPC
 * storage as whatever the renderer sent), so the type accepts anything.
 */
export type SqlcipherInstanceOptions = unknown;

export interface SqlcipherRxStorage extends RxStorage<SqlcipherInternals, SqlcipherInstanceOptions> {
  /**
   * Starts filling a collection straight from the server (`ReplicaFill`); refused while RxDB has
   * either of its tables open. Close the fill before RxDB opens the collection.
   */
  openFill<RxDocType, Checkpoint>(target: FillTarget<RxDocType>): Promise<ReplicaFill<RxDocType, Checkpoint>>;
  /** Closes every open instance and the database connection (used before a wipe). Idempotent. */
  closeAll(): Promise<void>;
}
