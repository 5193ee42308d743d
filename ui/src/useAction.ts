import { useCallback, useRef, useState } from 'react';
import type { UiError } from './ErrorNote';

export interface Action<A extends unknown[], R, E extends UiError> {
  /** Runs the action unless it is already running; resolves to its result, or undefined on failure. */
  run: (...args: A) => Promise<R | undefined>;
  busy: boolean;
  error: E | null;
  clearError: () => void;
}

/**
 * A button's work: one run at a time, a busy flag, and the failure in the one error shape.
 * `asError` turns whatever the task threw into that shape: the desktop's bridge errors and the
 * console's HTTP errors both carry a code and a message.
 */
export function useAction<A extends unknown[], R, E extends UiError>(
  task: (...args: A) => Promise<R>,
  asError: (failure: unknown) => E,
): Action<A, R, E> {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<E | null>(null);
  const running = useRef(false);
  const run = useCallback(
    async (...args: A) => {
      if (running.current) return undefined;
      running.current = true;
      setBusy(true);
      setError(null);
      try {
        return await task(...args);
      } catch (failure) {
        setError(asError(failure));
        return undefined;
      } finally {
        running.current = false;
        setBusy(false);
      }
    },
    [task, asError],
  );
  const clearError = useCallback(() => setError(null), []);
  return { run, busy, error, clearError };
}
