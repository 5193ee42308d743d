import type {
  IpcEvent,
  IpcEventChannel,
  IpcInvokeChannel,
  IpcRequest,
  IpcResponse,
  IpcResult,
} from '@enclave/shared';

/**
 * What the preload exposes to the renderer as `window.enclave`: one function per IPC channel of
 * `ipcInvoke` (shared/src/ipc.ts), event subscriptions for `ipcEvents`, and the one channel RxDB's
 * IPC storage speaks on. Nothing else of Electron reaches the renderer.
 */
export interface EnclaveBridge {
  readonly call: BridgeCalls;
  /** Subscribes to an event from main; returns the unsubscribe function. */
  on<E extends IpcEventChannel>(event: E, listener: (payload: IpcEvent<E>) => void): () => void;
  readonly replica: ReplicaChannel;
}

export type BridgeCalls = {
  readonly [C in IpcInvokeChannel]: (request: IpcRequest<C>) => Promise<IpcResult<IpcResponse<C>>>;
};

/** The replica storage's messages, as RxDB's `getRxStorageIpcRenderer` sends and receives them. */
export interface ReplicaChannel {
  post(message: unknown): void;
  onMessage(listener: (message: unknown) => void): () => void;
}
