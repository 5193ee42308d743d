import { useId, useRef, useState, type ClipboardEvent, type SyntheticEvent } from 'react';
import type { AppState, PairingLink } from '@enclave/shared';
import { useServices } from '../app/services';
import { usePlatform } from '../app/usePlatform';
import { asBridgeError } from '../bridge/client';
import {
  defaultDeviceName,
  formatPairingCode,
  pairingErrorView,
  pairingLinkIn,
  validatePairingForm,
  type PairingErrorView,
  type PairingField,
  type PairingFieldErrors,
} from './pairing-form';
import { CenteredScreen, Icon } from '@enclave/ui';

/** The host of an address, for saying plainly which server a link points at. */
function hostOf(url: string): string {
  return URL.canParse(url) ? new URL(url).host : url;
}

/**
 * Pairing: server address, the code from the web console, a name for this computer. A pairing
 * link only fills the form; the person confirms the server, since a link from a stranger must not
 * be able to tie the app to a server they did not choose.
 */
export function PairingScreen({
  link,
  onState,
}: {
  link: PairingLink | null;
  onState: (state: AppState) => void;
}) {
  const { client } = useServices();
  const [serverUrl, setServerUrl] = useState(link?.serverUrl ?? '');
  const [code, setCode] = useState(link ? formatPairingCode(link.code) : '');
  const [deviceName, setDeviceName] = useState<string | null>(null);
  const platform = usePlatform();
  const [fieldErrors, setFieldErrors] = useState<PairingFieldErrors>({});
  const [failure, setFailure] = useState<PairingErrorView | null>(null);
  const [busy, setBusy] = useState(false);
  const serverInput = useRef<HTMLInputElement>(null);
  const codeInput = useRef<HTMLInputElement>(null);
  const nameInput = useRef<HTMLInputElement>(null);
  const ids = useId();

  const name = deviceName ?? defaultDeviceName(platform);

  const clearError = (field: PairingField) => {
    setFieldErrors(({ [field]: _cleared, ...rest }) => rest);
  };

  /** A whole pairing link pasted into either field fills both. */
  const onPaste = (event: ClipboardEvent<HTMLInputElement>) => {
    const pasted = pairingLinkIn(event.clipboardData.getData('text'));
    if (!pasted) return;
    event.preventDefault();
    setServerUrl(pasted.serverUrl);
    setCode(pasted.code);
    setFieldErrors({});
  };

  /** Focus goes to the first field at fault, so the keyboard lands where the fix is. */
  const focusFirst = (errors: PairingFieldErrors) => {
    if (errors.serverUrl) serverInput.current?.focus();
    else if (errors.code) codeInput.current?.focus();
    else if (errors.deviceName) nameInput.current?.focus();
  };

  const submit = async (event: SyntheticEvent) => {
    event.preventDefault();
    if (busy) return;
    setFailure(null);
    const checked = validatePairingForm({ serverUrl, code, deviceName: name });
    if (!checked.ok) {
      setFieldErrors(checked.errors);
      focusFirst(checked.errors);
      return;
    }
    setFieldErrors({});
    setBusy(true);
    try {
      onState(await client.call('pairing:pair', checked.request));
    } catch (error) {
      const view = pairingErrorView(asBridgeError(error));
      setFailure(view);
      setFieldErrors(view.fieldErrors);
      focusFirst(view.fieldErrors);
    } finally {
      setBusy(false);
    }
  };

  const field = (key: PairingField) => ({
    id: `${ids}-${key}`,
    'aria-invalid': fieldErrors[key] ? true : undefined,
    'aria-describedby': fieldErrors[key] ? `${ids}-${key}-error` : `${ids}-${key}-hint`,
  });

  const fieldError = (key: PairingField) =>
    fieldErrors[key] ? (
      <p className="field-error" id={`${ids}-${key}-error`}>
        {fieldErrors[key]}
      </p>
    ) : null;

  return (
    <CenteredScreen icon="laptop" title="Connect this computer to your workspace">
      <p className="lead">
        In the Enclave web console, open <strong>Devices → Pair a device</strong>, then enter the server
        address and the code it shows.
      </p>

      {link && (
        <div className="notice warning" role="note" data-testid="link-confirm-notice">
          <Icon name="link" />
          <div>
            <strong>You opened a pairing link for {hostOf(link.serverUrl)}</strong>
            <p>
              Only continue if you expected to pair with this server. If you did not ask for this link, close
              this window: pairing would give that server this computer’s connection.
            </p>
          </div>
        </div>
      )}

      {failure && (
        <div className="error-note" role="alert" data-testid="pair-error" data-code={failure.code}>
          <Icon name="alert" />
          <div>
            <strong>{failure.title}</strong>
            <p>{failure.message}</p>
          </div>
        </div>
      )}

      <form
        className="form pairing-form"
        onSubmit={(event) => void submit(event)}
        noValidate
        aria-busy={busy}
      >
        <div className="field">
          <label htmlFor={`${ids}-serverUrl`}>Server address</label>
          <input
            {...field('serverUrl')}
            ref={serverInput}
            data-testid="pair-server"
            type="text"
            inputMode="url"
            autoComplete="url"
            spellCheck={false}
            autoFocus={!link}
            placeholder="https://enclave.example.com"
            value={serverUrl}
            onChange={(event) => {
              setServerUrl(event.target.value);
              clearError('serverUrl');
            }}
            onPaste={onPaste}
            readOnly={busy}
          />
          {fieldError('serverUrl') ?? (
            <p className="hint" id={`${ids}-serverUrl-hint`}>
              {link
                ? 'From the link. Check that it is the server you expect.'
                : 'The address you use for the web console.'}
            </p>
          )}
        </div>

        <div className="field">
          <label htmlFor={`${ids}-code`}>Pairing code</label>
          <input
            {...field('code')}
            ref={codeInput}
            data-testid="pair-code"
            className="mono code-input"
            type="text"
            autoComplete="one-time-code"
            autoCapitalize="characters"
            spellCheck={false}
            placeholder="XXXX-XXXX-XXXX-XXXX-XXXX"
            value={code}
            onChange={(event) => {
              setCode(formatPairingCode(event.target.value));
              clearError('code');
            }}
            onPaste={onPaste}
            readOnly={busy}
          />
          {fieldError('code') ?? (
            <p className="hint" id={`${ids}-code-hint`}>
              20 letters and digits. Case and dashes do not matter. Codes expire after a short while.
            </p>
          )}
        </div>

        <div className="field">
          <label htmlFor={`${ids}-deviceName`}>Name for this computer</label>
          <input
            {...field('deviceName')}
            ref={nameInput}
            data-testid="pair-device-name"
            type="text"
            maxLength={80}
            autoFocus={Boolean(link)}
            value={name}
            onChange={(event) => {
              setDeviceName(event.target.value);
              clearError('deviceName');
            }}
            readOnly={busy}
          />
          {fieldError('deviceName') ?? (
            <p className="hint" id={`${ids}-deviceName-hint`}>
              Shown in the workspace’s device list, so you can recognise and remove it later.
            </p>
          )}
        </div>

        <div className="actions">
          <button type="submit" className="button primary wide" data-testid="pair-submit" disabled={busy}>
            {busy ? 'Pairing…' : link ? `Pair with ${hostOf(link.serverUrl)}` : 'Pair this computer'}
          </button>
        </div>
      </form>
      <p className="fine-print">
        <Icon name="lock" size={12} /> The key that identifies this computer is created here and kept in your
        system keychain. It never leaves this computer.
      </p>
    </CenteredScreen>
  );
}
