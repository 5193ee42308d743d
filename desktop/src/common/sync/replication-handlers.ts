import { mergeMap, type Observable } from 'rxjs';
import type {
  ReplicationPullOptions,
  ReplicationPushOptions,
  RxJsonSchema,
  RxReplicationPullStreamItem,
  WithDeleted,
} from 'rxdb';
import {
  SYNC_MAX_PULL_BATCH,
  type PushRow,
  type SyncCheckpoint,
  type SyncDocument,
  type SyncPullResult,
  type SyncPushResult,
  type SyncStreamItem,
} from '@enclave/shared';

/** The default shape of a synced RxDB document: a `SyncDocument`, `_deleted` being RxDB's own. */
export type SyncRxDocType = Omit<SyncDocument, '_deleted'>;

/**
 * The RxDB schema of a collection of synced records (the app keeps one `records` collection for
 * every entity type: RxDB's open edition caps open collections at 13).
 */
export const syncRecordsSchema: RxJsonSchema<SyncRxDocType> = {
  version: 0,
  primaryKey: 'id',
  type: 'object',
  properties: {
    id: { type: 'string', maxLength: 64 },
    type: { type: 'string' },
    data: { type: 'object' },
    rev: { type: 'integer' },
    createdAt: { type: 'string' },
    updatedAt: { type: 'string' },
  },
  required: ['id', 'type', 'data'],
};

/**
 * What replication needs of the sync connection: main's `SyncClient` in Node, the preload bridge
 * in the renderer (which reaches the same client in main), a stand-in in tests.
 */
export interface SyncTransport {
  pull(checkpoint: SyncCheckpoint | null, batchSize: number): Promise<SyncPullResult>;
  push(rows: readonly PushRow[]): Promise<SyncPushResult>;
  stream$: Observable<SyncStreamItem>;
}

/** For collections whose documents are not shaped like a `SyncDocument`. */
export interface WireMapping<RxDocType> {
  toWire: (doc: WithDeleted<RxDocType>) => SyncDocument;
  fromWire: (doc: SyncDocument) => WithDeleted<RxDocType>;
}

export interface SyncReplicationSettings {
  /**
   * Documents RxDB takes per pull (and writes in one go); pulled from the server in requests of at
   * most `SYNC_MAX_PULL_BATCH`. Default `DEFAULT_PULL_BATCH_SIZE`.
   */
  pullBatchSize?: number;
  /** Local changes RxDB hands to one push; the client splits them to the server's limits. Default 100. */
  pushBatchSize?: number;
}

export interface SyncReplication<RxDocType> {
  pull: ReplicationPullOptions<RxDocType, SyncCheckpoint>;
  push: ReplicationPushOptions<RxDocType>;
}

const DEFAULT_BATCH_SIZE = 100;
/**
 * RxDB pays a cost per write that grows with the collection (its memory storage merges whole
 * sorted indexes), so an initial sync goes much faster in big batches: 100,000 records of 1 KB
 * synced at ~2,000 docs/s in batches of 100 and ~16,000 in batches of 2,000 (`npm run bench`).
 * A pull holds up to this many documents in memory at once.
 */
export const DEFAULT_PULL_BATCH_SIZE = SYNC_MAX_PULL_BATCH;

/**
 * A 'RESYNC' (after a reconnect, or when the server dropped live changes) goes to RxDB twice.
 * RxDB's downstream takes its queued stream items in runs, and a 'RESYNC' found behind live
 * changes ends the run and is dropped (RxDB 17: `startReplicationDownstream`, `addNewTask`). The
 * live changes that come after it carry later checkpoints, so what changed while this device was
 * not listening would be skipped for good, and no later pull fetches it. The second 'RESYNC' heads
 * the next run, which pulls; when the first was not dropped, RxDB drops the second instead, its
 * pull having started after both came in.
 */
const RESYNC_TWICE = ['RESYNC', 'RESYNC'] as const;

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
  const pullBatchSize = settings.pullBatchSize ?? DEFAULT_PULL_BATCH_SIZE;
  const pushBatchSize = settings.pushBatchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isInteger(pullBatchSize) || pullBatchSize < 1) {
    throw new RangeError('pullBatchSize must be a positive integer');
  }
  if (!Number.isInteger(pushBatchSize) || pushBatchSize < 1) {
    throw new RangeError('pushBatchSize must be a positive integer');
  }
  const stream$: Observable<RxReplicationPullStreamItem<RxDocType, SyncCheckpoint>> = client.stream$.pipe(
    mergeMap((item) =>
      item === 'RESYNC'
        ? RESYNC_TWICE
        : [{ documents: item.documents.map(fromWire), checkpoint: item.checkpoint }],
    ),
  );
  return {
    pull: {
      batchSize: pullBatchSize,
      stream$,
      handler: async (checkpoint, batchSize) => {
        // RxDB merges checkpoints into one object: send only the field the server knows.
        const { documents, checkpoint: next } = await pullFull(
          client,
          checkpoint == null ? null : { seq: checkpoint.seq },
          batchSize,
        );
        return { documents: documents.map(fromWire), checkpoint: next ?? checkpoint ?? undefined };
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

/**
 * Up to `batchSize` documents in requests of at most `SYNC_MAX_PULL_BATCH`. RxDB takes a short
 * batch as "no more changes", but the server also cuts a page short at its byte limit: a short
 * page is followed by another until the batch is full or a page comes back empty.
 */
async function pullFull(
  client: SyncTransport,
  checkpoint: SyncCheckpoint | null,
  batchSize: number,
): Promise<SyncPullResult> {
  const documents: SyncDocument[] = [];
  let since = checkpoint;
  while (documents.length < batchSize) {
    const page = await client.pull(since, Math.min(batchSize - documents.length, SYNC_MAX_PULL_BATCH));
    // An empty page may still move the checkpoint (past records this device may not read).
    since = page.checkpoint ?? since;
    if (page.documents.length === 0) break;
    for (const doc of page.documents) documents.push(doc);
  }
  return { documents, checkpoint: since };
}

/** Only the fields of the wire shape: RxDB's `_meta`, `_rev` and `_attachments` stay local. */
export function syncDocumentOf(doc: WithDeleted<SyncRxDocType>): SyncDocument {
  const wire: SyncDocument = { id: doc.id, type: doc.type, data: doc.data, _deleted: doc._deleted };
  if (doc.rev != null) wire.rev = doc.rev;
  if (doc.createdAt != null) wire.createdAt = doc.createdAt;
  if (doc.updatedAt != null) wire.updatedAt = doc.updatedAt;
  return wire;
}
