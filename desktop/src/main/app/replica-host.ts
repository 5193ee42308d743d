import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { RXDB_VERSION, type RxStorage, type RxStorageInstanceCreationParams } from 'rxdb';
import type { SyncCheckpoint } from '@enclave/shared';
import {
  RECORDS_COLLECTION,
  recordsReplicationIdentifier,
  recordsSchema,
} from '../../common/sync/records-collection';
import type { SyncRxDocType } from '../../common/sync/replication-handlers';
import {
  createReplica,
  deleteReplicaFiles,
  getRxStorageSqlcipher,
  probeReplica,
  type ReplicaFill,
  type SqlcipherRxStorage,
} from '../replica';

/**
 * Owns the replica file of the current pairing and the storage the renderer reaches over IPC.
 * The renderer may open RxDB databases by the current replica's name only: it cannot make main
 * create files elsewhere, or reach a replica that was wiped.
 */
export class ReplicaHost {
  private current: { name: string; storage: SqlcipherRxStorage } | null = null;

  /** Handed to RxDB's IPC storage once; it follows whichever replica is open. */
  readonly storage: RxStorage<unknown, unknown>;

  constructor(
    private readonly dataDir: string,
    private readonly cacheKiB?: number,
  ) {
    this.storage = {
      name: 'enclave-replica',
      rxdbVersion: RXDB_VERSION,
      createStorageInstance: async (params: RxStorageInstanceCreationParams<unknown, unknown>) => {
        const current = this.current;
        if (current === null || params.databaseName !== current.name) {
          throw new Error('No replica of that name is open');
        }
        return current.storage.createStorageInstance(params);
      },
    } as RxStorage<unknown, unknown>;
  }

  pathOf(name: string): string {
    return join(this.dataDir, 'replica', `${name}.db`);
  }

  exists(name: string): boolean {
    return existsSync(this.pathOf(name));
  }

  probe(name: string, key: Buffer): ReturnType<typeof probeReplica> {
    return probeReplica(this.pathOf(name), key);
  }

  get openName(): string | null {
    return this.current?.name ?? null;
  }

  open(name: string, key: Buffer): void {
    if (this.current?.name === name) return;
    if (this.current !== null) throw new Error('Another replica is open');
    if (!this.exists(name)) createReplica(this.pathOf(name), key);
    this.current = {
      name,
      storage: getRxStorageSqlcipher({ filePath: this.pathOf(name), key, cacheKiB: this.cacheKiB }),
    };
  }

  /** Starts the first fill of the open replica's records, for the renderer's replication of them. */
  openRecordsFill(workspaceId: string): Promise<ReplicaFill<SyncRxDocType, SyncCheckpoint>> {
    const current = this.current;
    if (current === null) throw new Error('No replica is open');
    return current.storage.openFill<SyncRxDocType, SyncCheckpoint>({
      databaseName: current.name,
      collectionName: RECORDS_COLLECTION,
      schema: recordsSchema,
      replicationIdentifier: recordsReplicationIdentifier(workspaceId),
    });
  }

  async close(): Promise<void> {
    const current = this.current;
    this.current = null;
    await current?.storage.closeAll();
  }

  /** Closes the replica if it is open, then deletes its files. */
  async destroy(name: string): Promise<void> {
    if (this.current?.name === name) await this.close();
    await deleteReplicaFiles(this.pathOf(name));
  }
}
