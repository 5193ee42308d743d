import { expect, test, type Browser, type Page } from '@playwright/test';
import type { TestClient } from '../../../server/src/test-support/test-client';
import { createUser, TEST_PASSWORD, type TestServer } from '../../../server/src/test-support/test-server';
import {
  CONSOLE_VIEWPORT,
  consoleUrl,
  expectAccessible,
  screenshot,
  signIn,
  useConsoleServer,
  watchPage,
} from './console-support';

let t: TestServer;

useConsoleServer((server) => {
  t = server;
});

interface Session {
  id: string;
  current: boolean;
}

/** The sessions of `user` as the server holds them. */
async function sessionsOf(page: Page): Promise<Session[]> {
  const res = await page.request.get(`${t.url}/api/v1/auth/sessions`);
  expect(res.status()).toBe(200);
  return ((await res.json()) as { items: Session[] }).items;
}

/** Another browser (its own cookies), signed in as `user`, on the workspaces page. */
async function otherBrowser(browser: Browser, user: TestClient, password = TEST_PASSWORD) {
  const context = await browser.newContext({ viewport: CONSOLE_VIEWPORT });
  const page = await context.newPage();
  await signIn(page, t, user, { password });
  await expect(page.getByTestId('workspaces-page')).toBeVisible();
  const id = (await sessionsOf(page)).find((s) => s.current)?.id ?? '';
  return { context, page, id };
}

/** The next thing the person does in that browser finds the session gone: back to sign-in. */
async function expectSentToSignIn(page: Page): Promise<void> {
  await page.getByTestId('nav-account').click();
  await expect(page.getByTestId('sign-in-page')).toBeVisible();
}

test('my sessions lists every browser, marks this one, and signs out another one', async ({
  page,
  browser,
}) => {
  const watch = watchPage(page);
  const user = await createUser(t, { name: 'Sessions Sam' });
  // The API client createUser signed in with is a session too: end it, so the list holds browsers only.
  expect((await user.post('/api/v1/auth/signout')).status).toBe(204);
  const other = await otherBrowser(browser, user);

  await signIn(page, t, user, { next: '/account' });
  await expect(page.getByTestId('account-page')).toBeVisible();
  await expect(page.getByTestId('account-name')).toHaveText('Sessions Sam');
  await expect(page.getByTestId('account-email')).toHaveText(user.email);
  const rows = page.getByTestId('session-row');
  await expect(rows).toHaveCount(2);
  const mine = rows.and(page.locator('[data-current="true"]'));
  await expect(mine).toContainText('This browser');
  await expect(mine).toContainText('Chrome on Linux');
  await expect(mine).toContainText('127.0.0.1');
  // This browser has no sign-out button of its own here: that is the shell's Sign out.
  await expect(mine.getByTestId('session-revoke')).toHaveCount(0);
  const theirs = page.locator(`[data-session-id="${other.id}"]`);
  await expect(theirs).toBeVisible();
  await expect(theirs).not.toContainText('This browser');
  await expectAccessible(page);
  await screenshot(page, 'account');

  await theirs.getByTestId('session-revoke').click();
  await expect(page.getByRole('alertdialog')).toContainText('Sign out this session?');
  await expectAccessible(page);
  await screenshot(page, 'account-revoke-session');
  await page.getByTestId('confirm-revoke-session').click();
  await expect(page.getByTestId('sessions-notice')).toContainText('Signed out Chrome on Linux');
  await expect(rows).toHaveCount(1);
  expect((await sessionsOf(page)).map((s) => s.id)).not.toContain(other.id);

  await expectSentToSignIn(other.page);
  await other.context.close();
  watch.check();
});

test('sign out everywhere else ends every other session and keeps this one', async ({ page, browser }) => {
  const watch = watchPage(page);
  const user = await createUser(t, { name: 'Everywhere Eve' });
  const second = await otherBrowser(browser, user);
  const third = await otherBrowser(browser, user);

  await signIn(page, t, user, { next: '/account' });
  const rows = page.getByTestId('session-row');
  // Two other browsers and the API client createUser signed in with.
  await expect(rows).toHaveCount(4);
  await page.getByTestId('sign-out-others').click();
  await expect(page.getByRole('alertdialog')).toContainText('3 sessions');
  await page.getByTestId('confirm-sign-out-others').click();
  await expect(page.getByTestId('sessions-notice')).toContainText('Signed out 3 other sessions');
  await expect(rows).toHaveCount(1);
  await expect(rows).toHaveAttribute('data-current', 'true');
  await expect(page.getByTestId('sign-out-others')).toBeDisabled();
  await expectAccessible(page);
  await screenshot(page, 'account-signed-out-elsewhere');

  // On the server: one session left, this one; the others' next requests are refused.
  const left = await sessionsOf(page);
  expect(left).toHaveLength(1);
  expect(left[0]?.current).toBe(true);
  expect((await user.get('/api/v1/auth/me')).status).toBe(401);
  await expectSentToSignIn(second.page);
  await expectSentToSignIn(third.page);
  await second.context.close();
  await third.context.close();
  watch.check();
});

test('changing the password needs the current one, ends every other session and keeps this one', async ({
  page,
  browser,
}) => {
  const watch = watchPage(page);
  const user = await createUser(t, { name: 'Password Pat' });
  const other = await otherBrowser(browser, user);
  const newPassword = 'the new password of Pat, long enough';

  await signIn(page, t, user, { next: '/account' });
  await page.getByTestId('password-current').fill('not my password at all');
  await page.getByTestId('password-new').fill(newPassword);
  await page.getByTestId('password-submit').click();
  await expect(page.getByTestId('password-current-error')).toHaveText('This is not your current password.');

  await page.getByTestId('password-current').fill(TEST_PASSWORD);
  await page.getByTestId('password-new').fill('short');
  await page.getByTestId('password-submit').click();
  await expect(page.getByTestId('password-new-error')).toHaveText(
    'The new password must be at least 12 characters.',
  );
  await expect(page.getByTestId('password-current-error')).toHaveCount(0);
  await expectAccessible(page);
  await screenshot(page, 'account-password-error');
  // Both refusals changed nothing: the old password still signs in.
  expect(
    (await t.client().post('/api/v1/auth/signin', { email: user.email, password: TEST_PASSWORD })).status,
  ).toBe(200);

  await page.getByTestId('password-new').fill(newPassword);
  await page.getByTestId('password-submit').click();
  await expect(page.getByTestId('password-changed')).toContainText('Every other session');
  await expect(page.getByTestId('password-current')).toHaveValue('');
  await expect(page.getByTestId('session-row')).toHaveCount(1);

  // This browser is still signed in; every other one is not; the old password no longer works.
  expect((await page.request.get(`${t.url}/api/v1/auth/me`)).status()).toBe(200);
  expect((await user.get('/api/v1/auth/me')).status).toBe(401);
  await expectSentToSignIn(other.page);
  const oldPassword = await t
    .client()
    .post('/api/v1/auth/signin', { email: user.email, password: TEST_PASSWORD });
  expect(oldPassword.status).toBe(401);
  await signIn(other.page, t, user, { password: newPassword });
  await expect(other.page.getByTestId('workspaces-page')).toBeVisible();
  await other.context.close();
  await page.goto(consoleUrl(t, '/account'));
  await expect(page.getByTestId('account-page')).toBeVisible();
  watch.check();
});
