import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { syncDocumentJson, toSyncDocument } from './sync-documents';

const record = (data: Record<string, unknown>, deletedAt: string | null) => ({
  id: 'r_1-x',
  type: 'client',
  data,
  rev: 3,
  createdAt: '2024-01-02T03:04:05.678Z',
  updatedAt: '2024-02-03T04:05:06.789Z',
  deletedAt,
});

describe('syncDocumentJson', () => {
  it('writes exactly the JSON of toSyncDocument, from the data as stored', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ unit: 'binary' }), fc.jsonValue()),
        fc.option(fc.constant('2024-03-04T05:06:07.890Z')),
        (data, deletedAt) => {
          const stored = record(data, deletedAt);
          const json = syncDocumentJson({ ...stored, dataJson: JSON.stringify(data) });
          expect(json).toBe(JSON.stringify(toSyncDocument(stored)));
        },
      ),
    );
  });
});
