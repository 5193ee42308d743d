import { useCallback, useId, useMemo, useRef, useState } from 'react';
import { flushSync } from 'react-dom';
import type { Device, LiveEvent, Pairing, PairingCreated } from '@enclave/shared';
import { ConfirmDialog, ErrorNote, formatDateTime, Icon, Spinner, useAction, useNow } from '@enclave/ui';
import { asApiError, call, type ApiError } from '../api/client';
import { useLive, type LiveState } from '../api/live';
import { useResource } from '../api/use-resource';
import { useMe } from '../app/session';
import { useWorkspace } from '../app/workspace';
import { PageHeader } from '../layout/ConsoleShell';
import { DeviceCard } from './DeviceCard';
import {
  mergeDeviceList,
  mergePairingList,
  pairingState,
  timeLeft,
  upsertDevice,
  upsertPairing,
} from './device-state';
import { PairDevicePanel } from './PairDevicePanel';
import './devices.css';

const REVOKE_MESSAGES: Partial<Record<string, string>> = {
  conflict: 'This device is already revoked.',
  forbidden: 'Only owners and admins may revoke someone else’s device.',
  not_found: 'This device no longer exists in this workspace.',
};

const CANCEL_MESSAGES: Partial<Record<string, string>> = {
  conflict: 'That code can no longer be cancelled: it was used, or it expired.',
  forbidden: 'Only owners and admins may cancel someone else’s code.',
};

/** Who is asked about: revoking an active device (wipe optional), or adding a wipe to a revoked one. */
interface RevokeAsk {
  device: Device;
  wipe: boolean;
  /** Revoked already: the only thing left to ask for is the wipe. */
  wipeOnly: boolean;
}

/**
 * The workspace's devices, live: pairing codes made and waiting, paired computers with whether
 * they are online now, and revocation with an optional remote wipe whose receipt the device signs.
 * Members see their own devices and codes; owners and admins everyone's (the server decides; the
 * page shows what it is given).
 */
export function DevicesPage() {
  const { workspace, isAdmin } = useWorkspace();
  const me = useMe();
  const workspaceId = workspace.id;
  const now = useNow(1000);
  const [pairOpen, setPairOpen] = useState(false);

  // What the page knows live: a list fetched again (on reconnect) is merged into it, so that an
  // answer computed before an event does not undo what the event said.
  const devices = useResource(
    `devices:${workspaceId}`,
    async () => {
      const { items } = await call('listDevices', { params: { workspaceId } });
      return items;
    },
    mergeDeviceList,
  );
  const pairings = useResource(
    `pairings:${workspaceId}`,
    async () => {
      const { items } = await call('listPairings', { params: { workspaceId } });
      return items;
    },
    mergePairingList,
  );
  const members = useResource(`members:${workspaceId}`, () =>
    call('listMembers', { params: { workspaceId } }),
  );

  const { setData: setDevices, reload: reloadDevices } = devices;
  const { setData: setPairings, reload: reloadPairings } = pairings;
  const putDevice = useCallback(
    (device: Device) => setDevices((list) => upsertDevice(list ?? [], device)),
    [setDevices],
  );
  const putPairing = useCallback(
    (pairing: Pairing) => setPairings((list) => upsertPairing(list ?? [], pairing)),
    [setPairings],
  );
  const onEvent = useCallback(
    (event: LiveEvent) => {
      if (event.type === 'device') putDevice(event.device);
      if (event.type === 'pairing') {
        // The device first: the panel that shows "Paired: …" finds it in the list.
        if (event.device) putDevice(event.device);
        putPairing(event.pairing);
      }
    },
    [putDevice, putPairing],
  );
  // On every (re)connect: what changed while the channel was down is fetched, not missed.
  const onConnect = useCallback(() => {
    void reloadDevices();
    void reloadPairings();
  }, [reloadDevices, reloadPairings]);
  const live = useLive(workspaceId, onEvent, onConnect);

  const nameOf = useCallback(
    (userId: string) => {
      if (userId === me.id) return `${me.name} (you)`;
      if (!members.data) return 'A member';
      return members.data.items.find((m) => m.userId === userId)?.name ?? 'A former member';
    },
    [me, members.data],
  );

  const [ask, setAsk] = useState<RevokeAsk | null>(null);
  const revoke = useAction(async (request: RevokeAsk) => {
    const device = await call('revokeDevice', {
      params: { workspaceId, deviceId: request.device.id },
      body: { wipe: request.wipe },
    });
    putDevice(device);
    setAsk(null);
  }, asApiError);

  const cancel = useAction(async (pairing: Pairing) => {
    await call('cancelPairing', { params: { workspaceId, pairingId: pairing.id } });
    putPairing({ ...pairing, status: 'cancelled' });
  }, asApiError);

  const deviceList = useMemo(() => devices.data ?? [], [devices.data]);
  const active = deviceList
    .filter((d) => d.revokedAt === null)
    .sort((a, b) => a.pairedAt.localeCompare(b.pairedAt));
  const revoked = deviceList
    .filter((d) => d.revokedAt !== null)
    .sort((a, b) => (b.revokedAt ?? '').localeCompare(a.revokedAt ?? ''));
  const pending = (pairings.data ?? [])
    .filter((p) => p.status === 'pending')
    .sort((a, b) => a.expiresAt.localeCompare(b.expiresAt));

  const onCreated = useCallback((created: PairingCreated) => putPairing(created.pairing), [putPairing]);
  const pairButton = useRef<HTMLButtonElement>(null);
  const openPair = () => setPairOpen(true);
  const closePair = () => {
    // Rendered at once, so that the button is enabled again when focus goes back to it.
    flushSync(() => setPairOpen(false));
    pairButton.current?.focus();
  };

  const loadError = devices.error ?? pairings.error;
  return (
    <div className="page console-page devices-page" data-testid="devices-page">
      <PageHeader
        title="Devices"
        intro={
          isAdmin
            ? 'Every computer paired with this workspace. A revoked device can no longer sync; with a wipe, it also deletes its copy.'
            : 'Your computers paired with this workspace. A revoked device can no longer sync; with a wipe, it also deletes its copy.'
        }
        actions={
          <>
            <LiveStatus state={live} />
            <button
              type="button"
              className="button primary"
              onClick={openPair}
              disabled={pairOpen}
              ref={pairButton}
              data-testid="pair-open"
            >
              <Icon name="plus" size={14} />
              Pair a device
            </button>
          </>
        }
      />

      {pairOpen && (
        <div className="console-section">
          <PairDevicePanel
            workspaceId={workspaceId}
            me={me}
            isAdmin={isAdmin}
            members={members.data?.items}
            pairings={pairings.data ?? []}
            devices={deviceList}
            onCreated={onCreated}
            onCancelled={putPairing}
            onClose={closePair}
          />
        </div>
      )}

      {loadError && (
        <div className="console-section">
          <ErrorNote
            error={loadError}
            title="The devices could not be loaded."
            message={
              loadError.code === 'server_unreachable'
                ? 'The server could not be reached. Check your connection; the page tries again when it is back.'
                : loadError.message
            }
            testId="devices-error"
          />
        </div>
      )}

      {pending.length > 0 && (
        <PendingCodes
          pending={pending}
          now={now}
          nameOf={nameOf}
          busy={cancel.busy}
          error={cancel.error}
          onCancel={(p) => void cancel.run(p)}
        />
      )}

      <section className="console-section" aria-labelledby="devices-active-title">
        <h2 id="devices-active-title">
          Paired devices{' '}
          {devices.data && (
            <span className="view-count" data-testid="devices-count">
              {active.length}
            </span>
          )}
        </h2>
        {!devices.data && !devices.error && <Spinner label="Loading devices" />}
        {devices.data && active.length === 0 && (
          <div className="empty-state devices-empty" data-testid="devices-empty">
            <Icon name="laptop" size={28} />
            <h3>No devices paired yet</h3>
            <p>
              {isAdmin
                ? 'Make a pairing code, then enter it in the Enclave desktop app on the computer to add.'
                : 'Make a pairing code, then enter it in the Enclave desktop app on your computer.'}
            </p>
            {!pairOpen && (
              <button type="button" className="button primary" onClick={openPair}>
                Pair a device
              </button>
            )}
          </div>
        )}
        {active.length > 0 && (
          <ul className="device-list" data-testid="devices-active">
            {active.map((device) => (
              <DeviceCard
                key={device.id}
                device={device}
                now={now}
                nameOf={nameOf}
                onRevoke={(d) => {
                  revoke.clearError();
                  setAsk({ device: d, wipe: false, wipeOnly: false });
                }}
                onAskWipe={() => undefined}
              />
            ))}
          </ul>
        )}
      </section>

      {revoked.length > 0 && (
        <section className="console-section" aria-labelledby="devices-revoked-title">
          <h2 id="devices-revoked-title">
            Revoked <span className="view-count">{revoked.length}</span>
          </h2>
          <ul className="device-list" data-testid="devices-revoked">
            {revoked.map((device) => (
              <DeviceCard
                key={device.id}
                device={device}
                now={now}
                nameOf={nameOf}
                onRevoke={() => undefined}
                onAskWipe={(d) => {
                  revoke.clearError();
                  setAsk({ device: d, wipe: true, wipeOnly: true });
                }}
              />
            ))}
          </ul>
        </section>
      )}

      <RevokeDialog
        ask={ask}
        busy={revoke.busy}
        error={revoke.error}
        onWipe={(wipe) => setAsk((current) => (current ? { ...current, wipe } : current))}
        onConfirm={() => {
          if (ask) void revoke.run(ask);
        }}
        onCancel={() => setAsk(null)}
      />
    </div>
  );
}

function LiveStatus({ state }: { state: LiveState }) {
  const words: Record<LiveState, string> = {
    connecting: 'Connecting…',
    live: 'Live',
    offline: 'Offline — reconnecting',
    ended: 'Live updates stopped — reload the page',
  };
  const tone: Record<LiveState, string> = {
    connecting: 'sync-connecting',
    live: 'sync-online',
    offline: 'sync-offline',
    ended: 'sync-error',
  };
  return (
    <span
      className={`sync-status live-status ${tone[state]}`}
      data-testid="live-status"
      data-state={state}
      title={
        state === 'live' ? 'This page updates by itself as devices connect, pair and are revoked.' : undefined
      }
    >
      <span className="sync-dot" aria-hidden="true" />
      {words[state]}
    </span>
  );
}

function PendingCodes({
  pending,
  now,
  nameOf,
  busy,
  error,
  onCancel,
}: {
  pending: readonly Pairing[];
  now: number;
  nameOf: (userId: string) => string;
  busy: boolean;
  error: ApiError | null;
  onCancel: (pairing: Pairing) => void;
}) {
  return (
    <section className="console-section" aria-labelledby="pairings-title" data-testid="pairings">
      <h2 id="pairings-title">
        Pairing codes waiting <span className="view-count">{pending.length}</span>
      </h2>
      {error && (
        <ErrorNote
          error={error}
          message={CANCEL_MESSAGES[error.code] ?? error.message}
          testId="pairing-cancel-error"
        />
      )}
      <div className="card table-card">
        <table className="data-table">
          <thead>
            <tr>
              <th scope="col">For</th>
              <th scope="col">Made by</th>
              <th scope="col">Made</th>
              <th scope="col">Expires in</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {pending.map((p) => {
              const expired = pairingState(p, now) === 'expired';
              return (
                <tr
                  key={p.id}
                  data-testid="pairing-row"
                  data-pairing-id={p.id}
                  data-state={expired ? 'expired' : 'pending'}
                >
                  <td data-testid="pairing-for">{nameOf(p.forUserId)}</td>
                  <td>{nameOf(p.createdBy)}</td>
                  <td>
                    <time dateTime={p.createdAt} title={formatDateTime(p.createdAt)}>
                      {formatDateTime(p.createdAt)}
                    </time>
                  </td>
                  <td data-testid="pairing-expires">
                    {expired ? (
                      <span className="pill pill-revoked">Expired</span>
                    ) : (
                      <span title={formatDateTime(p.expiresAt)}>{timeLeft(p.expiresAt, now)}</span>
                    )}
                  </td>
                  <td className="cell-actions">
                    {!expired && (
                      <button
                        type="button"
                        className="button small"
                        disabled={busy}
                        onClick={() => onCancel(p)}
                        aria-label={`Cancel the code for ${nameOf(p.forUserId)}, made ${formatDateTime(p.createdAt)}`}
                        data-testid="pairing-cancel"
                      >
                        Cancel code
                      </button>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <p className="hint pairings-hint">
        The codes themselves are not shown again: the server keeps only a hash.
      </p>
    </section>
  );
}

function RevokeDialog({
  ask,
  busy,
  error,
  onWipe,
  onConfirm,
  onCancel,
}: {
  ask: RevokeAsk | null;
  busy: boolean;
  error: ApiError | null;
  onWipe: (wipe: boolean) => void;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const hintId = useId();
  const name = ask?.device.name ?? '';
  return (
    <ConfirmDialog
      open={ask !== null}
      title={ask?.wipeOnly ? `Ask “${name}” to wipe its copy?` : `Revoke “${name}”?`}
      confirmLabel={ask?.wipeOnly ? 'Ask to wipe' : ask?.wipe ? 'Revoke and wipe' : 'Revoke'}
      busy={busy}
      confirmTestId="revoke-confirm"
      onConfirm={onConfirm}
      onCancel={onCancel}
    >
      <div className="revoke-body" data-testid="revoke-dialog">
        {ask?.wipeOnly ? (
          <p>
            The app deletes this workspace’s local replica and its keychain entries the next time it is
            online, and confirms with a receipt signed by the device. This cannot be taken back.
          </p>
        ) : (
          <>
            <p>
              It can no longer sync or reach this workspace: its open connection closes at once. To use it
              again, pair it anew.
            </p>
            <label className="checkbox">
              <input
                type="checkbox"
                checked={ask?.wipe ?? false}
                onChange={(event) => onWipe(event.target.checked)}
                aria-describedby={hintId}
                data-testid="revoke-wipe"
              />
              Also wipe this computer’s copy
            </label>
            <p className="hint" id={hintId}>
              The app deletes its local replica and keychain entries the next time it is online, and confirms
              with a receipt signed by the device. Use it for a lost or stolen computer, or one that changes
              hands.
            </p>
          </>
        )}
        {error && (
          <ErrorNote
            error={error}
            message={REVOKE_MESSAGES[error.code] ?? error.message}
            testId="revoke-error"
          />
        )}
      </div>
    </ConfirmDialog>
  );
}
