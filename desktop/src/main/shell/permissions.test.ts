import { describe, expect, it } from 'vitest';
import { APP_URL } from './app-origin';
import { contentsDecision, permissionDecision } from './permissions';

const fromApp = { requestingUrl: 'app://enclave/index.html', isMainFrame: true };

describe('permissionDecision', () => {
  it.each([
    'media',
    'geolocation',
    'notifications',
    'clipboard-read',
    // Nothing in the app copies to the clipboard, so writing is refused too.
    'clipboard-sanitized-write',
    'deprecated-sync-clipboard-read',
    'display-capture',
    'fullscreen',
    'hid',
    'usb',
    'serial',
    'midiSysex',
    'openExternal',
    'pointerLock',
    'fileSystem',
    'local-network-access',
    'window-management',
    'unknown',
    'a permission Electron adds next year',
  ])("refuses %s even to the app's own page", (permission) => {
    expect(permissionDecision({ permission, ...fromApp }, APP_URL)).toBe(false);
    expect(permissionDecision({ permission, ...fromApp, isMainFrame: false }, APP_URL)).toBe(false);
    expect(
      permissionDecision({ permission, requestingUrl: 'https://evil.example/', isMainFrame: true }, APP_URL),
    ).toBe(false);
  });
});

describe('contentsDecision', () => {
  it('guards windows, and DevTools in development only', () => {
    expect(contentsDecision('window', false)).toBe('guard');
    expect(contentsDecision('remote', true)).toBe('guard');
    expect(contentsDecision('remote', false)).toBe('refuse');
  });

  it.each(['webview', 'backgroundPage', 'browserView', 'offscreen', 'something new'])(
    'refuses %s',
    (type) => {
      expect(contentsDecision(type, false)).toBe('refuse');
      expect(contentsDecision(type, true)).toBe('refuse');
    },
  );
});
