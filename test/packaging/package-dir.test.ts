import { execFile } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * Runs electron-builder for real (Linux, unpacked `dir` target) against a stand-in Electron
 * binary: the real one cannot be downloaded here, and electron-builder only copies the binary and
 * flips the fuse bytes in it. The stand-in carries Electron's fuse wire (sentinel, version,
 * length, one byte per fuse) set to Electron's defaults, so this checks what packaging actually
 * produces — the fuses flipped in the binary, what the asar holds, what is left unpacked — not
 * only what the configuration says. Native modules are not rebuilt (that needs Electron's headers).
 */

const root = join(import.meta.dirname, '..', '..');
const run = promisify(execFile);
const fromBuilder = createRequire(createRequire(import.meta.url).resolve('app-builder-lib/package.json'));
const asar = fromBuilder('@electron/asar') as { listPackage(archive: string): string[] };

const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
/** Electron's fuse order (wire version 1) and its defaults: '1' enabled, '0' disabled. */
const FUSES = [
  ['runAsNode', '1'],
  ['enableCookieEncryption', '0'],
  ['enableNodeOptionsEnvironmentVariable', '1'],
  ['enableNodeCliInspectArguments', '1'],
  ['enableEmbeddedAsarIntegrityValidation', '0'],
  ['onlyLoadAppFromAsar', '0'],
  ['loadBrowserProcessSpecificV8Snapshot', '0'],
  ['grantFileProtocolExtraPrivileges', '1'],
] as const;

function fuseWire(binary: Buffer): Record<string, boolean> {
  const at = binary.indexOf(SENTINEL) + SENTINEL.length;
  const length = binary[at + 1] ?? 0;
  return Object.fromEntries(
    FUSES.slice(0, length).map(([name], i) => [name, binary[at + 2 + i] === '1'.charCodeAt(0)]),
  );
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)).split(sep).join('/'));
}

let work: string;
let appDir: string;

beforeAll(async () => {
  // The bundles electron-builder packs; built (main and preload only) if this checkout has none.
  if (!existsSync(join(root, 'desktop', 'out', 'main.cjs'))) {
    await run(
      process.execPath,
      [join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'desktop/scripts/build.ts', '--skip-renderer'],
      {
        cwd: root,
      },
    );
  }
  work = mkdtempSync(join(tmpdir(), 'enclave-package-'));
  const dist = join(work, 'electron-dist');
  mkdirSync(join(dist, 'resources'), { recursive: true });
  const wire = Buffer.from([1, FUSES.length, ...FUSES.map(([, state]) => state.charCodeAt(0))]);
  writeFileSync(
    join(dist, 'electron'),
    Buffer.concat([Buffer.from('#!/bin/sh\nexit 0\n'), Buffer.from(SENTINEL), wire]),
  );
  chmodSync(join(dist, 'electron'), 0o755);
  writeFileSync(join(dist, 'version'), 'v45.5.0');
  writeFileSync(join(dist, 'LICENSE'), '');

  await run(
    process.execPath,
    [
      fromBuilder.resolve('electron-builder/cli.js', { paths: [root] }),
      '--linux',
      'dir',
      `-c.electronDist=${dist}`,
      '-c.npmRebuild=false',
      `-c.directories.output=${join(work, 'out')}`,
    ],
    { cwd: root, env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' } },
  );
  appDir = join(work, 'out', 'linux-unpacked');
}, 120_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('a packaged app (electron-builder --linux dir, stand-in Electron binary)', () => {
  it('has every fuse flipped as electron-builder.yml says', () => {
    expect(fuseWire(readFileSync(join(appDir, 'enclave')))).toEqual({
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

  it('holds the bundles, package.json and the native modules in app.asar, and no sources', () => {
    const entries = asar
      .listPackage(join(appDir, 'resources', 'app.asar'))
      .map((entry) => entry.replaceAll('\\', '/'));
    expect(entries).toContain('/out/main.cjs');
    expect(entries).toContain('/out/preload.cjs');
    expect(entries).toContain('/package.json');
    expect(entries).toContain('/node_modules/keytar/lib/keytar.js');
    expect(entries).toContain('/node_modules/better-sqlite3-multiple-ciphers/lib/index.js');
    expect(entries.filter((entry) => entry.endsWith('.map'))).toEqual([]);
    expect(entries.filter((entry) => entry.endsWith('.ts'))).toEqual([]);
    expect(entries.filter((entry) => /^\/(src|scripts|dist)\//.test(entry))).toEqual([]);
    expect(entries.filter((entry) => entry.includes('test_extension'))).toEqual([]);
    expect(entries.filter((entry) => entry.endsWith('sqlite3.c'))).toEqual([]);
  });

  it('leaves only the native binaries outside the archive (and its integrity check)', () => {
    expect(filesUnder(join(appDir, 'resources', 'app.asar.unpacked')).sort()).toEqual([
      'node_modules/better-sqlite3-multiple-ciphers/build/Release/better_sqlite3.node',
      'node_modules/keytar/build/Release/keytar.node',
    ]);
    expect(readdirSync(join(appDir, 'resources')).sort()).toEqual(['app.asar', 'app.asar.unpacked']);
  });
});
