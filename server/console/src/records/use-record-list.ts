import { useCallback, useEffect, useRef, useState } from 'react';
import type { WorkspaceRecord } from '@enclave/shared';
import { asApiError, call, type ApiError } from '../api/client';
import type { RecordsView } from './record-query';

export const PAGE_SIZE = 50;

export interface RecordList {
  /** The rows loaded so far; undefined until the first page comes. */
  items: WorkspaceRecord[] | undefined;
  /** Whether the server has more after the last row. */
  more: boolean;
  loading: boolean;
  error: ApiError | null;
  loadMore: () => void;
  /** Loads the first page again (after a change made here). */
  reload: () => void;
  /** Puts a record's new version in place, where it is listed. */
  replace: (record: WorkspaceRecord) => void;
}

interface State {
  key: string;
  items: WorkspaceRecord[] | undefined;
  cursor: string | null;
  loading: boolean;
  error: ApiError | null;
}

/**
 * A page of records at a time, as the server pages them: keyset cursors, so "Load more" continues
 * exactly after the last row even while others add records. A new query starts again from the
 * first page; an answer for an older query is dropped.
 */
export function useRecordList(workspaceId: string, view: RecordsView, type: string | null): RecordList {
  const key = JSON.stringify([workspaceId, type, view.q, view.sort, view.order, view.filters, view.deleted]);
  const [state, setState] = useState<State>({
    key,
    items: undefined,
    cursor: null,
    loading: true,
    error: null,
  });
  const ticket = useRef(0);
  const [generation, setGeneration] = useState(0);

  const fetchPage = useCallback(
    async (forKey: string, cursor: string | null, append: boolean) => {
      if (type === null) return;
      const mine = ++ticket.current;
      setState((previous) => ({
        ...(previous.key === forKey ? previous : { items: undefined, cursor: null }),
        key: forKey,
        loading: true,
        error: null,
      }));
      try {
        const page = await call('listRecords', {
          params: { workspaceId },
          query: {
            type,
            q: view.q.trim() || undefined,
            sort: view.sort,
            order: view.order,
            filter: view.filters.length > 0 ? view.filters : undefined,
            includeDeleted: view.deleted ? 'true' : undefined,
            limit: PAGE_SIZE,
            cursor: cursor ?? undefined,
          },
        });
        if (mine !== ticket.current) return;
        setState((previous) => ({
          key: forKey,
          items: append && previous.key === forKey ? [...(previous.items ?? []), ...page.items] : page.items,
          cursor: page.nextCursor,
          loading: false,
          error: null,
        }));
      } catch (failure) {
        if (mine !== ticket.current) return;
        setState((previous) => ({ ...previous, key: forKey, loading: false, error: asApiError(failure) }));
      }
    },
    // The view's parts are all in `key`; the function is made again whenever it changes.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [key],
  );

  useEffect(() => {
    void fetchPage(key, null, false);
  }, [key, generation, fetchPage]);

  const current = state.key === key;
  const loadMore = useCallback(() => {
    if (state.cursor && !state.loading) void fetchPage(key, state.cursor, true);
  }, [state.cursor, state.loading, fetchPage, key]);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  const replace = useCallback((record: WorkspaceRecord) => {
    setState((previous) => ({
      ...previous,
      items: previous.items?.map((item) => (item.id === record.id ? record : item)),
    }));
  }, []);

  return {
    items: current ? state.items : undefined,
    more: current && state.cursor !== null,
    loading: !current || state.loading,
    error: current ? state.error : null,
    loadMore,
    reload,
    replace,
  };
}
