import type { SyncDocument, WorkspaceRecord } from '@enclave/shared';
import type { StoredRecordJson } from '../store/types';

type RecordState = Omit<WorkspaceRecord, 'seq'>;

export function toSyncDocument(record: RecordState): SyncDocument {
  return {
    id: record.id,
    type: record.type,
    data: record.data,
    rev: record.rev,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    _deleted: record.deletedAt !== null,
  };
}

/**
 * `JSON.stringify(toSyncDocument(record))` for a record whose data is still the JSON text it was
 * stored as (itself written by `JSON.stringify`): the text goes in as is, never parsed.
 */
export function syncDocumentJson(record: Omit<StoredRecordJson, 'seq'>): string {
  return (
    `{"id":${JSON.stringify(record.id)},"type":${JSON.stringify(record.type)},"data":${record.dataJson},` +
    `"rev":${String(record.rev)},"createdAt":${JSON.stringify(record.createdAt)},` +
    `"updatedAt":${JSON.stringify(record.updatedAt)},"_deleted":${String(record.deletedAt !== null)}}`
  );
}

/** JSON with object keys sorted and null fields dropped: absent and null mean the same in a record. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    return Object.fromEntries(
      Object.entries(v as Record<string, unknown>)
        .filter(([, inner]) => inner !== null)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    );
  });
}

/**
 * Whether a client's idea of a document and a stored record hold the same content: type, data and
 * deletion. Server-assigned fields (rev, times) do not count, so a client that never saw them
 * compares the same as one that did.
 */
export function sameContent(doc: SyncDocument | null, record: RecordState | null): boolean {
  if (doc === null || record === null) return doc === record;
  return (
    doc.type === record.type &&
    doc._deleted === (record.deletedAt !== null) &&
    canonical(doc.data) === canonical(record.data)
  );
}
