import { useState, type ReactNode } from 'react';
import type { EntityTypeDef } from '@enclave/shared';
import { ConfirmDialog } from '../ConfirmDialog';
import { Icon } from '../Icon';
import { formatDateTime } from '../time';
import { displayValue, recordTitle, type RecordRow, type TitleLookup } from './fields';
import { SensitivityBadge } from './FieldInput';
import { SecretValue } from './SecretValue';

/**
 * A record for reading, fields in the schema's order with secrets masked; references open the
 * record they point at. Edit, Delete and Restore show only when the caller passes them (a reader
 * without the right sees none). What deleting means, and what a failure is in words, differ
 * between the desktop (a local write that syncs) and the console (the server at once): the caller
 * says them.
 */
export function RecordDetail({
  entity,
  record,
  titles,
  meta,
  deleteNote,
  describeFailure,
  onEdit,
  editTitle = 'Edit',
  onDelete,
  onRestore,
  onOpenReference,
}: {
  entity: EntityTypeDef;
  record: RecordRow;
  titles: TitleLookup;
  /** The line under the fields: when the record last changed, its revision. */
  meta: ReactNode;
  /** What the delete confirmation says happens. */
  deleteNote: ReactNode;
  /** A failed delete or restore in words. */
  describeFailure: (failure: unknown, action: 'delete' | 'restore') => string;
  onEdit?: () => void;
  editTitle?: string;
  onDelete?: () => Promise<void>;
  onRestore?: () => Promise<void>;
  onOpenReference?: (type: string, id: string) => void;
}) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  const title = recordTitle(entity, record.data);
  const deleted = typeof record.deletedAt === 'string';

  const run = async (action: 'delete' | 'restore', task: () => Promise<void>) => {
    setBusy(true);
    setFailure(null);
    try {
      await task();
    } catch (error) {
      setFailure(describeFailure(error, action));
    } finally {
      setConfirming(false);
      setBusy(false);
    }
  };

  return (
    <article className="record-detail" aria-labelledby="record-detail-title" data-testid="record-detail">
      <header className="detail-header">
        <div>
          <p className="eyebrow">{entity.label}</p>
          <h2 id="record-detail-title">{title}</h2>
        </div>
        <div className="detail-actions">
          {!deleted && onEdit && (
            <button
              type="button"
              className="button"
              data-testid="record-edit"
              onClick={onEdit}
              title={editTitle}
            >
              <Icon name="pencil" size={14} /> Edit
            </button>
          )}
          {!deleted && onDelete && (
            <button
              type="button"
              className="icon-button danger"
              data-testid="record-delete"
              aria-label={`Delete ${entity.label.toLowerCase()}`}
              title="Delete"
              onClick={() => setConfirming(true)}
            >
              <Icon name="trash" size={15} />
            </button>
          )}
          {deleted && onRestore && (
            <button
              type="button"
              className="button"
              data-testid="record-restore"
              disabled={busy}
              onClick={() => void run('restore', onRestore)}
            >
              <Icon name="undo" size={14} /> {busy ? 'Restoring…' : 'Restore'}
            </button>
          )}
        </div>
      </header>

      {deleted && (
        <div className="notice warning" data-testid="record-deleted-notice">
          <Icon name="trash" />
          <div>
            <p>
              Deleted {formatDateTime(record.deletedAt ?? '')}.{' '}
              {onRestore
                ? 'Restore it to bring it back for everyone.'
                : 'Only someone who may delete it can restore it.'}
            </p>
          </div>
        </div>
      )}

      {failure && (
        <div className="error-note" role="alert" data-testid="record-detail-error">
          <p>{failure}</p>
        </div>
      )}

      <dl className="field-list">
        {entity.fields.map((field) => {
          const raw = record.data[field.key];
          // An unticked box that was never set reads as "No", as it does in the form.
          const shown =
            field.type === 'boolean'
              ? displayValue(field, raw === true, titles)
              : displayValue(field, raw, titles);
          let value;
          if (field.sensitivity === 'secret') value = <SecretValue value={shown} label={field.label} />;
          else if (shown === '') value = <span className="empty-value">—</span>;
          else if (
            field.type === 'reference' &&
            typeof raw === 'string' &&
            field.refType &&
            onOpenReference
          ) {
            const refType = field.refType;
            value = (
              <button type="button" className="link-button" onClick={() => onOpenReference(refType, raw)}>
                {shown}
              </button>
            );
          } else if (field.type === 'longText') value = <span className="long-text">{shown}</span>;
          else if (field.type === 'email') value = <span className="selectable">{shown}</span>;
          else value = shown;
          return (
            <div key={field.key} className="field-row" data-field={field.key}>
              <dt>
                {field.label}
                <SensitivityBadge field={field} />
              </dt>
              <dd>{value}</dd>
            </div>
          );
        })}
      </dl>

      <footer className="detail-meta">{meta}</footer>

      {onDelete && (
        <ConfirmDialog
          open={confirming}
          title={`Delete ${entity.label.toLowerCase()} “${title}”?`}
          confirmLabel="Delete"
          confirmTestId="confirm-delete"
          busy={busy}
          onConfirm={() => void run('delete', onDelete)}
          onCancel={() => setConfirming(false)}
        >
          {deleteNote}
        </ConfirmDialog>
      )}
    </article>
  );
}
