import { Worker } from 'node:worker_threads';
import type { Db } from './open';

/** What the store tells the checkpoint worker. */
export type CheckpointerMessage =
  { type: 'watch'; path: string; key: Uint8Array } | { type: 'unwatch'; path: string } | { type: 'stop' };

/** What the worker tells the store. */
export type CheckpointerReport =
  | { type: 'checkpointed'; path: string; frames: number }
  /** The worker cannot checkpoint this database (it would not open, or it is damaged). */
  | { type: 'refused'; path: string; code: string }
  | { type: 'stopped' };

/** SQLite's own default, restored on a connection the worker cannot serve. */
const SQLITE_AUTOCHECKPOINT_PAGES = 1000;

/**
 * Keeps WAL checkpoints out of the commit path. SQLite's default is to checkpoint inside the
 * commit that takes the log past 1,000 pages, so one write in a few hundred waits for megabytes
 * to be copied into the database file. Here each connection's automatic checkpoint is off and a
 * worker thread, on a connection of its own to the same file, runs a passive checkpoint (it never
 * waits for, nor blocks, a reader or writer) shortly after the log has grown. Should the worker
 * fail, or be unable to open a file, that connection goes back to SQLite's own checkpoints, so
 * the log never grows without bound.
 */
export class WalCheckpointer {
  private worker: Worker | null = null;
  private readonly watched = new Map<string, Db>();
  private stopping: Promise<void> | null = null;
  private readonly listeners = new Set<(report: CheckpointerReport) => void>();

  constructor(private readonly intervalMs = 200) {}

  /**
   * Hands `db`'s checkpoints to the worker. The worker gets its own copy of the key (moved, not
   * copied, so this thread keeps none); the caller still zeroes its own.
   */
  watch(path: string, key: Buffer, db: Db): void {
    if (this.stopping) return;
    const worker = this.start();
    db.pragma('wal_autocheckpoint = 0');
    this.watched.set(path, db);
    const copy = new Uint8Array(key);
    const message: CheckpointerMessage = { type: 'watch', path, key: copy };
    worker.postMessage(message, [copy.buffer]);
  }

  /** Before a connection closes or its file goes: the worker closes its own connection to it. */
  unwatch(path: string): void {
    if (!this.watched.delete(path)) return;
    const message: CheckpointerMessage = { type: 'unwatch', path };
    this.worker?.postMessage(message);
  }

  /** For tests: every report the worker sends. */
  onReport(listener: (report: CheckpointerReport) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Closes the worker's connections and ends it (before the store closes its own). */
  stop(): Promise<void> {
    this.stopping ??= this.shutDown();
    return this.stopping;
  }

  private async shutDown(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    this.watched.clear();
    if (!worker) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => void worker.terminate().then(() => resolve()), 5_000);
      worker.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      const message: CheckpointerMessage = { type: 'stop' };
      worker.postMessage(message);
    });
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const workerData = { intervalMs: this.intervalMs };
    // Built, the worker is a file beside main.js. From source (npm start, the tests) it is
    // TypeScript, loaded through tsx's API: a worker's entry does not pass through the loader
    // hooks that `--import tsx` registers.
    const worker = import.meta.url.endsWith('.ts')
      ? new Worker(
          `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then(({ tsImport }) => tsImport(${JSON.stringify(new URL('./wal-checkpoint-worker.ts', import.meta.url).href)}, ${JSON.stringify(import.meta.url)}))`,
          { eval: true, workerData },
        )
      : new Worker(new URL('./wal-checkpoint-worker.js', import.meta.url), { workerData });
    worker.unref();
    worker.on('message', (report: CheckpointerReport) => {
      if (report.type === 'refused') this.fallBack(report.path);
      for (const listener of this.listeners) listener(report);
    });
    worker.on('error', () => this.fallBackAll(worker));
    worker.on('exit', () => this.fallBackAll(worker));
    this.worker = worker;
    return worker;
  }

  private fallBack(path: string): void {
    const db = this.watched.get(path);
    this.watched.delete(path);
    if (db?.open) db.pragma(`wal_autocheckpoint = ${String(SQLITE_AUTOCHECKPOINT_PAGES)}`);
  }

  /** The worker is gone: every connection checkpoints for itself again. */
  private fallBackAll(worker: Worker): void {
    if (this.worker !== worker) return;
    this.worker = null;
    for (const path of [...this.watched.keys()]) this.fallBack(path);
  }
}
