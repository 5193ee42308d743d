import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';

export type ReplicaDb = Database.Database;

/** SQLite's companions of a database file; a wipe must remove them too (the WAL holds recent pages). */
const COMPANION_SUFFIXES = ['-wal', '-shm', '-journal'] as const;

export const DEFAULT_CACHE_KIB = 32_768;

function assertKey(key: Buffer): void {
  if (!Buffer.isBuffer(key) || key.length !== 32) {
    throw new Error('The replica key must be a 32-byte Buffer');
  }
}

/**
 * SQLCipher 4 settings, the same as the server's databases. The raw key form (`x'…'`) uses the
 * 256-bit key as is, with no passphrase derivation. The key is validated as 32 bytes first, so the
 * only thing interpolated into the pragma is its hex.
 */
function applyKey(db: ReplicaDb, key: Buffer): void {
  db.pragma(`cipher='sqlcipher'`);
  db.pragma('legacy=4');
  db.pragma(`key="x'${key.toString('hex')}'"`);
}

/** Reading the schema proves the key: SQLite answers "file is not a database" otherwise. */
function proveKey(db: ReplicaDb): void {
  db.prepare('SELECT count(*) FROM sqlite_master').get();
}

function isNotADatabase(error: unknown): boolean {
  return error instanceof Error && 'code' in error && error.code === 'SQLITE_NOTADB';
}

/**
 * Opens (creating if needed) the encrypted replica. The file is created 0600 before SQLite
 * touches it, and SQLite gives its -wal and -shm companions the same mode; missing directories
 * are created 0700. A wrong key throws before anything is written.
 */
export function openReplicaDatabase(filePath: string, key: Buffer, cacheKiB = DEFAULT_CACHE_KIB): ReplicaDb {
  assertKey(key);
  if (!Number.isInteger(cacheKiB) || cacheKiB <= 0) throw new Error('cacheKiB must be a positive integer');
  mkdirSync(dirname(filePath), { recursive: true, mode: 0o700 });
  closeSync(openSync(filePath, 'a', 0o600));
  const db = new Database(filePath);
  try {
    applyKey(db, key);
    try {
      proveKey(db);
    } catch (error) {
      if (isNotADatabase(error)) {
        throw new Error(`The replica key does not open ${filePath}`, { cause: error });
      }
      throw error;
    }
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    db.pragma(`cache_size = -${cacheKiB}`);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/**
 * Whether `key` opens the replica at `filePath`, without creating or changing anything. A file
 * that is not a database at all also answers `wrong_key`: either way this key cannot use it.
 * Other failures (permissions, I/O) throw.
 */
export function probeReplica(filePath: string, key: Buffer): 'ok' | 'missing' | 'wrong_key' {
  assertKey(key);
  if (!existsSync(filePath)) return 'missing';
  const db = new Database(filePath, { fileMustExist: true });
  try {
    applyKey(db, key);
    proveKey(db);
    return 'ok';
  } catch (error) {
    if (isNotADatabase(error)) return 'wrong_key';
    throw error;
  } finally {
    db.close();
  }
}

/** Deletes the replica file and its -wal/-shm/-journal companions; no error if absent. */
export async function deleteReplicaFiles(filePath: string): Promise<void> {
  await Promise.all(
    [filePath, ...COMPANION_SUFFIXES.map((suffix) => filePath + suffix)].map((path) =>
      rm(path, { force: true }),
    ),
  );
}

/**
 * Creates the replica file now, with its format in place, rather than at the first collection the
 * renderer opens: the app then knows from the file alone that a replica exists, and a key that
 * does not open it is told apart from a new, empty one.
 */
export function createReplicaFile(filePath: string, key: Buffer, initialise: (db: ReplicaDb) => void): void {
  const db = openReplicaDatabase(filePath, key, 1024);
  try {
    initialise(db);
  } finally {
    db.close();
  }
}
