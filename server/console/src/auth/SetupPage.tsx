import { useState, type SyntheticEvent } from 'react';
import { PASSWORD_MIN } from '@enclave/shared';
import { CenteredScreen, useAction } from '@enclave/ui';
import { asApiError, call } from '../api/client';
import { Link, navigate, useQuery } from '../app/router';
import { useSession } from '../app/session';
import { Field, fieldIssue, FormError, isLinkRefusal, LinkRefused } from './auth-form';

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
        <Field
          label="Your name"
          autoComplete="name"
          required
          value={name}
          onChange={(event) => setName(event.target.value)}
          error={fieldIssue(error, 'name', 'Your name')}
          testId="setup-name"
        />
        <Field
          label="Email"
          type="email"
          autoComplete="username"
          required
          value={email}
          onChange={(event) => setEmail(event.target.value)}
          error={fieldIssue(error, 'email', 'Email')}
          hint="You sign in with it; it is trusted as it is, without a confirmation email."
          testId="setup-email"
        />
        <Field
          label="Password"
          type="password"
          autoComplete="new-password"
          required
          value={password}
          onChange={(event) => setPassword(event.target.value)}
          error={fieldIssue(error, 'password', 'The password')}
          hint={`At least ${PASSWORD_MIN} characters. A sentence you remember works well.`}
          testId="setup-password"
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
