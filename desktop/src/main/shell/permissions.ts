export interface PermissionQuery {
  /** Electron's permission name (`media`, `geolocation`, `clipboard-read`, `openExternal`, …). */
  permission: string;
  /** The URL of the frame asking, as far as Electron knows it. */
  requestingUrl: string | undefined;
  isMainFrame: boolean;
}

/**
 * Whether a page may use a web permission: never. Camera, microphone, location, notifications,
 * HID/USB/serial, opening external protocols, fullscreen, the clipboard (read or write), … are
 * all refused: the app needs none of them, and Electron would otherwise grant every request by
 * default. Pasting a pairing link still works: a paste event carries its own data and asks for
 * no permission.
 */
export function permissionDecision(_query: PermissionQuery, _appUrl: string): boolean {
  return false;
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
