import { fork, type ChildProcess } from 'node:child_process';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { BrowserContext, Frame, Page } from '@playwright/test';
import { RENDERER_CSP } from '../../../desktop/src/common/csp';
import type { CoreProcessConfig, FrameInfo, FromCore, ToCore } from './harness-protocol';

const here = fileURLToPath(new URL('.', import.meta.url));
export const RENDERER_DIR = fileURLToPath(new URL('../../../desktop/out/renderer', import.meta.url));

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

let pageBridge: Promise<string> | null = null;

/** The preload's bridge (`desktop/src/preload/bridge.ts`) bundled for the page, over the harness transport. */
function pageBridgeScript(): Promise<string> {
  pageBridge ??= build({
    entryPoints: [join(here, 'page-bridge.ts')],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'chrome120',
    write: false,
    logLevel: 'silent',
  }).then((result) => {
    const [output] = result.outputFiles;
    if (!output) throw new Error('the page bridge did not build');
    return output.text;
  });
  return pageBridge;
}

/**
 * Serves the built renderer as Electron's app protocol does: files of the build folder only,
 * with the app's CSP.
 */
async function serveRenderer(): Promise<{ server: Server; url: string }> {
  if (!existsSync(join(RENDERER_DIR, 'index.html'))) {
    throw new Error(`the renderer is not built (${RENDERER_DIR}): run npm run build:desktop`);
  }
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const file = normalize(join(RENDERER_DIR, path === '/' ? 'index.html' : path));
    if (!file.startsWith(RENDERER_DIR + sep) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, {
      'Content-Type': MIME[extname(file)] ?? 'application/octet-stream',
      'Content-Security-Policy': RENDERER_CSP,
      'X-Content-Type-Options': 'nosniff',
    });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { server, url: `http://127.0.0.1:${String(address.port)}` };
}

export interface HarnessOptions {
  dataDir: string;
  keychainService: string;
  /** Extra environment for the core's process (e.g. another D-Bus session bus). */
  env?: Record<string, string>;
}

/**
 * The desktop app without Electron: the built renderer in Chromium, and the app's real main core
 * in its own Node process, joined by the preload's bridge code over a relay that plays Electron's
 * IPC. `restart()` ends the core's process and starts a new one on the same data and keychain, as
 * quitting and reopening the app would.
 */
export class DesktopHarness {
  private core: ChildProcess | null = null;
  private page: Page | null = null;
  private nextId = 0;
  private readonly pending = new Map<number, (message: FromCore) => void>();
  private delivery: Promise<unknown> = Promise.resolve();
  private outbox: [string, unknown][] = [];
  readonly coreOutput: string[] = [];

  private constructor(
    private readonly options: HarnessOptions,
    private readonly renderer: { server: Server; url: string },
  ) {}

  static async start(options: HarnessOptions): Promise<DesktopHarness> {
    const harness = new DesktopHarness(options, await serveRenderer());
    await harness.startCore();
    return harness;
  }

  get appUrl(): string {
    return this.renderer.url;
  }

  /** Opens the app's window: a page with the bridge, loading the renderer. */
  async open(context: BrowserContext): Promise<Page> {
    const page = await context.newPage();
    this.page = page;
    await page.exposeBinding('__enclaveInvoke', (source, channel: string, payload: unknown) =>
      this.invoke(source.frame, channel, payload),
    );
    await page.exposeBinding('__enclavePost', (source, channel: string, message: unknown) => {
      this.toCore({ type: 'post', channel, message, frame: frameInfo(source.frame) });
    });
    await page.addInitScript({ content: await pageBridgeScript() });
    page.on('close', () => {
      if (this.page === page) this.page = null;
      this.toCore({ type: 'destroyed' });
    });
    await page.goto(`${this.appUrl}/index.html`);
    return page;
  }

  /**
   * Quits the core and starts it again on the same data; the page reloads as a restarted app
   * would. `whileStopped` runs in between (e.g. to lose a keychain entry while the app is closed).
   */
  async restart(whileStopped?: () => Promise<void>): Promise<void> {
    await this.stopCore();
    await whileStopped?.();
    await this.startCore();
    await this.page?.reload();
  }

  control(op: Extract<ToCore, { type: 'control' }>['op'], arg?: string): Promise<unknown> {
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      this.pending.set(id, (message) => {
        if (message.type === 'control' && message.error !== undefined) reject(new Error(message.error));
        else resolve(message.type === 'control' ? message.value : null);
      });
      this.toCore({ type: 'control', id, op, arg });
    });
  }

  async close(): Promise<void> {
    await this.stopCore();
    await new Promise<void>((resolve) => this.renderer.server.close(() => resolve()));
  }

  private invoke(frame: Frame, channel: string, payload: unknown): Promise<unknown> {
    const id = ++this.nextId;
    return new Promise((resolve) => {
      this.pending.set(id, (message) => resolve(message.type === 'result' ? message.value : null));
      this.toCore({ type: 'invoke', id, channel, payload, frame: frameInfo(frame) });
    });
  }

  private toCore(message: ToCore): void {
    this.core?.send(message);
  }

  private async startCore(): Promise<void> {
    const config: CoreProcessConfig = {
      dataDir: this.options.dataDir,
      keychainService: this.options.keychainService,
      appUrl: this.appUrl,
      appVersion: '0.1.0',
    };
    const child = fork(join(here, 'core-process.ts'), [], {
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, ...this.options.env, ENCLAVE_HARNESS_CONFIG: JSON.stringify(config) },
      serialization: 'advanced',
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    this.core = child;
    child.stdout?.on('data', (chunk: Buffer) => this.coreOutput.push(chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => this.coreOutput.push(chunk.toString()));
    await new Promise<void>((resolve, reject) => {
      child.once('exit', (code) => {
        reject(new Error(`the core exited (${String(code)}):\n${this.coreOutput.join('')}`));
      });
      child.on('message', (raw) => {
        const message = raw as FromCore;
        if (message.type === 'ready') resolve();
        else this.fromCore(message);
      });
    });
  }

  private async stopCore(): Promise<void> {
    const child = this.core;
    if (child === null || child.exitCode !== null) return;
    await this.control('stop').catch(() => undefined);
    this.core = null;
    child.removeAllListeners('exit');
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill();
    await exited;
  }

  private fromCore(message: FromCore): void {
    if (message.type === 'send') {
      this.deliver(message.channel, message.payload);
      return;
    }
    if (message.type === 'result' || message.type === 'control') {
      this.pending.get(message.id)?.(message);
      this.pending.delete(message.id);
    }
  }

  /** Messages for the page go in order, batched per round trip, as Electron's IPC keeps them in order. */
  private deliver(channel: string, payload: unknown): void {
    this.outbox.push([channel, payload]);
    if (this.outbox.length > 1) return;
    this.delivery = this.delivery.then(async () => {
      const batch = this.outbox;
      this.outbox = [];
      const page = this.page;
      if (page === null || page.isClosed()) return;
      await page
        .evaluate((messages) => {
          for (const [c, p] of messages) window.__enclaveDeliver?.(c, p);
        }, batch)
        .catch(() => undefined);
    });
  }
}

function frameInfo(frame: Frame): FrameInfo {
  return { url: frame.url(), parent: frame.parentFrame() === null ? null : 'frame' };
}
