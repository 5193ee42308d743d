import type { Device } from '@enclave/shared';
import { formatDateTime, Icon, relativeTime } from '@enclave/ui';
import { PLATFORM_NAMES } from './device-state';

/** A time as words ("5 min. ago"), with the exact date and time on hover and for assistive tech. */
export function When({ iso, now, testId }: { iso: string; now: number; testId?: string }) {
  return (
    <time dateTime={iso} title={formatDateTime(iso)} data-testid={testId}>
      {relativeTime(iso, now)}
    </time>
  );
}

/** One paired device: who it belongs to, where it was last, its key, whether it is online now. */
export function DeviceCard({
  device,
  now,
  nameOf,
  onRevoke,
  onAskWipe,
}: {
  device: Device;
  now: number;
  nameOf: (userId: string) => string;
  onRevoke: (device: Device) => void;
  onAskWipe: (device: Device) => void;
}) {
  const revoked = device.revokedAt !== null;
  return (
    <li
      className={revoked ? 'card device-card revoked' : 'card device-card'}
      data-testid="device-row"
      data-device-id={device.id}
      data-status={device.status}
      data-online={String(device.online)}
    >
      <div className="device-head">
        <Icon name="laptop" size={18} />
        <h3 className="device-name" data-testid="device-name">
          {device.name}
        </h3>
        <Presence device={device} />
        <span className="muted device-platform" data-testid="device-platform">
          {PLATFORM_NAMES[device.platform]} · app {device.appVersion}
        </span>
        <span className="spacer" />
        {!revoked && (
          <button
            type="button"
            className="button danger small"
            onClick={() => onRevoke(device)}
            aria-label={`Revoke ${device.name}`}
            data-testid="device-revoke"
          >
            Revoke
          </button>
        )}
      </div>
      <dl className="device-facts">
        <div>
          <dt>Owner</dt>
          <dd data-testid="device-owner">{nameOf(device.ownerId)}</dd>
        </div>
        <div>
          <dt>Paired</dt>
          <dd data-testid="device-paired">
            <When iso={device.pairedAt} now={now} /> by {nameOf(device.pairedBy)}
          </dd>
        </div>
        <div>
          <dt>Last seen</dt>
          <dd data-testid="device-last-seen">
            {device.online ? (
              'Now'
            ) : device.lastSeenAt ? (
              <When iso={device.lastSeenAt} now={now} />
            ) : (
              <span className="muted">Never</span>
            )}
          </dd>
        </div>
        <div>
          <dt>Last IP address</dt>
          <dd className="selectable" data-testid="device-ip">
            {device.lastIp ?? <span className="muted">Not known</span>}
          </dd>
        </div>
        <div>
          <dt>Synced up to</dt>
          <dd data-testid="device-seq">
            {device.lastSyncedSeq === null ? (
              <span
                className="muted"
                title="The server learns this when the device syncs; it does not keep it across its own restarts."
              >
                Not known yet
              </span>
            ) : (
              <>change #{device.lastSyncedSeq}</>
            )}
          </dd>
        </div>
        <div className="device-key">
          <dt>Key fingerprint</dt>
          <dd className="mono" data-testid="device-fingerprint">
            {device.keyFingerprint}
          </dd>
        </div>
      </dl>
      {revoked && <Revocation device={device} onAskWipe={onAskWipe} />}
    </li>
  );
}

function Presence({ device }: { device: Device }) {
  if (device.revokedAt !== null) {
    return (
      <span className="pill pill-revoked" data-testid="device-presence">
        Revoked
      </span>
    );
  }
  return device.online ? (
    <span
      className="pill pill-online"
      data-testid="device-presence"
      title="It has an open sync connection now"
    >
      <span className="presence-dot" aria-hidden="true" />
      Online
    </span>
  ) : (
    <span className="pill" data-testid="device-presence">
      Offline
    </span>
  );
}

/**
 * What became of a revocation, as the server saw it: when, how long the device's open connection
 * took to close (measured), and whether the app confirmed the wipe with a receipt signed by its key.
 */
function Revocation({ device, onAskWipe }: { device: Device; onAskWipe: (device: Device) => void }) {
  const closing = device.online && device.revokeClosedMs === null;
  return (
    <div className="device-revocation" data-testid="device-revocation">
      <p>
        <Icon name="lock" size={14} />
        <span data-testid="device-revoked">Revoked {formatDateTime(device.revokedAt)}</span>
        <span className="muted"> · </span>
        <span data-testid="device-closed">
          {closing
            ? 'Closing its connection…'
            : device.revokeClosedMs !== null
              ? `Connection closed after ${device.revokeClosedMs} ms`
              : 'It was offline'}
        </span>
      </p>
      {device.wipe ? (
        device.wipeConfirmedAt ? (
          <p className="wipe-confirmed" data-testid="device-wipe" data-state="confirmed">
            <Icon name="check" size={14} />
            <span>Wipe confirmed {formatDateTime(device.wipeConfirmedAt)} — signed by the device</span>
          </p>
        ) : (
          <p className="wipe-pending" data-testid="device-wipe" data-state="pending">
            <Icon name="info" size={14} />
            <span>Not yet confirmed — the computer has not been online since</span>
          </p>
        )
      ) : (
        <p className="muted" data-testid="device-wipe" data-state="none">
          <Icon name="info" size={14} />
          <span>
            Its local copy was kept.{' '}
            <button
              type="button"
              className="link-button"
              onClick={() => onAskWipe(device)}
              data-testid="device-ask-wipe"
            >
              Ask it to wipe its copy
            </button>
          </span>
        </p>
      )}
    </div>
  );
}
