import { describe, expect, it } from 'vitest';
import { APP_ENTRY_URL, APP_URL, describeUrl, isAppUrl } from './app-origin';

describe('isAppUrl', () => {
  it("accepts the app's own pages", () => {
    expect(isAppUrl(APP_URL)).toBe(true);
    expect(isAppUrl(APP_ENTRY_URL)).toBe(true);
    expect(isAppUrl('app://enclave/assets/index-abc123.js?v=1#top')).toBe(true);
  });

  it.each([
    ['another host', 'app://other/index.html'],
    ['a host that starts like ours', 'app://enclave.evil/index.html'],
    ['a host that ends like ours', 'app://evil-enclave/index.html'],
    ['a port', 'app://enclave:8080/index.html'],
    ['credentials', 'app://user:pass@enclave/index.html'],
    ['a user name', 'app://enclave@evil/index.html'],
    ['another scheme, same host', 'https://enclave/index.html'],
    ['file:', 'file:///etc/passwd'],
    ['javascript:', 'javascript:alert(1)'],
    ['data:', 'data:text/html,<script>alert(1)</script>'],
    ['blob:', 'blob:app://enclave/1234'],
    ['about:blank', 'about:blank'],
    ['a host with a backslash', 'app://enclave\\evil/'],
    ['no host', 'app:///index.html'],
    ['not a URL', 'index.html'],
    ['empty', ''],
  ])('refuses %s', (_label, url) => {
    expect(isAppUrl(url)).toBe(false);
  });

  it('refuses absurdly long addresses without parsing them', () => {
    expect(isAppUrl(`${APP_URL}${'a'.repeat(10_000)}`)).toBe(false);
  });
});

describe('describeUrl', () => {
  it('keeps the scheme and host only', () => {
    expect(describeUrl('https://evil.example:444/steal?client=ACME#x')).toBe('https://evil.example:444');
    expect(describeUrl('javascript:alert(document.cookie)')).toBe('javascript:');
    expect(describeUrl('data:text/html,secret')).toBe('data:');
    expect(describeUrl('nonsense')).toBe('(not a URL)');
  });
});
