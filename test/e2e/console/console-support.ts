import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import type { TestClient } from '../../../server/src/test-support/test-client';
import {
  startTestServer,
  TEST_PASSWORD,
  type TestServer,
  type TestServerOptions,
} from '../../../server/src/test-support/test-server';

/** The size every console screenshot is taken at, and the console tests' window. */
export const CONSOLE_VIEWPORT = { width: 1280, height: 800 };

/**
 * One real server for the tests of a spec file, or of the `describe` block it is called in (one
 * server per file keeps the suite fast), in the console tests' window size. It starts before the
 * tests; `setUp` then gets it, to keep it and to make the people and workspaces the tests share.
 * `tearDown` runs after the tests, before the server closes.
 */
export function useConsoleServer(
  setUp: (t: TestServer) => Promise<void> | void,
  options: TestServerOptions & { tearDown?: () => void } = {},
): void {
  const { tearDown, ...serverOptions } = options;
  let server: TestServer | undefined;
  test.use({ viewport: CONSOLE_VIEWPORT });
  test.beforeAll(async () => {
    server = await startTestServer(serverOptions);
    await setUp(server);
  });
  test.afterAll(async () => {
    tearDown?.();
    await server?.close();
  });
}

const SCREENSHOT_DIR = fileURLToPath(new URL('../../../test-results/console-screenshots', import.meta.url));

export function consoleUrl(t: TestServer, path: string): string {
  return `${t.url}/console${path}`;
}

/** Signs in through the console's own form, as a person would; lands on `next` (workspaces by default). */
export async function signIn(
  page: Page,
  t: TestServer,
  user: Pick<TestClient, 'email'>,
  options: { password?: string; next?: string } = {},
): Promise<void> {
  const next = options.next ? `?next=${encodeURIComponent(options.next)}` : '';
  await page.goto(consoleUrl(t, `/sign-in${next}`));
  await page.getByTestId('sign-in-email').fill(user.email);
  await page.getByTestId('sign-in-password').fill(options.password ?? TEST_PASSWORD);
  await page.getByTestId('sign-in-submit').click();
  await expect(page.getByTestId('sign-in-page')).toBeHidden();
}

/**
 * axe-core on the page as it is now: no serious or critical violation (WCAG 2.1 A and AA rules).
 * The violations are listed in the failure, by rule and element, so the fix is plain.
 */
export async function expectAccessible(page: Page): Promise<void> {
  const result = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
    .analyze();
  const bad = result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  expect(bad, 'axe-core violations').toEqual([]);
}

/** A screenshot for people to look at, at 1280×800, kept with the test artifacts. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`) });
}

/**
 * Collects what would mean the console broke its own rules: a Content Security Policy violation
 * (inline script or style, eval) or an uncaught error. Call `check()` at the end of a test.
 */
export function watchPage(page: Page): { check: () => void } {
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy|Refused to/i.test(message.text()))
      problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(`uncaught: ${error.message}`));
  return { check: () => expect(problems, 'CSP violations and uncaught errors').toEqual([]) };
}
