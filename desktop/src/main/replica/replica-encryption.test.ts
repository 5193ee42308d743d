import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3-multiple-ciphers';
import { deleteReplicaFiles, getRxStorageSqlcipher, probeReplica } from './index';
import { openReplicaDatabase, useRollbackJournal } from './replica-file';
import { human, humanSchema, openInstance, stored, tempReplica, type Human } from './test-support';

/** What the replica promises about the bytes it leaves on disk and about its keys. */

const SCHEMA = humanSchema();
const SECRET_NAME = 'Zanzibar-Orchid-7731';
const SECRET_CITY = 'Quetzalcoatl-Harbour';
const SECRET_DATABASE = 'pelicandatabase';
const SECRET_COLLECTION = 'marmosetcollection';

let replica: ReturnType<typeof tempReplica>;

beforeEach(() => {
  replica = tempReplica();
});

afterEach(() => {
  replica.dispose();
});

const companions = (path: string) => [`${path}-wal`, `${path}-shm`, `${path}-journal`];
const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

async function writeSecrets(key = replica.key) {
  const storage = getRxStorageSqlcipher({ filePath: replica.filePath, key });
  const instance = await openInstance<Human>(storage, SECRET_DATABASE, SCHEMA, SECRET_COLLECTION);
  const docs = Array.from({ length: 300 }, (_, i) =>
    stored({
      ...human(i),
      id: `secret-id-${String(i).padStart(4, '0')}`,
      name: `${SECRET_NAME} ${i}`,
      address: { city: SECRET_CITY, zip: '99999' },
    }),
  );
  const result = await instance.bulkWrite(
    docs.map((document) => ({ document })),
    'secrets',
  );
  expect(result.error).toEqual([]);
  return { storage, instance };
}

function expectNoPlaintext(path: string): void {
  const bytes = readFileSync(path);
  for (const secret of [SECRET_NAME, SECRET_CITY, SECRET_DATABASE, SECRET_COLLECTION, 'secret-id-0001']) {
    // UTF-8 as SQLite stores text, UTF-16 in case anything stored JavaScript's own encoding.
    expect(bytes.includes(Buffer.from(secret, 'utf8')), `${secret} in ${path}`).toBe(false);
    expect(bytes.includes(Buffer.from(secret, 'utf16le')), `${secret} (UTF-16) in ${path}`).toBe(false);
  }
}

describe('replica encryption', () => {
  it('leaves none of the plaintext in the database file or its WAL', async () => {
    const { storage } = await writeSecrets();
    // While open, recent pages live in the WAL: it must be encrypted too.
    expect(existsSync(`${replica.filePath}-wal`)).toBe(true);
    for (const path of [replica.filePath, ...companions(replica.filePath)]) {
      if (existsSync(path)) expectNoPlaintext(path);
    }
    expect(readFileSync(replica.filePath).subarray(0, 16).toString('latin1')).not.toBe('SQLite format 3\0');
    await storage.closeAll();
    expectNoPlaintext(replica.filePath);
  });

  it('probes: ok with the key, wrong_key with another, missing without a file', async () => {
    expect(probeReplica(replica.filePath, replica.key)).toBe('missing');
    const { storage } = await writeSecrets();
    // Also while the storage holds the file open.
    expect(probeReplica(replica.filePath, replica.key)).toBe('ok');
    expect(probeReplica(replica.filePath, randomBytes(32))).toBe('wrong_key');
    await storage.closeAll();
    expect(probeReplica(replica.filePath, replica.key)).toBe('ok');
    expect(probeReplica(replica.filePath, randomBytes(32))).toBe('wrong_key');
  });

  it('says wrong_key for a file that is not a database at all', () => {
    writeFileSync(`${replica.dir}/garbage.db`, randomBytes(8_192));
    expect(probeReplica(`${replica.dir}/garbage.db`, replica.key)).toBe('wrong_key');
  });

  it('refuses a wrong key, changing nothing on disk', async () => {
    const { storage } = await writeSecrets();
    await storage.closeAll();
    const before = sha256(replica.filePath);
    const filesBefore = readdirSync(dirname(replica.filePath)).sort();

    const wrong = getRxStorageSqlcipher({ filePath: replica.filePath, key: randomBytes(32) });
    await expect(openInstance<Human>(wrong, SECRET_DATABASE, SCHEMA, SECRET_COLLECTION)).rejects.toThrow(
      /does not open/,
    );
    await wrong.closeAll();

    expect(sha256(replica.filePath)).toBe(before);
    expect(readdirSync(dirname(replica.filePath)).sort()).toEqual(filesBefore);
    const right = getRxStorageSqlcipher({ filePath: replica.filePath, key: replica.key });
    const instance = await openInstance<Human>(right, SECRET_DATABASE, SCHEMA, SECRET_COLLECTION);
    expect(await instance.findDocumentsById(['secret-id-0001'], false)).toHaveLength(1);
    await right.closeAll();
  });

  it('refuses a key that is not 32 bytes', () => {
    expect(() => probeReplica(replica.filePath, randomBytes(16))).toThrow(/32-byte/);
  });

  it('keeps its own copy of the key', async () => {
    const key = Buffer.from(replica.key);
    const storage = getRxStorageSqlcipher({ filePath: replica.filePath, key });
    // A caller that wipes its key buffer once the storage exists must not break the storage.
    key.fill(0);
    const instance = await openInstance<Human>(storage, 'db', SCHEMA);
    await instance.bulkWrite([{ document: stored(human(1)) }], 'x');
    await storage.closeAll();
    expect(probeReplica(replica.filePath, replica.key)).toBe('ok');
  });

  it.skipIf(process.platform === 'win32')(
    'creates the file and its companions 0600, directories 0700',
    async () => {
      const { storage } = await writeSecrets();
      expect(statSync(dirname(replica.filePath)).mode & 0o777).toBe(0o700);
      expect(statSync(replica.filePath).mode & 0o777).toBe(0o600);
      for (const path of companions(replica.filePath)) {
        if (existsSync(path)) expect(statSync(path).mode & 0o777, path).toBe(0o600);
      }
      await storage.closeAll();
    },
  );

  it('deletes the file and every companion, and does not mind when they are absent', async () => {
    const { storage } = await writeSecrets();
    await storage.closeAll();
    // A crash leaves companions behind; a wipe must take them too.
    for (const path of companions(replica.filePath)) writeFileSync(path, 'left over');
    await deleteReplicaFiles(replica.filePath);
    expect(readdirSync(dirname(replica.filePath))).toEqual([]);
    await deleteReplicaFiles(replica.filePath);
    expect(probeReplica(replica.filePath, replica.key)).toBe('missing');
  });

  it('makes every later call fail cleanly after closeAll, and is idempotent', async () => {
    const { storage, instance } = await writeSecrets();
    let completed = false;
    instance.changeStream().subscribe({ complete: () => (completed = true) });

    await storage.closeAll();
    await storage.closeAll();

    expect(completed).toBe(true);
    await expect(instance.findDocumentsById(['secret-id-0001'], false)).rejects.toThrow(/closed/);
    await expect(instance.bulkWrite([{ document: stored(human(1)) }], 'x')).rejects.toThrow(/closed/);
    await expect(openInstance<Human>(storage, SECRET_DATABASE, SCHEMA, SECRET_COLLECTION)).rejects.toThrow(
      /closed/,
    );
    // The connection is gone: the WAL was checkpointed and removed on close.
    expect(existsSync(`${replica.filePath}-wal`)).toBe(false);
    await deleteReplicaFiles(replica.filePath);
    expect(readdirSync(dirname(replica.filePath))).toEqual([]);
  });

  it('makes new replicas with 8 KiB pages and still opens one made with 4 KiB pages', async () => {
    const { storage } = await writeSecrets();
    await storage.closeAll();
    const fresh = openReplicaDatabase(replica.filePath, replica.key);
    try {
      expect(fresh.pragma('page_size', { simple: true })).toBe(8192);
    } finally {
      fresh.close();
    }

    // A replica as the app made them before: SQLCipher 4's defaults, 4 KiB pages.
    const older = `${replica.filePath}.older`;
    const raw = new Database(older);
    raw.pragma(`cipher='sqlcipher'`);
    raw.pragma('legacy=4');
    raw.pragma(`key="x'${replica.key.toString('hex')}'"`);
    raw.exec(`CREATE TABLE kept (v TEXT); INSERT INTO kept VALUES ('${SECRET_NAME}')`);
    raw.close();
    expect(probeReplica(older, replica.key)).toBe('ok');
    expect(probeReplica(older, randomBytes(32))).toBe('wrong_key');
    const reopened = openReplicaDatabase(older, replica.key);
    try {
      expect(reopened.pragma('page_size', { simple: true })).toBe(4096);
      expect(reopened.prepare('SELECT v FROM kept').pluck().get()).toBe(SECRET_NAME);
    } finally {
      reopened.close();
      await deleteReplicaFiles(older);
    }
  });

  it('keeps the rollback journal a fill writes through encrypted too', () => {
    const db = openReplicaDatabase(replica.filePath, replica.key);
    try {
      expect(useRollbackJournal(db)).toBe(true);
      db.exec('CREATE TABLE kept (v TEXT)');
      const insert = db.prepare('INSERT INTO kept VALUES (?)');
      db.transaction(() => {
        for (let i = 0; i < 2000; i++) insert.run(`${SECRET_NAME} ${String(i)}`);
      })();
      // Mid-transaction, the journal holds the pages as they were: full of the secret.
      db.exec('BEGIN');
      db.exec(`UPDATE kept SET v = 'changed'`);
      const journal = `${replica.filePath}-journal`;
      expect(statSync(journal).size).toBeGreaterThan(8192);
      expectNoPlaintext(journal);
      db.exec('COMMIT');
    } finally {
      db.close();
    }
  });
});
