import { inspect } from 'node:util';
import keytar from 'keytar';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DeviceKeychain, KEYCHAIN_ACCOUNTS, REPLICA_KEY_BYTES } from './device-keychain';
import { KeychainUnavailableError } from './keychain-error';
import { keytarSecretStore, MAX_SECRET_BYTES, MemorySecretStore } from './secret-store';
import {
  deleteService,
  expectPrivateSecretService,
  secretsOf,
  testCredential,
  uniqueService,
} from './test-support/fixtures';
import { searchSecretItems } from './test-support/secret-service';

// Against the real Secret Service of the global setup. Other platforms' keychains would be the
// real user's, so these run on Linux only (where CI runs them).
describe.skipIf(process.platform !== 'linux')('DeviceKeychain over keytar and a real Secret Service', () => {
  let busAddress: string;
  let service: string;
  let keychain: DeviceKeychain;
  const others: string[] = [];

  beforeAll(() => {
    ({ busAddress } = expectPrivateSecretService());
  });
  beforeEach(() => {
    service = uniqueService();
    keychain = new DeviceKeychain(keytarSecretStore(service));
  });
  afterEach(async () => {
    for (const name of [service, ...others.splice(0)]) await deleteService(name);
  });

  it('probes by writing, reading back and deleting, and leaves nothing behind', async () => {
    await keychain.probe();
    expect(await keytar.findCredentials(service)).toEqual([]);
  });

  it('answers probes made at the same time alike', async () => {
    await Promise.all([keychain.probe(), keychain.probe(), keychain.wipe(), keychain.probe()]);
    expect(await keytar.findCredentials(service)).toEqual([]);
  });

  it('saves, loads and clears the device credential', async () => {
    const credential = testCredential();
    await keychain.credentials.save(credential);
    expect(await keychain.credentials.load()).toEqual(credential);
    expect(await new DeviceKeychain(keytarSecretStore(service)).readCredential()).toEqual({
      state: 'present',
      value: credential,
    });

    // A renewed token replaces the entry: one credential, the latest.
    const renewed = {
      ...credential,
      accessToken: 'eyJ.renewed',
      accessTokenExpiresAt: new Date().toISOString(),
    };
    await keychain.credentials.save(renewed);
    expect(await keychain.credentials.load()).toEqual(renewed);
    const entries = await keytar.findCredentials(service);
    expect(entries.map((entry) => entry.account)).toEqual([KEYCHAIN_ACCOUNTS.credential]);
    expect(JSON.parse(entries[0]?.password ?? '')).toEqual({ v: 1, credential: renewed });

    await keychain.credentials.clear();
    expect(await keychain.credentials.load()).toBeNull();
    expect(await keytar.findCredentials(service)).toEqual([]);
  });

  it('creates a random 32-byte replica key that is in the keyring, and survives a new store', async () => {
    const key = await keychain.createReplicaKey();
    expect(key).toHaveLength(REPLICA_KEY_BYTES);

    const reopened = new DeviceKeychain(keytarSecretStore(service));
    expect(await reopened.loadReplicaKey()).toEqual(key);
    expect(await keytar.findCredentials(service)).toEqual([
      { account: KEYCHAIN_ACCOUNTS.replicaKey, password: key.toString('hex') },
    ]);
    // Asked of gnome-keyring over D-Bus, past keytar and libsecret: one item with our attributes.
    expect(
      await searchSecretItems(busAddress, { service, account: KEYCHAIN_ACCOUNTS.replicaKey }),
    ).toHaveLength(1);

    // A second key replaces the first, and is not the same bytes.
    const second = await reopened.createReplicaKey();
    expect(second.equals(key)).toBe(false);
    expect(await keychain.loadReplicaKey()).toEqual(second);
  });

  it("wipes every entry of its own, a probe's leftover included, and no other service's", async () => {
    const other = uniqueService();
    others.push(other);
    await keytar.setPassword(other, KEYCHAIN_ACCOUNTS.credential, 'another app’s secret');
    await keychain.credentials.save(testCredential());
    await keychain.createReplicaKey();
    // What a crash between the probe's write and its delete would leave.
    await keytar.setPassword(service, KEYCHAIN_ACCOUNTS.probe, 'left over');
    expect(await keytar.findCredentials(service)).toHaveLength(3);

    await keychain.wipe();
    expect(await keytar.findCredentials(service)).toEqual([]);
    expect(await searchSecretItems(busAddress, { service })).toEqual([]);
    expect(await keychain.credentials.load()).toBeNull();
    expect(await keychain.loadReplicaKey()).toBeNull();
    expect(await keytar.findCredentials(other)).toEqual([
      { account: KEYCHAIN_ACCOUNTS.credential, password: 'another app’s secret' },
    ]);

    await keychain.wipe(); // nothing left to delete is not an error
  });

  it('reads a malformed credential as absent, says why, and never quotes it', async () => {
    const credential = testCredential();
    const [token] = secretsOf(credential);
    const malformed: [string, RegExp][] = [
      [`{"v":1,"credential":{"accessToken":"${token}"`, /not JSON/],
      [JSON.stringify({ v: 2, credential }), /format/],
      [JSON.stringify(credential), /^v: invalid value$/],
      [
        JSON.stringify({ v: 1, credential: { ...credential, privateKey: `${token}` } }),
        /privateKey: is not an Ed25519/,
      ],
      [
        JSON.stringify({ v: 1, credential: { ...credential, deviceId: token } }),
        /credential\.deviceId: invalid format/,
      ],
      [JSON.stringify({ v: 1, credential: { ...credential, serverUrl: `ftp://${token}` } }), /serverUrl/],
    ];
    for (const [stored, problem] of malformed) {
      await keytar.setPassword(service, KEYCHAIN_ACCOUNTS.credential, stored);
      const read = await keychain.readCredential();
      expect(read.state).toBe('malformed');
      const problems = read.state === 'malformed' ? read.problems : [];
      expect(
        problems.some((text) => problem.test(text)),
        `${problems.join('; ')} ~ ${String(problem)}`,
      ).toBe(true);
      expect(problems.join('\n')).not.toContain(token);
      expect(await keychain.credentials.load()).toBeNull();
    }
  });

  it('reads a malformed replica key as absent', async () => {
    const key = Buffer.alloc(REPLICA_KEY_BYTES, 0xab);
    for (const stored of [
      key.subarray(1).toString('hex'), // 31 bytes
      Buffer.concat([key, key.subarray(0, 1)]).toString('hex'), // 33 bytes
      key.toString('base64'),
      'zz'.repeat(REPLICA_KEY_BYTES),
      ` ${key.toString('hex')}`,
    ]) {
      await keytar.setPassword(service, KEYCHAIN_ACCOUNTS.replicaKey, stored);
      expect(await keychain.loadReplicaKey()).toBeNull();
      expect((await keychain.readReplicaKey()).state).toBe('malformed');
    }
    await keytar.setPassword(service, KEYCHAIN_ACCOUNTS.replicaKey, key.toString('hex'));
    expect(await keychain.loadReplicaKey()).toEqual(key);
  });

  it('refuses to save an invalid or oversized credential with an error that names no secret', async () => {
    const credential = testCredential();
    const attempts = [
      // Wrong in several fields at once, each holding a secret.
      { ...credential, serverUrl: `ftp://${credential.accessToken}`, privateKey: credential.accessToken },
      // Valid, but beyond what Windows' Credential Manager keeps.
      { ...credential, workspaceName: 'W'.repeat(MAX_SECRET_BYTES) },
    ];
    for (const attempt of attempts) {
      const error = await keychain.credentials.save(attempt).catch((thrown: unknown) => thrown);
      expect(error).toBeInstanceOf(Error);
      const shown = `${inspect(error, { depth: 10 })}\n${JSON.stringify(error)}`;
      for (const secret of secretsOf(credential)) expect(shown).not.toContain(secret);
    }
    expect(await keytar.findCredentials(service)).toEqual([]);
  });
});

// The keychain's own logic where the real Secret Service cannot be made to misbehave on demand:
// stores built on MemorySecretStore (these stand in for a keychain, not for keytar).
describe('DeviceKeychain when the keychain misbehaves', () => {
  /** Says yes to every write and keeps nothing, like a Secret Service whose unlock prompt was dismissed. */
  class ForgetfulStore extends MemorySecretStore {
    override async set(account: string, secret: string): Promise<void> {
      await super.set(account, secret);
      await super.delete(account);
    }
  }

  /** Reads and deletes, but refuses every write. */
  class ReadOnlyStore extends MemorySecretStore {
    override async set(): Promise<void> {
      throw new KeychainUnavailableError('locked');
    }
    seed(account: string, secret: string): Promise<void> {
      return super.set(account, secret);
    }
  }

  it('reports a write the keychain did not keep, instead of losing the credential or replica key later', async () => {
    const keychain = new DeviceKeychain(new ForgetfulStore());
    for (const attempt of [
      () => keychain.probe(),
      () => keychain.credentials.save(testCredential()),
      () => keychain.createReplicaKey(),
    ]) {
      await expect(attempt()).rejects.toMatchObject({
        name: 'KeychainUnavailableError',
        problem: 'not-kept',
      });
    }
  });

  it('still deletes what it can when wiping a keychain that refuses writes, and says it failed', async () => {
    const store = new ReadOnlyStore();
    await store.seed(KEYCHAIN_ACCOUNTS.credential, JSON.stringify({ v: 1, credential: testCredential() }));
    await store.seed(KEYCHAIN_ACCOUNTS.replicaKey, 'ab'.repeat(REPLICA_KEY_BYTES));
    const keychain = new DeviceKeychain(store);
    await expect(keychain.wipe()).rejects.toBeInstanceOf(KeychainUnavailableError);
    expect(await store.get(KEYCHAIN_ACCOUNTS.credential)).toBeNull();
    expect(await store.get(KEYCHAIN_ACCOUNTS.replicaKey)).toBeNull();
  });
});
