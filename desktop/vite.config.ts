import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';
import { RENDERER_CSP } from './src/common/csp.ts';

const root = fileURLToPath(new URL('./src/renderer', import.meta.url));
const outDir = fileURLToPath(new URL('./out/renderer', import.meta.url));

/** Directives a `<meta>` policy cannot carry (browsers ignore them there, with a console warning). */
const HEADER_ONLY = new Set(['frame-ancestors', 'report-uri', 'report-to', 'sandbox']);

/** The policy as a `<meta>` can state it; main's header carries the whole string. */
const metaPolicy = RENDERER_CSP.split(';')
  .map((directive) => directive.trim())
  .filter((directive) => !HEADER_ONLY.has(directive.split(/\s+/)[0] ?? ''))
  .join('; ');

/**
 * Puts the renderer's Content Security Policy into the built `index.html` from the one string in
 * `src/common/csp.ts` (main sends the same string as a header), so the two cannot drift. Built
 * pages only: the dev server's HMR client needs an inline script and a WebSocket, which this
 * policy forbids; nothing ships from the dev server.
 */
function contentSecurityPolicy(): Plugin {
  return {
    name: 'enclave-renderer-csp',
    apply: 'build',
    transformIndexHtml: {
      order: 'pre',
      handler: () => [
        {
          tag: 'meta',
          attrs: { 'http-equiv': 'Content-Security-Policy', content: metaPolicy },
          injectTo: 'head-prepend',
        },
      ],
    },
  };
}

export default defineConfig(({ mode }) => ({
  root,
  // Relative asset URLs: the same build loads from app://enclave/index.html and from
  // http://127.0.0.1:<port>/index.html (the test harness) without knowing which.
  base: './',
  plugins: [react(), contentSecurityPolicy()],
  build: {
    outDir,
    emptyOutDir: true,
    // Electron 45 ships Chromium 140: no syntax needs lowering.
    target: 'chrome130',
    sourcemap: mode !== 'production',
    // Chromium has native modulepreload; the polyfill would only add code.
    modulePreload: { polyfill: false },
    // Every asset as a file: `data:` URLs are allowed for images only, and fonts come from the OS.
    assetsInlineLimit: 0,
    // One chunk, read from the local disk: splitting it would only add requests. ~180 kB gzipped,
    // mostly react-dom, zod (the shared validators) and RxDB.
    chunkSizeWarningLimit: 800,
  },
}));
