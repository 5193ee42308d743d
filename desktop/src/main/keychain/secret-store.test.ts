import keytar from 'keytar';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { KeychainUnavailableError } from './keychain-error';
import { keytarSecretStore, MAX_SECRET_BYTES, MemorySecretStore, type SecretStore } from './secret-store';
import { deleteService, expectPrivateSecretService, uniqueService } from './test-support/fixtures';

const onLinux = process.platform === 'linux';
const services: string[] = [];

/** The same contract for both stores: code unit-tested on the memory store meets what keytar does. */
const stores: [string, 'keytar' | 'memory', () => SecretStore][] = [
  [
    'keytarSecretStore (real Secret Service)',
    'keytar',
    () => {
      const service = uniqueService();
      services.push(service);
      return keytarSecretStore(service);
    },
  ],
  ['MemorySecretStore', 'memory', () => new MemorySecretStore()],
];

afterEach(async () => {
  for (const service of services.splice(0)) await deleteService(service);
});

describe.each(stores)('%s', (_name, kind, create) => {
  // Keychains other than the Secret Service would be the real user's: those run on Linux only.
  const skip = kind === 'keytar' && !onLinux;
  beforeAll(() => {
    if (kind === 'keytar' && !skip) expectPrivateSecretService();
  });

  it.skipIf(skip)('stores, replaces, reads and deletes an entry', async () => {
    const store = create();
    expect(await store.get('an-account')).toBeNull();
    await store.set('an-account', 'first');
    await store.set('an-account', 'second');
    expect(await store.get('an-account')).toBe('second');
    expect(await store.delete('an-account')).toBe(true);
    expect(await store.delete('an-account')).toBe(false);
    expect(await store.get('an-account')).toBeNull();
  });

  it.skipIf(skip)(
    'keeps a secret of exactly the size limit intact, multi-byte characters included',
    async () => {
      const store = create();
      // 'é' is two bytes in UTF-8: the limit is on bytes, the Windows blob's unit.
      const secret = 'é'.repeat(MAX_SECRET_BYTES / 2);
      await store.set('big', secret);
      expect(await store.get('big')).toBe(secret);
    },
  );

  it.skipIf(skip)('refuses an empty, NUL-carrying or oversized secret without naming it', async () => {
    const store = create();
    const oversized = `top-secret-${'x'.repeat(MAX_SECRET_BYTES)}`;
    const withNul = 'top-secret-before\0after';
    const refusals = [
      await store.set('acct', '').catch((error: unknown) => error),
      await store.set('acct', withNul).catch((error: unknown) => error),
      await store.set('acct', oversized).catch((error: unknown) => error),
    ];
    expect(refusals.map((error) => (error as Error).constructor)).toEqual([TypeError, TypeError, RangeError]);
    for (const error of refusals) {
      expect((error as Error).message).toContain('acct');
      expect((error as Error).message).not.toContain('top-secret');
      expect(error).not.toBeInstanceOf(KeychainUnavailableError);
    }
    expect(await store.get('acct')).toBeNull();
  });
});

describe.skipIf(!onLinux)('keytarSecretStore over the real Secret Service', () => {
  beforeAll(() => {
    expectPrivateSecretService();
  });

  it('keeps each service to its own entries, and stores them where keytar itself finds them', async () => {
    const [a, b] = [uniqueService(), uniqueService()];
    services.push(a, b);
    await keytarSecretStore(a).set('device-credential', 'secret of a');
    await keytarSecretStore(b).set('device-credential', 'secret of b');
    expect(await keytarSecretStore(a).get('device-credential')).toBe('secret of a');
    expect(await keytar.findCredentials(a)).toEqual([
      { account: 'device-credential', password: 'secret of a' },
    ]);
    expect(await keytarSecretStore(a).delete('device-credential')).toBe(true);
    expect(await keytar.getPassword(b, 'device-credential')).toBe('secret of b');
  });

  it("is under the 'Enclave' service by default", async () => {
    // The default service is the app's real one; here it is the private test keyring's.
    const account = `test-${uniqueService()}`;
    await keytarSecretStore().set(account, 'value');
    try {
      expect(await keytar.getPassword('Enclave', account)).toBe('value');
    } finally {
      await keytar.deletePassword('Enclave', account);
    }
  });
});
