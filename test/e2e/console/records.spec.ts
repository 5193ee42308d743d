import { expect, test, type Page } from '@playwright/test';
import type { RecordPage, WorkspaceRecord } from '@enclave/shared';
import type { TestClient } from '../../../server/src/test-support/test-client';
import {
  addMember,
  createUser,
  createWorkspace,
  type TestServer,
} from '../../../server/src/test-support/test-server';
import { expectAccessible, screenshot, signIn, useConsoleServer, watchPage } from './console-support';

let t: TestServer;
let owner: TestClient;
let viewer: TestClient;
let member: TestClient;
/** Clients, invoices and 55 tickets for the list; nothing in it changes. */
let listing: string;
/** Where records are created, edited, deleted and restored. */
let editing: string;

const CLIENTS = [
  { id: 'acme-ltd', name: 'Acme Ltd', status: 'active', email: 'billing@acme.example' },
  { id: 'acme-holdings', name: 'Acme Holdings', status: 'lead' },
  { id: 'beta-bakery', name: 'Beta Bakery', status: 'active' },
  { id: 'cobalt-mining', name: 'Cobalt Mining', status: 'inactive' },
  { id: 'delta-dental', name: 'Delta Dental', status: 'active' },
  { id: 'echo-events', name: 'Echo Events', status: 'lead' },
];

const api = (workspaceId: string) => `/api/v1/workspaces/${workspaceId}`;

async function create(workspaceId: string, type: string, id: string, data: Record<string, unknown>) {
  const res = await owner.post<WorkspaceRecord>(`${api(workspaceId)}/records`, { id, type, data });
  if (res.status !== 201) throw new Error(`creating ${id} failed: ${String(res.status)} ${res.text}`);
  return res.body;
}

async function record(workspaceId: string, id: string): Promise<WorkspaceRecord> {
  const res = await owner.get<WorkspaceRecord>(`${api(workspaceId)}/records/${id}`);
  expect(res.status).toBe(200);
  return res.body;
}

async function list(workspaceId: string, query: string): Promise<WorkspaceRecord[]> {
  const res = await owner.get<RecordPage>(`${api(workspaceId)}/records?${query}`);
  expect(res.status).toBe(200);
  return res.body.items;
}

const titles = (page: Page) => page.getByTestId('records-table').getByTestId('record-link');

async function openRecords(page: Page, user: TestClient, workspaceId: string, search: string) {
  await signIn(page, t, user, { next: `/w/${workspaceId}/records${search}` });
  await expect(page.getByTestId('records-page')).toBeVisible();
}

useConsoleServer(async (server) => {
  t = server;
  owner = await createUser(t, { name: 'Rita Records' });
  viewer = await createUser(t, { name: 'Victor Viewer' });
  member = await createUser(t, { name: 'Mona Member' });
  listing = await createWorkspace(owner, 'Listing Ltd');
  editing = await createWorkspace(owner, 'Editing Ltd');
  for (const workspaceId of [listing, editing]) {
    for (const { id, ...data } of CLIENTS) await create(workspaceId, 'client', id, data);
  }
  const invoices = [
    { id: 'inv-1', number: 'INV-001', amount: 5_000 },
    { id: 'inv-2', number: 'INV-002', amount: 15_000 },
    { id: 'inv-3', number: 'INV-003', amount: 25_000 },
  ];
  for (const { id, ...data } of invoices) {
    await create(listing, 'invoice', id, {
      ...data,
      client: 'acme-ltd',
      issued_on: '2026-01-15',
      status: 'sent',
    });
  }
  for (let i = 0; i < 55; i++) {
    const n = String(i).padStart(2, '0');
    await create(listing, 'ticket', `ticket-${n}`, {
      subject: `Ticket ${n}`,
      priority: 'normal',
      status: 'open',
    });
  }
  await addMember(owner, editing, viewer, ['viewer']);
  await addMember(owner, editing, member, ['member']);
});

test('search, sort and filters narrow the list as the server does, a page at a time', async ({ page }) => {
  const watch = watchPage(page);
  await openRecords(page, owner, listing, '?type=client');
  await expect(titles(page)).toHaveCount(CLIENTS.length);
  await expectAccessible(page);
  await screenshot(page, 'records-list');

  // Sort by name: the seeded names in order, and the choice is in the address.
  await page.getByTestId('records-sort').selectOption('name|asc');
  await expect(titles(page)).toHaveText(CLIENTS.map((c) => c.name).sort());
  expect(new URL(page.url()).searchParams.get('sort')).toBe('name');
  await page.getByTestId('records-sort').selectOption('name|desc');
  await expect(titles(page)).toHaveText(
    CLIENTS.map((c) => c.name)
      .sort()
      .reverse(),
  );

  // Search: every client with "acme" in a text field, nothing else.
  await page.getByTestId('records-search').fill('acme');
  await expect(titles(page)).toHaveText(['Acme Ltd', 'Acme Holdings']);
  await expect.poll(() => new URL(page.url()).searchParams.get('q')).toBe('acme');

  // A filter on an indexed field, on top of the search: the active Acme only.
  await page.getByTestId('filter-add').click();
  await page.getByTestId('filter-field').selectOption('status');
  await page.getByTestId('filter-op').selectOption('eq');
  await page.getByTestId('filter-value').selectOption('active');
  await page.getByTestId('filter-apply').click();
  await expect(page.getByTestId('filter-chip')).toHaveText('Status is Active');
  await expect(titles(page)).toHaveText(['Acme Ltd']);
  const both = await list(listing, 'type=client&q=acme&filter=status:eq:active');
  expect(both.map((r) => r.id)).toEqual(['acme-ltd']);

  // Without the search, the filter alone: the three active clients, as the server lists them.
  await page.getByTestId('records-search').fill('');
  await expect(titles(page)).toHaveText(['Delta Dental', 'Beta Bakery', 'Acme Ltd']);
  const active = await list(listing, 'type=client&filter=status:eq:active&sort=name&order=desc');
  expect(active.map((r) => r.data.name)).toEqual(['Delta Dental', 'Beta Bakery', 'Acme Ltd']);
  await expectAccessible(page);

  // The view is the address: reloading shows the same list.
  await page.reload();
  await expect(titles(page)).toHaveText(['Delta Dental', 'Beta Bakery', 'Acme Ltd']);
  await page.getByRole('button', { name: 'Remove filter: Status is Active' }).click();
  await expect(titles(page)).toHaveCount(CLIENTS.length);

  // A money filter is typed in euros and compared in cents; the reference shows its title.
  await page.getByTestId('records-type-invoice').click();
  await expect(titles(page)).toHaveCount(3);
  await expect(page.getByTestId('record-row').first().locator('[data-field="client"]')).toHaveText(
    'Acme Ltd',
  );
  await page.getByTestId('filter-add').click();
  await page.getByTestId('filter-field').selectOption('amount');
  await page.getByTestId('filter-op').selectOption('gte');
  await page.getByTestId('filter-value').fill('100.00');
  await page.getByTestId('filter-apply').click();
  await expect(page.getByTestId('filter-chip')).toContainText('Amount is at least');
  await expect(titles(page)).toHaveText(['INV-003', 'INV-002']);
  expect(new URL(page.url()).searchParams.get('filter')).toBe('amount:gte:10000');

  // 55 tickets: 50 at first, the rest after "Load more", each once.
  await page.getByTestId('records-type-ticket').click();
  await expect(titles(page)).toHaveCount(50);
  await page.getByTestId('records-load-more').click();
  await expect(titles(page)).toHaveCount(55);
  await expect(page.getByTestId('records-load-more')).toHaveCount(0);
  const shown = await titles(page).allTextContents();
  expect(new Set(shown).size).toBe(55);

  // Nothing matches: the page says so and offers the way back.
  await page.getByTestId('records-search').fill('no such ticket anywhere');
  await expect(page.getByTestId('records-empty')).toContainText('No tickets match');
  await page.getByRole('button', { name: 'Clear search and filters' }).click();
  await expect(titles(page)).toHaveCount(50);
  watch.check();
});

test('a new record is created on the server, and its secret field stays masked until revealed', async ({
  page,
}) => {
  const watch = watchPage(page);
  await openRecords(page, owner, editing, '?type=client');
  await page.getByTestId('new-record').click();
  const form = page.getByTestId('record-form');
  await form.getByTestId('field-name').fill('Foxtrot Films');
  await form.getByTestId('field-status').selectOption('active');
  await form.getByTestId('field-email').fill('hello@foxtrot.example');
  await form.getByTestId('field-tax_id').fill('TAX-4242');
  await expect(form.getByTestId('field-tax_id')).toHaveAttribute('type', 'password');
  await expectAccessible(page);
  await screenshot(page, 'records-new');
  await form.getByTestId('record-save').click();

  const detail = page.getByTestId('record-detail');
  await expect(detail.locator('h2')).toHaveText('Foxtrot Films');
  const secret = detail.locator('[data-field="tax_id"]');
  await expect(secret).toContainText('••••••••');
  await expect(secret).not.toContainText('TAX-4242');
  await secret.getByRole('button', { name: 'Reveal Tax id' }).click();
  await expect(secret).toContainText('TAX-4242');
  await expectAccessible(page);
  await screenshot(page, 'records-detail');

  const [created] = await list(editing, 'type=client&q=Foxtrot');
  expect(created?.data).toEqual({
    name: 'Foxtrot Films',
    status: 'active',
    email: 'hello@foxtrot.example',
    tax_id: 'TAX-4242',
  });
  expect(new URL(page.url()).searchParams.get('record')).toBe(created?.id);
  await expect(titles(page).filter({ hasText: 'Foxtrot Films' })).toHaveCount(1);
  watch.check();
});

test('required fields left empty are refused by the server next to each field, and nothing is created', async ({
  page,
}) => {
  const watch = watchPage(page);
  await openRecords(page, owner, editing, '?type=client');
  const before = await list(editing, 'type=client&limit=500');
  await page.getByTestId('new-record').click();
  const form = page.getByTestId('record-form');
  await form.getByTestId('field-email').fill('nobody@example.com');
  const answer = page.waitForResponse(
    (res) => res.request().method() === 'POST' && res.url().endsWith(`${api(editing)}/records`),
  );
  await form.getByTestId('record-save').click();
  // The server judged it (the console does not pre-empt it), and said which fields.
  const refused = await answer;
  expect(refused.status()).toBe(400);
  const body = (await refused.json()) as { error: { code: string; details: { path: string }[] } };
  expect(body.error.code).toBe('validation_failed');
  expect(body.error.details.map((d) => d.path).sort()).toEqual(['data.name', 'data.status']);

  await expect(form.getByTestId('field-error-name')).toHaveText('This field is required.');
  await expect(form.getByTestId('field-error-status')).toHaveText('This field is required.');
  await expect(form.getByTestId('field-name')).toHaveAttribute('aria-invalid', 'true');
  await expect(form.getByTestId('field-name')).toBeFocused();
  await expect(form.getByTestId('field-error-email')).toHaveCount(0);
  await expectAccessible(page);
  await screenshot(page, 'records-form-errors');
  expect(await list(editing, 'type=client&limit=500')).toEqual(before);

  // Fixing the fields clears their errors and the record is made.
  await form.getByTestId('field-name').fill('Golf Garage');
  await expect(form.getByTestId('field-error-name')).toHaveCount(0);
  await form.getByTestId('field-status').selectOption('lead');
  await form.getByTestId('record-save').click();
  await expect(page.getByTestId('record-detail').locator('h2')).toHaveText('Golf Garage');
  expect(await list(editing, 'type=client&q=Golf')).toHaveLength(1);
  watch.check();
});

test('an edit saves only what changed, with the revision it was read at', async ({ page }) => {
  const watch = watchPage(page);
  const before = await record(editing, 'acme-ltd');
  await openRecords(page, owner, editing, '?type=client&record=acme-ltd');
  const detail = page.getByTestId('record-detail');
  await expect(detail.locator('h2')).toHaveText('Acme Ltd');
  await detail.getByTestId('record-edit').click();
  const form = page.getByTestId('record-form');
  await form.getByTestId('field-phone').fill('+44 20 7946 0958');
  await form.getByTestId('field-email').fill('');
  await expectAccessible(page);
  await screenshot(page, 'records-edit');
  await form.getByTestId('record-save').click();

  await expect(detail.locator('[data-field="phone"]')).toContainText('+44 20 7946 0958');
  await expect(detail.locator('[data-field="email"]')).toContainText('—');
  const after = await record(editing, 'acme-ltd');
  expect(after.rev).toBe(before.rev + 1);
  // The cleared email is gone, the new phone is there, the rest untouched.
  expect(after.data).toEqual({ name: 'Acme Ltd', status: 'active', phone: '+44 20 7946 0958' });
  // The record can be handed to the AI: the Assistant opens on it, asking for a summary.
  await detail.getByTestId('record-ask-ai').click();
  await expect(page).toHaveURL(new RegExp(`/assistant\\?record=acme-ltd&feature=summary$`));
  watch.check();
});

test('a record changed by someone else meanwhile is not overwritten: the console says so and reloads it', async ({
  page,
}) => {
  const watch = watchPage(page);
  await openRecords(page, owner, editing, '?type=client&record=beta-bakery');
  await page.getByTestId('record-edit').click();
  const form = page.getByTestId('record-form');
  await form.getByTestId('field-name').fill('Beta Bakery & Sons');

  // Someone else changes the record through the API while the form is open.
  const elsewhere = await owner.patch<WorkspaceRecord>(`${api(editing)}/records/beta-bakery`, {
    data: { notes: 'Changed elsewhere' },
  });
  expect(elsewhere.status).toBe(200);

  await form.getByTestId('record-save').click();
  await expect(page.getByTestId('record-conflict')).toContainText('Someone else changed this record');
  await expectAccessible(page);
  await screenshot(page, 'records-conflict');
  // Nothing of the stale form reached the server.
  expect((await record(editing, 'beta-bakery')).data).toEqual({
    name: 'Beta Bakery',
    status: 'active',
    notes: 'Changed elsewhere',
  });

  await page.getByTestId('record-conflict-reload').click();
  await expect(form.getByTestId('field-notes')).toHaveValue('Changed elsewhere');
  await expect(form.getByTestId('field-name')).toHaveValue('Beta Bakery');
  await form.getByTestId('field-name').fill('Beta Bakery & Sons');
  await form.getByTestId('record-save').click();
  await expect(page.getByTestId('record-detail').locator('h2')).toHaveText('Beta Bakery & Sons');
  const saved = await record(editing, 'beta-bakery');
  expect(saved.data).toEqual({ name: 'Beta Bakery & Sons', status: 'active', notes: 'Changed elsewhere' });
  expect(saved.rev).toBe(elsewhere.body.rev + 1);
  watch.check();
});

test('a deleted record leaves the list, shows among the deleted, and can be restored', async ({ page }) => {
  const watch = watchPage(page);
  await openRecords(page, owner, editing, '?type=client&record=cobalt-mining');
  const detail = page.getByTestId('record-detail');
  await detail.getByTestId('record-delete').click();
  await expect(page.getByRole('alertdialog')).toContainText('Delete client “Cobalt Mining”?');
  await expectAccessible(page);
  await page.getByTestId('confirm-delete').click();

  await expect(detail.getByTestId('record-deleted-notice')).toContainText('Deleted');
  await expect(detail.getByTestId('record-edit')).toHaveCount(0);
  await expect(titles(page).filter({ hasText: 'Cobalt Mining' })).toHaveCount(0);
  expect((await record(editing, 'cobalt-mining')).deletedAt).not.toBeNull();
  expect((await list(editing, 'type=client&q=Cobalt')).length).toBe(0);

  await page.getByTestId('records-show-deleted').check();
  const row = page.getByTestId('record-row').and(page.locator('[data-record-id="cobalt-mining"]'));
  await expect(row).toContainText('Deleted');
  await screenshot(page, 'records-deleted');
  await detail.getByTestId('record-restore').click();
  await expect(detail.getByTestId('record-deleted-notice')).toHaveCount(0);
  await expect(detail.getByTestId('record-edit')).toBeVisible();
  await expect(row).not.toContainText('Deleted');
  const restored = await record(editing, 'cobalt-mining');
  expect(restored.deletedAt).toBeNull();
  expect(restored.data.name).toBe('Cobalt Mining');
  watch.check();
});

test('a viewer reads records with no way to change them, and the server refuses a change anyway', async ({
  page,
}) => {
  const watch = watchPage(page);
  await openRecords(page, viewer, editing, '?type=client&record=delta-dental');
  await expect(page.getByTestId('record-detail').locator('h2')).toHaveText('Delta Dental');
  await expect(page.getByTestId('records-read-only')).toContainText('not change them');
  await expect(page.getByTestId('new-record')).toHaveCount(0);
  await expect(page.getByTestId('record-edit')).toHaveCount(0);
  await expect(page.getByTestId('record-delete')).toHaveCount(0);
  await expectAccessible(page);
  await screenshot(page, 'records-viewer');

  const made = await viewer.post(`${api(editing)}/records`, {
    type: 'client',
    data: { name: 'X', status: 'lead' },
  });
  expect(made.status).toBe(403);
  const changed = await viewer.patch(`${api(editing)}/records/delta-dental`, { data: { name: 'Hacked' } });
  expect(changed.status).toBe(403);
  const removed = await viewer.delete(`${api(editing)}/records/delta-dental`);
  expect(removed.status).toBe(403);
  expect((await record(editing, 'delta-dental')).data.name).toBe('Delta Dental');
  watch.check();
});

test('when a role changes while a form is open, the server’s refusal is shown in its words', async ({
  page,
}) => {
  const watch = watchPage(page);
  await openRecords(page, member, editing, '?type=client&record=echo-events');
  await page.getByTestId('record-edit').click();
  const form = page.getByTestId('record-form');
  await form.getByTestId('field-name').fill('Echo Events International');

  const demoted = await owner.patch(`${api(editing)}/members/${member.userId}`, { roles: ['viewer'] });
  expect(demoted.status).toBe(204);
  await form.getByTestId('record-save').click();
  await expect(form.getByTestId('record-form-error')).toContainText('You may not write client records');
  expect((await record(editing, 'echo-events')).data.name).toBe('Echo Events');
  watch.check();
});

test('an empty workspace says where to add types, and an empty type offers to create the first record', async ({
  page,
}) => {
  const watch = watchPage(page);
  const bare = await createWorkspace(owner, 'Bare Ltd', 'empty');
  await openRecords(page, owner, bare, '');
  await expect(page.getByTestId('records-no-types')).toContainText('no entity types yet');
  await expectAccessible(page);
  await screenshot(page, 'records-no-types');
  await page.getByTestId('records-go-schema').click();
  await expect(page).toHaveURL(new RegExp(`/console/w/${bare}/schema$`));

  await page.goto(`${t.url}/console/w/${editing}/records?type=ticket`);
  await expect(page.getByTestId('records-empty')).toContainText('No tickets yet');
  await page.getByTestId('records-create-first').click();
  await expect(page.getByTestId('record-form').getByTestId('field-subject')).toBeFocused();
  watch.check();
});
