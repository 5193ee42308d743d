import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { filter, firstValueFrom } from 'rxjs';
import { SYNC_MAX_PUSH_ROWS, type PushRow, type SyncDocument } from '@enclave/shared';
import { MemoryCredentialStore, type DeviceCredential } from './credential';
import { generateDeviceKeys, publicKeyOf } from './device-keys';
import { SyncError } from './errors';
import { FakeSyncServer, type FakeConnection } from './test-support/fake-sync-server';
import { SyncClient, type SyncClientOptions, type SyncStatus, type SyncStreamItem } from './sync-client';

const doc = (id: string, rev = 1): SyncDocument => ({
  id,
  type: 'client',
  data: { name: `Client ${id}` },
  rev,
  _deleted: false,
});

let server: FakeSyncServer;
const clients: SyncClient[] = [];

beforeEach(async () => {
  server = await FakeSyncServer.start();
});

afterEach(async () => {
  await Promise.all(clients.map((client) => client.stop()));
  clients.length = 0;
  await server.close();
});

function credential(): DeviceCredential {
  return {
    serverUrl: server.url,
    workspaceId: randomUUID(),
    workspaceName: 'Acme',
    deviceId: randomUUID(),
    privateKey: generateDeviceKeys().privateKey,
    accessToken: 'token-1',
    accessTokenExpiresAt: new Date(Date.now() + 10 * 60_000).toISOString(),
  };
}

function newClient(options: Partial<SyncClientOptions> = {}): SyncClient {
  const client = new SyncClient({
    credential: credential(),
    backoff: { baseMs: 1, maxMs: 5 },
    requestTimeoutMs: 5000,
    ...options,
  });
  clients.push(client);
  return client;
}

const reached = (client: SyncClient, status: SyncStatus) =>
  firstValueFrom(client.status$.pipe(filter((s) => s === status)));

function sayHello(client: SyncClient, connection: FakeConnection, heartbeatMs = 30_000): void {
  const { workspaceId, deviceId } = client.credential;
  connection.hello({ workspaceId, deviceId, heartbeatMs });
}

/** Starts the client and brings it online on the server's next connection. */
async function connect(client: SyncClient): Promise<FakeConnection> {
  client.start();
  const connection = await server.nextConnection();
  sayHello(client, connection);
  await reached(client, 'online');
  return connection;
}

function collect<T>(subject: { subscribe(next: (value: T) => void): unknown }): T[] {
  const items: T[] = [];
  subject.subscribe((value) => items.push(value));
  return items;
}

async function rejection(promise: Promise<unknown>): Promise<SyncError> {
  const error: unknown = await promise.then(
    () => new Error('expected a rejection'),
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(SyncError);
  return error as SyncError;
}

describe('SyncClient', () => {
  it('connects with its token and the protocol subprotocol, and resolves a pull by its id', async () => {
    const client = newClient();
    const connection = await connect(client);
    expect(connection.token).toBe('token-1');
    expect(connection.socket.protocol).toBe('enclave-sync.1');

    const pulled = client.pull({ seq: 4 }, 10);
    const frame = await connection.nextFrame();
    expect(frame).toMatchObject({ type: 'pull', checkpoint: { seq: 4 }, batchSize: 10 });
    connection.send({ type: 'pull.result', id: frame.id, documents: [doc('a')], checkpoint: { seq: 5 } });

    expect(await pulled).toEqual({ documents: [doc('a')], checkpoint: { seq: 5 } });
  });

  it('rejects only the request an error frame names, with the server code and details', async () => {
    const client = newClient();
    const connection = await connect(client);
    const pushed = client.push([{ assumedMasterState: null, newDocumentState: doc('a') }]);
    const pulled = client.pull(null, 10);
    const frames = [await connection.nextFrame(), await connection.nextFrame()];
    const pushFrame = frames.find((frame) => frame.type === 'push')!;
    const pullFrame = frames.find((frame) => frame.type === 'pull')!;

    connection.send({
      type: 'error',
      id: pushFrame.id,
      error: { code: 'forbidden', message: 'No write access', details: { type: 'client' } },
    });
    connection.send({ type: 'pull.result', id: pullFrame.id, documents: [], checkpoint: null });

    const error = await rejection(pushed);
    expect(error.code).toBe('forbidden');
    expect(error.details).toEqual({ type: 'client' });
    expect(error.network).toBe(false);
    expect(await pulled).toEqual({ documents: [], checkpoint: null });
  });

  it('stops for good on close 4001 and reports whether to wipe', async () => {
    const client = newClient();
    const revoked = collect(client.revoked$);
    const connection = await connect(client);
    const pending = client.pull(null, 10);
    await connection.nextFrame();

    connection.socket.close(4001, JSON.stringify({ code: 'device_revoked', wipe: true }));

    await reached(client, 'revoked');
    expect(revoked).toEqual([{ wipe: true }]);
    expect((await rejection(pending)).network).toBe(true);
    expect((await rejection(client.pull(null, 10))).code).toBe('device_revoked');
    client.start();
    expect(client.status).toBe('revoked');
  });

  it('takes the wipe flag from the error frame sent before the close', async () => {
    const client = newClient();
    const connection = await connect(client);
    connection.send({
      type: 'error',
      id: null,
      error: { code: 'device_revoked', message: 'Revoked', details: { wipe: false } },
    });
    connection.socket.close(4001, 'cut');

    await reached(client, 'revoked');
    expect(await firstValueFrom(client.revoked$)).toEqual({ wipe: false });
  });

  it('stops for good when the upgrade is refused as revoked', async () => {
    server.refusals.push({
      status: 401,
      body: { error: { code: 'device_revoked', message: 'Revoked', details: { wipe: true } } },
    });
    const client = newClient();
    client.start();

    await reached(client, 'revoked');
    expect(await firstValueFrom(client.revoked$)).toEqual({ wipe: true });
    expect(server.connections).toHaveLength(0);
  });

  it('stops with update_required when the server answers 426', async () => {
    server.refusals.push({
      status: 426,
      body: { error: { code: 'update_required', message: 'Update the app' } },
    });
    const client = newClient();
    client.start();

    await reached(client, 'update_required');
    expect((await rejection(client.pull(null, 10))).code).toBe('update_required');
    expect(server.connections).toHaveLength(0);
  });

  it('reconnects after a drop and emits RESYNC after the reconnect, not the first connect', async () => {
    const client = newClient();
    const stream = collect<SyncStreamItem>(client.stream$);
    const statuses = collect(client.status$);
    const first = await connect(client);
    expect(stream).toEqual([]);

    first.socket.close(1001, 'shutdown');
    const second = await server.nextConnection();
    sayHello(client, second);
    await reached(client, 'online');

    expect(stream).toEqual(['RESYNC']);
    expect(statuses).toEqual(['offline', 'connecting', 'online', 'offline', 'connecting', 'online']);
  });

  it('cuts a backoff wait short when told the network is back', async () => {
    // A backoff of almost a minute: only reconnectNow() can bring the client back within the test.
    const client = newClient({ backoff: { baseMs: 60_000, maxMs: 60_000 }, random: () => 0.99 });
    const first = await connect(client);
    first.socket.close(1001, 'shutdown');
    await reached(client, 'offline');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(client.status).toBe('offline');

    client.reconnectNow();
    const second = await server.nextConnection();
    sayHello(client, second);
    await reached(client, 'online');
  });

  it('retries a refused upgrade with backoff and reconnects', async () => {
    server.refusals.push({
      status: 429,
      body: { error: { code: 'rate_limited', message: 'Slow down' } },
      headers: { 'Retry-After': '0' },
    });
    const client = newClient();
    client.start();
    const connection = await server.nextConnection();
    sayHello(client, connection);
    await reached(client, 'online');
  });

  it('rejects the requests pending when the connection drops', async () => {
    const client = newClient();
    const connection = await connect(client);
    const pulled = client.pull(null, 10);
    await connection.nextFrame();

    connection.socket.terminate();

    const error = await rejection(pulled);
    expect(error.network).toBe(true);
  });

  it('holds a request made while offline until the connection is up', async () => {
    const client = newClient();
    const pulled = client.pull(null, 10);
    const connection = await connect(client);
    const frame = await connection.nextFrame();
    connection.send({ type: 'pull.result', id: frame.id, documents: [doc('a')], checkpoint: { seq: 1 } });

    expect((await pulled).documents).toEqual([doc('a')]);
  });

  it('rejects a request when no connection comes in time', async () => {
    const client = newClient({ requestTimeoutMs: 20 });
    const error = await rejection(client.pull(null, 10));
    expect(error.network).toBe(true);
  });

  it('refuses an invalid request without sending it', async () => {
    const client = newClient();
    await connect(client);
    const error = await rejection(client.pull(null, 0));
    expect(error.code).toBe('validation_failed');
  });

  it('passes live changes and resync requests to stream$', async () => {
    const client = newClient();
    const stream = collect<SyncStreamItem>(client.stream$);
    const connection = await connect(client);
    connection.send({ type: 'stream', documents: [doc('a', 2)], checkpoint: { seq: 9 } });
    connection.send({ type: 'resync' });
    await firstValueFrom(client.stream$.pipe(filter((item) => item === 'RESYNC')));

    expect(stream).toEqual([{ documents: [doc('a', 2)], checkpoint: { seq: 9 } }, 'RESYNC']);
  });

  it('splits a large push into frames and merges conflicts and rejections', async () => {
    const client = newClient();
    const rejected = collect(client.rejected$);
    const connection = await connect(client);
    const rows: PushRow[] = Array.from({ length: SYNC_MAX_PUSH_ROWS + 1 }, (_, i) => ({
      assumedMasterState: null,
      newDocumentState: doc(`r${String(i)}`),
    }));

    const pushed = client.push(rows);
    const first = await connection.nextFrame();
    if (first.type !== 'push') throw new Error('expected a push');
    expect(first.rows).toHaveLength(SYNC_MAX_PUSH_ROWS);
    const rejection = { id: 'r0', error: { code: 'forbidden' as const, message: 'No' } };
    connection.send({ type: 'push.result', id: first.id, conflicts: [doc('r0', 3)], rejected: [rejection] });
    const second = await connection.nextFrame();
    if (second.type !== 'push') throw new Error('expected a push');
    expect(second.rows.map((row) => row.newDocumentState.id)).toEqual([`r${String(SYNC_MAX_PUSH_ROWS)}`]);
    connection.send({ type: 'push.result', id: second.id, conflicts: [doc('r500', 2)], rejected: [] });

    expect(await pushed).toEqual({ conflicts: [doc('r0', 3), doc('r500', 2)], rejected: [rejection] });
    expect(rejected).toEqual([rejection]);
  });

  it('drops a connection that sends an invalid frame, with close code 4003', async () => {
    const client = newClient();
    const connection = await connect(client);
    connection.send({ type: 'pull.result', id: 'x', documents: [{ id: 'no spaces allowed' }] });
    expect((await connection.closed).code).toBe(4003);
    const next = await server.nextConnection();
    sayHello(client, next);
    await reached(client, 'online');
  });

  it('refuses a hello for another device', async () => {
    const client = newClient();
    client.start();
    const connection = await server.nextConnection();
    connection.hello({ workspaceId: client.credential.workspaceId, deviceId: randomUUID() });
    expect((await connection.closed).code).toBe(4003);
  });

  it('treats a silent connection as dead and reconnects', async () => {
    const client = newClient();
    client.start();
    const first = await server.nextConnection();
    sayHello(client, first, 10);
    await first.closed;
    const second = await server.nextConnection();
    sayHello(client, second);
    await reached(client, 'online');
  });

  it('renews a refused token by challenge and proof, saves it and reconnects with it', async () => {
    const store = new MemoryCredentialStore();
    const client = newClient({ store });
    server.renewal = {
      deviceId: client.credential.deviceId,
      publicKey: publicKeyOf(client.credential.privateKey),
      next: { accessToken: 'token-2', expiresAt: new Date(Date.now() + 600_000).toISOString() },
    };
    server.refusals.push({ status: 401, body: { error: { code: 'unauthorized', message: 'Expired' } } });

    const connection = await connect(client);

    expect(connection.token).toBe('token-2');
    expect((await store.load())?.accessToken).toBe('token-2');
  });

  it('renews and reconnects when the server closes for an expired token (4002)', async () => {
    const client = newClient();
    server.renewal = {
      deviceId: client.credential.deviceId,
      publicKey: publicKeyOf(client.credential.privateKey),
      next: { accessToken: 'token-2', expiresAt: new Date(Date.now() + 600_000).toISOString() },
    };
    const first = await connect(client);
    first.socket.close(4002, JSON.stringify({ code: 'unauthorized' }));

    const second = await server.nextConnection();
    expect(second.token).toBe('token-2');
    expect(server.renewals).toEqual(['token-2']);
  });

  it('stops for good when a renewal is refused as revoked', async () => {
    const client = newClient();
    server.renewal = {
      deviceId: client.credential.deviceId,
      publicKey: publicKeyOf(client.credential.privateKey),
      next: { revoked: { wipe: true } },
    };
    server.refusals.push({ status: 401, body: { error: { code: 'unauthorized', message: 'Expired' } } });
    client.start();

    await reached(client, 'revoked');
    expect(await firstValueFrom(client.revoked$)).toEqual({ wipe: true });
  });

  it('renews before expiry and sends the new token on the live connection', async () => {
    const store = new MemoryCredentialStore();
    // Due one second after the connection is up.
    const client = newClient({ store, renewBeforeMs: 10 * 60_000 - 1000 });
    server.renewal = {
      deviceId: client.credential.deviceId,
      publicKey: publicKeyOf(client.credential.privateKey),
      next: { accessToken: 'token-2', expiresAt: new Date(Date.now() + 600_000).toISOString() },
    };
    const connection = await connect(client);

    const frame = await connection.nextFrame();
    expect(frame).toMatchObject({ type: 'auth', token: 'token-2' });
    connection.send({ type: 'auth.result', id: frame.id, expiresAt: new Date().toISOString() });
    expect((await store.load())?.accessToken).toBe('token-2');
    expect(client.credential.accessToken).toBe('token-2');
  });

  it('stop() closes the connection normally and rejects what is pending', async () => {
    const client = newClient();
    const connection = await connect(client);
    const pulled = client.pull(null, 10);
    await connection.nextFrame();

    await client.stop();

    expect(client.status).toBe('stopped');
    expect((await connection.closed).code).toBe(1000);
    await rejection(pulled);
    expect((await rejection(client.pull(null, 10))).message).toBe('Sync is stopped');
  });
});
