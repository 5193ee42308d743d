import { useState } from 'react';
import type { EntityTypeDef } from '@enclave/shared';
import type { WorkspaceSession } from '../workspace/session';
import { displayValue, recordTitle, type RecordRow, type TitleLookup } from '@enclave/ui';
import { SensitivityBadge } from './FieldInput';
import { SecretValue } from '@enclave/ui';
import { ConfirmDialog, formatDateTime, Icon } from '@enclave/ui';

/** A record for reading, with Edit and Delete; references open the record they point at. */
export function RecordDetail({
  session,
  entity,
  record,
  titles,
  onEdit,
  onDeleted,
  onOpenReference,
}: {
  session: WorkspaceSession;
  entity: EntityTypeDef;
  record: RecordRow;
  titles: TitleLookup;
  onEdit: () => void;
  onDeleted: () => void;
  onOpenReference: (type: string, id: string) => void;
}) {
  const [confirming, setConfirming] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  const title = recordTitle(entity, record.data);

  const remove = async () => {
    setDeleting(true);
    try {
      const doc = await session.db.records.findOne(record.id).exec();
      await doc?.incrementalRemove();
      setConfirming(false);
      onDeleted();
    } catch (error) {
      console.error('Deleting the record failed', error);
      setFailure('The record could not be deleted on this computer. Try again.');
      setConfirming(false);
    } finally {
      setDeleting(false);
    }
  };

  return (
    <article className="record-detail" aria-labelledby="record-detail-title">
      <header className="detail-header">
        <div>
          <p className="eyebrow">{entity.label}</p>
          <h2 id="record-detail-title">{title}</h2>
        </div>
        <div className="detail-actions">
          <button
            type="button"
            className="button"
            data-testid="record-edit"
            onClick={onEdit}
            title="Edit (E)"
          >
            <Icon name="pencil" size={14} /> Edit
          </button>
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
        </div>
      </header>

      {failure && (
        <div className="error-note" role="alert">
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
          else if (field.type === 'reference' && typeof raw === 'string' && field.refType) {
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

      <footer className="detail-meta">
        {record.updatedAt ? (
          <span title={formatDateTime(record.updatedAt)}>
            Last changed on the server {formatDateTime(record.updatedAt)}
          </span>
        ) : (
          <span>Created on this computer; not on the server yet.</span>
        )}
        {record.rev !== undefined && <span className="muted"> · Revision {record.rev}</span>}
      </footer>

      <ConfirmDialog
        open={confirming}
        title={`Delete ${entity.label.toLowerCase()} “${title}”?`}
        confirmLabel="Delete"
        confirmTestId="confirm-delete"
        busy={deleting}
        onConfirm={() => void remove()}
        onCancel={() => setConfirming(false)}
      >
        <p>
          It is removed for everyone in the workspace when this computer next syncs. It can be restored from
          the web console.
        </p>
      </ConfirmDialog>
    </article>
  );
}
