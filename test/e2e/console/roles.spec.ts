import { expect, test } from '@playwright/test';
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
let member: TestClient;
let workspaceId: string;

const api = () => `/api/v1/workspaces/${workspaceId}`;

useConsoleServer(async (server) => {
  t = server;
  owner = await createUser(t, { name: 'Olivia Owner' });
  member = await createUser(t, { name: 'Cleo Clerk' });
  workspaceId = await createWorkspace(owner, 'Harbour Legal');
  await addMember(owner, workspaceId, member, ['viewer']);
});

test('a custom role that reads one type only gives its holder exactly that through the API', async ({
  page,
}) => {
  const watch = watchPage(page);
  await signIn(page, t, owner, { next: `/w/${workspaceId}/roles` });
  await expect(page.getByTestId('roles-page')).toBeVisible();
  await expect(page.getByTestId('roles-empty')).toBeVisible();
  await expect(page.getByTestId('built-in-roles')).toContainText('Only owners can delete the workspace');
  await expectAccessible(page);
  await screenshot(page, 'roles');

  // A key the server refuses: its words appear next to the key, and nothing is made.
  await page.getByTestId('role-new').click();
  await page.getByTestId('role-key').fill('Client Reader');
  await page.getByTestId('role-label').fill('Client reader');
  await page.getByTestId('permission-client-read').check();
  await page.getByTestId('role-save').click();
  await expect(page.getByTestId('role-key-error')).toContainText('must start with a-z');
  await expect(page.getByTestId('role-key')).toHaveAttribute('aria-invalid', 'true');
  expect((await owner.get<{ items: unknown[] }>(`${api()}/roles`)).body.items).toEqual([]);
  await expectAccessible(page);
  await screenshot(page, 'roles-editor');

  await page.getByTestId('role-key').fill('client_reader');
  await page.getByTestId('role-save').click();
  await expect(page.getByTestId('role-saved')).toContainText('Client reader');
  const card = page.getByTestId('role-card').and(page.locator('[data-key="client_reader"]'));
  await expect(card.getByTestId('role-summary')).toHaveText('Clients: read');
  const roles = await owner.get<{ items: unknown[] }>(`${api()}/roles`);
  expect(roles.body.items).toEqual([
    {
      key: 'client_reader',
      label: 'Client reader',
      permissions: { client: { read: true, write: false, delete: false } },
    },
  ]);

  // Given to the member in place of "viewer", on the Members page.
  await page.getByTestId('nav-members').click();
  const row = page.getByTestId('member-row').and(page.locator(`[data-email="${member.email}"]`));
  await row.getByTestId('member-change-roles').click();
  await page.getByTestId('roles-dialog-role-client_reader').check();
  await page.getByTestId('roles-dialog-role-viewer').uncheck();
  await page.getByTestId('roles-dialog-save').click();
  await expect(row).toContainText('Client reader');
  await expect(row).not.toContainText('Viewer');

  // What the member may do now, asked of the server as the member.
  expect((await member.get(`${api()}/records?type=client`)).status).toBe(200);
  expect((await member.get(`${api()}/records?type=invoice`)).status).toBe(403);
  expect((await member.get(`${api()}/records?type=ticket`)).status).toBe(403);
  const write = await member.post(`${api()}/records`, {
    type: 'client',
    data: { name: 'Acme', status: 'lead' },
  });
  expect(write.status).toBe(403);

  // Deleting a role someone holds is refused in the server's words, and the role stays.
  await page.getByTestId('nav-roles').click();
  await card.getByTestId('role-delete').click();
  await page.getByTestId('role-delete-confirm').click();
  await expect(page.getByTestId('role-delete-error')).toContainText('hold this role');
  await page.getByRole('button', { name: 'Cancel' }).click();
  expect((await owner.get<{ items: unknown[] }>(`${api()}/roles`)).body.items).toHaveLength(1);
  watch.check();
});

test('a role is edited in the grid and deleted once nobody holds it', async ({ page }) => {
  const made = await owner.put(`${api()}/roles/ticket_desk`, {
    label: 'Ticket desk',
    permissions: { ticket: { read: true, write: false, delete: false } },
  });
  expect(made.status).toBe(200);
  const watch = watchPage(page);
  await signIn(page, t, owner, { next: `/w/${workspaceId}/roles` });
  const card = page.getByTestId('role-card').and(page.locator('[data-key="ticket_desk"]'));
  await card.getByTestId('role-edit').click();
  await expect(page.getByTestId('role-key')).toBeDisabled();
  await page.getByTestId('permission-ticket-write').check();
  await page.getByTestId('permission-client-read').check();
  await page.getByTestId('role-label').fill('Service desk');
  await page.getByTestId('role-save').click();
  await expect(card.getByTestId('role-summary')).toHaveText('Clients: read · Tickets: read, write');
  const saved = await owner.get<{ items: { key: string; label: string; permissions: unknown }[] }>(
    `${api()}/roles`,
  );
  expect(saved.body.items.find((r) => r.key === 'ticket_desk')).toEqual({
    key: 'ticket_desk',
    label: 'Service desk',
    permissions: {
      client: { read: true, write: false, delete: false },
      ticket: { read: true, write: true, delete: false },
    },
  });

  await card.getByTestId('role-delete').click();
  await page.getByTestId('role-delete-confirm').click();
  await expect(card).toHaveCount(0);
  await expect(page.getByTestId('role-saved')).toContainText('deleted');
  const after = await owner.get<{ items: { key: string }[] }>(`${api()}/roles`);
  expect(after.body.items.map((r) => r.key)).not.toContain('ticket_desk');
  watch.check();
});
