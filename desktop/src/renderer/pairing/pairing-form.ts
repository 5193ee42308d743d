import {
  normalisePairingCode,
  PAIRING_CODE_SYMBOLS,
  PairingCode,
  serverAddressProblem,
  type PairRequest,
  type AppInfo,
  type ErrorCode,
} from '@enclave/shared';
import type { BridgeError } from '../bridge/client';

export interface PairingFormValues {
  serverUrl: string;
  code: string;
  deviceName: string;
}

export type PairingField = keyof PairingFormValues;
export type PairingFieldErrors = Partial<Record<PairingField, string>>;

/**
 * Formats a pairing code as it is typed or pasted: Crockford's forgiving reading (any case, O for
 * 0, I and L for 1), separators dropped and put back every four symbols. Letters outside the
 * alphabet (U) are kept so that validation can point at them rather than make them vanish.
 */
export function formatPairingCode(raw: string): string {
  const symbols = normalisePairingCode(raw)
    .replace(/[^0-9A-Z]/g, '')
    .slice(0, PAIRING_CODE_SYMBOLS);
  return symbols.replace(/(.{4})(?=.)/g, '$1-');
}

/**
 * A pairing link pasted into the form (`enclave://pair?server=…&code=…`): both fields at once.
 * Anything else is not a link and is left to the field it was typed into.
 */
export function pairingLinkIn(text: string): { serverUrl: string; code: string } | null {
  const trimmed = text.trim();
  if (!/^enclave:/i.test(trimmed) || !URL.canParse(trimmed)) return null;
  const url = new URL(trimmed);
  const target = url.hostname || url.pathname.replace(/^\/+/, '');
  if (target.toLowerCase() !== 'pair') return null;
  const serverUrl = url.searchParams.get('server');
  const code = url.searchParams.get('code');
  if (!serverUrl || !code) return null;
  return { serverUrl, code: formatPairingCode(code) };
}

/** People type `enclave.example.com`; the server speaks HTTPS unless told otherwise. */
export function normaliseServerUrl(input: string): string {
  const trimmed = input.trim();
  if (trimmed === '' || /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed)) return trimmed;
  return `https://${trimmed}`;
}

const PLATFORM_NAMES: Record<AppInfo['platform'], string> = {
  windows: 'Windows PC',
  macos: 'Mac',
  linux: 'Linux computer',
  other: 'computer',
};

/** What the device is called in the workspace's device list until someone renames it. */
export function defaultDeviceName(platform: AppInfo['platform'] | null): string {
  return `My ${PLATFORM_NAMES[platform ?? 'other']}`;
}

/** Checks the form the way main and the server will, so the common mistakes never leave the window. */
export function validatePairingForm(
  values: PairingFormValues,
): { ok: true; request: PairRequest } | { ok: false; errors: PairingFieldErrors } {
  const errors: PairingFieldErrors = {};
  const serverUrl = normaliseServerUrl(values.serverUrl);
  const addressProblem =
    serverUrl === '' ? 'Enter the address of your Enclave server.' : serverAddressProblem(serverUrl);
  if (addressProblem !== null) errors.serverUrl = addressProblem;
  if (values.code.trim() === '') errors.code = 'Enter the pairing code from the web console.';
  else if (!PairingCode.safeParse(values.code).success) errors.code = CODE_SHAPE;
  const deviceName = values.deviceName.trim();
  if (deviceName === '') errors.deviceName = 'Give this computer a name, so you can recognise it later.';
  else if (deviceName.length > 80) errors.deviceName = 'Use at most 80 characters.';
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, request: { serverUrl, code: values.code, deviceName } };
}

const CODE_SHAPE = 'A pairing code has 20 letters and digits, like ABCD-EFGH-JKMN-PQRS-TVWX.';

export interface PairingErrorView {
  code: ErrorCode;
  title: string;
  message: string;
  fieldErrors: PairingFieldErrors;
}

/** What a refused pairing means to the person at the keyboard, by error code. */
export function pairingErrorView(error: BridgeError): PairingErrorView {
  const view = (title: string, message: string, fieldErrors: PairingFieldErrors = {}): PairingErrorView => ({
    code: error.code,
    title,
    message,
    fieldErrors,
  });
  switch (error.code) {
    case 'invalid_credentials':
      return view('That code is not right', 'Check the pairing code and try again.', {
        code: 'This code does not match a pairing on this server.',
      });
    case 'gone':
      return view(
        'That code can no longer be used',
        'It has expired or was already used. Create a new pairing code in the web console.',
        { code: 'Expired or already used.' },
      );
    case 'server_unreachable':
      return view(
        'Cannot reach the server',
        'Check the address and your internet connection, then try again.',
        { serverUrl: 'No Enclave server answered at this address.' },
      );
    case 'keychain_unavailable':
      return view(
        'The system keychain is not available',
        'Enclave keeps this computer’s key in your system keychain and cannot reach it right now. Unlock or start your keychain, then try again.',
      );
    case 'validation_failed':
      return view('Check the highlighted fields', error.message, fieldErrorsOf(error));
    case 'rate_limited':
      return view('Too many attempts', 'Wait a minute, then try again.');
    case 'conflict':
      return view('Already paired', error.message);
    case 'update_required':
      return view(
        'Enclave needs an update',
        'This server needs a newer version of the app. Update Enclave, then pair.',
      );
    default:
      return view('Pairing failed', error.message);
  }
}

/** Issues from main (`serverUrl`, `code`, …) or from the server (`code`, `name`) by form field. */
function fieldErrorsOf(error: BridgeError): PairingFieldErrors {
  const errors: PairingFieldErrors = {};
  for (const issue of error.issues) {
    const head = issue.path.split('.')[0];
    // Main checks the address with the same rule as `validatePairingForm`, in whole sentences.
    if (head === 'serverUrl') errors.serverUrl ??= issue.message;
    else if (head === 'code') errors.code ??= CODE_SHAPE;
    else if (head === 'deviceName' || head === 'name') errors.deviceName ??= `This name ${issue.message}.`;
  }
  if (Object.keys(errors).length === 0 && /pairing code/i.test(error.message)) errors.code = CODE_SHAPE;
  return errors;
}
