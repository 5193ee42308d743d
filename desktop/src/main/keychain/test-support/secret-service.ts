import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';

/**
 * A private Secret Service for tests: a D-Bus session bus of our own and gnome-keyring-daemon on
 * it, with a fresh login keyring in a temporary directory. Nothing here touches the user's own
 * session bus or keyring. Used by the Vitest global setup (test/setup/secret-service.ts) and by
 * tests that need a second, differently broken one (a bare bus, a locked keyring).
 */

declare module 'vitest' {
  export interface ProvidedContext {
    /** Set by the global setup on Linux: the private bus the test workers' keytar talks to. */
    secretService: { busAddress: string; dataDir: string } | null;
  }
}

/** The Debian packages the keychain tests need, as the message for a machine without them says. */
export const SECRET_SERVICE_PACKAGES = ['gnome-keyring', 'dbus', 'libsecret-1-dev', 'pkg-config'];

const TOOLS: Record<string, string> = {
  'dbus-daemon': 'dbus',
  'dbus-send': 'dbus',
  'gnome-keyring-daemon': 'gnome-keyring',
};

/** Throws, naming the packages to install, when a tool the private Secret Service needs is missing. */
export function requireSecretServiceTools(): void {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter((dir) => dir.length > 0);
  const missing = Object.keys(TOOLS).filter(
    (tool) =>
      !dirs.some((dir) => {
        try {
          accessSync(join(dir, tool), constants.X_OK);
          return true;
        } catch {
          return false;
        }
      }),
  );
  if (missing.length === 0) return;
  throw new Error(
    `The keychain tests run against a real Secret Service and need ${missing.join(', ')} ` +
      `(from the Debian packages ${[...new Set(missing.map((tool) => TOOLS[tool]))].join(', ')}). Install them with:\n` +
      `  apt-get install -y --no-install-recommends ${SECRET_SERVICE_PACKAGES.join(' ')}\n` +
      '(libsecret-1-dev and pkg-config are what keytar compiles against at npm install).',
  );
}

export interface SessionBus {
  /** For DBUS_SESSION_BUS_ADDRESS. */
  address: string;
  stop: () => Promise<void>;
}

/**
 * A session bus with no services to activate: the stock session configuration would start
 * gnome-keyring-daemon (or anything else installed) on demand, with the real user's HOME.
 */
export async function startSessionBus(dir: string): Promise<SessionBus> {
  const config = join(dir, 'bus.conf');
  const services = join(dir, 'no-services');
  mkdirSync(services, { recursive: true });
  writeFileSync(
    config,
    `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=${join(dir, 'bus')}</listen>
  <auth>EXTERNAL</auth>
  <servicedir>${services}</servicedir>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`,
  );
  // --nofork: the daemon stays our child, so it is ours to stop and cannot outlive a crash by much.
  const bus = spawn(
    'dbus-daemon',
    ['--nofork', '--nopidfile', `--config-file=${config}`, '--print-address=1'],
    {
      env: { PATH: process.env.PATH ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const stopBus = track(bus);
  const output = collect(bus);
  try {
    const address = await waitFor(
      () => /^unix:\S+/m.exec(output.stdout())?.[0] ?? null,
      () => (bus.exitCode === null ? null : `dbus-daemon exited: ${output.stderr()}`),
      'the session bus to start',
    );
    return { address, stop: stopBus };
  } catch (error) {
    await stopBus();
    throw error;
  }
}

export interface SecretService {
  busAddress: string;
  /** The daemon's XDG_DATA_HOME: its keyrings are in `keyrings/`. */
  dataDir: string;
  /** Locks the login keyring, as a screen lock or a user might. */
  lock(): Promise<void>;
  /** Item paths of the items whose attributes include all of `attributes`, asked of the daemon over D-Bus. */
  searchItems(attributes: Record<string, string>): Promise<string[]>;
  stop(): Promise<void>;
}

const LOGIN_COLLECTION = '/org/freedesktop/secrets/collection/login';

/**
 * gnome-keyring-daemon with only its `secrets` component, on a private bus, with HOME and the XDG
 * directories in a fresh temporary directory. `--unlock` reads a password on stdin and creates
 * the login keyring with it, unlocked and as the default collection, as a desktop login would.
 */
export async function startSecretService(): Promise<SecretService> {
  requireSecretServiceTools();
  const root = mkdtempSync(join(tmpdir(), 'enclave-secret-service-'));
  const dirs = { home: 'home', data: 'data', config: 'config', cache: 'cache', runtime: 'runtime' };
  for (const dir of Object.values(dirs)) mkdirSync(join(root, dir), { mode: 0o700 });
  const stoppers: (() => Promise<void>)[] = [];
  const stop = async (): Promise<void> => {
    for (const stopOne of stoppers.splice(0).reverse()) await stopOne();
    rmSync(root, { recursive: true, force: true });
  };
  try {
    const bus = await startSessionBus(root);
    stoppers.push(bus.stop);
    const daemon = spawn('gnome-keyring-daemon', ['--foreground', '--components=secrets', '--unlock'], {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: join(root, dirs.home),
        XDG_DATA_HOME: join(root, dirs.data),
        XDG_CONFIG_HOME: join(root, dirs.config),
        XDG_CACHE_HOME: join(root, dirs.cache),
        XDG_RUNTIME_DIR: join(root, dirs.runtime),
        DBUS_SESSION_BUS_ADDRESS: bus.address,
        LC_ALL: 'C',
      },
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    stoppers.push(track(daemon));
    const output = collect(daemon);
    // A daemon that died at once would make this write fail: its exit is what gets reported.
    daemon.stdin?.on('error', () => undefined);
    daemon.stdin?.end('throwaway-test-password');
    const send = (...args: string[]): Promise<string> => dbusSend(bus.address, args);
    await waitForAsync(
      async () => {
        // Ready once the default alias points at the login keyring it made from our password.
        const reply = await send(
          '/org/freedesktop/secrets',
          'org.freedesktop.Secret.Service.ReadAlias',
          'string:default',
        );
        return reply.includes(LOGIN_COLLECTION) ? true : null;
      },
      () => (daemon.exitCode === null ? null : `gnome-keyring-daemon exited: ${output.stderr()}`),
      'gnome-keyring-daemon to provide the Secret Service',
    );
    return {
      busAddress: bus.address,
      dataDir: join(root, dirs.data),
      lock: async () => {
        await send(
          '/org/freedesktop/secrets',
          'org.freedesktop.Secret.Service.Lock',
          `array:objpath:${LOGIN_COLLECTION}`,
        );
      },
      searchItems: (attributes) => searchSecretItems(bus.address, attributes),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * Item paths of the Secret Service items whose attributes include all of `attributes`, asked over
 * D-Bus with dbus-send: a look into the keyring that does not go through keytar or libsecret.
 */
export async function searchSecretItems(
  busAddress: string,
  attributes: Record<string, string>,
): Promise<string[]> {
  const entries = Object.entries(attributes).flat();
  if (entries.some((part) => part.includes(','))) throw new Error('dbus-send cannot pass a comma in a dict');
  const reply = await dbusSend(busAddress, [
    '/org/freedesktop/secrets',
    'org.freedesktop.Secret.Service.SearchItems',
    `dict:string:string:${entries.join(',')}`,
  ]);
  return [...reply.matchAll(/object path "([^"]+)"/g)].map((match) => match[1] ?? '');
}

async function dbusSend(address: string, [path, method, ...args]: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(
    'dbus-send',
    [
      `--bus=${address}`,
      '--print-reply',
      '--dest=org.freedesktop.secrets',
      path ?? '',
      method ?? '',
      ...args,
    ],
    { env: { PATH: process.env.PATH ?? '' }, timeout: 10_000 },
  );
  return stdout;
}

/** Stops the child (and, should the test process exit first, kills it on the way out). */
function track(child: ChildProcess): () => Promise<void> {
  const onExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', onExit);
  return async () => {
    process.off('exit', onExit);
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
}

function collect(child: ChildProcess): { stdout(): string; stderr(): string } {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return { stdout: () => stdout, stderr: () => stderr };
}

const WAIT_MS = 15_000;

async function waitFor<T>(read: () => T | null, failed: () => string | null, what: string): Promise<T> {
  return waitForAsync(async () => read(), failed, what);
}

async function waitForAsync<T>(
  read: () => Promise<T | null>,
  failed: () => string | null,
  what: string,
): Promise<T> {
  const until = Date.now() + WAIT_MS;
  let lastError: unknown = null;
  for (;;) {
    try {
      const value = await read();
      if (value !== null) return value;
    } catch (error) {
      lastError = error;
    }
    const failure = failed();
    if (failure !== null) throw new Error(`Waiting for ${what}: ${failure}`);
    if (Date.now() > until) {
      throw new Error(`Timed out waiting for ${what}`, lastError === null ? undefined : { cause: lastError });
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
