import Database from 'better-sqlite3-multiple-ciphers';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ensurePrivateDir } from '../../crypto/keys';
import { describeStartupError, StartupError } from '../../startup/startup-error';

const LOCK_FILE = 'server.lock';

/** Creates the data directory (0700) if it is missing, or refuses a path that cannot be one. */
export function prepareDataDir(dataDir: string): void {
  if (existsSync(dataDir) && !statSync(dataDir).isDirectory()) {
    throw new StartupError(
      `ENCLAVE_DATA_DIR ${dataDir} is a file, not a directory; point ENCLAVE_DATA_DIR at a directory`,
    );
  }
  try {
    ensurePrivateDir(dataDir);
    ensurePrivateDir(join(dataDir, 'workspaces'));
  } catch (error) {
    throw new StartupError(`cannot prepare the data directory: ${describeStartupError(error)}`);
  }
}

/**
 * Whether the directory already holds encrypted data. Such a directory must never be given a new
 * master key: the data would stay, and no key the server could then find would open it.
 */
export function holdsData(dataDir: string): boolean {
  if (existsSync(join(dataDir, 'control.db'))) return true;
  const workspaces = join(dataDir, 'workspaces');
  return existsSync(workspaces) && readdirSync(workspaces).some((name) => name.endsWith('.db'));
}

export interface DataDirLock {
  release(): void;
}

/**
 * Takes the data directory for this process alone. The lock is SQLite's exclusive lock on a small
 * file, an fcntl lock the kernel drops when the process dies, so a crash never leaves a stale lock
 * behind and a second server on the same directory is refused at once instead of writing beside
 * the first.
 */
export function lockDataDir(dataDir: string): DataDirLock {
  const path = join(dataDir, LOCK_FILE);
  const db = new Database(path, { timeout: 0 });
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
  } catch (error) {
    db.close();
    if ((error as { code?: string }).code === 'SQLITE_BUSY') {
      throw new StartupError(
        `another Enclave server is already running on the data directory ${dataDir} (it holds ${path}); stop it first, or give this one its own ENCLAVE_DATA_DIR`,
      );
    }
    throw error;
  }
  return {
    release: () => {
      if (!db.open) return;
      db.exec('ROLLBACK');
      db.close();
    },
  };
}
