import { SessionList, type ErrorBody, type Me, type SessionInfo } from '@enclave/shared';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TestClient, type TestResponse } from '../../server/src/test-support/test-client';
import {
  createUser,
  createWorkspace,
  startTestServer,
  TEST_PASSWORD,
  uniqueEmail,
  verificationToken,
  type TestServer,
} from '../../server/src/test-support/test-server';

const FOREIGN_ORIGIN = 'https://attacker.example';
const CHROME_ON_WINDOWS =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36';
const FIREFOX_ON_MAC = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:131.0) Gecko/20100101 Firefox/131.0';

function code(res: TestResponse): string | undefined {
  return (res.body as Partial<ErrorBody>).error?.code;
}

function setupToken(t: TestServer): string {
  const link = t.server.setupLink;
  if (!link) throw new Error('this server has no setup link');
  const token = new URL(link).searchParams.get('token');
  if (!token) throw new Error(`no token in ${link}`);
  return token;
}

/** Another client holding the same session cookie, speaking from `origin` (null: no Origin header). */
function sameSession(t: TestServer, client: TestClient, origin: string | null): TestClient {
  const other = t.client();
  other.cookie = client.cookie;
  other.origin = origin;
  return other;
}

async function signIn(
  t: TestServer,
  email: string,
  password: string,
  userAgent?: string,
): Promise<TestClient> {
  const client = t.client();
  const res = await client.post(
    '/api/v1/auth/signin',
    { email, password },
    userAgent ? { 'user-agent': userAgent } : {},
  );
  if (res.status !== 200) throw new Error(`sign-in failed: ${res.status} ${res.text}`);
  client.email = email;
  client.password = password;
  client.userId = (res.body as Me).id;
  return client;
}

describe('first-owner setup', () => {
  let t: TestServer;
  beforeEach(async () => {
    t = await startTestServer({ env: { ENCLAVE_LOG_LEVEL: 'warn' } });
  });
  afterEach(() => t.close());

  it('creates the owner once with the one-time token; a wrong or reused token is refused', async () => {
    const token = setupToken(t);
    expect(t.server.setupLink).toMatch(new RegExp(`^${t.url}/console/setup\\?token=`));
    const owner = t.client();
    const email = uniqueEmail('owner');

    const wrong = await owner.post('/api/v1/setup', {
      token: 'A'.repeat(43),
      email,
      name: 'Owner',
      password: TEST_PASSWORD,
    });
    expect(wrong.status).toBe(410);
    expect(code(wrong)).toBe('setup_unavailable');
    expect(owner.cookie).toBeNull();

    // The wrong attempt did not burn the token.
    const created = await owner.post<Me>('/api/v1/setup', {
      token,
      email,
      name: 'Owner',
      password: TEST_PASSWORD,
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ email, name: 'Owner', instanceAdmin: true, emailVerified: true });
    expect(owner.cookie).not.toBeNull();
    const me = await owner.get<Me>('/api/v1/auth/me');
    expect(me.status).toBe(200);
    expect(me.body.id).toBe(created.body.id);

    const second = uniqueEmail('second');
    const reused = await t
      .client()
      .post('/api/v1/setup', { token, email: second, name: 'Second', password: TEST_PASSWORD });
    expect(reused.status).toBe(410);
    expect(code(reused)).toBe('setup_unavailable');
    expect(
      (await t.client().post('/api/v1/auth/signin', { email: second, password: TEST_PASSWORD })).status,
    ).toBe(401);
    expect((await t.client().post('/api/v1/auth/signin', { email, password: TEST_PASSWORD })).status).toBe(
      200,
    );
  });

  it('gives no setup link once an account exists, after a restart', async () => {
    const owner = t.client();
    const res = await owner.post('/api/v1/setup', {
      token: setupToken(t),
      email: uniqueEmail('owner'),
      name: 'Owner',
      password: TEST_PASSWORD,
    });
    expect(res.status).toBe(201);
    await t.stop();
    const again = await startTestServer({ dataDir: t.dataDir, env: { ENCLAVE_LOG_LEVEL: 'warn' } });
    try {
      expect(again.server.setupLink).toBeNull();
    } finally {
      await again.stop();
    }
  });

  it('lets exactly one of two concurrent setups with the same token win', async () => {
    const token = setupToken(t);
    const emails = [uniqueEmail('first'), uniqueEmail('second')];
    const answers = await Promise.all(
      emails.map((email) =>
        t.client().post('/api/v1/setup', { token, email, name: 'Owner', password: TEST_PASSWORD }),
      ),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([201, 410]);
    const loser = answers.find((a) => a.status === 410)!;
    expect(code(loser)).toBe('setup_unavailable');

    const signIns = await Promise.all(
      emails.map((email) => t.client().post('/api/v1/auth/signin', { email, password: TEST_PASSWORD })),
    );
    // Exactly one account exists: the winner's.
    expect(signIns.map((s) => s.status)).toEqual(answers.map((a) => (a.status === 201 ? 200 : 401)));
  });

  it('refuses setup once a user exists, even with the printed token', async () => {
    const token = setupToken(t);
    await createUser(t);
    const email = uniqueEmail('late-owner');
    const res = await t
      .client()
      .post('/api/v1/setup', { token, email, name: 'Owner', password: TEST_PASSWORD });
    expect(res.status).toBe(410);
    expect(code(res)).toBe('setup_unavailable');
    expect((await t.client().post('/api/v1/auth/signin', { email, password: TEST_PASSWORD })).status).toBe(
      401,
    );
  });
});

describe('sign-up and sign-in', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(() => t.close());

  it('answers a new and an existing address alike, and does not touch the existing account', async () => {
    const email = uniqueEmail('ada');
    const client = t.client();
    const first = await client.post('/api/v1/auth/signup', { email, name: 'Ada', password: TEST_PASSWORD });
    expect(first.status).toBe(202);
    const token = verificationToken(t, email);
    expect(t.outbox.lastTo(email)?.subject).toBe('Confirm your email address for Enclave');

    const again = await client.post('/api/v1/auth/signup', {
      email: email.toUpperCase(),
      name: 'Impostor',
      password: 'another long password',
    });
    expect(again.status).toBe(202);
    expect(again.text).toBe(first.text);
    expect(again.headers.get('content-type')).toBe(first.headers.get('content-type'));
    // The owner of the address hears about the attempt instead of getting a second account.
    expect(t.outbox.lastTo(email)?.text).not.toMatch(/verify-email/);

    expect((await client.post('/api/v1/auth/verify-email', { token })).status).toBe(204);
    const signedIn = await client.post<Me>('/api/v1/auth/signin', { email, password: TEST_PASSWORD });
    expect(signedIn.status).toBe(200);
    expect(signedIn.body.name).toBe('Ada');
    expect(
      (await t.client().post('/api/v1/auth/signin', { email, password: 'another long password' })).status,
    ).toBe(401);
  });

  it('says "not verified" only to someone who knows the password; wrong password and unknown email look the same', async () => {
    const email = uniqueEmail('unverified');
    const client = t.client();
    expect(
      (await client.post('/api/v1/auth/signup', { email, name: 'Una', password: TEST_PASSWORD })).status,
    ).toBe(202);

    const right = await client.post('/api/v1/auth/signin', { email, password: TEST_PASSWORD });
    expect(right.status).toBe(403);
    expect(code(right)).toBe('email_not_verified');

    const wrong = await client.post('/api/v1/auth/signin', { email, password: 'not the password at all' });
    const unknown = await client.post('/api/v1/auth/signin', {
      email: uniqueEmail('nobody'),
      password: 'not the password at all',
    });
    expect(wrong.status).toBe(401);
    expect(code(wrong)).toBe('invalid_credentials');
    expect(unknown.status).toBe(401);
    expect(unknown.text).toBe(wrong.text);
    expect(client.cookie).toBeNull();
  });

  it('refuses a password shorter than 12 characters and creates nothing', async () => {
    const email = uniqueEmail('short');
    const res = await t
      .client()
      .post('/api/v1/auth/signup', { email, name: 'Shorty', password: 'elevenchars' });
    expect(res.status).toBe(400);
    expect(code(res)).toBe('validation_failed');
    expect(t.outbox.lastTo(email)).toBeUndefined();
    // The address is still free: a proper sign-up gets a verification link.
    expect(
      (await t.client().post('/api/v1/auth/signup', { email, name: 'Shorty', password: 'twelve chars' }))
        .status,
    ).toBe(202);
    expect(verificationToken(t, email)).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('accepts a verification token once', async () => {
    const email = uniqueEmail('verify');
    const client = t.client();
    await client.post('/api/v1/auth/signup', { email, name: 'Vera', password: TEST_PASSWORD });
    const token = verificationToken(t, email);

    expect((await client.post('/api/v1/auth/verify-email', { token })).status).toBe(204);
    const reused = await client.post('/api/v1/auth/verify-email', { token });
    expect(reused.status).toBe(400);
    expect(code(reused)).toBe('bad_request');
    const madeUp = await client.post('/api/v1/auth/verify-email', { token: 'B'.repeat(43) });
    expect(madeUp.status).toBe(400);

    const signedIn = await client.post<Me>('/api/v1/auth/signin', { email, password: TEST_PASSWORD });
    expect(signedIn.status).toBe(200);
    expect(signedIn.body.emailVerified).toBe(true);
  });
});

describe('invite-only sign-up', () => {
  let t: TestServer;
  let owner: TestClient;
  let workspaceId: string;
  beforeAll(async () => {
    t = await startTestServer({ env: { ENCLAVE_SIGNUP: 'invite' } });
    owner = t.client();
    const res = await owner.post('/api/v1/setup', {
      token: setupToken(t),
      email: uniqueEmail('owner'),
      name: 'Owner',
      password: TEST_PASSWORD,
    });
    if (res.status !== 201) throw new Error(`setup failed: ${res.status} ${res.text}`);
    workspaceId = await createWorkspace(owner);
  });
  afterAll(() => t.close());

  async function invite(email: string): Promise<string> {
    const res = await owner.post<{ token: string }>(`/api/v1/workspaces/${workspaceId}/invitations`, {
      email,
      roles: ['member'],
    });
    if (res.status !== 201) throw new Error(`invite failed: ${res.status} ${res.text}`);
    return res.body.token;
  }

  it('refuses sign-up without an invitation', async () => {
    const email = uniqueEmail('uninvited');
    const res = await t
      .client()
      .post('/api/v1/auth/signup', { email, name: 'Uninvited', password: TEST_PASSWORD });
    expect(res.status).toBe(403);
    expect(code(res)).toBe('signup_closed');
    expect(t.outbox.lastTo(email)).toBeUndefined();
  });

  it('accepts sign-up with an invitation for that address, which then joins the workspace', async () => {
    const email = uniqueEmail('invited');
    const token = await invite(email);
    const client = t.client();
    const res = await client.post('/api/v1/auth/signup', {
      email,
      name: 'Invitee',
      password: TEST_PASSWORD,
      invitation: { workspaceId, token },
    });
    expect(res.status).toBe(202);
    expect(
      (await client.post('/api/v1/auth/verify-email', { token: verificationToken(t, email) })).status,
    ).toBe(204);
    expect((await client.post('/api/v1/auth/signin', { email, password: TEST_PASSWORD })).status).toBe(200);
    const joined = await client.post(`/api/v1/workspaces/${workspaceId}/invitations/accept`, { token });
    expect(joined.status).toBe(200);
  });

  it('refuses an invitation made for another address, and a made-up one', async () => {
    const token = await invite(uniqueEmail('intended'));
    const email = uniqueEmail('interloper');
    const other = await t.client().post('/api/v1/auth/signup', {
      email,
      name: 'Interloper',
      password: TEST_PASSWORD,
      invitation: { workspaceId, token },
    });
    expect(other.status).toBe(403);
    expect(code(other)).toBe('signup_closed');
    const madeUp = await t.client().post('/api/v1/auth/signup', {
      email,
      name: 'Interloper',
      password: TEST_PASSWORD,
      invitation: { workspaceId, token: 'C'.repeat(43) },
    });
    expect(madeUp.status).toBe(403);
    expect(code(madeUp)).toBe('signup_closed');
    expect(t.outbox.lastTo(email)).toBeUndefined();
  });
});

describe('sign-up with consumer mail blocked', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ env: { ENCLAVE_SIGNUP_BLOCK_FREEMAIL: 'true' } });
  });
  afterAll(() => t.close());

  it('refuses gmail.com in any case and accepts a company domain', async () => {
    for (const email of ['someone.enclave@gmail.com', 'Someone.Else@GMail.COM']) {
      const res = await t
        .client()
        .post('/api/v1/auth/signup', { email, name: 'Free', password: TEST_PASSWORD });
      expect(res.status).toBe(403);
      expect(code(res)).toBe('signup_closed');
      expect(t.outbox.lastTo(email.toLowerCase())).toBeUndefined();
    }
    const company = uniqueEmail('staff').replace('@example.com', '@acme-legal.example');
    const ok = await t
      .client()
      .post('/api/v1/auth/signup', { email: company, name: 'Staff', password: TEST_PASSWORD });
    expect(ok.status).toBe(202);
    expect(verificationToken(t, company)).toBeTruthy();
  });
});

describe('sessions', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(() => t.close());

  it('sets the session cookie HttpOnly, Secure, SameSite=Lax', async () => {
    const user = await createUser(t);
    const res = await t.client().post('/api/v1/auth/signin', { email: user.email, password: user.password });
    expect(res.status).toBe(200);
    const cookies = res.headers.getSetCookie().filter((c) => c.startsWith('enclave_session='));
    expect(cookies).toHaveLength(1);
    const [value, ...attributes] = cookies[0]!.split(';').map((p) => p.trim());
    expect(value).toMatch(/^enclave_session=[A-Za-z0-9_-]{43}$/);
    const lower = attributes.map((a) => a.toLowerCase());
    expect(lower).toContain('httponly');
    expect(lower).toContain('secure');
    expect(lower).toContain('samesite=lax');
    expect(lower).toContain('path=/');
    expect(lower).toContain(`max-age=${7 * 24 * 60 * 60}`);
  });

  it('refuses the old cookie after sign-out', async () => {
    const user = await createUser(t);
    const oldCookie = user.cookie!;
    const out = await user.post('/api/v1/auth/signout');
    expect(out.status).toBe(204);
    expect(user.cookie).toBeNull();
    const replay = await user.get('/api/v1/auth/me', { cookie: oldCookie });
    expect(replay.status).toBe(401);
    expect(code(replay)).toBe('unauthorized');
    expect((await user.post('/api/v1/auth/signout', undefined, { cookie: oldCookie })).status).toBe(401);
  });

  it('refuses a session at once when another session of the same user revokes it', async () => {
    const first = await createUser(t);
    const second = await signIn(t, first.email, first.password);
    expect((await first.get('/api/v1/auth/me')).status).toBe(200);

    const list = await second.get<{ items: SessionInfo[] }>('/api/v1/auth/sessions');
    const target = list.body.items.find((s) => !s.current);
    expect(list.body.items).toHaveLength(2);
    expect(target).toBeDefined();

    const revoked = await second.delete(`/api/v1/auth/sessions/${target!.id}`);
    expect(revoked.status).toBe(204);
    expect((await first.get('/api/v1/auth/me')).status).toBe(401);
    expect((await second.get('/api/v1/auth/me')).status).toBe(200);
    const after = await second.get<{ items: SessionInfo[] }>('/api/v1/auth/sessions');
    expect(after.body.items.map((s) => s.id)).not.toContain(target!.id);
  });

  it('signs out everywhere else: every other session is refused afterwards, this one and other users go on', async () => {
    const current = await createUser(t);
    const others = [
      await signIn(t, current.email, current.password),
      await signIn(t, current.email, current.password),
    ];
    const otherCookies = others.map((o) => o.cookie!);
    const stranger = await createUser(t);

    const res = await current.post<{ revoked: number }>('/api/v1/auth/sessions/revoke-others');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ revoked: 2 });
    // The answer does not end this session: no cookie is cleared or set.
    expect(res.headers.getSetCookie()).toEqual([]);

    for (const cookie of otherCookies) {
      const replay = await t.client().get('/api/v1/auth/me', { cookie });
      expect(replay.status).toBe(401);
      expect(code(replay)).toBe('unauthorized');
    }
    expect((await current.get('/api/v1/auth/me')).status).toBe(200);
    const sessions = SessionList.parse((await current.get('/api/v1/auth/sessions')).body);
    expect(sessions.items.map((s) => s.current)).toEqual([true]);
    expect((await stranger.get('/api/v1/auth/me')).status).toBe(200);

    // Nothing left to revoke: an honest zero, and still signed in.
    const again = await current.post<{ revoked: number }>('/api/v1/auth/sessions/revoke-others');
    expect(again.body).toEqual({ revoked: 0 });
    expect((await current.get('/api/v1/auth/me')).status).toBe(200);

    // It takes no body, and a signed-out cookie revokes nothing.
    const withBody = await current.post('/api/v1/auth/sessions/revoke-others', { keep: 'all' });
    expect(withBody.status).toBe(400);
    expect(code(withBody)).toBe('validation_failed');
    const fresh = await signIn(t, current.email, current.password);
    const stale = current.cookie!;
    expect((await current.post('/api/v1/auth/signout')).status).toBe(204);
    const replay = await t.client().post('/api/v1/auth/sessions/revoke-others', undefined, { cookie: stale });
    expect(replay.status).toBe(401);
    expect((await fresh.get('/api/v1/auth/me')).status).toBe(200);
  });

  it('on a password change, revokes the other sessions, keeps this one, and swaps the passwords', async () => {
    const current = await createUser(t);
    const others = [
      await signIn(t, current.email, current.password),
      await signIn(t, current.email, current.password),
    ];
    const newPassword = 'a brand new long password';

    const refused = await current.post('/api/v1/auth/password', {
      currentPassword: 'not my password at all',
      newPassword,
    });
    expect(refused.status).toBe(400);
    expect(code(refused)).toBe('validation_failed');
    expect(refused.text).not.toContain('not my password at all');
    // Still signed in, and nothing was revoked.
    expect((await current.get('/api/v1/auth/me')).status).toBe(200);
    for (const other of others) expect((await other.get('/api/v1/auth/me')).status).toBe(200);

    const changed = await current.post('/api/v1/auth/password', {
      currentPassword: current.password,
      newPassword,
    });
    expect(changed.status).toBe(204);
    expect((await current.get('/api/v1/auth/me')).status).toBe(200);
    for (const other of others) expect((await other.get('/api/v1/auth/me')).status).toBe(401);
    const sessions = await current.get<{ items: SessionInfo[] }>('/api/v1/auth/sessions');
    expect(sessions.body.items.map((s) => s.current)).toEqual([true]);

    const withOld = await t
      .client()
      .post('/api/v1/auth/signin', { email: current.email, password: current.password });
    expect(withOld.status).toBe(401);
    const withNew = await t
      .client()
      .post('/api/v1/auth/signin', { email: current.email, password: newPassword });
    expect(withNew.status).toBe(200);
  });

  it('lists each session with browser, ip, times and which one is current', async () => {
    const email = (await createUser(t)).email;
    const chrome = await signIn(t, email, TEST_PASSWORD, CHROME_ON_WINDOWS);
    const firefox = await signIn(t, email, TEST_PASSWORD, FIREFOX_ON_MAC);

    const res = await chrome.get('/api/v1/auth/sessions');
    expect(res.status).toBe(200);
    const { items } = SessionList.parse(res.body);
    // Only what the list promises: no token or token hash leaves the server.
    for (const item of (res.body as { items: object[] }).items) {
      expect(Object.keys(item).sort()).toEqual(['browser', 'createdAt', 'current', 'id', 'ip', 'lastUsedAt']);
    }

    const byBrowser = new Map(items.map((s) => [s.browser, s]));
    expect(byBrowser.get('Chrome on Windows')?.current).toBe(true);
    expect(byBrowser.get('Firefox on macOS')?.current).toBe(false);
    expect(items.filter((s) => s.current)).toHaveLength(1);
    for (const s of items) {
      expect(s.ip).toBe('127.0.0.1');
      expect(Date.parse(s.lastUsedAt)).toBeGreaterThanOrEqual(Date.parse(s.createdAt));
    }

    const fromFirefox = SessionList.parse((await firefox.get('/api/v1/auth/sessions')).body);
    expect(fromFirefox.items.find((s) => s.current)?.browser).toBe('Firefox on macOS');
  });

  it("answers 404 to revoking someone else's session, which lives on", async () => {
    const alice = await createUser(t);
    const bob = await createUser(t);
    const bobs = SessionList.parse((await bob.get('/api/v1/auth/sessions')).body).items;
    expect(bobs).toHaveLength(1);

    const res = await alice.delete(`/api/v1/auth/sessions/${bobs[0]!.id}`);
    expect(res.status).toBe(404);
    expect(code(res)).toBe('not_found');
    expect((await bob.get('/api/v1/auth/me')).status).toBe(200);
    expect((await alice.get('/api/v1/auth/me')).status).toBe(200);
    expect((await alice.delete(`/api/v1/auth/sessions/${crypto.randomUUID()}`)).status).toBe(404);
  });
});

describe('cross-site request defence (Origin)', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(() => t.close());

  it('refuses cookie-authenticated POST, PATCH and DELETE from a foreign or missing Origin, changing nothing', async () => {
    const user = await createUser(t);
    const second = await signIn(t, user.email, user.password);
    const workspaceId = await createWorkspace(user, 'Original name');
    const secondSessionId = SessionList.parse((await second.get('/api/v1/auth/sessions')).body).items.find(
      (s) => s.current,
    )!.id;

    for (const origin of [FOREIGN_ORIGIN, 'null', null]) {
      const forged = sameSession(t, user, origin);
      const attempts = [
        await forged.post('/api/v1/workspaces', { name: 'Planted', template: 'empty' }),
        await forged.patch(`/api/v1/workspaces/${workspaceId}`, { name: 'Hijacked' }),
        await forged.delete(`/api/v1/auth/sessions/${secondSessionId}`),
        await forged.post('/api/v1/auth/password', {
          currentPassword: user.password,
          newPassword: 'attacker chosen pw',
        }),
        await forged.post('/api/v1/auth/signout'),
        await forged.post('/api/v1/auth/sessions/revoke-others'),
      ];
      for (const res of attempts) {
        expect(res.status).toBe(403);
        expect(code(res)).toBe('origin_mismatch');
      }
    }

    const workspaces = await user.get<{ items: { id: string; name: string }[] }>('/api/v1/workspaces');
    expect(workspaces.body.items).toEqual([
      expect.objectContaining({ id: workspaceId, name: 'Original name' }),
    ]);
    expect((await second.get('/api/v1/auth/me')).status).toBe(200);
    expect((await user.get('/api/v1/auth/me')).status).toBe(200);
    expect((await signIn(t, user.email, user.password)).cookie).not.toBeNull();
  });

  it('refuses sign-in and sign-up from a foreign Origin', async () => {
    const user = await createUser(t);
    const client = t.client();
    client.origin = FOREIGN_ORIGIN;
    const signin = await client.post('/api/v1/auth/signin', { email: user.email, password: user.password });
    expect(signin.status).toBe(403);
    expect(code(signin)).toBe('origin_mismatch');
    expect(signin.headers.getSetCookie()).toEqual([]);
    expect(client.cookie).toBeNull();

    const email = uniqueEmail('forged');
    const signup = await client.post('/api/v1/auth/signup', {
      email,
      name: 'Forged',
      password: TEST_PASSWORD,
    });
    expect(signup.status).toBe(403);
    expect(t.outbox.lastTo(email)).toBeUndefined();
  });
});

describe('rate limits on sign-in', () => {
  const servers: TestServer[] = [];
  afterAll(async () => {
    for (const s of servers) await s.close();
  });

  function expectRateLimited(res: TestResponse, windowSeconds: number): void {
    expect(res.status).toBe(429);
    expect(code(res)).toBe('rate_limited');
    const retryAfter = res.headers.get('retry-after');
    expect(retryAfter).toMatch(/^\d+$/);
    expect(Number(retryAfter)).toBeGreaterThan(0);
    expect(Number(retryAfter)).toBeLessThanOrEqual(windowSeconds);
  }

  it('limits attempts per account, whatever the password, and leaves other accounts alone', async () => {
    const t = await startTestServer({ env: { ENCLAVE_AUTH_RATE_PER_ACCOUNT: '3' } });
    servers.push(t);
    // The setup route is outside the per-account limit, so the account starts with no attempts counted.
    const email = uniqueEmail('target');
    const setup = await t.client().post('/api/v1/setup', {
      token: setupToken(t),
      email,
      name: 'Target',
      password: TEST_PASSWORD,
    });
    expect(setup.status).toBe(201);

    for (let i = 0; i < 3; i++) {
      const res = await t.client().post('/api/v1/auth/signin', { email, password: `wrong password ${i}` });
      expect(res.status).toBe(401);
    }
    const fourth = await t.client().post('/api/v1/auth/signin', { email, password: TEST_PASSWORD });
    expectRateLimited(fourth, 15 * 60);
    expect(fourth.headers.getSetCookie()).toEqual([]);
    // The same account spelt differently is the same account.
    expectRateLimited(
      await t
        .client()
        .post('/api/v1/auth/signin', { email: ` ${email.toUpperCase()} `, password: TEST_PASSWORD }),
      15 * 60,
    );

    const other = await t
      .client()
      .post('/api/v1/auth/signin', { email: uniqueEmail('other'), password: TEST_PASSWORD });
    expect(other.status).toBe(401);
  });

  it('limits attempts per IP address across accounts', async () => {
    const t = await startTestServer({ env: { ENCLAVE_AUTH_RATE_PER_IP: '3' } });
    servers.push(t);
    for (let i = 0; i < 3; i++) {
      const res = await t
        .client()
        .post('/api/v1/auth/signin', { email: uniqueEmail('spray'), password: TEST_PASSWORD });
      expect(res.status).toBe(401);
    }
    expectRateLimited(
      await t.client().post('/api/v1/auth/signin', { email: uniqueEmail('spray'), password: TEST_PASSWORD }),
      60,
    );
    expectRateLimited(
      await t
        .client()
        .post('/api/v1/auth/signup', { email: uniqueEmail('spray'), name: 'Spray', password: TEST_PASSWORD }),
      60,
    );
  });

  it('behind one proxy hop, limits the address the proxy saw, however the client spoofs X-Forwarded-For', async () => {
    const t = await startTestServer({ env: { ENCLAVE_AUTH_RATE_PER_IP: '3', ENCLAVE_TRUST_PROXY: '1' } });
    servers.push(t);
    // The test client plays the proxy: it appends the address it saw to whatever the client sent.
    const spoofed = (i: number) => ({ 'x-forwarded-for': `198.51.100.${String(i)}, 203.0.113.7` });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await t
        .client()
        .post('/api/v1/auth/signin', { email: uniqueEmail('spoof'), password: TEST_PASSWORD }, spoofed(i));
      statuses.push(res.status);
      if (i >= 3) expectRateLimited(res, 60);
    }
    expect(statuses).toEqual([401, 401, 401, 429, 429, 429]);
    // Another client behind the same proxy keeps its own allowance.
    const neighbour = await t
      .client()
      .post(
        '/api/v1/auth/signin',
        { email: uniqueEmail('spoof'), password: TEST_PASSWORD },
        { 'x-forwarded-for': '203.0.113.8' },
      );
    expect(neighbour.status).toBe(401);
  });

  it('behind one proxy hop, records the address the proxy saw in sessions and the audit log', async () => {
    const t = await startTestServer({ env: { ENCLAVE_TRUST_PROXY: '1' } });
    servers.push(t);
    const spoofed = { 'x-forwarded-for': '10.66.66.66, 203.0.113.7' };
    const { email } = await createUser(t);
    const client = t.client();
    const signedIn = await client.post('/api/v1/auth/signin', { email, password: TEST_PASSWORD }, spoofed);
    expect(signedIn.status).toBe(200);
    const sessions = SessionList.parse((await client.get('/api/v1/auth/sessions', spoofed)).body);
    expect(sessions.items.find((s) => s.current)?.ip).toBe('203.0.113.7');

    const created = await client.post<{ id: string }>(
      '/api/v1/workspaces',
      { name: 'Proxied', template: 'standard' },
      spoofed,
    );
    expect(created.status).toBe(201);
    const ws = created.body.id;
    const record = await client.post(
      `/api/v1/workspaces/${ws}/records`,
      { type: 'client', data: { name: 'Initech', status: 'lead' } },
      spoofed,
    );
    expect(record.status).toBe(201);
    const audit = await client.get<{ items: { action: string; ip: string | null }[] }>(
      `/api/v1/workspaces/${ws}/audit?action=record.create`,
    );
    expect(audit.body.items.map((e) => e.ip)).toEqual(['203.0.113.7']);
    expect(JSON.stringify(audit.body)).not.toContain('10.66.66.66');
  });
});
