import { useCallback, useEffect, useState } from 'react';
import type { AppState } from '@enclave/shared';
import { asBridgeError, type BridgeClient, type BridgeError } from '../bridge/client';

export interface AppStateHandle {
  state: AppState | null;
  /** Reading the state failed (main did not answer): the window shows it and offers a retry. */
  error: BridgeError | null;
  /** Takes a state a call answered with (pairing, reset, sign-out), before its event arrives. */
  apply: (state: AppState) => void;
  retry: () => void;
}

/** `app:state`: asked once, then followed through main's events. Main decides; the window shows. */
export function useAppState(client: BridgeClient): AppStateHandle {
  const [state, setState] = useState<AppState | null>(null);
  const [error, setError] = useState<BridgeError | null>(null);
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    let live = true;
    let eventSeen = false;
    const off = client.onEvent('app:state', (next) => {
      eventSeen = true;
      setState(next);
      setError(null);
    });
    client.call('app:state', {}).then(
      (initial) => {
        // An event that came in meanwhile is newer than this answer.
        if (live && !eventSeen) setState(initial);
      },
      (failure: unknown) => {
        if (live && !eventSeen) setError(asBridgeError(failure));
      },
    );
    return () => {
      live = false;
      off();
    };
  }, [client, attempt]);

  const apply = useCallback((next: AppState) => setState(next), []);
  const retry = useCallback(() => {
    setError(null);
    setAttempt((n) => n + 1);
  }, []);
  return { state, error, apply, retry };
}
