import { describe, expect, it } from 'vitest';
import type { PushRow } from '@enclave/shared';
import { SyncError } from './errors';
import { chunkPushRows } from './push-chunks';

const row = (id: string, text = ''): PushRow => ({
  assumedMasterState: null,
  newDocumentState: { id, type: 'note', data: { text }, _deleted: false },
});

describe('chunkPushRows', () => {
  it('keeps rows in order, at most maxRows per chunk', () => {
    const rows = Array.from({ length: 7 }, (_, i) => row(`r${String(i)}`));
    const chunks = chunkPushRows(rows, 1_000_000, 3);
    expect(chunks.map((chunk) => chunk.length)).toEqual([3, 3, 1]);
    expect(chunks.flat()).toEqual(rows);
  });

  it('keeps every chunk under the frame size', () => {
    const rows = Array.from({ length: 10 }, (_, i) => row(`r${String(i)}`, 'x'.repeat(300)));
    const maxFrameBytes = 1000;
    const chunks = chunkPushRows(rows, maxFrameBytes, 500);
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.flat()).toEqual(rows);
    for (const chunk of chunks) {
      const frame = JSON.stringify({ type: 'push', id: '1'.repeat(64), rows: chunk });
      expect(Buffer.byteLength(frame)).toBeLessThanOrEqual(maxFrameBytes);
    }
  });

  it('refuses a row that fits no frame', () => {
    expect(() => chunkPushRows([row('big', 'x'.repeat(2000))], 1000)).toThrow(SyncError);
  });

  it('makes no chunk of no rows', () => {
    expect(chunkPushRows([], 1000)).toEqual([]);
  });
});
