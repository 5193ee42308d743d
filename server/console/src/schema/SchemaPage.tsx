import { useId, useRef, useState, type SyntheticEvent } from 'react';
import {
  FieldType,
  Sensitivity,
  type EntityTypeDef,
  type FieldDef,
  type WorkspaceSchema,
} from '@enclave/shared';
import { ConfirmDialog, ErrorNote, Icon, Spinner, useAction } from '@enclave/ui';
import { asApiError, call, type ApiError } from '../api/client';
import { useResource } from '../api/use-resource';
import { useWorkspace } from '../app/workspace';
import { PageHeader } from '../layout/ConsoleShell';
import {
  bodyOf,
  draftOf,
  newField,
  NO_ISSUES,
  placeIssues,
  type FieldDraft,
  type FieldProp,
  type PlacedIssues,
  type TypeDraft,
  type TypeProp,
} from './schema-draft';
import './schema.css';

const TYPE_LABELS: Record<FieldType, string> = {
  text: 'Text',
  longText: 'Long text',
  number: 'Number',
  money: 'Money',
  date: 'Date',
  enum: 'Choice list',
  email: 'Email',
  phone: 'Phone',
  reference: 'Reference',
  boolean: 'Yes / no',
};

const SENSITIVITY_LABELS: Record<Sensitivity, string> = {
  normal: 'Normal',
  pii: 'Personal data',
  secret: 'Secret',
};

function detailsOf(field: FieldDef, types: readonly EntityTypeDef[]): string {
  if (field.type === 'enum') return (field.options ?? []).join(', ');
  if (field.type === 'reference') {
    const target = types.find((t) => t.key === field.refType);
    return `→ ${target?.label ?? field.refType ?? ''}`;
  }
  if (field.type === 'money') return field.currency ?? '';
  return '';
}

export function SchemaPage() {
  const { workspace, isAdmin } = useWorkspace();
  const workspaceId = workspace.id;
  const schema = useResource(`schema:${workspaceId}`, () => call('getSchema', { params: { workspaceId } }));
  const [editing, setEditing] = useState<EntityTypeDef | 'new' | null>(null);
  const [removing, setRemoving] = useState<EntityTypeDef | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const types = schema.data?.entityTypes ?? [];
  const { setData } = schema;

  const saved = (next: WorkspaceSchema, message: string) => {
    setData(() => next);
    setNotice(message);
  };

  return (
    <div className="page console-page schema-page" data-testid="schema-page">
      <PageHeader
        title="Schema"
        intro={
          isAdmin
            ? 'The kinds of records this workspace holds and their fields. Changes reach every desktop app at its next sync.'
            : 'The kinds of records this workspace holds and their fields. Owners and admins change them.'
        }
        actions={
          isAdmin &&
          editing === null &&
          schema.data && (
            <button
              type="button"
              className="button primary"
              onClick={() => {
                setNotice(null);
                setEditing('new');
              }}
              data-testid="schema-add-type"
            >
              <Icon name="plus" size={14} />
              Add entity type
            </button>
          )
        }
      />
      {notice && (
        <section>
          <div className="notice schema-notice" role="status" data-testid="schema-notice">
            <Icon name="check" />
            <div>{notice}</div>
          </div>
        </section>
      )}
      {isAdmin && editing !== null && schema.data && (
        <EntityTypeEditor
          key={editing === 'new' ? 'new' : editing.key}
          workspaceId={workspaceId}
          original={editing === 'new' ? null : editing}
          types={types}
          onSaved={(next, def) => {
            setEditing(null);
            saved(next, `“${def.pluralLabel}” is saved (schema version ${String(next.version)}).`);
          }}
          onCancel={() => setEditing(null)}
        />
      )}
      {schema.error && <ErrorNote error={schema.error} />}
      {!schema.data && !schema.error && <Spinner label="Loading the schema" />}
      {schema.data && types.length === 0 && (
        <div className="empty-state" data-testid="schema-empty">
          <Icon name="folder" size={22} />
          <h2>No entity types yet</h2>
          <p>
            {isAdmin
              ? 'Add one with “Add entity type”: clients, cases, invoices — whatever this workspace keeps records of.'
              : 'An owner or admin adds the kinds of records this workspace keeps.'}
          </p>
        </div>
      )}
      {types.map((type) => (
        <section
          key={type.key}
          className="console-section card entity-type-card"
          aria-labelledby={`type-${type.key}`}
          data-testid="entity-type"
          data-key={type.key}
        >
          <div className="entity-type-header">
            <h2 id={`type-${type.key}`}>{type.pluralLabel}</h2>
            <span className="mono muted">{type.key}</span>
            <span className="muted">
              One is a “{type.label}”, titled by its{' '}
              {type.fields.find((f) => f.key === type.titleField)?.label}
            </span>
            <span className="spacer" />
            {isAdmin && editing === null && (
              <>
                <button
                  type="button"
                  className="button small"
                  onClick={() => {
                    setNotice(null);
                    setEditing(type);
                  }}
                  aria-label={`Edit ${type.pluralLabel}`}
                  data-testid="schema-edit-type"
                >
                  <Icon name="pencil" size={13} />
                  Edit
                </button>
                <button
                  type="button"
                  className="button small danger"
                  onClick={() => setRemoving(type)}
                  aria-label={`Remove ${type.pluralLabel}`}
                  data-testid="schema-remove-type"
                >
                  <Icon name="trash" size={13} />
                  Remove
                </button>
              </>
            )}
          </div>
          <table className="data-table field-table">
            <caption className="visually-hidden">Fields of {type.pluralLabel}</caption>
            <thead>
              <tr>
                <th scope="col">Field</th>
                <th scope="col">Key</th>
                <th scope="col">Type</th>
                <th scope="col">Required</th>
                <th scope="col">Indexed</th>
                <th scope="col">Sensitivity</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {type.fields.map((field) => (
                <tr key={field.key} data-testid="schema-field-row" data-key={field.key}>
                  <th scope="row">{field.label}</th>
                  <td className="mono">{field.key}</td>
                  <td>{TYPE_LABELS[field.type]}</td>
                  <td>{field.required ? 'Required' : <span className="muted">Optional</span>}</td>
                  <td>{field.indexed ? 'Indexed' : <span className="muted">No</span>}</td>
                  <td>
                    {field.sensitivity === 'normal' ? (
                      <span className="muted">Normal</span>
                    ) : (
                      <span className={`badge ${field.sensitivity}`}>
                        {SENSITIVITY_LABELS[field.sensitivity]}
                      </span>
                    )}
                  </td>
                  <td className="field-details">{detailsOf(field, types)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      ))}
      {removing && (
        <RemoveTypeDialog
          workspaceId={workspaceId}
          type={removing}
          onDone={(next) => {
            if (next) saved(next, `“${removing.pluralLabel}” is removed from the schema.`);
            setRemoving(null);
          }}
        />
      )}
    </div>
  );
}

function EntityTypeEditor({
  workspaceId,
  original,
  types,
  onSaved,
  onCancel,
}: {
  workspaceId: string;
  original: EntityTypeDef | null;
  types: readonly EntityTypeDef[];
  onSaved: (schema: WorkspaceSchema, def: EntityTypeDef) => void;
  onCancel: () => void;
}) {
  const id = useId();
  const form = useRef<HTMLFormElement>(null);
  const [draft, setDraft] = useState<TypeDraft>(() => draftOf(original));
  const [issues, setIssues] = useState<PlacedIssues>(NO_ISSUES);
  const [failure, setFailure] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);

  const update = (change: Partial<TypeDraft>, cleared?: TypeProp) => {
    setDraft((current) => ({ ...current, ...change }));
    if (cleared && issues.type[cleared])
      setIssues((current) => ({ ...current, type: { ...current.type, [cleared]: undefined } }));
  };
  const updateField = (fieldId: string, change: Partial<FieldDraft>, cleared: FieldProp) => {
    setDraft((current) => ({
      ...current,
      fields: current.fields.map((f) => (f.id === fieldId ? { ...f, ...change } : f)),
    }));
    if (issues.fields[fieldId]?.[cleared])
      setIssues((current) => ({
        ...current,
        fields: { ...current.fields, [fieldId]: { ...current.fields[fieldId], [cleared]: undefined } },
      }));
  };
  const move = (index: number, by: -1 | 1) =>
    setDraft((current) => {
      const fields = [...current.fields];
      const [field] = fields.splice(index, 1);
      if (!field) return current;
      fields.splice(index + by, 0, field);
      return { ...current, fields };
    });
  const removeField = (fieldId: string) =>
    setDraft((current) => {
      const fields = current.fields.filter((f) => f.id !== fieldId);
      return {
        ...current,
        fields,
        titleFieldId: current.titleFieldId === fieldId ? (fields[0]?.id ?? null) : current.titleFieldId,
      };
    });

  const submit = async (event: SyntheticEvent) => {
    event.preventDefault();
    if (busy) return;
    const sent = draft;
    const key = sent.key.trim();
    // The key is part of the address, so these two cannot be left to the server: an empty one
    // names no type, and an existing one would replace that type instead of adding this one.
    if (original === null && (key === '' || types.some((t) => t.key === key))) {
      setFailure(null);
      setIssues({
        ...NO_ISSUES,
        count: 1,
        type: {
          key:
            key === ''
              ? 'Give the type a key: lowercase letters, digits and _, starting with a letter.'
              : 'An entity type with this key exists already: edit that one instead.',
        },
      });
      form.current?.querySelector<HTMLElement>('[data-testid="type-key"]')?.focus();
      return;
    }
    setBusy(true);
    try {
      const body = bodyOf(sent);
      const next = await call('putEntityType', { params: { workspaceId, key }, body });
      const def = next.entityTypes.find((t) => t.key === key);
      if (def) onSaved(next, def);
    } catch (caught) {
      const error = asApiError(caught);
      const placed = placeIssues(error, sent);
      setFailure(error);
      setIssues(placed);
      requestAnimationFrame(() => form.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus());
    } finally {
      setBusy(false);
    }
  };

  const refTargets = [
    ...types.filter((t) => t.key !== draft.key.trim()).map((t) => ({ key: t.key, label: t.label })),
    ...(draft.key.trim()
      ? [{ key: draft.key.trim(), label: `${draft.label || draft.key} (this type)` }]
      : []),
  ];
  const placedCount =
    Object.values(issues.type).filter(Boolean).length +
    Object.values(issues.fields).reduce((n, f) => n + Object.values(f).filter(Boolean).length, 0);

  const typeInput = (
    prop: Exclude<TypeProp, 'titleField' | 'fields'>,
    label: string,
    hint?: string,
    disabled = false,
  ) => {
    const error = issues.type[prop];
    const describedBy = error || hint ? `${id}-${prop}-note` : undefined;
    return (
      <label className={error ? 'field invalid' : 'field'}>
        <span className="field-label">{label}</span>
        <input
          type="text"
          value={draft[prop]}
          onChange={(event) => update({ [prop]: event.target.value }, prop)}
          disabled={disabled || busy}
          autoComplete="off"
          spellCheck={prop === 'key' ? false : undefined}
          className={prop === 'key' ? 'mono' : undefined}
          aria-invalid={error ? true : undefined}
          aria-describedby={describedBy}
          data-testid={`type-${prop}`}
        />
        {error ? (
          <span className="field-error" id={describedBy} data-testid={`type-${prop}-error`}>
            {error}
          </span>
        ) : (
          hint && (
            <span className="hint" id={describedBy}>
              {hint}
            </span>
          )
        )}
      </label>
    );
  };

  return (
    <section className="console-section" aria-labelledby={`${id}-title`}>
      <form
        ref={form}
        className="form card type-editor"
        onSubmit={(event) => void submit(event)}
        noValidate
        aria-busy={busy}
        data-testid="type-editor"
      >
        <h2 id={`${id}-title`}>{original ? `Edit “${original.pluralLabel}”` : 'New entity type'}</h2>
        {issues.count > 0 && (
          <div className="error-note" role="alert" data-testid="type-editor-summary">
            <Icon name="alert" />
            <div>
              <strong>
                {failure ? 'The server did not save this type' : 'This type cannot be saved yet'}
                {placedCount > 0 &&
                  `: ${placedCount === 1 ? 'one field needs' : `${String(placedCount)} fields need`} attention, marked below.`}
              </strong>
              {issues.other.map((message) => (
                <p key={message}>{message}</p>
              ))}
            </div>
          </div>
        )}
        {failure && issues.count === 0 && (
          <ErrorNote error={failure} title="The server did not save this type." testId="type-editor-error" />
        )}
        <div className="type-props">
          {typeInput(
            'key',
            'Key',
            original ? 'The key cannot change: records are stored under it.' : 'For example: case',
            original !== null,
          )}
          {typeInput('label', 'Name of one', 'For example: Case')}
          {typeInput('pluralLabel', 'Name of many', 'For example: Cases')}
          <label className={issues.type.titleField ? 'field invalid' : 'field'}>
            <span className="field-label">Title field</span>
            <select
              value={draft.titleFieldId ?? ''}
              onChange={(event) => update({ titleFieldId: event.target.value || null }, 'titleField')}
              disabled={busy}
              aria-invalid={issues.type.titleField ? true : undefined}
              aria-describedby={`${id}-title-note`}
              data-testid="type-titleField"
            >
              {draft.titleFieldId === null && <option value="">Choose a field</option>}
              {draft.fields.map((f, index) => (
                <option key={f.id} value={f.id}>
                  {f.label || f.key || `Field ${String(index + 1)}`}
                </option>
              ))}
            </select>
            {issues.type.titleField ? (
              <span className="field-error" id={`${id}-title-note`} data-testid="type-titleField-error">
                {issues.type.titleField}
              </span>
            ) : (
              <span className="hint" id={`${id}-title-note`}>
                What a record is called in lists.
              </span>
            )}
          </label>
        </div>

        <div className="fields-editor">
          <h3>Fields</h3>
          {issues.type.fields && (
            <p className="field-error" data-testid="type-fields-error">
              {issues.type.fields}
            </p>
          )}
          <ol className="field-drafts">
            {draft.fields.map((field, index) => (
              <FieldEditor
                key={field.id}
                field={field}
                index={index}
                count={draft.fields.length}
                errors={issues.fields[field.id] ?? {}}
                refTargets={refTargets}
                disabled={busy}
                onChange={(change, prop) => updateField(field.id, change, prop)}
                onMove={(by) => move(index, by)}
                onRemove={() => removeField(field.id)}
              />
            ))}
          </ol>
          <button
            type="button"
            className="button"
            onClick={() =>
              setDraft((current) => {
                const added = newField();
                return {
                  ...current,
                  fields: [...current.fields, added],
                  titleFieldId: current.titleFieldId ?? added.id,
                };
              })
            }
            disabled={busy}
            data-testid="type-add-field"
          >
            <Icon name="plus" size={14} />
            Add field
          </button>
        </div>

        <div className="actions">
          <button type="submit" className="button primary" disabled={busy} data-testid="type-save">
            {busy ? 'Saving…' : original ? 'Save changes' : 'Add entity type'}
          </button>
          <button
            type="button"
            className="button"
            onClick={onCancel}
            disabled={busy}
            data-testid="type-cancel"
          >
            Cancel
          </button>
        </div>
      </form>
    </section>
  );
}

function FieldEditor({
  field,
  index,
  count,
  errors,
  refTargets,
  disabled,
  onChange,
  onMove,
  onRemove,
}: {
  field: FieldDraft;
  index: number;
  count: number;
  errors: Partial<Record<FieldProp | 'field', string>>;
  refTargets: readonly { key: string; label: string }[];
  disabled: boolean;
  onChange: (change: Partial<FieldDraft>, prop: FieldProp) => void;
  onMove: (by: -1 | 1) => void;
  onRemove: () => void;
}) {
  const id = useId();
  const name = field.label || field.key || `field ${String(index + 1)}`;
  const note = (prop: FieldProp, hint?: string) => {
    const error = errors[prop];
    if (error)
      return (
        <span className="field-error" id={`${id}-${prop}`} data-testid={`field-${prop}-error`}>
          {error}
        </span>
      );
    return hint ? (
      <span className="hint" id={`${id}-${prop}`}>
        {hint}
      </span>
    ) : null;
  };
  const aria = (prop: FieldProp, hasHint = false) => ({
    'aria-invalid': errors[prop] ? true : undefined,
    'aria-describedby': errors[prop] || hasHint ? `${id}-${prop}` : undefined,
  });
  const invalid = Object.values(errors).some(Boolean);
  return (
    <li
      className={invalid ? 'field-draft invalid' : 'field-draft'}
      data-testid="schema-field"
      aria-label={`Field ${String(index + 1)}: ${name}`}
    >
      <div className="field-draft-grid">
        <label className={errors.key ? 'field invalid' : 'field'}>
          <span className="field-label">Key</span>
          <input
            type="text"
            value={field.key}
            onChange={(event) => onChange({ key: event.target.value }, 'key')}
            disabled={disabled}
            className="mono"
            spellCheck={false}
            autoComplete="off"
            {...aria('key')}
            data-testid="field-key"
          />
          {note('key')}
        </label>
        <label className={errors.label ? 'field invalid' : 'field'}>
          <span className="field-label">Label</span>
          <input
            type="text"
            value={field.label}
            onChange={(event) => onChange({ label: event.target.value }, 'label')}
            disabled={disabled}
            autoComplete="off"
            {...aria('label')}
            data-testid="field-label"
          />
          {note('label')}
        </label>
        <label className={errors.type ? 'field invalid' : 'field'}>
          <span className="field-label">Type</span>
          <select
            value={field.type}
            onChange={(event) => {
              const type = FieldType.parse(event.target.value);
              onChange(
                { type, currency: type === 'money' && field.currency === '' ? 'EUR' : field.currency },
                'type',
              );
            }}
            disabled={disabled}
            {...aria('type')}
            data-testid="field-type"
          >
            {FieldType.options.map((t) => (
              <option key={t} value={t}>
                {TYPE_LABELS[t]}
              </option>
            ))}
          </select>
          {note('type')}
        </label>
        <label className={errors.sensitivity ? 'field invalid' : 'field'}>
          <span className="field-label">Sensitivity</span>
          <select
            value={field.sensitivity}
            onChange={(event) =>
              onChange({ sensitivity: Sensitivity.parse(event.target.value) }, 'sensitivity')
            }
            disabled={disabled}
            {...aria('sensitivity')}
            data-testid="field-sensitivity"
          >
            {Sensitivity.options.map((s) => (
              <option key={s} value={s}>
                {SENSITIVITY_LABELS[s]}
              </option>
            ))}
          </select>
          {note('sensitivity')}
        </label>
        <div className="field-flags">
          <label className="checkbox">
            <input
              type="checkbox"
              checked={field.required}
              onChange={(event) => onChange({ required: event.target.checked }, 'required')}
              disabled={disabled}
              data-testid="field-required"
            />
            Required
          </label>
          <label className="checkbox">
            <input
              type="checkbox"
              checked={field.indexed}
              onChange={(event) => onChange({ indexed: event.target.checked }, 'indexed')}
              disabled={disabled}
              data-testid="field-indexed"
            />
            Indexed
          </label>
        </div>
        <div className="field-draft-actions">
          <button
            type="button"
            className="icon-button"
            onClick={() => onMove(-1)}
            disabled={disabled || index === 0}
            aria-label={`Move ${name} up`}
            data-testid="field-move-up"
          >
            <Icon name="chevronDown" className="flip" size={14} />
          </button>
          <button
            type="button"
            className="icon-button"
            onClick={() => onMove(1)}
            disabled={disabled || index === count - 1}
            aria-label={`Move ${name} down`}
            data-testid="field-move-down"
          >
            <Icon name="chevronDown" size={14} />
          </button>
          <button
            type="button"
            className="icon-button danger"
            onClick={onRemove}
            disabled={disabled || count === 1}
            aria-label={`Remove ${name}`}
            data-testid="field-remove"
          >
            <Icon name="trash" size={14} />
          </button>
        </div>
      </div>
      {field.type === 'enum' && (
        <label className={errors.options ? 'field invalid' : 'field'}>
          <span className="field-label">Options</span>
          <textarea
            value={field.options}
            onChange={(event) => onChange({ options: event.target.value }, 'options')}
            disabled={disabled}
            rows={3}
            {...aria('options', true)}
            data-testid="field-options"
          />
          {note('options', 'One per line.')}
        </label>
      )}
      {field.type === 'reference' && (
        <label className={errors.refType ? 'field invalid' : 'field'}>
          <span className="field-label">Refers to</span>
          <select
            value={field.refType}
            onChange={(event) => onChange({ refType: event.target.value }, 'refType')}
            disabled={disabled}
            {...aria('refType')}
            data-testid="field-refType"
          >
            <option value="">Choose an entity type</option>
            {refTargets.map((t) => (
              <option key={t.key} value={t.key}>
                {t.label}
              </option>
            ))}
          </select>
          {note('refType')}
        </label>
      )}
      {field.type === 'money' && (
        <label className={errors.currency ? 'field invalid' : 'field'}>
          <span className="field-label">Currency</span>
          <input
            type="text"
            value={field.currency}
            onChange={(event) => onChange({ currency: event.target.value.toUpperCase() }, 'currency')}
            disabled={disabled}
            maxLength={3}
            className="mono currency-input"
            autoComplete="off"
            {...aria('currency', true)}
            data-testid="field-currency"
          />
          {note('currency', 'ISO 4217 code, e.g. EUR. Amounts are kept in cents.')}
        </label>
      )}
      {errors.field && (
        <p className="field-error" data-testid="field-error">
          {errors.field}
        </p>
      )}
    </li>
  );
}

function RemoveTypeDialog({
  workspaceId,
  type,
  onDone,
}: {
  workspaceId: string;
  type: EntityTypeDef;
  onDone: (schema: WorkspaceSchema | null) => void;
}) {
  const remove = useAction(
    () => call('removeEntityType', { params: { workspaceId, key: type.key } }),
    asApiError,
  );
  return (
    <ConfirmDialog
      open
      title={`Remove “${type.pluralLabel}” from the schema?`}
      confirmLabel="Remove entity type"
      busy={remove.busy}
      confirmTestId="schema-remove-confirm"
      onConfirm={() =>
        void remove.run().then((next) => {
          if (next) onDone(next);
        })
      }
      onCancel={() => onDone(null)}
    >
      <div className="dialog-form">
        {remove.error && (
          <ErrorNote
            error={remove.error}
            title="The server kept this type."
            message={
              remove.error.code === 'forbidden' ? 'Only owners and admins change the schema.' : undefined
            }
            testId="schema-remove-error"
          />
        )}
        <p>
          Its definition goes from every desktop app at the next sync. The server refuses while any of its
          records is not deleted, or while another type has a reference field pointing to it.
        </p>
      </div>
    </ConfirmDialog>
  );
}
