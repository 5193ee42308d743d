import { isAbsolute } from 'node:path';
import type { DevicePlatform } from '@enclave/shared';
import { parsePairingLink } from '../app/pairing-link';

export interface LaunchOptions {
  /** Where the app keeps its data instead of Electron's userData folder; null: userData. */
  userDataDir: string | null;
  /** `memory`: secrets in memory, for launch tests that must not touch the real keychain. */
  keychain: 'os' | 'memory';
  /** The keychain service the app's entries live under: a test's own, so it never meets the real ones. */
  keychainService: string;
  /** Variables that were set but not honoured (a packaged app), for the log. */
  ignored: string[];
}

/** The variables the launch tests use to run the built app in isolation. */
export const LAUNCH_VARIABLES = [
  'ENCLAVE_USER_DATA_DIR',
  'ENCLAVE_KEYCHAIN',
  'ENCLAVE_KEYCHAIN_SERVICE',
] as const;

/** The keychain service of an installed app's entries. */
export const KEYCHAIN_SERVICE = 'Enclave';

/**
 * Reads the test hooks from the environment. They are honoured only when the app runs unpackaged
 * (from `desktop/out`, as the launch tests do): an installed app never lets its environment move
 * its data or keep its secrets outside the keychain. A set but malformed variable is an error,
 * not a silent fallback to the real folder and keychain.
 */
export function launchOptionsOf(
  env: Readonly<Record<string, string | undefined>>,
  isPackaged: boolean,
): LaunchOptions {
  const set = LAUNCH_VARIABLES.filter((name) => env[name] !== undefined && env[name] !== '');
  if (isPackaged)
    return { userDataDir: null, keychain: 'os', keychainService: KEYCHAIN_SERVICE, ignored: set };

  const dir = env.ENCLAVE_USER_DATA_DIR;
  if (dir !== undefined && dir !== '' && !isAbsolute(dir)) {
    throw new Error('ENCLAVE_USER_DATA_DIR must be an absolute path');
  }
  const keychain = env.ENCLAVE_KEYCHAIN;
  if (keychain !== undefined && keychain !== '' && keychain !== 'os' && keychain !== 'memory') {
    throw new Error('ENCLAVE_KEYCHAIN must be "os" or "memory"');
  }
  const service = env.ENCLAVE_KEYCHAIN_SERVICE;
  if (service !== undefined && service !== '' && !/^Enclave-test-[A-Za-z0-9-]{1,80}$/.test(service)) {
    throw new Error('ENCLAVE_KEYCHAIN_SERVICE must look like Enclave-test-<id>');
  }
  return {
    userDataDir: dir === undefined || dir === '' ? null : dir,
    keychain: keychain === 'memory' ? 'memory' : 'os',
    keychainService: service === undefined || service === '' ? KEYCHAIN_SERVICE : service,
    ignored: [],
  };
}

/** The device platform the server is told about. */
export function devicePlatformOf(platform: string): DevicePlatform {
  switch (platform) {
    case 'win32':
      return 'windows';
    case 'darwin':
      return 'macos';
    case 'linux':
      return 'linux';
    default:
      return 'other';
  }
}

/**
 * The pairing link among a process's arguments, as given. Windows and Linux start the app (or a
 * second instance, which hands its arguments to the first) with `enclave://pair?…` on the command
 * line; Chromium may add switches of its own, so every argument is looked at. Only a well-formed
 * pairing link counts, and it only ever fills in the pairing form.
 */
export function pairingLinkArg(argv: readonly string[]): string | null {
  for (const arg of argv) {
    if (arg.startsWith('enclave:') && parsePairingLink(arg) !== null) return arg;
  }
  return null;
}
