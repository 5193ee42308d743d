import { statSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { openEncrypted, type Db } from './open';
import type { CheckpointerMessage, CheckpointerReport } from './wal-checkpointer';

/**
 * The checkpoint worker (see wal-checkpointer.ts): a connection of its own to each database the
 * store hands it, and every `intervalMs` a passive checkpoint of each whose log has changed since
 * the last one. A checkpoint copies committed pages from the log into the database file; it never
 * waits for the store's connection and never makes it wait.
 */

interface Watched {
  db: Db;
  /** The log's modification time and size when it was last checkpointed in full. */
  seen: string;
}

const port = parentPort;
if (!port) throw new Error('the checkpoint worker runs in a worker thread');
const { intervalMs } = workerData as { intervalMs: number };
const watched = new Map<string, Watched>();

function report(message: CheckpointerReport): void {
  port?.postMessage(message);
}

function logState(path: string): string {
  try {
    const stat = statSync(`${path}-wal`);
    return `${String(stat.mtimeMs)}:${String(stat.size)}`;
  } catch {
    return 'none';
  }
}

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : 'unknown';
}

function unwatch(path: string): void {
  const item = watched.get(path);
  watched.delete(path);
  item?.db.close();
}

function checkpointAll(): void {
  for (const [path, item] of watched) {
    const state = logState(path);
    if (state === item.seen || state === 'none') continue;
    try {
      const [result] = item.db.pragma('wal_checkpoint(PASSIVE)') as {
        busy: number;
        log: number;
        checkpointed: number;
      }[];
      // Frames a reader still needs stay in the log: look again next time.
      if (result && result.busy === 0 && result.checkpointed === result.log) item.seen = state;
      if (result && result.checkpointed > 0)
        report({ type: 'checkpointed', path, frames: result.checkpointed });
    } catch (error) {
      const code = codeOf(error);
      // Busy or a full disk pass; the log keeps every commit meanwhile, and the next round tries again.
      if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED') || code === 'SQLITE_FULL')
        continue;
      unwatch(path);
      report({ type: 'refused', path, code });
    }
  }
}

const timer = setInterval(checkpointAll, intervalMs);

port.on('message', (message: CheckpointerMessage) => {
  switch (message.type) {
    case 'watch': {
      const key = Buffer.from(message.key.buffer, message.key.byteOffset, message.key.byteLength);
      try {
        unwatch(message.path);
        // A small page cache: this connection only copies pages, it never serves a query.
        const db = openEncrypted(message.path, key, { mustExist: true, cacheKiB: 1024 });
        watched.set(message.path, { db, seen: '' });
      } catch (error) {
        report({ type: 'refused', path: message.path, code: codeOf(error) });
      } finally {
        key.fill(0);
      }
      return;
    }
    case 'unwatch':
      unwatch(message.path);
      return;
    case 'stop':
      clearInterval(timer);
      for (const path of [...watched.keys()]) unwatch(path);
      report({ type: 'stopped' });
      port.close();
      return;
  }
});
