import { useState, type SyntheticEvent } from 'react';
import { CenteredScreen, useAction } from '@enclave/ui';
import { asApiError, call } from '../api/client';
import { Link, navigate, useQuery } from '../app/router';
import { useSession } from '../app/session';
import { FormError, isLinkRefusal, LinkRefused, NewAccountFields } from './auth-form';

const FIELDS = ['name', 'email', 'password'] as const;

/**
 * The first owner's account, from the one-time link the server prints at its first start. The
 * server signs the new owner in with the same answer (it sets the session cookie), so the console
 * goes straight on to the workspaces.
 */
export function SetupPage() {
  const token = useQuery().get('token') ?? '';
  const { setMe } = useSession();
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const setters = { name: setName, email: setEmail, password: setPassword };
  const setup = useAction(async () => {
    const me = await call('setup', { body: { token, name, email, password } });
    setMe(me);
    navigate('/workspaces', { replace: true });
  }, asApiError);

  const signInInstead = (
    <Link to="/sign-in" className="button primary">
      Go to sign-in
    </Link>
  );
  if (!token)
    return (
      <LinkRefused action={signInInstead}>
        This setup link is incomplete. Copy the whole link the server printed when it started, token and all.
      </LinkRefused>
    );
  if (isLinkRefusal(setup.error, ['setup_unavailable']))
    return (
      <LinkRefused action={signInInstead}>
        This link has expired or was already used. If the server is set up, sign in. If nobody has set it up
        yet, restart it: it prints a new setup link each time it starts.
      </LinkRefused>
    );

  const submit = (event: SyntheticEvent) => {
    event.preventDefault();
    void setup.run();
  };
  const error = setup.error;
  return (
    <CenteredScreen title="Set up Enclave" testId="setup-page">
      <p className="lead">
        Create the owner account of this server. You can then make workspaces, invite people and pair devices.
        This link works once.
      </p>
      <form className="form" onSubmit={submit} noValidate>
        <FormError error={error} fields={FIELDS} testId="setup-error" />
        <NewAccountFields
          values={{ name, email, password }}
          onChange={(field, value) => setters[field](value)}
          error={error}
          emailHint="You sign in with it; it is trusted as it is, without a confirmation email."
          testIds="setup"
        />
        <div className="actions">
          <button type="submit" className="button primary" disabled={setup.busy} data-testid="setup-submit">
            {setup.busy ? 'Creating the account…' : 'Create the owner account'}
          </button>
        </div>
      </form>
    </CenteredScreen>
  );
}
