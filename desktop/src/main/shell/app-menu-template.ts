/** Electron menu roles the app uses (a subset of Electron's `MenuItemConstructorOptions.role`). */
export type MenuRole =
  | 'appMenu'
  | 'editMenu'
  | 'windowMenu'
  | 'quit'
  | 'close'
  | 'reload'
  | 'forceReload'
  | 'toggleDevTools'
  | 'resetZoom'
  | 'zoomIn'
  | 'zoomOut'
  | 'togglefullscreen';

export interface MenuSpec {
  role?: MenuRole;
  label?: string;
  type?: 'separator';
  submenu?: MenuSpec[];
}

/**
 * The application menu: built-in roles only, so no item runs code of ours. macOS needs an Edit
 * menu for copy and paste shortcuts to work at all; reload and DevTools appear in development
 * only (in an installed app DevTools are off in the window anyway, and a reload would only lose
 * what the user was typing).
 */
export function menuTemplate(options: { platform: string; isDev: boolean }): MenuSpec[] {
  const view: MenuSpec = {
    label: 'View',
    submenu: [
      ...(options.isDev
        ? [{ role: 'reload' }, { role: 'forceReload' }, { role: 'toggleDevTools' }, { type: 'separator' }]
        : ([] as MenuSpec[])),
      { role: 'resetZoom' },
      { role: 'zoomIn' },
      { role: 'zoomOut' },
      { type: 'separator' },
      { role: 'togglefullscreen' },
    ] as MenuSpec[],
  };
  if (options.platform === 'darwin') {
    return [{ role: 'appMenu' }, { role: 'editMenu' }, view, { role: 'windowMenu' }];
  }
  return [{ label: 'File', submenu: [{ role: 'quit' }] }, { role: 'editMenu' }, view];
}
