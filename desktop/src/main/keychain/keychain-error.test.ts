import { describe, expect, it } from 'vitest';
import { KeychainUnavailableError, problemOf, type KeychainProblem } from './keychain-error';

describe('problemOf', () => {
  // The Linux messages are the ones keytar gave in the tests' scenarios; the macOS ones are
  // SecCopyErrorMessageString's for the usual status codes.
  const cases: [string, KeychainProblem][] = [
    ['Cannot autolaunch D-Bus without X11 $DISPLAY', 'no-session-bus'],
    ['Could not connect: No such file or directory', 'no-session-bus'],
    ['Address element “garbage” does not contain a colon (:)', 'no-session-bus'],
    ['The name org.freedesktop.secrets was not provided by any .service files', 'no-provider'],
    [
      'GDBus.Error:org.freedesktop.DBus.Error.ServiceUnknown: The name org.freedesktop.secrets was not provided by any .service files',
      'no-provider',
    ],
    ['Object does not exist at path “/org/freedesktop/secrets/collection/login”', 'no-keyring'],
    ['Cannot create an item in a locked collection', 'locked'],
    ['User interaction is not allowed.', 'locked'],
    ['User canceled the operation.', 'denied'],
    ['The user name or passphrase you entered is not correct.', 'denied'],
    ['A specified logon session does not exist. It may already have been terminated.', 'failed'],
    ['Eine unbekannte, übersetzte Meldung', 'failed'],
  ];

  it.each(cases)('%s → %s', (message, problem) => {
    expect(problemOf(new Error(message))).toBe(problem);
  });
});

describe('KeychainUnavailableError', () => {
  it('says what is wrong in plain words, keeps the cause for diagnostics, and is an Error', () => {
    const cause = new Error('Cannot create an item in a locked collection');
    const error = new KeychainUnavailableError('locked', { cause });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('KeychainUnavailableError');
    expect(error.problem).toBe('locked');
    expect(error.cause).toBe(cause);
    expect(error.message).toMatch(/^The system keychain is locked\. Unlock it and try again\./);
    expect(String(error.stack)).toMatch(/^KeychainUnavailableError: /);
  });
});
