import { describe, expect, it } from 'vitest';
import { pairingLinkInArgs, parsePairingLink } from './pairing-link';

describe('pairing links', () => {
  it('reads the link a pairing shows', () => {
    const link = `enclave://pair?${new URLSearchParams({
      server: 'https://enclave.example.com',
      code: 'ABCD-EFGH-JKMN-PQRS-TVWX',
    }).toString()}`;
    expect(parsePairingLink(link)).toEqual({
      serverUrl: 'https://enclave.example.com',
      code: 'ABCD-EFGH-JKMN-PQRS-TVWX',
    });
  });

  it('keeps a server path prefix and a port', () => {
    const link = 'enclave://pair?server=http%3A%2F%2F127.0.0.1%3A8787%2Fenclave&code=ABCD';
    expect(parsePairingLink(link)).toEqual({ serverUrl: 'http://127.0.0.1:8787/enclave', code: 'ABCD' });
  });

  it('refuses anything that is not a pairing link', () => {
    const refused = [
      'https://enclave.example.com/pair?server=https://a.example&code=ABCD',
      'enclave://unpair?server=https://a.example&code=ABCD',
      'enclave://pair/extra?server=https://a.example&code=ABCD',
      'enclave://pair?code=ABCD',
      'enclave://pair?server=https://a.example',
      'enclave://pair?server=file%3A%2F%2F%2Fetc%2Fpasswd&code=ABCD',
      'enclave://pair?server=javascript%3Aalert(1)&code=ABCD',
      'enclave://pair?server=https%3A%2F%2Fuser%3Apass%40a.example&code=ABCD',
      'enclave://pair?server=https://a.example&code=%3Cscript%3E',
      `enclave://pair?server=https://a.example&code=${'A'.repeat(65)}`,
      `enclave://pair?server=https://a.example&code=ABCD&pad=${'x'.repeat(5000)}`,
      'not a url',
    ];
    for (const link of refused) expect(parsePairingLink(link), link).toBeNull();
  });

  it('finds the link among command-line arguments, as Windows and Linux pass it', () => {
    const link = 'enclave://pair?server=https%3A%2F%2Fa.example&code=ABCD';
    expect(pairingLinkInArgs(['/opt/Enclave/enclave', '--flag', link])).toEqual({
      serverUrl: 'https://a.example',
      code: 'ABCD',
    });
    expect(pairingLinkInArgs(['/opt/Enclave/enclave', 'enclave://pair?code=x'])).toBeNull();
  });
});
