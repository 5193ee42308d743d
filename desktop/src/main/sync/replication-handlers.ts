import { map, type Observable } from 'rxjs';
import type {
  ReplicationPullOptions,
  ReplicationPushOptions,
  RxReplicationPullStreamItem,
  WithDeleted,
} from 'rxdb';
import { SYNC_MAX_PULL_BATCH, type PushRow, type SyncCheckpoint, type SyncDocument } from '@enclave/shared';
import type { SyncClient, SyncStreamItem } from './sync-client';

/** The default shape of a synced RxDB document: a `SyncDocument`, `_deleted` being RxDB's own. */
export type SyncRxDocType = Omit<SyncDocument, '_deleted'>;

/** The part of `SyncClient` that replication uses, so that tests can stand in for it. */
export interface SyncTransport {
  pull: SyncClient['pull'];
  push: SyncClient['push'];
  stream$: Observable<SyncStreamItem>;
}

/** For collections whose documents are not shaped like a `SyncDocument`. */
export interface WireMapping<RxDocType> {
  toWire: (doc: WithDeleted<RxDocType>) => SyncDocument;
  fromWire: (doc: SyncDocument) => WithDeleted<RxDocType>;
}

export interface SyncReplicationSettings {
  /** Documents per pull request; at most `SYNC_MAX_PULL_BATCH`. Default 100. */
  pullBatchSize?: number;
  /** Local changes RxDB hands to one push; the client splits them to the server's limits. Default 100. */
  pushBatchSize?: number;
}

export interface SyncReplication<RxDocType> {
  pull: ReplicationPullOptions<RxDocType, SyncCheckpoint>;
  push: ReplicationPushOptions<RxDocType>;
}

const DEFAULT_BATCH_SIZE = 100;

/** The `pull` and `push` options of RxDB's `replicateRxCollection`, over a sync client. */
export function syncReplicationOptions(
  client: SyncTransport,
  settings?: SyncReplicationSettings,
): SyncReplication<SyncRxDocType>;
export function syncReplicationOptions<RxDocType>(
  client: SyncTransport,
  settings: SyncReplicationSettings & WireMapping<RxDocType>,
): SyncReplication<RxDocType>;
export function syncReplicationOptions<RxDocType>(
  client: SyncTransport,
  settings: SyncReplicationSettings & Partial<WireMapping<RxDocType>> = {},
): SyncReplication<RxDocType> | SyncReplication<SyncRxDocType> {
  const { toWire, fromWire } = settings;
  if (toWire !== undefined && fromWire !== undefined) {
    return replicationOver(client, { toWire, fromWire }, settings);
  }
  return replicationOver(client, { toWire: syncDocumentOf, fromWire: (doc) => ({ ...doc }) }, settings);
}

function replicationOver<RxDocType>(
  client: SyncTransport,
  { toWire, fromWire }: WireMapping<RxDocType>,
  settings: SyncReplicationSettings,
): SyncReplication<RxDocType> {
  const pullBatchSize = settings.pullBatchSize ?? DEFAULT_BATCH_SIZE;
  const pushBatchSize = settings.pushBatchSize ?? DEFAULT_BATCH_SIZE;
  // RxDB takes a short batch as "no more changes", so a batch the server would cut must not be asked for.
  if (!Number.isInteger(pullBatchSize) || pullBatchSize < 1 || pullBatchSize > SYNC_MAX_PULL_BATCH) {
    throw new RangeError(`pullBatchSize must be 1..${String(SYNC_MAX_PULL_BATCH)}`);
  }
  if (!Number.isInteger(pushBatchSize) || pushBatchSize < 1) {
    throw new RangeError('pushBatchSize must be a positive integer');
  }
  const stream$: Observable<RxReplicationPullStreamItem<RxDocType, SyncCheckpoint>> = client.stream$.pipe(
    map((item) =>
      item === 'RESYNC' ? item : { documents: item.documents.map(fromWire), checkpoint: item.checkpoint },
    ),
  );
  return {
    pull: {
      batchSize: pullBatchSize,
      stream$,
      handler: async (checkpoint, batchSize) => {
        // RxDB merges checkpoints into one object: send only the field the server knows.
        const since = checkpoint == null ? null : { seq: checkpoint.seq };
        const result = await client.pull(since, batchSize);
        return {
          documents: result.documents.map(fromWire),
          checkpoint: result.checkpoint ?? checkpoint ?? undefined,
        };
      },
    },
    push: {
      batchSize: pushBatchSize,
      handler: async (rows) => {
        const wireRows: PushRow[] = rows.map((row) => ({
          assumedMasterState: row.assumedMasterState === undefined ? null : toWire(row.assumedMasterState),
          newDocumentState: toWire(row.newDocumentState),
        }));
        const result = await client.push(wireRows);
        return result.conflicts.map(fromWire);
      },
    },
  };
}

/** Only the fields of the wire shape: RxDB's `_meta`, `_rev` and `_attachments` stay local. */
export function syncDocumentOf(doc: WithDeleted<SyncRxDocType>): SyncDocument {
  const wire: SyncDocument = { id: doc.id, type: doc.type, data: doc.data, _deleted: doc._deleted };
  if (doc.rev != null) wire.rev = doc.rev;
  if (doc.createdAt != null) wire.createdAt = doc.createdAt;
  if (doc.updatedAt != null) wire.updatedAt = doc.updatedAt;
  return wire;
}
