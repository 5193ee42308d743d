import { extname, isAbsolute, join, relative } from 'node:path';
import { RENDERER_CSP } from '../../common/csp';
import { APP_URL, isAppUrl } from './app-origin';

/**
 * The content types the app serves, by extension. A file of any other kind is refused: the build
 * checks that the renderer folder holds nothing else (desktop/scripts/build.ts), so a missing
 * entry shows up when building, not as a broken page.
 */
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.otf': 'font/otf',
  '.wasm': 'application/wasm',
};

/** The content type of a file the app serves, or null for a kind it does not serve. */
export function contentTypeOf(filePath: string): string | null {
  return CONTENT_TYPES[extname(filePath).toLowerCase()] ?? null;
}

export type AppFileResolution =
  | { ok: true; filePath: string; contentType: string }
  | { ok: false; status: 400 | 403 | 404 | 405; reason: string };

/** Names Windows takes for devices in any folder, with any extension (`CON.js` is the console). */
const WINDOWS_DEVICE_NAME = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$/i;
// eslint-disable-next-line no-control-regex -- control characters are exactly what it looks for
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

/**
 * Maps a request of the app scheme to a file of the renderer folder `rootDir`, or refuses it.
 *
 * Only GET/HEAD of the app's own origin. The path is percent-decoded once, then each segment must
 * be a plain file or folder name: no `.`/`..` (including their encoded forms `%2e%2e`, which the
 * URL parser leaves alone), no encoded `/` or `\` (`..%2f`, `%5c`) that would make a segment a
 * path, no `:` (drive letters, NTFS streams), no control characters, no hidden files, no Windows
 * device names. The result is then checked to lie inside `rootDir` once more, so a mistake in
 * the rules above still cannot reach outside it. `/` serves `index.html`.
 */
export function resolveAppFile(
  rootDir: string,
  request: { method: string; url: string },
  appUrl: string = APP_URL,
): AppFileResolution {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    return { ok: false, status: 405, reason: 'method not allowed' };
  }
  if (!isAppUrl(request.url, appUrl)) return { ok: false, status: 403, reason: 'not the app origin' };
  // A custom scheme's URL may come without a path (`app://enclave`): that is the root.
  const pathname = new URL(request.url).pathname || '/';

  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return { ok: false, status: 400, reason: 'malformed percent-encoding' };
  }
  if (!decoded.startsWith('/')) return { ok: false, status: 400, reason: 'relative path' };
  if (decoded.includes('\\') || CONTROL_CHARACTER.test(decoded)) {
    return { ok: false, status: 400, reason: 'forbidden character in path' };
  }
  const segments = decoded.slice(1).split('/');
  if (segments.at(-1) === '') segments[segments.length - 1] = 'index.html';
  for (const segment of segments) {
    if (segment === '' || segment === '.' || segment === '..') {
      return { ok: false, status: 400, reason: 'path traversal' };
    }
    if (segment.startsWith('.') || segment.includes(':') || WINDOWS_DEVICE_NAME.test(segment)) {
      return { ok: false, status: 404, reason: 'not served' };
    }
  }

  const filePath = join(rootDir, ...segments);
  const inside = relative(rootDir, filePath);
  if (inside === '' || inside.startsWith('..') || isAbsolute(inside)) {
    return { ok: false, status: 403, reason: 'outside the renderer folder' };
  }
  const contentType = contentTypeOf(filePath);
  if (contentType === null) return { ok: false, status: 404, reason: 'not a served file type' };
  return { ok: true, filePath, contentType };
}

/**
 * Headers of every response of the app scheme. The CSP is the renderer's one policy (also in the
 * page's `<meta>`; a header is the copy no page edit can drop). `nosniff` so a file is only ever
 * used as its declared type; the page may not be framed, opened into, or embedded elsewhere.
 */
export function appResponseHeaders(contentType: string): Record<string, string> {
  return {
    'Content-Type': contentType,
    'Content-Security-Policy': RENDERER_CSP,
    'X-Content-Type-Options': 'nosniff',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-store',
  };
}
