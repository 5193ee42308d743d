import { useState, type SyntheticEvent } from 'react';
import { CenteredScreen, ErrorNote, useAction } from '@enclave/ui';
import { asApiError, call } from '../api/client';
import { Link, navigate, useQuery } from '../app/router';
import { useSession } from '../app/session';
import { Field } from './auth-form';

/** Only a console path may be the `next` page: never another site. */
export function safeNext(next: string | null): string {
  return next && /^\/(?!\/)[\w\-./?=&%]*$/.test(next) ? next : '/workspaces';
}

/** The sign-up page for the same invitation, when sign-in was opened on the way to accepting one. */
function signUpPath(next: string | null): string {
  if (!next?.startsWith('/invite?')) return '/sign-up';
  const invite = new URLSearchParams(next.slice('/invite?'.length));
  const workspace = invite.get('workspace');
  const token = invite.get('token');
  if (!workspace || !token) return '/sign-up';
  return `/sign-up?workspace=${encodeURIComponent(workspace)}&invitation=${encodeURIComponent(token)}`;
}

const MESSAGES: Partial<Record<string, string>> = {
  invalid_credentials: 'That email and password do not match an account. Check both and try again.',
  email_not_verified: 'Confirm your email address first: open the link in the email we sent you.',
  rate_limited: 'Too many attempts. Wait a few minutes, then try again.',
};

export function SignInPage() {
  const query = useQuery();
  const { setMe } = useSession();
  const [email, setEmail] = useState(query.get('email') ?? '');
  const [password, setPassword] = useState('');
  const signIn = useAction(async () => {
    const me = await call('signIn', { body: { email, password } });
    setMe(me);
    navigate(safeNext(query.get('next')), { replace: true });
  }, asApiError);
  const submit = (event: SyntheticEvent) => {
    event.preventDefault();
    void signIn.run();
  };
  return (
    <CenteredScreen title="Sign in to Enclave" testId="sign-in-page">
      {query.get('next')?.startsWith('/invite?') && (
        <p className="lead" data-testid="sign-in-for-invitation">
          Sign in with the account the invitation was sent to; you accept it on the next page.
        </p>
      )}
      <form className="form" onSubmit={submit} noValidate>
        {signIn.error && (
          <ErrorNote
            error={signIn.error}
            message={MESSAGES[signIn.error.code] ?? signIn.error.message}
            testId="sign-in-error"
          />
        )}
        <Field
          label="Email"
          type="email"
          autoComplete="username"
          required
          value={email}
          onChange={(event) => setEmail(event.target.value)}
          testId="sign-in-email"
        />
        <Field
          label="Password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(event) => setPassword(event.target.value)}
          testId="sign-in-password"
        />
        <div className="actions">
          <button
            type="submit"
            className="button primary"
            disabled={signIn.busy}
            data-testid="sign-in-submit"
          >
            {signIn.busy ? 'Signing in…' : 'Sign in'}
          </button>
        </div>
        <p className="fine-print">
          <Link to={`/forgot-password${email.trim() ? `?email=${encodeURIComponent(email.trim())}` : ''}`}>
            Forgot your password?
          </Link>{' '}
          · <Link to={signUpPath(query.get('next'))}>Create an account</Link>
        </p>
      </form>
    </CenteredScreen>
  );
}
