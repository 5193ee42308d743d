import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Subject } from 'rxjs';
import WebSocket, { WebSocketServer } from 'ws';
import { createRxDatabase, fillWithDefaultSettings, type RxCollection } from 'rxdb';
import { replicateRxCollection, type RxReplicationState } from 'rxdb/plugins/replication';
import { replicateWithWebsocketServer } from 'rxdb/plugins/replication-websocket';
import {
  ipcInvoke,
  type AppState,
  type IpcInvokeChannel,
  type IpcRequest,
  type IpcResponse,
  type SyncCheckpoint,
  type SyncStreamItem,
} from '@enclave/shared';
import { syncDocumentJson } from '../../server/src/sync/sync-documents';
import { TestClient } from '../../server/src/test-support/test-client';
import { createPairing } from '../../server/src/test-support/test-devices';
import {
  recordsReplicationIdentifier,
  recordsSchema,
} from '../../desktop/src/common/sync/records-collection';
import {
  syncReplicationOptions,
  type SyncRxDocType,
} from '../../desktop/src/common/sync/replication-handlers';
import { DesktopCore } from '../../desktop/src/main/app/desktop-core';
import { dispatchInvoke } from '../../desktop/src/main/ipc/ipc-dispatch';
import { MemorySecretStore } from '../../desktop/src/main/keychain/secret-store';
import { getRxStorageSqlcipher } from '../../desktop/src/main/replica';
import {
  migrateReplicaFormat,
  openCollectionTable,
  rowValuesOfSent,
  upsertSql,
} from '../../desktop/src/main/replica/collection-table';
import {
  openReplicaDatabase,
  useRollbackJournal,
  useWalJournal,
} from '../../desktop/src/main/replica/replica-file';
import { portOf, type SyncFixture } from './sync-fixtures';
import type { SyncServers } from './sync-servers';

/**
 * The three sides of the initial sync into the desktop replica, each into a fresh encrypted
 * replica file of the app's records schema, each timed until every record is in it:
 *
 * - ours: the desktop app's main core (DesktopCore, paired with a real device code) through its
 *   IPC contract (`dispatchInvoke`, requests and answers checked against the shared schemas):
 *   `replica:fill`, then RxDB over the core's replica storage with the renderer's replication
 *   options until `awaitInitialReplication()`;
 * - peer: RxDB's stock `replication-websocket` into the same storage;
 * - floor: the workspace's encrypted rows read from the server's store, sent as JSON over a
 *   WebSocket page by page, parsed and inserted with one prepared upsert into the replica's table
 *   layout (index keys included), through the same journal as the fill: no protocol, no
 *   validation, no replication state.
 */

export interface SideRun {
  seconds: number;
  /** The replica's files (database and log) after it closed. */
  bytes: number;
}

const sizeOf = (path: string) => (existsSync(path) ? statSync(path).size : 0);
const filesOf = (path: string) => sizeOf(path) + sizeOf(`${path}-wal`);

async function call<C extends IpcInvokeChannel>(
  core: DesktopCore,
  channel: C,
  request: IpcRequest<C>,
): Promise<IpcResponse<C>> {
  const result = await dispatchInvoke(core.handlers, channel, request);
  if (!result.ok) throw new Error(`${channel}: ${result.error.code} ${result.error.message}`);
  return ipcInvoke[channel].response.parse(result.value) as IpcResponse<C>;
}

/** The servers' process (sync-servers.ts), the owner signed in, and a way to stop it. */
export interface RunningSyncServers {
  servers: SyncServers;
  owner: TestClient;
  close(): Promise<void>;
}

/** Starts sync-servers.ts in a child process with a workspace of each size; resolves once all listen. */
export async function startSyncServers(sizes: readonly number[]): Promise<RunningSyncServers> {
  const script = fileURLToPath(new URL('./sync-servers.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...sizes.map(String)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const firstLine = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.once('line', (line) => {
      lines.close();
      resolve(line);
    });
    child.once('exit', (code) => {
      reject(new Error(`sync-servers exited (${String(code)}) before it was ready`));
    });
  });
  const servers = JSON.parse(firstLine) as SyncServers;
  const owner = new TestClient(servers.url);
  owner.cookie = servers.owner.cookie;
  owner.email = servers.owner.email;
  owner.userId = servers.owner.userId;
  return {
    servers,
    owner,
    close: async () => {
      child.stdin.end();
      await exited;
    },
  };
}

/** Ours: a newly paired app's main core fills its replica, then the renderer's replication opens on it. */
export async function oursIntoReplica(
  server: { url: string; owner: TestClient },
  workspaceId: string,
  expected: number,
): Promise<SideRun> {
  const dataDir = mkdtempSync(join(tmpdir(), 'enclave-bench-app-'));
  const core = new DesktopCore({
    dataDir,
    secrets: new MemorySecretStore(),
    appVersion: '0.1.0',
    platform: 'linux',
  });
  try {
    await core.start();
    const { code } = await createPairing(server.owner, workspaceId);
    const state = (await call(core, 'pairing:pair', {
      serverUrl: server.url,
      code,
      deviceName: 'Bench laptop',
    })) as Extract<AppState, { kind: 'paired' }>;
    await untilOnline(core);

    const start = performance.now();
    await call(core, 'replica:fill', {});
    const db = await createRxDatabase<{ records: RxCollection<SyncRxDocType> }>({
      name: state.replicaName,
      storage: core.replica.storage,
      multiInstance: false,
    });
    const stream$ = new Subject<SyncStreamItem>();
    const subscription = core.events.subscribe((event) => {
      if (event.channel === 'sync:stream') stream$.next(event.payload);
    });
    let replication: RxReplicationState<SyncRxDocType, SyncCheckpoint> | undefined;
    try {
      await db.addCollections({ records: { schema: recordsSchema } });
      replication = replicateRxCollection<SyncRxDocType, SyncCheckpoint>({
        collection: db.records,
        replicationIdentifier: recordsReplicationIdentifier(workspaceId),
        live: true,
        ...syncReplicationOptions({
          pull: (checkpoint, batchSize) => call(core, 'sync:pull', { checkpoint, batchSize }),
          push: (rows) => call(core, 'sync:push', { rows: [...rows] }),
          stream$,
        }),
      });
      await replication.awaitInitialReplication();
      const seconds = (performance.now() - start) / 1000;
      const count = await db.records.count().exec();
      if (count !== expected) throw new Error(`ours synced ${String(count)} of ${String(expected)} records`);
      await replication.cancel();
      await db.close();
      await core.stop();
      return { seconds, bytes: filesOf(core.replica.pathOf(state.replicaName)) };
    } finally {
      subscription.unsubscribe();
      await replication?.cancel();
      if (!db.closed) await db.close();
    }
  } finally {
    await core.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function untilOnline(core: DesktopCore): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if ((await call(core, 'sync:status', {})).status === 'online') return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('the app did not come online');
}

/**
 * The stock WebSocket replication into a collection until its initial sync is done: the seconds
 * it took, the document count checked. The replication is cancelled before this answers.
 */
export async function timedStockReplication(
  collection: RxCollection<SyncRxDocType>,
  url: string,
  batchSize: number,
  expected: number,
): Promise<number> {
  let replication: RxReplicationState<SyncRxDocType, unknown> | undefined;
  try {
    const start = performance.now();
    replication = await replicateWithWebsocketServer<SyncRxDocType, unknown>({
      collection,
      replicationIdentifier: 'peer-sync',
      url,
      batchSize,
      live: true,
    });
    await replication.awaitInitialReplication();
    const seconds = (performance.now() - start) / 1000;
    const count = await collection.count().exec();
    if (count !== expected) throw new Error(`peer synced ${String(count)} of ${String(expected)} records`);
    return seconds;
  } finally {
    await replication?.cancel();
  }
}

/** The peer: RxDB's stock WebSocket replication into the same storage, same schema. */
export async function peerIntoReplica(url: string, batchSize: number, expected: number): Promise<SideRun> {
  const dir = mkdtempSync(join(tmpdir(), 'enclave-bench-peer-'));
  const filePath = join(dir, 'replica.db');
  const storage = getRxStorageSqlcipher({ filePath, key: randomBytes(32) });
  const db = await createRxDatabase<{ records: RxCollection<SyncRxDocType> }>({
    name: 'peer',
    storage,
    multiInstance: false,
  });
  try {
    await db.addCollections({ records: { schema: recordsSchema } });
    const seconds = await timedStockReplication(db.records, url, batchSize, expected);
    await db.close();
    await storage.closeAll();
    return { seconds, bytes: filesOf(filePath) };
  } finally {
    if (!db.closed) await db.close();
    await storage.closeAll();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The floor's server: pages of the workspace's stored rows as JSON, one per request. */
export async function startFloorServer(f: SyncFixture, workspaceId: string) {
  const ws = await f.t.server.deps.store.workspace(workspaceId);
  if (!ws) throw new Error('no workspace');
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  server.on('connection', (socket) => {
    socket.on('message', (data: Buffer) => {
      const { seq, limit } = JSON.parse(data.toString('utf8')) as { seq: number; limit: number };
      void ws.recordsChangedSinceJson(seq, limit).then((rows) => {
        const last = rows.at(-1);
        socket.send(
          `{"documents":[${rows.map(syncDocumentJson).join(',')}],"seq":${String(last?.seq ?? seq)}}`,
        );
      });
    });
  });
  return {
    url: `ws://127.0.0.1:${String(portOf(server.address()))}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The floor: raw pages into the replica's table layout, the next page asked for while one is written. */
export async function floorIntoReplica(url: string, pageSize: number, expected: number): Promise<SideRun> {
  const dir = mkdtempSync(join(tmpdir(), 'enclave-bench-floor-'));
  const filePath = join(dir, 'replica.db');
  const db = openReplicaDatabase(filePath, randomBytes(32));
  const socket = new WebSocket(url);
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    const start = performance.now();
    migrateReplicaFormat(db);
    // Written as the fill writes: through a rollback journal, back to WAL at the end.
    useRollbackJournal(db);
    const schema = fillWithDefaultSettings(recordsSchema);
    const table = openCollectionTable<SyncRxDocType>(
      db,
      { databaseName: 'floor', collectionName: 'records', schemaVersion: 0 },
      schema,
    );
    const upsert = db.prepare(upsertSql(table));
    const writePage = db.transaction((docs: (SyncRxDocType & { _deleted: boolean })[]) => {
      const lwt = Date.now();
      for (const doc of docs) {
        // The row builder the fill uses: the fewest steps from a sent document to a row.
        upsert.run(...rowValuesOfSent(table, doc, { rev: '1-floor', lwt, meta: {} }));
      }
    });
    const pages: ((text: string) => void)[] = [];
    socket.on('message', (data: Buffer) => pages.shift()?.(data.toString('utf8')));
    const ask = (seq: number) =>
      new Promise<string>((resolve) => {
        pages.push(resolve);
        socket.send(JSON.stringify({ seq, limit: pageSize }));
      });
    let written = 0;
    let next = ask(0);
    for (;;) {
      const page = JSON.parse(await next) as {
        documents: (SyncRxDocType & { _deleted: boolean })[];
        seq: number;
      };
      if (page.documents.length === 0) break;
      next = ask(page.seq);
      writePage(page.documents);
      written += page.documents.length;
    }
    useWalJournal(db);
    const seconds = (performance.now() - start) / 1000;
    if (written !== expected)
      throw new Error(`floor wrote ${String(written)} of ${String(expected)} records`);
    db.close();
    return { seconds, bytes: filesOf(filePath) };
  } finally {
    socket.close();
    if (db.open) db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
