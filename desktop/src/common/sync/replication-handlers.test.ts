import { afterEach, describe, expect, it } from 'vitest';
import { filter, firstValueFrom, Subject } from 'rxjs';
import { createRxDatabase, randomToken, type RxCollection, type RxDatabase, type WithDeleted } from 'rxdb';
import { replicateRxCollection, type RxReplicationState } from 'rxdb/plugins/replication';
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import {
  SYNC_MAX_PULL_BATCH,
  type PushRow,
  type SyncCheckpoint,
  type SyncDocument,
  type SyncPullResult,
  type SyncPushResult,
  type SyncStreamItem,
} from '@enclave/shared';
import {
  syncDocumentOf,
  syncRecordsSchema,
  syncReplicationOptions,
  type SyncRxDocType,
  type SyncTransport,
} from './replication-handlers';

/** A master that keeps a sequence of changes the way the server does, without a socket. */
class MemoryMaster implements SyncTransport {
  readonly stream$ = new Subject<SyncStreamItem>();
  readonly pushed: PushRow[] = [];
  readonly pulls: (SyncCheckpoint | null)[] = [];
  /** The batch size of each pull request. */
  readonly asked: number[] = [];
  /** While set, pull answers (computed when asked, as the server's are) wait for it. */
  gate: Promise<void> | null = null;
  private seq = 0;
  private readonly docs = new Map<string, { doc: SyncDocument; seq: number }>();

  /** `pageLimit` stands for the server's byte limit: a page may hold fewer documents than asked. */
  constructor(private readonly pageLimit = Number.POSITIVE_INFINITY) {}

  async pull(checkpoint: SyncCheckpoint | null, batchSize: number): Promise<SyncPullResult> {
    this.pulls.push(checkpoint);
    this.asked.push(batchSize);
    const since = checkpoint?.seq ?? 0;
    const changed = [...this.docs.values()]
      .filter((entry) => entry.seq > since)
      .sort((a, b) => a.seq - b.seq)
      .slice(0, Math.min(batchSize, this.pageLimit));
    const last = changed.at(-1);
    const answer = {
      documents: changed.map((entry) => entry.doc),
      checkpoint: last ? { seq: last.seq } : checkpoint,
    };
    await this.gate;
    return answer;
  }

  async push(rows: readonly PushRow[]): Promise<SyncPushResult> {
    const conflicts: SyncDocument[] = [];
    for (const row of rows) {
      this.pushed.push(row);
      const current = this.get(row.newDocumentState.id);
      if ((current?.rev ?? null) !== (row.assumedMasterState?.rev ?? null)) {
        if (current) conflicts.push(current);
        continue;
      }
      this.write({ ...row.newDocumentState, rev: (current?.rev ?? 0) + 1 });
    }
    return { conflicts, rejected: [] };
  }

  get(id: string): SyncDocument | undefined {
    return this.docs.get(id)?.doc;
  }

  write(doc: SyncDocument): void {
    const seq = this.writeUnseen(doc);
    this.stream$.next({ documents: [doc], checkpoint: { seq } });
  }

  /** A change the client's stream never carries, as one made while it was disconnected. */
  writeUnseen(doc: SyncDocument): number {
    const seq = ++this.seq;
    this.docs.set(doc.id, { doc, seq });
    return seq;
  }
}

interface Collections {
  records: RxCollection<SyncRxDocType>;
}

let database: RxDatabase<Collections> | null = null;
let replication: RxReplicationState<SyncRxDocType, SyncCheckpoint> | null = null;

afterEach(async () => {
  await replication?.cancel();
  await database?.close();
  replication = null;
  database = null;
});

async function replicatedCollection(master: MemoryMaster) {
  database = await createRxDatabase<Collections>({ name: randomToken(10), storage: getRxStorageMemory() });
  await database.addCollections({ records: { schema: syncRecordsSchema } });
  const records = database.records;
  replication = replicateRxCollection<SyncRxDocType, SyncCheckpoint>({
    collection: records,
    replicationIdentifier: 'enclave-sync-test',
    live: true,
    ...syncReplicationOptions(master, { pullBatchSize: 2 }),
  });
  await replication.awaitInitialReplication();
  return records;
}

describe('syncReplicationOptions with RxDB', () => {
  it('pushes local writes in the wire shape only, and takes the master revision back', async () => {
    const master = new MemoryMaster();
    const records = await replicatedCollection(master);

    await records.insert({ id: 'a', type: 'note', data: { text: 'hello' } });
    await replication?.awaitInSync();

    expect(master.get('a')).toEqual({
      id: 'a',
      type: 'note',
      data: { text: 'hello' },
      rev: 1,
      _deleted: false,
    });
    const pushed = master.pushed[0]!;
    expect(pushed.assumedMasterState).toBeNull();
    expect(Object.keys(pushed.newDocumentState).sort()).toEqual(['_deleted', 'data', 'id', 'type']);
    const local = await firstValueFrom(records.findOne('a').$.pipe(filter((doc) => doc?.rev === 1)));
    expect(local?.data).toEqual({ text: 'hello' });
  });

  it('applies changes from the stream and pulls everything in batches', async () => {
    const master = new MemoryMaster();
    for (const id of ['p1', 'p2', 'p3'])
      master.write({ id, type: 'note', data: {}, rev: 1, _deleted: false });
    const records = await replicatedCollection(master);
    expect((await records.find().exec()).map((doc) => doc.id).sort()).toEqual(['p1', 'p2', 'p3']);
    expect(master.pulls).toContainEqual({ seq: 2 });

    master.write({ id: 'p1', type: 'note', data: { text: 'changed' }, rev: 2, _deleted: false });
    const changed = await firstValueFrom(records.findOne('p1').$.pipe(filter((doc) => doc?.rev === 2)));
    expect(changed?.data).toEqual({ text: 'changed' });
  });

  it('pulls what it missed after a RESYNC that comes in behind live changes', async () => {
    const master = new MemoryMaster();
    const records = await replicatedCollection(master);
    const tick = () => new Promise((resolve) => setTimeout(resolve, 0));
    // Keep RxDB's downstream busy with a pull, so that what follows queues up behind it.
    let release: () => void = () => undefined;
    master.gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    replication?.reSync();
    await tick();
    master.write({ id: 'before', type: 'note', data: {}, rev: 1, _deleted: false });
    await tick();
    // The connection drops; this change is made meanwhile; the client reconnects and resyncs.
    master.writeUnseen({ id: 'missed', type: 'note', data: {}, rev: 1, _deleted: false });
    master.stream$.next('RESYNC');
    await tick();
    master.write({ id: 'after', type: 'note', data: {}, rev: 1, _deleted: false });
    await tick();
    master.gate = null;
    release();

    const docs = await firstValueFrom(
      records.find().$.pipe(filter((found) => found.some((doc) => doc.id === 'after'))),
    );
    expect(docs.map((doc) => doc.id)).toContain('before');
    await replication?.awaitInSync();
    expect((await records.find().exec()).map((doc) => doc.id).sort()).toEqual(['after', 'before', 'missed']);
  });
});

describe('wire mapping', () => {
  it('strips RxDB metadata from a document', () => {
    const stored = {
      id: 'a',
      type: 'note',
      data: { text: 'x' },
      rev: 3,
      _deleted: false,
      _rev: '1-abc',
      _meta: { lwt: 1 },
      _attachments: {},
    };
    expect(syncDocumentOf(stored)).toEqual({
      id: 'a',
      type: 'note',
      data: { text: 'x' },
      rev: 3,
      _deleted: false,
    });
  });

  it('maps documents of another shape both ways', async () => {
    interface Human {
      passportId: string;
      firstName: string;
    }
    const master = new MemoryMaster();
    const options = syncReplicationOptions<Human>(master, {
      toWire: (doc: WithDeleted<Human>) => ({
        id: doc.passportId,
        type: 'human',
        data: { firstName: doc.firstName },
        _deleted: doc._deleted,
      }),
      fromWire: (doc) => ({
        passportId: doc.id,
        firstName: String(doc.data.firstName),
        _deleted: doc._deleted,
      }),
    });
    const conflicts = await options.push.handler([
      { newDocumentState: { passportId: 'p1', firstName: 'Ada', _deleted: false } },
    ]);
    expect(conflicts).toEqual([]);
    expect(master.get('p1')).toMatchObject({ type: 'human', data: { firstName: 'Ada' } });

    const pulled = await options.pull.handler(undefined, 10);
    expect(pulled).toEqual({
      documents: [{ passportId: 'p1', firstName: 'Ada', _deleted: false }],
      checkpoint: { seq: 1 },
    });
  });

  it('keeps pulling after a page the server cut short, so that RxDB does not stop early', async () => {
    const master = new MemoryMaster(2);
    for (const id of ['p1', 'p2', 'p3', 'p4', 'p5'])
      master.write({ id, type: 'note', data: {}, rev: 1, _deleted: false });
    const options = syncReplicationOptions(master, { pullBatchSize: 4 });

    const first = await options.pull.handler(undefined, 4);
    expect(first.documents.map((doc) => doc.id)).toEqual(['p1', 'p2', 'p3', 'p4']);
    expect(first.checkpoint).toEqual({ seq: 4 });
    // The short last batch (what tells RxDB it is done) comes only after an empty page.
    const last = await options.pull.handler({ seq: 4 }, 4);
    expect(last.documents.map((doc) => doc.id)).toEqual(['p5']);
    expect(last.checkpoint).toEqual({ seq: 5 });
    expect(master.pulls).toEqual([null, { seq: 2 }, { seq: 4 }, { seq: 5 }]);
  });

  it('pulls a batch larger than the server serves in several requests', async () => {
    const master = new MemoryMaster();
    const total = SYNC_MAX_PULL_BATCH + 500;
    for (let i = 0; i < total; i++)
      master.write({ id: `d${String(i)}`, type: 'note', data: {}, _deleted: false });
    const options = syncReplicationOptions(master, { pullBatchSize: total });
    const pulled = await options.pull.handler(undefined, total);
    expect(pulled.documents).toHaveLength(total);
    expect(pulled.checkpoint).toEqual({ seq: total });
    expect(master.asked).toEqual([SYNC_MAX_PULL_BATCH, 500]);
  });

  it('refuses a pull batch size that is not a positive integer', () => {
    expect(() => syncReplicationOptions(new MemoryMaster(), { pullBatchSize: 0 })).toThrow(RangeError);
    expect(() => syncReplicationOptions(new MemoryMaster(), { pullBatchSize: 1.5 })).toThrow(RangeError);
  });
});
