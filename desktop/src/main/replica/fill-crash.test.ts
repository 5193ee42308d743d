import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SyncCheckpoint } from '@enclave/shared';
import { RECORDS_COLLECTION, recordsSchema } from '../../common/sync/records-collection';
import type { SyncRxDocType } from '../../common/sync/replication-handlers';
import { openReplicaDatabase } from './replica-file';
import { getRxStorageSqlcipher } from './sqlcipher-storage';
import { tempReplica } from './test-support';

/**
 * A fill killed at a random moment (it writes through a rollback journal): the replica opens
 * afterwards, passes SQLite's integrity check, holds exactly the pages whose checkpoint it holds,
 * and the next fill resumes from there.
 */

const CHILD = join(import.meta.dirname, 'fill-crash-child.ts');
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

let replica: ReturnType<typeof tempReplica>;
beforeEach(() => {
  replica = tempReplica();
});
afterEach(() => {
  replica.dispose();
});

/** Starts the child, kills it with SIGKILL once it reported `pages` pages plus a random moment. */
async function fillUntilKilled(pages: number): Promise<number> {
  const child = spawn(
    process.execPath,
    ['--import', TSX, CHILD, replica.filePath, replica.key.toString('hex')],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let reported = 0;
  const killed = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    for (const line of chunk.split('\n').filter(Boolean)) {
      reported = Number(line);
      if (reported >= pages * 500) setTimeout(() => child.kill('SIGKILL'), Math.random() * 15);
    }
  });
  await killed;
  return reported;
}

describe('a fill killed mid-write', () => {
  it('leaves a consistent replica that the next fill resumes', { timeout: 60_000 }, async () => {
    const reported = await fillUntilKilled(6);
    expect(reported).toBeGreaterThanOrEqual(3000);
    // What the killed process left on disk, its rollback journal included, holds no plaintext.
    for (const path of [replica.filePath, `${replica.filePath}-journal`, `${replica.filePath}-wal`]) {
      if (!existsSync(path)) continue;
      const bytes = readFileSync(path);
      for (const text of ['Client 1', 'nnnnnnnnnnnnnnnn', 'doc-0000']) {
        expect(bytes.includes(Buffer.from(text, 'utf8')), `${text} in ${path}`).toBe(false);
      }
    }

    const db = openReplicaDatabase(replica.filePath, replica.key);
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      db.close();
    }
    const storage = getRxStorageSqlcipher({ filePath: replica.filePath, key: replica.key });
    try {
      const fill = await storage.openFill<SyncRxDocType, SyncCheckpoint>({
        databaseName: 'crash',
        collectionName: RECORDS_COLLECTION,
        schema: recordsSchema,
        replicationIdentifier: 'enclave-crash',
      });
      const state = fill.state();
      if (state.kind !== 'fill') throw new Error(`unexpected state ${state.kind}`);
      const checkpoint = state.checkpoint?.seq ?? 0;
      // Every page it said it wrote is there, and at most the one it was writing besides.
      expect(checkpoint).toBeGreaterThanOrEqual(reported);
      expect(checkpoint).toBeLessThanOrEqual(reported + 500);
      await fill.close();
      const raw = openReplicaDatabase(replica.filePath, replica.key);
      try {
        const table = raw
          .prepare(`SELECT table_name FROM replica_catalog WHERE collection_name = ?`)
          .pluck()
          .get(RECORDS_COLLECTION) as string;
        expect(raw.prepare(`SELECT count(*) FROM ${table}`).pluck().get()).toBe(checkpoint);
      } finally {
        raw.close();
      }
    } finally {
      await storage.closeAll();
    }
  });
});
