import { useRef, useState, type RefObject, type SyntheticEvent } from 'react';
import type { WorkspaceList, WorkspaceSummary, WorkspaceTemplate } from '@enclave/shared';
import { ErrorNote, formatDateTime, Icon, Spinner, useAction } from '@enclave/ui';
import type { z } from 'zod';
import { asApiError, call } from '../api/client';
import type { Resource } from '../api/use-resource';
import { Link, navigate } from '../app/router';
import { Field, fieldIssue, FormError } from '../auth/auth-form';
import { PageHeader } from '../layout/ConsoleShell';
import { roleNames } from './workspace-roles';
import './workspaces.css';

type Template = z.infer<typeof WorkspaceTemplate>;

/** What each template starts a workspace with (server/src/workspaces/templates.ts). */
const TEMPLATES: { value: Template; label: string; description: string }[] = [
  {
    value: 'standard',
    label: 'Standard',
    description:
      'Clients, invoices and tickets, with their fields ready to use. Change or remove any of them later under Schema.',
  },
  {
    value: 'empty',
    label: 'Empty',
    description: 'No record types at all: you define your own under Schema before anyone adds records.',
  },
];

/** The workspaces the signed-in person belongs to, and a new one from a template. */
export function WorkspacesPage({ workspaces }: { workspaces: Resource<z.infer<typeof WorkspaceList>> }) {
  const items = workspaces.data?.items;
  const nameInput = useRef<HTMLInputElement>(null);
  return (
    <div className="page console-page" data-testid="workspaces-page">
      <PageHeader
        title="Workspaces"
        intro="Each workspace has its own encrypted database, members, roles and devices."
        actions={
          items &&
          items.length > 0 && (
            <button
              type="button"
              className="button"
              onClick={() => nameInput.current?.focus()}
              data-testid="new-workspace"
            >
              <Icon name="plus" size={14} /> New workspace
            </button>
          )
        }
      />
      {workspaces.error && <ErrorNote error={workspaces.error} />}
      {!items && !workspaces.error && <Spinner label="Loading workspaces" />}
      {items && items.length === 0 && (
        <div className="empty-state workspaces-empty" data-testid="workspaces-empty">
          <Icon name="folder" size={22} />
          <h2>You are not in any workspace yet</h2>
          <p>
            Create one below: you become its owner and can invite people to it. To join someone else’s
            workspace, open the invitation link they sent you.
          </p>
        </div>
      )}
      {items && items.length > 0 && <WorkspaceTable items={items} />}
      {items && <CreateWorkspace nameInput={nameInput} onCreated={() => workspaces.reload()} />}
    </div>
  );
}

function WorkspaceTable({ items }: { items: readonly WorkspaceSummary[] }) {
  const sorted = [...items].sort((a, b) => a.name.localeCompare(b.name));
  return (
    <section className="console-section" aria-label="Your workspaces">
      <div className="card workspace-table-card">
        <table className="data-table" data-testid="workspaces-table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Your roles</th>
              <th scope="col">Created</th>
            </tr>
          </thead>
          <tbody>
            {sorted.map((w) => (
              <tr
                key={w.id}
                data-testid="workspace-row"
                data-workspace-id={w.id}
                data-available={w.available ? 'true' : 'false'}
              >
                <td>
                  <Link to={`/w/${w.id}/records`} className="workspace-link" data-testid="workspace-link">
                    {w.name}
                  </Link>
                  {!w.available && (
                    <span className="workspace-unavailable" data-testid="workspace-unavailable-mark">
                      Unavailable: its database on the server is missing or damaged
                    </span>
                  )}
                </td>
                <td data-testid="workspace-roles">{w.available ? roleNames(w.roles) : '—'}</td>
                <td>{formatDateTime(w.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function CreateWorkspace({
  nameInput,
  onCreated,
}: {
  nameInput: RefObject<HTMLInputElement | null>;
  onCreated: () => Promise<void>;
}) {
  const [name, setName] = useState('');
  const [template, setTemplate] = useState<Template>('standard');
  const create = useAction(async () => {
    const created = await call('createWorkspace', { body: { name, template } });
    // The shell's list must hold the new workspace before its pages open.
    await onCreated();
    navigate(`/w/${created.id}/records`);
  }, asApiError);
  const submit = (event: SyntheticEvent) => {
    event.preventDefault();
    void create.run();
  };
  return (
    <section className="settings-group create-workspace" aria-labelledby="create-workspace-title">
      <h2 id="create-workspace-title">Create a workspace</h2>
      <form className="form create-workspace-form" onSubmit={submit} noValidate>
        <FormError error={create.error} fields={['name']} testId="create-workspace-error" />
        <Field
          ref={nameInput}
          label="Name"
          required
          maxLength={100}
          value={name}
          onChange={(event) => setName(event.target.value)}
          error={fieldIssue(create.error, 'name', 'The name')}
          hint="What its members see, e.g. the name of your firm or team. You can rename it later."
          testId="create-workspace-name"
        />
        <fieldset className="template-choice">
          <legend className="field-label">Start from</legend>
          {TEMPLATES.map((t) => (
            <label key={t.value} className="template-option" data-testid={`template-${t.value}`}>
              <input
                type="radio"
                name="template"
                value={t.value}
                checked={template === t.value}
                onChange={() => setTemplate(t.value)}
              />
              <span>
                <strong>{t.label}</strong>
                <span className="template-description">{t.description}</span>
              </span>
            </label>
          ))}
        </fieldset>
        <div className="actions">
          <button
            type="submit"
            className="button primary"
            disabled={create.busy}
            data-testid="create-workspace-submit"
          >
            {create.busy ? 'Creating…' : 'Create workspace'}
          </button>
        </div>
      </form>
    </section>
  );
}
