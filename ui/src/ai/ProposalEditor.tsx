import { useId, useMemo, useState, type SyntheticEvent } from 'react';
import type { AiOperation, EntityTypeDef } from '@enclave/shared';
import type { UiError } from '../ErrorNote';
import {
  FieldInput,
  formValuesOf,
  serverFieldErrors,
  type FieldErrors,
  type FormValues,
  type ReferenceSource,
  type ServerIssue,
} from '../records';
import { editableFields, editKindOf, readDataEdit, readJsonEdit, readMessageEdit } from './proposal-edit';

/** A refusal as the apps have it: the one error shape, with its field issues when there are some. */
export type DecisionError = UiError & { issues?: readonly ServerIssue[] };

/** No record to pick from: an app that cannot search shows what it knows and nothing else. */
const NO_REFERENCES: ReferenceSource = { search: () => Promise.resolve([]), title: () => undefined };

/** The server names the edited operation's fields `operation.data.<key>`; the form names them `data.<key>`. */
function issuesOfEdit(error: DecisionError | null | undefined): ServerIssue[] {
  return (error?.issues ?? []).map((issue) => ({
    ...issue,
    path: issue.path.replace(/^(body\.)?operation\./, ''),
  }));
}

/**
 * Edits a proposal's operation before it is approved: record data with the record form's own
 * field inputs, an email's subject and body, or — when the record's fields are not known — the
 * operation as JSON. What is sent is checked first; the server still decides.
 */
export function ProposalEditor({
  operation,
  entity,
  entities,
  references = NO_REFERENCES,
  busy,
  error,
  onSubmit,
  onCancel,
}: {
  operation: AiOperation;
  /** The entity type of the record, when known: without it, record data is edited as JSON. */
  entity: EntityTypeDef | undefined;
  entities: readonly EntityTypeDef[];
  references?: ReferenceSource;
  busy: boolean;
  error?: DecisionError | null;
  onSubmit: (operation: AiOperation) => void;
  onCancel: () => void;
}) {
  const kind = editKindOf(operation);
  if (kind === 'message' && operation.type === 'outbox.send') {
    return (
      <MessageEditor
        operation={operation}
        busy={busy}
        error={error}
        onSubmit={onSubmit}
        onCancel={onCancel}
      />
    );
  }
  if (kind === 'recordData' && entity) {
    return (
      <DataEditor
        operation={operation}
        entity={entity}
        entities={entities}
        references={references}
        busy={busy}
        error={error}
        onSubmit={onSubmit}
        onCancel={onCancel}
      />
    );
  }
  return (
    <JsonEditor operation={operation} busy={busy} error={error} onSubmit={onSubmit} onCancel={onCancel} />
  );
}

function EditActions({
  busy,
  onCancel,
  label = 'Approve with these changes',
}: {
  busy: boolean;
  onCancel: () => void;
  label?: string;
}) {
  return (
    <div className="form-actions">
      <button type="button" className="button" onClick={onCancel} disabled={busy}>
        Cancel
      </button>
      <button type="submit" className="button primary" disabled={busy} data-testid="proposal-edit-approve">
        {busy ? 'Approving…' : label}
      </button>
    </div>
  );
}

function DataEditor({
  operation,
  entity,
  entities,
  references,
  busy,
  error,
  onSubmit,
  onCancel,
}: {
  operation: AiOperation;
  entity: EntityTypeDef;
  entities: readonly EntityTypeDef[];
  references: ReferenceSource;
  busy: boolean;
  error?: DecisionError | null;
  onSubmit: (operation: AiOperation) => void;
  onCancel: () => void;
}) {
  const data = operation.type === 'record.create' || operation.type === 'record.update' ? operation.data : {};
  const fields = editableFields(entity, operation);
  const [values, setValues] = useState<FormValues>(() => formValuesOf(entity, data));
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [sent, setSent] = useState<Record<string, unknown>>({});
  const idPrefix = useId();
  const server = useMemo(() => serverFieldErrors(entity, issuesOfEdit(error), sent), [entity, error, sent]);
  const shownErrors = { ...server.errors, ...errors };

  const submit = (event: SyntheticEvent) => {
    event.preventDefault();
    const read = readDataEdit(entity, operation, values);
    if (!read.ok) {
      setErrors(read.errors);
      setFormError(read.formError);
      return;
    }
    setErrors({});
    setFormError(null);
    const op = read.operation;
    setSent(op.type === 'record.create' || op.type === 'record.update' ? op.data : {});
    onSubmit(op);
  };

  return (
    <form
      className="form ai-edit-form"
      onSubmit={submit}
      noValidate
      data-testid="proposal-editor"
      data-kind="data"
    >
      <p className="hint">
        {operation.type === 'record.update'
          ? `The fields this change sets on the ${entity.label.toLowerCase()}. Leave one empty to leave it as it is.`
          : `The new ${entity.label.toLowerCase()} as the AI proposed it.`}
      </p>
      <div className="form-fields">
        {fields.map((field) => (
          <FieldInput
            key={field.key}
            field={field}
            value={values[field.key] ?? ''}
            error={shownErrors[field.key]}
            onChange={(value) => setValues((previous) => ({ ...previous, [field.key]: value }))}
            references={references}
            entities={entities}
            idPrefix={idPrefix}
            disabled={busy}
          />
        ))}
      </div>
      {formError && (
        <p className="field-error" role="alert" data-testid="proposal-edit-error">
          {formError}
        </p>
      )}
      {server.other.length > 0 && (
        <ul className="field-error" role="alert">
          {server.other.map((issue) => (
            <li key={`${issue.path}:${issue.message}`}>
              {issue.path && <code>{issue.path}</code>} {issue.message}
            </li>
          ))}
        </ul>
      )}
      <EditActions busy={busy} onCancel={onCancel} />
    </form>
  );
}

function MessageEditor({
  operation,
  busy,
  error,
  onSubmit,
  onCancel,
}: {
  operation: Extract<AiOperation, { type: 'outbox.send' }>;
  busy: boolean;
  error?: DecisionError | null;
  onSubmit: (operation: AiOperation) => void;
  onCancel: () => void;
}) {
  const [subject, setSubject] = useState(operation.subject);
  const [body, setBody] = useState(operation.body);
  const [errors, setErrors] = useState<{ subject?: string; body?: string }>({});
  const id = useId();
  const serverIssues = issuesOfEdit(error);
  const subjectError = errors.subject ?? serverIssues.find((i) => i.path === 'subject')?.message;
  const bodyError = errors.body ?? serverIssues.find((i) => i.path === 'body')?.message;

  const submit = (event: SyntheticEvent) => {
    event.preventDefault();
    const read = readMessageEdit(operation, subject, body);
    if (!read.ok) {
      setErrors(read.errors);
      return;
    }
    setErrors({});
    onSubmit(read.operation);
  };

  return (
    <form
      className="form ai-edit-form"
      onSubmit={submit}
      noValidate
      data-testid="proposal-editor"
      data-kind="message"
    >
      <p className="hint">
        To <strong>{operation.to}</strong>. The recipient stays as proposed: reject the proposal if it is
        wrong.
      </p>
      <div className={`field${subjectError ? ' invalid' : ''}`}>
        <label className="field-label" htmlFor={`${id}-subject`}>
          Subject
        </label>
        <input
          id={`${id}-subject`}
          type="text"
          maxLength={200}
          value={subject}
          disabled={busy}
          onChange={(e) => setSubject(e.target.value)}
          aria-invalid={subjectError ? true : undefined}
          aria-describedby={subjectError ? `${id}-subject-error` : undefined}
          data-testid="proposal-edit-subject"
        />
        {subjectError && (
          <p className="field-error" id={`${id}-subject-error`}>
            {subjectError}
          </p>
        )}
      </div>
      <div className={`field${bodyError ? ' invalid' : ''}`}>
        <label className="field-label" htmlFor={`${id}-body`}>
          Message
        </label>
        <textarea
          id={`${id}-body`}
          rows={8}
          maxLength={20_000}
          value={body}
          disabled={busy}
          onChange={(e) => setBody(e.target.value)}
          aria-invalid={bodyError ? true : undefined}
          aria-describedby={bodyError ? `${id}-body-error` : undefined}
          data-testid="proposal-edit-body"
        />
        {bodyError && (
          <p className="field-error" id={`${id}-body-error`}>
            {bodyError}
          </p>
        )}
      </div>
      <EditActions busy={busy} onCancel={onCancel} label="Send with these changes" />
    </form>
  );
}

function JsonEditor({
  operation,
  busy,
  error,
  onSubmit,
  onCancel,
}: {
  operation: AiOperation;
  busy: boolean;
  error?: DecisionError | null;
  onSubmit: (operation: AiOperation) => void;
  onCancel: () => void;
}) {
  const [text, setText] = useState(() => JSON.stringify(operation, null, 2));
  const [problem, setProblem] = useState<string | null>(null);
  const id = useId();
  const serverIssues = issuesOfEdit(error);

  const submit = (event: SyntheticEvent) => {
    event.preventDefault();
    const read = readJsonEdit(text, operation);
    if (!read.ok) {
      setProblem(read.message);
      return;
    }
    setProblem(null);
    onSubmit(read.operation);
  };

  return (
    <form
      className="form ai-edit-form"
      onSubmit={submit}
      noValidate
      data-testid="proposal-editor"
      data-kind="json"
    >
      <div className={`field${problem ? ' invalid' : ''}`}>
        <label className="field-label" htmlFor={`${id}-json`}>
          The operation, as JSON
        </label>
        <textarea
          id={`${id}-json`}
          className="mono"
          rows={Math.min(16, text.split('\n').length + 1)}
          value={text}
          disabled={busy}
          spellCheck={false}
          onChange={(e) => setText(e.target.value)}
          aria-invalid={problem ? true : undefined}
          aria-describedby={`${id}-json-hint${problem ? ` ${id}-json-error` : ''}`}
          data-testid="proposal-edit-json"
        />
        <p className="hint" id={`${id}-json-hint`}>
          Keep its <code>type</code> and what it acts on; change the values.
        </p>
        {problem && (
          <p className="field-error" id={`${id}-json-error`} role="alert" data-testid="proposal-edit-error">
            {problem}
          </p>
        )}
        {serverIssues.length > 0 && (
          <ul className="field-error" role="alert">
            {serverIssues.map((issue) => (
              <li key={`${issue.path}:${issue.message}`}>
                {issue.path && <code>{issue.path}</code>} {issue.message}
              </li>
            ))}
          </ul>
        )}
      </div>
      <EditActions busy={busy} onCancel={onCancel} />
    </form>
  );
}
