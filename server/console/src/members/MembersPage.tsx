import { useCallback, useState, type SyntheticEvent } from 'react';
import type { CustomRole, Invitation, Member } from '@enclave/shared';
import {
  ConfirmDialog,
  ErrorNote,
  Icon,
  Spinner,
  formatDateTime,
  relativeTime,
  useAction,
  useNow,
} from '@enclave/ui';
import { asApiError, call, type ApiError } from '../api/client';
import { useLive } from '../api/live';
import { useResource } from '../api/use-resource';
import { navigate } from '../app/router';
import { useMe } from '../app/session';
import { useWorkspace } from '../app/workspace';
import { PageHeader } from '../layout/ConsoleShell';
import { CopyButton } from '../layout/CopyButton';
import { RolePicker } from './RolePicker';
import { roleLabel } from './role-names';
import './members.css';

/** Words for the refusals a member change can meet; anything else is shown in the server's words. */
function messageOf(error: ApiError): string {
  switch (error.code) {
    case 'forbidden':
      return 'You may not do this: owners and admins manage members, and only owners manage owners.';
    case 'not_found':
      return 'That person or invitation is no longer in this workspace: someone changed it meanwhile.';
    case 'validation_failed':
      return error.issues[0]?.message ?? error.message;
    default:
      return error.message;
  }
}

export function MembersPage() {
  const { workspace, isAdmin, isOwner } = useWorkspace();
  const workspaceId = workspace.id;
  const me = useMe();
  const now = useNow(60_000);
  const members = useResource(`members:${workspaceId}`, () =>
    call('listMembers', { params: { workspaceId } }),
  );
  const roles = useResource(`roles:${workspaceId}`, () => call('listRoles', { params: { workspaceId } }));
  const invitations = useResource(`invitations:${workspaceId}:${String(isAdmin)}`, () =>
    isAdmin ? call('listInvitations', { params: { workspaceId } }) : Promise.resolve(null),
  );
  const custom = roles.data?.items ?? [];
  const [editing, setEditing] = useState<Member | null>(null);
  const [removing, setRemoving] = useState<Member | null>(null);
  const [cancelling, setCancelling] = useState<Invitation | null>(null);

  const reloadMembers = members.reload;
  const reloadInvitations = invitations.reload;
  const refresh = useCallback(() => {
    void reloadMembers();
    void reloadInvitations();
  }, [reloadMembers, reloadInvitations]);
  /** What a dialog does when it closes: it goes, and the list it changed, if any, is asked again. */
  const closed = (close: (none: null) => void, reload: () => Promise<unknown>) => (changed: boolean) => {
    close(null);
    if (changed) void reload();
  };

  const pending = invitations.data?.items.filter((i) => i.status === 'pending') ?? [];
  const list = members.data?.items ?? [];

  return (
    <div className="page console-page members-page" data-testid="members-page">
      {isAdmin && <MembersLive workspaceId={workspaceId} onChange={refresh} />}
      <PageHeader
        title="Members"
        intro={
          isAdmin
            ? 'Who belongs to this workspace and what their roles let them do. Invite people by email; a member with several roles has the rights of all of them.'
            : 'Who belongs to this workspace and their roles. Owners and admins invite people and change roles.'
        }
      />

      {isAdmin && (
        <InviteSection
          workspaceId={workspaceId}
          custom={custom}
          canGrantOwner={isOwner}
          onInvited={() => void reloadInvitations()}
        />
      )}

      <section className="console-section" aria-labelledby="members-heading">
        <h2 id="members-heading">
          Members {members.data && <span className="view-count">{list.length}</span>}
        </h2>
        {members.error && <ErrorNote error={members.error} message={messageOf(members.error)} />}
        {!members.data && !members.error && <Spinner label="Loading members" />}
        {members.data && (
          <table className="data-table" data-testid="members-table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Email</th>
                <th scope="col">Roles</th>
                <th scope="col">Joined</th>
                {isAdmin && (
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                )}
              </tr>
            </thead>
            <tbody>
              {list.map((member) => {
                const ownerRow = member.roles.includes('owner');
                const manageable = isAdmin && (isOwner || !ownerRow);
                return (
                  <tr key={member.userId} data-testid="member-row" data-email={member.email}>
                    <td>
                      {member.name}
                      {member.userId === me.id && <span className="muted"> (you)</span>}
                    </td>
                    <td className="selectable">{member.email}</td>
                    <td data-testid="member-roles">
                      <span className="role-badges">
                        {member.roles.map((role) => (
                          <span key={role} className="badge role-badge" data-role={role}>
                            {roleLabel(role, custom)}
                          </span>
                        ))}
                      </span>
                    </td>
                    <td title={formatDateTime(member.joinedAt)}>{relativeTime(member.joinedAt, now)}</td>
                    {isAdmin && (
                      <td className="row-actions">
                        {manageable ? (
                          <>
                            <button
                              type="button"
                              className="button small"
                              onClick={() => setEditing(member)}
                              aria-label={`Change roles of ${member.name}`}
                              data-testid="member-change-roles"
                            >
                              Change roles
                            </button>
                            {member.userId !== me.id && (
                              <button
                                type="button"
                                className="button small danger"
                                onClick={() => setRemoving(member)}
                                aria-label={`Remove ${member.name}`}
                                data-testid="member-remove"
                              >
                                Remove
                              </button>
                            )}
                          </>
                        ) : (
                          <span className="hint">Only an owner can change an owner</span>
                        )}
                      </td>
                    )}
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </section>

      {isAdmin && (
        <section className="console-section" aria-labelledby="invitations-heading">
          <h2 id="invitations-heading">
            Pending invitations {invitations.data && <span className="view-count">{pending.length}</span>}
          </h2>
          {invitations.error && (
            <ErrorNote error={invitations.error} message={messageOf(invitations.error)} />
          )}
          {!invitations.data && !invitations.error && <Spinner label="Loading invitations" />}
          {invitations.data && pending.length === 0 && (
            <p className="muted" data-testid="invitations-empty">
              No invitation is waiting for an answer. Invite someone above; their invitation stays here until
              they accept it, it expires, or you cancel it.
            </p>
          )}
          {pending.length > 0 && (
            <table className="data-table" data-testid="invitations-table">
              <thead>
                <tr>
                  <th scope="col">Email</th>
                  <th scope="col">Roles</th>
                  <th scope="col">Invited</th>
                  <th scope="col">Expires</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {pending.map((invitation) => (
                  <tr key={invitation.id} data-testid="invitation-row" data-email={invitation.email}>
                    <td className="selectable">{invitation.email}</td>
                    <td>
                      <span className="role-badges">
                        {invitation.roles.map((role) => (
                          <span key={role} className="badge role-badge">
                            {roleLabel(role, custom)}
                          </span>
                        ))}
                      </span>
                    </td>
                    <td title={formatDateTime(invitation.createdAt)}>
                      {relativeTime(invitation.createdAt, now)}
                    </td>
                    <td>{formatDateTime(invitation.expiresAt)}</td>
                    <td className="row-actions">
                      <button
                        type="button"
                        className="button small danger"
                        onClick={() => setCancelling(invitation)}
                        aria-label={`Cancel the invitation to ${invitation.email}`}
                        data-testid="invitation-cancel"
                      >
                        Cancel
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      )}

      {editing && (
        <ChangeRolesDialog
          workspaceId={workspaceId}
          member={editing}
          custom={custom}
          canGrantOwner={isOwner}
          onDone={closed(setEditing, reloadMembers)}
        />
      )}
      {removing && (
        <RemoveMemberDialog
          workspaceId={workspaceId}
          workspaceName={workspace.name}
          member={removing}
          onDone={closed(setRemoving, reloadMembers)}
        />
      )}
      {cancelling && (
        <CancelInvitationDialog
          workspaceId={workspaceId}
          invitation={cancelling}
          onDone={closed(setCancelling, reloadInvitations)}
        />
      )}
    </div>
  );
}

/**
 * Admins see the list change while the page is open: someone accepts an invitation, another admin
 * changes a role. The audit events of the live channel say so; the lists are then asked again.
 */
function MembersLive({ workspaceId, onChange }: { workspaceId: string; onChange: () => void }) {
  useLive(
    workspaceId,
    (event) => {
      if (event.type === 'audit' && event.event.action.startsWith('member.')) onChange();
    },
    onChange,
  );
  return null;
}

function InviteSection({
  workspaceId,
  custom,
  canGrantOwner,
  onInvited,
}: {
  workspaceId: string;
  custom: readonly CustomRole[];
  canGrantOwner: boolean;
  onInvited: () => void;
}) {
  const [email, setEmail] = useState('');
  const [roles, setRoles] = useState<string[]>(['member']);
  const [created, setCreated] = useState<{ email: string; link: string; expiresAt: string } | null>(null);
  const invite = useAction(async () => {
    const answer = await call('invite', { params: { workspaceId }, body: { email: email.trim(), roles } });
    setCreated({ email: answer.invitation.email, link: answer.link, expiresAt: answer.invitation.expiresAt });
    setEmail('');
    setRoles(['member']);
    onInvited();
  }, asApiError);
  const [noRole, setNoRole] = useState(false);
  const submit = (event: SyntheticEvent) => {
    event.preventDefault();
    setCreated(null);
    setNoRole(roles.length === 0);
    if (roles.length > 0) void invite.run();
  };
  const emailError = invite.error?.issueAt('body.email');
  const rolesError = noRole
    ? 'Choose at least one role: it says what they may do once they join.'
    : invite.error?.issueAt('body.roles');
  return (
    <section className="console-section" aria-labelledby="invite-heading">
      <h2 id="invite-heading">Invite someone</h2>
      {created && <InvitationLink {...created} onDismiss={() => setCreated(null)} />}
      <form className="form invite-form card" onSubmit={submit} noValidate data-testid="invite-form">
        {invite.error && !emailError && !rolesError && (
          <ErrorNote error={invite.error} message={messageOf(invite.error)} testId="invite-error" />
        )}
        <div className="invite-fields">
          <label className="field">
            <span className="field-label">Email address</span>
            <input
              type="email"
              autoComplete="off"
              required
              value={email}
              onChange={(event) => setEmail(event.target.value)}
              aria-invalid={emailError ? true : undefined}
              aria-describedby={emailError ? 'invite-email-error' : undefined}
              data-testid="invite-email"
            />
            {emailError && (
              <span className="field-error" id="invite-email-error" data-testid="invite-email-error">
                {emailError}
              </span>
            )}
          </label>
          <RolePicker
            value={roles}
            onChange={(next) => {
              setRoles(next);
              if (next.length > 0) setNoRole(false);
            }}
            custom={custom}
            canGrantOwner={canGrantOwner}
            disabled={invite.busy}
            error={rolesError}
            testId="invite-role"
          />
        </div>
        <div className="actions">
          <button type="submit" className="button primary" disabled={invite.busy} data-testid="invite-submit">
            {invite.busy ? 'Inviting…' : 'Send invitation'}
          </button>
        </div>
      </form>
    </section>
  );
}

/**
 * The invitation link, shown once: the server keeps only a hash of its token, so it can never be
 * shown again. Without SMTP the inviter is the only way it reaches the person.
 */
function InvitationLink({
  email,
  link,
  expiresAt,
  onDismiss,
}: {
  email: string;
  link: string;
  expiresAt: string;
  onDismiss: () => void;
}) {
  return (
    <div className="notice invitation-link" role="status" data-testid="invitation-link">
      <Icon name="link" />
      <div>
        <strong>Invitation made for {email}.</strong>
        <p>
          This link is shown only now: the server does not keep it, so it cannot be shown again. If this
          server sends email, it was emailed to {email} too; otherwise send this link yourself. It works once,
          for that address only, and expires {formatDateTime(expiresAt)}.
        </p>
        <div className="link-row">
          <input
            type="text"
            readOnly
            value={link}
            aria-label="Invitation link"
            className="mono"
            onFocus={(event) => event.target.select()}
            data-testid="invitation-link-value"
          />
          <CopyButton text={link} what="the invitation link" testId="invitation-link-copy" />
          <button
            type="button"
            className="button small"
            onClick={onDismiss}
            data-testid="invitation-link-done"
          >
            Done
          </button>
        </div>
      </div>
    </div>
  );
}

function ChangeRolesDialog({
  workspaceId,
  member,
  custom,
  canGrantOwner,
  onDone,
}: {
  workspaceId: string;
  member: Member;
  custom: readonly CustomRole[];
  canGrantOwner: boolean;
  onDone: (changed: boolean) => void;
}) {
  const [roles, setRoles] = useState<string[]>(member.roles);
  const save = useAction(async () => {
    await call('setMemberRoles', { params: { workspaceId, userId: member.userId }, body: { roles } });
    onDone(true);
  }, asApiError);
  const none = roles.length === 0;
  return (
    <ConfirmDialog
      open
      title={`Roles of ${member.name}`}
      confirmLabel="Save roles"
      tone="primary"
      busy={save.busy}
      confirmTestId="roles-dialog-save"
      onConfirm={() => {
        if (!none) void save.run();
      }}
      onCancel={() => onDone(save.error !== null)}
    >
      <div className="dialog-form" data-testid="roles-dialog">
        <p>{member.email}</p>
        {save.error && (
          <ErrorNote error={save.error} message={messageOf(save.error)} testId="roles-dialog-error" />
        )}
        <RolePicker
          value={roles}
          onChange={setRoles}
          custom={custom}
          canGrantOwner={canGrantOwner}
          disabled={save.busy}
          error={none ? 'A member needs at least one role. To take all access away, remove them.' : undefined}
          testId="roles-dialog-role"
        />
      </div>
    </ConfirmDialog>
  );
}

function RemoveMemberDialog({
  workspaceId,
  workspaceName,
  member,
  onDone,
}: {
  workspaceId: string;
  workspaceName: string;
  member: Member;
  onDone: (changed: boolean) => void;
}) {
  const [wipe, setWipe] = useState(false);
  const [partial, setPartial] = useState<string | null>(null);
  const remove = useAction(async () => {
    // The server revokes the member's devices as part of the removal, without a wipe. A wipe is
    // asked for afterwards, device by device: revoking again may add a wipe, and if the removal
    // is refused nothing has been touched.
    await call('removeMember', { params: { workspaceId, userId: member.userId } });
    if (wipe) {
      const devices = await call('listDevices', { params: { workspaceId } });
      const theirs = devices.items.filter((d) => d.ownerId === member.userId && !d.wipe);
      const failed: string[] = [];
      for (const device of theirs) {
        await call('revokeDevice', {
          params: { workspaceId, deviceId: device.id },
          body: { wipe: true },
        }).catch(() => failed.push(device.name));
      }
      if (failed.length > 0) {
        setPartial(
          `${member.name} was removed and all their devices were revoked, but the wipe could not be asked of: ${failed.join(', ')}. Try again on the Devices page.`,
        );
        return;
      }
    }
    onDone(true);
  }, asApiError);
  if (partial) {
    return (
      <ConfirmDialog
        open
        title="Removed, but not every wipe was asked for"
        confirmLabel="Open Devices"
        cancelLabel="Close"
        tone="primary"
        onConfirm={() => navigate(`/w/${workspaceId}/devices`)}
        onCancel={() => onDone(true)}
      >
        <p>{partial}</p>
      </ConfirmDialog>
    );
  }
  return (
    <ConfirmDialog
      open
      title={`Remove ${member.name} from ${workspaceName}?`}
      confirmLabel="Remove member"
      busy={remove.busy}
      confirmTestId="remove-member-confirm"
      onConfirm={() => void remove.run()}
      onCancel={() => onDone(remove.error !== null)}
    >
      <div className="dialog-form" data-testid="remove-member-dialog">
        {remove.error && (
          <ErrorNote error={remove.error} message={messageOf(remove.error)} testId="remove-member-error" />
        )}
        <p>
          {member.name} ({member.email}) loses access to this workspace at once.{' '}
          <strong>Their devices in this workspace are revoked too:</strong> they can no longer sync or reach
          the server. What those computers already hold stays on them unless you ask for a wipe.
        </p>
        <label className="checkbox">
          <input
            type="checkbox"
            checked={wipe}
            onChange={(event) => setWipe(event.target.checked)}
            disabled={remove.busy}
            data-testid="remove-member-wipe"
          />
          Also wipe this workspace&rsquo;s data from their computers
        </label>
        <p className="hint">
          The app deletes its copy the next time it reaches the server. Changes it has not synced yet are
          lost.
        </p>
      </div>
    </ConfirmDialog>
  );
}

function CancelInvitationDialog({
  workspaceId,
  invitation,
  onDone,
}: {
  workspaceId: string;
  invitation: Invitation;
  onDone: (changed: boolean) => void;
}) {
  const cancel = useAction(async () => {
    await call('cancelInvitation', { params: { workspaceId, invitationId: invitation.id } });
    onDone(true);
  }, asApiError);
  return (
    <ConfirmDialog
      open
      title={`Cancel the invitation to ${invitation.email}?`}
      confirmLabel="Cancel invitation"
      cancelLabel="Keep it"
      busy={cancel.busy}
      confirmTestId="cancel-invitation-confirm"
      onConfirm={() => void cancel.run()}
      onCancel={() => onDone(cancel.error !== null)}
    >
      <div className="dialog-form">
        {cancel.error && (
          <ErrorNote
            error={cancel.error}
            message={messageOf(cancel.error)}
            testId="cancel-invitation-error"
          />
        )}
        <p>The link sent to {invitation.email} stops working. You can invite them again later.</p>
      </div>
    </ConfirmDialog>
  );
}
