import { isAppUrl } from './app-origin';

/**
 * Whether the window's session may make a request. The renderer's CSP already lets it connect
 * nowhere; this is the same rule one layer down, in case a CSP is ever loosened or bypassed: the
 * app's own files, inline `data:` images and the app's own `blob:` URLs, DevTools in development,
 * and nothing else — in particular no http(s), ws(s) or `file:`.
 *
 * Main's own connections (the sync client's fetch and WebSocket) are Node's, not the session's,
 * and are not affected.
 */
export function isAllowedRequest(raw: string, options: { appUrl: string; isDev: boolean }): boolean {
  if (isAppUrl(raw, options.appUrl)) return true;
  if (!URL.canParse(raw)) return false;
  const url = new URL(raw);
  if (url.protocol === 'data:') return true;
  if (url.protocol === 'blob:') return isAppUrl(url.pathname, options.appUrl);
  if (url.protocol === 'devtools:') return options.isDev;
  return false;
}

/**
 * Whether a download may start: only of data the app itself made (a `blob:` or `data:` URL of
 * the app, e.g. an export the renderer built), never of an address elsewhere. Electron still asks
 * the user where to save it.
 */
export function isAllowedDownload(raw: string, appUrl: string): boolean {
  if (!URL.canParse(raw)) return false;
  const url = new URL(raw);
  if (url.protocol === 'blob:') return isAppUrl(url.pathname, appUrl);
  return url.protocol === 'data:';
}
