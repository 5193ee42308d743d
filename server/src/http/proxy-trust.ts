import type { IncomingMessage } from 'node:http';
import proxyAddr from 'proxy-addr';

/**
 * Whether the address `hop` steps from the server (0: the socket's peer, 1: the address that peer
 * put last in X-Forwarded-For, …) belongs to one of our proxies, so that what it forwarded can be
 * believed. The client is the nearest address that is not a trusted proxy. Express takes this
 * function as its 'trust proxy' setting and the sync upgrade uses the very same one, so the two can
 * never disagree about a client's address.
 */
export type ProxyTrust = (address: string, hop: number) => boolean;

const trustNone: ProxyTrust = () => false;

/** Thrown for a setting that cannot be used; the message says what to write instead. */
export class ProxyTrustSettingError extends Error {}

const FORMS =
  'a number of proxy hops (e.g. 1) or proxy addresses and subnets (e.g. loopback or 10.0.0.0/8,127.0.0.1)';

/**
 * ENCLAVE_TRUST_PROXY, compiled once at start: unset, `false` or `0` trusts no proxy; a number
 * trusts that many hops in front of the server; otherwise a comma-separated list of addresses,
 * subnets and proxy-addr's names (`loopback`, `linklocal`, `uniquelocal`). `true` is refused:
 * trusting every hop lets any client pick its own address by sending X-Forwarded-For.
 */
export function parseProxyTrust(setting: string | undefined): ProxyTrust {
  const value = (setting ?? '').trim();
  if (value === '' || value === 'false' || value === '0') return trustNone;
  if (value === 'true') {
    throw new ProxyTrustSettingError(`"true" would believe any X-Forwarded-For a client sends; set ${FORMS}`);
  }
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    if (hops > 10) throw new ProxyTrustSettingError(`at most 10 proxy hops; set ${FORMS}`);
    return (_address, hop) => hop < hops;
  }
  const entries = value.split(',').map((entry) => entry.trim());
  if (entries.some((entry) => entry === '')) {
    throw new ProxyTrustSettingError(`an empty entry in the list; set ${FORMS}`);
  }
  try {
    return proxyAddr.compile(entries);
  } catch (error) {
    throw new ProxyTrustSettingError(`${(error as Error).message}; set ${FORMS}`);
  }
}

/** The client's address as our trusted proxies saw it; the socket's peer when none is trusted. */
export function clientAddress(request: IncomingMessage, trust: ProxyTrust): string | null {
  if (request.socket.remoteAddress === undefined) return null;
  return proxyAddr(request, trust);
}
