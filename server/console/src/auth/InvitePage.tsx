import { CenteredScreen, ErrorNote, Spinner, useAction } from '@enclave/ui';
import { asApiError, call, type ApiError } from '../api/client';
import { Link, navigate, useQuery } from '../app/router';
import { useSession } from '../app/session';
import { IncompleteLink, LinkRefused } from './auth-form';
import { invitePath } from './SignUpPage';

/** Words for a refused acceptance, by cause; `email` is the signed-in account's address. */
function refusal(error: ApiError, email: string): string {
  switch (error.code) {
    case 'not_found':
      return `This invitation is not for ${email}, or it was cancelled. Sign in with the address the invitation was sent to.`;
    case 'conflict':
      return 'You are already a member of this workspace.';
    case 'email_not_verified':
      return 'Confirm your email address first: open the link in the email we sent you, then come back to this invitation.';
    case 'rate_limited':
      return 'Too many attempts from here. Wait a few minutes, then try again.';
    default:
      return error.message;
  }
}

/**
 * An invitation link (`/invite?workspace=&token=`). Signed out, the person signs in, or signs up
 * with the invitation, and comes back here (`?next=`); signed in, one button accepts it and opens
 * the workspace. The invitation names no workspace before it is accepted: the server tells
 * nothing about a workspace to someone who is not its member yet.
 */
export function InvitePage() {
  const query = useQuery();
  const workspaceId = query.get('workspace') ?? '';
  const token = query.get('token') ?? '';
  const { me, setMe } = useSession();
  const accept = useAction(async () => {
    const workspace = await call('acceptInvitation', { params: { workspaceId }, body: { token } });
    navigate(`/w/${workspace.id}/records`, { replace: true });
  }, asApiError);
  const switchAccount = useAction(async () => {
    await call('signOut', {}).catch(() => undefined);
    accept.clearError();
    setMe(null);
  }, asApiError);

  const here = invitePath(workspaceId, token);
  const error = accept.error;
  const malformed =
    !workspaceId ||
    !token ||
    (error?.code === 'validation_failed' &&
      (error.issueAt('params.workspaceId') !== undefined || error.issueAt('body.token') !== undefined));
  const toWorkspaces = (
    <Link to="/workspaces" className="button">
      Go to your workspaces
    </Link>
  );
  if (malformed) return <IncompleteLink action={toWorkspaces} link="This invitation link" />;
  if (error?.code === 'gone')
    return (
      <LinkRefused action={toWorkspaces}>
        This link has expired or was already used; ask the person who invited you for a new one.
      </LinkRefused>
    );
  if (me === undefined)
    return (
      <CenteredScreen title="Invitation">
        <Spinner label="Loading" />
      </CenteredScreen>
    );
  if (me === null)
    return (
      <CenteredScreen icon="shield" title="You are invited to a workspace" testId="invite-page">
        <p className="lead">
          Sign in with the account the invitation was sent to, or create one with that address; then you
          accept the invitation here.
        </p>
        <div className="actions">
          <Link
            to={`/sign-in?next=${encodeURIComponent(here)}`}
            className="button primary"
            data-testid="invite-sign-in"
          >
            Sign in to accept
          </Link>
          <Link
            to={`/sign-up?workspace=${encodeURIComponent(workspaceId)}&invitation=${encodeURIComponent(token)}`}
            className="button"
            data-testid="invite-sign-up"
          >
            Create an account
          </Link>
        </div>
      </CenteredScreen>
    );
  return (
    <CenteredScreen icon="shield" title="Accept the invitation" testId="invite-page">
      <p className="lead">
        You are signed in as <strong>{me.name}</strong> ({me.email}). Accepting makes you a member of the
        workspace, with the roles the invitation gives.
      </p>
      {error && <ErrorNote error={error} message={refusal(error, me.email)} testId="invite-error" />}
      <div className="actions">
        {error?.code === 'conflict' ? (
          <Link to={`/w/${workspaceId}/records`} className="button primary" data-testid="invite-open">
            Open the workspace
          </Link>
        ) : (
          <button
            type="button"
            className="button primary"
            onClick={() => void accept.run()}
            disabled={accept.busy}
            data-testid="invite-accept"
          >
            {accept.busy ? 'Accepting…' : 'Accept the invitation'}
          </button>
        )}
        <button
          type="button"
          className="button"
          onClick={() => void switchAccount.run()}
          disabled={switchAccount.busy}
          data-testid="invite-switch-account"
        >
          Use another account
        </button>
      </div>
    </CenteredScreen>
  );
}
