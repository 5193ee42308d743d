import { expect, test, type Page } from '@playwright/test';
import type { TestClient } from '../../../server/src/test-support/test-client';
import {
  createUser,
  createWorkspace,
  TEST_PASSWORD,
  uniqueEmail,
  type TestServer,
} from '../../../server/src/test-support/test-server';
import {
  CONSOLE_VIEWPORT,
  consoleUrl,
  expectAccessible,
  screenshot,
  signIn,
  useConsoleServer,
  watchPage,
} from './console-support';

const NEW_PASSWORD = 'a brand new and long password';

/** The console link of `kind` in the last mail sent to `email`. */
function mailedLink(
  t: TestServer,
  email: string,
  kind: 'verify-email' | 'reset-password' | 'invite',
): string {
  const text = t.outbox.lastTo(email)?.text ?? '';
  const match = new RegExp(`https?://\\S+/console/${kind}\\?\\S+`).exec(text);
  if (!match) throw new Error(`no ${kind} link in the last mail to ${email}`);
  return match[0];
}

async function apiSignIn(t: TestServer, email: string, password: string) {
  const client = t.client();
  const res = await client.post<{ error?: { code: string } }>('/api/v1/auth/signin', { email, password });
  return { client, res };
}

/** What the page's own cookie gets from the API: the session as the browser holds it. */
async function meOf(page: Page, t: TestServer) {
  const res = await page.request.get(`${t.url}/api/v1/auth/me`);
  return { status: res.status(), body: (await res.json()) as Record<string, unknown> };
}

test.describe.serial('a new server, where sign-up is by invitation only', () => {
  let fresh: TestServer;
  const owner = { name: 'Olive Owner', email: uniqueEmail('owner'), password: TEST_PASSWORD };

  // No account yet: the server prints a setup link, which startTestServer hands over.
  useConsoleServer(
    (server) => {
      fresh = server;
    },
    { env: { ENCLAVE_SIGNUP: 'invite' } },
  );

  test('the printed setup link creates the owner once, signs them in, and is refused in words after', async ({
    page,
    browser,
  }) => {
    const watch = watchPage(page);
    const link = fresh.server.setupLink;
    expect(link).toMatch(/\/console\/setup\?token=[\w-]+$/);
    await page.goto(link ?? '');
    await expect(page.getByTestId('setup-page')).toBeVisible();
    await expectAccessible(page);
    await screenshot(page, 'setup');

    await page.getByTestId('setup-name').fill(owner.name);
    await page.getByTestId('setup-email').fill(owner.email);
    await page.getByTestId('setup-password').fill('too short');
    await page.getByTestId('setup-submit').click();
    // The server's field issue is shown next to the password field, and nothing was created.
    await expect(page.getByTestId('setup-password-error')).toHaveText(
      'The password must be at least 12 characters.',
    );
    await expect(page.getByTestId('setup-password')).toHaveAttribute('aria-invalid', 'true');
    expect((await apiSignIn(fresh, owner.email, 'too short')).res.status).toBe(401);

    await page.getByTestId('setup-password').fill(owner.password);
    await page.getByTestId('setup-submit').click();
    // Signed in by the setup answer itself, straight on to the (empty) workspaces.
    await expect(page.getByTestId('workspaces-page')).toBeVisible();
    await expect(page.getByTestId('workspaces-empty')).toContainText('Create one below');
    const me = await meOf(page, fresh);
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ email: owner.email, name: owner.name, instanceAdmin: true });

    // The same link a second time, from another browser: refused in words, and nothing created.
    const other = await browser.newContext({ viewport: CONSOLE_VIEWPORT });
    const second = await other.newPage();
    const watchSecond = watchPage(second);
    await second.goto(link ?? '');
    const intruder = uniqueEmail('second');
    await second.getByTestId('setup-name').fill('Second Person');
    await second.getByTestId('setup-email').fill(intruder);
    await second.getByTestId('setup-password').fill(TEST_PASSWORD);
    await second.getByTestId('setup-submit').click();
    await expect(second.getByTestId('link-refused')).toContainText('expired or was already used');
    await expectAccessible(second);
    await screenshot(second, 'link-refused');
    expect((await apiSignIn(fresh, intruder, TEST_PASSWORD)).res.status).toBe(401);
    watchSecond.check();
    await other.close();
    watch.check();
  });

  test('sign-up without an invitation is refused, saying it is by invitation only', async ({ page }) => {
    const watch = watchPage(page);
    const email = uniqueEmail('uninvited');
    await page.goto(consoleUrl(fresh, '/sign-up'));
    await page.getByTestId('sign-up-name').fill('Una Invited');
    await page.getByTestId('sign-up-email').fill(email);
    await page.getByTestId('sign-up-password').fill(TEST_PASSWORD);
    await page.getByTestId('sign-up-submit').click();
    await expect(page.getByTestId('sign-up-error')).toContainText('by invitation only');
    await expect(page.getByTestId('sign-up-error')).toHaveAttribute('data-code', 'signup_closed');
    // No account, so no mail either.
    expect(fresh.outbox.lastTo(email)).toBeUndefined();
    watch.check();
  });

  test('a new person signs up with their invitation, confirms the address, signs in and accepts it', async ({
    page,
    context,
  }) => {
    const watch = watchPage(page);
    const { client: ownerClient } = await apiSignIn(fresh, owner.email, owner.password);
    const workspaceId = await createWorkspace(ownerClient, 'Harbour Studio');
    const invitee = { name: 'Nina New', email: uniqueEmail('nina') };
    const invited = await ownerClient.post<{ link: string }>(
      `/api/v1/workspaces/${workspaceId}/invitations`,
      {
        email: invitee.email,
        roles: ['member'],
      },
    );
    expect(invited.status).toBe(201);
    const link = mailedLink(fresh, invitee.email, 'invite');
    expect(link).toBe(invited.body.link);

    await page.goto(link);
    await expect(page.getByTestId('invite-page')).toContainText('You are invited');
    await expectAccessible(page);
    await screenshot(page, 'invite-signed-out');
    await page.getByTestId('invite-sign-up').click();
    await expect(page.getByTestId('sign-up-invitation')).toBeVisible();
    await page.getByTestId('sign-up-name').fill(invitee.name);
    await page.getByTestId('sign-up-email').fill(invitee.email);
    await page.getByTestId('sign-up-password').fill(TEST_PASSWORD);
    await page.getByTestId('sign-up-submit').click();
    await expect(page.getByTestId('sign-up-message')).toHaveText(
      'If this address can be used, a verification link is on its way to it.',
    );

    // The verification link, opened from the mail in another tab.
    const mailTab = await context.newPage();
    const watchMail = watchPage(mailTab);
    await mailTab.goto(mailedLink(fresh, invitee.email, 'verify-email'));
    await mailTab.getByTestId('verify-email-submit').click();
    await expect(mailTab.getByTestId('verify-email-done')).toBeVisible();
    watchMail.check();
    await mailTab.close();

    // Back in the first tab: sign in, and the console returns to the invitation.
    await page.getByTestId('sign-up-continue').click();
    await expect(page.getByTestId('sign-in-for-invitation')).toBeVisible();
    await expect(page.getByTestId('sign-in-email')).toHaveValue(invitee.email);
    await page.getByTestId('sign-in-password').fill(TEST_PASSWORD);
    await page.getByTestId('sign-in-submit').click();
    await expect(page.getByTestId('invite-page')).toContainText(invitee.email);
    await expectAccessible(page);
    await screenshot(page, 'invite-accept');
    await page.getByTestId('invite-accept').click();
    await expect(page).toHaveURL(new RegExp(`/console/w/${workspaceId}/records$`));
    await expect(page.getByTestId('workspace-switcher').locator('option:checked')).toHaveText(
      'Harbour Studio',
    );

    const members = await ownerClient.get<{ items: { email: string; roles: string[] }[] }>(
      `/api/v1/workspaces/${workspaceId}/members`,
    );
    expect(members.body.items).toContainEqual(
      expect.objectContaining({ email: invitee.email, roles: ['member'] }),
    );
    watch.check();
  });
});

test.describe('accounts on a server open to sign-up', () => {
  let t: TestServer;

  useConsoleServer((server) => {
    t = server;
  });

  test('sign-up answers generically, the mailed link confirms the address once, then sign-in works', async ({
    page,
  }) => {
    const watch = watchPage(page);
    const email = uniqueEmail('sign-up');
    await page.goto(consoleUrl(t, '/sign-in'));
    await page.getByRole('link', { name: 'Create an account' }).click();
    await expect(page.getByTestId('sign-up-page')).toBeVisible();
    await expectAccessible(page);
    await screenshot(page, 'sign-up');

    await page.getByTestId('sign-up-name').fill('Sally Signup');
    await page.getByTestId('sign-up-email').fill('not-an-address');
    await page.getByTestId('sign-up-password').fill('short');
    await page.getByTestId('sign-up-submit').click();
    await expect(page.getByTestId('sign-up-error')).toContainText('Check the fields marked below');
    await expect(page.getByTestId('sign-up-email-error')).toContainText('whole email address');
    await expect(page.getByTestId('sign-up-password-error')).toHaveText(
      'The password must be at least 12 characters.',
    );

    await page.getByTestId('sign-up-email').fill(email);
    await page.getByTestId('sign-up-password').fill(TEST_PASSWORD);
    await page.getByTestId('sign-up-submit').click();
    await expect(page.getByTestId('sign-up-message')).toHaveText(
      'If this address can be used, a verification link is on its way to it.',
    );
    await expectAccessible(page);
    await screenshot(page, 'sign-up-accepted');

    // Not confirmed yet: signing in says so, by cause.
    await page.getByTestId('sign-up-continue').click();
    await page.getByTestId('sign-in-password').fill(TEST_PASSWORD);
    await page.getByTestId('sign-in-submit').click();
    await expect(page.getByTestId('sign-in-error')).toHaveAttribute('data-code', 'email_not_verified');

    const link = mailedLink(t, email, 'verify-email');
    await page.goto(link);
    await expect(page.getByTestId('verify-email-page')).toBeVisible();
    await expectAccessible(page);
    await screenshot(page, 'verify-email');
    await page.getByTestId('verify-email-submit').click();
    await expect(page.getByTestId('verify-email-done')).toBeVisible();
    await expectAccessible(page);
    await screenshot(page, 'verify-email-done');
    await page.getByTestId('verify-sign-in').click();
    await page.getByTestId('sign-in-email').fill(email);
    await page.getByTestId('sign-in-password').fill(TEST_PASSWORD);
    await page.getByTestId('sign-in-submit').click();
    await expect(page.getByTestId('workspaces-page')).toBeVisible();
    expect((await meOf(page, t)).body).toMatchObject({ email, emailVerified: true });

    // The link worked once.
    await page.goto(link);
    await page.getByTestId('verify-email-submit').click();
    await expect(page.getByTestId('link-refused')).toContainText('expired or was already used');
    watch.check();
  });

  test('a forgotten password is reset with the mailed link: every session ends and the old password is refused', async ({
    page,
  }) => {
    const watch = watchPage(page);
    const user = await createUser(t, { name: 'Fergus Forgetful' });
    await page.goto(consoleUrl(t, '/sign-in'));
    await page.getByTestId('sign-in-email').fill(user.email);
    await page.getByRole('link', { name: 'Forgot your password?' }).click();
    await expect(page.getByTestId('forgot-password-page')).toBeVisible();
    await expect(page.getByTestId('forgot-password-email')).toHaveValue(user.email);
    await expectAccessible(page);
    await screenshot(page, 'forgot-password');
    await page.getByTestId('forgot-password-submit').click();
    const generic = 'If this address has an account, a password reset link is on its way to it.';
    await expect(page.getByTestId('forgot-password-message')).toHaveText(generic);
    await expectAccessible(page);
    await screenshot(page, 'forgot-password-sent');
    // The same words for an address with no account.
    const unknown = await t.client().post<{ message: string }>('/api/v1/auth/password-reset', {
      email: uniqueEmail('nobody'),
    });
    expect(unknown.body.message).toBe(generic);

    const link = mailedLink(t, user.email, 'reset-password');
    await page.goto(link);
    await expect(page.getByTestId('reset-password-page')).toBeVisible();
    await page.getByTestId('reset-password-new').fill(NEW_PASSWORD);
    await page.getByTestId('reset-password-repeat').fill(`${NEW_PASSWORD}!`);
    await page.getByTestId('reset-password-submit').click();
    await expect(page.getByTestId('reset-password-repeat-error')).toContainText('not the same');
    await expectAccessible(page);
    await screenshot(page, 'reset-password');
    // Nothing changed yet: the old password still works.
    expect((await apiSignIn(t, user.email, TEST_PASSWORD)).res.status).toBe(200);

    await page.getByTestId('reset-password-repeat').fill(NEW_PASSWORD);
    await page.getByTestId('reset-password-submit').click();
    await expect(page.getByTestId('reset-password-done')).toContainText(
      'Every session of your account has ended',
    );
    await expectAccessible(page);
    await screenshot(page, 'reset-password-done');
    // Every session ended, the one createUser opened included; the old password is refused.
    expect((await user.get('/api/v1/auth/me')).status).toBe(401);
    const old = await apiSignIn(t, user.email, TEST_PASSWORD);
    expect(old.res.status).toBe(401);
    expect(old.res.body.error?.code).toBe('invalid_credentials');

    await page.getByTestId('reset-password-sign-in').click();
    await page.getByTestId('sign-in-email').fill(user.email);
    await page.getByTestId('sign-in-password').fill(TEST_PASSWORD);
    await page.getByTestId('sign-in-submit').click();
    await expect(page.getByTestId('sign-in-error')).toContainText('do not match');
    await page.getByTestId('sign-in-password').fill(NEW_PASSWORD);
    await page.getByTestId('sign-in-submit').click();
    await expect(page.getByTestId('workspaces-page')).toBeVisible();

    // The reset link worked once.
    await page.goto(link);
    await page.getByTestId('reset-password-new').fill('yet another long password');
    await page.getByTestId('reset-password-repeat').fill('yet another long password');
    await page.getByTestId('reset-password-submit').click();
    await expect(page.getByTestId('link-refused')).toContainText('expired or was already used');
    expect((await apiSignIn(t, user.email, NEW_PASSWORD)).res.status).toBe(200);
    watch.check();
  });

  test('an invited person with an account, signed out, signs in from the invitation and lands in the workspace', async ({
    page,
  }) => {
    const watch = watchPage(page);
    const owner = await createUser(t, { name: 'Oscar Owner' });
    const workspaceId = await createWorkspace(owner, 'Northwind Legal');
    const invitee: TestClient = await createUser(t, { name: 'Ivy Invitee' });
    const invited = await owner.post(`/api/v1/workspaces/${workspaceId}/invitations`, {
      email: invitee.email,
      roles: ['viewer'],
    });
    expect(invited.status).toBe(201);
    const link = mailedLink(t, invitee.email, 'invite');

    await page.goto(link);
    await page.getByTestId('invite-sign-in').click();
    await expect(page.getByTestId('sign-in-for-invitation')).toBeVisible();
    await page.getByTestId('sign-in-email').fill(invitee.email);
    await page.getByTestId('sign-in-password').fill(TEST_PASSWORD);
    await page.getByTestId('sign-in-submit').click();
    await page.getByTestId('invite-accept').click();
    await expect(page).toHaveURL(new RegExp(`/console/w/${workspaceId}/records$`));
    await expect(page.getByTestId('workspace-switcher').locator('option:checked')).toHaveText(
      'Northwind Legal',
    );
    const members = await owner.get<{ items: { email: string; roles: string[] }[] }>(
      `/api/v1/workspaces/${workspaceId}/members`,
    );
    expect(members.body.items).toContainEqual(
      expect.objectContaining({ email: invitee.email, roles: ['viewer'] }),
    );

    // The invitation worked once: opened again, it is refused in words.
    await page.goto(link);
    await page.getByTestId('invite-accept').click();
    await expect(page.getByTestId('link-refused')).toContainText('expired or was already used');
    watch.check();
  });

  test('signing out ends the session on the server: the old cookie is refused afterwards', async ({
    page,
    context,
  }) => {
    const watch = watchPage(page);
    const user = await createUser(t, { name: 'Simon Signout' });
    await signIn(page, t, user);
    await expect(page.getByTestId('workspaces-page')).toBeVisible();
    const cookie = (await context.cookies(t.url)).find((c) => c.name === 'enclave_session');
    expect(cookie?.httpOnly).toBe(true);
    const held = `enclave_session=${cookie?.value ?? ''}`;
    expect((await fetch(`${t.url}/api/v1/auth/me`, { headers: { cookie: held } })).status).toBe(200);

    await page.getByTestId('sign-out').click();
    await expect(page.getByTestId('sign-in-page')).toBeVisible();
    expect((await fetch(`${t.url}/api/v1/auth/me`, { headers: { cookie: held } })).status).toBe(401);
    // And the browser is signed out too: a reload stays on sign-in.
    await page.goto(consoleUrl(t, '/account'));
    await expect(page.getByTestId('sign-in-page')).toBeVisible();
    watch.check();
  });
});
