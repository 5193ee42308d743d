import { exposeIpcMainRxStorage } from 'rxdb/plugins/electron';
import type { RxStorage } from 'rxdb';
import {
  ipcInvoke,
  REPLICA_STORAGE_CHANNEL,
  REPLICA_STORAGE_KEY,
  ReplicaStorageMessage,
  type IpcResult,
} from '@enclave/shared';
import { dispatchInvoke, type IpcHandlers } from './ipc-dispatch';
import type { SenderFrame } from './trusted-sender';

/** The part of a renderer's `webContents` main talks to. */
export interface RendererContents {
  send(channel: string, payload: unknown): void;
  on(event: 'destroyed', listener: () => void): unknown;
}

export interface MainIpcEvent {
  readonly senderFrame?: SenderFrame | null;
  readonly sender: RendererContents;
}

/** The part of Electron's `ipcMain` used here; the browser harness provides the same shape. */
export interface MainIpc {
  handle(channel: string, listener: (event: MainIpcEvent, payload: unknown) => Promise<unknown>): void;
  on(channel: string, listener: (event: MainIpcEvent, payload: unknown) => void): unknown;
}

export interface RegisterIpcOptions {
  handlers: IpcHandlers;
  isTrusted: (event: MainIpcEvent) => boolean;
  onUnexpected?: (error: unknown) => void;
  onRefused?: (channel: string) => void;
}

const untrusted: IpcResult = {
  ok: false,
  error: { code: 'forbidden', message: 'This window may not call the app' },
};

/** Serves every channel of the IPC table, for trusted senders only. */
export function registerIpc(ipcMain: MainIpc, options: RegisterIpcOptions): void {
  for (const channel of Object.keys(ipcInvoke)) {
    ipcMain.handle(channel, async (event, payload) => {
      if (!options.isTrusted(event)) {
        options.onRefused?.(channel);
        return untrusted;
      }
      return dispatchInvoke(options.handlers, channel, payload, options.onUnexpected);
    });
  }
}

/**
 * Serves the replica storage to the renderer with RxDB's IPC storage. Before RxDB sees a message
 * it must come from a trusted sender and name an allowed storage method (RxDB would otherwise call
 * whatever method a message names); a malformed request is answered with an error, not dropped,
 * so the renderer's call fails instead of hanging.
 */
export function exposeReplicaStorage(
  ipcMain: MainIpc,
  storage: RxStorage<unknown, unknown>,
  options: Pick<RegisterIpcOptions, 'isTrusted' | 'onRefused'>,
): void {
  const guarded = {
    on(channel: string, listener: (event: MainIpcEvent, message: unknown) => void) {
      return ipcMain.on(channel, (event, message) => {
        if (channel !== REPLICA_STORAGE_CHANNEL) return;
        if (!options.isTrusted(event)) {
          options.onRefused?.(channel);
          return;
        }
        if (!ReplicaStorageMessage.safeParse(message).success || hasRegex(message)) {
          options.onRefused?.(channel);
          const answerTo = requestIdOf(message);
          if (answerTo) {
            event.sender.send(channel, {
              connectionId: answerTo.connectionId,
              answerTo: answerTo.requestId,
              method: answerTo.method,
              error: { name: 'Error', message: 'The storage request is not valid' },
            });
          }
          return;
        }
        listener(event, message);
      });
    },
  };
  exposeIpcMainRxStorage({ key: REPLICA_STORAGE_KEY, storage, ipcMain: guarded });
}

function requestIdOf(message: unknown): { connectionId: string; requestId: string; method: string } | null {
  if (typeof message !== 'object' || message === null) return null;
  const { connectionId, requestId, method } = message as Record<string, unknown>;
  if (typeof connectionId !== 'string' || typeof requestId !== 'string') return null;
  if (connectionId.length > 200 || requestId.length > 200) return null;
  return { connectionId, requestId, method: typeof method === 'string' ? method.slice(0, 40) : 'custom' };
}

/**
 * Queries run in main, where a pathological regular expression would stall the whole app (and
 * its sync); the renderer searches in memory instead, so a `$regex` from it is refused outright.
 */
function hasRegex(value: unknown, depth = 0): boolean {
  if (typeof value !== 'object' || value === null || depth > 64) return false;
  if (Array.isArray(value)) return value.some((item) => hasRegex(item, depth + 1));
  return Object.entries(value).some(([key, item]) => key === '$regex' || hasRegex(item, depth + 1));
}
