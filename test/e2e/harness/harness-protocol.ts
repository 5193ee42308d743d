/** Messages between the test process (which drives Chromium) and the app's main core in its own process. */

export interface FrameInfo {
  url: string;
  /** null for the page's top frame, as Electron's `WebFrameMain.parent`. */
  parent: null | 'frame';
}

export type ToCore =
  | { type: 'invoke'; id: number; channel: string; payload: unknown; frame: FrameInfo }
  | { type: 'post'; channel: string; message: unknown; frame: FrameInfo }
  | { type: 'destroyed' }
  | { type: 'control'; id: number; op: 'reconnectNow' | 'openLink' | 'stop' | 'state'; arg?: string };

export type FromCore =
  | { type: 'ready' }
  | { type: 'result'; id: number; value: unknown }
  | { type: 'send'; channel: string; payload: unknown }
  | { type: 'control'; id: number; value: unknown; error?: string };

export interface CoreProcessConfig {
  dataDir: string;
  keychainService: string;
  /** The origin the renderer is served from: the only sender main trusts. */
  appUrl: string;
  appVersion: string;
}

declare global {
  interface Window {
    /** Set by the page bridge: hands the page the messages main sent. */
    __enclaveDeliver?: (channel: string, payload: unknown) => void;
  }
}
