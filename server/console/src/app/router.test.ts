import { describe, expect, it } from 'vitest';
import { safeNext } from '../auth/SignInPage';
import { matchPath } from './router';

describe('matchPath', () => {
  it('takes parameters from their segments, decoded', () => {
    expect(matchPath('/w/:workspaceId/:section', '/w/abc/devices')).toEqual({
      workspaceId: 'abc',
      section: 'devices',
    });
    expect(matchPath('/w/:workspaceId/:section', '/w/a%20b/devices')).toEqual({
      workspaceId: 'a b',
      section: 'devices',
    });
  });

  it('matches the rest with a trailing *, and nothing else when the lengths differ', () => {
    expect(matchPath('/w/:workspaceId/:section/*', '/w/abc/records/extra/deep')).toEqual({
      workspaceId: 'abc',
      section: 'records',
    });
    expect(matchPath('/w/:workspaceId/:section', '/w/abc')).toBeNull();
    expect(matchPath('/w/:workspaceId/:section', '/w/abc/devices/more')).toBeNull();
    expect(matchPath('/workspaces', '/account')).toBeNull();
  });
});

describe('safeNext: where the console goes after sign-in', () => {
  it('follows a console path with its query', () => {
    expect(safeNext('/w/abc/devices')).toBe('/w/abc/devices');
    expect(safeNext('/invite?workspace=w1&token=abc_DEF-1')).toBe('/invite?workspace=w1&token=abc_DEF-1');
  });

  it('never leaves the console: other sites, schemes and odd forms go to the workspaces', () => {
    for (const next of [
      null,
      '',
      'https://evil.example/',
      '//evil.example/',
      '/\\evil.example',
      'javascript:alert(1)',
      '/w/abc"><script>',
      ' /w/abc',
    ]) {
      expect(safeNext(next), String(next)).toBe('/workspaces');
    }
  });
});
