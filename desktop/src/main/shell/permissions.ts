import { isAppUrl } from './app-origin';

export interface PermissionQuery {
  /** Electron's permission name (`media`, `geolocation`, `clipboard-read`, `openExternal`, …). */
  permission: string;
  /** The URL of the frame asking, as far as Electron knows it. */
  requestingUrl: string | undefined;
  isMainFrame: boolean;
}

/**
 * The one permission the app's pages get: writing to the clipboard (a "copy" button for a
 * pairing code or a record's field). It is write-only — reading the clipboard would let a page
 * see whatever the user copied elsewhere — and it is what any browser grants a page on a click.
 */
const GRANTED = new Set(['clipboard-sanitized-write']);

/**
 * Whether a page may use a web permission: no, except the ones in `GRANTED` for the app's own
 * top frame. Camera, microphone, location, notifications, HID/USB/serial, opening external
 * protocols, fullscreen, … are all refused: the app needs none of them, and Electron would
 * otherwise grant every request by default.
 */
export function permissionDecision(query: PermissionQuery, appUrl: string): boolean {
  if (!GRANTED.has(query.permission)) return false;
  if (!query.isMainFrame || query.requestingUrl === undefined) return false;
  return isAppUrl(query.requestingUrl, appUrl);
}

/** Electron's kinds of web contents (`webContents.getType()`). */
export type ContentsType = 'backgroundPage' | 'window' | 'browserView' | 'remote' | 'webview' | 'offscreen';

/**
 * What to do with a web contents as it is created. The app makes one kind: the window's. A
 * `<webview>`, an extension's background page, a browser view or an offscreen page can only
 * come from something the app does not do, so they are closed. DevTools (a "remote" contents)
 * exist only in development, where `devTools` is on.
 */
export function contentsDecision(type: string, isDev: boolean): 'guard' | 'refuse' {
  if (type === 'window') return 'guard';
  if (type === 'remote' && isDev) return 'guard';
  return 'refuse';
}
