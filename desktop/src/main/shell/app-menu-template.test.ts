import { describe, expect, it } from 'vitest';
import { menuTemplate, type MenuSpec } from './app-menu-template';

const roles = (items: MenuSpec[]): string[] =>
  items.flatMap((item) => [...(item.role ? [item.role] : []), ...roles(item.submenu ?? [])]);

describe('menuTemplate', () => {
  it('has an Edit menu on every platform (copy and paste need it on macOS)', () => {
    for (const platform of ['darwin', 'win32', 'linux']) {
      expect(roles(menuTemplate({ platform, isDev: false }))).toContain('editMenu');
    }
  });

  it('offers DevTools and reload in development only', () => {
    for (const platform of ['darwin', 'win32', 'linux']) {
      expect(roles(menuTemplate({ platform, isDev: false }))).not.toContain('toggleDevTools');
      expect(roles(menuTemplate({ platform, isDev: false }))).not.toContain('reload');
      expect(roles(menuTemplate({ platform, isDev: true }))).toContain('toggleDevTools');
    }
  });

  it('starts with the app menu on macOS, a File menu elsewhere', () => {
    expect(menuTemplate({ platform: 'darwin', isDev: false })[0]).toEqual({ role: 'appMenu' });
    expect(menuTemplate({ platform: 'win32', isDev: false })[0]?.label).toBe('File');
  });
});
