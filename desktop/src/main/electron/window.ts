import { BrowserWindow } from 'electron';
import { APP_ENTRY_URL } from '../shell/app-origin';

export interface MainWindowOptions {
  /** The built preload (`out/preload.cjs`). */
  preloadPath: string;
  isDev: boolean;
}

/**
 * The app's one window. Its page runs sandboxed and isolated: no Node, no Electron, no access to
 * the preload's world; it reaches main only through `window.enclave`. The options are spelt out
 * even where they are Electron's defaults, so that a reviewer (and Electronegativity, which reads
 * this literal) sees every one of them, and a future default change cannot weaken them.
 */
export function createMainWindow(options: MainWindowOptions): BrowserWindow {
  const window = new BrowserWindow({
    width: 1200,
    height: 800,
    minWidth: 800,
    minHeight: 560,
    title: 'Enclave',
    // Shown once the first frame is painted, so the user never sees an empty white window.
    show: false,
    backgroundColor: '#ffffff',
    // The system title bar on every platform: a hidden or inset one would need the renderer to
    // declare drag regions, and a window the user cannot move is worse than a plain title bar.
    titleBarStyle: 'default',
    webPreferences: {
      // Electronegativity asks for a review of every preload: ours exposes `window.enclave` alone
      // (one function per channel of the IPC table, src/preload/bridge.ts), never `ipcRenderer`.
      preload: options.preloadPath, // eng-disable PRELOAD_JS_CHECK
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      // Middle-click would otherwise open links in a new window outside `setWindowOpenHandler`'s
      // usual path; nothing in the app needs it.
      disableBlinkFeatures: 'Auxclick',
      navigateOnDragDrop: false,
      safeDialogs: true,
      // Off: on Linux Chromium downloads Hunspell dictionaries from Google, and on every platform
      // the text of client records would be handed to a spelling service.
      spellcheck: false,
      devTools: options.isDev,
    },
  });
  window.once('ready-to-show', () => {
    window.show();
  });
  void window.loadURL(APP_ENTRY_URL);
  return window;
}
