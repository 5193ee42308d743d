import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config';
import { StartupError } from '../startup/startup-error';
import { clientAddress, parseProxyTrust, ProxyTrustSettingError } from './proxy-trust';

/** What a request looks like to proxy-addr: the socket's peer and the X-Forwarded-For it carries. */
function request(peer: string, forwardedFor?: string): IncomingMessage {
  const headers = forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor };
  return { socket: { remoteAddress: peer }, headers } as unknown as IncomingMessage;
}

const addressOf = (setting: string | undefined, peer: string, forwardedFor?: string) =>
  clientAddress(request(peer, forwardedFor), parseProxyTrust(setting));

describe('ENCLAVE_TRUST_PROXY', () => {
  it('trusts no proxy when unset, false or 0: the socket peer is the client', () => {
    for (const setting of [undefined, '', 'false', '0']) {
      expect(addressOf(setting, '10.0.0.2', '203.0.113.7')).toBe('10.0.0.2');
    }
  });

  it('with a hop count, takes the address that many hops in, whatever the client wrote before it', () => {
    // A client sends its own X-Forwarded-For; the proxy appends the address it saw.
    expect(addressOf('1', '10.0.0.2', '198.51.100.1, 203.0.113.7')).toBe('203.0.113.7');
    expect(addressOf('1', '10.0.0.2', '203.0.113.7')).toBe('203.0.113.7');
    expect(addressOf('2', '10.0.0.2', '198.51.100.1, 203.0.113.7, 10.0.0.3')).toBe('203.0.113.7');
    // Fewer hops than configured: the farthest address there is.
    expect(addressOf('2', '10.0.0.2', '203.0.113.7')).toBe('203.0.113.7');
  });

  it('with addresses and subnets, believes only what those proxies forwarded', () => {
    const setting = 'loopback, 10.0.0.0/8';
    expect(addressOf(setting, '10.0.0.2', '198.51.100.1, 203.0.113.7, 10.1.2.3')).toBe('203.0.113.7');
    expect(addressOf(setting, '127.0.0.1', '203.0.113.7')).toBe('203.0.113.7');
    // A client that reaches the server directly is not a proxy: its header is ignored.
    expect(addressOf(setting, '192.0.2.9', '203.0.113.7')).toBe('192.0.2.9');
  });

  it('refuses "true", which would believe any header, and settings it cannot read, saying what to write', () => {
    expect(() => parseProxyTrust('true')).toThrow(ProxyTrustSettingError);
    expect(() => parseProxyTrust('true')).toThrow(/would believe any X-Forwarded-For.*number of proxy hops/);
    for (const bad of ['11', '-1', 'yes', '10.0.0.0/99', 'loopback,,10.0.0.1']) {
      expect(() => parseProxyTrust(bad), bad).toThrow(ProxyTrustSettingError);
    }
    const env = { ENCLAVE_DATA_DIR: '/tmp/enclave-config-test', ENCLAVE_TRUST_PROXY: 'true' };
    expect(() => loadConfig(env)).toThrow(StartupError);
    expect(() => loadConfig(env)).toThrow(/invalid configuration: ENCLAVE_TRUST_PROXY: "true" would believe/);
    expect(loadConfig({ ...env, ENCLAVE_TRUST_PROXY: '1' }).trustProxy('127.0.0.1', 0)).toBe(true);
  });
});
