import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { Subject } from 'rxjs';
import { addRxPlugin, createRxDatabase, type RxCollection, type RxDatabase } from 'rxdb';
import { disableWarnings, RxDBDevModePlugin } from 'rxdb/plugins/dev-mode';
import { wrappedValidateAjvStorage } from 'rxdb/plugins/validate-ajv';
import { replicateRxCollection, type RxReplicationState } from 'rxdb/plugins/replication';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PushRow, SyncCheckpoint, SyncDocument, SyncStreamItem } from '@enclave/shared';
import { RECORDS_COLLECTION, recordsSchema } from '../../common/sync/records-collection';
import {
  syncReplicationOptions,
  type SyncRxDocType,
  type SyncTransport,
} from '../../common/sync/replication-handlers';
import { openReplicaDatabase } from './replica-file';
import { replicationMetaCollectionName } from './pulled-state';
import { getRxStorageSqlcipher } from './sqlcipher-storage';
import { tableNameOf } from './collection-table';
import { tempReplica } from './test-support';
import type { SqlcipherRxStorage } from './types';

/**
 * A fill followed by RxDB's own replication, through the app's replication options, against a
 * master held in memory: RxDB (in dev-mode, which checks what the storage answers) continues from
 * the fill's checkpoints, pulls and pushes nothing again, and keeps every protocol promise for
 * the filled documents although their replication meta was never written.
 */

disableWarnings();
addRxPlugin(RxDBDevModePlugin);

type Collections = { records: RxCollection<SyncRxDocType> };

const DB = 'replica-fill';
const validated = () => wrappedValidateAjvStorage({ storage });
const IDENTIFIER = 'enclave-ws1';

/** A master in memory speaking the sync protocol: documents by sequence, content conflicts. */
class MemoryMaster implements SyncTransport {
  readonly docs = new Map<string, { doc: SyncDocument; seq: number }>();
  seq = 0;
  readonly pulls: (SyncCheckpoint | null)[] = [];
  readonly pushes: PushRow[][] = [];
  readonly stream$ = new Subject<SyncStreamItem>();

  put(doc: SyncDocument): void {
    this.seq++;
    this.docs.set(doc.id, { doc: { ...doc, rev: (this.docs.get(doc.id)?.doc.rev ?? 0) + 1 }, seq: this.seq });
  }

  changedSince(
    seq: number,
    limit = Number.POSITIVE_INFINITY,
  ): { documents: SyncDocument[]; checkpoint: SyncCheckpoint } {
    const rows = [...this.docs.values()].filter((row) => row.seq > seq).sort((a, b) => a.seq - b.seq);
    const page = rows.slice(0, limit);
    return { documents: page.map((row) => row.doc), checkpoint: { seq: page.at(-1)?.seq ?? seq } };
  }

  async pull(checkpoint: SyncCheckpoint | null, batchSize: number) {
    this.pulls.push(checkpoint);
    return this.changedSince(checkpoint?.seq ?? 0, batchSize);
  }

  async push(rows: readonly PushRow[]) {
    this.pushes.push([...rows]);
    const conflicts: SyncDocument[] = [];
    for (const row of rows) {
      const current = this.docs.get(row.newDocumentState.id)?.doc ?? null;
      const assumed = row.assumedMasterState ?? null;
      if (JSON.stringify(contentOf(assumed)) !== JSON.stringify(contentOf(current))) {
        if (current) conflicts.push(current);
        continue;
      }
      this.put({ ...row.newDocumentState });
      const stored = this.docs.get(row.newDocumentState.id);
      if (stored) this.stream$.next({ documents: [stored.doc], checkpoint: { seq: stored.seq } });
    }
    return { conflicts, rejected: [] };
  }
}

function contentOf(doc: SyncDocument | null) {
  return doc === null ? null : { type: doc.type, data: doc.data, deleted: doc._deleted };
}

const recordDoc = (i: number): SyncDocument => ({
  id: randomUUID(),
  type: 'client',
  data: { name: `Client ${String(i)}` },
  _deleted: false,
});

let replica: ReturnType<typeof tempReplica>;
let storage: SqlcipherRxStorage;
let databases: RxDatabase<Collections>[];
let replications: RxReplicationState<SyncRxDocType, SyncCheckpoint>[];

beforeEach(() => {
  replica = tempReplica();
  storage = getRxStorageSqlcipher({ filePath: replica.filePath, key: replica.key });
  databases = [];
  replications = [];
});

afterEach(async () => {
  for (const replication of replications) await replication.cancel();
  for (const db of databases) if (!db.closed) await db.close();
  await storage.closeAll();
  replica.dispose();
});

const target = {
  databaseName: DB,
  collectionName: RECORDS_COLLECTION,
  schema: recordsSchema,
  replicationIdentifier: IDENTIFIER,
};

/** Fills the replica from the master, page by page, as main does on a first sync. */
async function fillFrom(master: MemoryMaster, pageSize = 3): Promise<void> {
  const fill = await storage.openFill<SyncRxDocType, SyncCheckpoint>(target);
  try {
    let state = fill.state();
    expect(state.kind).toBe('fill');
    let seq = state.kind === 'fill' ? (state.checkpoint?.seq ?? 0) : 0;
    for (;;) {
      const page = master.changedSince(seq, pageSize);
      if (page.documents.length === 0) break;
      await fill.writePage(page.documents, page.checkpoint);
      seq = page.checkpoint.seq;
    }
    await fill.finish();
    state = fill.state();
    expect(state.kind).toBe('done');
  } finally {
    await fill.close();
  }
}

async function openReplicated(master: MemoryMaster) {
  const db = await createRxDatabase<Collections>({ name: DB, storage: validated(), multiInstance: false });
  databases.push(db);
  await db.addCollections({ records: { schema: recordsSchema } });
  const replication = replicateRxCollection<SyncRxDocType, SyncCheckpoint>({
    collection: db.records,
    replicationIdentifier: IDENTIFIER,
    live: true,
    retryTime: 50,
    ...syncReplicationOptions(master, { pullBatchSize: 100 }),
  });
  replications.push(replication);
  replication.error$.subscribe((error) => {
    throw error;
  });
  await replication.awaitInitialReplication();
  return { db, replication };
}

function tableRows(table: string): { id: string; doc: string }[] {
  const raw = openReplicaDatabase(replica.filePath, replica.key);
  try {
    return raw.prepare(`SELECT id, doc FROM ${table}`).all() as { id: string; doc: string }[];
  } finally {
    raw.close();
  }
}

/** A master holding `count` new records. */
function masterWith(count: number): MemoryMaster {
  const master = new MemoryMaster();
  for (let i = 0; i < count; i++) master.put(recordDoc(i));
  return master;
}

/** The rows of the records table, read from the file. */
const recordRows = () =>
  tableRows(tableNameOf({ databaseName: DB, collectionName: RECORDS_COLLECTION, schemaVersion: 0 }));

const metaTable = () =>
  tableNameOf({
    databaseName: DB,
    collectionName: replicationMetaCollectionName(RECORDS_COLLECTION, IDENTIFIER),
    schemaVersion: 0,
  });

describe('a filled replica under RxDB replication', () => {
  it('continues from the fill: nothing pulled or pushed again, and no second copy of any document', async () => {
    const master = masterWith(10);
    await fillFrom(master);

    const { db } = await openReplicated(master);
    expect(await db.records.count().exec()).toBe(10);
    // RxDB's first pull starts at the fill's checkpoint, and nothing went up.
    expect(master.pulls[0]).toEqual({ seq: 10 });
    expect(master.pushes).toEqual([]);
    // The meta table holds the two checkpoints only: no per-document copy.
    expect(
      tableRows(metaTable())
        .map((row) => row.id)
        .sort(),
    ).toEqual(['down|1', 'up|1']);
    // RxDB's meta collection for this replication is the table the fill wrote (same name).
    const name = replicationMetaCollectionName(RECORDS_COLLECTION, IDENTIFIER);
    expect(name).toMatch(/^rx-replication-meta-[0-9a-f]{64}$/);
  });

  it('pushes a local edit of a filled document against the state the server has (no false conflict)', async () => {
    const master = new MemoryMaster();
    const docs = Array.from({ length: 4 }, (_, i) => recordDoc(i));
    for (const doc of docs) master.put(doc);
    await fillFrom(master);
    const { db, replication } = await openReplicated(master);
    const target0 = docs[0] as SyncDocument;

    const doc = await db.records.findOne(target0.id).exec();
    await doc?.incrementalPatch({ data: { name: 'Renamed' } });
    await replication.awaitInSync();

    const row = master.pushes.flat().find((r) => r.newDocumentState.id === target0.id);
    expect(row?.assumedMasterState).toMatchObject({ id: target0.id, data: { name: 'Client 0' }, rev: 1 });
    expect(master.docs.get(target0.id)?.doc.data).toEqual({ name: 'Renamed' });
    // The filled state was copied into the meta table before the edit overwrote it, then RxDB
    // replaced it with the pushed state.
    const meta = tableRows(metaTable()).find((r) => r.id === `${target0.id}|0`);
    const metaDoc = JSON.parse(meta?.doc ?? '{}') as { docData?: { data?: unknown } };
    expect(metaDoc.docData?.data).toEqual({ name: 'Renamed' });
  });

  it('takes a server change of a filled document, and finds a real conflict', async () => {
    const master = new MemoryMaster();
    const docs = Array.from({ length: 3 }, (_, i) => recordDoc(i));
    for (const doc of docs) master.put(doc);
    await fillFrom(master);
    const { db, replication } = await openReplicated(master);
    const [first, second] = docs as [SyncDocument, SyncDocument];

    // The server changes the first document: it arrives in the replica.
    master.put({ ...first, data: { name: 'Changed on the server' } });
    const changed = master.docs.get(first.id);
    if (!changed) throw new Error('missing');
    master.stream$.next({ documents: [changed.doc], checkpoint: { seq: changed.seq } });
    await replication.awaitInSync();
    await expect
      .poll(async () => (await db.records.findOne(first.id).exec())?.data)
      .toEqual({
        name: 'Changed on the server',
      });

    // The second changes on the server while this replica edits its filled copy: the push is
    // refused as a conflict, and RxDB's default handler takes the server's state.
    master.put({ ...second, data: { name: 'Server wins' } });
    const local = await db.records.findOne(second.id).exec();
    await local?.incrementalPatch({ data: { name: 'Local edit' } });
    await replication.awaitInSync();
    const row = master.pushes.flat().find((r) => r.newDocumentState.id === second.id);
    expect(row?.assumedMasterState).toMatchObject({ data: { name: 'Client 1' } });
    await expect
      .poll(async () => (await db.records.findOne(second.id).exec())?.data)
      .toEqual({
        name: 'Server wins',
      });
  });

  it('resumes a fill stopped between pages, keeping deletions and updates that came meanwhile', async () => {
    const master = new MemoryMaster();
    const docs = Array.from({ length: 6 }, (_, i) => recordDoc(i));
    for (const doc of docs) master.put(doc);
    const first = await storage.openFill<SyncRxDocType, SyncCheckpoint>(target);
    const page = master.changedSince(0, 3);
    await first.writePage(page.documents, page.checkpoint);
    await first.close();

    // Meanwhile on the server: one filled document deleted, one not yet filled deleted.
    master.put({ ...(docs[0] as SyncDocument), _deleted: true });
    master.put({ ...(docs[5] as SyncDocument), _deleted: true });
    await fillFrom(master);

    const { db } = await openReplicated(master);
    const ids = (await db.records.find().exec()).map((doc) => doc.id).sort();
    expect(ids).toEqual([docs[1], docs[2], docs[3], docs[4]].map((doc) => (doc as SyncDocument).id).sort());
    // The deletion of a document never filled left no tombstone behind.
    expect(recordRows()).toHaveLength(5);
  });

  it('refuses to fill while RxDB has the collection open, and RxDB may not open it during a fill', async () => {
    const master = new MemoryMaster();
    const fill = await storage.openFill<SyncRxDocType, SyncCheckpoint>(target);
    const db = await createRxDatabase<Collections>({ name: DB, storage: validated(), multiInstance: false });
    databases.push(db);
    await expect(db.addCollections({ records: { schema: recordsSchema } })).rejects.toThrow();
    await fill.close();
    await db.close();

    await openReplicated(master);
    await expect(storage.openFill(target)).rejects.toThrow(/is open/);
  });

  it('answers done once RxDB replication has run on the collection, and not fillable over its documents', async () => {
    const master = new MemoryMaster();
    master.put(recordDoc(0));
    const { db, replication } = await openReplicated(master);
    await replication.cancel();
    await db.close();
    const fill = await storage.openFill<SyncRxDocType, SyncCheckpoint>(target);
    try {
      expect(fill.state().kind).toBe('done');
    } finally {
      await fill.close();
    }

    const other = { ...target, replicationIdentifier: 'another' };
    const second = await storage.openFill<SyncRxDocType, SyncCheckpoint>(other);
    try {
      expect(second.state().kind).toBe('not_fillable');
    } finally {
      await second.close();
    }
  });

  it('writes through a rollback journal while it fills alone, and leaves the replica in WAL mode', async () => {
    const master = masterWith(5);
    const fill = await storage.openFill<SyncRxDocType, SyncCheckpoint>(target);
    const page = master.changedSince(0);
    await fill.writePage(page.documents, page.checkpoint);
    // No log beside the file: the pages went straight into it.
    expect(existsSync(`${replica.filePath}-wal`)).toBe(false);
    await fill.finish();
    await fill.close();
    await storage.closeAll();
    const raw = openReplicaDatabase(replica.filePath, replica.key);
    try {
      expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      raw.close();
    }
  });

  it('writes pages handed over before the last one answered, in the order given', async () => {
    const master = new MemoryMaster();
    const docs = Array.from({ length: 9 }, (_, i) => recordDoc(i));
    for (const doc of docs) master.put(doc);
    // The same document again in a later page: the later state must win, as it would in order.
    const changed = { ...(docs[4] as SyncDocument), data: { name: 'Changed later' } };
    const fill = await storage.openFill<SyncRxDocType, SyncCheckpoint>(target);
    try {
      const pages = [master.changedSince(0, 5), master.changedSince(5, 4)];
      const written = await Promise.all([
        fill.writePage(pages[0]!.documents, pages[0]!.checkpoint),
        fill.writePage(pages[1]!.documents, pages[1]!.checkpoint),
        fill.writePage([{ ...changed, rev: 2 }], { seq: 10 }),
      ]);
      expect(written).toEqual([5, 4, 1]);
      await fill.finish();
    } finally {
      await fill.close();
    }
    const { db } = await openReplicated(master);
    expect(await db.records.count().exec()).toBe(9);
    expect((await db.records.findOne(changed.id).exec())?.data).toEqual({ name: 'Changed later' });
  });

  it('stops at a page the writer refuses: nothing of it is kept, and nothing after it is written', async () => {
    const master = masterWith(6);
    const fill = await storage.openFill<SyncRxDocType, SyncCheckpoint>(target);
    try {
      const first = master.changedSince(0, 3);
      await fill.writePage(first.documents, first.checkpoint);
      // A row without an id cannot be stored (the server never sends one; here it stands for any
      // failure of the write, a full disk among them).
      const broken = [...master.changedSince(3, 3).documents];
      broken[1] = { ...broken[1]!, id: undefined as unknown as string };
      await expect(fill.writePage(broken, { seq: 6 })).rejects.toThrow();
      await expect(fill.writePage([recordDoc(9)], { seq: 7 })).rejects.toThrow();
      await expect(fill.finish()).rejects.toThrow();
    } finally {
      await fill.close();
    }
    expect(recordRows()).toHaveLength(3);
    // The next fill resumes after the last page that was written.
    const next = await storage.openFill<SyncRxDocType, SyncCheckpoint>(target);
    try {
      expect(next.state()).toEqual({ kind: 'fill', checkpoint: { seq: 3 } });
    } finally {
      await next.close();
    }
  });

  it('closes once: a second close waits, like the first, for the pages handed over', async () => {
    const master = masterWith(4);
    const fill = await storage.openFill<SyncRxDocType, SyncCheckpoint>(target);
    const page = master.changedSince(0);
    const written = fill.writePage(page.documents, page.checkpoint);
    const first = fill.close();
    // As a wipe does: the storage closes the fill again, then deletes the files.
    await fill.close();
    expect(recordRows()).toHaveLength(4);
    await expect(written).resolves.toBe(4);
    await first;
    await expect(fill.writePage(page.documents, page.checkpoint)).rejects.toThrow(/closed/);
  });
});
