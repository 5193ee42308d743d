import { useEffect, useState } from 'react';
import type { AppInfo } from '@enclave/shared';
import { useServices } from '../app/services';
import { asBridgeError, type BridgeError } from '../bridge/client';
import { useWorkspace } from '../workspace/workspace-context';
import { ConfirmDialog, formatDateTime, Icon } from '@enclave/ui';

const PLATFORMS: Record<AppInfo['platform'], string> = {
  windows: 'Windows',
  macos: 'macOS',
  linux: 'Linux',
  other: 'Other',
};

/** Whether main said the local data can go even though the server was not told. */
function canRemoveAnyway(error: BridgeError | null): boolean {
  if (error?.code !== 'server_unreachable') return false;
  const details = error.details;
  return (
    typeof details === 'object' &&
    details !== null &&
    (details as { canRemoveAnyway?: unknown }).canRemoveAnyway === true
  );
}

/** This device, workspace and app; signing out removes the device and deletes its local data. */
export function SettingsView() {
  const { client } = useServices();
  const { self, state, onState } = useWorkspace();
  const [info, setInfo] = useState<AppInfo | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<BridgeError | null>(null);

  useEffect(() => {
    let live = true;
    client.call('app:info', {}).then(
      (answer) => {
        if (live) setInfo(answer);
      },
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [client]);

  const unpair = async (evenIfOffline: boolean) => {
    setBusy(true);
    setFailure(null);
    try {
      const next = await client.call('device:unpair', { confirm: true, evenIfOffline });
      setConfirming(false);
      onState(next);
    } catch (error) {
      setConfirming(false);
      setFailure(asBridgeError(error));
    } finally {
      setBusy(false);
    }
  };

  const device = self.device;
  return (
    <section className="page settings-view" aria-labelledby="settings-title">
      <header className="view-header">
        <h1 id="settings-title">Settings</h1>
      </header>

      <div className="settings-group">
        <h2>This device</h2>
        <dl className="settings-list">
          <div>
            <dt>Name</dt>
            <dd data-testid="settings-device-name">{device.name}</dd>
          </div>
          <div>
            <dt>Device ID</dt>
            <dd className="mono selectable" data-testid="settings-device-id">
              {state.deviceId}
            </dd>
          </div>
          <div>
            <dt>Paired</dt>
            <dd>{formatDateTime(device.pairedAt)}</dd>
          </div>
          <div>
            <dt>Platform</dt>
            <dd>{PLATFORMS[info?.platform ?? device.platform]}</dd>
          </div>
        </dl>
      </div>

      <div className="settings-group">
        <h2>Workspace</h2>
        <dl className="settings-list">
          <div>
            <dt>Workspace</dt>
            <dd>{self.workspace.name}</dd>
          </div>
          <div>
            <dt>Server</dt>
            <dd className="mono selectable">{state.serverUrl}</dd>
          </div>
          <div>
            <dt>Record types</dt>
            <dd>{self.schema.entityTypes.map((e) => e.pluralLabel).join(', ') || 'None yet'}</dd>
          </div>
        </dl>
      </div>

      <div className="settings-group">
        <h2>Enclave</h2>
        <dl className="settings-list">
          <div>
            <dt>Version</dt>
            <dd>{info?.version ?? '…'}</dd>
          </div>
          <div>
            <dt>Local data</dt>
            <dd>Encrypted on this computer; its key is kept in the system keychain.</dd>
          </div>
        </dl>
      </div>

      <div className="settings-group danger-zone">
        <h2>Sign out</h2>
        <p>
          Removes this computer from the workspace and deletes the workspace’s data and keys from it. Changes
          not yet synced are lost. You can pair again later with a new code.
        </p>
        {failure && (
          <div className="error-note" role="alert" data-code={failure.code}>
            <Icon name="alert" />
            <div>
              <strong>
                {failure.code === 'server_unreachable'
                  ? 'The server could not be reached'
                  : 'Signing out failed'}
              </strong>
              <p>{failure.message}</p>
              {canRemoveAnyway(failure) && (
                <button
                  type="button"
                  className="button danger small"
                  data-testid="sign-out-anyway"
                  disabled={busy}
                  onClick={() => void unpair(true)}
                >
                  Remove local data anyway
                </button>
              )}
            </div>
          </div>
        )}
        <button
          type="button"
          className="button danger"
          data-testid="sign-out"
          onClick={() => setConfirming(true)}
          disabled={busy}
        >
          <Icon name="logOut" size={14} /> Sign out and remove this device
        </button>
      </div>

      <ConfirmDialog
        open={confirming}
        title="Sign out and remove this device?"
        confirmLabel="Sign out and remove"
        confirmTestId="confirm-sign-out"
        busy={busy}
        onConfirm={() => void unpair(false)}
        onCancel={() => setConfirming(false)}
      >
        <p>
          {self.workspace.name} will no longer be available on this computer. Its local copy and keys are
          deleted; changes that have not synced yet are lost.
        </p>
      </ConfirmDialog>
    </section>
  );
}
