import {
  createRxDatabase,
  type RxCollection,
  type RxConflictHandler,
  type RxDatabase,
  type RxJsonSchema,
  type RxStorage,
} from 'rxdb';
import { RECORDS_COLLECTION, recordsSchema } from '../../common/sync/records-collection';
import type { SyncRxDocType } from '../../common/sync/replication-handlers';

export type RecordDocType = SyncRxDocType;

/** A local change the server replaced, kept on this computer only (never replicated). */
export interface ConflictDocType {
  /** The record's id: one pending conflict per record, the latest replacing an older one. */
  id: string;
  type: string;
  localData: Record<string, unknown>;
  localDeleted: boolean;
  serverData: Record<string, unknown>;
  serverDeleted: boolean;
  /** Why the server refused the change, when it refused rather than merely had a newer version. */
  reasonCode?: string;
  reasonMessage?: string;
  /** When it happened (ms since the epoch), for ordering the notices. */
  at: number;
}

const conflictsSchema: RxJsonSchema<ConflictDocType> = {
  version: 0,
  primaryKey: 'id',
  type: 'object',
  properties: {
    id: { type: 'string', maxLength: 64 },
    type: { type: 'string' },
    localData: { type: 'object' },
    localDeleted: { type: 'boolean' },
    serverData: { type: 'object' },
    serverDeleted: { type: 'boolean' },
    reasonCode: { type: 'string' },
    reasonMessage: { type: 'string' },
    at: { type: 'number' },
  },
  required: ['id', 'type', 'localData', 'localDeleted', 'serverData', 'serverDeleted', 'at'],
};

/** Small values this computer keeps for itself: the last `device:self`, the initial sync flag. */
export interface LocalDocType {
  id: string;
  value: Record<string, unknown>;
}

const localSchema: RxJsonSchema<LocalDocType> = {
  version: 0,
  primaryKey: 'id',
  type: 'object',
  properties: { id: { type: 'string', maxLength: 64 }, value: { type: 'object' } },
  required: ['id', 'value'],
};

export interface WorkspaceCollections {
  records: RxCollection<RecordDocType>;
  conflicts: RxCollection<ConflictDocType>;
  local: RxCollection<LocalDocType>;
}

export type WorkspaceDatabase = RxDatabase<WorkspaceCollections>;

export interface OpenDatabaseOptions {
  storage: RxStorage<unknown, unknown>;
  /** `state.replicaName`: main opens only the current replica's name. */
  name: string;
  conflictHandler: RxConflictHandler<RecordDocType>;
}

/**
 * Opens the replica. No dev-mode and no schema validator plugin: both compile code at runtime,
 * which the renderer's CSP forbids, and the server validates every write anyway.
 */
export async function openWorkspaceDatabase(options: OpenDatabaseOptions): Promise<WorkspaceDatabase> {
  const db = await createRxDatabase<WorkspaceCollections>({
    name: options.name,
    storage: options.storage,
    // One window per app: no cross-tab coordination, no leader election.
    multiInstance: false,
    eventReduce: true,
    // A window that reloads before the old instance finished closing would otherwise be refused.
    closeDuplicates: true,
  });
  try {
    await db.addCollections({
      [RECORDS_COLLECTION]: { schema: recordsSchema, conflictHandler: options.conflictHandler },
      conflicts: { schema: conflictsSchema },
      local: { schema: localSchema },
    });
  } catch (error) {
    await db.close().catch(() => undefined);
    throw error;
  }
  return db;
}
