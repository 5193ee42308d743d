import { useState, type SyntheticEvent } from 'react';
import { CenteredScreen, useAction } from '@enclave/ui';
import { asApiError, call } from '../api/client';
import { Link, useQuery } from '../app/router';
import { useSession } from '../app/session';
import {
  DonePanel,
  FormError,
  IncompleteLink,
  isLinkRefusal,
  LinkRefused,
  NewPasswordField,
  RepeatPasswordField,
} from './auth-form';

/**
 * A new password from the link in the reset email, typed twice (a typo here would lock the person
 * out again). The server ends every session of the account, this browser's included.
 */
export function ResetPasswordPage() {
  const token = useQuery().get('token') ?? '';
  const { setMe } = useSession();
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [mismatch, setMismatch] = useState(false);
  const [done, setDone] = useState(false);
  const reset = useAction(async () => {
    await call('resetPassword', { body: { token, newPassword: password } });
    setMe(null);
    setDone(true);
  }, asApiError);
  const submit = (event: SyntheticEvent) => {
    event.preventDefault();
    const differ = password !== repeat;
    setMismatch(differ);
    if (!differ) void reset.run();
  };

  const askAgain = (
    <Link to="/forgot-password" className="button primary">
      Ask for a new link
    </Link>
  );
  if (!token) return <IncompleteLink action={askAgain} />;
  if (isLinkRefusal(reset.error, ['bad_request', 'gone']))
    return (
      <LinkRefused action={askAgain}>
        This link has expired or was already used; ask for a new one. Reset links work once, for one hour.
      </LinkRefused>
    );
  if (done)
    return (
      <DonePanel
        title="Your password is changed"
        testId="reset-password-done"
        lead="Every session of your account has ended, in every browser: sign in again with the new password."
        action={
          <Link to="/sign-in" className="button primary" data-testid="reset-password-sign-in">
            Sign in
          </Link>
        }
      />
    );

  const error = reset.error;
  return (
    <CenteredScreen icon="key" title="Choose a new password" testId="reset-password-page">
      <form className="form" onSubmit={submit} noValidate>
        <FormError error={error} fields={['newPassword']} testId="reset-password-error" />
        <NewPasswordField
          label="New password"
          field="newPassword"
          error={error}
          value={password}
          onValue={setPassword}
          testId="reset-password-new"
        />
        <RepeatPasswordField
          value={repeat}
          onValue={(value) => {
            setRepeat(value);
            setMismatch(false);
          }}
          mismatch={mismatch}
          testId="reset-password-repeat"
        />
        <p className="hint">Setting it signs you out in every browser. Paired desktop apps stay paired.</p>
        <div className="actions">
          <button
            type="submit"
            className="button primary"
            disabled={reset.busy}
            data-testid="reset-password-submit"
          >
            {reset.busy ? 'Saving…' : 'Set the new password'}
          </button>
        </div>
      </form>
    </CenteredScreen>
  );
}
