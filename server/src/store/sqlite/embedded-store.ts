import { existsSync, rmSync, statfsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { deriveKey, ensurePrivateDir, newDataKey, unwrapKey, wrapKey } from '../../crypto/keys';
import { StartupError } from '../../startup/startup-error';
import type { Store, StoreHealth, WorkspaceProblem, WorkspaceRow, WorkspaceStore } from '../types';
import { SqliteControlStore } from './control-store';
import { controlMigrations, workspaceMigrations } from './migrations';
import { migrate, openEncrypted, type Db, type OpenOptions } from './open';
import { storageFaultOf, storageFull, withStorageFaults, workspaceUnavailable } from './storage-errors';
import { WalCheckpointer } from './wal-checkpointer';
import { SqliteWorkspaceStore } from './workspace-store';

/** The file of a workspace's database inside the data directory. */
export function workspaceDbPath(dataDir: string, workspaceId: string): string {
  return join(dataDir, 'workspaces', `${workspaceId}.db`);
}

/** Below this much free space the disk counts as full: SQLite needs room for its journal. */
const FREE_SPACE_FLOOR_BYTES = 1024 * 1024;

function sizeOf(path: string): number {
  return existsSync(path) ? statSync(path).size : 0;
}

function removeDatabaseFiles(path: string): void {
  for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
}

/**
 * The embedded store: one encrypted control database, and one encrypted database file per
 * workspace, each under its own random data key wrapped by the master key. Deleting a
 * workspace's wrapped key makes its file unreadable for good (crypto-shredding).
 *
 * A workspace whose file is missing, empty or damaged fails alone: it answers
 * `workspace_unavailable` and is never created again, while every other workspace keeps working.
 * A full disk answers `storage_full` and is reported by `readiness` until writes succeed again.
 */
export class EmbeddedStore implements Store {
  readonly control: SqliteControlStore;
  private readonly open = new Map<string, { raw: SqliteWorkspaceStore; guarded: WorkspaceStore }>();
  private readonly unavailable = new Map<string, WorkspaceProblem['reason']>();
  private readonly wrappingKey: Buffer;
  private readonly checkpointer = new WalCheckpointer();
  private diskFull = false;

  constructor(
    private readonly dataDir: string,
    masterKey: Buffer,
    private readonly options: OpenOptions = {},
  ) {
    ensurePrivateDir(dataDir);
    ensurePrivateDir(join(dataDir, 'workspaces'));
    const controlPath = join(dataDir, 'control.db');
    let controlDb: Db;
    const controlKey = deriveKey(masterKey, 'control-db');
    try {
      controlDb = openEncrypted(controlPath, controlKey, options);
      migrate(controlDb, controlMigrations);
      this.checkpointer.watch(controlPath, controlKey, controlDb);
    } catch (error) {
      throw controlOpenError(controlPath, error);
    } finally {
      controlKey.fill(0);
    }
    this.control = withStorageFaults(new SqliteControlStore(controlDb), (error) => this.translate(error));
    this.wrappingKey = deriveKey(masterKey, 'workspace-key-wrap');
  }

  async createWorkspace(row: Omit<WorkspaceRow, 'wrappedKey'>): Promise<WorkspaceStore> {
    const path = workspaceDbPath(this.dataDir, row.id);
    if (existsSync(path)) throw new Error(`workspace file already exists: ${row.id}`);
    const key = newDataKey();
    let db: Db | null = null;
    try {
      db = openEncrypted(path, key, this.options);
      migrate(db, workspaceMigrations);
      // The file holds its schema before it is registered, so that an empty file on disk can only
      // mean a damaged workspace, never a new one.
      db.pragma('wal_checkpoint(TRUNCATE)');
      await this.control.createWorkspace({ ...row, wrappedKey: wrapKey(this.wrappingKey, key, row.id) });
      this.checkpointer.watch(path, key, db);
    } catch (error) {
      // All or nothing: a workspace the control database does not know leaves no file behind.
      this.checkpointer.unwatch(path);
      db?.close();
      removeDatabaseFiles(path);
      throw this.translate(error);
    } finally {
      key.fill(0);
    }
    return this.remember(row.id, new SqliteWorkspaceStore(row.id, db));
  }

  async workspace(id: string): Promise<WorkspaceStore | null> {
    const cached = this.open.get(id);
    if (cached) return cached.guarded;
    const row = await this.control.getWorkspace(id);
    if (!row) return null;
    if (this.unavailable.has(id)) throw workspaceUnavailable();
    // Another caller may have opened it while this one awaited the control store: a second
    // connection would leak, and its schema cache would miss changes made through the first.
    const raced = this.open.get(id);
    if (raced) return raced.guarded;
    const db = this.openWorkspaceDb(row, { watch: true });
    let raw: SqliteWorkspaceStore;
    try {
      raw = new SqliteWorkspaceStore(id, db);
    } catch (error) {
      // Its first reads (the schema, its field indexes) can meet a damaged page.
      this.checkpointer.unwatch(workspaceDbPath(this.dataDir, id));
      db.close();
      throw this.translate(error, id);
    }
    return this.remember(id, raw);
  }

  async deleteWorkspace(id: string, at: string): Promise<void> {
    await this.control.markWorkspaceDeleted(id, at);
    const open = this.open.get(id);
    this.open.delete(id);
    this.unavailable.delete(id);
    this.checkpointer.unwatch(workspaceDbPath(this.dataDir, id));
    open?.raw.close();
  }

  async checkWorkspaces(): Promise<WorkspaceProblem[]> {
    for (const row of await this.control.listWorkspaces()) {
      if (this.unavailable.has(row.id) || this.open.has(row.id)) continue;
      try {
        // A handle of its own, closed at once: a full read would otherwise fill the page cache of
        // every workspace at start.
        const db = this.openWorkspaceDb(row);
        try {
          const result = db.pragma('quick_check', { simple: true });
          if (result !== 'ok') this.unavailable.set(row.id, 'damaged');
        } finally {
          db.close();
        }
      } catch (error) {
        if (!this.unavailable.has(row.id)) {
          if (storageFaultOf(error) !== 'damaged') throw error;
          this.unavailable.set(row.id, 'damaged');
        }
      }
    }
    return this.problems();
  }

  async readiness(): Promise<StoreHealth> {
    let control = true;
    try {
      await this.control.countUsers();
    } catch {
      control = false;
    }
    if (this.diskFull && !this.belowFreeSpaceFloor()) {
      // Space came back: one small write proves it, and writes are welcome again.
      try {
        this.diskFull = false;
        await this.control.setMeta('storage_probe', new Date().toISOString());
      } catch {
        // translate() has marked the disk full again.
      }
    }
    return {
      control,
      storageFull: this.diskFull || this.belowFreeSpaceFloor(),
      unavailableWorkspaces: this.problems(),
    };
  }

  async close(): Promise<void> {
    // The worker's connections close first: the last connection to close checkpoints the whole log.
    await this.checkpointer.stop();
    for (const { raw } of this.open.values()) raw.close();
    this.open.clear();
    await this.control.close();
  }

  /** Opens a registered workspace's file, refusing one that is gone or empty instead of creating it. */
  private openWorkspaceDb(row: WorkspaceRow, { watch = false } = {}): Db {
    const path = workspaceDbPath(this.dataDir, row.id);
    if (!existsSync(path)) return this.refuse(row.id, 'missing');
    if (sizeOf(path) === 0 && sizeOf(`${path}-wal`) === 0) return this.refuse(row.id, 'empty');
    const key = unwrapKey(this.wrappingKey, row.wrappedKey, row.id);
    try {
      const db = openEncrypted(path, key, { ...this.options, mustExist: true });
      try {
        migrate(db, workspaceMigrations);
      } catch (error) {
        db.close();
        throw error;
      }
      if (watch) this.checkpointer.watch(path, key, db);
      return db;
    } catch (error) {
      throw this.translate(error, row.id);
    } finally {
      key.fill(0);
    }
  }

  private refuse(id: string, reason: WorkspaceProblem['reason']): never {
    this.unavailable.set(id, reason);
    throw workspaceUnavailable();
  }

  private remember(id: string, raw: SqliteWorkspaceStore): WorkspaceStore {
    const guarded = withStorageFaults<WorkspaceStore>(raw, (error) => this.translate(error, id));
    this.open.set(id, { raw, guarded });
    return guarded;
  }

  /**
   * Turns a storage failure into the caller-facing error. A damaged workspace is closed and set
   * aside, so that every later request for it is refused without touching the file again.
   */
  private translate(error: unknown, workspaceId?: string): unknown {
    switch (storageFaultOf(error)) {
      case 'full':
        this.diskFull = true;
        return storageFull();
      case 'damaged':
        if (workspaceId === undefined) return error;
        this.unavailable.set(workspaceId, this.unavailable.get(workspaceId) ?? 'damaged');
        this.checkpointer.unwatch(workspaceDbPath(this.dataDir, workspaceId));
        this.open.get(workspaceId)?.raw.close();
        this.open.delete(workspaceId);
        return workspaceUnavailable();
      default:
        return error;
    }
  }

  private problems(): WorkspaceProblem[] {
    return [...this.unavailable].map(([workspaceId, reason]) => ({ workspaceId, reason }));
  }

  private belowFreeSpaceFloor(): boolean {
    try {
      const fs = statfsSync(this.dataDir);
      return fs.bavail * fs.bsize < FREE_SPACE_FLOOR_BYTES;
    } catch {
      return false;
    }
  }
}

/** Why the control database would not open, in the words an operator can act on. */
function controlOpenError(path: string, error: unknown): unknown {
  const code = (error as { code?: unknown }).code;
  if (code === 'SQLITE_NOTADB' || (typeof code === 'string' && code.startsWith('SQLITE_CORRUPT'))) {
    return new StartupError(
      `the master key does not open ${path}: the key file is not the one this data was created with, or the database is damaged; restore the right master.key (or the database from a backup)`,
    );
  }
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
    return new StartupError(`${path} is locked by another process; stop it and start again`);
  }
  if (code === 'SQLITE_FULL') return new StartupError(`the disk holding ${path} is full; free some space`);
  if (code === 'SQLITE_READONLY' || code === 'SQLITE_CANTOPEN' || code === 'EACCES' || code === 'EROFS') {
    return new StartupError(
      `cannot write ${path} (${code}): the data directory must be writable by the server's user`,
    );
  }
  return error;
}
