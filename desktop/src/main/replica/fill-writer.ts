import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { FillPage, FillPageSql } from './fill-page-writer';
import type { ReplicaJournal } from './replica-file';

/** What the fill worker starts with. */
export interface FillWorkerData {
  readonly filePath: string;
  /** The worker's own copy of the replica key, moved to it; it zeroes it once the file is open. */
  readonly key: Uint8Array;
  readonly cacheKiB: number;
  readonly journal: ReplicaJournal;
  readonly sql: FillPageSql;
}

/** What the app's thread tells the fill worker. */
export type FillWorkerRequest = { type: 'page'; id: number; page: FillPage } | { type: 'close' };

/** What the fill worker answers. */
export type FillWorkerReply =
  | { type: 'written'; id: number; written: number }
  /** A page failed (`id`), or the replica did not open (`id` null: every page fails). */
  | { type: 'failed'; id: number | null; message: string; code: string | null }
  | { type: 'closed' };

/** A page the worker could not write, with SQLite's error code when it came from SQLite. */
export class FillWriteError extends Error {
  constructor(
    message: string,
    readonly code: string | null,
  ) {
    super(message);
    this.name = 'FillWriteError';
  }
}

/** How long `close` waits for the worker to finish its pages and close its connection. */
const CLOSE_TIMEOUT_MS = 10_000;

/**
 * A fill's pages written on a worker thread, in the order given, so that the app's thread receives
 * and builds the next page while SQLite (encryption included) writes this one: the two take about
 * the same time, and on one thread they took turns. The worker has a connection of its own to the
 * replica file; it is the only one writing to it until it closes.
 */
export class FillWriter {
  private readonly worker: Worker;
  private readonly pending = new Map<
    number,
    { resolve: (written: number) => void; reject: (e: Error) => void }
  >();
  private nextId = 0;
  private failure: Error | null = null;
  private readonly exited: Promise<void>;

  constructor(data: Omit<FillWorkerData, 'key'> & { key: Buffer }) {
    const key = new Uint8Array(data.key);
    const workerData: FillWorkerData = { ...data, key };
    this.worker = startFillWorker(workerData, [key.buffer]);
    this.worker.on('message', (reply: FillWorkerReply) => this.onReply(reply));
    this.worker.on('error', (error) => this.fail(error));
    this.exited = new Promise((resolve) => {
      this.worker.once('exit', () => {
        this.fail(new Error('The replica fill worker stopped'));
        resolve();
      });
    });
  }

  /** Writes a page after those already given; answers how many of its documents were kept. */
  write(page: FillPage): Promise<number> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    const written = new Promise<number>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    const request: FillWorkerRequest = { type: 'page', id, page };
    this.worker.postMessage(request);
    return written;
  }

  /** Once the pages given so far are written: closes the worker's connection and ends it. */
  async close(): Promise<void> {
    // Also after a failure: a worker that could not open the file still listens (a stopped one ignores it).
    const request: FillWorkerRequest = { type: 'close' };
    this.worker.postMessage(request);
    const timer = setTimeout(() => void this.worker.terminate(), CLOSE_TIMEOUT_MS);
    try {
      await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  private onReply(reply: FillWorkerReply): void {
    if (reply.type === 'closed') return;
    if (reply.type === 'written') {
      this.pending.get(reply.id)?.resolve(reply.written);
      this.pending.delete(reply.id);
      return;
    }
    const error = new FillWriteError(reply.message, reply.code);
    if (reply.id === null) {
      this.fail(error);
      return;
    }
    this.pending.get(reply.id)?.reject(error);
    this.pending.delete(reply.id);
  }

  /** Every page not yet answered, and every later one, fails with `error`. */
  private fail(error: Error): void {
    this.failure ??= error;
    for (const waiter of this.pending.values()) waiter.reject(this.failure);
    this.pending.clear();
  }
}

/**
 * Built, the worker is out/fill-worker.cjs beside main.cjs (desktop/scripts/build.ts). From source
 * (the tests, the benchmarks) it is TypeScript, required through tsx's CommonJS API: a worker's
 * entry does not pass through the loader hooks that `--import tsx` registers, and tsx's ESM API
 * would start a loader thread of its own first (twice the start-up time).
 */
function startFillWorker(workerData: FillWorkerData, transferList: ArrayBuffer[]): Worker {
  if (!import.meta.url.endsWith('.ts')) {
    return new Worker(new URL('./fill-worker.cjs', import.meta.url), { workerData, transferList });
  }
  const tsxApi = createRequire(import.meta.url).resolve('tsx/cjs/api');
  const entry = fileURLToPath(new URL('./fill-worker.ts', import.meta.url));
  const source = `require(${JSON.stringify(tsxApi)}).require(${JSON.stringify(entry)}, ${JSON.stringify(entry)})`;
  return new Worker(source, { eval: true, workerData, transferList });
}
