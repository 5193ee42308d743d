import { useCallback, useEffect, useState, useSyncExternalStore } from 'react';
import type { BehaviorSubject, Observable } from 'rxjs';

/** The current value of a BehaviorSubject, re-rendering on change (no first-frame placeholder). */
export function useBehavior<T>(subject: BehaviorSubject<T>): T {
  const subscribe = useCallback(
    (onChange: () => void) => {
      const subscription = subject.subscribe(onChange);
      return () => subscription.unsubscribe();
    },
    [subject],
  );
  return useSyncExternalStore(subscribe, () => subject.getValue());
}

/**
 * The latest value of an observable, or `undefined` until it has emitted: callers tell "loading"
 * from "empty" instead of flashing an empty state. The value is tied to its source, so a new
 * source never shows the old one's value.
 */
export function useObservable<T>(source: Observable<T> | null): T | undefined {
  const [state, setState] = useState<{ source: Observable<T> | null; value: T } | null>(null);
  useEffect(() => {
    if (!source) return;
    const subscription = source.subscribe((value) => setState({ source, value }));
    return () => subscription.unsubscribe();
  }, [source]);
  return state !== null && state.source === source ? state.value : undefined;
}
