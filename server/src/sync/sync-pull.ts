import type { SyncCheckpoint } from '@enclave/shared';
import { canRecord, type Permissions } from '../policy/policy';
import type { WorkspaceStore } from '../store/types';
import { syncDocumentJson } from './sync-documents';

export interface PullPage {
  /** Each document already serialised: a page is written straight into its frame. */
  documents: string[];
  checkpoint: SyncCheckpoint | null;
  /** No record changed after the checkpoint was left out: the page reaches the end of the records. */
  complete: boolean;
}

/**
 * The documents changed after a checkpoint, oldest first, that the device's owner may read.
 * Records it may not read are skipped but still move the checkpoint, so a page never stalls on
 * them. A page stops at `batchSize` documents or about `maxBytes` of JSON, whichever comes first.
 */
export async function pullPage(
  ws: WorkspaceStore,
  perms: Permissions,
  checkpoint: SyncCheckpoint | null,
  batchSize: number,
  maxBytes: number,
): Promise<PullPage> {
  let after = checkpoint?.seq ?? 0;
  const documents: string[] = [];
  let bytes = 0;
  for (;;) {
    const wanted = batchSize - documents.length;
    const records = await ws.recordsChangedSinceJson(after, wanted);
    for (const record of records) {
      after = record.seq;
      if (!canRecord(perms, 'read', record.type)) continue;
      const json = syncDocumentJson(record);
      documents.push(json);
      bytes += json.length;
      if (bytes >= maxBytes) return { documents, checkpoint: { seq: after }, complete: false };
    }
    if (records.length < wanted) {
      return { documents, checkpoint: after > 0 ? { seq: after } : checkpoint, complete: true };
    }
    if (documents.length >= batchSize) break;
  }
  return { documents, checkpoint: after > 0 ? { seq: after } : checkpoint, complete: false };
}
