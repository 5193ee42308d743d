import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createReplica, getRxStorageSqlcipher, probeReplica } from './index';
import { human, humanSchema, openInstance, stored, tempReplica, type Human } from './test-support';

let replica: ReturnType<typeof tempReplica>;

beforeEach(() => {
  replica = tempReplica();
});

afterEach(() => {
  replica.dispose();
});

describe('creating a replica ahead of its first collection', () => {
  it('makes a private file that its key opens and another key does not', () => {
    createReplica(replica.filePath, replica.key);
    expect(statSync(replica.filePath).mode & 0o777).toBe(0o600);
    expect(probeReplica(replica.filePath, replica.key)).toBe('ok');
    // Before any collection exists, the file must already tell its key from another.
    expect(probeReplica(replica.filePath, randomBytes(32))).toBe('wrong_key');
  });

  it('leaves a file the storage then uses as its own', async () => {
    createReplica(replica.filePath, replica.key);
    const storage = getRxStorageSqlcipher({ filePath: replica.filePath, key: replica.key });
    const instance = await openInstance<Human>(storage, 'db', humanSchema(), 'humans');
    const result = await instance.bulkWrite([{ document: stored(human(1)) }], 'test');
    expect(result.error).toEqual([]);
    expect(await instance.findDocumentsById([human(1).id], false)).toHaveLength(1);
    await storage.closeAll();
  });
});
