import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import keytar from 'keytar';
import { expect, test, type BrowserContext, type Page } from '@playwright/test';
import type { AuditEvent, WorkspaceRecord } from '@enclave/shared';
import { createPairing } from '../../server/src/test-support/test-devices';
import {
  createRecord,
  getRecord,
  planReply,
  sentToModel,
  setAi,
  startAiWorld,
  type AiWorld,
} from '../ai/ai-support';
import { expectAccessible, watchPage } from './console/console-support';
import { DesktopHarness } from './harness/desktop-harness';
import { NetworkSwitch } from '../support/network-switch';

/**
 * The desktop app's AI end to end: the built renderer in Chromium, the real main core, a real
 * server whose model is the Messages API stub, and a network that can be cut. The assistant
 * answers through the device's own token, and a proposal is decided from the app.
 */

let world: AiWorld;
let network: NetworkSwitch;
let harness: DesktopHarness | null = null;
let globex: WorkspaceRecord;
let ticket: WorkspaceRecord;
const dirs: string[] = [];
const services: string[] = [];

test.beforeAll(async () => {
  world = await startAiWorld();
  await setAi(world, { trust: { records: 'proposeOnly', triage: 'proposeOnly' } });
  globex = await createRecord(world.owner, world, 'client', { name: 'Globex', status: 'active' });
  ticket = await createRecord(world.owner, world, 'ticket', {
    subject: 'Late delivery of the November order',
    client: globex.id,
    priority: 'normal',
    status: 'open',
  });
  network = await NetworkSwitch.start(world.t.url);
});

test.afterEach(async () => {
  await harness?.close();
  harness = null;
  network.goOnline();
});

test.afterAll(async () => {
  await network.close();
  await world.close();
  for (const service of services) {
    for (const { account } of await keytar.findCredentials(service))
      await keytar.deletePassword(service, account);
  }
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function pairedApp(context: BrowserContext): Promise<Page> {
  const dataDir = mkdtempSync(join(tmpdir(), 'enclave-e2e-ai-'));
  const service = `Enclave-e2e-${randomUUID()}`;
  dirs.push(dataDir);
  services.push(service);
  harness = await DesktopHarness.start({ dataDir, keychainService: service });
  const page = await harness.open(context);
  const { code } = await createPairing(world.owner, world.workspaceId);
  await page.getByTestId('pair-server').fill(network.url);
  await page.getByTestId('pair-code').fill(code);
  await page.getByTestId('pair-device-name').fill('AI laptop');
  await page.getByTestId('pair-submit').click();
  await expect(page.getByTestId('nav-type-ticket')).toContainText('1');
  await expect(page.getByTestId('sync-status')).toHaveAttribute('data-status', 'online');
  return page;
}

test('the assistant answers through the device, and a proposal is edited and approved from the app', async ({
  context,
}) => {
  const page = await pairedApp(context);
  const watch = watchPage(page);

  await page.getByTestId('nav-assistant').click();
  await expect(page.getByTestId('assistant-view')).toBeVisible();
  await expectAccessible(page);

  world.stub.reset();
  world.stub.enqueue(
    planReply({
      operations: [{ tool: 'record_update', input: { id: ticket.id, data: { priority: 'urgent' } } }],
      answer: 'The late delivery ticket can be made urgent once you approve it.',
      citedRecordIds: [ticket.id],
      confidence: 0.9,
    }),
  );
  await page.getByTestId('ai-message').fill('make the late delivery ticket urgent');
  await page.getByTestId('ai-submit').click();

  const exchange = page.getByTestId('ai-exchange');
  await expect(exchange.getByTestId('ai-answer-text')).toHaveText(
    'The late delivery ticket can be made urgent once you approve it.',
  );
  expect(sentToModel(world.stub)).toContain('make the late delivery ticket urgent');
  const decision = exchange.getByTestId('ai-decision-row');
  await expect(decision).toHaveAttribute('data-decision', 'proposed');
  await expect(decision.getByTestId('ai-hold-reasons')).toContainText(/./);
  // The operation reads with the record's title, from the replica.
  await expect(decision.getByTestId('ai-decision-summary')).toContainText(
    'Late delivery of the November order',
  );
  await expectAccessible(page);

  // A cited record opens in the app.
  await exchange.getByTestId('ai-cited-record').getByRole('link').click();
  await expect(page.getByTestId('nav-type-ticket')).toHaveAttribute('aria-current', 'page');
  await expect(page.getByTestId('record-detail')).toContainText('Late delivery of the November order');

  // The answers are still there; the proposal opens in the queue.
  await page.getByTestId('nav-assistant').click();
  await expect(page.getByTestId('ai-exchange')).toHaveCount(1);
  await page.getByTestId('ai-decision-proposal').click();
  await expect(page.getByTestId('proposals-view')).toBeVisible();
  const card = page.getByTestId('proposal-card');
  await expect(card).toHaveCount(1);
  await expect(card).toHaveAttribute('data-status', 'pending');
  await expect(card.getByTestId('proposal-requester')).toContainText(world.owner.email);
  await expectAccessible(page);

  // Edit, then approve: the edited change runs on the server, on record as this device.
  await card.getByTestId('proposal-edit').click();
  await card.getByTestId('proposal-editor').getByTestId('field-priority').selectOption('high');
  await card.getByTestId('proposal-edit-approve').click();
  await expect(card).toHaveAttribute('data-status', 'approved');
  await expect(card.getByTestId('proposal-outcome')).toContainText('AI laptop (this device)');
  await expect(card.getByTestId('proposal-outcome')).toContainText('edited');
  expect((await getRecord(world, ticket.id)).data.priority).toBe('high');
  const audit = await world.owner.get<{ items: AuditEvent[] }>(
    `${world.api('/audit')}?recordId=${ticket.id}&limit=1`,
  );
  expect(audit.body.items[0]).toMatchObject({
    action: 'record.update',
    actor: { kind: 'device', label: 'AI laptop' },
    details: { proposedBy: 'ai', edited: true },
  });
  // The change syncs back into the replica like any other.
  await page.getByTestId('nav-type-ticket').click();
  await page.getByTestId('record-row').first().click();
  await expect(page.getByTestId('record-detail')).toContainText(/high/i);

  watch.check();
});

test('rejects a proposal with a reason, and says plainly that the AI needs a connection', async ({
  context,
}) => {
  const page = await pairedApp(context);
  const watch = watchPage(page);

  world.stub.reset();
  world.stub.enqueue(
    planReply({
      operations: [{ tool: 'record_update', input: { id: globex.id, data: { status: 'inactive' } } }],
      answer: 'Globex can be set inactive once you approve it.',
    }),
  );
  await page.getByTestId('nav-assistant').click();
  await page.getByTestId('ai-message').fill('set Globex inactive');
  await page.getByTestId('ai-submit').click();
  await expect(page.getByTestId('ai-decision-row')).toHaveAttribute('data-decision', 'proposed');

  await page.getByTestId('nav-proposals').click();
  const card = page.locator('[data-testid="proposal-card"][data-status="pending"]');
  await expect(card).toHaveCount(1);
  await card.getByTestId('proposal-reject').click();
  await card.getByTestId('proposal-reject-reason').fill('Globex is still a client');
  await card.getByTestId('proposal-reject-submit').click();
  const rejected = page.locator('[data-testid="proposal-card"][data-status="rejected"]');
  await expect(rejected.getByTestId('proposal-outcome')).toContainText('Globex is still a client');
  expect((await getRecord(world, globex.id)).data.status).toBe('active');

  // Offline: no error dump, a plain sentence; what was loaded stays readable, without decisions.
  network.goOffline();
  await expect(page.getByTestId('sync-status')).toHaveAttribute('data-status', 'offline');
  const proposals = page.getByTestId('proposals-view');
  await expect(proposals.getByTestId('ai-needs-connection')).toContainText('Offline');
  await expect(page.getByTestId('proposal-card')).toHaveCount(1);
  await expect(rejected.getByTestId('proposal-reject')).toHaveCount(0);
  await expect(page.getByTestId('proposals-refresh')).toBeDisabled();
  await page.getByTestId('proposals-status').selectOption('all');
  await expect(proposals.getByTestId('ai-needs-connection')).toContainText('Proposals need a connection');
  await expect(page.getByTestId('proposal-card')).toHaveCount(0);

  await page.getByTestId('nav-assistant').click();
  const assistant = page.getByTestId('assistant-view');
  await expect(assistant.getByTestId('ai-needs-connection')).toContainText(
    'The assistant needs a connection',
  );
  await expect(page.getByTestId('ai-submit')).toBeDisabled();
  await expect(assistant.locator('.error-note')).toHaveCount(0);
  await expectAccessible(page);

  // Back online, the assistant works again.
  network.goOnline();
  await harness?.control('reconnectNow');
  await expect(page.getByTestId('sync-status')).toHaveAttribute('data-status', /online|syncing/);
  await expect(page.getByTestId('ai-submit')).toBeEnabled();
  watch.check();
});
