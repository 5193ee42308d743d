import { describe, expect, it } from 'vitest';
import { APP_URL } from './app-origin';
import { isAllowedDownload, isAllowedRequest } from './request-filter';

const prod = { appUrl: APP_URL, isDev: false };

describe('isAllowedRequest', () => {
  it('lets the app load its own files, data: images and its own blobs', () => {
    expect(isAllowedRequest('app://enclave/assets/index.js', prod)).toBe(true);
    expect(isAllowedRequest('data:image/png;base64,iVBORw0KGgo=', prod)).toBe(true);
    expect(isAllowedRequest('blob:app://enclave/0b5c8f1e-1d2a-4c3b-9e8f-7a6b5c4d3e2f', prod)).toBe(true);
  });

  it.each([
    'https://evil.example/collect?d=secret',
    'http://127.0.0.1:8787/api/v1/records',
    'wss://evil.example/socket',
    'ws://localhost:1234/',
    'file:///etc/passwd',
    'ftp://evil.example/',
    'app://enclave.evil/x.js',
    'app://other/x.js',
    'blob:https://evil.example/0b5c8f1e',
    'chrome-extension://abcdef/page.html',
    'devtools://devtools/bundled/inspector.html',
    'not a url',
  ])('refuses %s', (url) => {
    expect(isAllowedRequest(url, prod)).toBe(false);
  });

  it('lets DevTools load in development only', () => {
    expect(
      isAllowedRequest('devtools://devtools/bundled/inspector.html', { appUrl: APP_URL, isDev: true }),
    ).toBe(true);
    expect(isAllowedRequest('https://evil.example/', { appUrl: APP_URL, isDev: true })).toBe(false);
  });
});

describe('isAllowedDownload', () => {
  it("allows the app's own blobs and data: URLs only", () => {
    expect(isAllowedDownload('blob:app://enclave/0b5c8f1e', APP_URL)).toBe(true);
    expect(isAllowedDownload('data:text/csv,a,b', APP_URL)).toBe(true);
    expect(isAllowedDownload('https://evil.example/payload.exe', APP_URL)).toBe(false);
    expect(isAllowedDownload('blob:https://evil.example/0b5c8f1e', APP_URL)).toBe(false);
    expect(isAllowedDownload('file:///etc/passwd', APP_URL)).toBe(false);
    expect(isAllowedDownload('app://enclave/index.html', APP_URL)).toBe(false);
  });
});
