import { describe, expect, it, vi } from 'vitest';
import { createRxDatabase, randomToken, type RxCollection } from 'rxdb';
import { getRxStorageIpcRenderer } from 'rxdb/plugins/electron';
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import { ipcInvoke, REPLICA_STORAGE_CHANNEL, REPLICA_STORAGE_KEY } from '@enclave/shared';
import { AppError } from '../app/app-error';
import { SyncError } from '../sync/errors';
import { dispatchInvoke, type IpcHandlers } from './ipc-dispatch';
import { exposeReplicaStorage, registerIpc, type MainIpc, type MainIpcEvent } from './register-ipc';

const notCalled = () => Promise.reject(new Error('not called in this test'));

function handlers(overrides: Partial<IpcHandlers> = {}): IpcHandlers {
  const all = Object.fromEntries(Object.keys(ipcInvoke).map((channel) => [channel, vi.fn(notCalled)]));
  return { ...all, ...overrides } as unknown as IpcHandlers;
}

const PROPOSAL_ID = '0190d1c2-0000-7000-8000-0000000000a1';

const paired = {
  kind: 'paired' as const,
  serverUrl: 'https://enclave.example',
  workspace: { id: '0190d1c2-0000-7000-8000-000000000001', name: 'Acme' },
  deviceId: '0190d1c2-0000-7000-8000-000000000002',
  replicaName: 'replica-0123456789abcdef',
};

describe('dispatching IPC calls', () => {
  it('runs the handler with the parsed request and answers its value', async () => {
    const status = vi.fn(async () => ({ status: 'online' as const, headSeq: 7 }));
    const activity = vi.fn(async () => ({ items: [], nextBefore: null }));
    const all = handlers({ 'sync:status': status, 'activity:list': activity });
    expect(await dispatchInvoke(all, 'sync:status', {})).toEqual({
      ok: true,
      value: { status: 'online', headSeq: 7 },
    });
    // Defaults of the request schema are applied before the handler sees it.
    await dispatchInvoke(all, 'activity:list', {});
    expect(activity).toHaveBeenCalledWith({ limit: 50 });
  });

  it('hands the AI channels their requests as parsed, text trimmed and defaults applied', async () => {
    const proposals = vi.fn(async () => ({ items: [], nextBefore: null }));
    const request = vi.fn(notCalled);
    const reject = vi.fn(notCalled);
    const all = handlers({ 'ai:proposals': proposals, 'ai:request': request, 'ai:reject': reject });
    await dispatchInvoke(all, 'ai:proposals', { status: 'pending' });
    expect(proposals).toHaveBeenCalledWith({ status: 'pending', limit: 50 });
    await dispatchInvoke(all, 'ai:request', { feature: 'assistant', message: '  mark INV-0089 paid ' });
    expect(request).toHaveBeenCalledWith({ feature: 'assistant', message: 'mark INV-0089 paid' });
    await dispatchInvoke(all, 'ai:reject', { proposalId: PROPOSAL_ID, reason: ' not now ' });
    expect(reject).toHaveBeenCalledWith({ proposalId: PROPOSAL_ID, reason: 'not now' });
  });

  it('refuses unknown channels and malformed requests before any handler runs', async () => {
    const all = handlers();
    expect(await dispatchInvoke(all, 'fs:read', { path: '/etc/passwd' })).toMatchObject({
      ok: false,
      error: { code: 'bad_request' },
    });
    expect(await dispatchInvoke(all, 'constructor', {})).toMatchObject({
      ok: false,
      error: { code: 'bad_request' },
    });
    const bad: [string, unknown][] = [
      ['app:state', { extra: true }],
      ['app:state', null],
      ['sync:pull', { checkpoint: null, batchSize: 100_000 }],
      ['sync:push', { rows: [] }],
      ['pairing:pair', { serverUrl: 'file:///etc/passwd', code: 'x', deviceName: 'a' }],
      ['pairing:pair', { serverUrl: 'https://a.example', code: 'x'.repeat(65), deviceName: 'a' }],
      ['device:unpair', { confirm: false }],
      ['device:unpair', {}],
      ['replica:reset', { confirm: 'yes' }],
      ['activity:list', { limit: 1000 }],
      ['ai:request', { feature: 'assistant', message: '   ' }],
      ['ai:request', { feature: 'summary' }],
      ['ai:request', { feature: 'assistant', message: 'hi', workspaceId: paired.workspace.id }],
      ['ai:proposals', { status: 'maybe' }],
      ['ai:proposals', { limit: 0 }],
      ['ai:approve', { proposalId: '../../device/unpair' }],
      ['ai:approve', { proposalId: PROPOSAL_ID, operation: { type: 'member.invite', email: 'm@x.example' } }],
      ['ai:reject', { proposalId: PROPOSAL_ID }],
      ['ai:reject', { proposalId: PROPOSAL_ID, reason: 'x'.repeat(501) }],
    ];
    for (const [channel, payload] of bad) {
      const answer = await dispatchInvoke(all, channel, payload);
      expect(answer, channel).toMatchObject({ ok: false, error: { code: 'validation_failed' } });
    }
    for (const handler of Object.values(all)) expect(handler).not.toHaveBeenCalled();
  });

  it('answers failures in the one error shape, and hides what was not meant for users', async () => {
    const onUnexpected = vi.fn();
    const failing = (error: unknown) =>
      handlers({
        'device:self': async () => {
          throw error;
        },
      });
    const call = (error: unknown) => dispatchInvoke(failing(error), 'device:self', {}, onUnexpected);

    expect(await call(new AppError('conflict', 'Already paired', { x: 1 }))).toEqual({
      ok: false,
      error: { code: 'conflict', message: 'Already paired', details: { x: 1 } },
    });
    expect(await call(new SyncError('device_revoked', 'Revoked', { details: { wipe: true } }))).toEqual({
      ok: false,
      error: { code: 'device_revoked', message: 'Revoked', details: { wipe: true } },
    });
    const offline = await call(new SyncError('internal', 'ECONNREFUSED 10.0.0.1', { network: true }));
    expect(offline).toMatchObject({ ok: false, error: { code: 'server_unreachable' } });
    expect(JSON.stringify(offline)).not.toContain('ECONNREFUSED');
    expect(onUnexpected).not.toHaveBeenCalled();

    const crash = new Error('token eyJhbGciOi.secret leaked in a message');
    const answer = await call(crash);
    expect(answer).toMatchObject({ ok: false, error: { code: 'internal' } });
    expect(JSON.stringify(answer)).not.toContain('eyJhbGciOi');
    expect(onUnexpected).toHaveBeenCalledWith(crash);
  });
});

/** An in-process stand-in for Electron's ipcMain and ipcRenderer, joined directly, for the IPC wiring only. */
function ipcPair(senderUrl: { current: string }) {
  const handles = new Map<string, (event: MainIpcEvent, payload: unknown) => Promise<unknown>>();
  const mainListeners = new Map<string, ((event: MainIpcEvent, payload: unknown) => void)[]>();
  const rendererListeners = new Map<string, Set<(event: unknown, payload: unknown) => void>>();
  const event = (): MainIpcEvent => ({
    senderFrame: { url: senderUrl.current, parent: null },
    sender: {
      send: (channel, payload) => {
        // Electron delivers asynchronously, never inside the sender's call.
        setTimeout(() => {
          for (const listener of rendererListeners.get(channel) ?? []) listener({}, payload);
        }, 0);
      },
      on: () => undefined,
    },
  });
  const ipcMain: MainIpc = {
    handle: (channel, listener) => handles.set(channel, listener),
    on: (channel, listener) => mainListeners.set(channel, [...(mainListeners.get(channel) ?? []), listener]),
  };
  const ipcRenderer = {
    invoke: (channel: string, payload: unknown) => {
      const handler = handles.get(channel);
      return handler ? handler(event(), payload) : Promise.reject(new Error('no handler'));
    },
    postMessage: (channel: string, message: unknown) => {
      setTimeout(() => {
        for (const listener of mainListeners.get(channel) ?? []) listener(event(), message);
      }, 0);
    },
    on: (channel: string, listener: (event: unknown, payload: unknown) => void) => {
      let set = rendererListeners.get(channel);
      if (!set) rendererListeners.set(channel, (set = new Set()));
      set.add(listener);
    },
    removeListener: (channel: string, listener: (event: unknown, payload: unknown) => void) => {
      rendererListeners.get(channel)?.delete(listener);
    },
  };
  return { ipcMain, ipcRenderer, handles, mainListeners };
}

const APP = 'app://enclave/index.html';
const trustApp = (event: MainIpcEvent) => event.senderFrame?.url.startsWith('app://enclave/') ?? false;

describe('registering IPC', () => {
  it('serves exactly the channels of the table, and only to trusted senders', async () => {
    const sender = { current: APP };
    const { ipcMain, ipcRenderer, handles } = ipcPair(sender);
    const state = vi.fn(async () => paired);
    const onRefused = vi.fn();
    registerIpc(ipcMain, { handlers: handlers({ 'app:state': state }), isTrusted: trustApp, onRefused });
    expect([...handles.keys()].sort()).toEqual(Object.keys(ipcInvoke).sort());

    expect(await ipcRenderer.invoke('app:state', {})).toEqual({ ok: true, value: paired });
    sender.current = 'https://evil.example/';
    expect(await ipcRenderer.invoke('app:state', {})).toMatchObject({
      ok: false,
      error: { code: 'forbidden' },
    });
    expect(state).toHaveBeenCalledTimes(1);
    expect(onRefused).toHaveBeenCalledWith('app:state');
  });
});

describe('exposing the replica storage', () => {
  it('carries RxDB’s IPC storage for a trusted renderer', async () => {
    const sender = { current: APP };
    const { ipcMain, ipcRenderer } = ipcPair(sender);
    exposeReplicaStorage(ipcMain, getRxStorageMemory(), { isTrusted: trustApp });
    const db = await createRxDatabase({
      name: `ipc-${randomToken(8)}`,
      storage: getRxStorageIpcRenderer({ key: REPLICA_STORAGE_KEY, ipcRenderer, mode: 'storage' }),
      multiInstance: false,
    });
    const collections = await db.addCollections({
      notes: {
        schema: {
          version: 0,
          primaryKey: 'id',
          type: 'object',
          properties: { id: { type: 'string', maxLength: 40 }, text: { type: 'string' } },
          required: ['id', 'text'],
        },
      },
    });
    const notes = collections.notes as RxCollection<{ id: string; text: string }>;
    await notes.insert({ id: 'a', text: 'over ipc' });
    const found = await notes.findOne('a').exec();
    expect(found?.text).toBe('over ipc');
    await db.close();
  });

  it('answers a message naming a method outside the allowed set with an error, and drops untrusted ones', async () => {
    const sender = { current: APP };
    const { ipcMain, ipcRenderer } = ipcPair(sender);
    const storage = getRxStorageMemory();
    const create = vi.spyOn(storage, 'createStorageInstance');
    const onRefused = vi.fn();
    exposeReplicaStorage(ipcMain, storage, { isTrusted: trustApp, onRefused });
    const answers: unknown[] = [];
    ipcRenderer.on(REPLICA_STORAGE_CHANNEL, (_event, message) => answers.push(message));

    ipcRenderer.postMessage(REPLICA_STORAGE_CHANNEL, {
      connectionId: 'c1',
      requestId: 'r1',
      method: 'constructor',
      version: '17.6.0',
      params: [],
    });
    await vi.waitFor(() => expect(answers).toHaveLength(1));
    expect(answers[0]).toMatchObject({
      connectionId: 'c1',
      answerTo: 'r1',
      error: { message: 'The storage request is not valid' },
    });

    // A regular expression would run in main, where a pathological one stalls the app: refused.
    ipcRenderer.postMessage(REPLICA_STORAGE_CHANNEL, {
      connectionId: 'c3',
      requestId: 'r3',
      method: 'query',
      version: '17.6.0',
      params: [{ query: { selector: { $or: [{ name: { $regex: '(a+)+$' } }] } } }],
    });
    await vi.waitFor(() => expect(answers).toHaveLength(2));
    expect(answers[1]).toMatchObject({
      answerTo: 'r3',
      error: { message: 'The storage request is not valid' },
    });

    sender.current = 'https://evil.example/';
    ipcRenderer.postMessage(REPLICA_STORAGE_CHANNEL, {
      connectionId: 'c2',
      requestId: 'r2',
      method: 'create',
      version: '17.6.0',
      params: { databaseName: 'x', collectionName: 'y', schema: {} },
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(answers).toHaveLength(2);
    expect(create).not.toHaveBeenCalled();
    expect(onRefused).toHaveBeenCalledTimes(3);
  });
});
