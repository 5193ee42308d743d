import {
  SYNC_MAX_PULL_BATCH,
  type ReplicaFillOutcome,
  type ReplicaFillProgress,
  type SyncCheckpoint,
  type SyncPullResult,
} from '@enclave/shared';
import type { ReplicaFill } from '../replica';
import type { SyncRxDocType } from '../../common/sync/replication-handlers';
import { SyncError } from './errors';

export interface InitialFillOptions {
  /** One page from the server (the sync client's `pull`, which waits until it is online). */
  pull(checkpoint: SyncCheckpoint | null, batchSize: number): Promise<SyncPullResult>;
  fill: ReplicaFill<SyncRxDocType, SyncCheckpoint>;
  onProgress?(progress: ReplicaFillProgress): void;
  /** Documents per page (default and most: the server's limit). */
  pageSize?: number;
}

/**
 * The first sync of a fresh replica: every page of the workspace's changes, straight into the
 * replica file (`ReplicaFill`), the next page already asked for and built while one is written.
 * A page that failed because the connection dropped is asked for again (the client waits until it
 * is back online); any other failure ends the fill, which a later call resumes after the last
 * page written. Answers without pulling when the replica needs no fill.
 */
export async function fillFromServer(options: InitialFillOptions): Promise<ReplicaFillOutcome> {
  const { fill } = options;
  const pageSize = options.pageSize ?? SYNC_MAX_PULL_BATCH;
  const state = fill.state();
  if (state.kind !== 'fill') return { filled: false, documents: 0 };

  let checkpoint = state.checkpoint;
  let received = 0;
  let documents = 0;
  // At once, before the first page (which waits while offline): a fill is under way.
  options.onProgress?.({ received, lastSeq: checkpoint?.seq ?? null });
  const pull = (from: SyncCheckpoint | null) => {
    const page = pullRetryingDrops(options, from, pageSize);
    // Read below, but it may fail before it is awaited (while a page is written): not unhandled.
    page.catch(() => undefined);
    return page;
  };
  let next = pull(checkpoint);
  fill.startWriting();
  // The page being written on the fill's worker while the next one is received and built.
  let writing: Promise<void> = Promise.resolve();
  for (;;) {
    const page = await next;
    const moved = page.checkpoint !== null && page.checkpoint.seq !== checkpoint?.seq;
    // An empty page that moved the checkpoint passed records this device may not read: more may follow.
    if (page.documents.length === 0 && !moved) break;
    const after = page.checkpoint ?? checkpoint;
    next = pull(after);
    // The request goes out on a later turn of the event loop: let it leave before building the
    // page's rows holds the thread, so that the server reads the next page meanwhile.
    await new Promise((resolve) => setImmediate(resolve));
    const written = after === null ? Promise.resolve(0) : fill.writePage(page.documents, after);
    // At most one page waits behind the one being written: what is held in memory stays bounded.
    await writing;
    const count = page.documents.length;
    writing = written.then((kept) => {
      documents += kept;
      received += count;
      options.onProgress?.({ received, lastSeq: after?.seq ?? null });
    });
    // Read below, but it may fail before it is awaited (while the next page comes): not unhandled.
    writing.catch(() => undefined);
    checkpoint = after;
  }
  await writing;
  await fill.finish();
  return { filled: true, documents };
}

async function pullRetryingDrops(
  options: InitialFillOptions,
  checkpoint: SyncCheckpoint | null,
  pageSize: number,
): Promise<SyncPullResult> {
  for (;;) {
    try {
      return await options.pull(checkpoint, pageSize);
    } catch (error) {
      if (!(error instanceof SyncError) || !error.network) throw error;
    }
  }
}
