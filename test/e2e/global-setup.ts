import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { buildConsole, consoleBuildState } from '../../server/src/startup/console-build';
import { providePrivateSecretService } from '../support/secret-service-env';
import { RENDERER_DIR } from './harness/desktop-harness';

const root = fileURLToPath(new URL('../..', import.meta.url));
const viteConfig = join(root, 'desktop/vite.config.ts');
/** What the renderer bundle is built from. */
const SOURCES = [
  'desktop/src/renderer',
  'desktop/src/common',
  'shared/src',
  'ui/src',
  'desktop/vite.config.ts',
];

function newestChange(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((entry) => newestChange(join(path, entry))));
}

/**
 * The renderer as the app ships it, and the web console: built here unless `npm run build:desktop` just did (npm test
 * builds the app once for every suite), so that running this suite alone never tests a stale
 * bundle. Then a private Secret Service (Linux) for the app's keychain.
 */
export default async function globalSetup(): Promise<() => Promise<void>> {
  const index = join(RENDERER_DIR, 'index.html');
  const built = existsSync(index) ? statSync(index).mtimeMs : 0;
  if (Math.max(...SOURCES.map((source) => newestChange(join(root, source)))) > built) {
    await build({ configFile: viteConfig, logLevel: 'warn' });
  }
  // The web console as the server serves it, rebuilt when its sources changed.
  if (consoleBuildState() !== 'built') await buildConsole();
  return providePrivateSecretService();
}
