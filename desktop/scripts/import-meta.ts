import { pathToFileURL } from 'node:url';

/**
 * Injected into the Node bundles by build.ts, which defines `import.meta.url` as this: a CommonJS
 * bundle has no `import.meta`, and main finds files beside its own (the fill worker) by it.
 */
export const importMetaUrl = pathToFileURL(__filename).href;
