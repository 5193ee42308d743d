import { useEffect, useMemo, useState } from 'react';
import type { AuditEvent } from '@enclave/shared';
import { useServices } from '../app/services';
import { asBridgeError, type BridgeError } from '../bridge/client';
import { refTypesOf, useTitleLookup } from '../records/record-hooks';
import { useBehavior } from '../ui/observable-hooks';
import { useWorkspace } from '../workspace/workspace-context';
import { ActivityEntry, formatDateTime, Icon, useNow } from '@enclave/ui';

const PAGE = 50;

/**
 * The workspace's audit trail as this device's owner may see it, newest first, from the server
 * (`activity:list`): it is not part of the replica, so it needs a connection.
 */
export function ActivityView({ onOpenRecord }: { onOpenRecord: (type: string, id: string) => void }) {
  const { client } = useServices();
  const { session, self } = useWorkspace();
  const status = useBehavior(session.syncStatus$);
  const online = status?.status === 'online';
  /** The pages loaded so far; null until the first arrives (or after Refresh). */
  const [loaded, setLoaded] = useState<{ items: AuditEvent[]; nextBefore: number | null } | null>(null);
  const [error, setError] = useState<BridgeError | null>(null);
  const [loadingOlder, setLoadingOlder] = useState(false);
  const [attempt, setAttempt] = useState(0);
  const now = useNow(30_000);
  const refTypes = useMemo(() => refTypesOf(self.schema.entityTypes), [self.schema]);
  const titles = useTitleLookup(session, self.schema, refTypes);

  // The first page when the view opens, after Refresh or Try again, and when the connection
  // comes back before one could be loaded.
  useEffect(() => {
    if (loaded !== null || !online) return;
    let live = true;
    client.call('activity:list', { limit: PAGE }).then(
      (page) => {
        if (!live) return;
        setLoaded({ items: page.items, nextBefore: page.nextBefore });
        setError(null);
      },
      (failure: unknown) => {
        if (live) setError(asBridgeError(failure));
      },
    );
    return () => {
      live = false;
    };
  }, [client, loaded, online, attempt]);

  const loadOlder = async () => {
    if (loaded?.nextBefore == null || loadingOlder) return;
    setLoadingOlder(true);
    setError(null);
    try {
      const page = await client.call('activity:list', { before: loaded.nextBefore, limit: PAGE });
      setLoaded((current) => ({
        items: [...(current?.items ?? []), ...page.items],
        nextBefore: page.nextBefore,
      }));
    } catch (failure) {
      setError(asBridgeError(failure));
    } finally {
      setLoadingOlder(false);
    }
  };

  const retry = () => {
    setError(null);
    setAttempt((n) => n + 1);
  };

  const offline = !online || error?.code === 'server_unreachable';
  const firstLoading = loaded === null && online && error === null;
  const items = loaded?.items ?? null;

  return (
    <section className="page activity-view" aria-labelledby="activity-title">
      <header className="view-header">
        <h1 id="activity-title">Activity</h1>
        <div className="spacer" />
        <button
          type="button"
          className="button"
          onClick={() => {
            setError(null);
            setLoaded(null);
          }}
          disabled={firstLoading || !online}
        >
          <Icon name="refresh" size={14} /> Refresh
        </button>
      </header>
      <p className="page-intro">
        Changes in this workspace that you can see, newest first, as recorded by the server.
      </p>

      {offline && items === null && (
        <div className="empty-state" role="status">
          <Icon name="info" size={28} />
          <h2>Activity needs a connection</h2>
          <p>The activity log is kept on the server. It shows here when Enclave is back online.</p>
          {online && (
            <button type="button" className="button" onClick={retry}>
              Try again
            </button>
          )}
        </div>
      )}
      {!offline && error !== null && (
        <div className="error-note" role="alert" data-code={error.code}>
          <Icon name="alert" />
          <div>
            <p>{error.message}</p>
            <button
              type="button"
              className="button small"
              onClick={items === null ? retry : () => void loadOlder()}
            >
              Try again
            </button>
          </div>
        </div>
      )}
      {firstLoading && <div className="list-loading" aria-busy="true" />}
      {items !== null && items.length === 0 && (
        <div className="empty-state">
          <h2>No activity yet</h2>
          <p>Changes to records you can see will be listed here.</p>
        </div>
      )}
      {items !== null && items.length > 0 && (
        <ol className="activity-list">
          {items.map((event) => (
            <ActivityItem
              key={event.id}
              event={event}
              now={now}
              titles={titles}
              onOpenRecord={onOpenRecord}
            />
          ))}
        </ol>
      )}
      {items !== null && offline && (
        <p className="muted" role="status">
          Offline: showing what was loaded before the connection dropped.
        </p>
      )}
      {loaded !== null && loaded.nextBefore !== null && (
        <div className="load-more">
          <button
            type="button"
            className="button"
            data-testid="activity-load-more"
            disabled={loadingOlder || offline}
            onClick={() => void loadOlder()}
          >
            {loadingOlder ? 'Loading…' : 'Load older'}
          </button>
        </div>
      )}
    </section>
  );
}

function ActivityItem({
  event,
  now,
  titles,
  onOpenRecord,
}: {
  event: AuditEvent;
  now: number;
  titles: (type: string, id: string) => string | undefined;
  onOpenRecord: (type: string, id: string) => void;
}) {
  const { self } = useWorkspace();
  const recordType = event.target.kind === 'record' ? event.target.entityType : null;
  const recordId = event.target.kind === 'record' ? event.target.id : null;
  const canOpen =
    recordType !== null &&
    recordId !== null &&
    event.action !== 'record.delete' &&
    self.schema.entityTypes.some((e) => e.key === recordType);

  return (
    <ActivityEntry
      event={event}
      schema={self.schema}
      titles={titles}
      now={now}
      meta={
        <>
          {formatDateTime(event.time)} · event #{event.seq}
          {canOpen && (
            <>
              {' · '}
              <button
                type="button"
                className="link-button"
                onClick={() => onOpenRecord(recordType, recordId)}
              >
                Open record
              </button>
            </>
          )}
        </>
      }
    />
  );
}
