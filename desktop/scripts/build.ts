/**
 * Builds the desktop app into desktop/out (run with tsx: `npm run build:desktop`):
 *
 *   out/main.cjs      main process: src/main/electron/main.ts and everything it imports, bundled;
 *                     only Electron and the two native modules stay outside, loaded at run time
 *   out/fill-worker.cjs  the replica fill's worker thread (src/main/replica/fill-worker.ts), which
 *                     main starts from beside itself; bundled the same way
 *   out/preload.cjs   the preload: bundled whole, requiring nothing but `electron` — a sandboxed
 *                     preload's `require` knows no other module
 *   out/renderer/     the renderer, built by Vite with desktop/vite.config.ts
 *
 * Each bundle's remaining imports are checked against that list, and the renderer folder against
 * what the app protocol serves, so a mistake fails here rather than in the packaged app.
 *
 * Options: --out-dir <dir> (default desktop/out), --skip-renderer (main and preload only; the
 * bundle test uses it).
 */
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { build, type BuildOptions, type Metafile } from 'esbuild';
import { RENDERER_CSP } from '../src/common/csp';
import { contentTypeOf } from '../src/main/shell/app-protocol';

const desktopDir = resolve(import.meta.dirname, '..');
const srcDir = join(desktopDir, 'src');

/** Native modules: compiled per Electron version, shipped unbundled (and unpacked from the asar). */
const MAIN_EXTERNALS = ['electron', 'keytar', 'better-sqlite3-multiple-ciphers'];
const PRELOAD_EXTERNALS = ['electron'];

class BuildError extends Error {}

/** The imports a bundle left outside that it may not: anything but `allowed` and, for main, Node's own modules. */
function unexpectedExternals(
  metafile: Metafile,
  allowed: readonly string[],
  nodeBuiltins: boolean,
): string[] {
  const builtins = new Set([...builtinModules, ...builtinModules.map((name) => `node:${name}`)]);
  const found = new Set<string>();
  for (const output of Object.values(metafile.outputs)) {
    for (const imported of output.imports) {
      if (!imported.external) continue;
      if (allowed.includes(imported.path)) continue;
      if (nodeBuiltins && builtins.has(imported.path)) continue;
      found.add(imported.path);
    }
  }
  return [...found].sort();
}

async function bundle(
  name: string,
  options: BuildOptions,
  allowed: readonly string[],
  nodeBuiltins: boolean,
) {
  const result = await build({
    bundle: true,
    format: 'cjs',
    sourcemap: 'linked',
    metafile: true,
    logLevel: 'warning',
    legalComments: 'none',
    tsconfig: join(desktopDir, 'tsconfig.json'),
    define: {
      ...(nodeBuiltins ? { 'import.meta.url': 'importMetaUrl' } : {}),
      'process.env.NODE_ENV': '"production"',
      // ws tries two optional native add-ons in a try/catch; the app ships neither, so the
      // attempts are compiled out rather than left as requires that fail at run time.
      'process.env.WS_NO_BUFFER_UTIL': '"1"',
      'process.env.WS_NO_UTF_8_VALIDATE': '"1"',
    },
    external: [...allowed],
    // The Node bundles are CommonJS: `import.meta.url` is the bundle's own file (see the shim).
    inject: nodeBuiltins ? [join(desktopDir, 'scripts/import-meta.ts')] : [],
    ...options,
  });
  if (result.metafile === undefined) throw new BuildError(`${name}: esbuild returned no metafile to check`);
  const unexpected = unexpectedExternals(result.metafile, allowed, nodeBuiltins);
  if (unexpected.length > 0) {
    throw new BuildError(
      `${name} requires modules that are not bundled and would be missing at run time: ${unexpected.join(', ')}`,
    );
  }
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((entry) => join(dir, entry))
    .filter((path) => statSync(path).isFile());
}

/** Directives a CSP `<meta>` cannot carry (browsers ignore them there); the header has them. */
const HEADER_ONLY_DIRECTIVES = new Set(['frame-ancestors', 'report-uri', 'report-to', 'sandbox']);

/** A policy's directives, normalised (one space between tokens), in order. */
const directivesOf = (policy: string): string[] =>
  policy
    .split(';')
    .map((directive) => directive.trim().split(/\s+/).join(' '))
    .filter((directive) => directive !== '');

/** The policy the page's `<meta>` must state: RENDERER_CSP without the header-only directives. */
const metaPolicyOf = (policy: string): string[] =>
  directivesOf(policy).filter((directive) => !HEADER_ONLY_DIRECTIVES.has(directive.split(' ')[0] ?? ''));

/** The `content` of the built page's CSP `<meta>`, with the HTML entities Vite may write decoded. */
function metaCsp(html: string): string | null {
  const meta = /<meta\s[^>]*http-equiv=["']Content-Security-Policy["'][^>]*>/i.exec(html)?.[0];
  const content = meta === undefined ? undefined : /\scontent="([^"]*)"/i.exec(meta)?.[1];
  if (content === undefined) return null;
  return content.replaceAll('&#39;', "'").replaceAll('&quot;', '"').replaceAll('&amp;', '&');
}

async function buildRenderer(outDir: string): Promise<void> {
  const configFile = join(desktopDir, 'vite.config.ts');
  if (!existsSync(configFile)) {
    throw new BuildError(
      'desktop/vite.config.ts does not exist: the renderer cannot be built (main and preload were). ' +
        'It comes with the renderer; until then out/renderer stays empty and the app shows no page.',
    );
  }
  const { build: viteBuild } = await import('vite');
  const rendererDir = join(outDir, 'renderer');
  try {
    await viteBuild({ configFile, mode: 'production', logLevel: 'warn', build: { outDir: rendererDir } });
  } catch (error) {
    throw new BuildError(`the renderer (Vite, desktop/vite.config.ts) failed: ${String(error)}`);
  }

  const index = join(rendererDir, 'index.html');
  if (!existsSync(index)) throw new BuildError(`the renderer build made no ${relative(desktopDir, index)}`);
  const unserved = filesUnder(rendererDir).filter((file) => contentTypeOf(file) === null);
  if (unserved.length > 0) {
    throw new BuildError(
      `the renderer build made files the app protocol does not serve (add their type to ` +
        `src/main/shell/app-protocol.ts if they are needed): ${unserved.map((f) => relative(rendererDir, f)).join(', ')}`,
    );
  }
  const meta = metaCsp(readFileSync(index, 'utf8'));
  if (meta === null || directivesOf(meta).join('; ') !== metaPolicyOf(RENDERER_CSP).join('; ')) {
    throw new BuildError(
      'out/renderer/index.html must state RENDERER_CSP (src/common/csp.ts) in its CSP <meta>, ' +
        `less the header-only directives; it has ${meta === null ? 'none' : JSON.stringify(meta)}`,
    );
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { 'out-dir': { type: 'string' }, 'skip-renderer': { type: 'boolean', default: false } },
  });
  const outDir = resolve(values['out-dir'] ?? join(desktopDir, 'out'));
  rmSync(outDir, { recursive: true, force: true });

  await Promise.all([
    bundle(
      'main',
      {
        entryPoints: [join(srcDir, 'main/electron/main.ts')],
        outfile: join(outDir, 'main.cjs'),
        platform: 'node',
        // Electron 45's Node.
        target: 'node22',
        // keytar is loaded with `import()` (on first use); as a `require` it loads the way every
        // other module of main does, from inside the asar, with no ESM loader involved.
        supported: { 'dynamic-import': false },
      },
      MAIN_EXTERNALS,
      true,
    ),
    bundle(
      'fill-worker',
      {
        entryPoints: [join(srcDir, 'main/replica/fill-worker.ts')],
        outfile: join(outDir, 'fill-worker.cjs'),
        platform: 'node',
        target: 'node22',
      },
      MAIN_EXTERNALS,
      true,
    ),
    bundle(
      'preload',
      {
        entryPoints: [join(srcDir, 'preload/preload.ts')],
        outfile: join(outDir, 'preload.cjs'),
        // A sandboxed preload has no Node: `browser` makes any Node import a build error.
        platform: 'browser',
        target: 'chrome130',
      },
      PRELOAD_EXTERNALS,
      false,
    ),
  ]);
  if (!values['skip-renderer']) await buildRenderer(outDir);

  for (const file of ['main.cjs', 'fill-worker.cjs', 'preload.cjs', 'renderer/index.html']) {
    const path = join(outDir, file);
    if (existsSync(path))
      console.log(`  ${relative(process.cwd(), path)}  ${(statSync(path).size / 1024).toFixed(1)} KiB`);
  }
}

main().catch((error: unknown) => {
  console.error(`build failed: ${error instanceof BuildError ? error.message : String(error)}`);
  if (!(error instanceof BuildError) && error instanceof Error && error.stack) console.error(error.stack);
  process.exitCode = 1;
});
