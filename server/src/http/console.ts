import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import express, { Router } from 'express';
import { sendError } from './errors';

/** Where the console lives in the browser; every page of it is under this path. */
export const CONSOLE_BASE = '/console';

/**
 * The pages behind the links the server sends out, at the paths older links used: each now opens
 * the same page of the console, query string and all (it carries the one-time token).
 */
const LINK_PAGES = ['setup', 'verify-email', 'invite', 'reset-password'] as const;

/** A year: hashed file names change whenever their content does, so a cached copy is never stale. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Enclave</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
</head><body><main>
<h1>The web console is not built</h1>
<p>This server was started without the console's files. Run <code>npm run build:console</code>
(or start the server with <code>npm start</code>, which builds it when it is missing) and reload.</p>
</main></body></html>`;

/**
 * Serves the web console's built files: `index.html` for every console path (the console routes
 * in the browser), never cached, and the hashed assets as immutable. The same security headers as
 * every other answer apply, the strict CSP included: the build has no inline script.
 */
export function consoleRoutes(distDir: string): Router {
  const router = Router();
  const indexPath = join(distDir, 'index.html');
  // Read once found: a build made after the server started is picked up, and then kept.
  let index: string | null = null;
  const readIndex = () => (index ??= existsSync(indexPath) ? readFileSync(indexPath, 'utf8') : null);

  router.use(
    `${CONSOLE_BASE}/assets`,
    express.static(join(distDir, 'assets'), {
      index: false,
      redirect: false,
      fallthrough: true,
      setHeaders: (res) => res.setHeader('Cache-Control', IMMUTABLE),
    }),
    (_req, res) => sendError(res, 'not_found', 'No such console file'),
  );

  const page: express.RequestHandler = (_req, res) => {
    const html = readIndex();
    if (html === null) {
      res.status(503).type('html').send(NOT_BUILT);
      return;
    }
    res.type('html').send(html);
  };
  router.get(CONSOLE_BASE, page);
  router.get(`${CONSOLE_BASE}/{*path}`, page);
  router.get('/', (_req, res) => res.redirect(302, `${CONSOLE_BASE}/`));

  for (const link of LINK_PAGES) {
    router.get(`/${link}`, (req, res) => {
      const query = req.originalUrl.indexOf('?');
      res.redirect(302, `${CONSOLE_BASE}/${link}${query >= 0 ? req.originalUrl.slice(query) : ''}`);
    });
  }
  return router;
}
