import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startTestServer,
  uniqueEmail,
  verificationToken,
  type TestServer,
} from '../../server/src/test-support/test-server';

/**
 * Runs the whole account and workspace flow, collecting every secret it uses or is handed, then
 * searches everything the server logged for each of them.
 */
describe('log secrecy', () => {
  let t: TestServer;
  const secrets = new Map<string, string>();

  beforeAll(async () => {
    t = await startTestServer({ env: { ENCLAVE_LOG_LEVEL: 'trace' } });
  });
  afterAll(() => t.close());

  it('never logs a password, token, cookie, key or secret field', async () => {
    const setupToken = new URL(t.server.setupLink ?? '').searchParams.get('token') ?? '';
    secrets.set('setup token', setupToken);
    const ownerEmail = uniqueEmail('owner');
    const ownerPassword = 'owner password never logged 1';
    secrets.set('owner password', ownerPassword);
    const owner = t.client();
    const setup = await owner.post('/api/v1/setup', {
      token: setupToken,
      email: ownerEmail,
      name: 'Olive',
      password: ownerPassword,
    });
    expect(setup.status).toBe(201);
    secrets.set('owner cookie', owner.cookie ?? '');

    // A failed sign-in logs at warn/error levels: the tried password must not be there either.
    const wrongPassword = 'wrong password never logged 2';
    secrets.set('wrong password', wrongPassword);
    expect(
      (await t.client().post('/api/v1/auth/signin', { email: ownerEmail, password: wrongPassword })).status,
    ).toBe(401);

    const ws = (await owner.post<{ id: string }>('/api/v1/workspaces', { name: 'Secrets Inc' })).body.id;
    const inviteeEmail = uniqueEmail('invitee');
    const invite = await owner.post<{ token: string }>(`/api/v1/workspaces/${ws}/invitations`, {
      email: inviteeEmail,
      roles: ['member'],
    });
    secrets.set('invitation token', invite.body.token);

    const invitee = t.client();
    const inviteePassword = 'invitee password never logged 3';
    secrets.set('invitee password', inviteePassword);
    await invitee.post('/api/v1/auth/signup', {
      email: inviteeEmail,
      name: 'Ivan',
      password: inviteePassword,
    });
    const verify = verificationToken(t, inviteeEmail);
    secrets.set('verification token', verify);
    await invitee.post('/api/v1/auth/verify-email', { token: verify });
    await invitee.post('/api/v1/auth/signin', { email: inviteeEmail, password: inviteePassword });
    secrets.set('invitee cookie', invitee.cookie ?? '');
    expect(
      (await invitee.post(`/api/v1/workspaces/${ws}/invitations/accept`, { token: invite.body.token }))
        .status,
    ).toBe(200);

    const taxId = 'TAX-SECRET-FIELD-VALUE-4711';
    secrets.set('secret field value', taxId);
    const rec = await invitee.post(`/api/v1/workspaces/${ws}/records`, {
      type: 'client',
      data: { name: 'Hooli', status: 'active', tax_id: taxId },
    });
    expect(rec.status).toBe(201);

    const newPassword = 'new owner password never logged 5';
    secrets.set('new password', newPassword);
    expect(
      (await owner.post('/api/v1/auth/password', { currentPassword: ownerPassword, newPassword })).status,
    ).toBe(204);
    // A bad body carrying a password: validation errors must not echo or log it.
    const echoed = 'short pw 6';
    secrets.set('refused password', echoed);
    const refused = await t
      .client()
      .post('/api/v1/auth/signup', { email: uniqueEmail(), name: 'X', password: echoed });
    expect(refused.status).toBe(400);
    expect(refused.text).not.toContain(echoed);
    await owner.post('/api/v1/auth/signout');

    const masterKey = readFileSync(join(t.dataDir, 'master.key'), 'utf8').trim();
    secrets.set('master key', masterKey);

    const logs = t.logs();
    // The log did capture the run: requests, with their ids.
    expect(logs).toContain('"path":"/api/v1/auth/signin"');
    expect(logs).toMatch(/"req":\{"id":"[0-9a-f-]{36}"/);
    // Lines written while handling a request carry that request's id.
    expect(logs).toMatch(
      /"req":\{"id":"[0-9a-f-]{36}","method":"POST","path":"\/api\/v1\/auth\/password"\},"userId":"[0-9a-f-]{36}","msg":"password changed"/,
    );
    for (const [name, secret] of secrets) {
      expect(secret.length, name).toBeGreaterThan(8);
      expect(logs.includes(secret), `${name} appears in the log`).toBe(false);
    }
    // Cookies are secrets whatever their name: the log holds no session token at all.
    expect(logs).not.toMatch(/enclave_session=[A-Za-z0-9_-]{20,}/);
  });
});
