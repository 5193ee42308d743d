import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createUser,
  startTestServer,
  uniqueEmail,
  type TestServer,
} from '../../server/src/test-support/test-server';

function resetToken(t: TestServer, email: string): string {
  const mail = t.outbox.lastTo(email);
  const token = mail ? /reset-password\?token=([A-Za-z0-9_-]+)/.exec(mail.text)?.[1] : undefined;
  if (!token) throw new Error(`no reset email for ${email}`);
  return token;
}

describe('password reset', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ env: { ENCLAVE_AUTH_RATE_PER_ACCOUNT: '3' } });
  });
  afterAll(() => t.close());

  it('answers alike for known and unknown addresses, mailing only the known one', async () => {
    const user = await createUser(t);
    const unknown = uniqueEmail('nobody');
    const sent = t.outbox.messages.length;
    const known = await t.client().post('/api/v1/auth/password-reset', { email: user.email });
    const notKnown = await t.client().post('/api/v1/auth/password-reset', { email: unknown });
    expect(known.status).toBe(202);
    expect(notKnown.status).toBe(202);
    expect(notKnown.text).toBe(known.text);
    expect(t.outbox.messages.length).toBe(sent + 1);
    expect(t.outbox.lastTo(unknown)).toBeUndefined();
    expect(t.outbox.lastTo(user.email)?.subject).toBe('Reset your Enclave password');
  });

  it('sets the new password once, ends every session, and kills the other links', async () => {
    const user = await createUser(t);
    const otherDevice = t.client();
    await otherDevice.post('/api/v1/auth/signin', { email: user.email, password: user.password });
    await t.client().post('/api/v1/auth/password-reset', { email: user.email });
    const older = resetToken(t, user.email);
    await t.client().post('/api/v1/auth/password-reset', { email: user.email });
    const token = resetToken(t, user.email);
    expect(token).not.toBe(older);

    // A password that is too short is refused before the link is spent.
    const short = await t.client().post<{ error: { code: string } }>('/api/v1/auth/password-reset/confirm', {
      token,
      newPassword: 'short',
    });
    expect(short.status).toBe(400);
    expect(short.body.error.code).toBe('validation_failed');

    const newPassword = 'a fresh and long password';
    expect(
      (await t.client().post('/api/v1/auth/password-reset/confirm', { token, newPassword })).status,
    ).toBe(204);
    // Single use, and the earlier link died with it.
    for (const spent of [token, older]) {
      const again = await t
        .client()
        .post<{ error: { code: string } }>('/api/v1/auth/password-reset/confirm', {
          token: spent,
          newPassword: 'yet another long password',
        });
      expect(again.status).toBe(400);
      expect(again.body.error.code).toBe('bad_request');
    }
    // Every session ended, this browser's and the other device's.
    expect((await user.get('/api/v1/auth/me')).status).toBe(401);
    expect((await otherDevice.get('/api/v1/auth/me')).status).toBe(401);
    expect(
      (await t.client().post('/api/v1/auth/signin', { email: user.email, password: user.password })).status,
    ).toBe(401);
    expect(
      (await t.client().post('/api/v1/auth/signin', { email: user.email, password: newPassword })).status,
    ).toBe(200);
  });

  it('verifies the address: the link proves control of it', async () => {
    const email = uniqueEmail('unverified');
    await t
      .client()
      .post('/api/v1/auth/signup', { email, name: 'Una', password: 'the original long password' });
    await t.client().post('/api/v1/auth/password-reset', { email });
    const newPassword = 'a reset and long password';
    expect(
      (
        await t
          .client()
          .post('/api/v1/auth/password-reset/confirm', { token: resetToken(t, email), newPassword })
      ).status,
    ).toBe(204);
    expect((await t.client().post('/api/v1/auth/signin', { email, password: newPassword })).status).toBe(200);
  });

  it('is rate-limited per address, with Retry-After', async () => {
    const email = uniqueEmail('flooded');
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++)
      statuses.push((await t.client().post('/api/v1/auth/password-reset', { email })).status);
    expect(statuses.slice(0, 3)).toEqual([202, 202, 202]);
    const limited = await t.client().post('/api/v1/auth/password-reset', { email });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});
