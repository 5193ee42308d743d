import { join, resolve, sep } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RENDERER_CSP } from '../../common/csp';
import { appResponseHeaders, contentTypeOf, resolveAppFile } from './app-protocol';

const root = resolve('/opt/enclave/resources/app.asar/out/renderer');
const get = (url: string) => resolveAppFile(root, { method: 'GET', url });

describe('resolveAppFile', () => {
  it('serves files of the renderer folder with their content type', () => {
    expect(get('app://enclave/index.html')).toEqual({
      ok: true,
      filePath: join(root, 'index.html'),
      contentType: 'text/html; charset=utf-8',
    });
    expect(get('app://enclave/assets/index-4f2a.js?v=2#x')).toEqual({
      ok: true,
      filePath: join(root, 'assets', 'index-4f2a.js'),
      contentType: 'text/javascript; charset=utf-8',
    });
    expect(get('app://enclave/assets/font%20name.woff2')).toMatchObject({
      ok: true,
      filePath: join(root, 'assets', 'font name.woff2'),
      contentType: 'font/woff2',
    });
  });

  it('serves index.html for the root and for folders', () => {
    expect(get('app://enclave/')).toMatchObject({ ok: true, filePath: join(root, 'index.html') });
    expect(get('app://enclave')).toMatchObject({ ok: true, filePath: join(root, 'index.html') });
    expect(get('app://enclave/help/')).toMatchObject({
      ok: true,
      filePath: join(root, 'help', 'index.html'),
    });
  });

  it('keeps `..` that the URL parser resolves inside the folder', () => {
    // WHATWG URLs resolve `..`, `.%2e` and `%2e%2e` segments while parsing: they can climb no
    // higher than the root of the URL, which is the renderer folder.
    for (const url of [
      'app://enclave/../../../etc/passwd',
      'app://enclave/%2e%2e/%2e%2e/etc/passwd',
      'app://enclave/.%2E/main.js',
    ]) {
      const result = get(url);
      if (result.ok) expect(result.filePath.startsWith(root + sep)).toBe(true);
    }
  });

  it.each([
    ['an encoded slash climbing out', 'app://enclave/assets/..%2f..%2fmain.cjs'],
    ['an encoded slash climbing out, upper case', 'app://enclave/..%2F..%2F..%2Fetc%2Fpasswd.txt'],
    ['encoded dots and slashes', 'app://enclave/%2e%2e%2f%2e%2e%2fpreload.cjs'],
    ['an encoded backslash', 'app://enclave/..%5c..%5cmain.cjs'],
    [
      'a double-encoded traversal (decoded once: stays a name, has no served type)',
      'app://enclave/%252e%252e%252fmain',
    ],
    ['a NUL byte', 'app://enclave/index.html%00.png'],
    ['a control character', 'app://enclave/index%0a.html'],
    ['malformed percent-encoding', 'app://enclave/%E0%A4%A.html'],
    ['an empty segment', 'app://enclave/assets//index.js'],
    ['a Windows drive', 'app://enclave/C:%5cWindows%5cwin.ini'],
    ['an NTFS stream', 'app://enclave/index.html::$DATA'],
    ['a Windows device name', 'app://enclave/CON.js'],
    ['a Windows device name, any case', 'app://enclave/assets/nul.txt'],
    ['a hidden file', 'app://enclave/.env.json'],
    ['a file type the app does not serve', 'app://enclave/main.cjs'],
    ['a file without extension', 'app://enclave/LICENSE'],
    ['another host of the scheme', 'app://enclave.evil/index.html'],
    ['another host', 'app://evil/index.html'],
    ['a port', 'app://enclave:99/index.html'],
    ['credentials', 'app://a:b@enclave/index.html'],
    ['another scheme', 'file:///etc/passwd'],
    ['not a URL', '/etc/passwd'],
  ])('refuses %s', (_label, url) => {
    const result = get(url);
    expect(result.ok).toBe(false);
  });

  it('answers 400 for traversal attempts and 403 for foreign origins', () => {
    expect(get('app://enclave/assets/..%2f..%2fmain.cjs')).toMatchObject({ ok: false, status: 400 });
    expect(get('app://enclave/..%5cmain.cjs')).toMatchObject({ ok: false, status: 400 });
    expect(get('app://evil/index.html')).toMatchObject({ ok: false, status: 403 });
  });

  it('only answers GET and HEAD', () => {
    expect(resolveAppFile(root, { method: 'HEAD', url: 'app://enclave/index.html' }).ok).toBe(true);
    for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS', 'get']) {
      expect(resolveAppFile(root, { method, url: 'app://enclave/index.html' })).toMatchObject({
        ok: false,
        status: 405,
      });
    }
  });

  it('never resolves outside the root, whatever the path', () => {
    const piece = fc.constantFrom(
      'a',
      '.',
      '/',
      '%2f',
      '%2F',
      '%2e',
      '%5c',
      '\\',
      '..',
      'x.js',
      '%00',
      ':',
      '%',
      '%25',
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 12 }), (pieces) => {
        const result = get(`app://enclave/${pieces.join('')}`);
        return !result.ok || result.filePath.startsWith(root + sep);
      }),
      { numRuns: 5000 },
    );
  });
});

describe('contentTypeOf', () => {
  it('names the type of the files a Vite build emits, whatever the case of the extension', () => {
    expect(contentTypeOf('a.CSS')).toBe('text/css; charset=utf-8');
    expect(contentTypeOf('a.svg')).toBe('image/svg+xml');
    expect(contentTypeOf('a.wasm')).toBe('application/wasm');
  });

  it('has no type for executables and scripts of other kinds', () => {
    for (const file of ['a.exe', 'a.cjs', 'a.node', 'a.sh', 'a', 'a.html.', 'a.asar']) {
      expect(contentTypeOf(file)).toBeNull();
    }
  });
});

describe('appResponseHeaders', () => {
  it("carries the renderer's CSP, nosniff and the declared type", () => {
    const headers = appResponseHeaders('text/html; charset=utf-8');
    expect(headers['Content-Security-Policy']).toBe(RENDERER_CSP);
    expect(headers['X-Content-Type-Options']).toBe('nosniff');
    expect(headers['Content-Type']).toBe('text/html; charset=utf-8');
    expect(RENDERER_CSP).toContain("default-src 'none'");
  });
});
