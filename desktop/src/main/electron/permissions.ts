import type { Session } from 'electron';
import type { CoreLog } from '../app/desktop-core';
import { describeUrl } from '../shell/app-origin';
import { permissionDecision } from '../shell/permissions';
import { isAllowedDownload, isAllowedRequest } from '../shell/request-filter';

export interface SessionOptions {
  appUrl: string;
  isDev: boolean;
  log: CoreLog;
}

const hardened = new WeakSet<Session>();

/**
 * Locks a session down: every web permission refused (Electron grants all of them when no
 * handler is set), device access refused, device choosers cancelled, spell checking off, requests
 * limited to the app's own files, downloads to data the app made.
 */
export function hardenSession(session: Session, options: SessionOptions): void {
  if (hardened.has(session)) return;
  hardened.add(session);
  const { appUrl, isDev, log } = options;

  session.setPermissionRequestHandler((_contents, permission, callback, details) => {
    const granted = permissionDecision(
      { permission, requestingUrl: details.requestingUrl, isMainFrame: details.isMainFrame },
      appUrl,
    );
    if (!granted) log.warn('refused a permission', { permission, from: describeUrl(details.requestingUrl) });
    callback(granted);
  });
  session.setPermissionCheckHandler((_contents, permission, requestingOrigin, details) =>
    permissionDecision(
      {
        permission,
        requestingUrl: details.requestingUrl ?? requestingOrigin,
        isMainFrame: details.isMainFrame,
      },
      appUrl,
    ),
  );
  session.setDevicePermissionHandler(() => false);
  // Also off at the session level (windows turn it off too): on Linux and Windows Chromium would
  // otherwise download Hunspell dictionaries from Google when a page first asks for them.
  session.setSpellCheckerEnabled(false);

  session.on('select-hid-device', (event, _details, callback) => {
    event.preventDefault();
    callback();
  });
  session.on('select-serial-port', (event, _ports, _contents, callback) => {
    event.preventDefault();
    callback('');
  });
  session.on('select-usb-device', (event, _details, callback) => {
    event.preventDefault();
    callback();
  });

  session.webRequest.onBeforeRequest((details, callback) => {
    const allowed = isAllowedRequest(details.url, { appUrl, isDev });
    if (!allowed) log.warn('blocked a request', { to: describeUrl(details.url) });
    callback({ cancel: !allowed });
  });

  session.on('will-download', (event, item) => {
    if (isAllowedDownload(item.getURL(), appUrl)) return;
    event.preventDefault();
    log.warn('blocked a download', { from: describeUrl(item.getURL()) });
  });
}
