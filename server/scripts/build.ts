/**
 * Builds the server into server/dist (run with tsx: `npm run build:server`), so that it runs with
 * plain `node server/dist/main.js`: no TypeScript loader, one process, signals straight to it.
 *
 *   dist/main.js   the server: src/main.ts and everything it imports, bundled
 *   dist/cli.js    the operator commands: src/cli.ts, bundled
 *   dist/wal-checkpoint-worker.js   the store's checkpoint worker thread, bundled
 *   console/dist/  the web console the server serves (built if missing or stale)
 *
 * Only Node's own modules and the native add-ons stay outside, loaded from node_modules at run
 * time; each bundle's remaining imports are checked against that list.
 */
import { statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative, resolve } from 'node:path';
import { build } from 'esbuild';
import { buildConsole, consoleBuildState, CONSOLE_DIST_DIR } from '../src/startup/console-build';

const serverDir = resolve(import.meta.dirname, '..');

/**
 * Compiled per platform and Node version: installed by npm, never bundled. Vite too: the server
 * loads it only to build a missing console, and says so when it is not installed.
 */
const EXTERNALS = ['better-sqlite3-multiple-ciphers', '@node-rs/argon2', 'vite'];

async function main(): Promise<void> {
  const outDir = join(serverDir, 'dist');
  const result = await build({
    entryPoints: {
      main: join(serverDir, 'src/main.ts'),
      cli: join(serverDir, 'src/cli.ts'),
      // Started by the store as a worker thread, from beside main.js and cli.js.
      'wal-checkpoint-worker': join(serverDir, 'src/store/sqlite/wal-checkpoint-worker.ts'),
    },
    outdir: outDir,
    bundle: true,
    platform: 'node',
    // ESM for main.ts's top-level await; the CommonJS packages bundled in still `require` Node's
    // own modules, which an ES module gets from createRequire.
    format: 'esm',
    target: 'node20.19',
    banner: {
      js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
    },
    sourcemap: 'linked',
    metafile: true,
    logLevel: 'warning',
    legalComments: 'none',
    tsconfig: join(serverDir, 'tsconfig.json'),
    define: {
      'process.env.NODE_ENV': '"production"',
      // ws tries two optional native add-ons in a try/catch; none is installed.
      'process.env.WS_NO_BUFFER_UTIL': '"1"',
      'process.env.WS_NO_UTF_8_VALIDATE': '"1"',
    },
    external: EXTERNALS,
  });
  const builtins = new Set([...builtinModules, ...builtinModules.map((name) => `node:${name}`)]);
  const unexpected = new Set<string>();
  for (const output of Object.values(result.metafile.outputs))
    for (const imported of output.imports)
      if (imported.external && !EXTERNALS.includes(imported.path) && !builtins.has(imported.path))
        unexpected.add(imported.path);
  if (unexpected.size > 0)
    throw new Error(
      `the bundle requires modules that would be missing at run time: ${[...unexpected].join(', ')}`,
    );
  if (consoleBuildState() !== 'built') await buildConsole();
  console.log(`  ${relative(process.cwd(), CONSOLE_DIST_DIR)}/`);
  for (const file of ['main.js', 'cli.js']) {
    const path = join(outDir, file);
    console.log(`  ${relative(process.cwd(), path)}  ${(statSync(path).size / 1024).toFixed(1)} KiB`);
  }
}

main().catch((error: unknown) => {
  console.error(`build failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
