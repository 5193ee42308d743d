import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeviceCredential } from '../sync/credential';
import type { KeychainProblem } from './keychain-error';
import type { ChildOutcome } from './test-support/keychain-child';
import {
  expectPrivateSecretService,
  secretsOf,
  testCredential,
  uniqueService,
} from './test-support/fixtures';
import {
  startSecretService,
  startSessionBus,
  type SecretService,
  type SessionBus,
} from './test-support/secret-service';

const CHILD = join(import.meta.dirname, 'test-support/keychain-child.ts');
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** Makes `import('keytar')` fail as a missing or wrongly built native module does. */
const WITHOUT_KEYTAR = `data:text/javascript,${encodeURIComponent(
  `import { register } from 'node:module';
   register(${JSON.stringify(
     `data:text/javascript,${encodeURIComponent(
       `export async function resolve(specifier, context, next) {
          if (specifier === 'keytar') {
            throw Object.assign(new Error("Cannot find module 'keytar'"), { code: 'ERR_MODULE_NOT_FOUND' });
          }
          return next(specifier, context);
        }`,
     )}`,
   )});`,
)}`;

interface ChildRun {
  outcomes: ChildOutcome[];
  /** Everything the child printed. */
  output: string;
  /** Every file under the child's HOME, TMPDIR, XDG directories and working directory. */
  files: string[];
  /** Files there that contain a secret. */
  filesWithSecrets: string[];
}

/**
 * Runs the keychain child in a sandbox: HOME, the XDG directories, TMPDIR and the working
 * directory are all in one fresh directory, so any fallback that wrote to disk would land there.
 * Only the D-Bus address (or its absence) comes from the test; no DISPLAY, so GLib cannot
 * autolaunch a bus through X11 either.
 */
async function runChild(
  dbus: { DBUS_SESSION_BUS_ADDRESS?: string },
  credential: DeviceCredential,
  nodeOptions: string[] = [],
): Promise<ChildRun> {
  const sandbox = mkdtempSync(join(tmpdir(), 'enclave-keychain-child-'));
  try {
    const dirs = ['home', 'tmp', 'cwd', 'runtime', 'home/.local/share', 'home/.config', 'home/.cache'];
    for (const dir of dirs) mkdirSync(join(sandbox, dir), { recursive: true, mode: 0o700 });
    const child = spawn(process.execPath, ['--import', TSX, ...nodeOptions, CHILD], {
      cwd: join(sandbox, 'cwd'),
      env: {
        PATH: process.env.PATH ?? '',
        HOME: join(sandbox, 'home'),
        XDG_DATA_HOME: join(sandbox, 'home/.local/share'),
        XDG_CONFIG_HOME: join(sandbox, 'home/.config'),
        XDG_CACHE_HOME: join(sandbox, 'home/.cache'),
        XDG_RUNTIME_DIR: join(sandbox, 'runtime'),
        TMPDIR: join(sandbox, 'tmp'),
        // tsx would otherwise cache its compiled files in TMPDIR, which is watched here.
        TSX_DISABLE_CACHE: '1',
        // GLib's messages pick the problem's wording; untranslated, the expectations hold.
        LC_ALL: 'C',
        ...dbus,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const service = uniqueService();
    child.stdin.end(JSON.stringify({ service, credential }));
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    expect(code, stderr).toBe(0);

    const secrets = secretsOf(credential);
    const files = listFiles(sandbox).filter((file) => !/^home\/\.dbus\//.test(file));
    return {
      outcomes: stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as ChildOutcome),
      output: stdout + stderr,
      files,
      filesWithSecrets: filesContaining(sandbox, secrets),
    };
  } finally {
    rmSync(sandbox, { recursive: true, force: true });
  }
}

function listFiles(root: string): string[] {
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((entry) => !entry.isDirectory())
    .map((entry) => relative(root, join(entry.parentPath, entry.name)));
}

function filesContaining(root: string, needles: string[]): string[] {
  return listFiles(root).filter((file) => {
    const text = readFileSync(join(root, file)).toString('latin1');
    return needles.some((needle) => text.includes(needle));
  });
}

interface Scenario {
  name: string;
  problem: KeychainProblem;
  env: () => { DBUS_SESSION_BUS_ADDRESS?: string };
  nodeOptions?: string[];
  /** Operations that answer "nothing there" instead of failing (see the locked keyring). */
  readsAsEmpty?: ChildOutcome['op'][];
}

describe.skipIf(process.platform !== 'linux')('an unusable keychain', () => {
  let bareBusDir: string;
  let bareBus: SessionBus;
  let locked: SecretService;
  let privateBus: string;

  beforeAll(async () => {
    privateBus = expectPrivateSecretService().busAddress;
    bareBusDir = mkdtempSync(join(tmpdir(), 'enclave-bare-bus-'));
    [bareBus, locked] = await Promise.all([startSessionBus(bareBusDir), startSecretService()]);
    await locked.lock();
  });
  afterAll(async () => {
    await Promise.all([bareBus.stop(), locked.stop()]);
    rmSync(bareBusDir, { recursive: true, force: true });
  });

  const scenarios: Scenario[] = [
    {
      name: 'a session bus with no Secret Service on it',
      problem: 'no-provider',
      env: () => ({ DBUS_SESSION_BUS_ADDRESS: bareBus.address }),
    },
    {
      name: 'a session bus address with nothing listening',
      problem: 'no-session-bus',
      env: () => ({ DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(bareBusDir, 'nobody-here')}` }),
    },
    {
      name: 'no session bus at all (DBUS_SESSION_BUS_ADDRESS unset, no X11)',
      problem: 'no-session-bus',
      env: () => ({}),
    },
    {
      // libsecret answers reads and deletes in a locked collection with "nothing there": only
      // writes fail, which is why probe() writes and wipe() probes.
      name: 'a locked keyring',
      problem: 'locked',
      env: () => ({ DBUS_SESSION_BUS_ADDRESS: locked.busAddress }),
      readsAsEmpty: ['load', 'loadReplicaKey'],
    },
    {
      // On a working Secret Service: only the native module is missing, and importing the
      // keychain module must not be what fails.
      name: "keytar's native module cannot be loaded",
      problem: 'module-missing',
      env: () => ({ DBUS_SESSION_BUS_ADDRESS: privateBus }),
      nodeOptions: ['--import', WITHOUT_KEYTAR],
    },
  ];

  it.each(scenarios)(
    '$name: every operation fails with KeychainUnavailableError, nothing falls back to disk, no secret shows',
    async (scenario) => {
      const credential = testCredential();
      const run = await runChild(scenario.env(), credential, scenario.nodeOptions);

      expect(run.outcomes.map((outcome) => outcome.op)).toEqual([
        'probe',
        'save',
        'load',
        'createReplicaKey',
        'loadReplicaKey',
        'wipe',
      ]);
      for (const outcome of run.outcomes) {
        if (scenario.readsAsEmpty?.includes(outcome.op)) {
          expect(outcome).toEqual({ op: outcome.op, returned: 'null' });
          continue;
        }
        expect(outcome.error, `${outcome.op} did not fail`).toBeDefined();
        expect(outcome.error).toMatchObject({
          name: 'KeychainUnavailableError',
          unavailable: true,
          problem: scenario.problem,
        });
        expect(outcome.error?.message).toMatch(/keychain/);
      }
      for (const secret of secretsOf(credential)) expect(run.output).not.toContain(secret);
      expect(run.files).toEqual([]);
      expect(run.filesWithSecrets).toEqual([]);
      if (scenario.problem === 'locked') {
        expect(filesContaining(locked.dataDir, secretsOf(credential))).toEqual([]);
      }
    },
  );
});
