import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** Starts `server/src/main.ts` as `npm start` does, and collects what it prints. */
function startMain(dataDir: string): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/src/main.ts'], {
    cwd: join(import.meta.dirname, '../..'),
    env: { ...process.env, ENCLAVE_DATA_DIR: dataDir, ENCLAVE_PORT: '0', ENCLAVE_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  return { child, output: () => out };
}

async function waitFor<T>(read: () => T | null, what: string, ms = 20_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = read();
    if (value !== null) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('npm start (the server process)', () => {
  const root = mkdtempSync(join(tmpdir(), 'enclave-main-'));
  const dataDir = join(root, 'data');
  let server: ReturnType<typeof startMain>;
  let setupLink: string;

  beforeAll(async () => {
    server = startMain(dataDir);
    setupLink = await waitFor(
      () => /http:\/\/\S+\/setup\?token=[A-Za-z0-9_-]+/.exec(server.output())?.[0] ?? null,
      'the setup link',
    );
  });
  afterAll(() => {
    server.child.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  });

  it('creates a private data directory and master key, and says that mail goes to the log', async () => {
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dataDir, 'master.key')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dataDir, 'control.db')).mode & 0o777).toBe(0o600);
    // Every kind of email the log mailer writes (test/security/log-mailer.test.ts lists them) is named.
    // The logger writes asynchronously, so the line may land after the setup link: wait for it.
    const mailNotice =
      /No SMTP configured \(ENCLAVE_SMTP_URL\): every email will be written to this log, whole: email verification, password-reset and invitation links, and sign-up notices\./;
    await waitFor(() => mailNotice.exec(server.output()), 'the notice that mail goes to the log', 5_000);
  });

  it('prints a one-time setup link that creates the first owner', async () => {
    const url = new URL(setupLink);
    const body = JSON.stringify({
      token: url.searchParams.get('token'),
      email: 'owner@example.com',
      name: 'Owner',
      password: 'a long enough password',
    });
    const post = () =>
      fetch(`${url.origin}/api/v1/setup`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: url.origin },
        body,
      });
    expect((await post()).status).toBe(201);
    expect((await post()).status).toBe(410);
    // The link opens the console's setup page: npm start serves a built console.
    expect(url.pathname).toBe('/console/setup');
    const page = await fetch(setupLink);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/<script type="module"[^>]* src="\/console\/assets\/index-[^"]+\.js"/);
  });

  it('shuts down cleanly on SIGTERM', async () => {
    const exited = new Promise<number | null>((resolve) =>
      server.child.once('exit', (code) => resolve(code)),
    );
    server.child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('prints no setup link once an owner exists', async () => {
    const again = startMain(dataDir);
    try {
      await waitFor(
        () => (again.output().includes('Enclave server listening') ? true : null),
        'the server to listen',
      );
      expect(again.output()).not.toContain('setup?token=');
    } finally {
      again.child.kill('SIGKILL');
    }
  });
});
