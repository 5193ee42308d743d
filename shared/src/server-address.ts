/**
 * The address of an Enclave server, as the desktop app is given it to pair with. Pairing sends a
 * one-time code and then, for as long as the device lives, its access tokens and the workspace's
 * records: over plain http anyone on the network path reads and can change them. So the address
 * must be https://, except on this computer's own loopback interface, where no network is crossed
 * (a server started locally to try Enclave out).
 */

/** The longest address accepted; a pasted link is far shorter. */
export const SERVER_ADDRESS_MAX = 2000;

export const PLAIN_HTTP_REFUSED =
  'Use https:// — plain http:// is allowed only for this computer (localhost), because anyone on the network could read and change what it carries';

/**
 * Whether a host name, as `new URL()` leaves it, is this computer: `localhost`, 127.0.0.0/8 or
 * `[::1]`. The URL parser has already turned spellings such as `0x7f.1` or `[0:0::1]` into these.
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  if (host === 'localhost' || host === '[::1]') return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** Why `raw` cannot be a server address, as a sentence for the person who typed it; null if it can. */
export function serverAddressProblem(raw: string): string | null {
  const trimmed = raw.trim();
  if (trimmed.length > SERVER_ADDRESS_MAX) return 'That address is too long.';
  if (!URL.canParse(trimmed)) return 'Enter an address like https://enclave.example.com.';
  const url = new URL(trimmed);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return 'Enter an address like https://enclave.example.com.';
  }
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) return `${PLAIN_HTTP_REFUSED}.`;
  return null;
}
