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
  });

  it("grants clipboard writes to the app's top frame only", () => {
    const permission = 'clipboard-sanitized-write';
    expect(permissionDecision({ permission, ...fromApp }, APP_URL)).toBe(true);
    expect(permissionDecision({ permission, ...fromApp, isMainFrame: false }, APP_URL)).toBe(false);
    for (const requestingUrl of [
      'https://evil.example/',
      'app://enclave.evil/index.html',
      'data:text/html,x',
      'file:///index.html',
      undefined,
    ]) {
      expect(permissionDecision({ permission, requestingUrl, isMainFrame: true }, APP_URL)).toBe(false);
    }
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
