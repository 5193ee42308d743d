import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RENDERER_CSP } from '../../desktop/src/common/csp';
import { cspFindings, failuresOf, scanElectron } from './electronegativity';

/**
 * Proves the Electronegativity check can fail, and that it reads our TypeScript: a deliberately
 * bad sample and weakened copies of our own shell must produce HIGH findings, while the shell as
 * it is produces none. (`npm run check:electron` runs the same scan on desktop/src.)
 */

const root = join(import.meta.dirname, '..', '..');
const shellDir = join(root, 'desktop', 'src', 'main', 'electron');
let work: string;

const highIds = async (dir: string): Promise<string[]> =>
  failuresOf(await scanElectron(dir))
    .findings.map((finding) => finding.id)
    .sort();

/** A copy of our Electron shell with `edit` applied to one of its files. */
function shellCopy(
  name: string,
  edit?: { file: string; from: string; to: string } | { remove: string },
): string {
  const dir = join(work, name);
  cpSync(shellDir, dir, { recursive: true });
  if (edit && 'remove' in edit) rmSync(join(dir, edit.remove));
  else if (edit) {
    const path = join(dir, edit.file);
    const source = readFileSync(path, 'utf8');
    expect(source).toContain(edit.from);
    writeFileSync(path, source.replace(edit.from, edit.to));
  }
  return dir;
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'enclave-eng-'));
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('the Electronegativity check', () => {
  it('finds nothing HIGH in our Electron shell as it is', async () => {
    expect(await highIds(shellCopy('as-is'))).toEqual([]);
  });

  it('reports a window without context isolation in our own window.ts', async () => {
    const dir = shellCopy('no-isolation', {
      file: 'window.ts',
      from: 'contextIsolation: true,',
      to: 'contextIsolation: false,',
    });
    const result = await scanElectron(dir);
    const finding = failuresOf(result).findings.find((issue) => issue.id === 'CONTEXT_ISOLATION_JS_CHECK');
    expect(finding?.severity.name).toBe('HIGH');
    expect(finding?.file).toBe(join(dir, 'window.ts'));
  });

  it('reports missing navigation limits when our navigation guard is gone', async () => {
    expect(await highIds(shellCopy('no-guard', { remove: 'navigation-guard.ts' }))).toContain(
      'LIMIT_NAVIGATION_GLOBAL_CHECK',
    );
  });

  it('fails a deliberately bad app, and says why', async () => {
    const dir = join(work, 'bad-app');
    cpSync(join(import.meta.dirname, 'fixtures', 'bad-app'), dir, { recursive: true });
    expect(await highIds(dir)).toEqual(['CONTEXT_ISOLATION_JS_CHECK', 'LIMIT_NAVIGATION_GLOBAL_CHECK']);

    const run = promisify(execFile);
    const cli = [
      join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'),
      join(import.meta.dirname, 'electronegativity.ts'),
      dir,
    ];
    const failure = await run(process.execPath, cli, { cwd: root }).then(
      () => null,
      (error: unknown) => error as { code: number; stdout: string; stderr: string },
    );
    expect(failure?.code).toBe(1);
    expect(failure?.stdout).toContain('CONTEXT_ISOLATION_JS_CHECK');
    expect(failure?.stderr).toMatch(/FAILED: 2 finding\(s\) of HIGH or CRITICAL severity/);
  });

  it('fails on a file it cannot parse instead of skipping it', async () => {
    const dir = join(work, 'unparsable');
    cpSync(join(import.meta.dirname, 'fixtures', 'bad-app'), dir, { recursive: true });
    writeFileSync(join(dir, 'broken.ts'), 'export const = ;\n');
    expect(failuresOf(await scanElectron(dir)).unparsed.join('\n')).toContain('broken.ts');
  });
});

describe('cspFindings', () => {
  it('finds no weakness in the renderer CSP', () => {
    expect(cspFindings(RENDERER_CSP).weak).toEqual([]);
  });

  it('finds the weaknesses of a loose policy', () => {
    const weak = cspFindings("default-src *; script-src 'self' 'unsafe-inline' https:").weak.join('\n');
    expect(weak).toMatch(/unsafe-inline/);
    expect(weak).toMatch(/object-src/);
  });
});
