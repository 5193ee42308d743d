import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The server package's own folder, found from this file whether it runs from source
 * (server/src/startup/) or bundled (server/dist/main.js): the first folder up whose package.json
 * names the server.
 */
function serverPackageDir(): string {
  let dir = import.meta.dirname;
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const name = (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name;
      if (name === '@enclave/server') return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the server package folder');
    dir = parent;
  }
}

const serverDir = serverPackageDir();
const repoDir = dirname(serverDir);

/** The console's sources (a Vite project) and where its build goes. */
export const CONSOLE_DIR = join(serverDir, 'console');
export const CONSOLE_DIST_DIR = join(CONSOLE_DIR, 'dist');

/** What the console bundle is made of: its own sources, the shared components and the contracts. */
const SOURCES = [
  join(CONSOLE_DIR, 'src'),
  join(CONSOLE_DIR, 'index.html'),
  join(CONSOLE_DIR, 'vite.config.ts'),
  join(repoDir, 'ui', 'src'),
  join(repoDir, 'shared', 'src'),
];

function newestChange(path: string): number {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((entry) => newestChange(join(path, entry))));
}

export type ConsoleBuildState = 'built' | 'missing' | 'stale';

/**
 * Whether the console's build is there and newer than every source it is made of. Without the
 * sources (an installation of the built server alone) a build that is there counts as current.
 */
export function consoleBuildState(
  distDir: string = CONSOLE_DIST_DIR,
  sources: readonly string[] = SOURCES,
): ConsoleBuildState {
  const index = join(distDir, 'index.html');
  if (!existsSync(index)) return 'missing';
  const built = statSync(index).mtimeMs;
  return Math.max(0, ...sources.map(newestChange)) > built ? 'stale' : 'built';
}

/** Builds the console with Vite into server/console/dist. Vite is a build tool: loaded only here. */
export async function buildConsole(): Promise<void> {
  const { build } = await import('vite');
  // Errors only: the start-up log is for operators, and a bundle-size hint is not theirs to act on.
  await build({ configFile: join(CONSOLE_DIR, 'vite.config.ts'), logLevel: 'error' });
}

export interface ConsoleBuildLog {
  info(message: string): void;
  warn(message: string): void;
}

/**
 * `npm start` on a fresh clone: builds the console if its build is missing or older than its
 * sources, and says so. A failed build does not stop the server (the API and the desktop app
 * work without the console); it says why, and the console's pages say it is not built.
 */
export async function ensureConsoleBuilt(log: ConsoleBuildLog): Promise<void> {
  const state = consoleBuildState();
  if (state === 'built') return;
  if (!existsSync(join(CONSOLE_DIR, 'vite.config.ts'))) {
    if (state === 'missing') log.warn('the web console is not built and its sources are not here');
    return;
  }
  log.info(
    state === 'missing'
      ? 'the web console is not built yet: building it now (once, a few seconds)'
      : 'the web console is older than its sources: building it again',
  );
  const started = Date.now();
  try {
    await buildConsole();
    log.info(`web console built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    log.warn(`the web console could not be built (${reason}); the API still works, /console does not`);
  }
}
