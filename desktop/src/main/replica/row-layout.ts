/**
 * The columns every collection table's row starts with (collection-table.ts), then one key column
 * per index. Apart from collection-table.ts so that the fill's worker thread, which writes rows
 * without building them, loads no RxDB.
 */
export const ROW_COLUMNS = ['id', 'deleted', 'lwt', 'rev', 'doc'] as const;

/** Where each of the row columns is in a row's values (`rowValuesOfSent`, `StoredRow`). */
export const ROW_AT = { id: 0, deleted: 1, lwt: 2, rev: 3, doc: 4 } as const;

/** What a read selects for `docOfRow`, in its order. */
export const DOC_COLUMNS = ROW_COLUMNS.join(', ');

/** A row as `DOC_COLUMNS` selects it, in raw (array) mode. */
export type StoredRow = readonly [id: string, deleted: number, lwt: number, rev: string, doc: string];
