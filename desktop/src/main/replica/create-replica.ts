import { migrateReplicaFormat } from './collection-table';
import { createReplicaFile } from './replica-file';

/** Creates an empty, encrypted replica at `filePath` with the storage's format (see `createReplicaFile`). */
export function createReplica(filePath: string, key: Buffer): void {
  createReplicaFile(filePath, key, migrateReplicaFormat);
}
