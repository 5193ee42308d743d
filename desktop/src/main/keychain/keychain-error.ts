/** Why the keychain cannot be used; picks the message and lets the app offer the right way out. */
export type KeychainProblem =
  /** keytar's native module did not load: a packaging fault, nothing the user can fix but reinstalling. */
  | 'module-missing'
  /** Linux: no D-Bus session bus to reach a Secret Service through (a bare console, SSH, a service). */
  | 'no-session-bus'
  /** Linux: a session bus, but nothing on it provides the Secret Service (no GNOME Keyring, KWallet…). */
  | 'no-provider'
  /** A Secret Service with no default keyring, and no prompt could be shown to create one. */
  | 'no-keyring'
  | 'locked'
  | 'denied'
  /** The keychain said yes but did not keep the entry (read back differently, or not at all). */
  | 'not-kept'
  | 'failed';

const ONLY_THERE =
  'Enclave keeps this device’s keys only in the system keychain, so it cannot pair or open this workspace without it.';

const MESSAGES: Record<KeychainProblem, string> = {
  'module-missing': `The keychain component of Enclave could not be loaded; reinstalling Enclave should fix it. ${ONLY_THERE}`,
  'no-session-bus': `The system keychain cannot be reached: there is no desktop session (D-Bus session bus). Sign in to a desktop session and try again. ${ONLY_THERE}`,
  'no-provider': `No system keychain is running. Install and start one (GNOME Keyring or KWallet), then try again. ${ONLY_THERE}`,
  'no-keyring': `The system keychain has no default keyring. Create one (for example in Passwords and Keys) and try again. ${ONLY_THERE}`,
  locked: `The system keychain is locked. Unlock it and try again. ${ONLY_THERE}`,
  denied: `Access to the system keychain was refused. Allow Enclave to use it and try again. ${ONLY_THERE}`,
  'not-kept': `The system keychain did not keep what Enclave stored in it. ${ONLY_THERE}`,
  failed: `The system keychain refused the operation. ${ONLY_THERE}`,
};

/**
 * Thrown, and only thrown, when the keychain cannot be used at all. Its message is written for
 * users and never names a secret; `cause` is the keychain's own error (its text comes from the OS,
 * which is never handed a secret in an error path) for diagnostics.
 */
export class KeychainUnavailableError extends Error {
  override readonly name = 'KeychainUnavailableError';
  readonly problem: KeychainProblem;

  constructor(problem: KeychainProblem, options?: { cause?: unknown }) {
    super(MESSAGES[problem], options);
    this.problem = problem;
  }
}

// The patterns only choose the wording. libsecret's and GDBus's messages are translated and vary
// with GLib versions, so an error that matches none still counts as the keychain failing ('failed'):
// every rejection of a keytar call comes from the OS keychain (keytar's own argument checks throw
// synchronously, and the store never lets them be reached).
const PATTERNS: [RegExp, KeychainProblem][] = [
  // GDBus: no DBUS_SESSION_BUS_ADDRESS and no X11 to autolaunch one; a socket that is not there;
  // an address that does not parse.
  [
    /autolaunch|could not connect|DBUS_SESSION_BUS_ADDRESS|address element|unsupported transport/i,
    'no-session-bus',
  ],
  // The bus answers, but nobody owns org.freedesktop.secrets and nothing can be activated.
  [/org\.freedesktop\.secrets|ServiceUnknown|not provided by any \.service files/i, 'no-provider'],
  // gnome-keyring with no login keyring: the "default" alias points at a collection that is not there.
  [/object does not exist at path|no such (object|collection)|NoSuchObject/i, 'no-keyring'],
  // libsecret: "Cannot create an item in a locked collection"; macOS: errSecInteractionNotAllowed.
  [/locked|interaction is not allowed/i, 'locked'],
  // A dismissed unlock prompt (Linux), a refused access dialog or a wrong password (macOS).
  [/dismissed|cancel|denied|not authori[sz]ed|passphrase|auth(entication)? failed/i, 'denied'],
];

/** The problem a keytar rejection stands for. */
export function problemOf(error: unknown): KeychainProblem {
  const message = error instanceof Error ? error.message : String(error);
  return PATTERNS.find(([pattern]) => pattern.test(message))?.[1] ?? 'failed';
}
