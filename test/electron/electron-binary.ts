import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export type ElectronBinary = { path: string; reason: null } | { path: null; reason: string };

interface Where {
  env: Readonly<Record<string, string | undefined>>;
  /** The installed `electron` package's folder. */
  packageDir: string;
}

const installedPackage = (): string =>
  dirname(createRequire(import.meta.url).resolve('electron/package.json'));

/**
 * Finds the Electron executable the launch tests run, or says why there is none. The executable
 * is looked up the way the `electron` package does (its `path.txt` names it inside `dist/`,
 * `ELECTRON_OVERRIDE_DIST_PATH` moves `dist/`), without requiring the package: since Electron 45
 * `require('electron')` starts downloading the binary when it is missing, which a test must not
 * do. `ENCLAVE_ELECTRON_PATH` names an executable directly.
 */
export function findElectronBinary(
  where: Where = { env: process.env, packageDir: installedPackage() },
): ElectronBinary {
  const explicit = where.env.ENCLAVE_ELECTRON_PATH;
  if (explicit !== undefined && explicit !== '') {
    return existsSync(explicit)
      ? { path: explicit, reason: null }
      : {
          path: null,
          reason: `Electron binary not found: ENCLAVE_ELECTRON_PATH is ${explicit}, which does not exist`,
        };
  }
  const pathFile = join(where.packageDir, 'path.txt');
  if (!existsSync(pathFile)) {
    return {
      path: null,
      reason:
        `Electron binary not installed: ${pathFile} does not exist (the package was installed with ` +
        'ELECTRON_SKIP_BINARY_DOWNLOAD=1, or its download failed). Install it with ' +
        '`node node_modules/electron/install.js`, or set ENCLAVE_ELECTRON_PATH.',
    };
  }
  const executable = readFileSync(pathFile, 'utf8').trim();
  const override = where.env.ELECTRON_OVERRIDE_DIST_PATH;
  const path =
    override !== undefined && override !== ''
      ? join(override, executable)
      : join(where.packageDir, 'dist', executable);
  return existsSync(path)
    ? { path, reason: null }
    : { path: null, reason: `Electron binary not installed: ${path} (named by ${pathFile}) does not exist` };
}
