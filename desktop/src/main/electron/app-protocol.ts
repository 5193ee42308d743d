import { readFile } from 'node:fs/promises';
import { protocol } from 'electron';
import type { CoreLog } from '../app/desktop-core';
import { APP_SCHEME, describeUrl } from '../shell/app-origin';
import { appResponseHeaders, resolveAppFile } from '../shell/app-protocol';
import { describeError } from '../shell/console-log';

/**
 * Declares `app:` before the app is ready (Electron requires it then). `standard` gives it real
 * origins and relative URLs like http; `secure` makes its pages a secure context. CORS is enabled
 * because Vite's `<script type="module" crossorigin>` is fetched in CORS mode, which Chromium
 * allows a custom scheme only when it is CORS-enabled; the handler sends no
 * `Access-Control-Allow-Origin`, so no other origin can read its files. Not `bypassCSP`, not
 * service workers, not extensions.
 */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    {
      scheme: APP_SCHEME,
      privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true, codeCache: true },
    },
  ]);
}

/** Serves `app://enclave/…` from the built renderer folder `rootDir`, and nothing else. */
export function serveAppScheme(rootDir: string, log: CoreLog): void {
  protocol.handle(APP_SCHEME, async (request) => {
    const resolved = resolveAppFile(rootDir, { method: request.method, url: request.url });
    if (!resolved.ok) {
      log.warn('refused an app request', {
        url: describeUrl(request.url),
        status: resolved.status,
        reason: resolved.reason,
      });
      return plain(resolved.status);
    }
    let body: Buffer;
    try {
      body = await readFile(resolved.filePath);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR') return plain(404);
      log.error('could not read an app file', { error: describeError(error) });
      return plain(500);
    }
    return new Response(request.method === 'HEAD' ? null : new Uint8Array(body), {
      status: 200,
      headers: appResponseHeaders(resolved.contentType),
    });
  });
}

function plain(status: number): Response {
  return new Response(null, { status, headers: appResponseHeaders('text/plain; charset=utf-8') });
}
