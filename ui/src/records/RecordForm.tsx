import {
  useEffect,
  useId,
  useRef,
  useState,
  type KeyboardEvent,
  type ReactNode,
  type SyntheticEvent,
} from 'react';
import type { EntityTypeDef } from '@enclave/shared';
import type { RecordRow } from './fields';
import { FieldInput } from './FieldInput';
import {
  changedKeys,
  formData,
  formValuesOf,
  readForm,
  type FieldErrors,
  type FormValues,
} from './form-values';
import type { ReferenceSource } from './ReferencePicker';

/** What a form hands over on save: the record's data as the form has it, and what it changed. */
export interface RecordChange {
  data: Record<string, unknown>;
  /** Fields whose value differs from the record as the form opened it (every set field when new). */
  changed: string[];
}

/** Why a save did not happen: errors for fields of the form, and words for the rest. */
export interface SaveRefusal {
  errors?: FieldErrors;
  formError?: ReactNode;
}

/**
 * Creates or edits a record from the workspace schema. Where the record goes is the caller's
 * `onSave`: the desktop writes its replica, the console calls the server. `validation` says who
 * checks the data against the schema first: `local` runs the schema's own validator here (the
 * desktop, which may be offline), `server` only converts what was typed and lets the server,
 * which has the current schema, refuse — its refusal comes back from `onSave` for the fields.
 */
export function RecordForm({
  entity,
  entities,
  record,
  references,
  validation = 'local',
  onSave,
  onCancel,
}: {
  entity: EntityTypeDef;
  entities: readonly EntityTypeDef[];
  /** The record being edited, or null for a new one. */
  record: RecordRow | null;
  references: ReferenceSource;
  validation?: 'local' | 'server';
  /** Saves; resolves to nothing when saved, or to what stopped it. */
  onSave: (change: RecordChange) => Promise<SaveRefusal | undefined>;
  onCancel: () => void;
}) {
  const [initial] = useState(() => formValuesOf(entity, record?.data));
  const [original] = useState(() => record?.data ?? {});
  const [values, setValues] = useState<FormValues>(initial);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<ReactNode>(null);
  const [saving, setSaving] = useState(false);
  const form = useRef<HTMLFormElement>(null);
  const idPrefix = useId();
  const dirty = JSON.stringify(values) !== JSON.stringify(initial);

  // The first field in error takes focus once the inputs are enabled again (a refusal from
  // onSave arrives while they are disabled for saving, and a disabled input cannot take focus).
  const [focusWanted, setFocusWanted] = useState<{ key: string } | null>(null);
  useEffect(() => {
    if (!focusWanted || saving) return;
    form.current?.querySelector<HTMLElement>(`[data-testid="field-${focusWanted.key}"]`)?.focus();
  }, [focusWanted, saving]);
  const focusFirst = (found: FieldErrors) => {
    const first = entity.fields.find((f) => found[f.key]);
    if (first) setFocusWanted({ key: first.key });
  };

  const save = async () => {
    if (saving) return;
    let data: Record<string, unknown>;
    if (validation === 'local') {
      const read = readForm(entity, values, original);
      if (!read.ok) {
        setErrors(read.errors);
        setFormError(read.formError);
        focusFirst(read.errors);
        return;
      }
      data = read.data;
    } else {
      const read = formData(entity, values, original);
      if (Object.keys(read.errors).length > 0) {
        setErrors(read.errors);
        setFormError(null);
        focusFirst(read.errors);
        return;
      }
      data = read.data;
    }
    setSaving(true);
    setFormError(null);
    try {
      const refusal = await onSave({ data, changed: changedKeys(original, data) });
      if (refusal) {
        setErrors(refusal.errors ?? {});
        setFormError(refusal.formError ?? null);
        if (refusal.errors) focusFirst(refusal.errors);
      }
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

  const errorCount = Object.keys(errors).length;
  return (
    <form
      ref={form}
      className="form record-form"
      onSubmit={onSubmit}
      onKeyDown={onKeyDown}
      noValidate
      aria-busy={saving}
      data-testid="record-form"
    >
      {formError && (
        <div className="error-note" role="alert" data-testid="record-form-error">
          {typeof formError === 'string' ? <p>{formError}</p> : formError}
        </div>
      )}
      {errorCount > 0 && (
        <p className="form-summary" role="alert">
          {errorCount === 1 ? 'One field needs attention.' : `${String(errorCount)} fields need attention.`}
        </p>
      )}
      <div className="form-fields">
        {entity.fields.map((field, index) => (
          <FieldInput
            key={field.key}
            field={field}
            value={values[field.key] ?? ''}
            error={errors[field.key]}
            references={references}
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
