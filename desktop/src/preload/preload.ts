import { contextBridge, ipcRenderer } from 'electron';
import { createBridge } from './bridge';

// The renderer gets `window.enclave` and nothing else: never `ipcRenderer` itself, which would let
// it send on any channel.
contextBridge.exposeInMainWorld('enclave', createBridge(ipcRenderer));
