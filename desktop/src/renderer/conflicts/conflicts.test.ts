import { afterEach, describe, expect, it } from 'vitest';
import { filter, firstValueFrom, Subject, type Observable } from 'rxjs';
import { randomToken, type RxStorage } from 'rxdb';
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import type {
  IpcEventChannel,
  PushRow,
  RejectedRow,
  SyncDocument,
  SyncPullResult,
  SyncPushResult,
  SyncStreamItem,
} from '@enclave/shared';
import type { BridgeClient } from '../bridge/client';
import { deviceSelf } from '../workspace/test-fixtures';
import { WorkspaceSession } from '../workspace/session';
import { canonicalJson, detectConflict, RejectionLog } from './conflict-detection';

const WORKSPACE_ID = '00000000-0000-4000-8000-00000000000a';

/** The server's side of sync, as main relays it: content conflicts, refusals, a live stream. */
class FakeServer {
  readonly stream$ = new Subject<SyncStreamItem>();
  readonly rejectedEvents$ = new Subject<RejectedRow>();
  /** Record ids the server refuses to write, as it does without write permission. */
  readonly refuse = new Set<string>();
  private seq = 0;
  private readonly docs = new Map<string, { doc: SyncDocument; seq: number }>();

  get(id: string): SyncDocument | undefined {
    return this.docs.get(id)?.doc;
  }

  write(doc: Omit<SyncDocument, 'rev'>): SyncDocument {
    const stored = this.writeUnseen(doc);
    this.stream$.next({ documents: [stored], checkpoint: { seq: this.seq } });
    return stored;
  }

  /** A change this device's stream does not carry (made while it was not listening). */
  writeUnseen(doc: Omit<SyncDocument, 'rev'>): SyncDocument {
    const stored = { ...doc, rev: (this.get(doc.id)?.rev ?? 0) + 1 };
    this.docs.set(doc.id, { doc: stored, seq: ++this.seq });
    return stored;
  }

  pull(since: number | null, batchSize: number): SyncPullResult {
    const changed = [...this.docs.values()]
      .filter((entry) => entry.seq > (since ?? 0))
      .sort((a, b) => a.seq - b.seq)
      .slice(0, batchSize);
    const last = changed.at(-1);
    return {
      documents: changed.map((e) => e.doc),
      checkpoint: last ? { seq: last.seq } : since === null ? null : { seq: since },
    };
  }

  push(rows: PushRow[]): SyncPushResult {
    const result: SyncPushResult = { conflicts: [], rejected: [] };
    for (const row of rows) {
      const current = this.get(row.newDocumentState.id);
      const content = (doc: SyncDocument | null | undefined) =>
        doc ? canonicalJson({ type: doc.type, data: doc.data, deleted: doc._deleted }) : null;
      if (this.refuse.has(row.newDocumentState.id)) {
        const error = { code: 'forbidden' as const, message: 'You may not edit clients' };
        result.rejected.push({ id: row.newDocumentState.id, error });
        result.conflicts.push(current ?? { ...row.newDocumentState, data: {}, _deleted: true });
        continue;
      }
      if (content(current) !== content(row.assumedMasterState)) {
        if (current) result.conflicts.push(current);
        continue;
      }
      this.write(row.newDocumentState);
    }
    return result;
  }
}

const self = deviceSelf(WORKSPACE_ID);

function clientOf(server: FakeServer): BridgeClient {
  return {
    call: (async (
      channel: string,
      request: { checkpoint?: { seq: number } | null; batchSize?: number; rows?: PushRow[] },
    ) => {
      switch (channel) {
        case 'sync:pull':
          return server.pull(request.checkpoint?.seq ?? null, request.batchSize ?? 100);
        case 'sync:push': {
          const result = server.push(request.rows ?? []);
          for (const row of result.rejected) server.rejectedEvents$.next(row);
          return result;
        }
        case 'sync:status':
          return { status: 'online', headSeq: 0 };
        case 'device:self':
          return self;
        default:
          throw new Error(`unexpected call ${channel}`);
      }
    }) as BridgeClient['call'],
    onEvent: ((event: IpcEventChannel, listener: (payload: unknown) => void) => {
      const source: Observable<unknown> | null =
        event === 'sync:stream' ? server.stream$ : event === 'sync:rejected' ? server.rejectedEvents$ : null;
      const subscription = source?.subscribe(listener);
      return () => subscription?.unsubscribe();
    }) as BridgeClient['onEvent'],
    replica: { post: () => undefined, onMessage: () => () => undefined },
  };
}

/**
 * Memory storage behind a structured clone, as main's storage is behind Electron's IPC: anything
 * written that is not plain data (say, a document's proxy) fails here as it would in the app.
 */
function overIpc(storage: RxStorage<unknown, unknown>): RxStorage<unknown, unknown> {
  return {
    ...storage,
    async createStorageInstance(params) {
      const instance = await storage.createStorageInstance(params);
      const bulkWrite = instance.bulkWrite.bind(instance);
      instance.bulkWrite = (rows, context) => bulkWrite(structuredClone(rows), context);
      return instance;
    },
  };
}

let session: WorkspaceSession | null = null;
afterEach(async () => {
  await session?.dispose();
  session = null;
});

async function openSession(server: FakeServer): Promise<WorkspaceSession> {
  session = await WorkspaceSession.open({
    client: clientOf(server),
    storage: overIpc(getRxStorageMemory()),
    replicaName: `replica-${randomToken(8).toLowerCase()}`,
    workspaceId: WORKSPACE_ID,
    retryTime: 50,
  });
  await firstValueFrom(session.initialSyncDone$.pipe(filter(Boolean)));
  return session;
}

const conflictOf = (s: WorkspaceSession, id: string) =>
  firstValueFrom(s.db.conflicts.findOne(id).$.pipe(filter((doc) => doc !== null)));

describe('conflicts in a replicated workspace', () => {
  it('lets the server win but keeps the local version, and restores it on request', async () => {
    const server = new FakeServer();
    server.write({ id: 'c1', type: 'client', data: { name: 'Acme', status: 'lead' }, _deleted: false });
    const s = await openSession(server);

    // Someone else edits on the server while this device, not having seen it, edits too.
    const doc = await s.db.records.findOne('c1').exec();
    server.writeUnseen({
      id: 'c1',
      type: 'client',
      data: { name: 'Acme Ltd', status: 'lead' },
      _deleted: false,
    });
    await doc?.incrementalPatch({ data: { name: 'Acme', status: 'active' } });

    const conflict = await conflictOf(s, 'c1');
    expect(conflict.localData).toEqual({ name: 'Acme', status: 'active' });
    expect(conflict.serverData).toEqual({ name: 'Acme Ltd', status: 'lead' });
    expect(conflict.reasonCode).toBeUndefined();
    const current = await firstValueFrom(
      s.db.records.findOne('c1').$.pipe(filter((d) => d?.data.name === 'Acme Ltd')),
    );
    expect(current?.data).toEqual({ name: 'Acme Ltd', status: 'lead' });

    await s.conflicts.restore('c1');
    expect(await s.db.conflicts.findOne('c1').exec()).toBeNull();
    await s.awaitInSync();
    expect(server.get('c1')?.data).toEqual({ name: 'Acme', status: 'active' });
  });

  it('restores a change to a record deleted on the server by bringing it back', async () => {
    const server = new FakeServer();
    server.write({ id: 'c4', type: 'client', data: { name: 'Delta' }, _deleted: false });
    const s = await openSession(server);
    server.writeUnseen({ id: 'c4', type: 'client', data: { name: 'Delta' }, _deleted: true });
    const doc = await s.db.records.findOne('c4').exec();
    await doc?.incrementalPatch({ data: { name: 'Delta Corp' } });

    const conflict = await conflictOf(s, 'c4');
    expect(conflict.serverDeleted).toBe(true);
    await firstValueFrom(s.db.records.findOne('c4').$.pipe(filter((d) => d === null)));

    await s.conflicts.restore('c4');
    await s.awaitInSync();
    expect(server.get('c4')).toMatchObject({ data: { name: 'Delta Corp' }, _deleted: false });
  });

  it('keeps the reason of a refusal even while an older conflict of the record is pending', async () => {
    const server = new FakeServer();
    server.write({ id: 'c5', type: 'client', data: { name: 'Echo' }, _deleted: false });
    const s = await openSession(server);
    server.writeUnseen({ id: 'c5', type: 'client', data: { name: 'Echo SA' }, _deleted: false });
    let doc = await s.db.records.findOne('c5').exec();
    await doc?.incrementalPatch({ data: { name: 'Echo AG' } });
    await conflictOf(s, 'c5');
    await firstValueFrom(s.db.records.findOne('c5').$.pipe(filter((d) => d?.data.name === 'Echo SA')));

    server.refuse.add('c5');
    doc = await s.db.records.findOne('c5').exec();
    await doc?.incrementalPatch({ data: { name: 'Echo Group' } });
    const refused = await firstValueFrom(
      s.db.conflicts
        .findOne('c5')
        .$.pipe(filter((d) => d?.localData.name === 'Echo Group' && d.reasonCode !== undefined)),
    );
    expect(refused?.reasonCode).toBe('forbidden');
  });

  it('attaches the server’s reason to a refused change', async () => {
    const server = new FakeServer();
    server.write({ id: 'c2', type: 'client', data: { name: 'Beta' }, _deleted: false });
    const s = await openSession(server);
    server.refuse.add('c2');

    const doc = await s.db.records.findOne('c2').exec();
    await doc?.incrementalPatch({ data: { name: 'Beta GmbH' } });

    const conflict = await firstValueFrom(
      s.db.conflicts.findOne('c2').$.pipe(filter((d) => d?.reasonCode !== undefined)),
    );
    expect(conflict?.reasonCode).toBe('forbidden');
    expect(conflict?.reasonMessage).toBe('You may not edit clients');
    expect(conflict?.localData).toEqual({ name: 'Beta GmbH' });
    expect(server.get('c2')?.data).toEqual({ name: 'Beta' });
  });

  it('keeps nothing when the server already has the same content', async () => {
    const server = new FakeServer();
    server.write({ id: 'c3', type: 'client', data: { name: 'Gamma' }, _deleted: false });
    const s = await openSession(server);
    const doc = await s.db.records.findOne('c3').exec();
    server.writeUnseen({ id: 'c3', type: 'client', data: { name: 'Gamma AG' }, _deleted: false });
    await doc?.incrementalPatch({ data: { name: 'Gamma AG' } });
    await firstValueFrom(s.db.records.findOne('c3').$.pipe(filter((d) => d?.rev === 2)));
    await s.awaitInSync();
    expect(await s.db.conflicts.find().exec()).toEqual([]);
  });
});

describe('detectConflict', () => {
  it('ignores server fields and key order, and notices deletion', () => {
    const base = { id: 'x', type: 'client', data: { a: 1, b: 2 }, _deleted: false };
    expect(
      detectConflict({
        newDocumentState: base,
        realMasterState: { ...base, data: { b: 2, a: 1 }, rev: 4, updatedAt: '2024-01-01T00:00:00Z' },
      }),
    ).toBeNull();
    expect(
      detectConflict({ newDocumentState: { ...base, _deleted: true }, realMasterState: { ...base, rev: 2 } }),
    ).toEqual({
      recordId: 'x',
      local: { type: 'client', data: { a: 1, b: 2 }, deleted: true },
      server: { type: 'client', data: { a: 1, b: 2 }, deleted: false, rev: 2 },
    });
  });
});

describe('RejectionLog', () => {
  it('hands a reason out once, and not after it expired', () => {
    let now = 0;
    const log = new RejectionLog(1000, () => now);
    log.note({ id: 'a', error: { code: 'forbidden', message: 'no' } });
    log.note({ id: 'b', error: { code: 'validation_failed', message: 'bad' } });
    expect(log.take('a')).toEqual({ code: 'forbidden', message: 'no' });
    expect(log.take('a')).toBeNull();
    now = 1001;
    expect(log.take('b')).toBeNull();
  });
});
