import type { AppState } from '@enclave/shared';
import { useBehavior } from '../ui/observable-hooks';
import { initialSyncPercent } from './initial-sync';
import type { WorkspaceSession } from './session';
import { SyncStatusIndicator } from './SyncStatusIndicator';

const count = new Intl.NumberFormat();

/**
 * The first fill of a new replica, with a bar: the checkpoint against the workspace's head. Shown
 * only until the first complete sync of this replica (a flag in the replica), so a restart of an
 * already synced app goes straight to the workspace.
 */
export function InitialSyncView({
  session,
  state,
}: {
  session: WorkspaceSession;
  state: Extract<AppState, { kind: 'paired' }>;
}) {
  const status = useBehavior(session.syncStatus$);
  const progress = useBehavior(session.progress$);
  const done = useBehavior(session.initialSyncDone$);
  const selfError = useBehavior(session.selfError$);
  const percent = initialSyncPercent(progress.lastSeq, status?.headSeq ?? null, done);
  const waiting = status?.status !== 'online';

  let line: string;
  if (status?.status === 'update_required')
    line = 'The server needs a newer version of Enclave. Update the app to continue.';
  else if (waiting) line = 'Waiting for the server… Enclave continues as soon as it is reachable.';
  else if (done) line = 'Loading the workspace’s details…';
  else line = 'Downloading your workspace to this computer.';

  return (
    <main
      className="centered-screen initial-sync"
      data-testid="initial-sync"
      data-percent={String(percent ?? 0)}
    >
      <div className="centered-card">
        <p className="eyebrow">{state.workspace.name}</p>
        <h1 className="screen-title">Setting up this computer</h1>
        <p className="lead">
          Enclave keeps an encrypted copy of your workspace here, so it opens instantly and works offline.
          This happens once.
        </p>
        <div
          className={percent === null ? 'progress indeterminate' : 'progress'}
          role="progressbar"
          aria-label="Initial sync"
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={percent ?? undefined}
          aria-valuetext={percent === null ? 'Starting' : `${String(percent)}%`}
        >
          <div className="progress-fill" style={{ width: `${String(percent ?? 0)}%` }} />
        </div>
        <div className="progress-meta">
          <span data-testid="initial-sync-records">
            {count.format(progress.received)} {progress.received === 1 ? 'record' : 'records'} received
          </span>
          <span>{percent === null ? '' : `${String(percent)}%`}</span>
        </div>
        <p className="muted" aria-live="polite">
          {line}
        </p>
        {done && selfError && (
          <div className="error-note" role="alert" data-code={selfError.code}>
            <div>
              <p>{selfError.message}</p>
              <button type="button" className="button" onClick={() => void session.refreshSelf()}>
                Try again
              </button>
            </div>
          </div>
        )}
        <div className="initial-sync-status">
          <SyncStatusIndicator session={session} />
        </div>
      </div>
    </main>
  );
}
