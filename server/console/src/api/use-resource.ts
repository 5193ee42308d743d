import { useCallback, useEffect, useRef, useState } from 'react';
import { asApiError, type ApiError } from './client';

export interface Resource<T> {
  /** The last answer for the current key; undefined until it comes. */
  data: T | undefined;
  error: ApiError | null;
  loading: boolean;
  /** Asks again (after a change, or when the live channel says something moved). */
  reload: () => Promise<void>;
  /** Replaces the data in place, e.g. with a live event's new version of a row. */
  setData: (update: (previous: T | undefined) => T | undefined) => void;
}

interface Loaded<T> {
  key: string;
  data: T | undefined;
  error: ApiError | null;
  loading: boolean;
}

/**
 * Data a page loads from the API. `key` names what is loaded: a new key loads again, what was
 * loaded for the old key is not shown for the new one, and an older answer arriving late is dropped.
 *
 * `merge` is for pages that also change the data from live events: an answer fetched before an
 * event may arrive after it, so the answer is merged into the data as it is at that moment (inside
 * the state update), never laid over it.
 */
export function useResource<T>(
  key: string,
  load: () => Promise<T>,
  merge?: (current: T | undefined, fetched: T) => T,
): Resource<T> {
  const [state, setState] = useState<Loaded<T>>({ key, data: undefined, error: null, loading: true });
  const latest = useRef(0);
  const loader = useRef(load);
  const merger = useRef(merge);
  useEffect(() => {
    loader.current = load;
    merger.current = merge;
  });
  const fetchFor = useCallback(async (forKey: string) => {
    const ticket = ++latest.current;
    try {
      const fetched = await loader.current();
      if (ticket !== latest.current) return;
      const combine = merger.current;
      setState((previous) => ({
        key: forKey,
        data: combine ? combine(previous.key === forKey ? previous.data : undefined, fetched) : fetched,
        error: null,
        loading: false,
      }));
    } catch (failure) {
      if (ticket === latest.current)
        setState((previous) => ({
          key: forKey,
          data: previous.key === forKey ? previous.data : undefined,
          error: asApiError(failure),
          loading: false,
        }));
    }
  }, []);
  useEffect(() => {
    void fetchFor(key);
  }, [key, fetchFor]);
  const reload = useCallback(async () => {
    setState((previous) => ({ ...previous, loading: true }));
    await fetchFor(key);
  }, [key, fetchFor]);
  const setData = useCallback(
    (update: (previous: T | undefined) => T | undefined) => {
      setState((previous) => ({
        ...previous,
        data: update(previous.key === key ? previous.data : undefined),
      }));
    },
    [key],
  );
  const current = state.key === key;
  return {
    data: current ? state.data : undefined,
    error: current ? state.error : null,
    loading: !current || state.loading,
    reload,
    setData,
  };
}
