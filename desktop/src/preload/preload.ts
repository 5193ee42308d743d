// First: configures zod before any shared schema is built (see the module).
import '../common/zod-jitless';
import { contextBridge, ipcRenderer } from 'electron';
import { createBridge } from './bridge';

// The renderer gets `window.enclave` and nothing else: never `ipcRenderer` itself, which would let
// it send on any channel.
contextBridge.exposeInMainWorld('enclave', createBridge(ipcRenderer));
