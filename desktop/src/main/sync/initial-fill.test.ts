import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ReplicaFillProgress, SyncCheckpoint, SyncDocument, SyncPullResult } from '@enclave/shared';
import { RECORDS_COLLECTION, recordsSchema } from '../../common/sync/records-collection';
import type { SyncRxDocType } from '../../common/sync/replication-handlers';
import { getRxStorageSqlcipher, type SqlcipherRxStorage } from '../replica';
import { tempReplica } from '../replica/test-support';
import { networkError, SyncError } from './errors';
import { fillFromServer } from './initial-fill';

/** The fill loop over a real replica file, against a server played by a function. */

const docs: SyncDocument[] = Array.from({ length: 7 }, (_, i) => ({
  id: `00000000-0000-7000-8000-${String(i).padStart(12, '0')}`,
  type: 'client',
  data: { name: `Client ${String(i)}` },
  rev: 1,
  _deleted: false,
}));

function server(failures: (call: number) => Error | undefined = () => undefined) {
  const calls: (SyncCheckpoint | null)[] = [];
  return {
    calls,
    pull: async (checkpoint: SyncCheckpoint | null, batchSize: number): Promise<SyncPullResult> => {
      calls.push(checkpoint);
      const failure = failures(calls.length);
      if (failure) throw failure;
      const from = checkpoint?.seq ?? 0;
      const page = docs.slice(from, from + batchSize);
      return { documents: page, checkpoint: page.length > 0 ? { seq: from + page.length } : checkpoint };
    },
  };
}

let replica: ReturnType<typeof tempReplica>;
let storage: SqlcipherRxStorage;

beforeEach(() => {
  replica = tempReplica();
  storage = getRxStorageSqlcipher({ filePath: replica.filePath, key: replica.key });
});

afterEach(async () => {
  await storage.closeAll();
  replica.dispose();
});

const openFill = () =>
  storage.openFill<SyncRxDocType, SyncCheckpoint>({
    databaseName: 'fill-loop',
    collectionName: RECORDS_COLLECTION,
    schema: recordsSchema,
    replicationIdentifier: 'enclave-ws',
  });

async function fillWith(pull: ReturnType<typeof server>['pull'], progress: ReplicaFillProgress[] = []) {
  const fill = await openFill();
  try {
    return await fillFromServer({ pull, fill, pageSize: 3, onProgress: (p) => progress.push(p) });
  } finally {
    await fill.close();
  }
}

describe('fillFromServer', () => {
  it('fills page by page, reporting progress, then has nothing left to fill', async () => {
    const s = server();
    const progress: ReplicaFillProgress[] = [];
    expect(await fillWith(s.pull, progress)).toEqual({ filled: true, documents: 7 });
    expect(s.calls).toEqual([null, { seq: 3 }, { seq: 6 }, { seq: 7 }]);
    expect(progress).toEqual([
      { received: 0, lastSeq: null },
      { received: 3, lastSeq: 3 },
      { received: 6, lastSeq: 6 },
      { received: 7, lastSeq: 7 },
    ]);
    const again = server();
    expect(await fillWith(again.pull)).toEqual({ filled: false, documents: 0 });
    expect(again.calls).toEqual([]);
  });

  it('asks again for a page lost to a dropped connection', async () => {
    const s = server((call) => (call === 2 ? networkError('The connection dropped') : undefined));
    expect(await fillWith(s.pull)).toEqual({ filled: true, documents: 7 });
    expect(s.calls).toEqual([null, { seq: 3 }, { seq: 3 }, { seq: 6 }, { seq: 7 }]);
  });

  it('stops at a refusal, and a later fill resumes after the last page written', async () => {
    const revoked = new SyncError('device_revoked', 'This device was revoked');
    const first = server((call) => (call === 3 ? revoked : undefined));
    await expect(fillWith(first.pull)).rejects.toBe(revoked);

    const second = server();
    // Two pages were written before the refusal (the third was already asked for).
    expect(await fillWith(second.pull)).toEqual({ filled: true, documents: 1 });
    expect(second.calls[0]).toEqual({ seq: 6 });
  });
});
