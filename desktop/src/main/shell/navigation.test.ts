import { describe, expect, it } from 'vitest';
import type { AppState } from '@enclave/shared';
import { APP_URL } from './app-origin';
import { externalLinkTarget, externalOriginsOf, isAllowedNavigation } from './navigation';

describe('isAllowedNavigation', () => {
  it("allows the app's own pages", () => {
    expect(isAllowedNavigation('app://enclave/index.html', APP_URL)).toBe(true);
    expect(isAllowedNavigation('app://enclave/settings.html?tab=device', APP_URL)).toBe(true);
  });

  it.each([
    'https://evil.example/',
    'http://localhost:5173/',
    'app://enclave.evil/index.html',
    'app://evil/index.html',
    'app://enclave:1/index.html',
    'app://x@enclave/index.html',
    'file:///C:/Windows/System32/calc.exe',
    'file:///etc/passwd',
    'javascript:alert(1)',
    'data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==',
    'blob:app://enclave/7d1c',
    'about:blank',
    'chrome://settings',
    'devtools://devtools/bundled/inspector.html',
    'enclave://pair?server=https://evil.example&code=AAAA',
    'mailto:someone@example.com',
    'smb://attacker/share',
    'ms-msdt:/id PCWDiagnostic',
  ])('refuses %s', (url) => {
    expect(isAllowedNavigation(url, APP_URL)).toBe(false);
  });
});

describe('externalLinkTarget', () => {
  const server = ['https://enclave.example.com'];

  it("opens pages of the paired server's origin", () => {
    expect(externalLinkTarget('https://enclave.example.com/workspaces/1', server)).toBe(
      'https://enclave.example.com/workspaces/1',
    );
  });

  it('hands the OS the normalised address that was checked', () => {
    expect(externalLinkTarget('HTTPS://Enclave.Example.com:443/a/../b', server)).toBe(
      'https://enclave.example.com/b',
    );
  });

  it.each([
    ['any other https site (a way out for an injected script)', 'https://evil.example/?data=secret'],
    ['a look-alike host', 'https://enclave.example.com.evil.example/'],
    ['the same host over another scheme', 'http://enclave.example.com/'],
    ['the same host on another port', 'https://enclave.example.com:8443/'],
    ['credentials in the address', 'https://user:pass@enclave.example.com/'],
    ['file:', 'file:///etc/passwd'],
    ['javascript:', 'javascript:alert(1)'],
    ['data:', 'data:text/html,hi'],
    ['a UNC path', '\\\\attacker\\share'],
    ['an OS protocol handler', 'ms-msdt:/id PCWDiagnostic'],
    ['an address too long to review', `https://enclave.example.com/${'a'.repeat(3000)}`],
  ])('refuses %s', (_label, url) => {
    expect(externalLinkTarget(url, server)).toBeNull();
  });

  it('opens nothing while no origin is allowed', () => {
    expect(externalLinkTarget('https://enclave.example.com/', [])).toBeNull();
  });
});

describe('externalOriginsOf', () => {
  it("is the paired server's origin when paired, and nothing otherwise", () => {
    const paired: AppState = {
      kind: 'paired',
      serverUrl: 'https://enclave.example.com/base',
      workspace: { id: '0190a5d6-7b6e-7c3a-9d2e-3f4a5b6c7d8e', name: 'ACME' },
      deviceId: '0190a5d6-7b6e-7c3a-9d2e-3f4a5b6c7d8f',
      replicaName: 'r1',
    };
    expect(externalOriginsOf(paired)).toEqual(['https://enclave.example.com']);
    expect(externalOriginsOf({ kind: 'unpaired', link: null })).toEqual([]);
    expect(externalOriginsOf({ kind: 'starting' })).toEqual([]);
    expect(externalOriginsOf({ ...paired, serverUrl: 'file:///etc' })).toEqual([]);
  });
});
