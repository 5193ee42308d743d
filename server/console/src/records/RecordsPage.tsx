import {
  useCallback,
  useEffect,
  useMemo,
  useRef,
  useState,
  type ReactNode,
  type SyntheticEvent,
} from 'react';
import type { EntityTypeDef, WorkspaceRecord } from '@enclave/shared';
import {
  displayValue,
  ErrorNote,
  formatDateTime,
  Icon,
  RecordDetail,
  RecordForm,
  recordTitle,
  relativeTime,
  serverFieldErrors,
  Spinner,
  summaryFields,
  useNow,
  type RecordChange,
  type SaveRefusal,
  type TitleLookup,
} from '@enclave/ui';
import { asApiError, call, type ApiError } from '../api/client';
import { useResource } from '../api/use-resource';
import { Link, navigate, useQuery } from '../app/router';
import { useWorkspace } from '../app/workspace';
import { PageHeader } from '../layout/ConsoleShell';
import { RecordFilters } from './RecordFilters';
import { searchOf, sortChoices, viewOf, type RecordsView } from './record-query';
import { needsCustomRoles, recordRights } from './record-rights';
import { useRecordList, type RecordList } from './use-record-list';
import { useTitles, type Titles } from './use-titles';
import './records.css';

const SEARCH_DELAY_MS = 300;

/** Failures of a delete or restore, by cause; a refusal the page did not foresee keeps the server's words. */
const ACTION_MESSAGES: Partial<Record<string, string>> = {
  not_found: 'This record no longer exists, or you may no longer see it.',
  server_unreachable: 'The server could not be reached. Check your connection and try again.',
};

/**
 * A workspace's records in the browser, so that a workspace is usable without the desktop app:
 * one entity type at a time, listed by the server (search, sort, filters, a page at a time), the
 * selected record beside the list, and create, edit (with the revision it was read at), delete
 * and restore. Everything the page shows is in its address.
 */
export function RecordsPage() {
  const { workspace, isAdmin } = useWorkspace();
  const workspaceId = workspace.id;
  const schema = useResource(`schema:${workspaceId}`, () => call('getSchema', { params: { workspaceId } }));
  const customRoles = useResource(`roles:${workspaceId}:${workspace.roles.join(',')}`, async () =>
    needsCustomRoles(workspace.roles) ? (await call('listRoles', { params: { workspaceId } })).items : [],
  );
  const query = useQuery();
  const view = useMemo(() => viewOf(query), [query]);

  let body: ReactNode;
  if (schema.error) body = <ErrorNote error={schema.error} />;
  else if (!schema.data) body = <Spinner label="Loading the workspace’s entity types" />;
  else if (schema.data.entityTypes.length === 0) {
    body = (
      <div className="empty-state" data-testid="records-no-types">
        <Icon name="folder" size={28} />
        <h2>This workspace has no entity types yet</h2>
        <p>
          Records are kept by type — clients, invoices, tickets.{' '}
          {isAdmin ? 'Add a type' : 'An admin adds types'} on the Schema page, then come back here to create
          records.
        </p>
        <Link to={`/w/${workspaceId}/schema`} className="button primary" data-testid="records-go-schema">
          Go to Schema
        </Link>
      </div>
    );
  } else {
    const entities = schema.data.entityTypes;
    const entity =
      entities.find((e) => e.key === view.type) ?? (view.type === null ? entities[0] : undefined);
    body = (
      <>
        <nav className="type-tabs" aria-label="Entity types">
          {entities.map((e) => (
            <Link
              key={e.key}
              to={`/w/${workspaceId}/records${searchOf({ ...viewOf(new URLSearchParams()), type: e.key })}`}
              className={e.key === entity?.key ? 'type-tab active' : 'type-tab'}
              aria-current={e.key === entity?.key ? 'page' : undefined}
              data-testid={`records-type-${e.key}`}
            >
              {e.pluralLabel}
            </Link>
          ))}
        </nav>
        {entity ? (
          <RecordsOfType
            key={entity.key}
            workspaceId={workspaceId}
            entity={entity}
            entities={entities}
            view={{ ...view, type: entity.key }}
            roles={workspace.roles}
            customRoles={customRoles.data}
          />
        ) : (
          <div className="notice warning console-section" role="status" data-testid="records-unknown-type">
            <Icon name="alert" />
            <div>
              <p>
                This workspace has no entity type “{view.type}”. It may have been removed; choose another
                above.
              </p>
            </div>
          </div>
        )}
      </>
    );
  }

  return (
    <div className="page console-page records-page" data-testid="records-page">
      <PageHeader title="Records" />
      {body}
    </div>
  );
}

function RecordsOfType({
  workspaceId,
  entity,
  entities,
  view,
  roles,
  customRoles,
}: {
  workspaceId: string;
  entity: EntityTypeDef;
  entities: readonly EntityTypeDef[];
  view: RecordsView;
  roles: readonly string[];
  customRoles: Parameters<typeof recordRights>[1] | undefined;
}) {
  const rights = recordRights(roles, customRoles ?? [], entity.key);
  // Until the custom roles are known, nothing that writes is offered: better late than wrong.
  const canWrite = customRoles !== undefined && rights.write;
  const list = useRecordList(workspaceId, view, entity.key);
  const titles = useTitles(workspaceId, entities);
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<string | null>(null);
  const plural = entity.pluralLabel.toLowerCase();
  const singular = entity.label.toLowerCase();

  const go = useCallback(
    (next: Partial<RecordsView>, options: { replace?: boolean } = {}) => {
      navigate(`/w/${workspaceId}/records${searchOf({ ...view, ...next })}`, options);
    },
    [workspaceId, view],
  );

  const open = (id: string | null) => {
    setCreating(false);
    setEditing(null);
    go({ record: id });
  };

  const selected = useResource(`record:${workspaceId}:${view.record ?? ''}`, async () =>
    view.record ? call('getRecord', { params: { workspaceId, recordId: view.record } }) : null,
  );
  const record = view.record ? selected.data : null;
  const recordEntity = record ? entities.find((e) => e.key === record.type) : undefined;

  // Titles: the list's own rows, and every record the list and the detail refer to.
  const { remember, want } = titles;
  useEffect(() => {
    if (list.items) remember(list.items);
    const shown = [...(list.items ?? []), ...(record ? [record] : [])];
    want(referencesOf(entities, shown));
    for (const raw of view.filters) {
      const [key, , id] = raw.split(':');
      const field = entity.fields.find((f) => f.key === key);
      if (field?.type === 'reference' && field.refType && id) want([{ type: field.refType, id }]);
    }
  }, [list.items, record, entities, entity, view.filters, remember, want]);

  const afterChange = (changed: WorkspaceRecord) => {
    selected.setData(() => changed);
    list.reload();
  };

  const create = async (change: RecordChange): Promise<SaveRefusal | undefined> => {
    try {
      const created = await call('createRecord', {
        params: { workspaceId },
        body: { type: entity.key, data: change.data },
      });
      setCreating(false);
      list.reload();
      go({ record: created.id });
      return undefined;
    } catch (failure) {
      return refusalOf(asApiError(failure), entity, change.data, null);
    }
  };

  const update = async (current: WorkspaceRecord, change: RecordChange): Promise<SaveRefusal | undefined> => {
    if (change.changed.length === 0) {
      setEditing(null);
      return undefined;
    }
    // Only what the form changed, a cleared field as null; with the revision it was read at, so a
    // change made meanwhile by someone else is not overwritten unseen.
    const data = Object.fromEntries(change.changed.map((key) => [key, change.data[key] ?? null]));
    try {
      const saved = await call('patchRecord', {
        params: { workspaceId, recordId: current.id },
        body: { data, rev: current.rev },
      });
      setEditing(null);
      afterChange(saved);
      return undefined;
    } catch (failure) {
      return refusalOf(asApiError(failure), entity, data, () => void selected.reload());
    }
  };

  const remove = async (current: WorkspaceRecord) => {
    afterChange(await call('deleteRecord', { params: { workspaceId, recordId: current.id } }));
  };
  const restore = async (current: WorkspaceRecord) => {
    afterChange(await call('restoreRecord', { params: { workspaceId, recordId: current.id } }));
  };

  const paneOpen = creating || view.record !== null;
  let pane: ReactNode = null;
  if (creating) {
    pane = (
      <>
        <header className="detail-header">
          <div>
            <p className="eyebrow">{entity.label}</p>
            <h2>New {singular}</h2>
          </div>
        </header>
        <RecordForm
          key="new"
          entity={entity}
          entities={entities}
          record={null}
          references={titles.references}
          validation="server"
          onSave={create}
          onCancel={() => setCreating(false)}
        />
      </>
    );
  } else if (view.record !== null) {
    if (selected.error) {
      pane = (
        <div className="empty-state" data-testid="record-missing">
          <h2>
            {selected.error.code === 'not_found'
              ? 'This record is not here'
              : 'The record could not be loaded'}
          </h2>
          <p>
            {selected.error.code === 'not_found'
              ? 'It does not exist in this workspace, or your role does not let you see it.'
              : selected.error.message}
          </p>
        </div>
      );
    } else if (!record) {
      pane = <Spinner label="Loading the record" />;
    } else if (!recordEntity) {
      pane = (
        <div className="empty-state">
          <h2>This record’s type was removed</h2>
          <p>The schema no longer describes “{record.type}” records, so this one cannot be shown.</p>
        </div>
      );
    } else if (editing === record.id && canWrite) {
      pane = (
        <>
          <header className="detail-header">
            <div>
              <p className="eyebrow">Editing {recordEntity.label.toLowerCase()}</p>
              <h2>{recordTitle(recordEntity, record.data)}</h2>
            </div>
          </header>
          <RecordForm
            // A reload after a conflict brings a new revision: the form starts again from it.
            key={`edit-${record.id}-${String(record.rev)}`}
            entity={recordEntity}
            entities={entities}
            record={record}
            references={titles.references}
            validation="server"
            onSave={(change) => update(record, change)}
            onCancel={() => setEditing(null)}
          />
        </>
      );
    } else {
      const rightsHere = recordRights(roles, customRoles ?? [], record.type);
      const writeHere = customRoles !== undefined && rightsHere.write;
      const deleteHere = customRoles !== undefined && rightsHere.delete;
      pane = (
        <RecordDetail
          key={record.id}
          entity={recordEntity}
          record={record}
          titles={titles.lookup}
          onEdit={writeHere ? () => setEditing(record.id) : undefined}
          onDelete={deleteHere ? () => remove(record) : undefined}
          onRestore={deleteHere ? () => restore(record) : undefined}
          describeFailure={(failure) => {
            const error = asApiError(failure);
            return ACTION_MESSAGES[error.code] ?? error.message;
          }}
          onOpenReference={(type, id) => {
            setEditing(null);
            navigate(
              `/w/${workspaceId}/records${searchOf({ ...viewOf(new URLSearchParams()), type, record: id })}`,
            );
          }}
          deleteNote={
            <p>
              It is removed for everyone in the workspace, and from their computers when they next sync. It
              can be restored here: turn on “Show deleted”, open it, and choose Restore.
            </p>
          }
          meta={
            <>
              <span>Created {formatDateTime(record.createdAt)}</span>
              <span> · Last changed {formatDateTime(record.updatedAt)}</span>
              <span className="muted"> · Revision {record.rev}</span>
              <span>
                {' · '}
                <Link
                  to={`/w/${workspaceId}/assistant?record=${encodeURIComponent(record.id)}&feature=${record.type === 'ticket' ? 'triage' : 'summary'}`}
                  data-testid="record-ask-ai"
                >
                  Ask the AI about it
                </Link>
              </span>
            </>
          }
        />
      );
    }
  }

  return (
    <>
      <RecordsToolbar
        entity={entity}
        entities={entities}
        view={view}
        go={go}
        titles={titles}
        canWrite={canWrite}
        onNew={() => {
          setEditing(null);
          setCreating(true);
          if (view.record) go({ record: null });
        }}
      />
      {customRoles !== undefined && !rights.write && (
        <div className="notice console-section" role="status" data-testid="records-read-only">
          <Icon name="lock" />
          <div>
            <p>
              You can read {plural} but not change them: your role in this workspace does not allow it. An
              owner or admin can change your role.
            </p>
          </div>
        </div>
      )}
      <div className={paneOpen ? 'records-layout with-pane' : 'records-layout'}>
        <RecordTable
          workspaceId={workspaceId}
          entity={entity}
          list={list}
          view={view}
          titles={titles.lookup}
          canWrite={canWrite}
          onOpen={open}
          onNew={() => setCreating(true)}
          onClear={() => go({ q: '', filters: [], record: null })}
        />
        {paneOpen && (
          <aside className="detail-pane records-pane" aria-label={creating ? `New ${singular}` : 'Record'}>
            <button
              type="button"
              className="icon-button pane-close"
              aria-label="Close"
              title="Close"
              data-testid="record-pane-close"
              onClick={() => (creating ? setCreating(false) : open(null))}
            >
              <Icon name="x" size={15} />
            </button>
            {pane}
          </aside>
        )}
      </div>
    </>
  );
}

function RecordsToolbar({
  entity,
  entities,
  view,
  go,
  titles,
  canWrite,
  onNew,
}: {
  entity: EntityTypeDef;
  entities: readonly EntityTypeDef[];
  view: RecordsView;
  go: (next: Partial<RecordsView>, options?: { replace?: boolean }) => void;
  titles: Titles;
  canWrite: boolean;
  onNew: () => void;
}) {
  const plural = entity.pluralLabel.toLowerCase();
  const sorts = useMemo(() => sortChoices(entity), [entity]);
  const sortValue = `${view.sort}|${view.order}`;
  // What is typed shows at once; the list follows once typing pauses (or at Enter).
  const [text, setText] = useState(view.q);
  const [shownQ, setShownQ] = useState(view.q);
  if (shownQ !== view.q) {
    setShownQ(view.q);
    setText(view.q);
  }
  const goRef = useRef(go);
  useEffect(() => {
    goRef.current = go;
  });
  useEffect(() => {
    if (text === view.q) return;
    const timer = setTimeout(() => goRef.current({ q: text }, { replace: true }), SEARCH_DELAY_MS);
    return () => clearTimeout(timer);
  }, [text, view.q]);

  const submit = (event: SyntheticEvent) => {
    event.preventDefault();
    if (text !== view.q) go({ q: text }, { replace: true });
  };

  return (
    <div className="records-toolbar console-section">
      <div className="toolbar-row">
        <form className="search-box" role="search" onSubmit={submit}>
          <Icon name="search" size={14} />
          <input
            type="search"
            data-testid="records-search"
            aria-label={`Search ${plural}`}
            placeholder={`Search ${plural}…`}
            value={text}
            maxLength={200}
            onChange={(event) => setText(event.target.value)}
          />
        </form>
        <label className="sort-control">
          <span className="visually-hidden">Sort</span>
          <select
            data-testid="records-sort"
            value={sorts.some((s) => s.value === sortValue) ? sortValue : 'updatedAt|desc'}
            onChange={(event) => {
              const choice = sorts.find((s) => s.value === event.target.value);
              if (choice) go({ sort: choice.sort, order: choice.order });
            }}
          >
            {sorts.map((choice) => (
              <option key={choice.value} value={choice.value}>
                {`Sort: ${choice.label}`}
              </option>
            ))}
          </select>
        </label>
        <label className="checkbox show-deleted">
          <input
            type="checkbox"
            data-testid="records-show-deleted"
            checked={view.deleted}
            onChange={(event) => go({ deleted: event.target.checked })}
          />
          <span>Show deleted</span>
        </label>
        <span className="spacer" />
        {canWrite && (
          <button type="button" className="button primary" data-testid="new-record" onClick={onNew}>
            <Icon name="plus" size={14} /> New {entity.label.toLowerCase()}
          </button>
        )}
      </div>
      <RecordFilters
        entity={entity}
        entities={entities}
        filters={view.filters}
        titles={titles.lookup}
        references={titles.references}
        onChange={(filters) => go({ filters })}
      />
    </div>
  );
}

function RecordTable({
  workspaceId,
  entity,
  list,
  view,
  titles,
  canWrite,
  onOpen,
  onNew,
  onClear,
}: {
  workspaceId: string;
  entity: EntityTypeDef;
  list: RecordList;
  view: RecordsView;
  titles: TitleLookup;
  canWrite: boolean;
  onOpen: (id: string) => void;
  onNew: () => void;
  onClear: () => void;
}) {
  const now = useNow(30_000);
  const columns = useMemo(() => summaryFields(entity), [entity]);
  const plural = entity.pluralLabel.toLowerCase();
  const titleLabel = entity.fields.find((f) => f.key === entity.titleField)?.label ?? 'Title';
  const narrowed = view.q.trim() !== '' || view.filters.length > 0;

  if (list.error && !list.items) {
    return <ErrorNote error={list.error} message={listErrorWords(list.error)} testId="records-error" />;
  }
  if (!list.items) return <Spinner label={`Loading ${plural}`} />;
  if (list.items.length === 0) {
    if (narrowed) {
      return (
        <div className="empty-state" data-testid="records-empty" data-empty="search">
          <Icon name="search" size={28} />
          <h2>No {plural} match</h2>
          <p>Try other words, or remove a filter.</p>
          <button type="button" className="button" onClick={onClear}>
            Clear search and filters
          </button>
        </div>
      );
    }
    return (
      <div className="empty-state" data-testid="records-empty" data-empty="none">
        <Icon name="folder" size={28} />
        <h2>No {plural} yet</h2>
        {canWrite ? (
          <>
            <p>Create the first one here, or from the desktop app.</p>
            <button
              type="button"
              className="button primary"
              data-testid="records-create-first"
              onClick={onNew}
            >
              <Icon name="plus" size={14} /> Create the first {entity.label.toLowerCase()}
            </button>
          </>
        ) : (
          <p>Nobody has created one yet. Those who may will see them appear here.</p>
        )}
      </div>
    );
  }

  return (
    <div className="records-list">
      <table className="data-table records-table" data-testid="records-table" aria-busy={list.loading}>
        <caption className="visually-hidden">{entity.pluralLabel}</caption>
        <thead>
          <tr>
            <th scope="col">{titleLabel}</th>
            {columns.map((field) => (
              <th key={field.key} scope="col" className={`cell-${field.type}`}>
                {field.label}
              </th>
            ))}
            <th scope="col" className="cell-time">
              Updated
            </th>
          </tr>
        </thead>
        <tbody>
          {list.items.map((row) => {
            const selected = row.id === view.record;
            return (
              <tr
                key={row.id}
                className={selected ? 'selected' : undefined}
                data-testid="record-row"
                data-record-id={row.id}
                data-deleted={row.deletedAt !== null || undefined}
                // The title is the row's link; a click anywhere else on the row does the same.
                onClick={(event) => {
                  if (!(event.target instanceof HTMLElement) || !event.target.closest('a')) onOpen(row.id);
                }}
              >
                <th scope="row" className="title-cell">
                  <Link
                    to={`/w/${workspaceId}/records${searchOf({ ...view, record: row.id })}`}
                    aria-current={selected ? 'true' : undefined}
                    data-testid="record-link"
                  >
                    {recordTitle(entity, row.data)}
                  </Link>
                  {row.deletedAt !== null && <span className="badge deleted-badge">Deleted</span>}
                </th>
                {columns.map((field) => {
                  const value = displayValue(field, row.data[field.key], titles);
                  return (
                    <td key={field.key} className={`cell-${field.type}`} data-field={field.key}>
                      {field.type === 'enum' && value !== '' ? (
                        <span className={`pill pill-${String(row.data[field.key])}`}>{value}</span>
                      ) : (
                        value
                      )}
                    </td>
                  );
                })}
                <td className="cell-time" title={formatDateTime(row.updatedAt)}>
                  {relativeTime(row.updatedAt, now)}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {list.error && <ErrorNote error={list.error} message={listErrorWords(list.error)} />}
      <div className="records-list-foot">
        <span className="view-count" aria-live="polite" data-testid="records-count">
          {list.more
            ? `${String(list.items.length)} shown, more to load`
            : `${String(list.items.length)} ${list.items.length === 1 ? entity.label.toLowerCase() : plural}`}
        </span>
        {list.more && (
          <button
            type="button"
            className="button"
            data-testid="records-load-more"
            disabled={list.loading}
            onClick={list.loadMore}
          >
            {list.loading ? 'Loading…' : 'Load more'}
          </button>
        )}
      </div>
    </div>
  );
}

function listErrorWords(error: ApiError): string {
  if (error.code === 'forbidden') return `${error.message}. Your role does not let you read these records.`;
  if (error.code === 'validation_failed' || error.code === 'bad_request')
    return `The server could not apply this search, sort or filter: ${error.message}. Remove the filter and try again.`;
  return error.message;
}

/** Referenced records of the given rows, for their titles. */
function referencesOf(
  entities: readonly EntityTypeDef[],
  rows: readonly WorkspaceRecord[],
): { type: string; id: string }[] {
  const refs: { type: string; id: string }[] = [];
  for (const row of rows) {
    const entity = entities.find((e) => e.key === row.type);
    for (const field of entity?.fields ?? []) {
      const value = row.data[field.key];
      if (field.type === 'reference' && field.refType && typeof value === 'string')
        refs.push({ type: field.refType, id: value });
    }
  }
  return refs;
}

/**
 * The server's refusal of a save, for the form: validation issues next to their fields (the
 * server reports them at `data.<field>`), a changed record as a conflict with a way to load it
 * again, and any other refusal in the server's own words.
 */
function refusalOf(
  error: ApiError,
  entity: EntityTypeDef,
  sent: Record<string, unknown>,
  reload: (() => void) | null,
): SaveRefusal {
  if (error.code === 'validation_failed') {
    const { errors, other } = serverFieldErrors(entity, error.issues, sent);
    const count = Object.keys(errors).length;
    if (other.length === 0 && count > 0) return { errors };
    return {
      errors,
      formError:
        count > 0
          ? `${error.message}. Check the fields marked below.`
          : `The server refused this record: ${error.message}. The workspace’s fields may have changed; reload the page and try again.`,
    };
  }
  if (error.code === 'conflict' && reload && hasCurrentRev(error.details)) {
    return {
      formError: (
        <div className="conflict-note" data-testid="record-conflict">
          <p>
            <strong>Someone else changed this record</strong> after you opened it, so your changes were not
            saved. Load the latest version, then make your changes again.
          </p>
          <button
            type="button"
            className="button small"
            data-testid="record-conflict-reload"
            onClick={reload}
          >
            <Icon name="refresh" size={12} /> Load the latest version
          </button>
        </div>
      ),
    };
  }
  if (error.code === 'forbidden')
    return {
      formError: `The server refused: ${error.message}. Your role may have changed; reload the page.`,
    };
  if (error.code === 'not_found')
    return {
      formError: 'This record no longer exists, or you may no longer see it. Your changes were not saved.',
    };
  return { formError: error.message };
}

function hasCurrentRev(details: unknown): boolean {
  return typeof details === 'object' && details !== null && 'currentRev' in details;
}
