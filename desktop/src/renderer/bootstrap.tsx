// First: configures zod before any shared schema is built.
import '../common/zod-jitless';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import type { RxStorage } from 'rxdb';
import type { EnclaveBridge } from '../common/bridge';
import { App } from './App';
import { ServicesContext } from './app/services';
import { createBridgeClient } from './bridge/client';
import { ipcReplicaStorage } from './bridge/replica-storage';
import '@enclave/ui/styles.css';

export interface BootstrapOptions {
  /** `window.enclave` in the app; a stand-in with the same shape in a test harness. */
  bridge: EnclaveBridge;
  /**
   * The RxDB storage the replica is opened with. Default: RxDB's IPC storage over
   * `bridge.replica` (main holds the encrypted file). A harness may pass e.g. memory storage.
   */
  storage?: RxStorage<unknown, unknown>;
  /** Where to render; default `#root`. */
  container?: HTMLElement;
}

export interface BootedApp {
  unmount(): void;
}

/**
 * Starts the renderer with its dependencies injected, so the same app runs in Electron and, for
 * end-to-end tests, in a plain browser page.
 */
export function bootstrap({ bridge, storage, container }: BootstrapOptions): BootedApp {
  const element = container ?? document.getElementById('root');
  if (!element) throw new Error('No element to render Enclave into');
  const services = {
    client: createBridgeClient(bridge),
    storage: storage ?? ipcReplicaStorage(bridge.replica),
  };
  const root = createRoot(element);
  root.render(
    <StrictMode>
      <ServicesContext.Provider value={services}>
        <App />
      </ServicesContext.Provider>
    </StrictMode>,
  );
  return { unmount: () => root.unmount() };
}
