import { expect, test, type Page } from '@playwright/test';
import type { EntityTypeDef, WorkspaceSchema } from '@enclave/shared';
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
let workspaceId: string;

const api = () => `/api/v1/workspaces/${workspaceId}`;

async function schema(): Promise<WorkspaceSchema> {
  const res = await owner.get<WorkspaceSchema>(`${api()}/schema`);
  expect(res.status).toBe(200);
  return res.body;
}

const typeCard = (page: Page, key: string) =>
  page.getByTestId('entity-type').and(page.locator(`[data-key="${key}"]`));

useConsoleServer(async (server) => {
  t = server;
  owner = await createUser(t, { name: 'Olivia Owner' });
  workspaceId = await createWorkspace(owner, 'Harbour Legal');
});

test('an admin adds a type; a bad field key is refused next to that field and changes nothing', async ({
  page,
}) => {
  const watch = watchPage(page);
  await signIn(page, t, owner, { next: `/w/${workspaceId}/schema` });
  await expect(typeCard(page, 'client')).toContainText('Clients');
  await expect(typeCard(page, 'client').getByTestId('schema-field-row')).toHaveCount(7);
  await expectAccessible(page);
  await screenshot(page, 'schema');
  const before = await schema();

  await page.getByTestId('schema-add-type').click();
  const editor = page.getByTestId('type-editor');
  await editor.getByTestId('type-key').fill('matter');
  await editor.getByTestId('type-label').fill('Matter');
  await editor.getByTestId('type-pluralLabel').fill('Matters');
  const fields = editor.getByTestId('schema-field');
  await fields.nth(0).getByTestId('field-key').fill('title');
  await fields.nth(0).getByTestId('field-label').fill('Title');
  await fields.nth(0).getByTestId('field-required').check();
  await fields.nth(0).getByTestId('field-indexed').check();

  await editor.getByTestId('type-add-field').click();
  await fields.nth(1).getByTestId('field-key').fill('Stage!');
  await fields.nth(1).getByTestId('field-label').fill('Stage');
  await fields.nth(1).getByTestId('field-type').selectOption('enum');
  await fields.nth(1).getByTestId('field-options').fill('open\nclosed');

  await editor.getByTestId('type-add-field').click();
  await fields.nth(2).getByTestId('field-key').fill('client');
  await fields.nth(2).getByTestId('field-label').fill('Client');
  await fields.nth(2).getByTestId('field-type').selectOption('reference');
  await fields.nth(2).getByTestId('field-refType').selectOption('client');
  await fields.nth(2).getByTestId('field-sensitivity').selectOption('pii');

  await editor.getByTestId('type-save').click();
  // The server's words, next to the second field's key, and a summary at the top.
  await expect(fields.nth(1).getByTestId('field-key-error')).toContainText('must start with a-z');
  await expect(fields.nth(1).getByTestId('field-key')).toHaveAttribute('aria-invalid', 'true');
  await expect(fields.nth(0).getByTestId('field-key-error')).toHaveCount(0);
  await expect(editor.getByTestId('type-editor-summary')).toContainText('one field needs attention');
  await expectAccessible(page);
  await screenshot(page, 'schema-editor-error');
  expect(await schema()).toEqual(before);

  // Fixed, and the reference moved up above the stage: saved in that order, flags and all.
  await fields.nth(1).getByTestId('field-key').fill('stage');
  await expect(fields.nth(1).getByTestId('field-key-error')).toHaveCount(0);
  await fields.nth(2).getByTestId('field-move-up').click();
  await expect(fields.nth(1).getByTestId('field-key')).toHaveValue('client');
  await editor.getByTestId('type-save').click();
  await expect(page.getByTestId('schema-notice')).toContainText('Matters');
  await expect(typeCard(page, 'matter').getByTestId('schema-field-row')).toHaveCount(3);

  const after = await schema();
  expect(after.version).toBe(before.version + 1);
  const matter = after.entityTypes.find((e) => e.key === 'matter');
  expect(matter).toEqual({
    key: 'matter',
    label: 'Matter',
    pluralLabel: 'Matters',
    titleField: 'title',
    fields: [
      { key: 'title', label: 'Title', type: 'text', required: true, indexed: true, sensitivity: 'normal' },
      {
        key: 'client',
        label: 'Client',
        type: 'reference',
        refType: 'client',
        required: false,
        indexed: false,
        sensitivity: 'pii',
      },
      {
        key: 'stage',
        label: 'Stage',
        type: 'enum',
        options: ['open', 'closed'],
        required: false,
        indexed: false,
        sensitivity: 'normal',
      },
    ],
  } satisfies EntityTypeDef);
  watch.check();
});

test('an edit removes a field and changes flags; a type with records is kept, an empty one removed', async ({
  page,
}) => {
  const made = await owner.post(`${api()}/records`, {
    type: 'client',
    data: { name: 'Acme Ltd', status: 'active' },
  });
  expect(made.status).toBe(201);
  const watch = watchPage(page);
  await signIn(page, t, owner, { next: `/w/${workspaceId}/schema` });

  await typeCard(page, 'ticket').getByTestId('schema-edit-type').click();
  const editor = page.getByTestId('type-editor');
  await expect(editor.getByTestId('type-key')).toBeDisabled();
  const fields = editor.getByTestId('schema-field');
  await expect(fields).toHaveCount(8);
  await expect(fields.nth(5).getByTestId('field-key')).toHaveValue('estimate_hours');
  await fields.nth(5).getByTestId('field-remove').click();
  await expect(fields).toHaveCount(7);
  await fields.nth(2).getByTestId('field-sensitivity').selectOption('secret');
  await editor.getByTestId('type-save').click();
  await expect(page.getByTestId('schema-notice')).toContainText('Tickets');
  const ticket = (await schema()).entityTypes.find((e) => e.key === 'ticket');
  expect(ticket?.fields.map((f) => f.key)).toEqual([
    'subject',
    'client',
    'body',
    'priority',
    'status',
    'category',
    'assignee',
  ]);
  expect(ticket?.fields[2]?.sensitivity).toBe('secret');

  // Clients have a live record: the server refuses, and says why.
  await typeCard(page, 'client').getByTestId('schema-remove-type').click();
  await page.getByTestId('schema-remove-confirm').click();
  await expect(page.getByTestId('schema-remove-error')).toContainText('still has 1 records');
  await expectAccessible(page);
  await page.getByRole('button', { name: 'Cancel' }).click();
  expect((await schema()).entityTypes.some((e) => e.key === 'client')).toBe(true);

  // Tickets have none (and nothing refers to them): removed.
  await typeCard(page, 'ticket').getByTestId('schema-remove-type').click();
  await page.getByTestId('schema-remove-confirm').click();
  await expect(typeCard(page, 'ticket')).toHaveCount(0);
  await expect(page.getByTestId('schema-notice')).toContainText('removed');
  expect((await schema()).entityTypes.some((e) => e.key === 'ticket')).toBe(false);
  watch.check();
});

test('a member sees the schema read-only', async ({ page }) => {
  const member = await createUser(t, { name: 'Mia Member' });
  await addMember(owner, workspaceId, member, ['member']);
  const watch = watchPage(page);
  await signIn(page, t, member, { next: `/w/${workspaceId}/schema` });
  await expect(typeCard(page, 'client')).toContainText('Personal data');
  await expect(page.getByTestId('schema-add-type')).toHaveCount(0);
  await expect(page.getByTestId('schema-edit-type')).toHaveCount(0);
  await expect(page.getByTestId('schema-remove-type')).toHaveCount(0);
  await expectAccessible(page);
  await screenshot(page, 'schema-read-only');
  watch.check();
});
