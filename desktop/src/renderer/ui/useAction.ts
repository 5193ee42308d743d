import { useCallback, useRef, useState } from 'react';
import { asBridgeError, type BridgeError } from '../bridge/client';

export interface Action<A extends unknown[], R> {
  /** Runs the action unless it is already running; resolves to its result, or undefined on failure. */
  run: (...args: A) => Promise<R | undefined>;
  busy: boolean;
  error: BridgeError | null;
  clearError: () => void;
}

/** A button's work: one run at a time, a busy flag, and the failure in the bridge's error shape. */
export function useAction<A extends unknown[], R>(task: (...args: A) => Promise<R>): Action<A, R> {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<BridgeError | null>(null);
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
        setError(asBridgeError(failure));
        return undefined;
      } finally {
        running.current = false;
        setBusy(false);
      }
    },
    [task],
  );
  const clearError = useCallback(() => setError(null), []);
  return { run, busy, error, clearError };
}
