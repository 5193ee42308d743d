import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/src/server';
import { TestClient } from '../../server/src/test-support/test-client';
import { startTestServer, type TestServer } from '../../server/src/test-support/test-server';

interface LogLine {
  level: number;
  msg: string;
  mailTo?: string;
  subject?: string;
}

const MAIL_LINE = 'email not sent (no SMTP configured):';
const WARN = 40;

/**
 * The server as `npm start` runs it without ENCLAVE_SMTP_URL: its own log mailer, nothing
 * captured in between. Everything that mode writes to the log is listed in SECURITY.md; this
 * test holds the list to what the server really writes.
 */
describe('without SMTP, mail goes to the log', () => {
  let t: TestServer;
  let server: RunningServer;
  const lines = () =>
    t
      .logs()
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as LogLine);
  const mails = () => lines().filter((l) => l.msg.startsWith(MAIL_LINE));

  beforeAll(async () => {
    t = await startTestServer({ mail: 'log' });
    server = t.server;
  });
  afterAll(async () => {
    await t.close();
  });

  it('writes each email, whole, at warn level: verification, sign-up notice, reset and invitation links', async () => {
    expect(server.deps.mailer.kind).toBe('log');
    const setupToken = new URL(server.setupLink ?? 'http://x/').searchParams.get('token') ?? '';
    const owner = new TestClient(server.url);
    const setup = await owner.post('/api/v1/setup', {
      token: setupToken,
      email: 'owner@example.com',
      name: 'Olive Owner',
      password: 'owner password, long enough',
    });
    expect(setup.status, setup.text).toBe(201);
    // The setup link is for the terminal (main.ts prints it); it is not in the log.
    expect(t.logs()).not.toContain(setupToken);
    expect(mails()).toEqual([]);

    const password = 'new member password, long enough';
    const signUp = () =>
      new TestClient(server.url).post('/api/v1/auth/signup', {
        email: 'new@example.com',
        name: 'Nina New',
        password,
      });
    expect((await signUp()).status).toBe(202);
    // Signing in before verifying sends a fresh link.
    const early = await new TestClient(server.url).post('/api/v1/auth/signin', {
      email: 'new@example.com',
      password,
    });
    expect(early.status).toBe(403);
    // Signing up again with an address that has an account sends a notice, not a link.
    expect(
      (
        await new TestClient(server.url).post('/api/v1/auth/signup', {
          email: 'owner@example.com',
          name: 'Someone',
          password: 'someone else password',
        })
      ).status,
    ).toBe(202);
    expect(
      (await new TestClient(server.url).post('/api/v1/auth/password-reset', { email: 'owner@example.com' }))
        .status,
    ).toBe(202);
    const ws = await owner.post<{ id: string }>('/api/v1/workspaces', {
      name: 'Acme Legal',
      template: 'empty',
    });
    const invite = await owner.post<{ token: string }>(`/api/v1/workspaces/${ws.body.id}/invitations`, {
      email: 'guest@example.com',
      roles: ['member'],
    });
    expect(invite.status, invite.text).toBe(201);

    const written = mails();
    expect(written.map((m) => [m.level, m.mailTo, m.subject])).toEqual([
      [WARN, 'new@example.com', 'Confirm your email address for Enclave'],
      [WARN, 'new@example.com', 'Confirm your email address for Enclave'],
      [WARN, 'owner@example.com', 'Someone tried to sign up to Enclave with your address'],
      [WARN, 'owner@example.com', 'Reset your Enclave password'],
      [WARN, 'guest@example.com', 'Olive Owner invited you to Acme Legal on Enclave'],
    ]);
    const [verify, again, notice, reset, invitation] = written.map((m) => m.msg);
    // Working one-time links, with the names in the message.
    expect(verify).toMatch(
      new RegExp(`Hello Nina New,[\\s\\S]*${server.url}/console/verify-email\\?token=[A-Za-z0-9_-]{43}`),
    );
    expect(again).toMatch(/\/verify-email\?token=/);
    expect(notice).not.toMatch(/token=/);
    expect(reset).toMatch(new RegExp(`${server.url}/console/reset-password\\?token=[A-Za-z0-9_-]{43}`));
    expect(invitation).toContain(`/console/invite?workspace=${ws.body.id}&token=${invite.body.token}`);
    expect(invitation).toContain('Olive Owner (owner@example.com)');
    // Links only: never a password.
    for (const secret of [password, 'owner password, long enough', 'someone else password'])
      expect(t.logs()).not.toContain(secret);
  });
});
