import { DesktopCore } from '../../../desktop/src/main/app/desktop-core';
import { keytarSecretStore } from '../../../desktop/src/main/keychain';
import {
  exposeReplicaStorage,
  registerIpc,
  type MainIpc,
  type MainIpcEvent,
  type RendererContents,
} from '../../../desktop/src/main/ipc/register-ipc';
import { isTrustedSender } from '../../../desktop/src/main/ipc/trusted-sender';
import type { CoreProcessConfig, FrameInfo, FromCore, ToCore } from './harness-protocol';

/**
 * The desktop app's main process for browser tests: the real `DesktopCore` with the real keychain
 * (keytar over the test Secret Service), the real encrypted replica and the real sync client, and
 * the same IPC registration Electron's main uses. Only the transport differs: IPC messages arrive
 * from the test process (which took them from the page) instead of from Electron.
 */

const config = JSON.parse(process.env.ENCLAVE_HARNESS_CONFIG ?? '') as CoreProcessConfig;

function send(message: FromCore): void {
  process.send?.(message);
}

const destroyedListeners = new Set<() => void>();
const contents: RendererContents = {
  send: (channel, payload) => send({ type: 'send', channel, payload }),
  on: (_event, listener) => destroyedListeners.add(listener),
};

const handlers = new Map<string, (event: MainIpcEvent, payload: unknown) => Promise<unknown>>();
const listeners = new Map<string, ((event: MainIpcEvent, payload: unknown) => void)[]>();
const ipcMain: MainIpc = {
  handle: (channel, listener) => handlers.set(channel, listener),
  on: (channel, listener) => listeners.set(channel, [...(listeners.get(channel) ?? []), listener]),
};

const eventFrom = (frame: FrameInfo): MainIpcEvent => ({ senderFrame: frame, sender: contents });

const log = {
  info: (message: string, fields?: Record<string, unknown>) => console.log('[core]', message, fields ?? ''),
  warn: (message: string, fields?: Record<string, unknown>) => console.warn('[core]', message, fields ?? ''),
  error: (message: string, fields?: Record<string, unknown>) =>
    console.error('[core]', message, fields ?? ''),
};

const core = new DesktopCore({
  dataDir: config.dataDir,
  secrets: keytarSecretStore(config.keychainService),
  appVersion: config.appVersion,
  platform: 'linux',
  // Tests switch the network off and on: come back within a second, not the default half minute.
  sync: { backoff: { baseMs: 100, maxMs: 1000 }, requestTimeoutMs: 10_000 },
  replicaCacheKiB: 4096,
  log,
});
const isTrusted = (event: MainIpcEvent) => isTrustedSender(event.senderFrame, config.appUrl);
registerIpc(ipcMain, {
  handlers: core.handlers,
  isTrusted,
  onUnexpected: (error) => log.error('unexpected error', { error: String(error) }),
  onRefused: (channel) => log.warn('refused a message from an untrusted sender', { channel }),
});
exposeReplicaStorage(ipcMain, core.replica.storage, { isTrusted });
core.events.subscribe(({ channel, payload }) => contents.send(channel, payload));

process.on('message', (raw) => {
  const message = raw as ToCore;
  switch (message.type) {
    case 'invoke': {
      const handler = handlers.get(message.channel);
      const answer = handler
        ? handler(eventFrom(message.frame), message.payload)
        : Promise.resolve({ ok: false, error: { code: 'bad_request', message: 'Unknown request' } });
      void answer.then((value) => send({ type: 'result', id: message.id, value }));
      return;
    }
    case 'post':
      for (const listener of listeners.get(message.channel) ?? [])
        listener(eventFrom(message.frame), message.message);
      return;
    case 'destroyed':
      for (const listener of destroyedListeners) listener();
      destroyedListeners.clear();
      return;
    case 'control':
      void control(message.op, message.arg).then(
        (value) => send({ type: 'control', id: message.id, value }),
        (error: unknown) => send({ type: 'control', id: message.id, value: null, error: String(error) }),
      );
      return;
  }
});

async function control(op: string, arg: string | undefined): Promise<unknown> {
  switch (op) {
    case 'reconnectNow':
      core.reconnectNow();
      return null;
    case 'openLink':
      return core.openLink(arg ?? '');
    case 'state':
      return core.state;
    case 'stop':
      await core.stop();
      return null;
    default:
      throw new Error(`unknown control ${op}`);
  }
}

await core.start();
send({ type: 'ready' });
