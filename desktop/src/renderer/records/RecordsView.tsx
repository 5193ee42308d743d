import { useDeferredValue, useEffect, useMemo, useRef, useState } from 'react';
import type { EntityTypeDef } from '@enclave/shared';
import { useWorkspace } from '../workspace/workspace-context';
import { displayValue, humanise, recordTitle, summaryFields, type RecordRow } from '@enclave/ui';
import {
  applyListQuery,
  DEFAULT_LIST_QUERY,
  filterableFields,
  sortOptions,
  type ListQuery,
} from '@enclave/ui';
import { refTypesOf, useRecord, useRecordsOfType, useReferenceSource, useTitleLookup } from './record-hooks';
import { useRecordWrites } from './record-writes';
import {
  formatDateTime,
  Icon,
  RecordDetail,
  RecordForm,
  relativeTime,
  useNow,
  VirtualList,
} from '@enclave/ui';

const ROW_HEIGHT = 36;
const count = new Intl.NumberFormat();

type Pane = { kind: 'none' } | { kind: 'view'; id: string } | { kind: 'edit'; id: string } | { kind: 'new' };

const isTyping = (target: EventTarget | null) =>
  target instanceof HTMLElement &&
  (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName));

/** One entity type: a fast, windowed list over the replica beside the selected record. */
export function RecordsView({
  entity,
  focusId,
  onOpenReference,
}: {
  entity: EntityTypeDef;
  focusId: string | null;
  onOpenReference: (type: string, id: string) => void;
}) {
  const { session, self } = useWorkspace();
  const entities = self.schema.entityTypes;
  const rows = useRecordsOfType(session, entity.key);
  const [query, setQuery] = useState<ListQuery>(DEFAULT_LIST_QUERY);
  const [activeId, setActiveId] = useState<string | null>(focusId);
  const [pane, setPane] = useState<Pane>(focusId ? { kind: 'view', id: focusId } : { kind: 'none' });
  const search = useRef<HTMLInputElement>(null);
  const list = useRef<HTMLDivElement>(null);
  const now = useNow(30_000);
  const titles = useTitleLookup(session, self.schema, refTypesOf([entity]));
  const references = useReferenceSource(session, self.schema, titles);
  const writes = useRecordWrites(session, entity);
  // Typing stays responsive over tens of thousands of rows: the list follows a moment later.
  const deferredQuery = useDeferredValue(query);
  const visible = useMemo(
    () => (rows ? applyListQuery(rows, entity, deferredQuery, titles) : undefined),
    [rows, entity, deferredQuery, titles],
  );
  const columns = useMemo(() => summaryFields(entity), [entity]);
  const filters = useMemo(() => filterableFields(entity), [entity]);
  const sorts = useMemo(() => sortOptions(entity), [entity]);
  const selectedId = pane.kind === 'view' || pane.kind === 'edit' ? pane.id : null;
  const selected = useRecord(session, selectedId);

  const openNew = () => setPane({ kind: 'new' });

  useEffect(() => {
    const onKeyDown = (event: KeyboardEvent) => {
      const mod = event.metaKey || event.ctrlKey;
      if (mod && event.key.toLowerCase() === 'f') {
        event.preventDefault();
        search.current?.focus();
        search.current?.select();
      } else if (mod && event.key.toLowerCase() === 'n') {
        event.preventDefault();
        setPane({ kind: 'new' });
      } else if (isTyping(event.target) || mod || document.querySelector('dialog[open]')) {
        return;
      } else if (event.key === '/') {
        event.preventDefault();
        search.current?.focus();
      } else if (event.key === 'e') {
        setPane((current) => (current.kind === 'view' ? { kind: 'edit', id: current.id } : current));
      } else if (event.key === 'Escape') {
        setPane((current) => (current.kind === 'view' ? { kind: 'none' } : current));
      }
    };
    window.addEventListener('keydown', onKeyDown);
    return () => window.removeEventListener('keydown', onKeyDown);
  }, []);

  const total = rows?.length ?? 0;
  const shown = visible?.length ?? 0;
  const filtering = query.search.trim() !== '' || Object.values(query.filters).some((v) => v !== '');
  const plural = entity.pluralLabel.toLowerCase();

  let body;
  if (visible === undefined) body = <div className="list-loading" aria-busy="true" />;
  else if (total === 0) {
    // The empty list keeps the list's test id, so a test can tell "empty" from "not there yet".
    body = (
      <div className="empty-state" data-testid="record-list" data-empty="true">
        <Icon name="folder" size={28} />
        <h2>No {plural} yet</h2>
        <p>{entity.pluralLabel} you and your team create appear here, also when you are offline.</p>
        <button type="button" className="button primary" onClick={openNew}>
          <Icon name="plus" size={14} /> New {entity.label.toLowerCase()}
        </button>
      </div>
    );
  } else if (shown === 0) {
    body = (
      <div className="empty-state" data-testid="record-list" data-empty="true">
        <Icon name="search" size={28} />
        <h2>No {plural} match</h2>
        <p>Try other words, or clear the filters.</p>
        <button
          type="button"
          className="button"
          onClick={() => setQuery({ ...query, search: '', filters: {} })}
        >
          Clear search and filters
        </button>
      </div>
    );
  } else {
    body = (
      <VirtualList<RecordRow>
        items={visible}
        rowHeight={ROW_HEIGHT}
        keyOf={(row) => row.id}
        activeKey={activeId}
        selectedKey={selectedId}
        onActiveChange={setActiveId}
        onOpen={(id) => {
          setActiveId(id);
          setPane({ kind: 'view', id });
        }}
        label={entity.pluralLabel}
        testId="record-list"
        rowTestId="record-row"
        rowData={(row) => ({ 'data-record-id': row.id })}
        idPrefix={`row-${entity.key}`}
        renderRow={(row) => (
          <>
            <span className="cell title-cell">{recordTitle(entity, row.data)}</span>
            {columns.map((field) => {
              const value = displayValue(field, row.data[field.key], titles);
              return (
                <span key={field.key} className={`cell cell-${field.type}`}>
                  {field.type === 'enum' && value !== '' ? (
                    <span className={`pill pill-${String(row.data[field.key])}`}>{value}</span>
                  ) : (
                    value
                  )}
                </span>
              );
            })}
            <span className="cell cell-time">
              {row.updatedAt ? relativeTime(row.updatedAt, now) : 'Not synced'}
            </span>
          </>
        )}
      />
    );
  }

  return (
    <section
      className={pane.kind === 'none' ? 'records-view' : 'records-view with-pane'}
      aria-label={entity.pluralLabel}
    >
      <div className="list-pane">
        <header className="view-header">
          <h1>{entity.pluralLabel}</h1>
          <span className="view-count" aria-live="polite">
            {rows === undefined
              ? ''
              : filtering
                ? `${count.format(shown)} of ${count.format(total)}`
                : count.format(total)}
          </span>
          <div className="spacer" />
          <label className="sort-control">
            <span className="visually-hidden">Sort</span>
            <select
              data-testid="list-sort"
              value={`${query.sort}|${query.direction}`}
              onChange={(event) => {
                const option = sorts.find((o) => o.value === event.target.value);
                if (option) setQuery({ ...query, sort: option.sort, direction: option.direction });
              }}
            >
              {sorts.map((option) => (
                <option key={option.value} value={option.value}>
                  {`Sort: ${option.label}`}
                </option>
              ))}
            </select>
          </label>
          <button
            type="button"
            className="button primary"
            data-testid="new-record"
            onClick={openNew}
            title={`New ${entity.label.toLowerCase()} (Ctrl+N)`}
          >
            <Icon name="plus" size={14} /> New {entity.label.toLowerCase()}
          </button>
        </header>

        <div className="toolbar" role="search">
          <div className="search-box">
            <Icon name="search" size={14} />
            <input
              ref={search}
              type="search"
              data-testid="list-search"
              aria-label={`Search ${plural}`}
              placeholder={`Search ${plural}…`}
              value={query.search}
              onChange={(event) => setQuery({ ...query, search: event.target.value })}
              onKeyDown={(event) => {
                if (event.key === 'ArrowDown' || event.key === 'Enter') {
                  event.preventDefault();
                  const first = visible?.[0];
                  if (first && activeId === null) setActiveId(first.id);
                  list.current?.querySelector<HTMLElement>('[role="listbox"]')?.focus();
                } else if (event.key === 'Escape' && query.search !== '') {
                  setQuery({ ...query, search: '' });
                }
              }}
            />
          </div>
          {filters.map((field) => (
            <select
              key={field.key}
              className="filter-select"
              data-testid={`list-filter-${field.key}`}
              aria-label={`Filter by ${field.label.toLowerCase()}`}
              value={query.filters[field.key] ?? ''}
              onChange={(event) =>
                setQuery({ ...query, filters: { ...query.filters, [field.key]: event.target.value } })
              }
            >
              <option value="">{`${field.label}: any`}</option>
              {field.type === 'boolean' ? (
                <>
                  <option value="true">{`${field.label}: yes`}</option>
                  <option value="false">{`${field.label}: no`}</option>
                </>
              ) : (
                (field.options ?? []).map((option) => (
                  <option key={option} value={option}>
                    {`${field.label}: ${humanise(option)}`}
                  </option>
                ))
              )}
            </select>
          ))}
        </div>

        <div className="list-columns" aria-hidden="true">
          <span className="cell title-cell">
            {entity.fields.find((f) => f.key === entity.titleField)?.label}
          </span>
          {columns.map((field) => (
            <span key={field.key} className={`cell cell-${field.type}`}>
              {field.label}
            </span>
          ))}
          <span className="cell cell-time">Updated</span>
        </div>
        <div className="list-body" ref={list}>
          {body}
        </div>
      </div>

      {pane.kind !== 'none' && (
        <aside className="detail-pane" aria-label="Record">
          <button
            type="button"
            className="icon-button pane-close"
            aria-label="Close"
            title="Close (Esc)"
            onClick={() => setPane({ kind: 'none' })}
          >
            <Icon name="x" size={15} />
          </button>
          {pane.kind === 'new' && (
            <>
              <header className="detail-header">
                <div>
                  <p className="eyebrow">{entity.label}</p>
                  <h2>New {entity.label.toLowerCase()}</h2>
                </div>
              </header>
              <RecordForm
                key="new"
                entity={entity}
                entities={entities}
                record={null}
                references={references}
                onSave={(change) =>
                  writes.create(change, (id) => {
                    setActiveId(id);
                    setPane({ kind: 'view', id });
                  })
                }
                onCancel={() => setPane({ kind: 'none' })}
              />
            </>
          )}
          {pane.kind !== 'new' && selected === null && (
            <div className="empty-state">
              <h2>This record is gone</h2>
              <p>It was deleted, here or on the server.</p>
            </div>
          )}
          {pane.kind === 'view' && selected && (
            <RecordDetail
              key={selected.id}
              entity={entity}
              record={selected}
              titles={titles}
              editTitle="Edit (E)"
              onEdit={() => setPane({ kind: 'edit', id: selected.id })}
              onDelete={() => writes.remove(selected.id, () => setPane({ kind: 'none' }))}
              describeFailure={writes.describeFailure}
              onOpenReference={onOpenReference}
              deleteNote={
                <p>
                  It is removed for everyone in the workspace when this computer next syncs. It can be
                  restored from the web console.
                </p>
              }
              meta={
                <>
                  {selected.updatedAt ? (
                    <span title={formatDateTime(selected.updatedAt)}>
                      Last changed on the server {formatDateTime(selected.updatedAt)}
                    </span>
                  ) : (
                    <span>Created on this computer; not on the server yet.</span>
                  )}
                  {selected.rev !== undefined && <span className="muted"> · Revision {selected.rev}</span>}
                </>
              }
            />
          )}
          {pane.kind === 'edit' && selected && (
            <>
              <header className="detail-header">
                <div>
                  <p className="eyebrow">Editing {entity.label.toLowerCase()}</p>
                  <h2>{recordTitle(entity, selected.data)}</h2>
                </div>
              </header>
              <RecordForm
                key={`edit-${selected.id}`}
                entity={entity}
                entities={entities}
                record={selected}
                references={references}
                onSave={(change) =>
                  writes.update(selected.id, change, () => setPane({ kind: 'view', id: selected.id }))
                }
                onCancel={() => setPane({ kind: 'view', id: selected.id })}
              />
            </>
          )}
        </aside>
      )}
    </section>
  );
}
