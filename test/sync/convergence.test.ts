import { rmSync } from 'node:fs';
import type { ClientRequestArgs } from 'node:http';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { createRxDatabase, type RxCollection, type RxDatabase } from 'rxdb';
import { replicateRxCollection, type RxReplicationState } from 'rxdb/plugins/replication';
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import { wrappedValidateAjvStorage } from 'rxdb/plugins/validate-ajv';
import type {
  AuditVerifyResult,
  PushRow,
  RejectedRow,
  SyncCheckpoint,
  WorkspaceRecord,
} from '@enclave/shared';
import {
  pairDevice,
  SyncClient,
  syncRecordsSchema,
  syncReplicationOptions,
  type DeviceCredential,
  type SyncRxDocType,
  type SyncTransport,
} from '../../desktop/src';
import { verifyChain } from '../../server/src/audit/verify';
import type { TestClient } from '../../server/src/test-support/test-client';
import { createPairing } from '../../server/src/test-support/test-devices';
import {
  addMember,
  createUser,
  createWorkspace,
  startTestServer,
  type TestServer,
} from '../../server/src/test-support/test-server';

/**
 * Convergence under faults: three desktop clients (RxDB memory collections replicating through
 * the sync client, as the app's `records` collection does) against a real server. They edit the
 * same and different records at once, one goes offline and comes back, connections are cut under
 * pushes (before and after the server committed them), the server restarts mid-sync. Each time,
 * every client must end up holding exactly the server's records, and every write the server
 * acknowledged must be in the store and the audit log, whose chain must hold.
 */

const noteType = {
  key: 'note',
  label: 'Note',
  pluralLabel: 'Notes',
  titleField: 'title',
  fields: [
    { key: 'title', label: 'Title', type: 'text', required: true },
    { key: 'n', label: 'Number', type: 'number' },
  ],
};

/** A push row the server took: it answered without refusing it or returning it as a conflict. */
interface Ack {
  id: string;
  data: Record<string, unknown>;
  deleted: boolean;
  /** Pushed as a new document (no assumed master state). */
  assumedNew: boolean;
}

interface Client {
  name: string;
  credential: DeviceCredential;
  db: RxDatabase;
  records: RxCollection<SyncRxDocType>;
  /** The client's WebSockets still open, so a test can cut them from this side. */
  sockets: Set<WebSocket>;
  sync: SyncClient | null;
  state: RxReplicationState<SyncRxDocType, SyncCheckpoint> | null;
  /** Called as each push starts, before its frame is sent. */
  onPush: (() => void) | null;
}

/** What a client or the server holds of one record, server-assigned revision and time included. */
interface Held {
  type: string;
  data: unknown;
  deleted: boolean;
  rev: number | undefined;
  updatedAt: string | undefined;
}

type Content = Pick<Held, 'type' | 'data' | 'deleted'>;

type Snapshot = Omit<WorkspaceRecord, 'seq'>;

const note = (id: string, title: string, n = 0) => ({ id, type: 'note', data: { title, n } });
const SETTLE = { timeout: 20_000, interval: 100 };

/** A WebSocket class for the sync client that keeps its open sockets in `sockets`. */
function trackedWebSocket(sockets: Set<WebSocket>): typeof WebSocket {
  class TrackedWebSocket extends WebSocket {
    constructor(
      address: string | URL,
      protocols?: string | string[],
      options?: WebSocket.ClientOptions | ClientRequestArgs,
    ) {
      super(address, protocols, options);
      sockets.add(this);
      this.once('close', () => sockets.delete(this));
    }
  }
  return TrackedWebSocket as typeof WebSocket;
}

describe('convergence of three clients under faults', () => {
  let t: TestServer;
  let owner: TestClient;
  let workspaceId: string;
  let clients: Client[];
  let acks: Ack[];
  let rejections: { client: string; row: RejectedRow }[];
  const dataDirs = new Set<string>();

  async function startServer(dataDir?: string, port?: string): Promise<void> {
    t = await startTestServer({ dataDir, env: port === undefined ? {} : { ENCLAVE_PORT: port } });
    dataDirs.add(t.dataDir);
  }

  beforeEach(async () => {
    acks = [];
    rejections = [];
    clients = [];
    await startServer();
    owner = await createUser(t);
    workspaceId = await createWorkspace(owner, 'Convergence', 'empty');
    const put = await owner.put(`/api/v1/workspaces/${workspaceId}/schema/entity-types/note`, noteType);
    expect(put.status, put.text).toBe(200);
    const people = [owner, await createUser(t), await createUser(t)];
    for (const person of people.slice(1)) await addMember(owner, workspaceId, person, ['member']);
    for (const [i, person] of people.entries()) {
      const { code } = await createPairing(person, workspaceId);
      const credential = await pairDevice({
        serverUrl: t.url,
        code,
        name: `Laptop ${String(i)}`,
        platform: 'linux',
        appVersion: '0.1.0',
      });
      const db = await createRxDatabase({
        name: `convergence-${String(i)}-${workspaceId}`,
        // Every document written to a client, pulled ones included, is checked against the schema.
        storage: wrappedValidateAjvStorage({ storage: getRxStorageMemory() }),
        multiInstance: false,
      });
      const { records } = await db.addCollections({ records: { schema: syncRecordsSchema } });
      clients.push({
        name: `client ${String(i)}`,
        credential,
        db,
        records,
        sockets: new Set(),
        sync: null,
        state: null,
        onPush: null,
      });
    }
  });

  afterEach(async () => {
    for (const c of clients) {
      await goOffline(c);
      await c.db.remove();
    }
    await t.close();
    // A restarted server was given its predecessor's directory, which it leaves in place.
    for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
    dataDirs.clear();
  });

  /** Starts (or restarts) a client's sync and live replication, recording what the server took. */
  function goOnline(c: Client): void {
    const sync = new SyncClient({
      credential: c.credential,
      backoff: { baseMs: 20, maxMs: 250 },
      WebSocketImpl: trackedWebSocket(c.sockets),
    });
    sync.rejected$.subscribe((row) => rejections.push({ client: c.name, row }));
    sync.start();
    const transport: SyncTransport = {
      pull: (checkpoint, batchSize) => sync.pull(checkpoint, batchSize),
      stream$: sync.stream$,
      push: async (rows: PushRow[]) => {
        const pushing = sync.push(rows);
        c.onPush?.();
        const result = await pushing;
        const refused = new Set([...result.conflicts.map((d) => d.id), ...result.rejected.map((r) => r.id)]);
        for (const { assumedMasterState, newDocumentState: doc } of rows) {
          if (refused.has(doc.id)) continue;
          acks.push({
            id: doc.id,
            data: doc.data,
            deleted: doc._deleted,
            assumedNew: assumedMasterState == null,
          });
        }
        return result;
      },
    };
    c.sync = sync;
    c.state = replicateRxCollection<SyncRxDocType, SyncCheckpoint>({
      collection: c.records,
      replicationIdentifier: 'enclave-records',
      live: true,
      retryTime: 50,
      ...syncReplicationOptions(transport, { pushBatchSize: 50 }),
    });
  }

  async function goOffline(c: Client): Promise<void> {
    await c.state?.cancel();
    await c.sync?.stop();
    c.state = null;
    c.sync = null;
  }

  async function workspace() {
    const ws = await t.server.deps.store.workspace(workspaceId);
    if (!ws) throw new Error('workspace gone');
    return ws;
  }

  async function serverRecords(): Promise<WorkspaceRecord[]> {
    return (await workspace()).recordsChangedSince(0, 100_000);
  }

  async function serverState(): Promise<Map<string, Held>> {
    return new Map(
      (await serverRecords()).map((r): [string, Held] => [
        r.id,
        { type: r.type, data: r.data, deleted: r.deletedAt !== null, rev: r.rev, updatedAt: r.updatedAt },
      ]),
    );
  }

  /**
   * A client's view of the server's records, deleted ones included, and of any live document the
   * server does not have (there must be none).
   */
  async function clientState(c: Client, ids: readonly string[]): Promise<Map<string, Held>> {
    const docs = await c.records.storageInstance.findDocumentsById([...ids], true);
    const held = new Map(
      docs.map((d): [string, Held] => [
        d.id,
        { type: d.type, data: d.data, deleted: d._deleted, rev: d.rev, updatedAt: d.updatedAt },
      ]),
    );
    for (const { id, type, data, rev, updatedAt } of await c.records.find().exec()) {
      if (!held.has(id)) held.set(id, { type, data, deleted: false, rev, updatedAt });
    }
    return held;
  }

  /**
   * Waits until every client is in sync and holds exactly the server's records; returns them.
   * Nothing forces a pull here: what a client missed must come to it through the live stream and
   * the resync after each reconnect, as in the app.
   */
  async function converged(): Promise<Map<string, Held>> {
    let server = new Map<string, Held>();
    await vi.waitFor(async () => {
      for (const c of clients) await c.state?.awaitInSync();
      server = await serverState();
      const ids = [...server.keys()];
      for (const c of clients) expect(await clientState(c, ids), c.name).toEqual(server);
    }, SETTLE);
    expect(rejections).toEqual([]);
    return server;
  }

  /**
   * The ledger: each record was created once, each of its revisions is one audit event and the
   * store holds the last; every acknowledged write is among those events (so the store holds it
   * or a later change of it); and the chain verifies, directly and through the API.
   */
  async function checkLedger(): Promise<void> {
    const ws = await workspace();
    const events = await ws.auditEventsFrom(1, 100_000);
    const history = new Map<string, { action: string; after: Snapshot }[]>();
    for (const e of events) {
      if (e.target.kind !== 'record' || e.target.id === null) continue;
      const list = history.get(e.target.id) ?? [];
      list.push({ action: e.action, after: e.after as Snapshot });
      history.set(e.target.id, list);
    }
    const records = await serverRecords();
    expect(new Set(history.keys())).toEqual(new Set(records.map((r) => r.id)));
    for (const { seq: _seq, ...record } of records) {
      const changes = history.get(record.id) ?? [];
      expect(changes.filter((c) => c.action === 'record.create').length, `creations of ${record.id}`).toBe(1);
      expect(changes[0]?.action).toBe('record.create');
      expect(
        changes.map((c) => c.after.rev),
        `revisions of ${record.id}`,
      ).toEqual(Array.from({ length: record.rev }, (_, i) => i + 1));
      expect(changes.at(-1)?.after, `stored state of ${record.id}`).toEqual(record);
    }
    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) {
      // A document created and deleted before it was ever pushed: the server rightly writes nothing.
      if (ack.deleted && ack.assumedNew) continue;
      const recorded = (history.get(ack.id) ?? []).some(
        ({ after }) =>
          (after.deletedAt !== null) === ack.deleted && (ack.deleted || isDeepEqual(after.data, ack.data)),
      );
      expect(recorded, `acknowledged write of ${ack.id} (${JSON.stringify(ack)}) is on record`).toBe(true);
    }
    const direct = await verifyChain(ws);
    expect(direct).toMatchObject({ ok: true, checked: events.length, firstBroken: null });
    const viaApi = await owner.get<AuditVerifyResult>(`/api/v1/workspaces/${workspaceId}/audit/verify`);
    expect(viaApi.status).toBe(200);
    expect(viaApi.body).toMatchObject({ ok: true, headSeq: direct.headSeq, firstBroken: null });
  }

  async function edit(c: Client, id: string, data: { title: string; n: number }): Promise<void> {
    const doc = await c.records.findOne(id).exec(true);
    await doc.incrementalPatch({ data });
  }

  async function remove(c: Client, id: string): Promise<void> {
    const doc = await c.records.findOne(id).exec(true);
    await doc.getLatest().remove();
  }

  it('converges three clients editing the same and different records at once', async () => {
    const [a, b, c] = clients as [Client, Client, Client];
    for (const client of clients) goOnline(client);
    const shared = Array.from({ length: 10 }, (_, i) => `shared-${String(i)}`);
    await a.records.bulkInsert(shared.map((id) => note(id, id)));
    await converged();

    const written = new Map<string, unknown[]>();
    const writes = clients.map(async (client, k) => {
      for (let round = 0; round < 3; round++) {
        await client.records.bulkInsert(
          Array.from({ length: 10 }, (_, i) => {
            const id = `own-${String(k)}-${String(round * 10 + i)}`;
            return note(id, `${client.name} #${String(round * 10 + i)}`, i);
          }),
        );
        // Everyone edits the same records at once; one version of each must win everywhere.
        for (const id of shared.slice(0, 8)) {
          const data = { title: `${client.name}, round ${String(round)}`, n: round * 10 + k };
          written.set(id, [...(written.get(id) ?? []), data]);
          await edit(client, id, data);
        }
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    });
    await Promise.all([
      ...writes,
      // Deletes racing other clients' edits of the same records.
      remove(b, 'shared-8'),
      remove(c, 'shared-9'),
      edit(a, 'shared-8', { title: 'a edits a record b deletes', n: 8 }),
      edit(a, 'shared-9', { title: 'a edits a record c deletes', n: 9 }),
      // A record made and removed before it may ever have reached the server.
      (async () => {
        await c.records.insert(note('ephemeral', 'here and gone'));
        await remove(c, 'ephemeral');
      })(),
    ]);
    // A client deletes some of its own records, which nobody else touches.
    for (let i = 0; i < 5; i++) await remove(a, `own-0-${String(i)}`);

    const server = await converged();
    for (let k = 0; k < 3; k++) {
      for (let i = 0; i < 30; i++) {
        const id = `own-${String(k)}-${String(i)}`;
        if (k === 0 && i < 5) expect(server.get(id)?.deleted, id).toBe(true);
        else expect(contentOf(server.get(id)), id).toEqual(held(`client ${String(k)} #${String(i)}`, i % 10));
      }
    }
    for (const id of shared.slice(0, 8)) {
      const winner = server.get(id);
      expect(winner?.deleted).toBe(false);
      expect(written.get(id)).toContainEqual(winner?.data);
    }
    expect(server.get('ephemeral')?.deleted ?? true).toBe(true);
    await checkLedger();
  });

  it('brings a client back from offline: master wins conflicts, its other offline edits arrive', async () => {
    const [a, b, c] = clients as [Client, Client, Client];
    for (const client of clients) goOnline(client);
    await a.records.bulkInsert(['s1', 's2', 's3', 's4', 's5'].map((id) => note(id, id)));
    await converged();
    await remove(a, 's5');
    await converged();

    await goOffline(c);
    // Offline on c: edits of records others also change (conflicts), and of records only c touches.
    await edit(c, 's1', { title: 'offline edit', n: 1 });
    await edit(c, 's2', { title: 'offline edit nobody else made', n: 2 });
    await remove(c, 's3');
    await edit(c, 's4', { title: 'offline edit of a record deleted meanwhile', n: 4 });
    await c.records.insert(note('s5', 'a deleted record written again'));
    await c.records.insert(note('made-offline', 'written on a plane', 7));
    // Meanwhile, online.
    await edit(a, 's1', { title: 'online edit', n: 10 });
    await remove(a, 's4');
    await b.records.insert(note('b-new', 'made while c was away'));
    await a.state?.awaitInSync();
    await b.state?.awaitInSync();

    goOnline(c);
    const server = await converged();
    expect(contentOf(server.get('s1'))).toEqual(held('online edit', 10));
    expect(contentOf(server.get('s2'))).toEqual(held('offline edit nobody else made', 2));
    expect(server.get('s3')?.deleted).toBe(true);
    expect(server.get('s4')?.deleted).toBe(true);
    expect(contentOf(server.get('s5'))).toEqual(held('a deleted record written again', 0));
    expect(contentOf(server.get('made-offline'))).toEqual(held('written on a plane', 7));
    expect(contentOf(server.get('b-new'))).toEqual(held('made while c was away', 0));
    const s5 = await (await workspace()).queryAudit({ recordId: 's5', order: 'asc' });
    expect(s5.map((e) => e.action)).toEqual([
      'record.create',
      'record.delete',
      'record.restore',
      'record.update',
    ]);
    await checkLedger();
  });

  it('loses and duplicates nothing when connections are cut under pushes', async () => {
    const [a, b] = clients as [Client, Client, Client];
    for (const client of clients) goOnline(client);
    await converged();

    // Cut everyone off right after the server commits a push, before it can answer...
    let cutsAfterCommit = 3;
    const unsubscribe = t.server.deps.feed.subscribe((change) => {
      if (change.workspaceId !== workspaceId || cutsAfterCommit === 0) return;
      if (!change.events.some((e) => e.action === 'record.create')) return;
      cutsAfterCommit -= 1;
      t.server.deps.hub?.closeAll();
    });
    // ...and drop a's connection from its side just after it sends a push.
    let cutsAfterSend = 3;
    a.onPush = () => {
      if (cutsAfterSend === 0) return;
      cutsAfterSend -= 1;
      setTimeout(() => {
        for (const socket of a.sockets) socket.terminate();
      }, 0);
    };
    try {
      await Promise.all([
        a.records.bulkInsert(
          Array.from({ length: 500 }, (_, i) => note(`bulk-${String(i)}`, `bulk ${String(i)}`, i)),
        ),
        b.records.bulkInsert(
          Array.from({ length: 100 }, (_, i) => note(`b-${String(i)}`, `from b ${String(i)}`, i)),
        ),
      ]);
      await vi.waitFor(() => {
        expect(cutsAfterCommit).toBe(0);
        expect(cutsAfterSend).toBe(0);
      }, SETTLE);
    } finally {
      unsubscribe();
      a.onPush = null;
    }

    const server = await converged();
    for (let i = 0; i < 500; i++)
      expect(contentOf(server.get(`bulk-${String(i)}`))).toEqual(held(`bulk ${String(i)}`, i));
    for (let i = 0; i < 100; i++)
      expect(contentOf(server.get(`b-${String(i)}`))).toEqual(held(`from b ${String(i)}`, i));
    expect(server.size).toBe(600);
    const creates = await (await workspace()).queryAudit({ action: 'record.create', limit: 10_000 });
    expect(creates).toHaveLength(600);
    expect(new Set(creates.map((e) => e.target.id)).size).toBe(600);
    await checkLedger();
  });

  it('converges after the server restarts in the middle of a sync', async () => {
    const [a, b, c] = clients as [Client, Client, Client];
    for (const client of clients) goOnline(client);
    await a.records.bulkInsert(['r1', 'r2', 'r3'].map((id) => note(id, id)));
    await converged();
    const port = new URL(t.url).port;
    const dataDir = t.dataDir;

    let writing = true;
    const writers = [
      (async () => {
        for (let i = 0; writing || i < 40; i++) {
          await a.records.insert(note(`a-${String(i)}`, `from a ${String(i)}`, i));
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      })(),
      (async () => {
        for (let i = 0; writing || i < 40; i++) {
          await edit(b, `r${String((i % 3) + 1)}`, { title: `b's edit ${String(i)}`, n: i });
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      })(),
    ];
    await vi.waitFor(async () => expect((await serverState()).size).toBeGreaterThan(10), SETTLE);
    await t.stop();
    await c.records.insert(note('while-down', 'written while the server was down'));
    await startServer(dataDir, port);
    expect(new URL(t.url).port).toBe(port);
    writing = false;
    await Promise.all(writers);

    const server = await converged();
    for (const [id] of server) expect(id).toMatch(/^(a-\d+|r[123]|while-down)$/);
    expect([...server.keys()].filter((id) => id.startsWith('a-')).length).toBeGreaterThanOrEqual(40);
    expect(contentOf(server.get('while-down'))).toEqual(held('written while the server was down', 0));
    await checkLedger();
  });
});

const held = (title: string, n: number): Content => ({ type: 'note', data: { title, n }, deleted: false });
const contentOf = (h: Held | undefined): Content | undefined =>
  h && { type: h.type, data: h.data, deleted: h.deleted };

function isDeepEqual(a: unknown, b: unknown): boolean {
  try {
    expect(a).toEqual(b);
    return true;
  } catch {
    return false;
  }
}
