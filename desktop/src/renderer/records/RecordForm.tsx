import { useId, useRef, useState, type KeyboardEvent, type SyntheticEvent } from 'react';
import type { EntityTypeDef } from '@enclave/shared';
import type { WorkspaceSession } from '../workspace/session';
import type { RecordRow } from '@enclave/ui';
import { FieldInput } from './FieldInput';
import {
  applyChanges,
  changedKeys,
  formValuesOf,
  readForm,
  type FieldErrors,
  type FormValues,
} from '@enclave/ui';

/**
 * Creates or edits a record, offline or not: the write goes to the local replica and syncs when it
 * can. An edit applies only the fields this form changed on top of the record as it is when saved,
 * so a change that synced in meanwhile to another field is kept.
 */
export function RecordForm({
  session,
  entity,
  entities,
  record,
  onSaved,
  onCancel,
}: {
  session: WorkspaceSession;
  entity: EntityTypeDef;
  entities: readonly EntityTypeDef[];
  /** The record being edited, or null for a new one. */
  record: RecordRow | null;
  onSaved: (id: string) => void;
  onCancel: () => void;
}) {
  const [initial] = useState(() => formValuesOf(entity, record?.data));
  const [original] = useState(() => record?.data ?? {});
  const [values, setValues] = useState<FormValues>(initial);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const form = useRef<HTMLFormElement>(null);
  const idPrefix = useId();
  const dirty = JSON.stringify(values) !== JSON.stringify(initial);

  const save = async () => {
    if (saving) return;
    const read = readForm(entity, values, original);
    if (!read.ok) {
      setErrors(read.errors);
      setFormError(read.formError);
      const first = entity.fields.find((f) => read.errors[f.key]);
      if (first) form.current?.querySelector<HTMLElement>(`[data-testid="field-${first.key}"]`)?.focus();
      return;
    }
    setSaving(true);
    setFormError(null);
    try {
      if (record === null) {
        const id = crypto.randomUUID();
        await session.db.records.insert({ id, type: entity.key, data: read.data });
        onSaved(id);
      } else {
        const changed = changedKeys(original, read.data);
        const doc = await session.db.records.findOne(record.id).exec();
        if (!doc) {
          setFormError('This record was deleted while you were editing it. Your changes were not saved.');
          return;
        }
        if (changed.length > 0) {
          await doc.incrementalModify((current) => ({
            ...current,
            data: applyChanges(current.data, read.data, changed),
          }));
        }
        onSaved(record.id);
      }
    } catch (error) {
      console.error('Saving the record failed', error);
      setFormError('The change could not be saved on this computer. Try again.');
    } finally {
      setSaving(false);
    }
  };

  const onSubmit = (event: SyntheticEvent) => {
    event.preventDefault();
    void save();
  };

  const onKeyDown = (event: KeyboardEvent<HTMLFormElement>) => {
    if ((event.metaKey || event.ctrlKey) && (event.key === 's' || event.key === 'Enter')) {
      event.preventDefault();
      void save();
    } else if (event.key === 'Escape' && !dirty) {
      event.preventDefault();
      onCancel();
    }
  };

  return (
    <form
      ref={form}
      className="form record-form"
      onSubmit={onSubmit}
      onKeyDown={onKeyDown}
      noValidate
      aria-busy={saving}
    >
      {formError && (
        <div className="error-note" role="alert">
          <p>{formError}</p>
        </div>
      )}
      {Object.keys(errors).length > 0 && (
        <p className="form-summary" role="alert">
          {Object.keys(errors).length === 1
            ? 'One field needs attention.'
            : `${String(Object.keys(errors).length)} fields need attention.`}
        </p>
      )}
      <div className="form-fields">
        {entity.fields.map((field, index) => (
          <FieldInput
            key={field.key}
            field={field}
            value={values[field.key] ?? ''}
            error={errors[field.key]}
            session={session}
            entities={entities}
            idPrefix={idPrefix}
            disabled={saving}
            autoFocus={index === 0 && record === null}
            onChange={(value) => {
              setValues((current) => ({ ...current, [field.key]: value }));
              if (errors[field.key]) setErrors(({ [field.key]: _fixed, ...rest }) => rest);
            }}
          />
        ))}
      </div>
      <div className="form-actions">
        <button type="button" className="button" onClick={onCancel} disabled={saving}>
          Cancel
        </button>
        <button type="submit" className="button primary" data-testid="record-save" disabled={saving}>
          {saving ? 'Saving…' : record === null ? `Create ${entity.label.toLowerCase()}` : 'Save'}
        </button>
      </div>
    </form>
  );
}
