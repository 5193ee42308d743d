import { useState, type SyntheticEvent } from 'react';
import { CenteredScreen, useAction } from '@enclave/ui';
import { asApiError, call, type ApiError } from '../api/client';
import { Link, useQuery } from '../app/router';
import { DonePanel, FormError, NewAccountFields } from './auth-form';

const FIELDS = ['name', 'email', 'password'] as const;

/** The console path of an invitation, for coming back to it once signed in. */
export function invitePath(workspaceId: string, token: string): string {
  return `/invite?workspace=${encodeURIComponent(workspaceId)}&token=${encodeURIComponent(token)}`;
}

/**
 * `signup_closed` has two causes under one code: a free-mail address on a server that refuses
 * them, and an invitation-only server. Only the server's message tells them apart.
 */
function closedMessage(error: ApiError, withInvitation: boolean): string {
  if (/work email/i.test(error.message))
    return 'This server takes work email addresses only: sign up with the address you use at work.';
  if (withInvitation)
    return 'This invitation cannot be used with this address. Sign up with the address the invitation was sent to; if it has expired or was cancelled, ask for a new one.';
  return 'This server takes new accounts by invitation only. Ask an admin of your workspace to invite you, then open the link in the invitation email.';
}

/**
 * Sign-up. The answer is the same whether or not the address already has an account (it says
 * nothing to someone probing addresses): a verification link is on its way. Opened from an
 * invitation (`?workspace=&invitation=`), the invitation goes along, which an invitation-only
 * server requires.
 */
export function SignUpPage() {
  const query = useQuery();
  const workspaceId = query.get('workspace');
  const invitationToken = query.get('invitation');
  const invitation = workspaceId && invitationToken ? { workspaceId, token: invitationToken } : undefined;
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const setters = { name: setName, email: setEmail, password: setPassword };
  const [accepted, setAccepted] = useState<string | null>(null);
  const signUp = useAction(async () => {
    const answer = await call('signUp', { body: { name, email, password, invitation } });
    setAccepted(answer.message);
  }, asApiError);
  const submit = (event: SyntheticEvent) => {
    event.preventDefault();
    void signUp.run();
  };

  const next = invitation
    ? `next=${encodeURIComponent(invitePath(invitation.workspaceId, invitation.token))}`
    : '';
  if (accepted) {
    return (
      <DonePanel
        title="Check your email"
        testId="sign-up-accepted"
        lead={accepted}
        leadTestId="sign-up-message"
        action={
          <Link
            to={`/sign-in?email=${encodeURIComponent(email.trim())}${next && `&${next}`}`}
            className="button primary"
            data-testid="sign-up-continue"
          >
            {invitation ? 'Sign in to accept the invitation' : 'Go to sign-in'}
          </Link>
        }
      >
        <p>
          Open the link in that email to confirm your address; it works for 24 hours.{' '}
          {invitation ? 'Then come back here and sign in to accept the invitation.' : 'Then sign in.'}
        </p>
      </DonePanel>
    );
  }

  const error = signUp.error;
  return (
    <CenteredScreen title="Create your Enclave account" testId="sign-up-page">
      {invitation && (
        <p className="lead" data-testid="sign-up-invitation">
          You are signing up to accept an invitation: use the email address it was sent to.
        </p>
      )}
      <form className="form" onSubmit={submit} noValidate>
        <FormError
          error={error}
          fields={FIELDS}
          messages={
            error?.code === 'signup_closed' ? { signup_closed: closedMessage(error, !!invitation) } : {}
          }
          testId="sign-up-error"
        />
        <NewAccountFields
          values={{ name, email, password }}
          onChange={(field, value) => setters[field](value)}
          error={error}
          testIds="sign-up"
        />
        <div className="actions">
          <button
            type="submit"
            className="button primary"
            disabled={signUp.busy}
            data-testid="sign-up-submit"
          >
            {signUp.busy ? 'Creating the account…' : 'Create account'}
          </button>
        </div>
        <p className="fine-print">
          Already have an account? <Link to={`/sign-in${next && `?${next}`}`}>Sign in</Link>
        </p>
      </form>
    </CenteredScreen>
  );
}
