import type { PairingLink } from '@enclave/shared';

const CODE_CHARACTERS = /^[0-9A-Za-z -]{1,64}$/;

/**
 * Reads `enclave://pair?server=…&code=…`, the link a pairing shows. Anything else — another
 * host, a server that is not http(s), a code with other characters — is not a pairing link. The
 * result only fills in the pairing form: the user still sees the server and confirms.
 */
export function parsePairingLink(raw: string): PairingLink | null {
  if (raw.length > 4096 || !URL.canParse(raw)) return null;
  const url = new URL(raw);
  if (url.protocol !== 'enclave:' || url.hostname !== 'pair') return null;
  if (url.pathname !== '' && url.pathname !== '/') return null;
  const server = url.searchParams.get('server');
  const code = url.searchParams.get('code');
  if (server === null || code === null || !CODE_CHARACTERS.test(code)) return null;
  if (!URL.canParse(server)) return null;
  const serverUrl = new URL(server);
  if (serverUrl.protocol !== 'https:' && serverUrl.protocol !== 'http:') return null;
  if (serverUrl.username !== '' || serverUrl.password !== '') return null;
  return { serverUrl: serverUrl.toString().replace(/\/$/, ''), code };
}

/** The pairing link among a process's arguments (Windows and Linux pass it on the command line). */
export function pairingLinkInArgs(argv: readonly string[]): PairingLink | null {
  for (const arg of argv) {
    if (!arg.startsWith('enclave:')) continue;
    const link = parsePairingLink(arg);
    if (link) return link;
  }
  return null;
}
