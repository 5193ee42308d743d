import { parentPort, workerData } from 'node:worker_threads';
import { fillPageWriterOn, type FillPage } from './fill-page-writer';
import type { FillWorkerData, FillWorkerReply, FillWorkerRequest } from './fill-writer';
import { openReplicaDatabase, type ReplicaDb } from './replica-file';

/**
 * The fill's worker thread (see fill-writer.ts): a connection of its own to the replica file, on
 * which it writes the pages the app's thread sends, one transaction each, in the order sent.
 */

const port = parentPort;
if (!port) throw new Error('the fill worker runs in a worker thread');
const data = workerData as FillWorkerData;

function reply(message: FillWorkerReply): void {
  port?.postMessage(message);
}

function failure(id: number | null, error: unknown): FillWorkerReply {
  return {
    type: 'failed',
    id,
    message: error instanceof Error ? error.message : String(error),
    code: error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : null,
  };
}

let db: ReplicaDb | undefined;
let writePage: ((page: FillPage) => number) | undefined;
// A view of the transferred copy, not another copy: zeroing it below leaves none in this thread.
const key = Buffer.from(data.key.buffer, data.key.byteOffset, data.key.byteLength);
try {
  db = openReplicaDatabase(data.filePath, key, data.cacheKiB, data.journal);
  writePage = fillPageWriterOn(db, data.sql);
} catch (error) {
  db?.close();
  db = undefined;
  reply(failure(null, error));
} finally {
  key.fill(0);
}

port.on('message', (message: FillWorkerRequest) => {
  if (message.type === 'close') {
    db?.close();
    db = undefined;
    reply({ type: 'closed' });
    port.close();
    return;
  }
  if (writePage === undefined) {
    reply({
      type: 'failed',
      id: message.id,
      message: 'The replica fill could not open the replica',
      code: null,
    });
    return;
  }
  try {
    reply({ type: 'written', id: message.id, written: writePage(message.page) });
  } catch (error) {
    reply(failure(message.id, error));
  }
});
