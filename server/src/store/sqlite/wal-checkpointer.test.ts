import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openEncrypted, type Db } from './open';
import { WalCheckpointer, type CheckpointerReport } from './wal-checkpointer';

/**
 * Checkpoints off the commit path, on real SQLCipher files: commits never copy the log into the
 * database file; the worker does, on its own connection, and a file it cannot serve goes back to
 * SQLite's own checkpoints.
 */

const dirs: string[] = [];
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function database(): { path: string; key: Buffer; db: Db } {
  const dir = mkdtempSync(join(tmpdir(), 'enclave-wal-'));
  dirs.push(dir);
  const path = join(dir, 'w.db');
  const key = randomBytes(32);
  const db = openEncrypted(path, key);
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
  db.pragma('wal_checkpoint(TRUNCATE)');
  cleanups.push(() => {
    if (db.open) db.close();
  });
  return { path, key, db };
}

/** Commits `count` rows of 2 KB, one transaction each: about a page and a half of log each. */
function commit(db: Db, count: number): void {
  const insert = db.prepare('INSERT INTO t (body) VALUES (?)');
  for (let i = 0; i < count; i++) insert.run(randomBytes(1024).toString('hex'));
}

const size = (path: string) => (existsSync(path) ? statSync(path).size : 0);

function checkpointer(intervalMs: number): { checkpointer: WalCheckpointer; reports: CheckpointerReport[] } {
  const made = new WalCheckpointer(intervalMs);
  const reports: CheckpointerReport[] = [];
  made.onReport((report) => reports.push(report));
  cleanups.push(() => made.stop());
  return { checkpointer: made, reports };
}

describe('WAL checkpoints off the commit path', () => {
  it('no commit checkpoints: past 1,000 pages of log the database file has not grown', () => {
    const { path, key, db } = database();
    // A worker that would not look for a minute: whatever moves into the file now, a commit moved.
    checkpointer(60_000).checkpointer.watch(path, key, db);
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    const before = size(path);

    commit(db, 2_000);
    expect(size(`${path}-wal`)).toBeGreaterThan(1_000 * 4096);
    expect(size(path)).toBe(before);
  });

  it('the worker checkpoints the log on its own connection, and nothing committed is lost', async () => {
    const { path, key, db } = database();
    const { checkpointer: worker, reports } = checkpointer(25);
    worker.watch(path, key, db);
    const before = size(path);

    commit(db, 2_000);
    // Only the worker checkpoints here: this thread never asks SQLite to.
    await vi.waitFor(
      () => {
        expect(size(path)).toBeGreaterThan(before + 1_000 * 4096);
        expect(reports.some((r) => r.type === 'checkpointed' && r.path === path && r.frames > 0)).toBe(true);
      },
      { timeout: 10_000, interval: 25 },
    );

    await worker.stop();
    db.close();
    const again = openEncrypted(path, key, { mustExist: true });
    expect(again.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 2_000 });
    again.close();
  });

  it('a file the worker cannot open goes back to SQLite’s own checkpoints', async () => {
    const { path, db } = database();
    const { checkpointer: worker, reports } = checkpointer(25);
    worker.watch(path, randomBytes(32), db);
    await vi.waitFor(() => expect(reports.some((r) => r.type === 'refused' && r.path === path)).toBe(true), {
      timeout: 10_000,
    });
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
  });

  it('at stop the worker lets go of its connections, so the store’s close checkpoints and removes the log', async () => {
    const { path, key, db } = database();
    const { checkpointer: worker } = checkpointer(60_000);
    worker.watch(path, key, db);
    commit(db, 200);
    expect(size(`${path}-wal`)).toBeGreaterThan(0);

    await worker.stop();
    db.close();
    expect(existsSync(`${path}-wal`)).toBe(false);
  });
});
