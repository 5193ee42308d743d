import { useId, useState, type SyntheticEvent } from 'react';
import type { CustomRole, EntityPermission, EntityTypeDef, Member } from '@enclave/shared';
import { ConfirmDialog, ErrorNote, Icon, Spinner, useAction } from '@enclave/ui';
import { asApiError, call, type ApiError } from '../api/client';
import { useResource } from '../api/use-resource';
import { useWorkspace } from '../app/workspace';
import { PageHeader } from '../layout/ConsoleShell';
import './members.css';

const ABILITIES = ['read', 'write', 'delete'] as const satisfies readonly (keyof EntityPermission)[];
const ABILITY_LABELS: Record<keyof EntityPermission, string> = {
  read: 'Read',
  write: 'Write',
  delete: 'Delete',
};

/**
 * What the built-in roles allow, in the words of the server's policy (server/src/policy/policy.ts):
 * owners and admins differ only in the owner role and deleting the workspace.
 */
const BUILT_IN_ROWS: { role: string; records: string; manages: string }[] = [
  {
    role: 'Owner',
    records: 'Read, write and delete every entity type',
    manages:
      'Everything: members (including granting and taking the owner role), custom roles, the schema, the workspace’s name, every member’s devices, the audit log. Only owners can delete the workspace.',
  },
  {
    role: 'Admin',
    records: 'Read, write and delete every entity type',
    manages:
      'Members (but not owners, nor the owner role), custom roles, the schema, the workspace’s name, every member’s devices, the audit log.',
  },
  {
    role: 'Member',
    records: 'Read, write and delete every entity type',
    manages: 'Only their own devices.',
  },
  {
    role: 'Viewer',
    records: 'Read every entity type; change nothing',
    manages: 'Only their own devices.',
  },
];

/** An issue path of a role refusal, without where in the request it was found. */
function issueFor(error: ApiError | null, field: 'key' | 'label' | 'permissions'): string | undefined {
  if (!error) return undefined;
  return error.issues.find((issue) => issue.path.replace(/^(body|params|role)\./, '') === field)?.message;
}

function summaryOf(role: CustomRole, types: readonly EntityTypeDef[]): string {
  // In the schema's order, as in the editor's grid; types the schema no longer has come last.
  const keys = [
    ...types.map((t) => t.key).filter((k) => k in role.permissions),
    ...Object.keys(role.permissions).filter((k) => !types.some((t) => t.key === k)),
  ];
  const parts = keys.flatMap((key) => {
    const perm = role.permissions[key];
    const granted = ABILITIES.filter((a) => perm?.[a]);
    if (granted.length === 0) return [];
    const name = types.find((t) => t.key === key)?.pluralLabel ?? `${key} (no longer in the schema)`;
    return [`${name}: ${granted.join(', ')}`];
  });
  return parts.length > 0 ? parts.join(' · ') : 'Grants nothing yet: edit it to give rights on entity types.';
}

export function RolesPage() {
  const { workspace, isAdmin } = useWorkspace();
  const workspaceId = workspace.id;
  const roles = useResource(`roles:${workspaceId}`, () => call('listRoles', { params: { workspaceId } }));
  const schema = useResource(`schema:${workspaceId}`, () => call('getSchema', { params: { workspaceId } }));
  const members = useResource(`members:${workspaceId}`, () =>
    call('listMembers', { params: { workspaceId } }),
  );
  const [editing, setEditing] = useState<CustomRole | 'new' | null>(null);
  const [removing, setRemoving] = useState<CustomRole | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const types = schema.data?.entityTypes ?? [];
  const items = roles.data?.items ?? [];
  const loadError = roles.error ?? schema.error;

  const holders = (key: string): Member[] => members.data?.items.filter((m) => m.roles.includes(key)) ?? [];

  return (
    <div className="page console-page roles-page" data-testid="roles-page">
      <PageHeader
        title="Roles"
        intro="What each role lets a member do. Give members several roles and their rights add up; custom roles give record rights per entity type and manage nothing."
        actions={
          isAdmin &&
          editing === null && (
            <button
              type="button"
              className="button primary"
              onClick={() => {
                setSaved(null);
                setEditing('new');
              }}
              data-testid="role-new"
            >
              <Icon name="plus" size={14} />
              New role
            </button>
          )
        }
      />
      {!isAdmin && (
        <section>
          <div className="notice" role="note">
            <Icon name="info" />
            <div>Only owners and admins manage roles. Ask one of them to change yours.</div>
          </div>
        </section>
      )}
      {saved && (
        <section>
          <div className="notice" role="status" data-testid="role-saved">
            <Icon name="check" />
            <div>{saved}</div>
          </div>
        </section>
      )}
      {isAdmin && editing !== null && schema.data && (
        <RoleEditor
          key={editing === 'new' ? 'new' : editing.key}
          workspaceId={workspaceId}
          role={editing === 'new' ? null : editing}
          existing={items}
          types={types}
          onSaved={(role) => {
            setEditing(null);
            setSaved(`The role “${role.label}” is saved. Members who hold it have its rights now.`);
            void roles.reload();
          }}
          onCancel={() => setEditing(null)}
        />
      )}

      <section className="console-section" aria-labelledby="custom-roles-heading">
        <h2 id="custom-roles-heading">Custom roles</h2>
        {loadError && <ErrorNote error={loadError} />}
        {(!roles.data || !schema.data) && !loadError && <Spinner label="Loading roles" />}
        {roles.data && schema.data && items.length === 0 && (
          <div className="empty-state" data-testid="roles-empty">
            <Icon name="key" size={22} />
            <h2>No custom roles yet</h2>
            <p>
              {isAdmin
                ? 'Make one with “New role” to let someone read, write or delete only some entity types, then give it to them on the Members page.'
                : 'This workspace uses the built-in roles only.'}
            </p>
          </div>
        )}
        {roles.data && schema.data && items.length > 0 && (
          <ul className="card-list role-list">
            {items.map((role) => {
              const held = holders(role.key);
              return (
                <li key={role.key} className="card role-card" data-testid="role-card" data-key={role.key}>
                  <div className="role-card-header">
                    <h3>{role.label}</h3>
                    <span className="mono muted">{role.key}</span>
                    <span className="spacer" />
                    {isAdmin && (
                      <>
                        <button
                          type="button"
                          className="button small"
                          onClick={() => {
                            setSaved(null);
                            setEditing(role);
                          }}
                          aria-label={`Edit the role ${role.label}`}
                          data-testid="role-edit"
                        >
                          <Icon name="pencil" size={13} />
                          Edit
                        </button>
                        <button
                          type="button"
                          className="button small danger"
                          onClick={() => setRemoving(role)}
                          aria-label={`Delete the role ${role.label}`}
                          data-testid="role-delete"
                        >
                          <Icon name="trash" size={13} />
                          Delete
                        </button>
                      </>
                    )}
                  </div>
                  <p className="role-summary" data-testid="role-summary">
                    {summaryOf(role, types)}
                  </p>
                  {members.data && (
                    <p className="hint">
                      {held.length === 0
                        ? 'No member holds it.'
                        : `Held by ${held.map((m) => m.name).join(', ')}.`}
                    </p>
                  )}
                </li>
              );
            })}
          </ul>
        )}
      </section>

      <section className="console-section" aria-labelledby="built-in-heading">
        <h2 id="built-in-heading">Built-in roles</h2>
        <table className="data-table built-in-roles" data-testid="built-in-roles">
          <thead>
            <tr>
              <th scope="col">Role</th>
              <th scope="col">Records</th>
              <th scope="col">Manages</th>
            </tr>
          </thead>
          <tbody>
            {BUILT_IN_ROWS.map((row) => (
              <tr key={row.role}>
                <td>{row.role}</td>
                <td>{row.records}</td>
                <td>{row.manages}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <p className="hint">
          Every member may pair and revoke their own devices. A role that names an entity type nobody may read
          hides its records entirely: they are neither listed nor synced to that member’s devices.
        </p>
      </section>

      {removing && (
        <RemoveRoleDialog
          workspaceId={workspaceId}
          role={removing}
          onDone={(changed) => {
            setRemoving(null);
            if (changed) {
              setSaved(`The role “${removing.label}” is deleted.`);
              void roles.reload();
            }
          }}
        />
      )}
    </div>
  );
}

function RoleEditor({
  workspaceId,
  role,
  existing,
  types,
  onSaved,
  onCancel,
}: {
  workspaceId: string;
  role: CustomRole | null;
  existing: readonly CustomRole[];
  types: readonly EntityTypeDef[];
  onSaved: (role: CustomRole) => void;
  onCancel: () => void;
}) {
  const id = useId();
  const [key, setKey] = useState(role?.key ?? '');
  const [label, setLabel] = useState(role?.label ?? '');
  const [permissions, setPermissions] = useState<Record<string, EntityPermission>>(role?.permissions ?? {});
  const [localKeyError, setLocalKeyError] = useState<string | null>(null);
  // Rights on a type that was removed from the schema: the server refuses them, so they go.
  const stale = Object.keys(permissions).filter((t) => !types.some((e) => e.key === t));

  const save = useAction(async () => {
    const granted = Object.fromEntries(
      Object.entries(permissions).filter(
        ([type, perm]) => types.some((e) => e.key === type) && ABILITIES.some((a) => perm[a]),
      ),
    );
    return call('putRole', {
      params: { workspaceId, key: key.trim() },
      body: { label, permissions: granted },
    });
  }, asApiError);

  const submit = async (event: SyntheticEvent) => {
    event.preventDefault();
    setLocalKeyError(null);
    if (role === null) {
      // The key is part of the address: an empty one cannot be sent, and an existing one would be
      // replaced, not created.
      if (key.trim() === '') {
        setLocalKeyError('Give the role a key: lowercase letters, digits and _, starting with a letter.');
        return;
      }
      if (existing.some((r) => r.key === key.trim())) {
        setLocalKeyError('A custom role with this key exists already: edit that one instead.');
        return;
      }
    }
    const answer = await save.run();
    if (answer) onSaved(answer);
  };

  const set = (type: string, ability: keyof EntityPermission, on: boolean) =>
    setPermissions((current) => ({
      ...current,
      [type]: { ...(current[type] ?? { read: false, write: false, delete: false }), [ability]: on },
    }));

  const keyError = localKeyError ?? issueFor(save.error, 'key');
  const labelError = issueFor(save.error, 'label');
  const gridError = issueFor(save.error, 'permissions');
  const unplaced = !keyError && !labelError && !gridError ? save.error : null;

  return (
    <section className="console-section" aria-labelledby={`${id}-title`}>
      <form
        className="form card role-editor"
        onSubmit={(e) => void submit(e)}
        noValidate
        data-testid="role-editor"
      >
        <h2 id={`${id}-title`}>{role ? `Edit “${role.label}”` : 'New custom role'}</h2>
        {save.error && (keyError || labelError || gridError) && (
          <p className="form-summary" role="alert" data-testid="role-editor-summary">
            The server did not save the role:{' '}
            {save.error.issues.length === 1 ? 'one field needs' : 'some fields need'} attention.
          </p>
        )}
        {unplaced && <ErrorNote error={unplaced} testId="role-editor-error" />}
        <div className="form-row">
          <label className="field">
            <span className="field-label">Key</span>
            <input
              type="text"
              value={key}
              onChange={(event) => setKey(event.target.value)}
              disabled={role !== null}
              spellCheck={false}
              autoComplete="off"
              className="mono"
              aria-invalid={keyError ? true : undefined}
              aria-describedby={`${id}-key-hint`}
              data-testid="role-key"
            />
            {keyError ? (
              <span className="field-error" id={`${id}-key-hint`} data-testid="role-key-error">
                {keyError}
              </span>
            ) : (
              <span className="hint" id={`${id}-key-hint`}>
                {role ? 'The key cannot change: members hold the role by it.' : 'For example: billing_clerk'}
              </span>
            )}
          </label>
          <label className="field">
            <span className="field-label">Name</span>
            <input
              type="text"
              value={label}
              onChange={(event) => setLabel(event.target.value)}
              autoComplete="off"
              aria-invalid={labelError ? true : undefined}
              aria-describedby={labelError ? `${id}-label-error` : undefined}
              data-testid="role-label"
            />
            {labelError && (
              <span className="field-error" id={`${id}-label-error`} data-testid="role-label-error">
                {labelError}
              </span>
            )}
          </label>
        </div>

        {types.length === 0 ? (
          <p className="muted">
            The schema has no entity types yet, so there is nothing to give rights on. Add one on the Schema
            page first.
          </p>
        ) : (
          <table className="data-table permission-grid" data-testid="permission-grid">
            <caption className="visually-hidden">Record rights per entity type</caption>
            <thead>
              <tr>
                <th scope="col">Entity type</th>
                {ABILITIES.map((a) => (
                  <th key={a} scope="col">
                    {ABILITY_LABELS[a]}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {types.map((type) => (
                <tr key={type.key} data-testid="permission-row" data-type={type.key}>
                  <th scope="row">
                    {type.pluralLabel} <span className="mono muted">{type.key}</span>
                  </th>
                  {ABILITIES.map((a) => (
                    <td key={a}>
                      <input
                        type="checkbox"
                        checked={permissions[type.key]?.[a] ?? false}
                        onChange={(event) => set(type.key, a, event.target.checked)}
                        aria-label={`${ABILITY_LABELS[a]} ${type.pluralLabel}`}
                        data-testid={`permission-${type.key}-${a}`}
                      />
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {gridError && (
          <p className="field-error" data-testid="permission-error">
            {gridError}
          </p>
        )}
        <p className="hint">
          Read lets a member see a type’s records (and have them synced to their devices); write lets them
          create and change them; delete lets them delete and restore them.
        </p>
        {stale.length > 0 && (
          <p className="hint" data-testid="role-stale-types">
            This role also named {stale.join(', ')}, which the schema no longer has; saving drops them.
          </p>
        )}
        <div className="actions">
          <button type="submit" className="button primary" disabled={save.busy} data-testid="role-save">
            {save.busy ? 'Saving…' : role ? 'Save role' : 'Create role'}
          </button>
          <button type="button" className="button" onClick={onCancel} disabled={save.busy}>
            Cancel
          </button>
        </div>
      </form>
    </section>
  );
}

function RemoveRoleDialog({
  workspaceId,
  role,
  onDone,
}: {
  workspaceId: string;
  role: CustomRole;
  onDone: (changed: boolean) => void;
}) {
  const remove = useAction(async () => {
    await call('removeRole', { params: { workspaceId, key: role.key } });
    onDone(true);
  }, asApiError);
  return (
    <ConfirmDialog
      open
      title={`Delete the role “${role.label}”?`}
      confirmLabel="Delete role"
      busy={remove.busy}
      confirmTestId="role-delete-confirm"
      onConfirm={() => void remove.run()}
      onCancel={() => onDone(false)}
    >
      <div className="dialog-form">
        {remove.error && (
          <ErrorNote
            error={remove.error}
            title="The server kept the role."
            message={remove.error.message}
            testId="role-delete-error"
          />
        )}
        <p>
          A role can be deleted only when no member holds it and no pending invitation gives it. The server
          says so if that is not yet the case.
        </p>
      </div>
    </ConfirmDialog>
  );
}
