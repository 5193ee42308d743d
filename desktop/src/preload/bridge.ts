import {
  ipcEvents,
  ipcInvoke,
  IpcResult,
  REPLICA_STORAGE_CHANNEL,
  type IpcInvokeChannel,
} from '@enclave/shared';
import type { BridgeCalls, EnclaveBridge } from '../common/bridge';

/** The part of Electron's `ipcRenderer` the bridge uses (the harness provides the same shape). */
export interface PreloadIpc {
  invoke(channel: string, payload: unknown): Promise<unknown>;
  on(channel: string, listener: (event: unknown, payload: unknown) => void): unknown;
  removeListener(channel: string, listener: (event: unknown, payload: unknown) => void): unknown;
  postMessage(channel: string, message: unknown): void;
}

const malformedAnswer: IpcResult<never> = {
  ok: false,
  error: { code: 'internal', message: 'The app answered in a form this window does not understand' },
};

/**
 * Builds `window.enclave` over `ipcRenderer`. Only the channels of the shared table exist; the
 * renderer never gets `ipcRenderer` itself, so it cannot reach any other channel. Requests are
 * checked again in main — this side only keeps the renderer from needing to know channel names.
 */
export function createBridge(ipc: PreloadIpc): EnclaveBridge {
  const call = Object.fromEntries(
    (Object.keys(ipcInvoke) as IpcInvokeChannel[]).map((channel) => [
      channel,
      async (request: unknown) => {
        const answer = IpcResult.safeParse(await ipc.invoke(channel, request));
        return answer.success ? answer.data : malformedAnswer;
      },
    ]),
  ) as unknown as BridgeCalls;

  return {
    call,
    on(event, listener) {
      if (!Object.hasOwn(ipcEvents, event)) throw new Error(`unknown event ${event}`);
      const schema = ipcEvents[event];
      const handler = (_event: unknown, payload: unknown) => {
        // Main only sends what the table declares; anything else is dropped, not half-trusted.
        const parsed = schema.safeParse(payload);
        if (parsed.success) listener(parsed.data as Parameters<typeof listener>[0]);
      };
      ipc.on(event, handler);
      return () => {
        ipc.removeListener(event, handler);
      };
    },
    replica: {
      post(message) {
        ipc.postMessage(REPLICA_STORAGE_CHANNEL, message);
      },
      onMessage(listener) {
        const handler = (_event: unknown, message: unknown) => listener(message);
        ipc.on(REPLICA_STORAGE_CHANNEL, handler);
        return () => {
          ipc.removeListener(REPLICA_STORAGE_CHANNEL, handler);
        };
      },
    },
  };
}
