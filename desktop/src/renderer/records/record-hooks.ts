import { useCallback, useMemo } from 'react';
import { map, Observable } from 'rxjs';
import type { EntityTypeDef, WorkspaceSchema } from '@enclave/shared';
import { useObservable } from '../ui/observable-hooks';
import type { WorkspaceSession } from '../workspace/session';
import {
  recordTitle,
  searchOptions,
  type RecordRow,
  type ReferenceSource,
  type TitleLookup,
} from '@enclave/ui';

/**
 * Every live record of a type, kept current by RxDB's event-reduce: a change synced from the
 * server shows without a reload. Rows are the documents' stored data objects, which RxDB
 * replaces on every change and never mutates, so they can key caches.
 */
export function useRecordsOfType(session: WorkspaceSession, type: string): RecordRow[] | undefined {
  const source = useMemo(
    () =>
      session.db.records
        .find({ selector: { type } })
        .$.pipe(map((docs) => docs.map((doc) => doc._data as RecordRow))),
    [session, type],
  );
  return useObservable(source);
}

export function useRecordCount(session: WorkspaceSession, type: string): number | undefined {
  const source = useMemo(() => session.db.records.count({ selector: { type } }).$, [session, type]);
  return useObservable(source);
}

/** One record, or null once it is gone (deleted here or on the server). */
export function useRecord(session: WorkspaceSession, id: string | null): RecordRow | null | undefined {
  const source = useMemo(
    () =>
      id === null
        ? null
        : session.db.records.findOne(id).$.pipe(map((doc) => (doc ? (doc._data as RecordRow) : null))),
    [session, id],
  );
  return useObservable(source);
}

/** The entity types that the given fields point at. */
export function refTypesOf(entities: readonly EntityTypeDef[]): string[] {
  const types = new Set<string>();
  for (const entity of entities) {
    for (const field of entity.fields)
      if (field.type === 'reference' && field.refType) types.add(field.refType);
  }
  return [...types].sort();
}

/**
 * Titles of referenced records by id, for the given types. The lookup changes identity when any
 * of them changes, so memoised lists re-sort when a referenced title changes.
 */
export function useTitleLookup(
  session: WorkspaceSession,
  schema: WorkspaceSchema,
  types: readonly string[],
): TitleLookup {
  const key = types.join(',');
  const source = useMemo(() => {
    const wanted = key === '' ? [] : key.split(',');
    if (wanted.length === 0) return null;
    return new Observable<ReadonlyMap<string, ReadonlyMap<string, RecordRow>>>((subscriber) => {
      const current = new Map<string, ReadonlyMap<string, RecordRow>>();
      const subscriptions = wanted.map((type) =>
        session.recordsById(type).subscribe((rows) => {
          current.set(type, rows);
          if (current.size === wanted.length) subscriber.next(new Map(current));
        }),
      );
      return () => subscriptions.forEach((s) => s.unsubscribe());
    });
  }, [session, key]);
  const indexes = useObservable(source);
  return useCallback(
    (type: string, id: string) => {
      const row = indexes?.get(type)?.get(id);
      if (!row) return undefined;
      return recordTitle(
        schema.entityTypes.find((e) => e.key === type),
        row.data,
      );
    },
    [indexes, schema],
  );
}

/**
 * Reference pickers search the replica: every record of the type is already here, so the search
 * works offline and answers at once (no delay between keys).
 */
export function useReferenceSource(
  session: WorkspaceSession,
  schema: WorkspaceSchema,
  titles: TitleLookup,
): ReferenceSource {
  return useMemo(
    () => ({
      title: titles,
      search: async (refType: string, text: string, limit: number) => {
        const target = schema.entityTypes.find((e) => e.key === refType);
        const rows = session.recordsById(refType).value.values();
        const options = [...rows].map((row) => ({ id: row.id, title: recordTitle(target, row.data) }));
        return searchOptions(options, text, limit);
      },
    }),
    [session, schema, titles],
  );
}
