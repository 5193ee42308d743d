import type { AppState } from '@enclave/shared';
import { isAppUrl } from './app-origin';

/**
 * Where a window may go: the app's own pages only. Everything else — other hosts, `file:`,
 * `javascript:`, `data:`, external protocols — is refused, whether a link, a script or a
 * redirect asks for it: a page of anywhere else in the app's window would be talking to a
 * preload that serves the workspace.
 */
export function isAllowedNavigation(url: string, appUrl: string): boolean {
  return isAppUrl(url, appUrl);
}

/** Longest address handed to the OS browser; longer ones are refused, not cut. */
const MAX_EXTERNAL_URL_LENGTH = 2048;

/**
 * The address to open in the OS browser for a link the renderer asked to open in a new window
 * (`target="_blank"`, `window.open`), or null to open nothing. New windows are never created.
 *
 * The renderer's CSP lets it connect nowhere, so an injected script has no way to send data out;
 * opening any https address in the browser would give it one (`https://evil/?data=…`). So only
 * origins in `allowedOrigins` open — in practice the Enclave server this device is paired with,
 * which already holds the workspace — and only over http(s), without credentials in the address.
 * The address that opens is the parser's serialisation of the one that was checked, so what
 * the OS receives is exactly what was validated.
 */
export function externalLinkTarget(raw: string, allowedOrigins: readonly string[]): string | null {
  if (raw.length > MAX_EXTERNAL_URL_LENGTH || !URL.canParse(raw)) return null;
  const url = new URL(raw);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
  if (url.username !== '' || url.password !== '') return null;
  const allowed = allowedOrigins.some(
    (origin) => URL.canParse(origin) && new URL(origin).origin === url.origin,
  );
  return allowed ? url.href : null;
}

/** The origins links may open in the OS browser: the paired server's, once paired. */
export function externalOriginsOf(state: AppState): string[] {
  if (state.kind !== 'paired' || !URL.canParse(state.serverUrl)) return [];
  const server = new URL(state.serverUrl);
  return server.protocol === 'https:' || server.protocol === 'http:' ? [server.origin] : [];
}
