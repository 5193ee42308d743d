import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

/**
 * The web console, built into dist/ and served by the server at /console. File names carry a hash
 * of their content, so the server can tell browsers to keep them for a year. The build has no
 * inline script and no eval: the server's strict Content Security Policy applies to it as it is.
 */
export default defineConfig(({ mode }) => ({
  root,
  base: '/console/',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('./dist', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: mode !== 'production',
    // The polyfill would be an inline-free script, but current browsers do not need it.
    modulePreload: { polyfill: false },
    // Every asset as a file: the CSP allows `data:` for images only.
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 800,
  },
}));
