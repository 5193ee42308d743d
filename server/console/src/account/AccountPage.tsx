import { useState, type SyntheticEvent } from 'react';
import type { SessionInfo } from '@enclave/shared';
import {
  ConfirmDialog,
  ErrorNote,
  formatDateTime,
  Icon,
  relativeTime,
  Spinner,
  useAction,
  useNow,
} from '@enclave/ui';
import { asApiError, call } from '../api/client';
import { useResource, type Resource } from '../api/use-resource';
import { useMe } from '../app/session';
import { Field, FormError, NewPasswordField } from '../auth/auth-form';
import { PageHeader } from '../layout/ConsoleShell';
import './account.css';

/**
 * The signed-in person's own account: who they are, their password, and every browser signed in
 * as them, each of which they can sign out from here. Sign-out of this browser is in the shell.
 */
export function AccountPage() {
  const me = useMe();
  const sessions = useResource('sessions', () => call('listSessions', {}));
  return (
    <div className="page console-page account-page" data-testid="account-page">
      <PageHeader
        title="Account"
        intro="How you sign in to this server, and every browser that is signed in as you."
      />
      <section className="settings-group" aria-labelledby="account-profile">
        <h2 id="account-profile">Profile</h2>
        <dl className="settings-list">
          <div>
            <dt>Name</dt>
            <dd data-testid="account-name">{me.name}</dd>
          </div>
          <div>
            <dt>Email</dt>
            <dd data-testid="account-email">{me.email}</dd>
          </div>
          <div>
            <dt>Account created</dt>
            <dd>{formatDateTime(me.createdAt)}</dd>
          </div>
          {me.instanceAdmin && (
            <div>
              <dt>On this server</dt>
              <dd>Owner of the server (created it with its setup link)</dd>
            </div>
          )}
        </dl>
      </section>
      <ChangePassword onChanged={() => void sessions.reload()} />
      <Sessions sessions={sessions} />
    </div>
  );
}

function ChangePassword({ onChanged }: { onChanged: () => void }) {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [changed, setChanged] = useState(false);
  const change = useAction(async () => {
    await call('changePassword', { body: { currentPassword: current, newPassword: next } });
    setCurrent('');
    setNext('');
    setChanged(true);
    onChanged();
  }, asApiError);
  const submit = (event: SyntheticEvent) => {
    event.preventDefault();
    setChanged(false);
    void change.run();
  };
  const error = change.error;
  return (
    <section className="settings-group" aria-labelledby="account-password">
      <h2 id="account-password">Password</h2>
      <p className="hint">Changing it signs you out in every other browser; this one stays signed in.</p>
      {changed && (
        <div className="notice success" role="status" data-testid="password-changed">
          <Icon name="check" />
          <div>Your password is changed. Every other session of your account was signed out.</div>
        </div>
      )}
      <form className="form account-form" onSubmit={submit} noValidate>
        <FormError error={error} fields={['currentPassword', 'newPassword']} testId="password-error" />
        <Field
          label="Current password"
          type="password"
          autoComplete="current-password"
          required
          value={current}
          onChange={(event) => setCurrent(event.target.value)}
          error={error?.issueAt('body.currentPassword') ? 'This is not your current password.' : undefined}
          testId="password-current"
        />
        <NewPasswordField
          label="New password"
          issueLabel="The new password"
          field="newPassword"
          error={error}
          value={next}
          onValue={setNext}
          testId="password-new"
        />
        <div className="actions">
          <button
            type="submit"
            className="button primary"
            disabled={change.busy}
            data-testid="password-submit"
          >
            {change.busy ? 'Changing…' : 'Change password'}
          </button>
        </div>
      </form>
    </section>
  );
}

/** This browser first, then the most recently used. */
function ordered(items: readonly SessionInfo[]): SessionInfo[] {
  return [...items].sort(
    (a, b) => Number(b.current) - Number(a.current) || b.lastUsedAt.localeCompare(a.lastUsedAt),
  );
}

function Sessions({ sessions }: { sessions: Resource<{ items: SessionInfo[] }> }) {
  const now = useNow(30_000);
  const [revoking, setRevoking] = useState<SessionInfo | null>(null);
  const [confirmOthers, setConfirmOthers] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const revoke = useAction(async (session: SessionInfo) => {
    try {
      await call('revokeSession', { params: { sessionId: session.id } });
    } finally {
      // Gone or not, the list is asked again: it may have ended by itself meanwhile.
      await sessions.reload();
    }
    setNotice(`Signed out ${session.browser}${session.ip ? ` at ${session.ip}` : ''}.`);
  }, asApiError);
  const revokeOthers = useAction(async () => {
    const { revoked } = await call('revokeOtherSessions', {});
    setNotice(
      revoked === 0
        ? 'No other browser was signed in.'
        : `Signed out ${revoked} other ${revoked === 1 ? 'session' : 'sessions'}. Only this browser is signed in now.`,
    );
    await sessions.reload();
  }, asApiError);

  const items = sessions.data ? ordered(sessions.data.items) : undefined;
  const others = items?.filter((s) => !s.current).length ?? 0;
  const error = revoke.error ?? revokeOthers.error;
  return (
    <section className="settings-group account-sessions" aria-labelledby="account-sessions">
      <div className="account-sessions-head">
        <h2 id="account-sessions">My sessions</h2>
        <span className="spacer" />
        <button
          type="button"
          className="button danger"
          disabled={others === 0 || revokeOthers.busy}
          onClick={() => {
            revokeOthers.clearError();
            setConfirmOthers(true);
          }}
          data-testid="sign-out-others"
        >
          <Icon name="logOut" size={14} /> Sign out everywhere else
        </button>
      </div>
      <p className="hint">
        Every browser signed in as you. Sign out one you do not recognise, then change your password. Paired
        desktop apps are not sessions: they are under Devices in each workspace.
      </p>
      {notice && (
        <div className="notice success" role="status" data-testid="sessions-notice">
          <Icon name="check" />
          <div>{notice}</div>
        </div>
      )}
      {error && (
        <ErrorNote
          error={error}
          message={error.code === 'not_found' ? 'That session had already ended.' : undefined}
          testId="sessions-error"
        />
      )}
      {sessions.error && !items && <ErrorNote error={sessions.error} />}
      {!items && !sessions.error && <Spinner label="Loading sessions" />}
      {items && (
        <table className="data-table" data-testid="sessions-table">
          <thead>
            <tr>
              <th scope="col">Browser</th>
              <th scope="col">IP address</th>
              <th scope="col">Signed in</th>
              <th scope="col">Last used</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {items.map((session) => (
              <tr
                key={session.id}
                data-testid="session-row"
                data-session-id={session.id}
                data-current={session.current ? 'true' : 'false'}
              >
                <td>
                  <span className="session-browser">{session.browser}</span>
                  {session.current && (
                    <span className="session-current" data-testid="session-this-browser">
                      This browser
                    </span>
                  )}
                </td>
                <td className="mono">{session.ip ?? 'Unknown'}</td>
                <td>{formatDateTime(session.createdAt)}</td>
                <td>
                  <time dateTime={session.lastUsedAt} title={formatDateTime(session.lastUsedAt)}>
                    {session.current ? 'Now' : relativeTime(session.lastUsedAt, now)}
                  </time>
                </td>
                <td className="session-actions">
                  {!session.current && (
                    <button
                      type="button"
                      className="button small"
                      onClick={() => {
                        revoke.clearError();
                        setRevoking(session);
                      }}
                      data-testid="session-revoke"
                      aria-label={`Sign out ${session.browser}, last used ${relativeTime(session.lastUsedAt, now)}`}
                    >
                      Sign out
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <ConfirmDialog
        open={revoking !== null}
        title="Sign out this session?"
        confirmLabel="Sign out"
        confirmTestId="confirm-revoke-session"
        busy={revoke.busy}
        onConfirm={() => {
          if (!revoking) return;
          setNotice(null);
          // Closed either way: a failure is said on the page, not behind the dialog.
          void revoke.run(revoking).finally(() => setRevoking(null));
        }}
        onCancel={() => setRevoking(null)}
      >
        <p>
          {revoking?.browser}
          {revoking?.ip ? ` at ${revoking.ip}` : ''}, signed in {formatDateTime(revoking?.createdAt)}, is
          signed out at its next request. Signing in there again takes your password.
        </p>
      </ConfirmDialog>
      <ConfirmDialog
        open={confirmOthers}
        title="Sign out everywhere else?"
        confirmLabel="Sign out everywhere else"
        confirmTestId="confirm-sign-out-others"
        busy={revokeOthers.busy}
        onConfirm={() => {
          setNotice(null);
          void revokeOthers.run().finally(() => setConfirmOthers(false));
        }}
        onCancel={() => setConfirmOthers(false)}
      >
        <p>
          Every other browser signed in as you ({others} {others === 1 ? 'session' : 'sessions'}) is signed
          out. This browser stays signed in.
        </p>
      </ConfirmDialog>
    </section>
  );
}
