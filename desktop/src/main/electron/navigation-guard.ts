import { shell, type WebContents } from 'electron';
import type { CoreLog } from '../app/desktop-core';
import { describeUrl } from '../shell/app-origin';
import { describeError } from '../shell/console-log';
import { externalLinkTarget, isAllowedNavigation } from '../shell/navigation';
import { contentsDecision } from '../shell/permissions';

export interface GuardOptions {
  appUrl: string;
  isDev: boolean;
  /** The origins links may open in the OS browser right now (the paired server's). */
  externalOrigins(): readonly string[];
  log: CoreLog;
}

/**
 * Applied to every web contents as it is created (`web-contents-created`), so no window, frame or
 * popup escapes it: unexpected kinds are closed, navigation leaves the app's origin never, new
 * windows are never created, `<webview>` never attaches, and no device chooser ever picks a
 * device on its own.
 */
export function guardContents(contents: WebContents, options: GuardOptions): void {
  const { appUrl, log } = options;
  const type = contents.getType();
  if (contentsDecision(type, options.isDev) === 'refuse') {
    log.warn('closed an unexpected web contents', { type });
    contents.close();
    return;
  }

  const refuseNavigation = (event: Electron.Event, url: string, kind: string) => {
    if (isAllowedNavigation(url, appUrl)) return;
    event.preventDefault();
    log.warn(`blocked a ${kind}`, { to: describeUrl(url) });
  };
  contents.on('will-navigate', (event) => refuseNavigation(event, event.url, 'navigation'));
  // Every frame's navigations, subframes included (`will-navigate` sees the top frame only).
  contents.on('will-frame-navigate', (event) => refuseNavigation(event, event.url, 'frame navigation'));
  contents.on('will-redirect', (event) => refuseNavigation(event, event.url, 'redirect'));

  contents.on('will-attach-webview', (event) => {
    event.preventDefault();
    log.warn('blocked a webview');
  });

  contents.setWindowOpenHandler(({ url }) => {
    const target = externalLinkTarget(url, options.externalOrigins());
    if (target === null) {
      log.warn('blocked a new window', { to: describeUrl(url) });
    } else {
      // Reviewed (Electronegativity asks): `target` is externalLinkTarget's output, an http(s)
      // address of the paired server's origin only, re-serialised after validation.
      const opening = shell.openExternal(target); // eng-disable OPEN_EXTERNAL_JS_CHECK
      opening.catch((error: unknown) => {
        log.warn('could not open a link in the browser', { error: describeError(error) });
      });
    }
    return { action: 'deny' };
  });

  // Web Bluetooth picks the first device it finds unless the chooser is answered: cancel it.
  contents.on('select-bluetooth-device', (event, _devices, callback) => {
    event.preventDefault();
    callback('');
  });
}
