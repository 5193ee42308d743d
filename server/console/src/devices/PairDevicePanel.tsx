import { useEffect, useId, useRef, useState, type SyntheticEvent } from 'react';
import QRCode from 'qrcode';
import type { Device, Member, Pairing, PairingCreated } from '@enclave/shared';
import { ErrorNote, formatDateTime, Icon, useAction, useNow } from '@enclave/ui';
import { asApiError, call, type ApiError } from '../api/client';
import { CopyButton } from '../layout/CopyButton';
import { codeGroups, pairingState, PLATFORM_NAMES, serverOfLink, timeLeft } from './device-state';

const LIFETIMES = [
  { seconds: 15 * 60, label: '15 minutes' },
  { seconds: 3600, label: '1 hour' },
  { seconds: 24 * 3600, label: '1 day' },
  { seconds: 7 * 24 * 3600, label: '7 days' },
] as const;

const CREATE_MESSAGES: Partial<Record<string, string>> = {
  forbidden: 'Only owners and admins may pair a device for someone else.',
  not_found: 'That person is no longer a member of this workspace. Choose someone else.',
  rate_limited: 'Too many codes made in a short time. Wait a minute, then try again.',
};

const CANCEL_MESSAGES: Partial<Record<string, string>> = {
  conflict: 'This code can no longer be cancelled: it was used, or it expired.',
};

/**
 * "Pair a device": whose device and for how long, then the one-time code as the server made it,
 * shown once: grouped for reading aloud, as a QR code of the `enclave://pair` link, and the link
 * itself. The panel follows the pairing live: it turns to "Paired: …" the moment the desktop app
 * redeems the code, or to "Expired" when the countdown runs out.
 */
export function PairDevicePanel({
  workspaceId,
  me,
  isAdmin,
  members,
  pairings,
  devices,
  onCreated,
  onCancelled,
  onClose,
}: {
  workspaceId: string;
  me: { id: string; name: string };
  isAdmin: boolean;
  members: readonly Member[] | undefined;
  /** The workspace's pairings as the page knows them live: the panel reads its code's fate here. */
  pairings: readonly Pairing[];
  devices: readonly Device[];
  onCreated: (created: PairingCreated) => void;
  onCancelled: (pairing: Pairing) => void;
  onClose: () => void;
}) {
  const ids = useId();
  // Keyboard and screen-reader users land in the panel when it opens, not at the top of the page.
  const title = useRef<HTMLHeadingElement>(null);
  useEffect(() => title.current?.focus(), []);
  const [forUserId, setForUserId] = useState(me.id);
  const [ttlSeconds, setTtlSeconds] = useState<number>(LIFETIMES[0].seconds);
  const [created, setCreated] = useState<PairingCreated | null>(null);
  const create = useAction(async () => {
    const answer = await call('createPairing', {
      params: { workspaceId },
      body: forUserId === me.id ? { ttlSeconds } : { forUserId, ttlSeconds },
    });
    setCreated(answer);
    onCreated(answer);
  }, asApiError);
  const submit = (event: SyntheticEvent) => {
    event.preventDefault();
    void create.run();
  };

  return (
    <section className="card pair-panel" aria-labelledby={`${ids}-title`} data-testid="pair-panel">
      <header className="pair-panel-header">
        <h2 id={`${ids}-title`} ref={title} tabIndex={-1}>
          Pair a device
        </h2>
        <span className="spacer" />
        <button
          type="button"
          className="icon-button"
          onClick={onClose}
          aria-label="Close the pairing panel"
          data-testid="pair-close"
        >
          <Icon name="x" />
        </button>
      </header>
      {created ? (
        <PairingCode
          created={created}
          pairing={pairings.find((p) => p.id === created.pairing.id) ?? created.pairing}
          devices={devices}
          owner={
            created.pairing.forUserId === me.id
              ? null
              : (members?.find((m) => m.userId === created.pairing.forUserId)?.name ?? 'another member')
          }
          workspaceId={workspaceId}
          onCancelled={onCancelled}
          onAnother={() => {
            create.clearError();
            setCreated(null);
          }}
          onClose={onClose}
        />
      ) : (
        <form className="form pair-form" onSubmit={submit} noValidate>
          <p className="muted">
            The code lets one computer join this workspace with the Enclave desktop app. It works once, and
            only until it expires.
          </p>
          {create.error && (
            <ErrorNote
              error={create.error}
              message={CREATE_MESSAGES[create.error.code] ?? create.error.message}
              testId="pair-error"
            />
          )}
          <div className="pair-form-fields">
            {isAdmin ? (
              <label className="field">
                <span className="field-label">Whose device</span>
                <select
                  value={forUserId}
                  onChange={(event) => setForUserId(event.target.value)}
                  data-testid="pair-owner"
                >
                  {!members && <option value={me.id}>You ({me.name})</option>}
                  {members?.map((m) => (
                    <option key={m.userId} value={m.userId}>
                      {m.userId === me.id ? `You (${m.name})` : `${m.name} (${m.email})`}
                    </option>
                  ))}
                </select>
                <span className="hint">It will sync what its owner may see, and count as theirs.</span>
              </label>
            ) : (
              <div className="field">
                <span className="field-label">Whose device</span>
                <span data-testid="pair-owner-self">Yours ({me.name})</span>
                <span className="hint">Owners and admins can pair devices for other members.</span>
              </div>
            )}
            <label className="field">
              <span className="field-label">Code expires after</span>
              <select
                value={ttlSeconds}
                onChange={(event) => setTtlSeconds(Number(event.target.value))}
                data-testid="pair-ttl"
              >
                {LIFETIMES.map((l) => (
                  <option key={l.seconds} value={l.seconds}>
                    {l.label}
                  </option>
                ))}
              </select>
              <span className="hint">
                Shorter is safer: give the code only to the person at that computer.
              </span>
            </label>
          </div>
          <div className="actions">
            <button type="submit" className="button primary" disabled={create.busy} data-testid="pair-create">
              {create.busy ? 'Making a code…' : 'Make a pairing code'}
            </button>
          </div>
        </form>
      )}
    </section>
  );
}

function PairingCode({
  created,
  pairing,
  devices,
  owner,
  workspaceId,
  onCancelled,
  onAnother,
  onClose,
}: {
  created: PairingCreated;
  pairing: Pairing;
  devices: readonly Device[];
  /** Whose computer it will be; null: the signed-in user's. */
  owner: string | null;
  workspaceId: string;
  onCancelled: (pairing: Pairing) => void;
  onAnother: () => void;
  onClose: () => void;
}) {
  const now = useNow(1000);
  const state = pairingState(pairing, now);
  const left = timeLeft(pairing.expiresAt, now);
  const groups = codeGroups(created.code);
  const server = serverOfLink(created.link) ?? window.location.origin;
  const qr = useQrCode(created.link);
  // The button that made the code is gone: focus goes to the code, which is what comes next.
  const view = useRef<HTMLDivElement>(null);
  useEffect(() => view.current?.focus(), []);
  const cancel = useAction(async () => {
    await call('cancelPairing', { params: { workspaceId, pairingId: pairing.id } });
    onCancelled({ ...pairing, status: 'cancelled' });
  }, asApiError);

  if (state === 'used') {
    const device = devices.find((d) => d.id === pairing.deviceId);
    return (
      <div className="pair-result" data-testid="pair-result" data-state="used">
        <div className="pair-outcome success" role="status">
          <Icon name="check" size={20} />
          <div>
            <strong data-testid="pair-paired">
              Paired: {device ? `${device.name}, ${PLATFORM_NAMES[device.platform]}` : 'a device'}
            </strong>
            <p className="muted">
              The computer is now in the device list below. The code cannot be used again.
            </p>
          </div>
        </div>
        <div className="actions">
          <button type="button" className="button" onClick={onAnother} data-testid="pair-another">
            Pair another device
          </button>
          <button type="button" className="button primary" onClick={onClose}>
            Done
          </button>
        </div>
      </div>
    );
  }
  if (state === 'expired' || state === 'cancelled') {
    return (
      <div className="pair-result" data-testid="pair-result" data-state={state}>
        <div className="pair-outcome" role="status">
          <Icon name={state === 'expired' ? 'alert' : 'x'} size={20} />
          <div>
            <strong data-testid="pair-ended">{state === 'expired' ? 'Expired' : 'Cancelled'}</strong>
            <p className="muted">
              {state === 'expired'
                ? 'Nobody used this code in time; it no longer works. Make a new one when the computer is ready.'
                : 'This code no longer works. Make a new one when the computer is ready.'}
            </p>
          </div>
        </div>
        <div className="actions">
          <button type="button" className="button primary" onClick={onAnother} data-testid="pair-another">
            Make a new code
          </button>
        </div>
      </div>
    );
  }
  return (
    <div
      className="pair-code-view"
      data-testid="pair-result"
      data-state="pending"
      ref={view}
      tabIndex={-1}
      aria-label="The pairing code and how to use it"
    >
      <div className="pair-code-main">
        <p data-testid="pair-for">
          {owner === null ? (
            'The computer will be yours. '
          ) : (
            <>
              The computer will be <strong>{owner}</strong>’s.{' '}
            </>
          )}
          In the Enclave desktop app on it, enter the server address and this code; or open the link, or scan
          the QR code, there.
        </p>
        <div className="field">
          <span className="field-label" id="pair-code-label">
            Pairing code
          </span>
          <div className="pair-code-row">
            <output className="pair-code" aria-labelledby="pair-code-label" data-testid="pair-code">
              {groups.map((group, i) => (
                <span key={i} className="pair-code-group">
                  {group}
                  {i < groups.length - 1 && <span className="visually-hidden">-</span>}
                </span>
              ))}
            </output>
            <CopyButton text={groups.join('-')} what="the pairing code" testId="pair-copy-code" />
          </div>
        </div>
        <p className="pair-countdown" data-testid="pair-countdown">
          <span role="timer">Expires in {left}</span>{' '}
          <span className="muted">(at {formatDateTime(pairing.expiresAt)})</span>
        </p>
        <dl className="pair-facts">
          <div>
            <dt>Server address</dt>
            <dd>
              <span className="mono selectable" data-testid="pair-server">
                {server}
              </span>{' '}
              <CopyButton text={server} what="the server address" />
            </dd>
          </div>
          <div>
            <dt>Link</dt>
            <dd>
              <span className="mono selectable pair-link" data-testid="pair-link">
                {created.link}
              </span>{' '}
              <CopyButton text={created.link} what="the pairing link" testId="pair-copy-link" />
            </dd>
          </div>
        </dl>
        <p className="notice warning pair-once" data-testid="pair-once">
          <Icon name="info" />
          <span>
            This code is shown only now: the server keeps only a hash of it. If you close this panel, make a
            new code.
          </span>
        </p>
        {cancel.error && (
          <ErrorNote
            error={cancel.error}
            message={CANCEL_MESSAGES[cancel.error.code] ?? cancel.error.message}
          />
        )}
        <div className="actions">
          <button
            type="button"
            className="button danger"
            onClick={() => void cancel.run()}
            disabled={cancel.busy}
            data-testid="pair-cancel"
          >
            {cancel.busy ? 'Cancelling…' : 'Cancel this code'}
          </button>
          <span className="waiting" role="status">
            <span className="sync-dot" aria-hidden="true" /> Waiting for the computer to use the code…
          </span>
        </div>
      </div>
      <figure className="pair-qr">
        {qr.url ? (
          <img
            src={qr.url}
            width={192}
            height={192}
            alt="QR code of the pairing link"
            data-testid="pair-qr"
          />
        ) : (
          <div className="pair-qr-placeholder">{qr.error ? 'The QR code could not be drawn.' : ''}</div>
        )}
        <figcaption className="hint">Scan on the computer to open the Enclave app with this code.</figcaption>
      </figure>
    </div>
  );
}

/** A PNG data URL of `text` as a QR code (the CSP allows images from data: URLs, nothing inline else). */
function useQrCode(text: string): { url: string | null; error: ApiError | null } {
  const [state, setState] = useState<{ for: string; url: string | null; error: ApiError | null }>({
    for: '',
    url: null,
    error: null,
  });
  useEffect(() => {
    let current = true;
    QRCode.toDataURL(text, { errorCorrectionLevel: 'M', margin: 2, width: 384 }).then(
      (url) => {
        if (current) setState({ for: text, url, error: null });
      },
      (failure: unknown) => {
        if (current) setState({ for: text, url: null, error: asApiError(failure) });
      },
    );
    return () => {
      current = false;
    };
  }, [text]);
  return state.for === text ? state : { url: null, error: null };
}
