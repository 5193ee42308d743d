import { randomUUID } from 'node:crypto';
import type { ClientRequestArgs } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';
import { createRxDatabase, randomToken, type RxCollection, type RxDatabase } from 'rxdb';
import { startWebsocketServer } from 'rxdb/plugins/replication-websocket';
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import type { WorkspaceRecord } from '@enclave/shared';
import type { OperationContext } from '../../server/src/engine/context';
import { createPairing } from '../../server/src/test-support/test-devices';
import type { TestClient } from '../../server/src/test-support/test-client';
import {
  createUser,
  createWorkspace,
  startTestServer,
  type TestServer,
} from '../../server/src/test-support/test-server';
import {
  pairDevice,
  SyncClient,
  type DeviceCredential,
  type SyncClientOptions,
  type SyncRxDocType,
  syncRecordsSchema,
} from '../../desktop/src/main/sync';

/** Read-only helpers of the sync benchmark: fixtures, statistics, RxDB collections. */

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** Nearest-rank percentile. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1] as number;
}

export const round = (value: number, digits = 0): number => Number(value.toFixed(digits));

const FILLER =
  'Met at the annual conference; prefers email over calls. Retainer renewed each spring; ' +
  'billing contact is the office manager. Sensitive matter: keep notes factual and brief. ';

/** A `client` record of the standard template whose JSON is about `bytes` long. */
export function clientData(i: number, bytes = 1024): Record<string, unknown> {
  const data = {
    name: `Client ${String(i)} ${randomUUID()}`,
    email: `client${String(i)}@example.com`,
    phone: '+44 20 7946 0958',
    status: 'active',
    since: '2021-03-04',
    tax_id: `GB${String(100_000_000 + i)}`,
    notes: '',
  };
  const room = bytes - JSON.stringify(data).length;
  data.notes = FILLER.repeat(Math.ceil(room / FILLER.length)).slice(0, Math.max(0, room));
  return data;
}

export interface Collections {
  records: RxCollection<SyncRxDocType>;
}

/** A fresh in-memory RxDB database with an empty `records` collection. */
export async function memoryDatabase(): Promise<RxDatabase<Collections>> {
  const db = await createRxDatabase<Collections>({
    name: `bench${randomToken(10)}`,
    storage: getRxStorageMemory(),
    multiInstance: false,
  });
  await db.addCollections({ records: { schema: syncRecordsSchema } });
  return db;
}

/** A client database the initial-sync benchmark fills: where it lives, and what it took on disk. */
export interface ClientDatabase {
  db: RxDatabase<Collections>;
  /** Closes the database and answers the bytes its files take (0 for memory). */
  closeAndMeasure(): Promise<number>;
  remove(): Promise<void>;
}

export async function memoryClientDatabase(): Promise<ClientDatabase> {
  const db = await memoryDatabase();
  return {
    db,
    closeAndMeasure: () => Promise.resolve(0),
    // remove(), not close(): the memory storage keeps a closed database's documents for a reopen.
    remove: async () => {
      if (!db.closed) await db.remove();
    },
  };
}

/** The RxDB document of a stored record: what a client holds after syncing it. */
export function rxDocOf(record: WorkspaceRecord): SyncRxDocType {
  return {
    id: record.id,
    type: record.type,
    data: record.data,
    rev: record.rev,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}

export function portOf(address: AddressInfo | string | null): number {
  if (address === null || typeof address === 'string') throw new Error('not listening on a port');
  return address.port;
}

/** A real server with one owner and one workspace, and an engine context acting as the owner. */
export interface SyncFixture {
  t: TestServer;
  owner: TestClient;
  workspaceId: string;
  ctx: OperationContext;
}

export async function syncFixture(): Promise<SyncFixture> {
  const t = await startTestServer({
    env: {
      // The production default (the test server shrinks it to 4 MiB).
      ENCLAVE_DB_CACHE_KIB: '32768',
      ENCLAVE_LOG_LEVEL: 'warn',
    },
  });
  try {
    const owner = await createUser(t, { name: 'Bench Owner' });
    const workspaceId = await createWorkspace(owner, 'Bench', 'standard');
    const ctx: OperationContext = {
      workspaceId,
      actor: { kind: 'user', id: owner.userId, label: owner.email },
      principal: { userId: owner.userId, email: owner.email, name: 'Bench Owner' },
      request: { ip: '127.0.0.1', userAgent: 'bench', requestId: null },
    };
    return { t, owner, workspaceId, ctx };
  } catch (error) {
    await t.close();
    throw error;
  }
}

/** Creates `count` client records through the engine, `batch` per call. */
export async function seedRecords(f: SyncFixture, count: number, batch = 500, bytes = 1024): Promise<void> {
  const { engine } = f.t.server.deps;
  for (let done = 0; done < count; done += batch) {
    const n = Math.min(batch, count - done);
    const ops = Array.from({ length: n }, (_, i) => ({
      type: 'record.create',
      entityType: 'client',
      data: clientData(done + i, bytes),
    }));
    await engine.executeBatch(f.ctx, ops);
  }
}

/** Pairs a new device the way the desktop app does (fresh key, redeemed code). */
export async function pairedCredential(f: SyncFixture, name = 'Bench laptop'): Promise<DeviceCredential> {
  const { code } = await createPairing(f.owner, f.workspaceId).catch((error: unknown) => {
    // The bench holds this thread for seconds at a time (seeding, loading the peer), and the server,
    // on the same thread, then closes the idle keep-alive socket the owner's next request is sent
    // on: that request never reached it, so it is sent again once, on a new socket.
    if (!(error instanceof TypeError) || !/ECONNRESET/.test(String((error as { cause?: unknown }).cause)))
      throw error;
    return createPairing(f.owner, f.workspaceId);
  });
  return pairDevice({ serverUrl: f.t.url, code, name, platform: 'linux', appVersion: '0.1.0' });
}

/** Starts a sync client and resolves once it is online. */
export async function onlineClient(
  credential: DeviceCredential,
  options: Partial<SyncClientOptions> = {},
): Promise<SyncClient> {
  const client = new SyncClient({ credential, ...options });
  const online = new Promise<void>((resolve, reject) => {
    const sub = client.status$.subscribe((status) => {
      if (status === 'online') {
        queueMicrotask(() => sub.unsubscribe());
        resolve();
      } else if (status === 'revoked' || status === 'update_required') {
        reject(new Error(`sync client ${status}`));
      }
    });
  });
  client.start();
  await online;
  return client;
}

/**
 * A WebSocket class for one SyncClient that records when its socket's close event fires (the
 * first socket only: the client does not reconnect after a revocation).
 */
export function timedWebSocket(): { WebSocketImpl: typeof WebSocket; closed: Promise<number> } {
  let onClose: (at: number) => void = () => undefined;
  const closed = new Promise<number>((resolve) => (onClose = resolve));
  class TimedWebSocket extends WebSocket {
    constructor(address: null);
    constructor(address: string | URL, options?: WebSocket.ClientOptions | ClientRequestArgs);
    constructor(
      address: string | URL,
      protocols?: string | string[],
      options?: WebSocket.ClientOptions | ClientRequestArgs,
    );
    constructor(
      address: string | URL | null,
      protocols?: string | string[] | WebSocket.ClientOptions | ClientRequestArgs,
      options?: WebSocket.ClientOptions | ClientRequestArgs,
    ) {
      if (address === null) super(null);
      else if (typeof protocols === 'string' || Array.isArray(protocols)) super(address, protocols, options);
      else super(address, protocols);
      this.once('close', () => onClose(performance.now()));
    }
  }
  return { WebSocketImpl: TimedWebSocket, closed };
}

/** Removes a memory database: remove(), not close(), since the memory storage keeps a closed one's documents. */
export async function drop(db: RxDatabase<Collections>): Promise<void> {
  await db.remove();
}

/** The peer's server: an RxDB memory database holding the same documents, served over WebSocket. */
export async function startPeerServer(f: SyncFixture, records: number) {
  const ws = await f.t.server.deps.store.workspace(f.workspaceId);
  if (!ws) throw new Error('no workspace');
  const docs = (await ws.recordsChangedSince(0, records + 1)).map(rxDocOf);
  if (docs.length !== records) throw new Error(`seeded ${String(docs.length)} records`);
  const db = await memoryDatabase();
  for (let i = 0; i < docs.length; i += 10_000) {
    const { error } = await db.records.bulkInsert(docs.slice(i, i + 10_000));
    if (error.length > 0) throw new Error('peer seeding failed');
  }
  return serve(db);
}

export async function serve(db: RxDatabase<Collections>) {
  const server = startWebsocketServer({ database: db, host: '127.0.0.1', port: 0 });
  if (server.server.address() === null) {
    await new Promise<void>((resolve) => server.server.once('listening', () => resolve()));
  }
  return {
    url: `ws://127.0.0.1:${String(portOf(server.server.address()))}`,
    db,
    close: async () => {
      await server.close();
      await drop(db);
    },
  };
}
