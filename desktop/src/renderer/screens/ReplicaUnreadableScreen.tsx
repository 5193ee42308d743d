import type { AppState } from '@enclave/shared';
import { asBridgeError } from '../bridge/client';
import { useServices } from '../app/services';
import { CenteredScreen, ErrorNote, useAction } from '@enclave/ui';

type Unreadable = Extract<AppState, { kind: 'replica_unreadable' }>;

const WHAT_HAPPENED: Record<Unreadable['reason'], string> = {
  replica_key_missing:
    'The key that protects this computer’s copy of your workspace is missing from the system keychain. This happens when the keychain or keyring is reset, or restored from another computer.',
  replica_key_wrong:
    'The key in your system keychain no longer opens this computer’s copy of your workspace. This happens when the keychain or keyring is reset or replaced.',
  credential_missing:
    'This computer’s sign-in for the workspace is missing from the system keychain, so Enclave can neither sync the local copy nor prove which device it is. This happens when the keychain or keyring is reset.',
};

/**
 * The local copy cannot be read. Never an empty workspace in its place: the person learns what
 * happened and what is and is not lost, and chooses to start over.
 */
export function ReplicaUnreadableScreen({
  state,
  onState,
}: {
  state: Unreadable;
  onState: (state: AppState) => void;
}) {
  const { client } = useServices();
  const reset = useAction(
    async () => onState(await client.call('replica:reset', { confirm: true })),
    asBridgeError,
  );
  return (
    <CenteredScreen
      icon="lock"
      tone="warning"
      title="This computer’s copy of your workspace cannot be opened"
      testId="replica-unreadable"
      data={{ 'data-reason': state.reason }}
    >
      <p className="lead">{WHAT_HAPPENED[state.reason]}</p>
      <ul className="facts">
        <li>
          <strong>Nothing that was synced is lost.</strong> It is safe on the server.
        </li>
        <li>
          <strong>Changes made on this computer that had not synced yet cannot be recovered.</strong> The
          local copy is encrypted and its key is gone.
        </li>
      </ul>
      {state.canResync ? (
        <p>
          Enclave can delete the unreadable copy and download a fresh one from the server. You stay paired.
        </p>
      ) : (
        <p>
          Enclave will delete the unreadable copy and its keychain entries. Then pair this computer again with
          a new pairing code from the web console.
        </p>
      )}
      {reset.error && <ErrorNote error={reset.error} />}
      <div className="actions">
        <button
          type="button"
          className="button primary"
          data-testid="replica-reset"
          disabled={reset.busy}
          onClick={() => void reset.run()}
        >
          {reset.busy ? 'Working…' : state.canResync ? 'Download a fresh copy from the server' : 'Pair again'}
        </button>
      </div>
    </CenteredScreen>
  );
}
