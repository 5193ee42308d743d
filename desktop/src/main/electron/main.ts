import { join } from 'node:path';
import { app, dialog, ipcMain, session, type BrowserWindow, type WebContents } from 'electron';
import { DesktopCore, type CoreEvent } from '../app/desktop-core';
import { exposeReplicaStorage, registerIpc, type MainIpcEvent } from '../ipc/register-ipc';
import { isTrustedSender } from '../ipc/trusted-sender';
import { keytarSecretStore, MemorySecretStore } from '../keychain';
import { APP_URL } from '../shell/app-origin';
import { consoleLog, describeError } from '../shell/console-log';
import { devicePlatformOf, launchOptionsOf, pairingLinkArg } from '../shell/launch-options';
import { externalOriginsOf } from '../shell/navigation';
import { installAppMenu } from './app-menu';
import { registerAppScheme, serveAppScheme } from './app-protocol';
import { watchConnectivity } from './connectivity';
import { guardContents } from './navigation-guard';
import { hardenSession } from './permissions';
import { createMainWindow } from './window';

// The Electron entry point (bundled to out/main.cjs). It wires the Electron-free core and the
// pure decisions of ../shell to Electron's events, and decides nothing itself.

const PAIRING_SCHEME = 'enclave';
/** How long quitting waits for the core to close the replica and the sync connection. */
const STOP_TIMEOUT_MS = 5_000;

const log = consoleLog();
const isDev = !app.isPackaged;
const launch = launchOptionsOf(process.env, app.isPackaged);
if (launch.ignored.length > 0) {
  log.warn('ignored test variables: this is an installed app', { variables: launch.ignored });
}
// Before anything reads userData: the single-instance lock, Chromium's profile and the core's
// data all live there.
if (launch.userDataDir !== null) app.setPath('userData', launch.userDataDir);

// Every renderer sandboxed, whatever a window's options say.
app.enableSandbox();
registerAppScheme();

if (app.requestSingleInstanceLock()) {
  run();
} else {
  // Another Enclave is running; it receives our arguments (a pairing link) as 'second-instance'.
  app.quit();
}

function run(): void {
  const core = new DesktopCore({
    dataDir: app.getPath('userData'),
    // `memory` only ever when unpackaged (launchOptionsOf): launch tests must not write to the
    // developer's real keychain.
    secrets:
      launch.keychain === 'memory' ? new MemorySecretStore() : keytarSecretStore(launch.keychainService),
    appVersion: app.getVersion(),
    platform: devicePlatformOf(process.platform),
    log,
  });
  let window: BrowserWindow | null = null;
  let stopWatching: () => void = () => undefined;

  const openWindow = (): BrowserWindow =>
    createMainWindow({ preloadPath: join(__dirname, 'preload.cjs'), isDev });
  const showWindow = (): void => {
    if (!app.isReady()) return;
    if (window === null || window.isDestroyed()) {
      window = openWindow();
      return;
    }
    if (window.isMinimized()) window.restore();
    window.focus();
  };

  // Pairing links. macOS delivers them as 'open-url' (at launch too, before 'ready'); Windows and
  // Linux put them on the command line of the first instance, or of a second one that hands its
  // arguments over. The core only offers a link on the pairing screen; it never pairs by itself.
  app.on('open-url', (event, url) => {
    event.preventDefault();
    core.openLink(url);
    showWindow();
  });
  const launchLink = pairingLinkArg(process.argv);
  if (launchLink !== null) core.openLink(launchLink);
  app.on('second-instance', (_event, argv) => {
    const link = pairingLinkArg(argv);
    if (link !== null) core.openLink(link);
    showWindow();
  });

  // Guards on every session and every web contents, as they are created: nothing escapes them.
  app.on('session-created', (created) => {
    hardenSession(created, { appUrl: APP_URL, isDev, log });
  });
  app.on('web-contents-created', (_event, contents) => {
    guardContents(contents, {
      appUrl: APP_URL,
      isDev,
      externalOrigins: () => externalOriginsOf(core.state),
      log,
    });
  });

  void app.whenReady().then(() => {
    hardenSession(session.defaultSession, { appUrl: APP_URL, isDev, log });
    serveAppScheme(join(__dirname, 'renderer'), log);
    installAppMenu({ platform: process.platform, isDev });

    const isTrusted = (event: MainIpcEvent): boolean => isTrustedSender(event.senderFrame, APP_URL);
    const onRefused = (channel: string): void => {
      log.warn('refused a message from an untrusted sender', { channel });
    };
    registerIpc(ipcMain, {
      handlers: core.handlers,
      isTrusted,
      onRefused,
      onUnexpected: (error) => {
        log.error('a call from the window failed', { error: describeError(error) });
      },
    });
    exposeReplicaStorage(ipcMain, core.replica.storage, { isTrusted, onRefused });
    core.events.subscribe((event) => {
      if (window !== null && !window.isDestroyed()) sendToApp(window.webContents, event);
    });
    stopWatching = watchConnectivity(() => {
      core.reconnectNow();
    });

    // Installed builds only: registering the development Electron binary as the handler of
    // enclave:// links would hijack them on a developer's machine. Reviewed (Electronegativity
    // asks): a link is only parsed (parsePairingLink) and offered on the pairing screen; it never
    // pairs, navigates or runs anything by itself.
    if (app.isPackaged) app.setAsDefaultProtocolClient(PAIRING_SCHEME); // eng-disable PROTOCOL_HANDLER_JS_CHECK
    if (process.platform === 'win32') app.setAppUserModelId('com.enclave.desktop');

    window = openWindow();
    core.start().catch((error: unknown) => {
      log.error('the app could not start', { error: describeError(error) });
      dialog.showErrorBox(
        'Enclave could not start',
        'Enclave could not open its data. Restart it; if this persists, reinstall it.',
      );
      app.quit();
    });
  });

  app.on('activate', showWindow);
  app.on('window-all-closed', () => {
    // macOS apps stay open without windows (and keep syncing); elsewhere closing the window quits.
    if (process.platform !== 'darwin') app.quit();
  });

  // Quitting waits for the core to close the replica database and the sync connection cleanly.
  let stopping = false;
  let stopped = false;
  app.on('before-quit', (event) => {
    if (stopped) return;
    event.preventDefault();
    if (stopping) return;
    stopping = true;
    stopWatching();
    withTimeout(core.stop(), STOP_TIMEOUT_MS)
      .catch((error: unknown) => {
        log.error('stopping the app failed', { error: describeError(error) });
      })
      .finally(() => {
        stopped = true;
        app.quit();
      });
  });
}

/** Sends a core event to the window, if it shows a page of the app: any other page hears nothing. */
function sendToApp(contents: WebContents, { channel, payload }: CoreEvent): void {
  if (!isTrustedSender(contents.mainFrame, APP_URL)) return;
  contents.send(channel, payload);
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`timed out after ${ms} ms`));
    }, ms);
    promise.then(resolve, reject).finally(() => {
      clearTimeout(timer);
    });
  });
}
