import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { deriveKey, ensurePrivateDir, newDataKey, unwrapKey, wrapKey } from '../../crypto/keys';
import type { Store, WorkspaceRow, WorkspaceStore } from '../types';
import { SqliteControlStore } from './control-store';
import { controlMigrations, workspaceMigrations } from './migrations';
import { migrate, openEncrypted, type OpenOptions } from './open';
import { SqliteWorkspaceStore } from './workspace-store';

/** The file of a workspace's database inside the data directory. */
export function workspaceDbPath(dataDir: string, workspaceId: string): string {
  return join(dataDir, 'workspaces', `${workspaceId}.db`);
}

/**
 * The embedded store: one encrypted control database, and one encrypted database file per
 * workspace, each under its own random data key wrapped by the master key. Deleting a
 * workspace's wrapped key makes its file unreadable for good (crypto-shredding).
 */
export class EmbeddedStore implements Store {
  readonly control: SqliteControlStore;
  private readonly open = new Map<string, SqliteWorkspaceStore>();
  private readonly wrappingKey: Buffer;

  constructor(
    private readonly dataDir: string,
    masterKey: Buffer,
    private readonly options: OpenOptions = {},
  ) {
    ensurePrivateDir(dataDir);
    ensurePrivateDir(join(dataDir, 'workspaces'));
    const controlDb = openEncrypted(join(dataDir, 'control.db'), deriveKey(masterKey, 'control-db'), options);
    migrate(controlDb, controlMigrations);
    this.control = new SqliteControlStore(controlDb);
    this.wrappingKey = deriveKey(masterKey, 'workspace-key-wrap');
  }

  async createWorkspace(row: Omit<WorkspaceRow, 'wrappedKey'>): Promise<WorkspaceStore> {
    const path = workspaceDbPath(this.dataDir, row.id);
    if (existsSync(path)) throw new Error(`workspace file already exists: ${row.id}`);
    const key = newDataKey();
    const db = openEncrypted(path, key, this.options);
    migrate(db, workspaceMigrations);
    const store = new SqliteWorkspaceStore(row.id, db);
    await this.control.createWorkspace({ ...row, wrappedKey: wrapKey(this.wrappingKey, key, row.id) });
    key.fill(0);
    this.open.set(row.id, store);
    return store;
  }

  async workspace(id: string): Promise<WorkspaceStore | null> {
    const cached = this.open.get(id);
    if (cached) return cached;
    const row = await this.control.getWorkspace(id);
    if (!row) return null;
    // Another caller may have opened it while this one awaited the control store: a second
    // connection would leak, and its schema cache would miss changes made through the first.
    const raced = this.open.get(id);
    if (raced) return raced;
    const key = unwrapKey(this.wrappingKey, row.wrappedKey, row.id);
    const db = openEncrypted(workspaceDbPath(this.dataDir, id), key, this.options);
    key.fill(0);
    migrate(db, workspaceMigrations);
    const store = new SqliteWorkspaceStore(id, db);
    this.open.set(id, store);
    return store;
  }

  async deleteWorkspace(id: string, at: string): Promise<void> {
    await this.control.markWorkspaceDeleted(id, at);
    const open = this.open.get(id);
    this.open.delete(id);
    open?.close();
  }

  async readiness(): Promise<boolean> {
    try {
      await this.control.countUsers();
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    for (const store of this.open.values()) store.close();
    this.open.clear();
    await this.control.close();
  }
}
