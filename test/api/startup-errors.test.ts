import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deriveKey } from '../../server/src/crypto/keys';

const ROOT = join(import.meta.dirname, '../..');

interface Run {
  code: number | null;
  stderr: string;
  stdout: string;
}

/** Runs the server's entry point as `npm start` does, until it exits or prints that it listens. */
function runMain(env: Record<string, string>, untilListening = false): Promise<Run & { stop: () => void }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/src/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, ENCLAVE_PORT: '0', ENCLAVE_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const stop = () => child.kill('SIGKILL');
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      stop();
      resolve({ code: null, stdout, stderr: stderr + '\n[timed out]', stop });
    }, 30_000);
    if (untilListening) {
      child.stdout.on('data', () => {
        if (stdout.includes('Enclave server listening')) {
          clearTimeout(timer);
          resolve({ code: null, stdout, stderr, stop });
        }
      });
    }
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, stop });
    });
  });
}

/** A refusal: non-zero exit, one line on stderr naming what is wrong, and no stack trace anywhere. */
function expectOneClearLine(run: Run, says: RegExp): void {
  expect(run.code, run.stderr).not.toBe(0);
  expect(run.code, run.stderr).not.toBeNull();
  const lines = run.stderr.trim().split('\n');
  expect(lines, run.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^enclave: /);
  expect(lines[0]).toMatch(says);
  expect(run.stderr + run.stdout).not.toMatch(/^\s+at /m);
}

describe('starting the server refuses what it cannot safely run on, in one clear line', () => {
  const root = mkdtempSync(join(tmpdir(), 'enclave-startup-'));
  const dataDir = join(root, 'data');
  const keyFile = join(dataDir, 'master.key');
  let originalKey: string;

  beforeAll(async () => {
    const first = await runMain({ ENCLAVE_DATA_DIR: dataDir }, true);
    first.stop();
    originalKey = readFileSync(keyFile, 'utf8');
  }, 60_000);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const restoreKey = () => writeFileSync(keyFile, originalKey, { mode: 0o600 });

  it('never replaces a missing master key of a data directory that holds data', async () => {
    rmSync(keyFile);
    try {
      const run = await runMain({ ENCLAVE_DATA_DIR: dataDir });
      expectOneClearLine(run, new RegExp(`master key file ${keyFile} is missing.*restore`));
      expect(existsSync(keyFile)).toBe(false);
    } finally {
      restoreKey();
    }
  });

  it('refuses a master key that is garbage, readable by others, or the wrong one', async () => {
    try {
      writeFileSync(keyFile, 'not a key\n', { mode: 0o600 });
      expectOneClearLine(await runMain({ ENCLAVE_DATA_DIR: dataDir }), /must hold 64 hex characters/);
      restoreKey();
      chmodSync(keyFile, 0o644);
      expectOneClearLine(
        await runMain({ ENCLAVE_DATA_DIR: dataDir }),
        /must not be readable by group or others/,
      );
      restoreKey();
      chmodSync(keyFile, 0o600);
      writeFileSync(keyFile, 'ab'.repeat(32) + '\n', { mode: 0o600 });
      expectOneClearLine(
        await runMain({ ENCLAVE_DATA_DIR: dataDir }),
        /the master key does not open .*control\.db/,
      );
    } finally {
      restoreKey();
      chmodSync(keyFile, 0o600);
    }
    // The right key still opens everything: no refusal above changed the data.
    const again = await runMain({ ENCLAVE_DATA_DIR: dataDir }, true);
    again.stop();
    expect(again.stdout).toContain('Enclave server listening');
  }, 60_000);

  it('refuses a named master key file that does not exist', async () => {
    const run = await runMain({
      ENCLAVE_DATA_DIR: join(root, 'fresh'),
      ENCLAVE_MASTER_KEY_FILE: join(root, 'absent.key'),
    });
    expectOneClearLine(run, /master key file .*absent\.key.*not found/);
  });

  it('refuses a bad environment value, naming the variable', async () => {
    const run = await runMain({ ENCLAVE_DATA_DIR: dataDir, ENCLAVE_PORT: 'eighty' });
    expectOneClearLine(run, /invalid configuration: ENCLAVE_PORT/);
  });

  it('refuses a port in use', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const run = await runMain({ ENCLAVE_DATA_DIR: dataDir, ENCLAVE_PORT: String(port) });
      expectOneClearLine(run, new RegExp(`port 127\\.0\\.0\\.1:${port} is already in use`));
    } finally {
      blocker.close();
    }
  });

  it('refuses a data directory that is a file, or that cannot be created', async () => {
    const file = join(root, 'a-file');
    writeFileSync(file, 'x');
    expectOneClearLine(
      await runMain({ ENCLAVE_DATA_DIR: file }),
      /ENCLAVE_DATA_DIR .*a-file is a file, not a directory/,
    );
    // Nothing can be created under /proc, whoever runs the test.
    expectOneClearLine(
      await runMain({ ENCLAVE_DATA_DIR: '/proc/enclave-data' }),
      /cannot prepare the data directory: cannot use \/proc\/enclave-data/,
    );
  });

  it('refuses a read-only data directory', async () => {
    const readOnly = join(root, 'read-only');
    mkdirSync(readOnly);
    // Root writes through any mode bits, so as root the directory is a read-only mount instead.
    const asRoot = process.getuid?.() === 0;
    if (asRoot) execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', readOnly]);
    else chmodSync(readOnly, 0o500);
    try {
      const run = await runMain({ ENCLAVE_DATA_DIR: join(readOnly, 'data') });
      expectOneClearLine(run, asRoot ? /the file system is read-only/ : /permission denied/);
    } finally {
      if (asRoot) execFileSync('umount', [readOnly]);
      else chmodSync(readOnly, 0o700);
    }
  });

  it('refuses a second server on the same data directory while the first keeps running', async () => {
    const first = await runMain({ ENCLAVE_DATA_DIR: dataDir }, true);
    try {
      expect(first.stdout).toContain('Enclave server listening');
      const second = await runMain({ ENCLAVE_DATA_DIR: dataDir });
      expectOneClearLine(second, /another Enclave server is already running on the data directory/);
    } finally {
      first.stop();
    }
  }, 60_000);

  it('says so when another process holds the control database locked', async () => {
    const control = new Database(join(dataDir, 'control.db'));
    const key = deriveKey(Buffer.from(originalKey.trim(), 'hex'), 'control-db');
    control.pragma(`cipher='sqlcipher'`);
    control.pragma('legacy=4');
    control.pragma(`key="x'${key.toString('hex')}'"`);
    control.exec('BEGIN EXCLUSIVE');
    try {
      const run = await runMain({ ENCLAVE_DATA_DIR: dataDir });
      expectOneClearLine(run, /locked by another process/);
    } finally {
      control.exec('ROLLBACK');
      control.close();
    }
  }, 60_000);
});
