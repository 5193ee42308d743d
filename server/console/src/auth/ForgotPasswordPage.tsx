import { useState, type SyntheticEvent } from 'react';
import { CenteredScreen, useAction } from '@enclave/ui';
import { asApiError, call } from '../api/client';
import { Link, useQuery } from '../app/router';
import { DonePanel, Field, fieldIssue, FormError } from './auth-form';

/**
 * Asks for a password reset link. The answer is the server's one generic sentence, the same for
 * an address with an account and one without, so this page cannot be used to probe addresses.
 */
export function ForgotPasswordPage() {
  const query = useQuery();
  const [email, setEmail] = useState(query.get('email') ?? '');
  const [answer, setAnswer] = useState<string | null>(null);
  const request = useAction(async () => {
    const accepted = await call('requestPasswordReset', { body: { email } });
    setAnswer(accepted.message);
  }, asApiError);
  const submit = (event: SyntheticEvent) => {
    event.preventDefault();
    void request.run();
  };

  if (answer)
    return (
      <DonePanel
        title="Check your email"
        testId="forgot-password-sent"
        lead={answer}
        leadTestId="forgot-password-message"
        action={
          <Link to="/sign-in" className="button">
            Back to sign-in
          </Link>
        }
      >
        <p>The link works once, for one hour. If nothing arrives, check the address and try again.</p>
      </DonePanel>
    );
  return (
    <CenteredScreen icon="key" title="Reset your password" testId="forgot-password-page">
      <p className="lead">
        Enter the email address of your account: we send it a link to choose a new password.
      </p>
      <form className="form" onSubmit={submit} noValidate>
        <FormError error={request.error} fields={['email']} testId="forgot-password-error" />
        <Field
          label="Email"
          type="email"
          autoComplete="username"
          required
          value={email}
          onChange={(event) => setEmail(event.target.value)}
          error={fieldIssue(request.error, 'email', 'Email')}
          testId="forgot-password-email"
        />
        <div className="actions">
          <button
            type="submit"
            className="button primary"
            disabled={request.busy}
            data-testid="forgot-password-submit"
          >
            {request.busy ? 'Sending…' : 'Send the reset link'}
          </button>
        </div>
        <p className="fine-print">
          <Link to="/sign-in">Back to sign-in</Link>
        </p>
      </form>
    </CenteredScreen>
  );
}
