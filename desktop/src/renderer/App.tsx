import { useServices } from './app/services';
import { useAppState } from './app/useAppState';
import { PairingScreen } from './pairing/PairingScreen';
import { KeychainUnavailableScreen } from './screens/KeychainUnavailableScreen';
import { ReplicaUnreadableScreen } from './screens/ReplicaUnreadableScreen';
import { RevokedScreen } from './screens/RevokedScreen';
import { StartingScreen } from './screens/StartingScreen';
import { WorkspaceRoot } from './workspace/WorkspaceRoot';
import { CenteredScreen, CrashBoundary, ErrorNote } from '@enclave/ui';

/** One screen per `AppState.kind`; main decides which, this window follows. */
export function App() {
  const { client } = useServices();
  const { state, error, apply, retry } = useAppState(client);

  if (state === null) {
    if (error === null) return <StartingScreen />;
    return (
      <CenteredScreen icon="alert" tone="danger" title="Enclave could not start this window">
        <ErrorNote error={error} />
        <div className="actions">
          <button type="button" className="button primary" onClick={retry}>
            Try again
          </button>
        </div>
      </CenteredScreen>
    );
  }

  switch (state.kind) {
    case 'starting':
      return <StartingScreen />;
    case 'keychain_unavailable':
      return <KeychainUnavailableScreen message={state.message} />;
    case 'unpaired':
      // A new link starts the form afresh with its values.
      return (
        <PairingScreen
          key={state.link ? `${state.link.serverUrl}|${state.link.code}` : 'blank'}
          link={state.link}
          onState={apply}
        />
      );
    case 'replica_unreadable':
      return <ReplicaUnreadableScreen state={state} onState={apply} />;
    case 'revoked':
      return <RevokedScreen wiped={state.wiped} onState={apply} />;
    case 'paired':
      return (
        <CrashBoundary reassurance="Your data is safe: it is stored on this computer and on the server.">
          <WorkspaceRoot key={state.replicaName} state={state} onState={apply} />
        </CrashBoundary>
      );
  }
}
