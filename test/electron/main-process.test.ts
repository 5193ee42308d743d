import { execFile } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ipcInvoke, REPLICA_STORAGE_CHANNEL } from '@enclave/shared';
import { RENDERER_CSP } from '../../desktop/src/common/csp';
import { createUser, createWorkspace, startTestServer } from '../../server/src/test-support/test-server';
import { createPairing } from '../../server/src/test-support/test-devices';

/**
 * The built main process (out/main.cjs, made by desktop/scripts/build.ts) run in Node against a
 * stand-in `electron` module that records what main asks of Electron and lets the test fire
 * Electron's events. It checks the wiring the pure modules' tests cannot: that main.ts really
 * sandboxes, locks the window down, guards every web contents, serves the app scheme, registers
 * every IPC channel behind the sender check, and stops the core before quitting. What only a
 * real Electron can show (Chromium honouring these settings) is the launch tests' part.
 */

const root = join(import.meta.dirname, '..', '..');
const run = promisify(execFile);
const APP_PAGE = 'app://enclave/index.html';

type Listener = (...args: unknown[]) => unknown;

class FakeContents extends EventEmitter {
  readonly sent: Array<[string, unknown]> = [];
  windowOpenHandler: Listener | null = null;
  closed = false;
  mainFrame = { url: APP_PAGE, parent: null };
  constructor(private readonly type: string = 'window') {
    super();
  }
  getType(): string {
    return this.type;
  }
  setWindowOpenHandler(handler: Listener): void {
    this.windowOpenHandler = handler;
  }
  send(channel: string, payload: unknown): void {
    this.sent.push([channel, payload]);
  }
  close(): void {
    this.closed = true;
  }
}

class FakeSession extends EventEmitter {
  permissionRequest: Listener | null = null;
  permissionCheck: Listener | null = null;
  devicePermission: Listener | null = null;
  beforeRequest: Listener | null = null;
  webRequest = {
    onBeforeRequest: (listener: Listener) => {
      this.beforeRequest = listener;
    },
  };
  setPermissionRequestHandler(handler: Listener): void {
    this.permissionRequest = handler;
  }
  setPermissionCheckHandler(handler: Listener): void {
    this.permissionCheck = handler;
  }
  setDevicePermissionHandler(handler: Listener): void {
    this.devicePermission = handler;
  }
  spellChecker = true;
  setSpellCheckerEnabled(enabled: boolean): void {
    this.spellChecker = enabled;
  }
}

function fakeElectron(dataDir: string, options: { singleInstance: boolean }) {
  let ready!: () => void;
  const whenReady = new Promise<void>((resolve) => {
    ready = resolve;
  });
  const windows: Array<{ options: Record<string, unknown>; url: string | null; webContents: FakeContents }> =
    [];
  const calls = {
    sandbox: false,
    quit: 0,
    schemes: [] as unknown[],
    protocolHandlers: new Map<string, (request: { method: string; url: string }) => Promise<Response>>(),
    invokeHandlers: new Map<string, Listener>(),
    messageListeners: new Map<string, Listener>(),
    openedExternally: [] as string[],
    defaultProtocolClients: [] as string[],
  };
  const app = Object.assign(new EventEmitter(), {
    isPackaged: false,
    getPath: (name: string) => (name === 'userData' ? dataDir : tmpdir()),
    setPath: vi.fn(),
    getVersion: () => '0.1.0',
    enableSandbox: () => {
      calls.sandbox = true;
    },
    requestSingleInstanceLock: () => options.singleInstance,
    whenReady: () => whenReady,
    isReady: () => true,
    quit: () => {
      calls.quit += 1;
    },
    setAsDefaultProtocolClient: (scheme: string) => calls.defaultProtocolClients.push(scheme),
    setAppUserModelId: () => undefined,
  });
  class BrowserWindow extends EventEmitter {
    readonly webContents = new FakeContents();
    constructor(readonly options: Record<string, unknown>) {
      super();
      windows.push({ options, url: null, webContents: this.webContents });
      app.emit('web-contents-created', {}, this.webContents);
    }
    loadURL(url: string): Promise<void> {
      windows.at(-1)!.url = url;
      return Promise.resolve();
    }
    isDestroyed = () => false;
    isMinimized = () => false;
    restore = () => undefined;
    focus = () => undefined;
    show = () => undefined;
  }
  const defaultSession = new FakeSession();
  const electron = {
    app,
    BrowserWindow,
    session: { defaultSession },
    protocol: {
      registerSchemesAsPrivileged: (schemes: unknown[]) => calls.schemes.push(...schemes),
      handle: (scheme: string, handler: (request: { method: string; url: string }) => Promise<Response>) =>
        calls.protocolHandlers.set(scheme, handler),
    },
    ipcMain: {
      handle: (channel: string, listener: Listener) => calls.invokeHandlers.set(channel, listener),
      on: (channel: string, listener: Listener) => calls.messageListeners.set(channel, listener),
    },
    Menu: { buildFromTemplate: (template: unknown) => template, setApplicationMenu: () => undefined },
    shell: {
      openExternal: async (url: string) => {
        calls.openedExternally.push(url);
      },
    },
    dialog: { showErrorBox: () => undefined },
    net: { isOnline: () => true },
    powerMonitor: new EventEmitter(),
  };
  return { electron, calls, windows, defaultSession, ready };
}

let work: string;
let bundle: string;

/** Loads a fresh copy of out/main.cjs against `electron`. */
function loadMain(electron: unknown): void {
  (globalThis as Record<string, unknown>).__enclaveFakeElectron = electron;
  const load = createRequire(bundle);
  // A fresh copy of both each time: main.cjs runs its top level (and reads `electron`) on load.
  Reflect.deleteProperty(load.cache, bundle);
  Reflect.deleteProperty(load.cache, load.resolve('electron'));
  load(bundle);
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'enclave-main-'));
  const out = join(work, 'out');
  await run(
    process.execPath,
    [
      join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'),
      'desktop/scripts/build.ts',
      '--out-dir',
      out,
      '--skip-renderer',
    ],
    { cwd: root },
  );
  bundle = join(out, 'main.cjs');
  mkdirSync(join(out, 'renderer'));
  writeFileSync(join(out, 'renderer', 'index.html'), '<!doctype html><title>Enclave</title>');
  // What main.cjs requires from outside the bundle: the stand-in Electron, the real native modules.
  const modules = join(work, 'node_modules');
  mkdirSync(join(modules, 'electron'), { recursive: true });
  writeFileSync(
    join(modules, 'electron', 'index.js'),
    'module.exports = globalThis.__enclaveFakeElectron;\n',
  );
  const real = createRequire(join(root, 'desktop', 'package.json'));
  for (const name of ['better-sqlite3-multiple-ciphers', 'keytar']) {
    symlinkSync(dirname(real.resolve(`${name}/package.json`)), join(modules, name), 'dir');
  }
  vi.stubEnv('ENCLAVE_KEYCHAIN', 'memory');
  vi.stubEnv('ENCLAVE_USER_DATA_DIR', '');
}, 60_000);

afterAll(() => {
  vi.unstubAllEnvs();
  delete (globalThis as Record<string, unknown>).__enclaveFakeElectron;
  rmSync(work, { recursive: true, force: true });
});

describe('out/main.cjs, the first instance', () => {
  let fake: ReturnType<typeof fakeElectron>;
  const trusted = { senderFrame: { url: APP_PAGE, parent: null }, sender: new FakeContents() };
  const foreign = { senderFrame: { url: 'https://evil.example/', parent: null }, sender: new FakeContents() };
  const iframe = { senderFrame: { url: APP_PAGE, parent: {} }, sender: new FakeContents() };

  beforeAll(async () => {
    const dataDir = join(work, 'data');
    mkdirSync(dataDir);
    fake = fakeElectron(dataDir, { singleInstance: true });
    loadMain(fake.electron);
    fake.ready();
    await vi.waitFor(async () => {
      const state = (await fake.calls.invokeHandlers.get('app:state')?.(trusted, {})) as {
        value?: { kind: string };
      };
      expect(state?.value?.kind).toBe('unpaired');
    });
  });

  it('sandboxes every renderer and declares the app scheme before ready', () => {
    expect(fake.calls.sandbox).toBe(true);
    expect(fake.calls.schemes).toEqual([
      {
        scheme: 'app',
        privileges: {
          standard: true,
          secure: true,
          supportFetchAPI: true,
          corsEnabled: true,
          codeCache: true,
        },
      },
    ]);
  });

  it('opens one locked-down window on the app page, with the built preload', () => {
    expect(fake.windows).toHaveLength(1);
    const [window] = fake.windows;
    expect(window?.url).toBe(APP_PAGE);
    expect(window?.options.show).toBe(false);
    expect(window?.options.webPreferences).toEqual({
      preload: join(work, 'out', 'preload.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      disableBlinkFeatures: 'Auxclick',
      navigateOnDragDrop: false,
      safeDialogs: true,
      spellcheck: false,
      devTools: true,
    });
  });

  it('serves the renderer folder over app:// with the CSP, and nothing else', async () => {
    const handler = fake.calls.protocolHandlers.get('app');
    const page = await handler!({ method: 'GET', url: APP_PAGE });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toBe(RENDERER_CSP);
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await page.text()).toContain('<title>Enclave</title>');

    expect((await handler!({ method: 'GET', url: 'app://enclave/..%2fmain.cjs' })).status).toBe(400);
    expect((await handler!({ method: 'GET', url: 'app://enclave/missing.js' })).status).toBe(404);
    expect((await handler!({ method: 'GET', url: 'app://evil/index.html' })).status).toBe(403);
    const refused = await handler!({ method: 'POST', url: APP_PAGE });
    expect(refused.status).toBe(405);
    expect(refused.headers.get('content-security-policy')).toBe(RENDERER_CSP);
  });

  it('registers every IPC channel, answering the app page only', async () => {
    expect([...fake.calls.invokeHandlers.keys()].sort()).toEqual(Object.keys(ipcInvoke).sort());
    const handler = fake.calls.invokeHandlers.get('app:info')!;
    expect(await handler(trusted, {})).toMatchObject({ ok: true, value: { version: '0.1.0' } });
    for (const event of [foreign, iframe, { senderFrame: null, sender: new FakeContents() }]) {
      expect(await handler(event, {})).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    }
    expect(fake.calls.messageListeners.has(REPLICA_STORAGE_CHANNEL)).toBe(true);
  });

  it('refuses navigation away from the app, new windows, webviews and device choosers', () => {
    const contents = fake.windows[0]!.webContents;
    const navigate = (event: string, url: string) => {
      const preventDefault = vi.fn();
      contents.emit(event, { url, preventDefault });
      return preventDefault.mock.calls.length > 0;
    };
    for (const event of ['will-navigate', 'will-frame-navigate', 'will-redirect']) {
      expect(navigate(event, 'https://evil.example/')).toBe(true);
      expect(navigate(event, 'file:///etc/passwd')).toBe(true);
      expect(navigate(event, 'app://enclave.evil/index.html')).toBe(true);
      expect(navigate(event, 'app://enclave/index.html')).toBe(false);
    }
    expect(contents.windowOpenHandler!({ url: 'https://evil.example/' })).toEqual({ action: 'deny' });
    expect(contents.windowOpenHandler!({ url: APP_PAGE })).toEqual({ action: 'deny' });
    expect(fake.calls.openedExternally).toEqual([]);

    const attach = vi.fn();
    contents.emit('will-attach-webview', { preventDefault: attach }, {}, {});
    expect(attach).toHaveBeenCalled();

    const choose = vi.fn();
    contents.emit('select-bluetooth-device', { preventDefault: vi.fn() }, [{ deviceId: 'speaker' }], choose);
    expect(choose).toHaveBeenCalledWith('');
  });

  it('closes web contents of any kind other than a window', () => {
    for (const type of ['webview', 'backgroundPage', 'browserView', 'offscreen']) {
      const contents = new FakeContents(type);
      fake.electron.app.emit('web-contents-created', {}, contents);
      expect(contents.closed).toBe(true);
    }
  });

  it('refuses permissions, devices and requests that leave the app', () => {
    const session = fake.defaultSession;
    const decide = (permission: string, requestingUrl: string) => {
      const callback = vi.fn();
      session.permissionRequest!({}, permission, callback, { requestingUrl, isMainFrame: true });
      return callback.mock.calls[0]?.[0] as boolean;
    };
    expect(decide('geolocation', APP_PAGE)).toBe(false);
    expect(decide('media', APP_PAGE)).toBe(false);
    expect(decide('openExternal', APP_PAGE)).toBe(false);
    expect(decide('clipboard-sanitized-write', APP_PAGE)).toBe(false);
    expect(decide('clipboard-sanitized-write', 'https://evil.example/')).toBe(false);
    expect(session.permissionCheck!(null, 'notifications', 'app://enclave', { isMainFrame: true })).toBe(
      false,
    );
    expect(
      session.permissionCheck!(null, 'clipboard-sanitized-write', 'app://enclave', { isMainFrame: true }),
    ).toBe(false);
    expect(session.devicePermission!({ deviceType: 'usb' })).toBe(false);
    expect(session.spellChecker).toBe(false);

    const request = (url: string) => {
      const callback = vi.fn();
      session.beforeRequest!({ url }, callback);
      return callback.mock.calls[0]?.[0] as { cancel: boolean };
    };
    expect(request('https://evil.example/collect')).toEqual({ cancel: true });
    expect(request('app://enclave/assets/index.js')).toEqual({ cancel: false });
  });

  it('offers a pairing link handed over by a second instance, to the app page only', () => {
    const contents = fake.windows[0]!.webContents;
    const link = 'enclave://pair?server=https%3A%2F%2Fenclave.example.com&code=ABCD-EFGH';
    fake.electron.app.emit('second-instance', {}, ['/opt/Enclave/enclave', '--flag', link], '/');
    const offered: unknown = {
      kind: 'unpaired',
      link: { serverUrl: 'https://enclave.example.com', code: 'ABCD-EFGH' },
    };
    expect(contents.sent.at(-1)).toEqual(['app:state', offered]);

    contents.mainFrame = { url: 'https://evil.example/', parent: null };
    const before = contents.sent.length;
    fake.electron.app.emit('second-instance', {}, [link], '/');
    expect(contents.sent).toHaveLength(before);
    contents.mainFrame = { url: APP_PAGE, parent: null };
  });

  it('does not register itself for enclave:// links when unpackaged', () => {
    expect(fake.calls.defaultProtocolClients).toEqual([]);
  });

  it('stops the core before quitting', async () => {
    const preventDefault = vi.fn();
    fake.electron.app.emit('before-quit', { preventDefault });
    expect(preventDefault).toHaveBeenCalled();
    await vi.waitFor(() => {
      expect(fake.calls.quit).toBe(1);
    });
    const again = vi.fn();
    fake.electron.app.emit('before-quit', { preventDefault: again });
    expect(again).not.toHaveBeenCalled();
  });
});

describe('out/main.cjs, a second instance', () => {
  it('quits at once, leaving its arguments to the first instance', () => {
    const fake = fakeElectron(join(work, 'second'), { singleInstance: false });
    loadMain(fake.electron);
    expect(fake.calls.quit).toBe(1);
    expect(fake.calls.invokeHandlers.size).toBe(0);
    expect(fake.electron.app.listenerCount('second-instance')).toBe(0);
  });
});

describe('out/main.cjs, paired with a real server', () => {
  it('fills its replica on the worker thread it starts from beside itself (out/fill-worker.cjs)', async () => {
    // In the bundle the worker can only be out/fill-worker.cjs: it has no TypeScript to fall back on.
    const t = await startTestServer();
    const fake = fakeElectron(join(work, 'paired'), { singleInstance: true });
    const trusted = { senderFrame: { url: APP_PAGE, parent: null }, sender: new FakeContents() };
    const invoke = async (channel: string, request: unknown) => {
      const answer = (await fake.calls.invokeHandlers.get(channel)?.(trusted, request)) as {
        ok: boolean;
        value?: unknown;
        error?: unknown;
      };
      expect(answer.ok, JSON.stringify(answer.error)).toBe(true);
      return answer.value;
    };
    try {
      const owner = await createUser(t, { name: 'Bundle Owner' });
      const workspaceId = await createWorkspace(owner, 'Bundle');
      for (let i = 0; i < 5; i++) {
        const res = await owner.post(`/api/v1/workspaces/${workspaceId}/records`, {
          type: 'client',
          data: { name: `Client ${String(i)}`, status: 'lead' },
        });
        expect(res.status, res.text).toBe(201);
      }
      const { code } = await createPairing(owner, workspaceId);
      mkdirSync(join(work, 'paired'));
      loadMain(fake.electron);
      fake.ready();
      await vi.waitFor(async () => {
        expect(((await invoke('app:state', {})) as { kind: string }).kind).toBe('unpaired');
      });
      await invoke('pairing:pair', { serverUrl: t.url, code, deviceName: 'Bundle laptop' });
      await vi.waitFor(async () => {
        expect(((await invoke('sync:status', {})) as { status: string }).status).toBe('online');
      });
      expect(await invoke('replica:fill', {})).toEqual({ filled: true, documents: 5 });
    } finally {
      fake.electron.app.emit('before-quit', { preventDefault: () => undefined });
      await vi.waitFor(() => {
        expect(fake.calls.quit).toBe(1);
      });
      await t.close();
    }
  }, 30_000);
});
