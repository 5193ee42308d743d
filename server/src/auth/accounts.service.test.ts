import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../logger';
import { EmbeddedStore } from '../store/sqlite/embedded-store';
import { AccountsService } from './accounts.service';
import { OutboxMailer } from './mailer';

const DAY = 24 * 60 * 60 * 1000;

describe('AccountsService: unverified accounts', () => {
  let dir: string;
  let store: EmbeddedStore;
  let outbox: OutboxMailer;
  let now: Date;
  let accounts: AccountsService;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'enclave-accounts-'));
    store = new EmbeddedStore(dir, randomBytes(32), { cacheKiB: 2048 });
    outbox = new OutboxMailer();
    now = new Date('2026-03-01T10:00:00.000Z');
    accounts = new AccountsService(
      store,
      outbox,
      createLogger('silent'),
      { signup: 'open', blockFreemail: false, publicUrl: 'http://enclave.test' },
      () => now,
    );
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const signUp = (password: string) => accounts.signUp({ email: 'sam@example.com', name: 'Sam', password });

  it('keeps a young unverified account: a second sign-up cannot replace its password', async () => {
    await signUp('first password is long');
    const original = await store.control.getUserByEmail('sam@example.com');
    now = new Date(now.getTime() + DAY / 2);
    await signUp('second password is long');
    expect(await store.control.getUserByEmail('sam@example.com')).toEqual(original);
    expect(outbox.lastTo('sam@example.com')?.subject).toMatch(/Someone tried to sign up/);
  });

  it('frees an address whose account was never verified within the link lifetime', async () => {
    await signUp('first password is long');
    const original = await store.control.getUserByEmail('sam@example.com');
    now = new Date(now.getTime() + DAY + 1000);
    await signUp('second password is long');
    const replaced = await store.control.getUserByEmail('sam@example.com');
    expect(replaced?.id).not.toBe(original?.id);
    expect(outbox.lastTo('sam@example.com')?.text).toMatch(/verify-email\?token=/);
    // The new password is the account's now, not the old one.
    await expect(
      accounts.checkCredentials({ email: 'sam@example.com', password: 'first password is long' }),
    ).rejects.toMatchObject({
      code: 'invalid_credentials',
    });
  });

  it('never replaces a verified account, however old', async () => {
    await signUp('first password is long');
    const user = await store.control.getUserByEmail('sam@example.com');
    await store.control.markEmailVerified(user?.id ?? '', now.toISOString());
    now = new Date(now.getTime() + 30 * DAY);
    await signUp('second password is long');
    expect((await store.control.getUserByEmail('sam@example.com'))?.id).toBe(user?.id);
  });

  it('sends a new link to whoever signs in with the right password before verifying', async () => {
    await signUp('first password is long');
    const sent = outbox.messages.length;
    await expect(
      accounts.checkCredentials({ email: 'sam@example.com', password: 'wrong password here' }),
    ).rejects.toMatchObject({
      code: 'invalid_credentials',
    });
    expect(outbox.messages.length).toBe(sent);
    await expect(
      accounts.checkCredentials({ email: 'sam@example.com', password: 'first password is long' }),
    ).rejects.toMatchObject({
      code: 'email_not_verified',
    });
    expect(outbox.messages.length).toBe(sent + 1);
    const token =
      /verify-email\?token=([A-Za-z0-9_-]+)/.exec(outbox.lastTo('sam@example.com')?.text ?? '')?.[1] ?? '';
    await accounts.verifyEmail(token);
    expect(
      (await accounts.checkCredentials({ email: 'sam@example.com', password: 'first password is long' }))
        .email,
    ).toBe('sam@example.com');
  });

  it('answers sign-up normally when the mail server fails, keeping the account', async () => {
    const failing = new AccountsService(
      store,
      { kind: 'smtp', send: () => Promise.reject(new Error('connection refused')) },
      createLogger('silent'),
      { signup: 'open', blockFreemail: false, publicUrl: 'http://enclave.test' },
      () => now,
    );
    await expect(
      failing.signUp({ email: 'mia@example.com', name: 'Mia', password: 'a long enough password' }),
    ).resolves.toBeUndefined();
    expect(await store.control.getUserByEmail('mia@example.com')).not.toBeNull();
  });
});
