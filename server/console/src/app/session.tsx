import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
import type { Me } from '@enclave/shared';
import { call, onSignedOut } from '../api/client';

export interface Session {
  /** The signed-in user; null when nobody is signed in; undefined while the console asks. */
  me: Me | null | undefined;
  /** Asks the server again (after sign-in, sign-out, a change of name). */
  refresh: () => Promise<void>;
  setMe: (me: Me | null) => void;
}

const SessionContext = createContext<Session | null>(null);

/**
 * Who is signed in, asked of the server: the session cookie is HttpOnly, so the console cannot
 * read it and never holds a token. Any call answered 401 means the session ended (signed out
 * elsewhere, revoked, expired): the console forgets the user and shows the sign-in page.
 */
export function SessionProvider({ children }: { children: ReactNode }) {
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  const refresh = useCallback(
    () =>
      call('me', {}).then(
        (value) => setMe(value),
        () => setMe(null),
      ),
    [],
  );
  useEffect(() => {
    void refresh();
    return onSignedOut(() => setMe(null));
  }, [refresh]);
  return <SessionContext.Provider value={{ me, refresh, setMe }}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside SessionProvider');
  return session;
}

/** The signed-in user, for pages that are only shown to one. */
export function useMe(): Me {
  const { me } = useSession();
  if (!me) throw new Error('useMe on a page shown without a signed-in user');
  return me;
}
