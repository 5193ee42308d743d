import { useState, type ReactNode } from 'react';
import type { AuditEvent, WorkspaceSchema } from '@enclave/shared';
import { Icon } from '../Icon';
import { SecretValue, type TitleLookup } from '../records';
import { formatDateTime, relativeTime } from '../time';
import { changesOf, summarise, type ValueChange } from './activity-diff';

/** An event's changed values, field by field: before struck out, after beside it; secrets masked. */
export function ChangeTable({ changes }: { changes: readonly ValueChange[] }) {
  if (changes.length === 0) return <p className="muted">No field values changed.</p>;
  return (
    <table className="diff-table" data-testid="change-table">
      <thead>
        <tr>
          <th scope="col">Field</th>
          <th scope="col">Before</th>
          <th scope="col">After</th>
        </tr>
      </thead>
      <tbody>
        {changes.map((change) => (
          <tr key={change.key} data-field={change.key}>
            <th scope="row">{change.label}</th>
            <td className="before">
              {change.secret ? (
                <SecretValue value={change.before} label={`old ${change.label}`} />
              ) : (
                change.before || <span className="empty-value">—</span>
              )}
            </td>
            <td className="after">
              {change.secret ? (
                <SecretValue value={change.after} label={`new ${change.label}`} />
              ) : (
                change.after || <span className="empty-value">—</span>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export interface ActivityEntryProps {
  event: AuditEvent;
  schema: WorkspaceSchema | null;
  titles?: TitleLookup;
  now: number;
  /** Who did it as people know them (a member's name); the event's own label otherwise. */
  actorName?: string;
  /** `relative` ("5 min. ago") for recent activity; `absolute` (date and time) for an audit log. */
  timeStyle?: 'relative' | 'absolute';
  /** Beside the summary, never inside its button: the entry's own buttons (Undo). */
  actions?: ReactNode;
  /** Under the row whether it is open or not: what happened to one of its actions. */
  note?: ReactNode;
  /** The last line of the open entry: the event's number, links. */
  meta?: ReactNode;
  className?: string;
  testId?: string;
}

/**
 * One audit event as a row of a list (`<ol className="activity-list">`): who did what to what,
 * and when; opened, the values it changed. The desktop's activity view and the console's audit
 * log show events alike.
 */
export function ActivityEntry({
  event,
  schema,
  titles,
  now,
  actorName,
  timeStyle = 'relative',
  actions,
  note,
  meta,
  className,
  testId = 'activity-item',
}: ActivityEntryProps) {
  const [open, setOpen] = useState(false);
  const summary = summarise(event, schema);
  const changes = open ? changesOf(event, schema, titles) : [];
  const bodyId = `activity-${event.id}`;
  const name = actorName ?? event.actor.label;
  const classes = ['activity-item', open ? 'open' : '', className ?? ''].filter(Boolean).join(' ');
  const summaryButton = (
    <button
      type="button"
      className="activity-summary"
      aria-expanded={open}
      aria-controls={bodyId}
      onClick={() => setOpen(!open)}
    >
      <Icon name={open ? 'chevronDown' : 'chevronRight'} size={14} />
      <span className="actor-mark" aria-hidden="true">
        {name.trim().charAt(0).toUpperCase() || '?'}
      </span>
      <span className="activity-text">
        <strong data-testid="activity-actor">{name}</strong> {summary.verb}
        {summary.target && <> {summary.target}</>}
        {event.actor.kind !== 'user' && <span className="badge">{event.actor.kind}</span>}
      </span>
      {timeStyle === 'absolute' ? (
        <time dateTime={event.time} title={relativeTime(event.time, now)}>
          {formatDateTime(event.time)}
        </time>
      ) : (
        <time dateTime={event.time} title={formatDateTime(event.time)}>
          {relativeTime(event.time, now)}
        </time>
      )}
    </button>
  );
  return (
    <li
      className={classes}
      data-testid={testId}
      data-action={event.action}
      data-seq={event.seq}
      data-event-id={event.id}
    >
      {actions ? (
        <div className="activity-row">
          {summaryButton}
          <div className="activity-actions">{actions}</div>
        </div>
      ) : (
        summaryButton
      )}
      {note && <div className="activity-note">{note}</div>}
      {open && (
        <div className="activity-body" id={bodyId}>
          <ChangeTable changes={changes} />
          {meta && <p className="activity-meta">{meta}</p>}
        </div>
      )}
    </li>
  );
}
