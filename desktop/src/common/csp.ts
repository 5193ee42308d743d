/**
 * The renderer's Content Security Policy, one string for both places it is set: the `<meta>` of
 * the built `index.html` and the header main serves the app's pages with. The renderer speaks to
 * nothing but main (through the preload), so it may load only its own files and connect nowhere.
 */
export const RENDERER_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'none'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
