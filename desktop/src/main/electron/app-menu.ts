import { Menu, type MenuItemConstructorOptions } from 'electron';
import { menuTemplate } from '../shell/app-menu-template';

/** Installs the application menu (built-in roles only, see `menuTemplate`). */
export function installAppMenu(options: { platform: string; isDev: boolean }): void {
  // `MenuSpec` is a subset of Electron's item options: roles are a subset of Electron's roles.
  const template = menuTemplate(options) as MenuItemConstructorOptions[];
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}
