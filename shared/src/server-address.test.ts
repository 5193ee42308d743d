import { describe, expect, it } from 'vitest';
import { PairRequest } from './ipc';
import { isLoopbackHost, PLAIN_HTTP_REFUSED, serverAddressProblem } from './server-address';

describe('serverAddressProblem', () => {
  it.each([
    'https://enclave.example.com',
    'https://enclave.example.com:8443/prefix',
    'https://10.0.0.5',
    'http://localhost:3000',
    'http://LOCALHOST',
    'http://127.0.0.1:8080',
    'http://127.12.0.200',
    'http://[::1]:3000',
    // The URL parser reads these as 127.0.0.1 and ::1.
    'http://0x7f000001',
    'http://[0:0:0:0:0:0:0:1]',
  ])('accepts %s', (address) => {
    expect(serverAddressProblem(address)).toBeNull();
  });

  it.each([
    'http://enclave.example.com',
    'http://10.0.0.5:3000',
    'http://192.168.1.20',
    'http://128.0.0.1',
    'http://[::2]',
    'http://[::ffff:7f00:1]',
    'http://localhost.evil.example',
    'http://127.0.0.1.evil.example',
  ])('refuses plain http to another computer: %s', (address) => {
    expect(serverAddressProblem(address)).toBe(`${PLAIN_HTTP_REFUSED}.`);
    expect(serverAddressProblem(address)).toMatch(/^Use https:\/\/ .*only for this computer \(localhost\)/);
  });

  it.each(['ftp://files.example.com', 'enclave.example.com', 'javascript:alert(1)', ''])(
    'refuses %j, which is not a web address',
    (address) => {
      expect(serverAddressProblem(address)).toMatch(/like https:\/\/enclave\.example\.com/);
    },
  );

  it('refuses an address too long to be real', () => {
    expect(serverAddressProblem(`https://e.example/${'a'.repeat(2000)}`)).toBe('That address is too long.');
  });
});

describe('isLoopbackHost', () => {
  it('knows this computer by name, by 127.0.0.0/8 and by ::1, and nothing else', () => {
    for (const host of ['localhost', '127.0.0.1', '127.255.255.254', '[::1]'])
      expect(isLoopbackHost(host)).toBe(true);
    for (const host of ['localhost.example', '0.0.0.0', '10.0.0.1', '[::]', 'example.com'])
      expect(isLoopbackHost(host)).toBe(false);
  });
});

describe('PairRequest', () => {
  it('applies the rule to the address main receives, with the sentence as the issue', () => {
    const refused = PairRequest.safeParse({
      serverUrl: 'http://enclave.example.com',
      code: 'x',
      deviceName: 'a',
    });
    expect(refused.success).toBe(false);
    expect(refused.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['serverUrl', `${PLAIN_HTTP_REFUSED}.`],
    ]);
    expect(
      PairRequest.safeParse({ serverUrl: ' http://127.0.0.1:4000 ', code: 'x', deviceName: 'a' }).data
        ?.serverUrl,
    ).toBe('http://127.0.0.1:4000');
  });
});
