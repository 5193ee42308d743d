import { describe, expect, it } from 'vitest';
import { isTrustedSender } from './trusted-sender';

describe('trusted senders', () => {
  const app = 'app://enclave/index.html';

  it('trusts the top frame of the app’s own pages', () => {
    expect(isTrustedSender({ url: 'app://enclave/index.html', parent: null }, app)).toBe(true);
    expect(isTrustedSender({ url: 'app://enclave/other/page.html#x', parent: null }, app)).toBe(true);
    expect(
      isTrustedSender({ url: 'http://127.0.0.1:5000/index.html', parent: null }, 'http://127.0.0.1:5000'),
    ).toBe(true);
  });

  it('refuses frames inside the page, other hosts, schemes and ports, and missing frames', () => {
    const refused = [
      { url: 'app://enclave/index.html', parent: {} },
      { url: 'app://enclave.evil/index.html', parent: null },
      { url: 'app://evil/index.html', parent: null },
      { url: 'https://enclave/index.html', parent: null },
      { url: 'file:///index.html', parent: null },
      { url: 'about:blank', parent: null },
      { url: 'data:text/html,hi', parent: null },
      { url: 'not a url', parent: null },
    ];
    for (const frame of refused) expect(isTrustedSender(frame, app), frame.url).toBe(false);
    expect(isTrustedSender({ url: 'http://127.0.0.1:5001/', parent: null }, 'http://127.0.0.1:5000')).toBe(
      false,
    );
    expect(isTrustedSender(null, app)).toBe(false);
    expect(isTrustedSender(undefined, app)).toBe(false);
  });
});
