import { expect, test, type Page } from '@playwright/test';
import { DEFAULT_AI_SETTINGS, type AiSettings, type UsageSummary } from '@enclave/shared';
import type { TestClient } from '../../../server/src/test-support/test-client';
import {
  addMember,
  createUser,
  createWorkspace,
  type TestServer,
} from '../../../server/src/test-support/test-server';
import { planReply } from '../../ai/ai-support';
import { startAnthropicStub, type AnthropicStub, type StubMessageReply } from '../../support/anthropic-stub';
import { expectAccessible, screenshot, signIn, useConsoleServer, watchPage } from './console-support';

let t: TestServer;
let stub: AnthropicStub;
let owner: TestClient;
let member: TestClient;
/** Where the allowance is reached: 10,000 tokens, no top-up. */
let workspaceId: string;
/** Where the prompt log is long enough to page. */
let busyId: string;

const ALLOWANCE = 10_000;
const OWNER_QUESTION = 'How many tickets are open this week?';
const MEMBER_QUESTION = 'Which invoices are <b>overdue</b> and by how much?';

const api = (id: string, path: string) => `/api/v1/workspaces/${id}${path}`;

/** The model's plan, costing what `usage` says: the stub's usage is what the server counts. */
function reply(answer: string, input: number, output: number): StubMessageReply {
  return { ...planReply({ answer }), usage: { input_tokens: input, output_tokens: output } };
}

async function ask(client: TestClient, id: string, message: string): Promise<number> {
  const res = await client.post(api(id, '/ai/requests'), { feature: 'assistant', message });
  return res.status;
}

async function putSettings(id: string, change: Partial<AiSettings>): Promise<void> {
  const res = await owner.put(api(id, '/ai/settings'), {
    ...DEFAULT_AI_SETTINGS,
    enabled: true,
    triageNewTickets: false,
    ...change,
  });
  expect(res.status, res.text).toBe(200);
}

async function usage(id: string): Promise<UsageSummary> {
  const res = await owner.get<UsageSummary>(api(id, '/ai/usage'));
  expect(res.status).toBe(200);
  return res.body;
}

const row = (page: Page, table: string, key: string) =>
  page.getByTestId(`${table}-row`).and(page.locator(`[data-key="${key}"]`));

const env: Record<string, string> = {
  ANTHROPIC_API_KEY: 'sk-ant-console-usage',
  ENCLAVE_AI_MAX_RETRIES: '0',
};

test.beforeAll(async () => {
  stub = await startAnthropicStub();
  env.ANTHROPIC_BASE_URL = stub.url;
});
useConsoleServer(
  async (server) => {
    t = server;
    owner = await createUser(t, { name: 'Olivia Owner' });
    member = await createUser(t, { name: 'Milo Member' });
    workspaceId = await createWorkspace(owner, 'Harbour Legal');
    await addMember(owner, workspaceId, member, ['member']);
    await putSettings(workspaceId, { monthlyAllowanceTokens: ALLOWANCE });
    busyId = await createWorkspace(owner, 'Busy Bees');
    await putSettings(busyId, { monthlyAllowanceTokens: 50_000_000 });
  },
  { env },
);
test.afterAll(async () => {
  await stub.close();
});
test.beforeEach(() => {
  stub.reset();
});

test('usage after two calls shows the totals by feature and by person, and the shell warns at 80%', async ({
  page,
}) => {
  const watch = watchPage(page);
  await signIn(page, t, owner, { next: `/w/${workspaceId}/usage` });
  await expect(page.getByTestId('usage-figures')).toContainText('0 of 10,000 tokens used (0%)');
  await expect(page.getByTestId('usage-by-feature-empty')).toBeVisible();
  await expect(page.getByTestId('prompt-log-empty')).toBeVisible();
  await expect(page.getByTestId('ai-usage-banner')).toHaveCount(0);
  await expectAccessible(page);

  stub.enqueue(
    reply('Four tickets are open.', 3_000, 1_500),
    reply('Two invoices are overdue.', 2_500, 1_000),
  );
  expect(await ask(owner, workspaceId, OWNER_QUESTION)).toBe(200);
  expect(await ask(member, workspaceId, MEMBER_QUESTION)).toBe(200);
  expect(stub.requests).toHaveLength(2);
  const summary = await usage(workspaceId);
  expect(summary).toMatchObject({
    usedTokens: 8_000,
    allowanceTokens: ALLOWANCE,
    alert: '80',
    paused: false,
  });

  await page.reload();
  await expect(page.getByTestId('usage-figures')).toContainText('8,000 of 10,000 tokens used (80%)');
  await expect(page.getByTestId('usage-bar')).toHaveAttribute('aria-valuenow', '8000');
  const assistant = row(page, 'usage-by-feature', 'assistant');
  await expect(assistant).toContainText('Assistant');
  await expect(assistant.locator('td').nth(0)).toHaveText('2');
  await expect(assistant.getByTestId('usage-by-feature-total')).toHaveText('8,000');
  await expect(page.getByTestId('usage-by-person-row')).toHaveCount(2);
  await expect(row(page, 'usage-by-person', owner.userId ?? '')).toContainText('Olivia Owner');
  await expect(row(page, 'usage-by-person', owner.userId ?? '')).toContainText(owner.email);
  await expect(
    row(page, 'usage-by-person', owner.userId ?? '').getByTestId('usage-by-person-total'),
  ).toHaveText('4,500');
  await expect(
    row(page, 'usage-by-person', member.userId ?? '').getByTestId('usage-by-person-total'),
  ).toHaveText('3,500');
  await expect(page.getByTestId('usage-top-up')).toContainText('No top-up');

  const banner = page.getByTestId('ai-usage-banner');
  await expect(banner).toHaveAttribute('data-alert', '80');
  await expect(banner).toContainText('This workspace has used 80% of its AI allowance');
  await expectAccessible(page);
  await screenshot(page, 'ai-usage');

  // The banner belongs to the workspace, not to this page.
  await page.getByTestId('nav-records').click();
  await expect(page.getByTestId('records-page')).toBeVisible();
  await expect(banner).toHaveAttribute('data-alert', '80');
  await banner.getByTestId('ai-usage-banner-link').click();
  await expect(page.getByTestId('ai-usage-page')).toBeVisible();
  watch.check();
});

test('the prompt log shows the newest call first; an entry opens to what was sent and what came back, as text', async ({
  page,
}) => {
  const watch = watchPage(page);
  // A call that fails is logged too, with no answer and its error.
  stub.enqueue({ kind: 'error', status: 500, type: 'api_error', message: 'The model fell over' });
  expect(await ask(owner, workspaceId, 'Summarise the week, please.')).toBe(503);
  expect(stub.requests).toHaveLength(1);

  await signIn(page, t, owner, { next: `/w/${workspaceId}/usage` });
  const entries = page.getByTestId('prompt-log-entry');
  await expect(entries).toHaveCount(3);
  const failed = entries.nth(0);
  const memberCall = entries.nth(1);
  await expect(failed).toHaveAttribute('data-outcome', 'error');
  await expect(failed.getByTestId('prompt-log-outcome')).toHaveText('Failed');
  await expect(memberCall).toContainText('Milo Member');
  await expect(memberCall.getByTestId('prompt-log-tokens')).toHaveText('2,500 in · 1,000 out');
  await expect(entries.nth(2)).toContainText('Olivia Owner');
  await expect(memberCall.getByTestId('prompt-log-body')).toHaveCount(0);

  await memberCall.getByTestId('prompt-log-toggle').click();
  await expect(memberCall.getByTestId('prompt-log-toggle')).toHaveAttribute('aria-expanded', 'true');
  const sent = memberCall.getByTestId('prompt-log-request');
  await expect(sent).toContainText('Which invoices are');
  await expect(sent).toContainText('overdue');
  // What was sent holds markup-like text (the request's own <request> and <data> fences): it is
  // shown as the characters it is, never as elements.
  await expect(sent).toContainText('<request from=');
  await expect(sent).toContainText('<data kind=\\"records\\"');
  await expect(sent.locator('*')).toHaveCount(0);
  const back = memberCall.getByTestId('prompt-log-response');
  await expect(back).toContainText('Two invoices are overdue.');
  await expect(back).toContainText('"input_tokens": 2500');
  await expect(memberCall.getByTestId('prompt-log-model')).not.toBeEmpty();
  await expect(memberCall.getByTestId('prompt-log-outcome-text')).toHaveText('Answered');
  await expectAccessible(page);
  await screenshot(page, 'ai-prompt-log');

  await failed.getByTestId('prompt-log-toggle').click();
  await expect(failed.getByTestId('prompt-log-outcome-text')).toContainText('Failed:');
  await expect(failed.getByTestId('prompt-log-no-response')).toBeVisible();
  await expect(failed.getByTestId('prompt-log-request')).toContainText('Summarise the week, please.');

  await memberCall.getByTestId('prompt-log-toggle').click();
  await expect(memberCall.getByTestId('prompt-log-body')).toHaveCount(0);
  watch.check();
});

test('a member sees the workspace total and their own use, and no prompt log', async ({ page }) => {
  const watch = watchPage(page);
  await signIn(page, t, member, { next: `/w/${workspaceId}/usage` });
  await expect(page.getByTestId('usage-figures')).toContainText('8,000 of 10,000 tokens used');
  await expect(page.getByTestId('usage-by-person-row')).toHaveCount(1);
  await expect(row(page, 'usage-by-person', member.userId ?? '')).toContainText(member.email);
  await expect(page.getByTestId('prompt-log')).toHaveCount(0);
  await expect(page.getByTestId('prompt-log-admins-only')).toBeVisible();
  await expect(page.getByTestId('ai-usage-banner')).toHaveAttribute('data-alert', '80');
  await expectAccessible(page);
  await screenshot(page, 'ai-usage-member');

  // Nor does the server give it to a member who asks.
  const refused = await member.get(api(workspaceId, '/ai/prompt-log'));
  expect(refused.status).toBe(403);
  watch.check();
});

test('at 100% AI pauses: the shell and the usage page say so; a top-up lets it go on; AI off, no banner', async ({
  page,
}) => {
  const watch = watchPage(page);
  stub.enqueue(reply('Done.', 1_500, 500));
  expect(await ask(owner, workspaceId, OWNER_QUESTION)).toBe(200);
  expect(await usage(workspaceId)).toMatchObject({ usedTokens: ALLOWANCE, alert: '100', paused: true });

  await signIn(page, t, owner, { next: `/w/${workspaceId}/records` });
  const banner = page.getByTestId('ai-usage-banner');
  await expect(banner).toHaveAttribute('data-alert', 'paused');
  await expect(banner).toContainText('AI is paused: the allowance is spent');
  await expectAccessible(page);
  await screenshot(page, 'ai-usage-banner-paused');
  await banner.getByTestId('ai-usage-banner-link').click();
  await expect(page.getByTestId('usage-figures')).toContainText('10,000 of 10,000 tokens used (100%)');
  await expect(page.getByTestId('usage-paused')).toContainText('AI is paused');
  await expectAccessible(page);
  await screenshot(page, 'ai-usage-paused');

  // Paused means no model call at all.
  const spent = await owner.post(api(workspaceId, '/ai/requests'), {
    feature: 'assistant',
    message: 'One more?',
  });
  expect(spent.status).toBe(429);
  expect(stub.requests).toHaveLength(1);

  await putSettings(workspaceId, { monthlyAllowanceTokens: ALLOWANCE, topUp: true });
  await page.reload();
  await expect(banner).toHaveAttribute('data-alert', '100');
  await expect(banner).toContainText('a top-up is allowed, so AI goes on');
  await expect(page.getByTestId('usage-paused')).toHaveCount(0);
  await expect(page.getByTestId('usage-top-up')).toContainText('A top-up is allowed');

  // With AI switched off there is no allowance to warn about.
  // The banner reads the settings only when there is an alert: once they are in, it has decided.
  await putSettings(workspaceId, { enabled: false, monthlyAllowanceTokens: ALLOWANCE, topUp: true });
  const settingsRead = page.waitForResponse((res) => res.url().endsWith('/ai/settings'));
  await page.reload();
  expect((await settingsRead).status()).toBe(200);
  await expect(page.getByTestId('usage-figures')).toBeVisible();
  await page.evaluate(() => new Promise((done) => requestAnimationFrame(done)));
  await expect(banner).toHaveCount(0);
  watch.check();
});

test('the prompt log pages 20 calls at a time, newest first', async ({ page }) => {
  const watch = watchPage(page);
  stub.setDefault(reply('Noted.', 10, 5));
  for (let n = 1; n <= 21; n += 1) expect(await ask(owner, busyId, `Question number ${String(n)}`)).toBe(200);

  await signIn(page, t, owner, { next: `/w/${busyId}/usage` });
  const entries = page.getByTestId('prompt-log-entry');
  await expect(entries).toHaveCount(20);
  await expect(page.getByTestId('ai-usage-banner')).toHaveCount(0);
  await entries.first().getByTestId('prompt-log-toggle').click();
  await expect(entries.first().getByTestId('prompt-log-request')).toContainText('Question number 21');
  await page.getByTestId('prompt-log-more').click();
  await expect(entries).toHaveCount(21);
  await expect(page.getByTestId('prompt-log-more')).toHaveCount(0);
  await entries.last().getByTestId('prompt-log-toggle').click();
  await expect(entries.last().getByTestId('prompt-log-request')).toContainText('Question number 1\\"');
  await expectAccessible(page);
  watch.check();
});
