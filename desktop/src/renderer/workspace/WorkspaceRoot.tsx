import { useEffect, useState } from 'react';
import type { AppState } from '@enclave/shared';
import { useServices } from '../app/services';
import { asBridgeError } from '../bridge/client';
import { StartingScreen } from '../screens/StartingScreen';
import { useBehavior } from '../ui/observable-hooks';
import { InitialSyncView } from './InitialSyncView';
import { WorkspaceContext } from './workspace-context';
import { WorkspaceSession } from './session';
import { WorkspaceShell } from './WorkspaceShell';
import { CenteredScreen } from '@enclave/ui';

type Paired = Extract<AppState, { kind: 'paired' }>;

/**
 * Opening and closing sessions one after the other: a session must be closed before the next
 * one opens the same replica (a remount, a re-pair), and RxDB allows one open database per name.
 */
let sessionQueue: Promise<unknown> = Promise.resolve();

/** Sync trouble for the console: the code and first line, not RxDB's full error dump. */
function logBackgroundError(error: unknown): void {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? (error.message.trim().split('\n')[0] ?? '') : String(error);
  console.warn(`Sync problem${typeof code === 'string' ? ` (${code})` : ''}: ${message}`);
}

/** The paired app: opens the replica and replication, and shows the initial sync or the workspace. */
export function WorkspaceRoot({ state, onState }: { state: Paired; onState: (state: AppState) => void }) {
  const { client, storage } = useServices();
  const [session, setSession] = useState<WorkspaceSession | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    let cancelled = false;
    let opened: WorkspaceSession | null = null;
    const task = sessionQueue.then(async () => {
      if (cancelled) return null;
      const next = await WorkspaceSession.open({
        client,
        storage,
        replicaName: state.replicaName,
        workspaceId: state.workspace.id,
        onBackgroundError: logBackgroundError,
        onOpenFailed: (error) => {
          if (cancelled) return;
          console.error('Opening the replica failed', error);
          setFailure(error instanceof Error ? error.message : asBridgeError(error).message);
        },
      });
      if (cancelled) {
        await next.dispose();
        return null;
      }
      return next;
    });
    sessionQueue = task.catch(() => undefined);
    task.then(
      (next) => {
        if (next === null) return;
        opened = next;
        setSession(next);
      },
      (error: unknown) => {
        if (cancelled) return;
        console.error('Opening the replica failed', error);
        setFailure(error instanceof Error ? error.message : asBridgeError(error).message);
      },
    );
    return () => {
      cancelled = true;
      // Revoked, signed out or reset: stop replicating and close, whatever state main left the files in.
      if (opened) {
        const closing = opened;
        sessionQueue = sessionQueue.then(() => closing.dispose());
      }
    };
  }, [client, storage, state.replicaName, state.workspace.id, attempt]);

  if (failure !== null) {
    return (
      <CenteredScreen
        icon="alert"
        tone="danger"
        title="This computer’s copy of the workspace could not be opened"
      >
        <p className="lead">
          Enclave could not open the local copy. Nothing has been deleted. Try again; if it keeps failing,
          restart Enclave.
        </p>
        <details className="details">
          <summary>Technical details</summary>
          <p className="mono">{failure}</p>
        </details>
        <div className="actions">
          <button
            type="button"
            className="button primary"
            onClick={() => {
              setFailure(null);
              setAttempt((n) => n + 1);
            }}
          >
            Try again
          </button>
        </div>
      </CenteredScreen>
    );
  }
  if (session === null) return <StartingScreen />;
  return <OpenWorkspace session={session} state={state} onState={onState} />;
}

function OpenWorkspace({
  session,
  state,
  onState,
}: {
  session: WorkspaceSession;
  state: Paired;
  onState: (state: AppState) => void;
}) {
  const initialSyncDone = useBehavior(session.initialSyncDone$);
  const self = useBehavior(session.self$);
  if (!initialSyncDone || self === null) return <InitialSyncView session={session} state={state} />;
  return (
    <WorkspaceContext.Provider value={{ session, state, self, onState }}>
      <WorkspaceShell />
    </WorkspaceContext.Provider>
  );
}
