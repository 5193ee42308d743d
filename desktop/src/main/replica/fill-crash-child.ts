/**
 * Run as its own process by the fill crash test (`node --import tsx fill-crash-child.ts <file>
 * <key hex>`): fills the replica page after page, printing each page's checkpoint once it is
 * written, until it is killed. It never stops by itself.
 */
import type { SyncCheckpoint } from '@enclave/shared';
import { RECORDS_COLLECTION, recordsSchema } from '../../common/sync/records-collection';
import type { SyncRxDocType } from '../../common/sync/replication-handlers';
import { getRxStorageSqlcipher } from './sqlcipher-storage';

const [filePath, keyHex] = process.argv.slice(2);
if (filePath === undefined || keyHex === undefined)
  throw new Error('usage: fill-crash-child <file> <key hex>');

const storage = getRxStorageSqlcipher({ filePath, key: Buffer.from(keyHex, 'hex') });
const fill = await storage.openFill<SyncRxDocType, SyncCheckpoint>({
  databaseName: 'crash',
  collectionName: RECORDS_COLLECTION,
  schema: recordsSchema,
  replicationIdentifier: 'enclave-crash',
});
const PAGE = 500;
for (let seq = 0; ; seq += PAGE) {
  const docs = Array.from({ length: PAGE }, (_, i) => ({
    id: `doc-${String(seq + i).padStart(8, '0')}`,
    type: 'client',
    data: { name: `Client ${String(seq + i)}`, notes: 'n'.repeat(900) },
    rev: 1,
    _deleted: false,
  }));
  await fill.writePage(docs, { seq: seq + PAGE });
  process.stdout.write(`${String(seq + PAGE)}\n`);
  // Let the parent read the line and kill at any point of the next page.
  await new Promise((resolve) => setImmediate(resolve));
}
