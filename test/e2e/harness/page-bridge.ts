// As the preload: zod configured before any shared schema is built.
import '../../../desktop/src/common/zod-jitless';
import { createBridge, type PreloadIpc } from '../../../desktop/src/preload/bridge';

/**
 * Runs in the page before the app's scripts, where Electron would run the preload: the same
 * `createBridge` as the preload, over bindings to the test process instead of `ipcRenderer`.
 */

type Listener = (event: unknown, payload: unknown) => void;

interface HarnessWindow {
  __enclaveInvoke(channel: string, payload: unknown): Promise<unknown>;
  __enclavePost(channel: string, message: unknown): Promise<void>;
}

const harness = window as unknown as HarnessWindow;
const listeners = new Map<string, Set<Listener>>();

const ipc: PreloadIpc = {
  invoke: (channel, payload) => harness.__enclaveInvoke(channel, payload),
  on(channel, listener) {
    let set = listeners.get(channel);
    if (!set) listeners.set(channel, (set = new Set()));
    set.add(listener);
  },
  removeListener(channel, listener) {
    listeners.get(channel)?.delete(listener);
  },
  postMessage(channel, message) {
    void harness.__enclavePost(channel, message);
  },
};

Object.defineProperty(window, '__enclaveDeliver', {
  value: (channel: string, payload: unknown) => {
    for (const listener of [...(listeners.get(channel) ?? [])]) listener({}, payload);
  },
});
// As `contextBridge.exposeInMainWorld` does: a frozen object the page cannot replace.
Object.defineProperty(window, 'enclave', { value: Object.freeze(createBridge(ipc)), enumerable: true });
