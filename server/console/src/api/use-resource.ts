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
 */
export function useResource<T>(key: string, load: () => Promise<T>): Resource<T> {
  const [state, setState] = useState<Loaded<T>>({ key, data: undefined, error: null, loading: true });
  const latest = useRef(0);
  const loader = useRef(load);
  useEffect(() => {
    loader.current = load;
  });
  const fetchFor = useCallback(async (forKey: string) => {
    const ticket = ++latest.current;
    try {
      const data = await loader.current();
      if (ticket === latest.current) setState({ key: forKey, data, error: null, loading: false });
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
