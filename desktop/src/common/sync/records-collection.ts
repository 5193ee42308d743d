import type { RxJsonSchema } from 'rxdb';
import { syncRecordsSchema, type SyncRxDocType } from './replication-handlers';

/**
 * The replica's collection of synced records, as both processes know it: the renderer opens it
 * in RxDB and replicates it; main fills it from the server on the first sync (`ReplicaFill`),
 * which must write exactly the table and replication state RxDB then continues from.
 */
export const RECORDS_COLLECTION = 'records';

/**
 * The synced records: the wire shape of `syncRecordsSchema`, field for field, plus an index on
 * `type` (every list, count and reference picker asks for one type). An indexed string needs a
 * maxLength; 40 is the longest key (`Key` in shared/src/ids.ts).
 */
export const recordsSchema: RxJsonSchema<SyncRxDocType> = {
  ...syncRecordsSchema,
  properties: { ...syncRecordsSchema.properties, type: { type: 'string', maxLength: 40 } },
  indexes: ['type'],
};

/** The `replicationIdentifier` of a workspace's records replication. */
export function recordsReplicationIdentifier(workspaceId: string): string {
  return `enclave-${workspaceId}`;
}
