import { rmSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createRxDatabase, type RxCollection, type RxDatabase } from 'rxdb';
import { replicateRxCollection, type RxReplicationState } from 'rxdb/plugins/replication';
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import type { PushRow, SyncCheckpoint } from '@enclave/shared';
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
import { createPairing } from '../../server/src/test-support/test-devices';
import {
  addMember,
  createUser,
  createWorkspace,
  startTestServer,
  type TestServer,
} from '../../server/src/test-support/test-server';

/**
 * Three desktop clients (RxDB memory collections replicating through the sync client) against a
 * real server, with the faults of real life: concurrent edits of the same records, a client
 * offline for a while, connections cut mid-push, the server restarting mid-sync. Every client
 * must end up with the server's state, and every write the server acknowledged must be in the
 * store and the audit log, once.
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

interface Ack {
  id: string;
  data: Record<string, unknown>;
  deleted: boolean;
}

interface Client {
  name: string;
  credential: DeviceCredential;
  db: RxDatabase;
  records: RxCollection<SyncRxDocType>;
  sync: SyncClient | null;
  state: RxReplicationState<SyncRxDocType, SyncCheckpoint> | null;
}

const note = (id: string, title: string, n = 0) => ({ id, type: 'note', data: { title, n } });

describe('faults and convergence', () => {
  let t: TestServer;
  let workspaceId: string;
  let clients: Client[];
  /** Rows the server took (accepted, not returned as conflicts), in the order it answered. */
  let acks: Ack[];

  async function startServer(dataDir?: string, port?: string) {
    t = await startTestServer({ dataDir, env: port ? { ENCLAVE_PORT: port } : {} });
  }

  beforeEach(async () => {
    acks = [];
    clients = [];
    await startServer();
    const owner = await createUser(t);
    workspaceId = await createWorkspace(owner, 'Convergence', 'empty');
    const put = await owner.put(`/api/v1/workspaces/${workspaceId}/schema/entity-types/note`, noteType);
    expect(put.status).toBe(200);
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
        name: `client${String(i)}-${workspaceId}`,
        storage: getRxStorageMemory(),
      });
      const { records } = await db.addCollections({ records: { schema: syncRecordsSchema } });
      clients.push({ name: `client ${String(i)}`, credential, db, records, sync: null, state: null });
    }
  });

  afterEach(async () => {
    for (const c of clients) {
      await goOffline(c);
      await c.db.close();
    }
    await t.close();
    // A restarted server reuses its predecessor's directory, which it does not delete itself.
    rmSync(t.dataDir, { recursive: true, force: true });
  });

  /** Starts (or restarts) a client's replication, recording what the server acknowledged. */
  function goOnline(c: Client): void {
    const sync = new SyncClient({ credential: c.credential, backoff: { baseMs: 20, maxMs: 300 } });
    sync.start();
    const transport: SyncTransport = {
      pull: (checkpoint, batchSize) => sync.pull(checkpoint, batchSize),
      stream$: sync.stream$,
      push: async (rows: PushRow[]) => {
        const result = await sync.push(rows);
        const refused = new Set([...result.conflicts.map((d) => d.id), ...result.rejected.map((r) => r.id)]);
        for (const row of rows) {
          const doc = row.newDocumentState;
          if (!refused.has(doc.id)) acks.push({ id: doc.id, data: doc.data, deleted: doc._deleted });
        }
        return result;
      },
    };
    c.sync = sync;
    c.state = replicateRxCollection<SyncRxDocType, SyncCheckpoint>({
      collection: c.records,
      replicationIdentifier: 'enclave',
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

  async function serverState(): Promise<Map<string, unknown>> {
    const ws = await t.server.deps.store.workspace(workspaceId);
    if (!ws) throw new Error('workspace gone');
    const records = await ws.recordsChangedSince(0, 100_000);
    return new Map(records.filter((r) => r.deletedAt === null).map((r) => [r.id, r.data]));
  }

  async function clientState(c: Client): Promise<Map<string, unknown>> {
    const docs = await c.records.find().exec();
    return new Map(docs.map((d) => [d.id, d.toJSON().data]));
  }

  /** Waits until every client holds exactly the server's live records. */
  async function converged(): Promise<Map<string, unknown>> {
    let server = new Map<string, unknown>();
    await vi.waitFor(
      async () => {
        for (const c of clients) c.state?.reSync();
        for (const c of clients) await c.state?.awaitInSync();
        server = await serverState();
        for (const c of clients) expect(await clientState(c), c.name).toEqual(server);
      },
      { timeout: 20_000, interval: 200 },
    );
    return server;
  }

  /** Every acknowledged write is on the record, each record was created once, and the chain holds. */
  async function checkLedger(): Promise<void> {
    const ws = await t.server.deps.store.workspace(workspaceId);
    if (!ws) throw new Error('workspace gone');
    const events = await ws.auditEventsFrom(1, 100_000);
    const creates = new Map<string, number>();
    for (const e of events) {
      if (e.action === 'record.create' && e.target.id)
        creates.set(e.target.id, (creates.get(e.target.id) ?? 0) + 1);
    }
    for (const [id, count] of creates) expect(count, `creations of ${id}`).toBe(1);
    const records = await ws.recordsChangedSince(0, 100_000);
    expect(new Set(creates.keys())).toEqual(new Set(records.map((r) => r.id)));
    const states = events
      .filter((e) => e.target.kind === 'record')
      .map((e) => e.after as { id: string; data: Record<string, unknown>; deletedAt: string | null });
    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) {
      const recorded = states.some(
        (s) =>
          s.id === ack.id &&
          (s.deletedAt !== null) === ack.deleted &&
          (ack.deleted || isDeepEqual(s.data, ack.data)),
      );
      expect(recorded, `acknowledged write of ${ack.id} is in the audit log`).toBe(true);
      expect(
        records.some((r) => r.id === ack.id),
        `acknowledged ${ack.id} is in the store`,
      ).toBe(true);
    }
    expect((await verifyChain(ws)).ok).toBe(true);
  }

  it('converges three clients editing the same and different records at once', async () => {
    const [a, b, c] = clients as [Client, Client, Client];
    for (const client of clients) goOnline(client);
    await a.records.bulkInsert(
      [1, 2, 3, 4, 5].map((i) => note(`shared-${String(i)}`, `shared ${String(i)}`)),
    );
    await converged();

    await Promise.all([
      ...clients.map((client, k) =>
        client.records.bulkInsert(
          Array.from({ length: 20 }, (_, i) =>
            note(`own-${String(k)}-${String(i)}`, `${client.name} #${String(i)}`, i),
          ),
        ),
      ),
      // Everyone edits every shared record at the same time; one version of each must win everywhere.
      ...clients.flatMap((client) =>
        [1, 2, 3, 4, 5].map(async (i) => {
          const doc = await client.records.findOne(`shared-${String(i)}`).exec(true);
          await doc.incrementalPatch({ data: { title: `${client.name} was here`, n: i } });
        }),
      ),
      (async () => {
        const doc = await b.records.findOne('shared-5').exec(true);
        await doc.remove();
      })(),
    ]);
    await c.records.bulkInsert([note('late', 'late arrival')]);

    const server = await converged();
    expect(server.size).toBeGreaterThanOrEqual(3 * 20 + 1 + 4);
    for (let k = 0; k < 3; k++) expect(server.has(`own-${String(k)}-19`)).toBe(true);
    await checkLedger();
  });

  it('brings a client that was offline back to the server state, keeping its other edits', async () => {
    const [a, , c] = clients as [Client, Client, Client];
    for (const client of clients) goOnline(client);
    await a.records.bulkInsert([note('s1', 'one'), note('s2', 'two')]);
    await converged();

    await goOffline(c);
    await (
      await c.records.findOne('s1').exec(true)
    ).incrementalPatch({ data: { title: 'offline edit', n: 1 } });
    await c.records.insert(note('made-offline', 'written on a plane'));
    await (
      await a.records.findOne('s1').exec(true)
    ).incrementalPatch({ data: { title: 'online edit', n: 2 } });
    await (
      await a.records.findOne('s2').exec(true)
    ).incrementalPatch({ data: { title: 'two, edited', n: 3 } });
    await a.state?.awaitInSync();

    goOnline(c);
    const server = await converged();
    // The server's version of the record edited on both sides wins; the offline creation arrives.
    expect(server.get('s1')).toEqual({ title: 'online edit', n: 2 });
    expect(server.get('s2')).toEqual({ title: 'two, edited', n: 3 });
    expect(server.get('made-offline')).toEqual({ title: 'written on a plane', n: 0 });
    await checkLedger();
  });

  it('loses and duplicates nothing when connections are cut in the middle of a push', async () => {
    const [a, b] = clients as [Client, Client, Client];
    for (const client of clients) goOnline(client);
    const inserting = a.records.bulkInsert(
      Array.from({ length: 300 }, (_, i) => note(`bulk-${String(i)}`, `bulk ${String(i)}`, i)),
    );
    const cutting = (async () => {
      // Cut every live connection a few times while the pushes are in flight.
      for (let i = 0; i < 3; i++) {
        await vi.waitFor(() => expect(t.server.deps.hub?.connectionCount()).toBe(3), { timeout: 10_000 });
        await new Promise((resolve) => setTimeout(resolve, 30));
        t.server.deps.hub?.closeAll();
      }
    })();
    await Promise.all([inserting, cutting]);
    await b.records.insert(note('after', 'after the cuts'));

    const server = await converged();
    for (let i = 0; i < 300; i++)
      expect(server.get(`bulk-${String(i)}`)).toEqual({ title: `bulk ${String(i)}`, n: i });
    await checkLedger();
  });

  it('converges after the server restarts in the middle of a sync', async () => {
    const [a, b] = clients as [Client, Client, Client];
    for (const client of clients) goOnline(client);
    const port = new URL(t.url).port;
    const dataDir = t.dataDir;
    const writing = (async () => {
      for (let i = 0; i < 60; i++) {
        await a.records.insert(note(`a-${String(i)}`, `from a ${String(i)}`, i));
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    await vi.waitFor(async () => expect((await serverState()).size).toBeGreaterThan(5), { timeout: 10_000 });
    await t.stop();
    await b.records.insert(note('while-down', 'written while the server was down'));
    await startServer(dataDir, port);
    await writing;

    const server = await converged();
    expect(server.size).toBe(61);
    await checkLedger();
  });
});

function isDeepEqual(a: unknown, b: unknown): boolean {
  try {
    expect(a).toEqual(b);
    return true;
  } catch {
    return false;
  }
}
