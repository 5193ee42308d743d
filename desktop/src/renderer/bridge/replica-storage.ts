import type { RxStorage } from 'rxdb';
// The renderer half of RxDB's electron plugin: plain web code, it imports nothing of Electron.
import { getRxStorageIpcRenderer } from 'rxdb/plugins/electron';
import { REPLICA_STORAGE_CHANNEL, REPLICA_STORAGE_KEY } from '@enclave/shared';
import type { ReplicaChannel } from '../../common/bridge';

type IpcListener = (event: unknown, message: unknown) => void;

/** The three methods of `ipcRenderer` that RxDB's IPC storage calls. */
export interface IpcRendererLike {
  on(channel: string, listener: IpcListener): void;
  removeListener(channel: string, listener: IpcListener): void;
  postMessage(channel: string, message: unknown): void;
}

/**
 * Makes the bridge's one replica channel look like `ipcRenderer` to RxDB. The renderer never has
 * `ipcRenderer` itself, so any other channel name means a mistake here: it throws rather than
 * silently talk to nobody.
 */
export function replicaIpcRenderer(replica: ReplicaChannel): IpcRendererLike {
  const subscriptions = new Map<IpcListener, () => void>();
  const check = (channel: string) => {
    if (channel !== REPLICA_STORAGE_CHANNEL) throw new Error(`The replica storage has no channel ${channel}`);
  };
  return {
    on(channel, listener) {
      check(channel);
      subscriptions.get(listener)?.();
      subscriptions.set(
        listener,
        replica.onMessage((message) => listener(null, message)),
      );
    },
    removeListener(channel, listener) {
      check(channel);
      subscriptions.get(listener)?.();
      subscriptions.delete(listener);
    },
    postMessage(channel, message) {
      check(channel);
      replica.post(message);
    },
  };
}

/** RxDB's storage over IPC: main holds the encrypted replica, this side only sends calls. */
export function ipcReplicaStorage(replica: ReplicaChannel): RxStorage<unknown, unknown> {
  return getRxStorageIpcRenderer({
    key: REPLICA_STORAGE_KEY,
    ipcRenderer: replicaIpcRenderer(replica),
    // One message channel for every database and collection of the window.
    mode: 'storage',
  });
}
