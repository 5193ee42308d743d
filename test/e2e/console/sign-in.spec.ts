import { expect, test } from '@playwright/test';
import type { TestClient } from '../../../server/src/test-support/test-client';
import { createUser, type TestServer } from '../../../server/src/test-support/test-server';
import {
  consoleUrl,
  expectAccessible,
  screenshot,
  signIn,
  useConsoleServer,
  watchPage,
} from './console-support';

let t: TestServer;
let user: TestClient;

useConsoleServer(async (server) => {
  t = server;
  user = await createUser(t, { name: 'Sam Signin' });
});

test('a wrong password is refused in words, and the right one signs in without a token in script reach', async ({
  page,
}) => {
  const watch = watchPage(page);
  await page.goto(consoleUrl(t, '/'));
  // Not signed in: the console sends the person to the sign-in page.
  await expect(page.getByTestId('sign-in-page')).toBeVisible();
  await expectAccessible(page);
  await screenshot(page, 'sign-in');

  await page.getByTestId('sign-in-email').fill(user.email);
  await page.getByTestId('sign-in-password').fill('not the password at all');
  await page.getByTestId('sign-in-submit').click();
  await expect(page.getByTestId('sign-in-error')).toContainText('do not match');
  await expect(page.getByTestId('sign-in-error')).toHaveAttribute('data-code', 'invalid_credentials');

  await signIn(page, t, user);
  await expect(page.getByTestId('workspaces-page')).toBeVisible();
  // The session cookie is HttpOnly: nothing in the page can read it, and nothing is stored.
  expect(await page.evaluate(() => document.cookie)).toBe('');
  expect(await page.evaluate(() => localStorage.length + sessionStorage.length)).toBe(0);
  watch.check();
});

test('the old link paths open the same pages of the console, query string and all', async ({ page }) => {
  await page.goto(`${t.url}/reset-password?token=abc`);
  expect(new URL(page.url()).pathname).toBe('/console/reset-password');
  expect(new URL(page.url()).searchParams.get('token')).toBe('abc');
});
