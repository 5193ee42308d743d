import { useId, useState } from 'react';
import type { PromptLogEntry } from '@enclave/shared';
import { ErrorNote, formatDateTime, Icon, Spinner, useAction } from '@enclave/ui';
import { asApiError, call } from '../api/client';
import { useResource } from '../api/use-resource';
import { FEATURE_SWITCHES, tokens } from './ai-settings-words';

const PAGE_SIZE = 20;

/** Older pages loaded with "Load more", below the first page, and where the next one starts. */
interface Older {
  items: PromptLogEntry[];
  nextBefore: string | null;
}

/**
 * The prompt log (owners and admins): each model call, newest first, 20 at a time. An entry opens
 * to what was sent and what came back as formatted JSON text — never rendered as markup, since
 * it holds what people wrote into records and what the model answered.
 */
export function PromptLog({
  workspaceId,
  names,
}: {
  workspaceId: string;
  /** Members' names by user id (the log keeps ids); null until they are loaded. */
  names: ReadonlyMap<string, string> | null;
}) {
  const first = useResource(`prompt-log:${workspaceId}`, () =>
    call('listPromptLog', { params: { workspaceId }, query: { limit: PAGE_SIZE } }),
  );
  const [older, setOlder] = useState<Older | null>(null);
  const nextBefore = older ? older.nextBefore : (first.data?.nextBefore ?? null);
  const more = useAction(async () => {
    if (!nextBefore) return;
    const page = await call('listPromptLog', {
      params: { workspaceId },
      query: { before: nextBefore, limit: PAGE_SIZE },
    });
    setOlder((current) => ({
      items: [...(current?.items ?? []), ...page.items],
      nextBefore: page.nextBefore,
    }));
  }, asApiError);
  const items = first.data ? [...first.data.items, ...(older?.items ?? [])] : [];
  const nameOf = (userId: string) => names?.get(userId) ?? (names ? 'A former member' : '');

  return (
    <section
      className="console-section prompt-log"
      aria-labelledby="prompt-log-title"
      data-testid="prompt-log"
    >
      <div className="prompt-log-header">
        <h2 id="prompt-log-title">Prompt log</h2>
        <span className="spacer" />
        <button
          type="button"
          className="button small"
          onClick={() => {
            setOlder(null);
            void first.reload();
          }}
          disabled={first.loading}
          data-testid="prompt-log-refresh"
        >
          <Icon name="refresh" size={13} />
          Refresh
        </button>
      </div>
      <p className="hint">
        Every call to the model, newest first: what was sent (secrets are taken out before anything is sent)
        and what came back. Only owners and admins can read it.
      </p>
      {first.error && <ErrorNote error={first.error} testId="prompt-log-error" />}
      {!first.data && !first.error && <Spinner label="Loading the prompt log" />}
      {first.data && items.length === 0 && (
        <p className="muted" data-testid="prompt-log-empty">
          No model calls are kept in the log.
        </p>
      )}
      {items.length > 0 && (
        <ol className="prompt-log-list">
          {items.map((entry) => (
            <PromptLogItem key={entry.id} entry={entry} person={nameOf(entry.userId)} />
          ))}
        </ol>
      )}
      {more.error && <ErrorNote error={more.error} testId="prompt-log-more-error" />}
      {first.data && nextBefore && (
        <div className="load-more">
          <button
            type="button"
            className="button"
            onClick={() => void more.run()}
            disabled={more.busy}
            data-testid="prompt-log-more"
          >
            {more.busy ? 'Loading…' : 'Load older calls'}
          </button>
        </div>
      )}
    </section>
  );
}

function json(value: unknown): string {
  return JSON.stringify(value, null, 2) ?? String(value);
}

function PromptLogItem({ entry, person }: { entry: PromptLogEntry; person: string }) {
  const id = useId();
  const [open, setOpen] = useState(false);
  const failed = entry.outcome === 'error';
  return (
    <li className="card prompt-log-entry" data-testid="prompt-log-entry" data-outcome={entry.outcome}>
      <button
        type="button"
        className="prompt-log-summary"
        aria-expanded={open}
        aria-controls={`${id}-body`}
        onClick={() => setOpen((current) => !current)}
        data-testid="prompt-log-toggle"
      >
        <Icon name={open ? 'chevronDown' : 'chevronRight'} size={14} />
        <time dateTime={entry.time}>{formatDateTime(entry.time)}</time>
        <span className="prompt-log-feature">{FEATURE_SWITCHES[entry.feature].label}</span>
        <span className="prompt-log-person">{person}</span>
        <span className="spacer" />
        <span className="muted prompt-log-tokens" data-testid="prompt-log-tokens">
          {tokens(entry.inputTokens)} in · {tokens(entry.outputTokens)} out
        </span>
        <span className="muted">{tokens(entry.latencyMs)} ms</span>
        <span className={failed ? 'badge prompt-log-failed' : 'badge'} data-testid="prompt-log-outcome">
          {failed ? 'Failed' : 'OK'}
        </span>
      </button>
      {open && (
        <div className="prompt-log-body" id={`${id}-body`} data-testid="prompt-log-body">
          <dl className="settings-list">
            <div>
              <dt>Model</dt>
              <dd className="mono" data-testid="prompt-log-model">
                {entry.model}
              </dd>
            </div>
            <div>
              <dt>Tokens</dt>
              <dd>
                {tokens(entry.inputTokens)} sent, {tokens(entry.outputTokens)} received
              </dd>
            </div>
            <div>
              <dt>Took</dt>
              <dd>{tokens(entry.latencyMs)} ms</dd>
            </div>
            <div>
              <dt>Outcome</dt>
              <dd data-testid="prompt-log-outcome-text">
                {failed ? `Failed: ${entry.error ?? 'no reason given'}` : 'Answered'}
              </dd>
            </div>
          </dl>
          <h3 id={`${id}-sent`}>Sent</h3>
          <pre
            className="prompt-log-json"
            role="region"
            tabIndex={0}
            aria-labelledby={`${id}-sent`}
            data-testid="prompt-log-request"
          >
            {json(entry.request)}
          </pre>
          <h3 id={`${id}-back`}>Came back</h3>
          {entry.response === null ? (
            <p className="muted" data-testid="prompt-log-no-response">
              Nothing: the call failed{entry.error ? ` (${entry.error})` : ''}.
            </p>
          ) : (
            <pre
              className="prompt-log-json"
              role="region"
              tabIndex={0}
              aria-labelledby={`${id}-back`}
              data-testid="prompt-log-response"
            >
              {json(entry.response)}
            </pre>
          )}
        </div>
      )}
    </li>
  );
}
