import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashRaw } from '@node-rs/argon2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deriveKey } from '../../server/src/crypto/keys';
import { openEncrypted } from '../../server/src/store/sqlite/open';
import { startTestServer, uniqueEmail, type TestServer } from '../../server/src/test-support/test-server';

/** Argon2's own numbers (`Algorithm.Argon2id`, `Version.V0x13`): the package's const enums. */
const ARGON2ID = 2;
const VERSION_0X13 = 1;

/** A PHC string (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`), taken apart without the hashing library. */
function decodePhc(phc: string) {
  const match = /^\$([a-z0-9-]+)\$v=(\d+)\$m=(\d+),t=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/.exec(
    phc,
  );
  if (!match) throw new Error(`not a PHC argon2 string: ${phc.slice(0, 12)}…`);
  const [, algorithm, version, m, t, p, salt, hash] = match;
  return {
    algorithm,
    version: Number(version),
    memoryKiB: Number(m),
    iterations: Number(t),
    parallelism: Number(p),
    salt: Buffer.from(salt!, 'base64'),
    hash: Buffer.from(hash!, 'base64'),
  };
}

describe('password hashes at rest', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(() => t.close());

  it('are argon2id (v1.3, m=19456 KiB, t=2, p=1) with a fresh 16-byte salt, in the real control database', async () => {
    const password = 'correct horse battery staple';
    const emails = [uniqueEmail('first'), uniqueEmail('second')];
    for (const email of emails) {
      const res = await t.client().post('/api/v1/auth/signup', { email, name: 'Hashed', password });
      expect(res.status, res.text).toBe(202);
    }

    const master = Buffer.from(readFileSync(join(t.dataDir, 'master.key'), 'utf8').trim(), 'hex');
    const control = openEncrypted(join(t.dataDir, 'control.db'), deriveKey(master, 'control-db'));
    let stored: string[];
    try {
      stored = emails.map(
        (email) =>
          control
            .prepare<[string], { password_hash: string }>('SELECT password_hash FROM users WHERE email = ?')
            .get(email)?.password_hash ?? '',
      );
    } finally {
      control.close();
    }

    const decoded = stored.map(decodePhc);
    for (const phc of decoded) {
      expect(phc).toMatchObject({
        algorithm: 'argon2id',
        version: 19,
        memoryKiB: 19_456,
        iterations: 2,
        parallelism: 1,
      });
      expect(phc.salt).toHaveLength(16);
      expect(phc.hash).toHaveLength(32);
      // The stored hash is what those parameters and that salt make of the password: the string
      // describes how it was really computed.
      const options = {
        algorithm: ARGON2ID,
        version: VERSION_0X13,
        memoryCost: phc.memoryKiB,
        timeCost: phc.iterations,
        parallelism: phc.parallelism,
        salt: phc.salt,
      } as const;
      const recomputed = await hashRaw(password, options);
      expect(recomputed.equals(phc.hash)).toBe(true);
      expect(stored.join()).not.toContain(password);
    }
    // The same password twice gives two different salts and hashes.
    expect(decoded[0]!.salt.equals(decoded[1]!.salt)).toBe(false);
    expect(decoded[0]!.hash.equals(decoded[1]!.hash)).toBe(false);
  });
});
