import { KeychainUnavailableError, problemOf } from './keychain-error';

/** The few operations the app needs of a keychain; keytar in the app, an in-memory one for unit tests only. */
export interface SecretStore {
  get(account: string): Promise<string | null>;
  set(account: string, secret: string): Promise<void>;
  /** True if there was an entry. */
  delete(account: string): Promise<boolean>;
}

export const DEFAULT_SERVICE = 'Enclave';

/**
 * The largest secret, in UTF-8 bytes, every platform keeps: Windows Credential Manager refuses a
 * blob above CRED_MAX_CREDENTIAL_BLOB_SIZE (5 × 512) with an unhelpful "The parameter is
 * incorrect", so the limit is checked everywhere and a too-large entry fails in tests on Linux too.
 */
export const MAX_SECRET_BYTES = 2560;

/**
 * Refuses what a keychain would mangle or refuse for reasons that are not the keychain's fault;
 * the errors name the account, never the secret.
 */
function checkEntry(account: string, secret?: string): void {
  if (account.length === 0) throw new TypeError('A keychain account name is required');
  if (secret === undefined) return;
  // keytar refuses an empty password, and an empty entry would read back as "nothing stored".
  if (secret.length === 0) throw new TypeError(`The keychain entry ${account} cannot be empty`);
  // keytar hands libsecret a C string: everything after a NUL would be dropped without a word.
  if (secret.includes('\0'))
    throw new TypeError(`The keychain entry ${account} cannot contain a NUL character`);
  const bytes = Buffer.byteLength(secret, 'utf8');
  if (bytes > MAX_SECRET_BYTES) {
    throw new RangeError(
      `The keychain entry ${account} is ${bytes} bytes; a keychain entry holds at most ${MAX_SECRET_BYTES}`,
    );
  }
}

type Keytar = Pick<typeof import('keytar'), 'getPassword' | 'setPassword' | 'deletePassword'>;

let loadingKeytar: Promise<Keytar> | undefined;

/**
 * keytar is a native module: a build for another Node/Electron ABI, or a system without libsecret,
 * fails when it is loaded. Loading it on first use (not at import) turns that into a
 * `KeychainUnavailableError` the app can show, instead of a crash before any window opens.
 */
function loadKeytar(): Promise<Keytar> {
  loadingKeytar ??= import('keytar').then(
    // keytar is CommonJS: its functions are on the default export (named ones depend on the loader).
    (module: { default?: Keytar } & Partial<Keytar>) => module.default ?? (module as Keytar),
    (error: unknown) => {
      throw new KeychainUnavailableError('module-missing', { cause: error });
    },
  );
  return loadingKeytar;
}

/** Runs one keytar call; a rejection is the OS keychain failing, reported as `KeychainUnavailableError`. */
async function keychainCall<T>(call: (keytar: Keytar) => Promise<T>): Promise<T> {
  const keytar = await loadKeytar();
  // Started outside the try: a synchronous throw is keytar refusing its arguments (checkEntry
  // should make that impossible), a bug of ours that must not pass for an unavailable keychain.
  const pending = call(keytar);
  try {
    return await pending;
  } catch (error) {
    throw new KeychainUnavailableError(problemOf(error), { cause: error });
  }
}

/** keytar under `service` (default 'Enclave'); loads keytar lazily so a missing native module is reported, not thrown at import. */
export function keytarSecretStore(service: string = DEFAULT_SERVICE): SecretStore {
  if (service.length === 0) throw new TypeError('A keychain service name is required');
  return {
    async get(account) {
      checkEntry(account);
      return keychainCall((keytar) => keytar.getPassword(service, account));
    },
    async set(account, secret) {
      checkEntry(account, secret);
      await keychainCall((keytar) => keytar.setPassword(service, account, secret));
    },
    async delete(account) {
      checkEntry(account);
      return keychainCall((keytar) => keytar.deletePassword(service, account));
    },
  };
}

/**
 * For unit tests only: keeps secrets in this process's memory, which is exactly what the app must
 * never do with them. It applies the same entry checks as the keytar store so that code tested
 * against it meets the same refusals; the keytar store itself is tested against a real Secret
 * Service, never through this.
 */
export class MemorySecretStore implements SecretStore {
  private readonly entries = new Map<string, string>();

  async get(account: string): Promise<string | null> {
    checkEntry(account);
    return this.entries.get(account) ?? null;
  }

  async set(account: string, secret: string): Promise<void> {
    checkEntry(account, secret);
    this.entries.set(account, secret);
  }

  async delete(account: string): Promise<boolean> {
    checkEntry(account);
    return this.entries.delete(account);
  }
}
