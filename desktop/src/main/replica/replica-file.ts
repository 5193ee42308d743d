import { closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
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
 * Page sizes a replica may have. New replicas get the first: a synced record takes about 1.5 KB
 * with its keys, so an 8 KiB page holds five where SQLCipher 4's default 4 KiB page holds two and
 * leaves a quarter empty (`npm run bench`: 2.3 KB on disk per 1 KB record at 4 KiB, 1.9 at 8 KiB).
 * Replicas made before keep 4 KiB. The page size is part of what decrypts a page, so opening tries
 * each in turn.
 */
const PAGE_SIZES = [8192, 4096] as const;
type PageSize = (typeof PAGE_SIZES)[number];

/**
 * SQLCipher 4 settings, the same as the server's databases but for the page size. The raw key form
 * (`x'…'`) uses the 256-bit key as is, with no passphrase derivation. The key is validated as 32
 * bytes first, so the only thing interpolated into the pragma is its hex.
 */
function applyKey(db: ReplicaDb, key: Buffer, pageSize: PageSize): void {
  db.pragma(`cipher='sqlcipher'`);
  db.pragma('legacy=4');
  db.pragma(`legacy_page_size=${String(pageSize)}`);
  db.pragma(`key="x'${key.toString('hex')}'"`);
}

/** Reading the schema proves the key: SQLite answers "file is not a database" otherwise. */
function proveKey(db: ReplicaDb): void {
  db.prepare('SELECT count(*) FROM sqlite_master').get();
}

function isNotADatabase(error: unknown): boolean {
  return error instanceof Error && 'code' in error && error.code === 'SQLITE_NOTADB';
}

/** A file nothing has been written to yet (a replica's log only exists beside written pages). */
function isUnwritten(filePath: string): boolean {
  return statSync(filePath).size === 0 && !existsSync(`${filePath}-wal`);
}

/**
 * A connection with the key applied and proven, at the page size that opens the file; null when
 * none does (the wrong key, or not a replica). `fileMustExist` keeps a probe from creating one.
 */
function openKeyed(filePath: string, key: Buffer, fileMustExist: boolean): ReplicaDb | null {
  const sizes: readonly PageSize[] = isUnwritten(filePath) ? [PAGE_SIZES[0]] : PAGE_SIZES;
  for (const pageSize of sizes) {
    const db = new Database(filePath, { fileMustExist });
    try {
      applyKey(db, key, pageSize);
      proveKey(db);
      return db;
    } catch (error) {
      db.close();
      if (!isNotADatabase(error)) throw error;
    }
  }
  return null;
}

/** The replica's journal: the WAL normally, a rollback journal while a fill has the file alone. */
export type ReplicaJournal = 'wal' | 'rollback';

/**
 * Opens (creating if needed) the encrypted replica. The file is created 0600 before SQLite
 * touches it, and SQLite gives its -wal and -shm companions the same mode; missing directories
 * are created 0700. A wrong key throws before anything is written.
 */
export function openReplicaDatabase(
  filePath: string,
  key: Buffer,
  cacheKiB = DEFAULT_CACHE_KIB,
  journal: ReplicaJournal = 'wal',
): ReplicaDb {
  assertKey(key);
  if (!Number.isInteger(cacheKiB) || cacheKiB <= 0) throw new Error('cacheKiB must be a positive integer');
  mkdirSync(dirname(filePath), { recursive: true, mode: 0o700 });
  closeSync(openSync(filePath, 'a', 0o600));
  const db = openKeyed(filePath, key, false);
  if (db === null) throw new Error(`The replica key does not open ${filePath}`);
  try {
    db.pragma('busy_timeout = 5000');
    if (journal === 'wal') useWalJournal(db);
    else if (!useRollbackJournal(db)) throw new Error('The replica is in use: no rollback journal');
    db.pragma(`cache_size = -${String(cacheKiB)}`);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/**
 * For a bulk write into a replica nothing else is using (the first fill): a rollback journal, in
 * which pages new to the file — nearly all of a fill's — are written once, where the WAL writes
 * them into the log and again at each checkpoint (a fill's writes take about two thirds of the
 * time this way in our measurements, FULL sync included). FULL sync, since a rollback journal is
 * only proof against power loss with it. Answers whether the mode changed: SQLite keeps the WAL while another connection has the file.
 */
export function useRollbackJournal(db: ReplicaDb): boolean {
  const mode = db.pragma('journal_mode = TRUNCATE', { simple: true }) as string;
  if (mode !== 'truncate') return false;
  db.pragma('synchronous = FULL');
  return true;
}

/** Back to the replica's normal journal (see `openReplicaDatabase`). */
export function useWalJournal(db: ReplicaDb): void {
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
}

/**
 * Whether `key` opens the replica at `filePath`, without creating or changing anything. A file
 * that is not a database at all also answers `wrong_key`: either way this key cannot use it.
 * Other failures (permissions, I/O) throw.
 */
export function probeReplica(filePath: string, key: Buffer): 'ok' | 'missing' | 'wrong_key' {
  assertKey(key);
  if (!existsSync(filePath)) return 'missing';
  const db = openKeyed(filePath, key, true);
  if (db === null) return 'wrong_key';
  db.close();
  return 'ok';
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
