import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findElectronBinary } from './electron-binary';

let packageDir: string;

beforeEach(() => {
  packageDir = mkdtempSync(join(tmpdir(), 'electron-pkg-'));
});
afterEach(() => {
  rmSync(packageDir, { recursive: true, force: true });
});

describe('findElectronBinary', () => {
  it('says why when the binary was never downloaded', () => {
    const found = findElectronBinary({ env: {}, packageDir });
    expect(found.path).toBeNull();
    expect(found.reason).toMatch(/^Electron binary not installed: .*path\.txt does not exist/);
  });

  it('says why when path.txt names an executable that is not there', () => {
    writeFileSync(join(packageDir, 'path.txt'), 'electron');
    const found = findElectronBinary({ env: {}, packageDir });
    expect(found.path).toBeNull();
    expect(found.reason).toContain(join(packageDir, 'dist', 'electron'));
  });

  it('finds the executable named by path.txt, in dist/ or the overriding folder', () => {
    writeFileSync(join(packageDir, 'path.txt'), 'electron');
    mkdirSync(join(packageDir, 'dist'));
    writeFileSync(join(packageDir, 'dist', 'electron'), '');
    expect(findElectronBinary({ env: {}, packageDir })).toEqual({
      path: join(packageDir, 'dist', 'electron'),
      reason: null,
    });

    const other = join(packageDir, 'elsewhere');
    mkdirSync(other);
    expect(findElectronBinary({ env: { ELECTRON_OVERRIDE_DIST_PATH: other }, packageDir }).path).toBeNull();
    writeFileSync(join(other, 'electron'), '');
    expect(findElectronBinary({ env: { ELECTRON_OVERRIDE_DIST_PATH: other }, packageDir }).path).toBe(
      join(other, 'electron'),
    );
  });

  it('takes ENCLAVE_ELECTRON_PATH first, and refuses one that does not exist', () => {
    const binary = join(packageDir, 'my-electron');
    expect(findElectronBinary({ env: { ENCLAVE_ELECTRON_PATH: binary }, packageDir }).reason).toMatch(
      /does not exist/,
    );
    writeFileSync(binary, '');
    expect(findElectronBinary({ env: { ENCLAVE_ELECTRON_PATH: binary }, packageDir })).toEqual({
      path: binary,
      reason: null,
    });
  });
});
