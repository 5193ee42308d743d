/**
 * The app's own origin. The renderer is served from `app://enclave/` — a privileged custom scheme
 * that main answers from the built renderer folder only (electron/app-protocol.ts) — never from
 * `file://`, whose pages could read any file of the machine through sibling `file:` URLs.
 */
export const APP_SCHEME = 'app';
export const APP_HOST = 'enclave';
export const APP_URL = `${APP_SCHEME}://${APP_HOST}/`;
/** What the window loads. */
export const APP_ENTRY_URL = `${APP_URL}index.html`;

/**
 * True for a URL of the app's own origin: the scheme and host exactly, no port and no
 * credentials. Compared piece by piece rather than by `origin`, which is the opaque "null" for
 * a custom scheme in WHATWG URLs (so any two `app:` URLs would have the same origin).
 */
export function isAppUrl(raw: string, appUrl: string = APP_URL): boolean {
  if (raw.length > 8192 || !URL.canParse(raw)) return false;
  const url = new URL(raw);
  const app = new URL(appUrl);
  return (
    url.protocol === app.protocol &&
    url.host === app.host &&
    url.host !== '' &&
    url.username === '' &&
    url.password === ''
  );
}

/**
 * What of a URL may go to the log: its scheme and host. A page address can carry workspace data
 * in its path or query (a compromised page could put anything there), so the rest stays out.
 */
export function describeUrl(raw: string): string {
  if (!URL.canParse(raw)) return '(not a URL)';
  const url = new URL(raw);
  return url.host === '' ? url.protocol : `${url.protocol}//${url.host}`;
}
