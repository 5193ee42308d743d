import { describe, expect, it } from 'vitest';
import { devicePlatformOf, launchOptionsOf, pairingLinkArg } from './launch-options';

const link = 'enclave://pair?server=https%3A%2F%2Fenclave.example.com&code=ABCD-EFGH-JKMN-PQRS-TVWX';

describe('launchOptionsOf', () => {
  it('uses the userData folder and the OS keychain by default', () => {
    expect(launchOptionsOf({}, false)).toEqual({
      userDataDir: null,
      keychain: 'os',
      keychainService: 'Enclave',
      ignored: [],
    });
  });

  it('honours the test hooks when unpackaged', () => {
    expect(
      launchOptionsOf({ ENCLAVE_USER_DATA_DIR: '/tmp/enclave-test', ENCLAVE_KEYCHAIN: 'memory' }, false),
    ).toEqual({
      userDataDir: '/tmp/enclave-test',
      keychain: 'memory',
      keychainService: 'Enclave',
      ignored: [],
    });
    expect(launchOptionsOf({ ENCLAVE_KEYCHAIN_SERVICE: 'Enclave-test-1234' }, false).keychainService).toBe(
      'Enclave-test-1234',
    );
  });

  it('ignores them in an installed app, and says so', () => {
    expect(
      launchOptionsOf(
        {
          ENCLAVE_USER_DATA_DIR: '/tmp/x',
          ENCLAVE_KEYCHAIN: 'memory',
          ENCLAVE_KEYCHAIN_SERVICE: 'Enclave-test-1',
        },
        true,
      ),
    ).toEqual({
      userDataDir: null,
      keychain: 'os',
      keychainService: 'Enclave',
      ignored: ['ENCLAVE_USER_DATA_DIR', 'ENCLAVE_KEYCHAIN', 'ENCLAVE_KEYCHAIN_SERVICE'],
    });
  });

  it('refuses malformed values rather than falling back to the real folder or keychain', () => {
    expect(() => launchOptionsOf({ ENCLAVE_USER_DATA_DIR: 'relative/dir' }, false)).toThrow(/absolute/);
    expect(() => launchOptionsOf({ ENCLAVE_KEYCHAIN: 'file' }, false)).toThrow(/ENCLAVE_KEYCHAIN/);
    // The real service's name, or anything not plainly a test's, is refused: a test never writes there.
    expect(() => launchOptionsOf({ ENCLAVE_KEYCHAIN_SERVICE: 'Enclave' }, false)).toThrow(/KEYCHAIN_SERVICE/);
    expect(() => launchOptionsOf({ ENCLAVE_KEYCHAIN_SERVICE: 'Other' }, false)).toThrow(/KEYCHAIN_SERVICE/);
  });
});

describe('devicePlatformOf', () => {
  it('maps Node platforms to device platforms', () => {
    expect(devicePlatformOf('win32')).toBe('windows');
    expect(devicePlatformOf('darwin')).toBe('macos');
    expect(devicePlatformOf('linux')).toBe('linux');
    expect(devicePlatformOf('freebsd')).toBe('other');
  });
});

describe('pairingLinkArg', () => {
  it('finds the link among Chromium switches', () => {
    expect(pairingLinkArg(['/opt/Enclave/enclave', '--original-process-start-time=1', link])).toBe(link);
  });

  it('ignores anything that is not a well-formed pairing link', () => {
    expect(pairingLinkArg(['/opt/Enclave/enclave', '--flag'])).toBeNull();
    expect(pairingLinkArg(['enclave://evil?server=https://x&code=A'])).toBeNull();
    expect(pairingLinkArg(['enclave://pair?server=file:///etc/passwd&code=ABCD'])).toBeNull();
    expect(pairingLinkArg(['enclave://pair?server=javascript:alert(1)&code=ABCD'])).toBeNull();
    expect(pairingLinkArg(['https://enclave.example.com/pair?code=ABCD'])).toBeNull();
  });
});
