import { Icon, useAction } from '@enclave/ui';
import { asApiError, call } from '../api/client';
import { navigate } from '../app/router';
import { useSession } from '../app/session';

/** Ends the session on the server, then shows the sign-in page. */
export function SignOutButton() {
  const { setMe } = useSession();
  const signOut = useAction(async () => {
    await call('signOut', {}).catch(() => undefined);
    setMe(null);
    navigate('/sign-in', { replace: true });
  }, asApiError);
  return (
    <button
      type="button"
      className="nav-item"
      onClick={() => void signOut.run()}
      disabled={signOut.busy}
      data-testid="sign-out"
    >
      <Icon name="logOut" size={14} />
      <span className="nav-label">Sign out</span>
    </button>
  );
}
