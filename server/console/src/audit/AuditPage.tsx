import { useCallback, useEffect, useMemo, useRef, useState, type ChangeEvent } from 'react';
import {
  AuditReceipt,
  type AuditEvent,
  type AuditVerifyResult,
  type LiveEvent,
  type WorkspaceSchema,
} from '@enclave/shared';
import { ActivityEntry, ErrorNote, Icon, Spinner, useAction, useNow } from '@enclave/ui';
import { asApiError, call, urlOf, type ApiError } from '../api/client';
import { useLive, type LiveState } from '../api/live';
import { useResource } from '../api/use-resource';
import { Link, navigate, useQuery } from '../app/router';
import { useWorkspace } from '../app/workspace';
import { PageHeader } from '../layout/ConsoleShell';
import { AuditFilters } from './AuditFilters';
import {
  apiFilter,
  filterFromQuery,
  isFiltered,
  matchesFilter,
  queryOfFilter,
  type AuditFilter,
} from './audit-filter';
import { verifyWords } from './verify-words';
import './audit.css';

/**
 * One page of the log: the newest events first, then older ones a page at a time (`before` the
 * oldest one shown). The page never asks for more than this, however long the log is.
 */
const PAGE = 100;

/** Newest first, each event once. */
function merge(first: readonly AuditEvent[], second: readonly AuditEvent[]): AuditEvent[] {
  const byId = new Map<string, AuditEvent>();
  for (const event of [...first, ...second]) byId.set(event.id, event);
  return [...byId.values()].sort((a, b) => b.seq - a.seq);
}

interface Log {
  /** The filter (as a query string) these events are for: what was loaded for another is not shown. */
  key: string;
  items: AuditEvent[];
  nextBefore: number | null;
  error: ApiError | null;
}

/**
 * The events of one filter: the first page when the filter changes, older pages on request, and
 * events that happen while the page is open (from the live channel) at the top.
 */
function useAuditLog(workspaceId: string, filter: AuditFilter, key: string) {
  const [log, setLog] = useState<Log | null>(null);
  const [older, setOlder] = useState<{ busy: boolean; error: ApiError | null }>({ busy: false, error: null });
  const [attempt, setAttempt] = useState(0);
  /** Events that arrived live, to mark them. */
  const [arrived, setArrived] = useState<ReadonlySet<string>>(new Set());

  const fetchPage = useCallback(
    (before?: number) =>
      call('queryAudit', {
        params: { workspaceId },
        query: { ...apiFilter(filter), before, limit: PAGE },
      }),
    [workspaceId, filter],
  );

  useEffect(() => {
    let current = true;
    fetchPage().then(
      (page) => {
        if (current) setLog({ key, items: page.items, nextBefore: page.nextBefore, error: null });
      },
      (failure: unknown) => {
        if (current) setLog({ key, items: [], nextBefore: null, error: asApiError(failure) });
      },
    );
    return () => {
      current = false;
    };
  }, [fetchPage, key, attempt]);

  const shown = log?.key === key ? log : null;
  const ready = shown !== null && shown.error === null;

  const loadOlder = async () => {
    if (!shown || shown.nextBefore === null || older.busy) return;
    setOlder({ busy: true, error: null });
    try {
      const page = await fetchPage(shown.nextBefore);
      setLog((previous) =>
        previous?.key === key
          ? { ...previous, items: merge(previous.items, page.items), nextBefore: page.nextBefore }
          : previous,
      );
      setOlder({ busy: false, error: null });
    } catch (failure) {
      setOlder({ busy: false, error: asApiError(failure) });
    }
  };

  /** Events this page learnt of on its own (live, or an undo's own event), if the filter takes them. */
  const add = (events: readonly AuditEvent[], live: boolean) => {
    const taken = events.filter((event) => matchesFilter(filter, event));
    if (taken.length === 0) return;
    setLog((previous) =>
      previous?.key === key && previous.error === null
        ? { ...previous, items: merge(taken, previous.items) }
        : previous,
    );
    if (live) setArrived((previous) => new Set([...previous, ...taken.map((event) => event.id)]));
  };

  /**
   * After the live channel (re)connects: what happened while it was down. Usually a few events
   * newer than the top one; if a whole page is newer, there may be a gap, so the list starts again.
   */
  const catchUp = async () => {
    if (!ready) return;
    try {
      const page = await fetchPage();
      setLog((previous) => {
        if (previous?.key !== key || previous.error !== null) return previous;
        const top = previous.items[0]?.seq ?? 0;
        const newer = page.items.filter((event) => event.seq > top);
        if (newer.length === page.items.length && page.nextBefore !== null)
          return { key, items: page.items, nextBefore: page.nextBefore, error: null };
        return { ...previous, items: merge(newer, previous.items) };
      });
    } catch {
      // The list stays as it was; the next reconnect tries again.
    }
  };

  return {
    items: shown?.items ?? null,
    nextBefore: shown?.nextBefore ?? null,
    error: shown?.error ?? null,
    loading: shown === null,
    older,
    loadOlder,
    add,
    catchUp,
    arrived,
    retry: () => setAttempt((n) => n + 1),
  };
}

type UndoState = { status: 'busy' } | { status: 'done' } | { status: 'refused'; error: ApiError };

/** Words for a refused undo; the server's own words when the record moved on, as it says why. */
function undoRefusal(error: ApiError): string {
  switch (error.code) {
    case 'conflict':
      return `Not undone: ${error.message}.`;
    case 'forbidden':
      return `Not undone: ${error.message}. Your roles do not let you change this record.`;
    case 'not_found':
      return 'Not undone: this record no longer exists, or this event is not a change to a record.';
    default:
      return `Not undone: ${error.message}`;
  }
}

const LIVE_WORDS: Record<LiveState, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  offline: 'Reconnecting…',
  ended: 'Not live',
};

export function AuditPage() {
  const { workspace } = useWorkspace();
  const workspaceId = workspace.id;
  const query = useQuery();
  const key = queryOfFilter(filterFromQuery(query));
  // One object per filter, so that everything keyed on it changes only when the filter does.
  const filter = useMemo(() => filterFromQuery(new URLSearchParams(key)), [key]);
  const now = useNow(60_000);

  const members = useResource(`members:${workspaceId}`, () =>
    call('listMembers', { params: { workspaceId } }),
  );
  const devices = useResource(`devices:${workspaceId}`, () =>
    call('listDevices', { params: { workspaceId } }),
  );
  const schema = useResource(`schema:${workspaceId}`, () => call('getSchema', { params: { workspaceId } }));
  const log = useAuditLog(workspaceId, filter, key);

  const onLive = (event: LiveEvent) => {
    if (event.type === 'audit') log.add([event.event], true);
  };
  const liveState = useLive(workspaceId, onLive, () => void log.catchUp());

  const names = useMemo(() => {
    const map = new Map<string, string>();
    for (const member of members.data?.items ?? []) map.set(member.userId, member.name);
    for (const device of devices.data?.items ?? []) map.set(device.id, device.name);
    return map;
  }, [members.data, devices.data]);
  const actorName = (event: AuditEvent) =>
    event.actor.kind === 'system' ? 'The server' : (names.get(event.actor.id) ?? event.actor.label);

  const [undos, setUndos] = useState<Record<string, UndoState>>({});
  const undo = async (event: AuditEvent) => {
    setUndos((previous) => ({ ...previous, [event.id]: { status: 'busy' } }));
    try {
      const result = await call('undoEvent', { params: { workspaceId, eventId: event.id } });
      setUndos((previous) => ({ ...previous, [event.id]: { status: 'done' } }));
      log.add([result.event], false);
    } catch (failure) {
      setUndos((previous) => ({
        ...previous,
        [event.id]: { status: 'refused', error: asApiError(failure) },
      }));
    }
  };

  const apply = (next: AuditFilter) => {
    const search = queryOfFilter(next);
    if (search !== key) navigate(`/w/${workspaceId}/audit${search ? `?${search}` : ''}`);
  };

  const forbidden = log.error?.code === 'forbidden';
  const filterRefused = log.error?.code === 'validation_failed';

  return (
    <div className="page console-page audit-page" data-testid="audit-page">
      <PageHeader
        title="Audit log"
        intro="Every change in this workspace, newest first, as the server recorded it. Each event is chained to the one before it by its hash, so a change to history shows when the chain is verified."
        actions={
          !forbidden && (
            <span className={`live-state live-${liveState}`} data-testid="audit-live" data-state={liveState}>
              <span className="sync-dot" aria-hidden="true" />
              {LIVE_WORDS[liveState]}
            </span>
          )
        }
      />

      {forbidden ? (
        <div className="empty-state" data-testid="audit-forbidden">
          <Icon name="lock" size={28} />
          <h2>Only owners and admins can read the audit log</h2>
          <p>Ask an owner of {workspace.name} if you need to know who changed what.</p>
        </div>
      ) : (
        <>
          <section className="console-section" aria-label="Filters">
            <AuditFilters
              filter={filter}
              members={members.data?.items ?? []}
              devices={devices.data?.items ?? []}
              entityTypes={schema.data?.entityTypes ?? []}
              error={filterRefused ? log.error : null}
              onApply={apply}
            />
          </section>

          <AuditTools workspaceId={workspaceId} workspaceName={workspace.name} filter={filter} />

          <section className="console-section" aria-labelledby="audit-events-heading">
            <h2 id="audit-events-heading" className="visually-hidden">
              Events
            </h2>
            {log.error && !filterRefused && (
              <div className="audit-load-error">
                <ErrorNote error={log.error} testId="audit-error" />
                <button type="button" className="button small" onClick={log.retry}>
                  Try again
                </button>
              </div>
            )}
            {log.loading && <Spinner label="Loading events" />}
            {log.items !== null && log.items.length === 0 && !log.error && (
              <div className="empty-state" data-testid="audit-empty">
                <h2>{isFiltered(filter) ? 'No events match these filters' : 'No events yet'}</h2>
                <p>
                  {isFiltered(filter)
                    ? 'Widen the time range or clear a filter to see more.'
                    : 'Changes to this workspace will be listed here as they happen.'}
                </p>
                {isFiltered(filter) && (
                  <button type="button" className="button" onClick={() => apply({})}>
                    Clear filters
                  </button>
                )}
              </div>
            )}
            {log.items !== null && log.items.length > 0 && (
              <ol className="activity-list audit-list" data-testid="audit-list">
                {log.items.map((event) => (
                  <AuditItem
                    key={event.id}
                    event={event}
                    workspaceId={workspaceId}
                    schema={schema.data ?? null}
                    now={now}
                    actorName={actorName(event)}
                    fresh={log.arrived.has(event.id)}
                    undoState={undos[event.id]}
                    onUndo={() => void undo(event)}
                  />
                ))}
              </ol>
            )}
            {log.older.error && (
              <ErrorNote error={log.older.error} title="The older events could not be loaded" />
            )}
            {log.items !== null && log.nextBefore !== null && (
              <div className="load-more">
                <button
                  type="button"
                  className="button"
                  disabled={log.older.busy}
                  onClick={() => void log.loadOlder()}
                  data-testid="audit-older"
                >
                  {log.older.busy ? 'Loading…' : 'Older events'}
                </button>
              </div>
            )}
            {log.items !== null && log.items.length > 0 && log.nextBefore === null && (
              <p className="muted audit-end" data-testid="audit-end">
                {isFiltered(filter)
                  ? 'That is every event that matches these filters.'
                  : 'That is every event since the workspace was created.'}
              </p>
            )}
          </section>
        </>
      )}
    </div>
  );
}

const isRecordChange = (event: AuditEvent) =>
  event.target.kind === 'record' && event.target.id !== null && event.action.startsWith('record.');

function AuditItem({
  event,
  workspaceId,
  schema,
  now,
  actorName,
  fresh,
  undoState,
  onUndo,
}: {
  event: AuditEvent;
  workspaceId: string;
  schema: WorkspaceSchema | null;
  now: number;
  actorName: string;
  fresh: boolean;
  undoState: UndoState | undefined;
  onUndo: () => void;
}) {
  const undoable = isRecordChange(event) && undoState?.status !== 'done';
  const recordId = event.target.kind === 'record' ? event.target.id : null;
  const history =
    recordId !== null ? queryOfFilter({ entityType: event.target.entityType ?? undefined, recordId }) : null;
  const where = [event.ip && `from ${event.ip}`, event.userAgent && `with ${event.userAgent}`]
    .filter(Boolean)
    .join(' ');
  return (
    <ActivityEntry
      event={event}
      schema={schema}
      // The console holds no copy of the records: a reference shows as the id it holds.
      titles={(_type, id) => `record ${id}`}
      now={now}
      actorName={actorName}
      timeStyle="absolute"
      testId="audit-event"
      className={fresh ? 'audit-fresh' : undefined}
      actions={
        undoable && (
          <button
            type="button"
            className="button small"
            onClick={onUndo}
            disabled={undoState?.status === 'busy'}
            aria-label={`Undo event #${event.seq}`}
            data-testid="audit-undo"
          >
            <Icon name="undo" size={13} />
            {undoState?.status === 'busy' ? 'Undoing…' : 'Undo'}
          </button>
        )
      }
      note={
        undoState?.status === 'done' ? (
          <p className="audit-undo-done" role="status" data-testid="audit-undo-done">
            <Icon name="check" size={13} /> Undone: the record is back as it was before this change. The undo
            is the newest event.
          </p>
        ) : undoState?.status === 'refused' ? (
          <p
            className="field-error audit-undo-refused"
            role="alert"
            data-testid="audit-undo-error"
            data-code={undoState.error.code}
          >
            <Icon name="alert" size={13} /> {undoRefusal(undoState.error)}
          </p>
        ) : null
      }
      meta={
        <>
          Event #{event.seq}
          {where && <> · {where}</>}
          {history && (
            <>
              {' · '}
              <Link to={`/w/${workspaceId}/audit?${history}`} data-testid="audit-record-history">
                All changes to this record
              </Link>
            </>
          )}
        </>
      }
    />
  );
}

/**
 * Verify, export, receipts: what an auditor does with the log as a whole. Exports and the receipt
 * are plain links (GET with the session cookie), so the browser downloads them itself.
 */
function AuditTools({
  workspaceId,
  workspaceName,
  filter,
}: {
  workspaceId: string;
  workspaceName: string;
  filter: AuditFilter;
}) {
  const [result, setResult] = useState<AuditVerifyResult | null>(null);
  const [receiptProblem, setReceiptProblem] = useState<string | null>(null);
  const verify = useAction(async () => {
    setResult(null);
    setReceiptProblem(null);
    setResult(await call('verifyAudit', { params: { workspaceId } }));
  }, asApiError);
  const verifyReceipt = useAction(async (receipt: AuditReceipt) => {
    setResult(null);
    setResult(await call('verifyAuditReceipt', { params: { workspaceId }, body: { receipt } }));
  }, asApiError);
  const fileInput = useRef<HTMLInputElement>(null);

  const readReceipt = async (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0];
    event.target.value = '';
    if (!file) return;
    setReceiptProblem(null);
    let parsed: unknown;
    try {
      parsed = JSON.parse(await file.text());
    } catch {
      parsed = null;
    }
    const receipt = AuditReceipt.safeParse(parsed);
    if (!receipt.success) {
      setResult(null);
      setReceiptProblem(`${file.name} is not an Enclave audit receipt.`);
      return;
    }
    await verifyReceipt.run(receipt.data);
  };

  const exportUrl = (format: 'jsonl' | 'csv') =>
    urlOf('exportAudit', { params: { workspaceId }, query: { ...apiFilter(filter), format } });
  const words = result ? verifyWords(result) : null;
  const failure = verify.error ?? verifyReceipt.error;
  const busy = verify.busy || verifyReceipt.busy;
  const fileName = workspaceName.replace(/[^\p{L}\p{N}]+/gu, '-').replace(/^-|-$/g, '') || 'workspace';

  return (
    <section
      className="console-section audit-tools"
      aria-labelledby="audit-tools-heading"
      data-testid="audit-tools"
    >
      <h2 id="audit-tools-heading" className="visually-hidden">
        Verify and export
      </h2>
      <div className="audit-tool-row">
        <button
          type="button"
          className="button"
          onClick={() => void verify.run()}
          disabled={busy}
          data-testid="audit-verify"
        >
          <Icon name="shield" size={14} />
          {verify.busy ? 'Verifying…' : 'Verify chain'}
        </button>
        <a className="button" href={exportUrl('jsonl')} download data-testid="audit-export-jsonl">
          Export JSONL
        </a>
        <a className="button" href={exportUrl('csv')} download data-testid="audit-export-csv">
          Export CSV
        </a>
        <a
          className="button"
          href={urlOf('auditReceipt', { params: { workspaceId } })}
          download={`audit-receipt-${fileName}.json`}
          data-testid="audit-receipt"
        >
          Download receipt
        </a>
        <button
          type="button"
          className="button"
          onClick={() => fileInput.current?.click()}
          disabled={busy}
          data-testid="audit-check-receipt"
        >
          {verifyReceipt.busy ? 'Checking…' : 'Check a receipt…'}
        </button>
        <input
          ref={fileInput}
          type="file"
          accept="application/json,.json"
          className="visually-hidden"
          tabIndex={-1}
          aria-label="Receipt file to check the log against"
          onChange={(event) => void readReceipt(event)}
          data-testid="audit-receipt-file"
        />
      </div>
      <p className="hint">
        {isFiltered(filter)
          ? 'Exports hold the events of the filters above, oldest first.'
          : 'Exports hold every event, oldest first.'}{' '}
        They are rate-limited per person, and each export is itself recorded in this log. A receipt is the
        server’s signed statement of the log as it stands now: keep it where the server cannot reach, and
        check the log against it later.
      </p>
      {failure && (
        <ErrorNote error={failure} title="The log could not be checked" testId="audit-verify-error" />
      )}
      {receiptProblem && (
        <p className="field-error" role="alert" data-testid="audit-receipt-problem">
          {receiptProblem}
        </p>
      )}
      {words && result && (
        <div
          className={result.ok ? 'verify-result intact' : 'verify-result broken'}
          role="status"
          data-testid="audit-verify-result"
          data-ok={String(result.ok)}
        >
          <Icon name={result.ok ? 'check' : 'alert'} />
          <div>
            <p className="verify-headline">{words.headline}</p>
            <p>{words.detail}</p>
          </div>
        </div>
      )}
    </section>
  );
}
