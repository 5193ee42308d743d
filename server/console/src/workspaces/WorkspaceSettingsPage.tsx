import { useState, type SyntheticEvent } from 'react';
import { ConfirmDialog, ErrorNote, formatDateTime, Icon, useAction } from '@enclave/ui';
import { asApiError, call } from '../api/client';
import { navigate } from '../app/router';
import { useWorkspace } from '../app/workspace';
import { Field, fieldIssue, FormError } from '../auth/auth-form';
import { PageHeader } from '../layout/ConsoleShell';
import { roleNames } from './workspace-roles';
import './workspaces.css';

/**
 * A workspace's name, its facts, and deleting it. Owners and admins rename (`workspace.manage`),
 * owners alone delete (`workspace.delete`); the controls follow the roles, and the server checks
 * each request on its own whatever the page shows.
 */
export function WorkspaceSettingsPage() {
  const { workspace, isAdmin, isOwner } = useWorkspace();
  return (
    <div className="page console-page" data-testid="workspace-settings-page">
      <PageHeader title="Settings" intro="This workspace’s name and what it is; deleting it." />
      {isAdmin ? (
        <RenameWorkspace key={workspace.id} />
      ) : (
        <section className="settings-group" aria-labelledby="workspace-name-title">
          <h2 id="workspace-name-title">Name</h2>
          <p data-testid="workspace-name">{workspace.name}</p>
          <p className="hint">Only owners and admins can rename this workspace.</p>
        </section>
      )}
      <section className="settings-group" aria-labelledby="workspace-facts-title">
        <h2 id="workspace-facts-title">Workspace</h2>
        <dl className="settings-list">
          <div>
            <dt>Workspace ID</dt>
            <dd className="mono selectable">{workspace.id}</dd>
          </div>
          <div>
            <dt>Created</dt>
            <dd>{formatDateTime(workspace.createdAt)}</dd>
          </div>
          <div>
            <dt>Your roles</dt>
            <dd data-testid="workspace-my-roles">{roleNames(workspace.roles)}</dd>
          </div>
        </dl>
      </section>
      {isOwner ? (
        <DeleteWorkspace />
      ) : (
        <section className="settings-group" aria-labelledby="workspace-delete-title">
          <h2 id="workspace-delete-title">Delete</h2>
          <p className="hint" data-testid="delete-owner-only">
            Only an owner of this workspace can delete it.
          </p>
        </section>
      )}
    </div>
  );
}

function RenameWorkspace() {
  const { workspace, reload } = useWorkspace();
  const [name, setName] = useState(workspace.name);
  const [renamed, setRenamed] = useState<string | null>(null);
  const rename = useAction(async () => {
    const summary = await call('renameWorkspace', {
      params: { workspaceId: workspace.id },
      body: { name },
    });
    setName(summary.name);
    setRenamed(summary.name);
    // The shell (switcher, sidebar) shows the name from the workspace list: ask for it again.
    await reload();
  }, asApiError);
  const submit = (event: SyntheticEvent) => {
    event.preventDefault();
    setRenamed(null);
    void rename.run();
  };
  const unchanged = name.trim() === workspace.name;
  return (
    <section className="settings-group" aria-labelledby="workspace-name-title">
      <h2 id="workspace-name-title">Name</h2>
      {renamed && (
        <div className="notice success" role="status" data-testid="rename-done">
          <Icon name="check" />
          <div>The workspace is now called “{renamed}”, for every member and device.</div>
        </div>
      )}
      <form className="form rename-form" onSubmit={submit} noValidate>
        <FormError
          error={rename.error}
          fields={['name']}
          messages={{ forbidden: 'Only owners and admins can rename this workspace.' }}
          testId="rename-error"
        />
        <Field
          label="Workspace name"
          required
          maxLength={100}
          value={name}
          onChange={(event) => setName(event.target.value)}
          error={fieldIssue(rename.error, 'name', 'The name')}
          testId="rename-name"
        />
        <div className="actions">
          <button
            type="submit"
            className="button primary"
            disabled={rename.busy || unchanged}
            data-testid="rename-submit"
          >
            {rename.busy ? 'Renaming…' : 'Rename'}
          </button>
        </div>
      </form>
    </section>
  );
}

function DeleteWorkspace() {
  const { workspace, reload } = useWorkspace();
  const [confirming, setConfirming] = useState(false);
  const [typed, setTyped] = useState('');
  // The server compares the NFC form of what is typed with the name: so does the button.
  const matches = typed.normalize('NFC') === workspace.name.normalize('NFC');
  const remove = useAction(async () => {
    await call('deleteWorkspace', {
      params: { workspaceId: workspace.id },
      body: { confirmName: typed },
    });
    navigate('/workspaces', { replace: true });
    await reload();
  }, asApiError);
  const close = () => {
    setConfirming(false);
    setTyped('');
  };
  return (
    <section className="settings-group danger-zone" aria-labelledby="workspace-delete-title">
      <h2 id="workspace-delete-title">Delete this workspace</h2>
      <p>
        Deletes every record, member, role and the audit log of this workspace from the server. Every paired
        device is revoked and told to wipe its copy. This cannot be undone.
      </p>
      {remove.error && !confirming && (
        <ErrorNote
          error={remove.error}
          message={
            remove.error.code === 'forbidden'
              ? 'Only an owner of this workspace can delete it.'
              : remove.error.code === 'validation_failed'
                ? 'The name typed does not match the workspace’s name: nothing was deleted.'
                : undefined
          }
          testId="delete-error"
        />
      )}
      <button
        type="button"
        className="button danger"
        onClick={() => {
          remove.clearError();
          setConfirming(true);
        }}
        data-testid="delete-workspace"
      >
        <Icon name="trash" size={14} /> Delete workspace…
      </button>
      <ConfirmDialog
        open={confirming}
        title={`Delete “${workspace.name}”?`}
        confirmLabel="Delete workspace"
        confirmTestId="confirm-delete-workspace"
        confirmDisabled={!matches}
        busy={remove.busy}
        onConfirm={() => {
          if (matches) void remove.run().finally(close);
        }}
        onCancel={close}
      >
        <p>
          Every record, member, role and audit event of this workspace is deleted. Every device paired with it
          is revoked and told to wipe its copy of the data the next time it connects.
        </p>
        <div className="field delete-confirm-field">
          <label className="field-label" htmlFor="delete-confirm-name">
            Type <strong className="selectable">{workspace.name}</strong> to confirm
          </label>
          <input
            id="delete-confirm-name"
            type="text"
            autoComplete="off"
            spellCheck={false}
            value={typed}
            onChange={(event) => setTyped(event.target.value)}
            onKeyDown={(event) => {
              if (event.key === 'Enter' && matches) {
                event.preventDefault();
                void remove.run().finally(close);
              }
            }}
            data-testid="delete-confirm-name"
          />
        </div>
      </ConfirmDialog>
    </section>
  );
}
