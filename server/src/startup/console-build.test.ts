import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { consoleBuildState } from './console-build';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function layout(): { dist: string; source: string; file: string } {
  const root = mkdtempSync(join(tmpdir(), 'enclave-console-build-'));
  dirs.push(root);
  const dist = join(root, 'dist');
  const source = join(root, 'src');
  mkdirSync(join(source, 'nested'), { recursive: true });
  const file = join(source, 'nested', 'Page.tsx');
  writeFileSync(file, 'export {};\n');
  return { dist, source, file };
}

const at = (path: string, seconds: number) => utimesSync(path, seconds, seconds);

describe('consoleBuildState', () => {
  it('is missing without a built index.html', () => {
    const { dist, source } = layout();
    expect(consoleBuildState(dist, [source])).toBe('missing');
  });

  it('is stale when any source, however deep, changed after the build', () => {
    const { dist, source, file } = layout();
    mkdirSync(dist);
    writeFileSync(join(dist, 'index.html'), '<!doctype html>');
    at(join(source, 'nested'), 1_000);
    at(source, 1_000);
    at(join(dist, 'index.html'), 2_000);
    at(file, 1_500);
    expect(consoleBuildState(dist, [source])).toBe('built');
    at(file, 2_500);
    expect(consoleBuildState(dist, [source])).toBe('stale');
  });

  it('counts a build whose sources are absent (a built server installed alone) as current', () => {
    const { dist } = layout();
    mkdirSync(dist);
    writeFileSync(join(dist, 'index.html'), '<!doctype html>');
    expect(consoleBuildState(dist, [join(dist, 'no-such-source')])).toBe('built');
  });
});
