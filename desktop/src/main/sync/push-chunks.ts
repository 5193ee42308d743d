import { SYNC_MAX_PUSH_ROWS, type PushRow } from '@enclave/shared';
import { SyncError } from './errors';

/** Room for the frame around the rows: `{"type":"push","id":"…","rows":[…]}`. */
const FRAME_OVERHEAD_BYTES = 128;

/**
 * Splits rows into push frames of at most `maxRows` rows and `maxFrameBytes` bytes of JSON, in
 * order. A single row too large for any frame is refused here: the server would refuse it too.
 */
export function chunkPushRows(
  rows: readonly PushRow[],
  maxFrameBytes: number,
  maxRows: number = SYNC_MAX_PUSH_ROWS,
): PushRow[][] {
  const budget = maxFrameBytes - FRAME_OVERHEAD_BYTES;
  const chunks: PushRow[][] = [];
  let current: PushRow[] = [];
  let size = 0;
  for (const row of rows) {
    const rowBytes = Buffer.byteLength(JSON.stringify(row), 'utf8') + 1;
    if (rowBytes > budget) {
      throw new SyncError('payload_too_large', 'A document is too large to sync', {
        details: { id: row.newDocumentState.id },
      });
    }
    if (current.length === maxRows || size + rowBytes > budget) {
      chunks.push(current);
      current = [];
      size = 0;
    }
    current.push(row);
    size += rowBytes;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
