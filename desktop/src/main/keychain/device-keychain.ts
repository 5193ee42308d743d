import { createPrivateKey, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { IsoDateTime, Uuid } from '@enclave/shared';
import type { CredentialStore, DeviceCredential } from '../sync/credential';
import { KeychainUnavailableError } from './keychain-error';
import type { SecretStore } from './secret-store';

/**
 * Every keychain entry the app makes, in one place: `wipe()` deletes exactly these, so an entry
 * added here cannot be forgotten by unpair or remote wipe.
 */
export const KEYCHAIN_ACCOUNTS = {
  credential: 'device-credential',
  replicaKey: 'replica-key',
  /** Written and deleted by `probe()`; listed so that one left behind by a crash is wiped too. */
  probe: 'keychain-probe',
} as const;

export const REPLICA_KEY_BYTES = 32;

/** What a keychain entry held: a malformed one is reported, never thrown, so the app can explain it. */
export type KeychainRead<T> =
  | { state: 'present'; value: T }
  | { state: 'absent' }
  /** `problems` name fields and rules only, never a stored value (the entry holds secrets). */
  | { state: 'malformed'; problems: string[] };

const Ed25519PrivateKeyPem = z.string().refine(isEd25519PrivateKey, 'is not an Ed25519 private key in PEM');

const DeviceCredentialSchema = z.object({
  serverUrl: z.url({ protocol: /^https?$/ }),
  workspaceId: Uuid,
  workspaceName: z.string(),
  deviceId: Uuid,
  privateKey: Ed25519PrivateKeyPem,
  accessToken: z.string().min(1),
  accessTokenExpiresAt: IsoDateTime,
}) satisfies z.ZodType<DeviceCredential>;

/**
 * The stored form. The version lets a later format be told apart from a damaged entry; unknown
 * fields of the credential are dropped rather than refused, so an entry written by a newer build
 * of the same format still reads.
 */
const STORED_CREDENTIAL_VERSION = 1;
const StoredCredential = z.object({
  v: z.literal(STORED_CREDENTIAL_VERSION),
  credential: DeviceCredentialSchema,
});

const REPLICA_KEY_HEX = /^[0-9a-f]{64}$/;

/**
 * The device's secrets in the OS keychain: its credential (device key and access token) and the
 * key of the local encrypted replica. Nothing here writes a secret anywhere else, and no error it
 * throws names one.
 */
export class DeviceKeychain {
  /** The `CredentialStore` the sync client takes; `load` answers null for an absent or malformed entry. */
  readonly credentials: CredentialStore;
  private probing: Promise<void> | null = null;

  constructor(private readonly secrets: SecretStore) {
    this.credentials = {
      load: async () => {
        const read = await this.readCredential();
        return read.state === 'present' ? read.value : null;
      },
      save: (credential) => this.saveCredential(credential),
      clear: () => this.remove([KEYCHAIN_ACCOUNTS.credential]),
    };
  }

  /**
   * Writes, reads back and deletes a probe entry: throws `KeychainUnavailableError` if the
   * keychain cannot be used. Call it before pairing, and at start before taking a null from
   * `credentials.load()` as "not paired": a locked Secret Service collection answers reads and
   * deletes with "nothing there", and only a write tells.
   */
  probe(): Promise<void> {
    // Probes running at once share one: each deleting the single probe entry under the other's
    // read-back would report a keychain that works as one that does not keep entries.
    this.probing ??= this.probeNow().finally(() => {
      this.probing = null;
    });
    return this.probing;
  }

  private async probeNow(): Promise<void> {
    const account = KEYCHAIN_ACCOUNTS.probe;
    await this.setVerified(account, randomBytes(16).toString('hex'));
    await this.secrets.delete(account);
  }

  /** The stored credential, or why there is none that can be used. */
  async readCredential(): Promise<KeychainRead<DeviceCredential>> {
    const stored = await this.secrets.get(KEYCHAIN_ACCOUNTS.credential);
    if (stored === null) return { state: 'absent' };
    let json: unknown;
    try {
      json = JSON.parse(stored);
    } catch {
      // Not the SyntaxError's text: V8 quotes the start of the input in it.
      return { state: 'malformed', problems: ['the entry is not JSON'] };
    }
    if (typeof json === 'object' && json !== null && 'v' in json && json.v !== STORED_CREDENTIAL_VERSION) {
      return {
        state: 'malformed',
        problems: ['the entry is in a format this version of Enclave does not read'],
      };
    }
    const parsed = StoredCredential.safeParse(json);
    if (!parsed.success) return { state: 'malformed', problems: problemsOf(parsed.error) };
    return { state: 'present', value: parsed.data.credential };
  }

  /** The replica key, or null when there is none or the entry is not a 32-byte key. */
  async loadReplicaKey(): Promise<Buffer | null> {
    const read = await this.readReplicaKey();
    return read.state === 'present' ? read.value : null;
  }

  async readReplicaKey(): Promise<KeychainRead<Buffer>> {
    const stored = await this.secrets.get(KEYCHAIN_ACCOUNTS.replicaKey);
    if (stored === null) return { state: 'absent' };
    if (!REPLICA_KEY_HEX.test(stored)) {
      return {
        state: 'malformed',
        problems: [`the entry is not ${REPLICA_KEY_BYTES} bytes in lower-case hex`],
      };
    }
    return { state: 'present', value: Buffer.from(stored, 'hex') };
  }

  /**
   * A new random 256-bit replica key, stored and returned. It replaces any key already there, and
   * with it access to the replica that key encrypted: call it when `loadReplicaKey()` gave null.
   */
  async createReplicaKey(): Promise<Buffer> {
    const key = randomBytes(REPLICA_KEY_BYTES);
    await this.setVerified(KEYCHAIN_ACCOUNTS.replicaKey, key.toString('hex'));
    return key;
  }

  /**
   * Deletes every entry this app made (credential, replica key); used by unpair and remote wipe.
   * The replica key goes first: without it the replica on disk is unreadable, whatever happens next.
   */
  async wipe(): Promise<void> {
    await this.remove([KEYCHAIN_ACCOUNTS.replicaKey, KEYCHAIN_ACCOUNTS.credential, KEYCHAIN_ACCOUNTS.probe]);
  }

  private async saveCredential(credential: DeviceCredential): Promise<void> {
    // Checked on the way in too, so that nothing is stored that `load` would then call malformed.
    const parsed = DeviceCredentialSchema.safeParse(credential);
    if (!parsed.success) {
      throw new TypeError(`The device credential is not valid: ${problemsOf(parsed.error).join('; ')}`);
    }
    const stored = JSON.stringify({ v: STORED_CREDENTIAL_VERSION, credential: parsed.data });
    await this.setVerified(KEYCHAIN_ACCOUNTS.credential, stored);
  }

  /**
   * Stores and reads back. A Secret Service whose unlock prompt was dismissed may report success
   * without storing anything; a credential or replica key that was never kept would only show at
   * the next start, as an unpaired device or an unreadable replica.
   */
  private async setVerified(account: string, value: string): Promise<void> {
    await this.secrets.set(account, value);
    if ((await this.secrets.get(account)) !== value) throw new KeychainUnavailableError('not-kept');
  }

  /**
   * Deletes the entries, and throws if the keychain cannot be used. Deleting alone would not tell:
   * a locked Secret Service collection answers a delete with "there was no entry". The probe comes
   * first because on a desktop its write brings up the unlock prompt, after which the deletes work;
   * the deletes are tried even when it fails, in case they can still do some good.
   */
  private async remove(accounts: readonly string[]): Promise<void> {
    let failure: Error | null = null;
    try {
      await this.probe();
    } catch (error) {
      failure = asError(error);
    }
    for (const account of accounts) {
      try {
        await this.secrets.delete(account);
      } catch (error) {
        failure ??= asError(error);
      }
    }
    if (failure !== null) throw failure;
  }
}

function asError(thrown: unknown): Error {
  return thrown instanceof Error ? thrown : new Error('The keychain failed', { cause: thrown });
}

function isEd25519PrivateKey(pem: string): boolean {
  try {
    return createPrivateKey(pem).asymmetricKeyType === 'ed25519';
  } catch {
    return false;
  }
}

/** Field paths and rule names, never the input: zod's messages are safe today, this stays safe. */
function problemsOf(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const path = issue.path.length === 0 ? 'the entry' : issue.path.map(String).join('.');
    return `${path}: ${issue.code === 'custom' ? issue.message : issue.code.replaceAll('_', ' ')}`;
  });
}
