import { useState } from 'react';
import { CenteredScreen, useAction } from '@enclave/ui';
import { asApiError, call } from '../api/client';
import { Link, useQuery } from '../app/router';
import { DonePanel, FormError, IncompleteLink, isLinkRefusal, LinkRefused } from './auth-form';

/**
 * Confirms an email address from the link in the verification email. It asks for a click rather
 * than confirming on load: mail scanners open links by themselves, and the link works once.
 */
export function VerifyEmailPage() {
  const token = useQuery().get('token') ?? '';
  const [confirmed, setConfirmed] = useState(false);
  const verify = useAction(async () => {
    await call('verifyEmail', { body: { token } });
    setConfirmed(true);
  }, asApiError);

  const signIn = (
    <Link to="/sign-in" className="button primary" data-testid="verify-sign-in">
      Go to sign-in
    </Link>
  );
  if (!token) return <IncompleteLink action={signIn} />;
  if (isLinkRefusal(verify.error, ['bad_request', 'gone']))
    return (
      <LinkRefused action={signIn}>
        This link has expired or was already used. Sign in with your email and password: if your address is
        not confirmed yet, we send you a new link.
      </LinkRefused>
    );
  if (confirmed)
    return (
      <DonePanel
        title="Your email address is confirmed"
        testId="verify-email-done"
        lead="You can now sign in to Enclave."
        action={signIn}
      />
    );
  return (
    <CenteredScreen icon="check" title="Confirm your email address" testId="verify-email-page">
      <p className="lead">One click confirms that this address is yours. The link works once.</p>
      <FormError error={verify.error} testId="verify-email-error" />
      <div className="actions">
        <button
          type="button"
          className="button primary"
          onClick={() => void verify.run()}
          disabled={verify.busy}
          data-testid="verify-email-submit"
        >
          {verify.busy ? 'Confirming…' : 'Confirm my email address'}
        </button>
      </div>
    </CenteredScreen>
  );
}
