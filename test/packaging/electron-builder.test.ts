import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

/**
 * The packaging configuration's security settings, checked one by one, so that a later edit of
 * electron-builder.yml cannot silently drop a fuse, the hardened runtime or the asar, widen the
 * entitlements, or put a credential in the file. The file is first loaded and validated by the
 * installed electron-builder itself (its own loader and JSON-schema validator), so a key it would
 * reject — a misspelt fuse that would otherwise be ignored by this test's lookups — fails here.
 */

const root = join(import.meta.dirname, '..', '..');
const require = createRequire(import.meta.url);

/** electron-builder's own config loader and validator (no public entry point exports them). */
interface ConfigModule {
  getConfig(projectDir: string, configPath: string | null, configFromOptions: unknown): Promise<Config>;
  validateConfiguration(config: unknown, debugLogger: { isEnabled: boolean; add(): void }): Promise<void>;
}
type Config = Record<string, unknown> & {
  electronFuses?: Record<string, unknown> | null;
  mac?: Record<string, unknown>;
  nsis?: Record<string, unknown>;
  win?: Record<string, unknown>;
  linux?: Record<string, unknown>;
};
const builderConfig = require('app-builder-lib/out/util/config/config.js') as ConfigModule;
const quiet = { isEnabled: false, add: () => undefined };

const loadConfig = (): Promise<Config> => builderConfig.getConfig(root, null, null);
const rawConfig = (): Config => parse(readFileSync(join(root, 'electron-builder.yml'), 'utf8')) as Config;

describe('electron-builder.yml', () => {
  it("is valid for the installed electron-builder's schema", async () => {
    await expect(builderConfig.validateConfiguration(await loadConfig(), quiet)).resolves.toBeUndefined();
  });

  it('is refused by that validator when a fuse is misspelt (the check is live)', async () => {
    const config = await loadConfig();
    config.electronFuses = { ...config.electronFuses, runAsnode: false };
    await expect(builderConfig.validateConfiguration(config, quiet)).rejects.toThrow(/electronFuses/);
  });

  it('flips every fuse the app relies on, to the safe side', async () => {
    const { electronFuses } = await loadConfig();
    expect(electronFuses).toEqual({
      runAsNode: false,
      enableCookieEncryption: true,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      loadBrowserProcessSpecificV8Snapshot: false,
      grantFileProtocolExtraPrivileges: false,
    });
  });

  it('packs the app into an asar, unpacking native binaries only, with integrity on', async () => {
    const config = await loadConfig();
    expect(config.asar).toEqual({ smartUnpack: false });
    expect(config.asarUnpack).toEqual(['**/*.node']);
    expect(config.disableAsarIntegrity ?? false).toBe(false);
  });

  it('ships the bundles and package.json only, without source maps', () => {
    const files = rawConfig().files as string[];
    const included = files.filter((pattern) => !pattern.startsWith('!'));
    expect(included.sort()).toEqual(['out/**', 'package.json']);
    expect(files).toContain('!out/**/*.map');
  });

  it('rebuilds native modules for Electron, from source', async () => {
    const config = await loadConfig();
    expect(config.npmRebuild).toBe(true);
    expect(config.buildDependenciesFromSource).toBe(true);
  });

  it('fails a build that would not be code-signed, and publishes nothing', async () => {
    const config = await loadConfig();
    expect(config.forceCodeSigning).toBe(true);
    expect(config.publish).toBeNull();
  });

  it('registers the enclave:// scheme for pairing links', async () => {
    expect((await loadConfig()).protocols).toEqual([{ name: 'Enclave', schemes: ['enclave'] }]);
  });

  it('signs macOS builds with the hardened runtime, minimal entitlements, and notarises them', async () => {
    const { mac, dmg } = (await loadConfig()) as Config & { dmg?: Record<string, unknown> };
    expect(mac?.hardenedRuntime).toBe(true);
    expect(mac?.entitlements).toBe('build/entitlements.mac.plist');
    expect(mac?.entitlementsInherit).toBe('build/entitlements.mac.plist');
    expect(mac?.notarize).toBe(true);
    expect(mac?.target).toEqual([{ target: 'dmg', arch: ['arm64', 'x64'] }]);
    expect(dmg?.sign).toBe(false);
  });

  it('installs on Windows per user, never elevated', async () => {
    const { nsis, win } = await loadConfig();
    expect(nsis?.perMachine).toBe(false);
    expect(nsis?.oneClick).toBe(true);
    expect(nsis?.packElevateHelper).toBe(false);
    expect(win?.requestedExecutionLevel).toBe('asInvoker');
    expect(win?.target).toEqual([{ target: 'nsis', arch: ['x64', 'arm64'] }]);
  });

  it('builds an AppImage on Linux', async () => {
    expect((await loadConfig()).linux?.target).toEqual([{ target: 'AppImage', arch: ['x64'] }]);
  });

  it('holds no credential: signing and notarisation come from the environment', () => {
    const secretKey =
      /password|csc(link|keypassword|name)|apple(id|apikey)|certificate|identity|token|secret/i;
    const keys: string[] = [];
    const walk = (value: unknown, path: string): void => {
      if (Array.isArray(value)) value.forEach((item, i) => walk(item, `${path}[${i}]`));
      else if (value !== null && typeof value === 'object') {
        for (const [key, inner] of Object.entries(value)) {
          if (secretKey.test(key)) keys.push(`${path}.${key}`);
          walk(inner, `${path}.${key}`);
        }
      }
    };
    walk(rawConfig(), 'config');
    expect(keys).toEqual([]);
  });
});

describe('build/entitlements.mac.plist', () => {
  const plist = readFileSync(join(root, 'build', 'entitlements.mac.plist'), 'utf8');
  const withoutComments = plist.replace(/<!--[\s\S]*?-->/g, '');
  const granted = [...withoutComments.matchAll(/<key>([^<]+)<\/key>\s*<true\s*\/>/g)].map(
    (match) => match[1],
  );

  it('grants the JIT and nothing else', () => {
    expect(granted).toEqual(['com.apple.security.cs.allow-jit']);
    expect([...withoutComments.matchAll(/<key>/g)]).toHaveLength(1);
  });

  it('grants none of the entitlements that would allow code injection', () => {
    for (const entitlement of [
      'com.apple.security.cs.disable-library-validation',
      'com.apple.security.cs.allow-dyld-environment-variables',
      'com.apple.security.cs.allow-unsigned-executable-memory',
      'com.apple.security.get-task-allow',
    ]) {
      expect(withoutComments).not.toContain(entitlement);
    }
  });
});

describe('desktop/package.json', () => {
  const pkg = JSON.parse(readFileSync(join(root, 'desktop', 'package.json'), 'utf8')) as {
    main?: string;
    productName?: string;
    dependencies?: Record<string, string>;
  };

  it('starts the bundled main process', () => {
    expect(pkg.main).toBe('out/main.cjs');
    expect(pkg.productName).toBe('Enclave');
  });

  it('ships as dependencies only the native modules that cannot be bundled', () => {
    // Everything else is in the bundles; a dependency listed here would be copied into the app
    // (and into its attack surface) a second time.
    expect(Object.keys(pkg.dependencies ?? {}).sort()).toEqual(['better-sqlite3-multiple-ciphers', 'keytar']);
  });
});
