import Database from 'better-sqlite3-multiple-ciphers';
import { closeSync, openSync } from 'node:fs';

export type Db = Database.Database;

export interface OpenOptions {
  /** Page cache in KiB. Decryption happens per page read, so a warm cache is what keeps reads fast. */
  cacheKiB?: number;
}

export interface OpenMode {
  /** Open only a file that is there already: a missing database is an error, never a new one. */
  mustExist?: boolean;
}

/**
 * Opens (creating if needed) a SQLCipher-encrypted database. The file is created 0600 before
 * SQLite touches it; SQLite gives its -wal and -shm companions the same mode.
 */
export function openEncrypted(path: string, key: Buffer, options: OpenOptions & OpenMode = {}): Db {
  if (!options.mustExist) closeSync(openSync(path, 'a', 0o600));
  const db = new Database(path, { fileMustExist: options.mustExist ?? false });
  try {
    db.pragma(`cipher='sqlcipher'`);
    db.pragma('legacy=4');
    // Raw key form: the 256-bit key is used as is, with no passphrase derivation.
    db.pragma(`key="x'${key.toString('hex')}'"`);
    // Reading the schema proves the key: SQLite answers "file is not a database" otherwise.
    db.prepare('SELECT count(*) FROM sqlite_master').get();
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    db.pragma(`cache_size = -${options.cacheKiB ?? 32_768}`);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/**
 * Applies the migrations past the database's `user_version`, each in its own transaction.
 * Migrations are append-only: never edit one that has shipped.
 */
export function migrate(db: Db, migrations: readonly string[]): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > migrations.length) {
    throw new Error(`database schema version ${current} is newer than this server (${migrations.length})`);
  }
  for (let version = current; version < migrations.length; version++) {
    db.transaction(() => {
      db.exec(migrations[version] as string);
      db.pragma(`user_version = ${version + 1}`);
    })();
  }
}
