import { useState, type SyntheticEvent } from 'react';
import type { Device, EntityTypeDef, Member } from '@enclave/shared';
import { auditActionChoices } from '@enclave/ui';
import type { ApiError } from '../api/client';
import {
  FILTER_KEYS,
  fromLocalInput,
  isFiltered,
  toLocalInput,
  type AuditFilter,
  type FilterKey,
} from './audit-filter';

const ACTION_CHOICES = auditActionChoices();

/**
 * Words for a refused filter value, by field: the server's own message names the query parameter
 * and the rule, which is for developers. Only a hand-edited link can hold such a value.
 */
const ISSUE_WORDS: Record<FilterKey, string> = {
  actorId: 'Choose someone from the list.',
  actorKind: 'Choose someone from the list.',
  action: 'Choose an action from the list.',
  entityType: 'Choose a record type from the list.',
  recordId: 'A record id is at most 64 characters long.',
  from: 'Enter a date and time.',
  to: 'Enter a date and time.',
};

/** One select for "who": a member, a device, or the server itself; the API has two keys for it. */
function actorValue(filter: AuditFilter): string {
  if (filter.actorId) return `id:${filter.actorId}`;
  if (filter.actorKind) return `kind:${filter.actorKind}`;
  return '';
}

function withActor(filter: AuditFilter, value: string): AuditFilter {
  const next: AuditFilter = { ...filter, actorId: undefined, actorKind: undefined };
  if (value.startsWith('id:')) next.actorId = value.slice(3);
  else if (value.startsWith('kind:')) next.actorKind = value.slice(5);
  return next;
}

/**
 * The audit log's filters. Choices from a list apply at once; typed ones (record id, times) on
 * Enter or "Apply". The page keeps what applies in the URL; this form only edits a draft of it.
 */
export function AuditFilters({
  filter,
  members,
  devices,
  entityTypes,
  error,
  onApply,
}: {
  filter: AuditFilter;
  members: readonly Member[];
  devices: readonly Device[];
  entityTypes: readonly EntityTypeDef[];
  /** The server's refusal of the applied filter, shown next to the field it names. */
  error: ApiError | null;
  onApply: (filter: AuditFilter) => void;
}) {
  // The draft starts from the applied filter and starts again whenever that changes (Back, a link).
  const [draft, setDraft] = useState(() => draftOf(filter));
  let current = draft;
  if (draft.of !== filter) {
    current = draftOf(filter);
    setDraft(current);
  }
  const typed = (): AuditFilter => ({
    ...filter,
    recordId: current.recordId.trim() || undefined,
    from: current.fromTime ? fromLocalInput(current.fromTime, 'start') : undefined,
    to: current.toTime ? fromLocalInput(current.toTime, 'end') : undefined,
  });
  const submit = (event: SyntheticEvent) => {
    event.preventDefault();
    onApply(typed());
  };
  const choose = (change: AuditFilter) => onApply({ ...typed(), ...change });
  const issue = (key: FilterKey) => (error?.issueAt(`query.${key}`) ? ISSUE_WORDS[key] : undefined);
  const errorId = (key: FilterKey) => (issue(key) ? `audit-filter-${key}-error` : undefined);
  const unknownIssue =
    error?.code === 'validation_failed' && !FILTER_KEYS.some((key) => issue(key)) ? error.message : null;

  const actor = actorValue(filter);
  const knownActor =
    actor === '' ||
    actor === 'kind:system' ||
    members.some((m) => `id:${m.userId}` === actor) ||
    devices.some((d) => `id:${d.id}` === actor);
  const knownAction =
    !filter.action || ACTION_CHOICES.some((g) => g.actions.some((a) => a.action === filter.action));
  const knownType = !filter.entityType || entityTypes.some((e) => e.key === filter.entityType);

  return (
    <form
      className="audit-filters"
      role="search"
      aria-label="Filter the audit log"
      onSubmit={submit}
      noValidate
      data-testid="audit-filters"
    >
      <div className="field">
        <label className="field-label" htmlFor="audit-filter-actor">
          Who
        </label>
        <select
          id="audit-filter-actor"
          value={actor}
          onChange={(event) => choose(withActor({}, event.target.value))}
          aria-describedby={errorId('actorId') ?? errorId('actorKind')}
          aria-invalid={issue('actorId') || issue('actorKind') ? true : undefined}
          data-testid="audit-filter-actor"
        >
          <option value="">Anyone</option>
          {!knownActor && <option value={actor}>Someone no longer here ({actor.slice(3)})</option>}
          {members.length > 0 && (
            <optgroup label="Members">
              {members.map((member) => (
                <option key={member.userId} value={`id:${member.userId}`}>
                  {member.name} ({member.email})
                </option>
              ))}
            </optgroup>
          )}
          {devices.length > 0 && (
            <optgroup label="Devices">
              {devices.map((device) => (
                <option key={device.id} value={`id:${device.id}`}>
                  {device.name}
                </option>
              ))}
            </optgroup>
          )}
          <optgroup label="Other">
            <option value="kind:system">The server (system)</option>
          </optgroup>
        </select>
        <FieldIssue
          id={errorId('actorId') ?? errorId('actorKind')}
          text={issue('actorId') ?? issue('actorKind')}
        />
      </div>

      <div className="field">
        <label className="field-label" htmlFor="audit-filter-action">
          Action
        </label>
        <select
          id="audit-filter-action"
          value={filter.action ?? ''}
          onChange={(event) => choose({ action: event.target.value || undefined })}
          aria-describedby={errorId('action')}
          aria-invalid={issue('action') ? true : undefined}
          data-testid="audit-filter-action"
        >
          <option value="">Any action</option>
          {!knownAction && <option value={filter.action}>{filter.action}</option>}
          {ACTION_CHOICES.map((group) => (
            <optgroup key={group.label} label={group.label}>
              {group.actions.map((choice) => (
                <option key={choice.action} value={choice.action}>
                  {choice.label}
                </option>
              ))}
            </optgroup>
          ))}
        </select>
        <FieldIssue id={errorId('action')} text={issue('action')} />
      </div>

      <div className="field">
        <label className="field-label" htmlFor="audit-filter-type">
          Record type
        </label>
        <select
          id="audit-filter-type"
          value={filter.entityType ?? ''}
          onChange={(event) => choose({ entityType: event.target.value || undefined })}
          aria-describedby={errorId('entityType')}
          aria-invalid={issue('entityType') ? true : undefined}
          data-testid="audit-filter-type"
        >
          <option value="">Any type</option>
          {!knownType && <option value={filter.entityType}>{filter.entityType}</option>}
          {entityTypes.map((entity) => (
            <option key={entity.key} value={entity.key}>
              {entity.label}
            </option>
          ))}
        </select>
        <FieldIssue id={errorId('entityType')} text={issue('entityType')} />
      </div>

      <div className="field">
        <label className="field-label" htmlFor="audit-filter-record">
          Record id
        </label>
        <input
          id="audit-filter-record"
          type="text"
          value={current.recordId}
          placeholder="Any record"
          spellCheck={false}
          autoComplete="off"
          onChange={(event) => setDraft({ ...current, recordId: event.target.value })}
          aria-describedby={errorId('recordId')}
          aria-invalid={issue('recordId') ? true : undefined}
          data-testid="audit-filter-record"
        />
        <FieldIssue id={errorId('recordId')} text={issue('recordId')} />
      </div>

      <div className="field">
        <label className="field-label" htmlFor="audit-filter-from">
          From
        </label>
        <input
          id="audit-filter-from"
          type="datetime-local"
          value={current.fromTime}
          onChange={(event) => setDraft({ ...current, fromTime: event.target.value })}
          aria-describedby={errorId('from')}
          aria-invalid={issue('from') ? true : undefined}
          data-testid="audit-filter-from"
        />
        <FieldIssue id={errorId('from')} text={issue('from')} />
      </div>

      <div className="field">
        <label className="field-label" htmlFor="audit-filter-to">
          To
        </label>
        <input
          id="audit-filter-to"
          type="datetime-local"
          value={current.toTime}
          onChange={(event) => setDraft({ ...current, toTime: event.target.value })}
          aria-describedby={errorId('to')}
          aria-invalid={issue('to') ? true : undefined}
          data-testid="audit-filter-to"
        />
        <FieldIssue id={errorId('to')} text={issue('to')} />
      </div>

      <div className="audit-filter-actions">
        <button type="submit" className="button primary" data-testid="audit-filter-apply">
          Apply
        </button>
        {isFiltered(filter) && (
          <button
            type="button"
            className="button"
            onClick={() => onApply({})}
            data-testid="audit-filter-clear"
          >
            Clear filters
          </button>
        )}
      </div>
      {unknownIssue && (
        <p className="field-error audit-filter-problem" role="alert">
          {unknownIssue}
        </p>
      )}
    </form>
  );
}

function draftOf(filter: AuditFilter) {
  return {
    of: filter,
    recordId: filter.recordId ?? '',
    fromTime: toLocalInput(filter.from),
    toTime: toLocalInput(filter.to),
  };
}

function FieldIssue({ id, text }: { id: string | undefined; text: string | undefined }) {
  if (!text || !id) return null;
  return (
    <span className="field-error" id={id} role="alert">
      {text}
    </span>
  );
}
