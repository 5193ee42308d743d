import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import keytar from 'keytar';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRxDatabase, type RxCollection } from 'rxdb';
import { replicateRxCollection } from 'rxdb/plugins/replication';
import { Subject } from 'rxjs';
import {
  ipcInvoke,
  PLAIN_HTTP_REFUSED,
  type AppState,
  type AuditEvent,
  type Device,
  type IpcInvokeChannel,
  type IpcRequest,
  type IpcResponse,
  type SyncStreamItem,
  type WorkspaceRecord,
} from '@enclave/shared';
import {
  recordsReplicationIdentifier,
  recordsSchema,
} from '../../desktop/src/common/sync/records-collection';
import {
  syncReplicationOptions,
  type SyncRxDocType,
} from '../../desktop/src/common/sync/replication-handlers';
import {
  DesktopCore,
  type CoreEvent,
  type CoreLog,
  type DesktopCoreOptions,
} from '../../desktop/src/main/app/desktop-core';
import { AppStateFile } from '../../desktop/src/main/app/state-file';
import { dispatchInvoke } from '../../desktop/src/main/ipc/ipc-dispatch';
import { KEYCHAIN_ACCOUNTS, keytarSecretStore } from '../../desktop/src/main/keychain';
import {
  expectPrivateSecretService,
  uniqueService,
} from '../../desktop/src/main/keychain/test-support/fixtures';
import { createPairing } from '../../server/src/test-support/test-devices';
import type { TestClient } from '../../server/src/test-support/test-client';
import {
  addMember,
  createUser,
  createWorkspace,
  startTestServer,
  type TestServer,
} from '../../server/src/test-support/test-server';

/**
 * The desktop app's main core in Node, against a real server, the real keychain (keytar over the
 * test Secret Service) and the real encrypted replica: pairing, the IPC calls the renderer makes,
 * revocation with and without wipe, sign-out, and a keychain entry that goes missing.
 */

let t: TestServer;
let owner: TestClient;
let workspaceId: string;
const cores: DesktopCore[] = [];
const services: string[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  expectPrivateSecretService();
  t = await startTestServer();
  owner = await createUser(t, { name: 'Olga Owner' });
  workspaceId = await createWorkspace(owner, 'Desktop Core');
  for (let i = 0; i < 12; i++) {
    const res = await owner.post(`/api/v1/workspaces/${workspaceId}/records`, {
      type: 'client',
      data: { name: `Client ${String(i).padStart(2, '0')}`, status: 'lead' },
    });
    expect(res.status, res.text).toBe(201);
  }
});

afterEach(async () => {
  await Promise.all(cores.map((core) => core.stop()));
  cores.length = 0;
});

afterAll(async () => {
  for (const service of services) {
    for (const { account } of await keytar.findCredentials(service))
      await keytar.deletePassword(service, account);
  }
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  await t.close();
});

interface App {
  core: DesktopCore;
  dataDir: string;
  service: string;
  events: CoreEvent[];
}

function newApp(
  reuse?: { dataDir: string; service: string },
  extra: Partial<Pick<DesktopCoreOptions, 'fetch' | 'log' | 'wipeReceipt'>> = {},
): App {
  const dataDir = reuse?.dataDir ?? mkdtempSync(join(tmpdir(), 'enclave-desktop-'));
  const service = reuse?.service ?? uniqueService();
  if (!reuse) {
    dirs.push(dataDir);
    services.push(service);
  }
  const core = new DesktopCore({
    dataDir,
    secrets: keytarSecretStore(service),
    appVersion: '0.1.0',
    platform: 'linux',
    sync: { backoff: { baseMs: 50, maxMs: 500 }, requestTimeoutMs: 5000 },
    replicaCacheKiB: 2048,
    ...extra,
  });
  const events: CoreEvent[] = [];
  core.events.subscribe((event) => events.push(event));
  cores.push(core);
  return { core, dataDir, service, events };
}

/** A call as the renderer makes it: through the IPC dispatch, request checked, result enveloped. */
async function call<C extends IpcInvokeChannel>(
  app: App,
  channel: C,
  request: IpcRequest<C>,
): Promise<IpcResponse<C>> {
  const result = await dispatchInvoke(app.core.handlers, channel, request);
  if (!result.ok)
    throw Object.assign(new Error(result.error.message), { code: result.error.code, body: result.error });
  return ipcInvoke[channel].response.parse(result.value) as IpcResponse<C>;
}

async function failure(app: App, channel: IpcInvokeChannel, request: unknown) {
  const result = await dispatchInvoke(app.core.handlers, channel, request);
  expect(result.ok, JSON.stringify(result)).toBe(false);
  return (result as { ok: false; error: { code: string; message: string; details?: unknown } }).error;
}

async function pair(app: App, name = 'Core laptop'): Promise<Extract<AppState, { kind: 'paired' }>> {
  const { code } = await createPairing(owner, workspaceId);
  const state = await call(app, 'pairing:pair', { serverUrl: t.url, code, deviceName: name });
  expect(state.kind).toBe('paired');
  return state as Extract<AppState, { kind: 'paired' }>;
}

async function entries(service: string): Promise<string[]> {
  return (await keytar.findCredentials(service)).map((c) => c.account).sort();
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) =>
    statSync(join(dir, f)).isFile(),
  );
}

async function until(check: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function isWipeReceipt(input: string | URL | Request): boolean {
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  return new URL(url).pathname === '/api/v1/devices/wipe-receipt';
}

interface LogLine {
  level: keyof CoreLog;
  message: string;
  fields?: Record<string, unknown>;
}

function captureLog(lines: LogLine[]): CoreLog {
  return {
    info: (message, fields) => lines.push({ level: 'info', message, fields }),
    warn: (message, fields) => lines.push({ level: 'warn', message, fields }),
    error: (message, fields) => lines.push({ level: 'error', message, fields }),
  };
}

function readState(app: App): AppStateFile {
  return AppStateFile.parse(JSON.parse(readFileSync(join(app.dataDir, 'state.json'), 'utf8')));
}

async function devicesOf(id: string): Promise<Device[]> {
  const res = await owner.get<{ items: Device[] }>(`/api/v1/workspaces/${id}/devices`);
  expect(res.status, res.text).toBe(200);
  return res.body.items;
}

async function revoke(deviceId: string, wipe: boolean): Promise<void> {
  const res = await owner.post(`/api/v1/workspaces/${workspaceId}/devices/${deviceId}/revoke`, { wipe });
  expect(res.status, res.text).toBe(200);
}

/**
 * The renderer's side, in Node: an RxDB database over the core's replica storage (the app's
 * records schema), replicating through IPC calls; `pulls` collects the checkpoints pulled from.
 */
async function openReplica(app: App, replicaName: string, pulls: unknown[] = []) {
  const db = await createRxDatabase({
    name: replicaName,
    storage: app.core.replica.storage,
    multiInstance: false,
  });
  const { records } = await db.addCollections({ records: { schema: recordsSchema } });
  const stream$ = new Subject<SyncStreamItem>();
  const subscription = app.core.events.subscribe((event) => {
    if (event.channel === 'sync:stream') stream$.next(event.payload);
  });
  const replication = replicateRxCollection({
    collection: records as RxCollection<SyncRxDocType>,
    replicationIdentifier: recordsReplicationIdentifier(app.core.credential?.workspaceId ?? workspaceId),
    live: true,
    retryTime: 200,
    ...syncReplicationOptions({
      pull: (checkpoint, batchSize) => {
        pulls.push(checkpoint);
        return call(app, 'sync:pull', { checkpoint, batchSize });
      },
      push: (rows) => call(app, 'sync:push', { rows: [...rows] }),
      stream$,
    }),
  });
  return {
    records: records as RxCollection<SyncRxDocType>,
    replication,
    close: async () => {
      subscription.unsubscribe();
      await replication.cancel();
      await db.close();
    },
  };
}

describe('the desktop core', () => {
  it('starts unpaired with an empty keychain, and pairs: credential and replica key in the keychain, nothing secret on disk', async () => {
    const app = newApp();
    await app.core.start();
    expect(app.core.state).toEqual({ kind: 'unpaired', link: null });

    const state = await pair(app);
    expect(state).toMatchObject({ serverUrl: t.url, workspace: { id: workspaceId, name: 'Desktop Core' } });
    expect(await entries(app.service)).toEqual(
      [KEYCHAIN_ACCOUNTS.credential, KEYCHAIN_ACCOUNTS.replicaKey].sort(),
    );
    expect(
      app.events.filter((e) => e.channel === 'app:state').map((e) => (e.payload as { kind: string }).kind),
    ).toEqual(['unpaired', 'paired']);

    const credential = app.core.credential!;
    const secrets = [
      credential.accessToken,
      ...credential.privateKey.split('\n').filter((l) => l.length > 0 && !l.startsWith('-----')),
      (await keytar.getPassword(app.service, KEYCHAIN_ACCOUNTS.replicaKey))!,
    ];
    const replica = await openReplica(app, state.replicaName);
    await replica.replication.awaitInitialReplication();
    expect(await replica.records.count().exec()).toBe(12);
    await replica.close();
    for (const file of filesUnder(app.dataDir)) {
      const bytes = readFileSync(join(app.dataDir, file));
      for (const secret of secrets) expect(bytes.includes(secret), `${file} holds a secret`).toBe(false);
      expect(bytes.includes('Client 07'), `${file} holds plaintext`).toBe(false);
      expect(statSync(join(app.dataDir, file)).mode & 0o077, `${file} is private`).toBe(0);
    }
    // What the renderer can ask for never carries a secret either.
    const answers = [
      await call(app, 'app:state', {}),
      await call(app, 'app:info', {}),
      await call(app, 'sync:status', {}),
      await call(app, 'device:self', {}),
      await call(app, 'activity:list', {}),
    ];
    for (const secret of secrets) expect(JSON.stringify(answers)).not.toContain(secret);
  });

  it('explains a failed pairing by its cause and keeps nothing of it', async () => {
    const app = newApp();
    await app.core.start();
    const wrong = await failure(app, 'pairing:pair', {
      serverUrl: t.url,
      code: 'ABCD-EFGH-JKMN-PQRS-TVWX',
      deviceName: 'x',
    });
    expect(wrong.code).toBe('invalid_credentials');

    const { code } = await createPairing(owner, workspaceId);
    const used = newApp();
    await used.core.start();
    await call(used, 'pairing:pair', { serverUrl: t.url, code, deviceName: 'first' });
    expect((await failure(app, 'pairing:pair', { serverUrl: t.url, code, deviceName: 'second' })).code).toBe(
      'gone',
    );

    const unreachable = await failure(app, 'pairing:pair', {
      serverUrl: 'http://127.0.0.1:9',
      code: 'ABCD-EFGH-JKMN-PQRS-TVWX',
      deviceName: 'x',
    });
    expect(unreachable.code).toBe('server_unreachable');
    const malformed = await failure(app, 'pairing:pair', {
      serverUrl: t.url,
      code: 'short',
      deviceName: 'x',
    });
    expect(malformed.code).toBe('validation_failed');
    // Plain http to another computer is refused in main before any request leaves the app.
    const plain = await failure(app, 'pairing:pair', {
      serverUrl: t.url.replace('127.0.0.1', 'enclave.example.com'),
      code: 'ABCD-EFGH-JKMN-PQRS-TVWX',
      deviceName: 'x',
    });
    expect(plain.code).toBe('validation_failed');
    expect(plain.details).toEqual([{ path: 'serverUrl', message: `${PLAIN_HTTP_REFUSED}.` }]);

    expect(app.core.state).toEqual({ kind: 'unpaired', link: null });
    expect(await entries(app.service)).toEqual([]);
    expect(filesUnder(app.dataDir)).toEqual([]);
  });

  it('refuses to pair twice, and to sync before pairing', async () => {
    const app = newApp();
    await app.core.start();
    expect((await failure(app, 'sync:pull', { checkpoint: null, batchSize: 10 })).code).toBe('conflict');
    await pair(app);
    const { code } = await createPairing(owner, workspaceId);
    expect((await failure(app, 'pairing:pair', { serverUrl: t.url, code, deviceName: 'again' })).code).toBe(
      'conflict',
    );
  });

  it('offers a pairing link to the pairing screen, and ignores links that are not pairing links', async () => {
    const app = newApp();
    await app.core.start();
    expect(app.core.openLink('enclave://pair?server=https%3A%2F%2Fa.example&code=ABCD-EFGH')).toBe(true);
    expect(app.core.state).toEqual({
      kind: 'unpaired',
      link: { serverUrl: 'https://a.example', code: 'ABCD-EFGH' },
    });
    expect(app.core.openLink('enclave://pair?server=file%3A%2F%2F%2Fetc&code=ABCD')).toBe(false);
    expect(app.core.state).toMatchObject({ link: { serverUrl: 'https://a.example' } });
  });

  it('wipes the replica and its keychain entries when revoked with wipe, and says so after a restart', async () => {
    const app = newApp();
    await app.core.start();
    const state = await pair(app);
    const replica = await openReplica(app, state.replicaName);
    await replica.replication.awaitInitialReplication();
    const file = app.core.replica.pathOf(state.replicaName);
    expect(existsSync(file)).toBe(true);

    await revoke(state.deviceId, true);
    await until(() => app.core.state.kind === 'revoked', 'the revocation');
    await replica.close().catch(() => undefined);
    expect(app.core.state).toEqual({ kind: 'revoked', wiped: true });
    expect(filesUnder(join(app.dataDir, 'replica'))).toEqual([]);
    expect(await entries(app.service)).toEqual([]);

    await app.core.stop();
    const again = newApp(app);
    await again.core.start();
    expect(again.core.state).toEqual({ kind: 'revoked', wiped: true });
    expect(await call(again, 'replica:reset', { confirm: true })).toEqual({ kind: 'unpaired', link: null });
  });

  it('tells the server it wiped, with a receipt signed by the device key after the wipe, and the server records it', async () => {
    const logs: LogLine[] = [];
    const seenAtSend: { replicaFiles: string[]; keychain: string[] }[] = [];
    const dataDir = mkdtempSync(join(tmpdir(), 'enclave-desktop-'));
    const service = uniqueService();
    dirs.push(dataDir);
    services.push(service);
    // The first try is cut off as a dropped network would: the core tries again on its own.
    const fetch: typeof globalThis.fetch = async (input, init) => {
      if (!isWipeReceipt(input)) return globalThis.fetch(input, init);
      seenAtSend.push({
        replicaFiles: filesUnder(join(dataDir, 'replica')),
        keychain: await entries(service),
      });
      if (seenAtSend.length === 1) throw new TypeError('fetch failed');
      return globalThis.fetch(input, init);
    };
    const app = newApp(
      { dataDir, service },
      {
        fetch,
        log: captureLog(logs),
        wipeReceipt: { backoff: { baseMs: 20, maxMs: 50 } },
      },
    );
    await app.core.start();
    const state = await pair(app, 'Confirming laptop');
    const privateKey = app.core.credential?.privateKey ?? '';
    const replica = await openReplica(app, state.replicaName);
    await replica.replication.awaitInitialReplication();

    await revoke(state.deviceId, true);
    await until(() => app.core.state.kind === 'revoked', 'the revocation');
    await replica.close().catch(() => undefined);
    expect(app.core.state).toEqual({ kind: 'revoked', wiped: true });

    const shown = async () => (await devicesOf(workspaceId)).find((d) => d.id === state.deviceId);
    await until(async () => Boolean((await shown())?.wipeConfirmedAt), 'the server to record the wipe');
    expect(await shown()).toMatchObject({ status: 'revoked', wipe: true });
    // Every try was made with the replica and the keychain entries already gone.
    expect(seenAtSend).toEqual([
      { replicaFiles: [], keychain: [] },
      { replicaFiles: [], keychain: [] },
    ]);

    const audit = await owner.get<{ items: AuditEvent[] }>(
      `/api/v1/workspaces/${workspaceId}/audit?action=device.wipe_confirmed&limit=50`,
    );
    const event = audit.body.items.find((e) => e.target.id === state.deviceId);
    const saved = readState(app);
    expect(event).toMatchObject({
      actor: { kind: 'device', id: state.deviceId, label: 'Confirming laptop' },
      details: { wipedAt: saved.revoked?.at },
    });
    // Answered, so no longer kept for the next start.
    await until(() => readState(app).revoked?.receipt === null, 'the receipt to be dropped');
    await until(() => logs.some((l) => l.message === 'the server recorded the wipe receipt'), 'the log line');
    expect(logs.find((l) => l.message === 'the server recorded the wipe receipt')?.fields).toMatchObject({
      deviceId: state.deviceId,
      attempts: 2,
    });
    const logged = JSON.stringify(logs);
    const signature = (event?.details as { signature: string }).signature;
    expect(logged).not.toContain(signature);
    for (const line of privateKey.split('\n').filter((l) => l.length > 0 && !l.startsWith('-----')))
      expect(logged).not.toContain(line);
  });

  it('keeps a receipt the server could not take, and sends it at the next start', async () => {
    const logs: LogLine[] = [];
    let tries = 0;
    const offline: typeof globalThis.fetch = async (input, init) => {
      if (!isWipeReceipt(input)) return globalThis.fetch(input, init);
      tries += 1;
      throw new TypeError('fetch failed');
    };
    const app = newApp(undefined, {
      fetch: offline,
      log: captureLog(logs),
      wipeReceipt: { attempts: 3, backoff: { baseMs: 20, maxMs: 50 } },
    });
    await app.core.start();
    const state = await pair(app, 'Offline after wipe');
    await revoke(state.deviceId, true);
    await until(() => app.core.state.kind === 'revoked', 'the revocation');
    await until(() => logs.some((l) => l.message.startsWith('the server could not be told')), 'giving up');
    expect(tries).toBe(3);
    expect(await entries(app.service)).toEqual([]);
    expect(readState(app).revoked?.receipt?.body).toMatchObject({
      workspaceId,
      deviceId: state.deviceId,
      wipedAt: readState(app).revoked?.at,
    });
    expect((await devicesOf(workspaceId)).find((d) => d.id === state.deviceId)?.wipeConfirmedAt).toBeNull();
    await app.core.stop();

    // The next start, online: the revoked screen at once, and the receipt goes out behind it.
    const again = newApp(app);
    await again.core.start();
    expect(again.core.state).toEqual({ kind: 'revoked', wiped: true });
    await until(async () => {
      const found = (await devicesOf(workspaceId)).find((d) => d.id === state.deviceId);
      return Boolean(found?.wipeConfirmedAt);
    }, 'the server to record the wipe');
    await until(() => readState(again).revoked?.receipt === null, 'the receipt to be dropped');
    expect(readState(again).revoked).toMatchObject({ wiped: true });
  });

  it('keeps the data of a device revoked without wipe until the user removes it', async () => {
    const app = newApp();
    await app.core.start();
    const state = await pair(app);
    await revoke(state.deviceId, false);
    await until(() => app.core.state.kind === 'revoked', 'the revocation');
    expect(app.core.state).toEqual({ kind: 'revoked', wiped: false });
    expect(existsSync(app.core.replica.pathOf(state.replicaName))).toBe(true);
    expect(await entries(app.service)).toContain(KEYCHAIN_ACCOUNTS.replicaKey);

    expect((await failure(app, 'replica:reset', { confirm: false })).code).toBe('validation_failed');
    expect(existsSync(app.core.replica.pathOf(state.replicaName))).toBe(true);
    expect(await call(app, 'replica:reset', { confirm: true })).toEqual({ kind: 'unpaired', link: null });
    expect(filesUnder(join(app.dataDir, 'replica'))).toEqual([]);
    expect(await entries(app.service)).toEqual([]);
  });

  it('signs out: the server revokes the device (on the record as the device), then local data goes', async () => {
    const app = newApp();
    await app.core.start();
    const state = await pair(app, 'Leaving laptop');
    expect(await call(app, 'device:unpair', { confirm: true })).toEqual({ kind: 'unpaired', link: null });
    const devices = await owner.get<{ items: { id: string; status: string }[] }>(
      `/api/v1/workspaces/${workspaceId}/devices`,
    );
    expect(devices.body.items.find((d) => d.id === state.deviceId)?.status).toBe('revoked');
    const audit = await owner.get<{ items: AuditEvent[] }>(
      `/api/v1/workspaces/${workspaceId}/audit?action=device.revoke&limit=5`,
    );
    expect(audit.body.items[0]).toMatchObject({ actor: { kind: 'device', id: state.deviceId } });
    expect(filesUnder(join(app.dataDir, 'replica'))).toEqual([]);
    expect(await entries(app.service)).toEqual([]);
  });

  it('will not sign out offline unless told to remove the local data anyway', async () => {
    const server = await startTestServer();
    const ownerB = await createUser(server);
    const wsB = await createWorkspace(ownerB, 'Offline Co');
    const app = newApp();
    await app.core.start();
    const { code } = await createPairing(ownerB, wsB);
    const state = await call(app, 'pairing:pair', { serverUrl: server.url, code, deviceName: 'x' });
    expect(state.kind).toBe('paired');
    await server.close();

    const refused = await failure(app, 'device:unpair', { confirm: true });
    expect(refused).toMatchObject({ code: 'server_unreachable', details: { canRemoveAnyway: true } });
    expect(app.core.state.kind).toBe('paired');
    expect(await entries(app.service)).toHaveLength(2);

    expect(await call(app, 'device:unpair', { confirm: true, evenIfOffline: true })).toEqual({
      kind: 'unpaired',
      link: null,
    });
    expect(filesUnder(join(app.dataDir, 'replica'))).toEqual([]);
    expect(await entries(app.service)).toEqual([]);
  });

  it('explains a lost replica key instead of starting empty, and resyncs from the server on request', async () => {
    const app = newApp();
    await app.core.start();
    const state = await pair(app);
    const replica = await openReplica(app, state.replicaName);
    await replica.replication.awaitInitialReplication();
    await replica.close();
    await app.core.stop();

    // The keyring lost the replica key (e.g. the Secret Service backend changed).
    expect(await keytar.deletePassword(app.service, KEYCHAIN_ACCOUNTS.replicaKey)).toBe(true);
    const restarted = newApp(app);
    await restarted.core.start();
    expect(restarted.core.state).toEqual({
      kind: 'replica_unreadable',
      reason: 'replica_key_missing',
      canResync: true,
    });
    // The old file is still there, unreadable: nothing was silently replaced.
    expect(existsSync(app.core.replica.pathOf(state.replicaName))).toBe(true);

    const fresh = await call(restarted, 'replica:reset', { confirm: true });
    expect(fresh).toMatchObject({ kind: 'paired', deviceId: state.deviceId });
    const replicaName = (fresh as { replicaName: string }).replicaName;
    expect(replicaName).not.toBe(state.replicaName);
    expect(existsSync(app.core.replica.pathOf(state.replicaName))).toBe(false);
    const refilled = await openReplica(restarted, replicaName);
    await refilled.replication.awaitInitialReplication();
    expect(await refilled.records.count().exec()).toBe(12);
    await refilled.close();
  });

  it('tells a replica key that no longer opens the file apart from a missing one', async () => {
    const app = newApp();
    await app.core.start();
    await pair(app);
    await app.core.stop();
    await keytar.setPassword(app.service, KEYCHAIN_ACCOUNTS.replicaKey, randomBytes(32).toString('hex'));
    const restarted = newApp(app);
    await restarted.core.start();
    expect(restarted.core.state).toEqual({
      kind: 'replica_unreadable',
      reason: 'replica_key_wrong',
      canResync: true,
    });
  });

  it('cannot resync without its credential: it offers to pair again, and deletes the unreadable file', async () => {
    const app = newApp();
    await app.core.start();
    const state = await pair(app);
    await app.core.stop();
    expect(await keytar.deletePassword(app.service, KEYCHAIN_ACCOUNTS.credential)).toBe(true);
    const restarted = newApp(app);
    await restarted.core.start();
    expect(restarted.core.state).toEqual({
      kind: 'replica_unreadable',
      reason: 'credential_missing',
      canResync: false,
    });
    expect(await call(restarted, 'replica:reset', { confirm: true })).toEqual({
      kind: 'unpaired',
      link: null,
    });
    expect(existsSync(app.core.replica.pathOf(state.replicaName))).toBe(false);
    expect(await entries(app.service)).toEqual([]);
  });

  it('lets the renderer open only the current replica through the storage', async () => {
    const app = newApp();
    await app.core.start();
    const state = await pair(app);
    await expect(
      createRxDatabase({
        name: 'replica-0000000000000000',
        storage: app.core.replica.storage,
        multiInstance: false,
      }).then((db) => db.addCollections({ records: { schema: recordsSchema } })),
    ).rejects.toThrow();
    await expect(
      createRxDatabase({
        name: '../../escape',
        storage: app.core.replica.storage,
        multiInstance: false,
      }).then((db) => db.addCollections({ records: { schema: recordsSchema } })),
    ).rejects.toThrow();
    // Only the current replica's own files exist: no database was created under another name.
    const files = filesUnder(join(app.dataDir, 'replica'));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) expect(file.startsWith(`${state.replicaName}.db`), file).toBe(true);
  });

  it('sends an edit made offline once the server is back, and the audit log names the device', async () => {
    const server = await startTestServer();
    const ownerC = await createUser(server);
    const member = await createUser(server);
    const wsC = await createWorkspace(ownerC, 'Offline Edits');
    await addMember(ownerC, wsC, member, ['member']);
    const created = await ownerC.post<WorkspaceRecord>(`/api/v1/workspaces/${wsC}/records`, {
      type: 'client',
      data: { name: 'Before', status: 'lead' },
    });
    const app = newApp();
    await app.core.start();
    const { code } = await createPairing(member, wsC);
    const state = (await call(app, 'pairing:pair', {
      serverUrl: server.url,
      code,
      deviceName: 'Roaming',
    })) as Extract<AppState, { kind: 'paired' }>;
    const replica = await openReplica(app, state.replicaName);
    await replica.replication.awaitInitialReplication();

    const port = new URL(server.url).port;
    const dataDir = server.dataDir;
    await server.stop();
    const doc = await replica.records.findOne(created.body.id).exec();
    await doc!.incrementalPatch({ data: { ...doc!.data, name: 'Edited offline' } });
    await until(
      () => app.events.some((e) => e.channel === 'sync:status' && e.payload.status === 'offline'),
      'the app to notice it is offline',
    );

    const back = await startTestServer({ dataDir, env: { ENCLAVE_PORT: port } });
    try {
      app.core.reconnectNow();
      const signedIn = back.client();
      const signIn = await signedIn.post('/api/v1/auth/signin', {
        email: member.email,
        password: member.password,
      });
      expect(signIn.status).toBe(200);
      await until(
        async () => {
          const res = await signedIn.get<WorkspaceRecord>(
            `/api/v1/workspaces/${wsC}/records/${created.body.id}`,
          );
          return res.body.data.name === 'Edited offline';
        },
        'the offline edit to reach the server',
        20_000,
      );
      const ownerBack = back.client();
      await ownerBack.post('/api/v1/auth/signin', { email: ownerC.email, password: ownerC.password });
      const audit = await ownerBack.get<{ items: AuditEvent[] }>(
        `/api/v1/workspaces/${wsC}/audit?recordId=${created.body.id}&limit=1`,
      );
      expect(audit.body.items[0]).toMatchObject({
        action: 'record.update',
        actor: { kind: 'device', id: state.deviceId, label: 'Roaming' },
        after: { data: { name: 'Edited offline' } },
      });
    } finally {
      await replica.close();
      await back.close();
    }
  });

  it('fills a fresh replica in main, and the replication continues from it: nothing pulled twice, edits go through', async () => {
    const app = newApp();
    await app.core.start();
    const state = await pair(app, 'Filled laptop');
    const res = await owner.get<{ items: WorkspaceRecord[] }>(
      `/api/v1/workspaces/${workspaceId}/records?type=client&limit=500`,
    );
    const live = res.body.items.length;
    expect(live).toBeGreaterThanOrEqual(12);

    const outcome = await call(app, 'replica:fill', {});
    expect(outcome).toEqual({ filled: true, documents: live });
    const progress = app.events.flatMap((e) => (e.channel === 'replica:fillProgress' ? [e.payload] : []));
    expect(progress[0]).toEqual({ received: 0, lastSeq: null });
    expect(progress.at(-1)?.received).toBe(live);
    // A second call, or one after a restart, has nothing to fill.
    expect(await call(app, 'replica:fill', {})).toEqual({ filled: false, documents: 0 });

    const pulls: unknown[] = [];
    const replica = await openReplica(app, state.replicaName, pulls);
    try {
      await replica.replication.awaitInitialReplication();
      expect(await replica.records.count().exec()).toBe(live);
      // The replication's first pull starts where the fill stopped.
      expect(pulls.length).toBeGreaterThan(0);
      expect(pulls).not.toContain(null);
      expect(pulls).not.toContain(undefined);

      // A filled record edited here reaches the server as an update, not a conflict.
      const first = res.body.items[0] as WorkspaceRecord;
      const doc = await replica.records.findOne(first.id).exec();
      await doc!.incrementalPatch({ data: { ...doc!.data, name: 'Edited after the fill' } });
      await until(async () => {
        const now = await owner.get<WorkspaceRecord>(`/api/v1/workspaces/${workspaceId}/records/${first.id}`);
        return now.body.data.name === 'Edited after the fill';
      }, 'the edit to reach the server');
      expect(app.events.some((e) => e.channel === 'sync:rejected')).toBe(false);

      // A change made on the server reaches the filled record.
      const second = res.body.items[1] as WorkspaceRecord;
      const patched = await owner.patch(`/api/v1/workspaces/${workspaceId}/records/${second.id}`, {
        data: { name: 'Changed on the server' },
      });
      expect(patched.status, patched.text).toBe(200);
      await until(
        async () => (await replica.records.findOne(second.id).exec())?.data.name === 'Changed on the server',
        'the server change to arrive',
      );
      await owner.patch(`/api/v1/workspaces/${workspaceId}/records/${first.id}`, {
        data: { name: first.data.name },
      });
    } finally {
      await replica.close();
    }
  });

  it('stops a fill when the device is revoked with wipe mid-way, leaving no replica behind', async () => {
    const big = await createWorkspace(owner, 'Big Fill');
    const ctx = {
      workspaceId: big,
      actor: { kind: 'user' as const, id: owner.userId, label: owner.email },
      principal: { userId: owner.userId, email: owner.email, name: 'Olga Owner' },
      request: { ip: '127.0.0.1', userAgent: 'test', requestId: null },
    };
    const total = 10_000;
    for (let done = 0; done < total; done += 1000) {
      const ops = Array.from({ length: 1000 }, (_, i) => ({
        type: 'record.create',
        entityType: 'client',
        data: { name: `Bulk ${String(done + i)}`, status: 'lead', notes: 'x'.repeat(400) },
      }));
      await t.server.deps.engine.executeBatch(ctx, ops);
    }
    const app = newApp();
    await app.core.start();
    const { code } = await createPairing(owner, big);
    const state = (await call(app, 'pairing:pair', {
      serverUrl: t.url,
      code,
      deviceName: 'Revoked mid-fill',
    })) as Extract<AppState, { kind: 'paired' }>;
    let receivedAtRevoke: number | null = null;
    const revoked = new Promise<void>((resolve) => {
      const sub = app.core.events.subscribe((event) => {
        if (
          event.channel !== 'replica:fillProgress' ||
          event.payload.received === 0 ||
          receivedAtRevoke !== null
        )
          return;
        receivedAtRevoke = event.payload.received;
        queueMicrotask(() => sub.unsubscribe());
        void owner
          .post(`/api/v1/workspaces/${big}/devices/${state.deviceId}/revoke`, { wipe: true })
          .then(() => resolve());
      });
    });
    const fill = dispatchInvoke(app.core.handlers, 'replica:fill', {});
    await revoked;
    await until(() => app.core.state.kind === 'revoked', 'the revocation');
    // The fill was under way when the revocation came, and it ends (it does not hang).
    expect(receivedAtRevoke).toBeLessThan(total);
    const result = await fill;
    // The fill ends with the revocation's own error, not an internal one.
    expect(result).toMatchObject({ ok: false, error: { code: 'device_revoked' } });
    expect(app.core.state).toEqual({ kind: 'revoked', wiped: true });
    expect(filesUnder(join(app.dataDir, 'replica'))).toEqual([]);
  });
});
