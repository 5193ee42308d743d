import type { AppState } from '@enclave/shared';
import { asBridgeError } from '../bridge/client';
import { useServices } from '../app/services';
import { CenteredScreen, ErrorNote, useAction } from '@enclave/ui';

/** The workspace removed this device. Its data may already be gone; the way on is to pair again. */
export function RevokedScreen({ wiped, onState }: { wiped: boolean; onState: (state: AppState) => void }) {
  const { client } = useServices();
  const reset = useAction(
    async () => onState(await client.call('replica:reset', { confirm: true })),
    asBridgeError,
  );
  return (
    <CenteredScreen
      icon="shield"
      tone="danger"
      title="This device was removed from the workspace"
      testId="revoked-screen"
      data={{ 'data-wiped': String(wiped) }}
    >
      <p className="lead">
        An administrator removed this computer from the workspace, or the workspace was deleted. It can no
        longer sync.
      </p>
      {wiped ? (
        <p>As the workspace asked, this computer’s local copy of the data and its keys have been deleted.</p>
      ) : (
        <p>
          The local copy is still on this computer, encrypted, but it will not be updated again. Delete it
          when you no longer need it; to use Enclave again, pair with a new code.
        </p>
      )}
      {reset.error && <ErrorNote error={reset.error} />}
      <div className="actions">
        <button
          type="button"
          className={wiped ? 'button primary' : 'button danger'}
          data-testid="replica-reset"
          disabled={reset.busy}
          onClick={() => void reset.run()}
        >
          {reset.busy ? 'Working…' : wiped ? 'Pair again' : 'Delete local data'}
        </button>
      </div>
    </CenteredScreen>
  );
}
