import { rmSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import { workspaceDbPath } from '../../../server/src/store/sqlite/embedded-store';
import type { TestClient } from '../../../server/src/test-support/test-client';
import {
  addMember,
  createUser,
  createWorkspace,
  startTestServer,
  type TestServer,
} from '../../../server/src/test-support/test-server';
import {
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

interface Summary {
  id: string;
  name: string;
  roles: string[];
  available: boolean;
}

async function workspacesOf(user: TestClient): Promise<Summary[]> {
  const res = await user.get<{ items: Summary[] }>('/api/v1/workspaces');
  expect(res.status).toBe(200);
  return res.body.items;
}

async function schemaTypes(user: TestClient, workspaceId: string): Promise<string[]> {
  const res = await user.get<{ entityTypes: { key: string }[] }>(`/api/v1/workspaces/${workspaceId}/schema`);
  expect(res.status).toBe(200);
  return res.body.entityTypes.map((e) => e.key);
}

async function createFromPage(page: Page, name: string, template: 'standard' | 'empty'): Promise<string> {
  await page.getByTestId('nav-workspaces').click();
  await page.getByTestId('create-workspace-name').fill(name);
  await page.getByTestId(`template-${template}`).click();
  await page.getByTestId('create-workspace-submit').click();
  await expect(page).toHaveURL(/\/console\/w\/[0-9a-f-]{36}\/records$/);
  await expect(page.getByTestId('workspace-switcher').locator('option:checked')).toHaveText(name);
  return /\/w\/([0-9a-f-]{36})\//.exec(page.url())?.[1] ?? '';
}

test('a new person sees what to do, then creates workspaces from each template', async ({ page }) => {
  const watch = watchPage(page);
  const user = await createUser(t, { name: 'Tess Template' });
  await signIn(page, t, user);
  await expect(page.getByTestId('workspaces-empty')).toContainText('Create one below');
  await expectAccessible(page);
  await screenshot(page, 'workspaces-empty');

  // A name the server refuses is said next to the field, and nothing is created.
  await page.getByTestId('create-workspace-name').fill('   ');
  await page.getByTestId('create-workspace-submit').click();
  await expect(page.getByTestId('create-workspace-name-error')).toHaveText('The name must not be empty.');
  expect(await workspacesOf(user)).toEqual([]);

  const standard = await createFromPage(page, 'Acme Legal', 'standard');
  expect(await schemaTypes(user, standard)).toEqual(['client', 'invoice', 'ticket']);
  const empty = await createFromPage(page, 'Blank Slate', 'empty');
  expect(await schemaTypes(user, empty)).toEqual([]);

  await page.getByTestId('nav-workspaces').click();
  const rows = page.getByTestId('workspace-row');
  await expect(rows).toHaveCount(2);
  await expect(rows.nth(0)).toContainText('Acme Legal');
  await expect(rows.nth(0).getByTestId('workspace-roles')).toHaveText('Owner');
  await expect(rows.nth(1)).toContainText('Blank Slate');
  await expect(page.getByTestId('template-standard')).toContainText('Clients, invoices and tickets');
  await expectAccessible(page);
  await screenshot(page, 'workspaces');
  expect((await workspacesOf(user)).map((w) => [w.name, w.roles])).toEqual(
    expect.arrayContaining([
      ['Acme Legal', ['owner']],
      ['Blank Slate', ['owner']],
    ]),
  );
  watch.check();
});

test('an owner renames the workspace, and the shell shows the new name at once', async ({ page }) => {
  const watch = watchPage(page);
  const owner = await createUser(t, { name: 'Rita Rename' });
  const workspaceId = await createWorkspace(owner, 'Old Name Ltd');
  await signIn(page, t, owner, { next: `/w/${workspaceId}/settings` });
  await expect(page.getByTestId('workspace-settings-page')).toBeVisible();
  await expect(page.getByTestId('rename-name')).toHaveValue('Old Name Ltd');
  await expect(page.getByTestId('rename-submit')).toBeDisabled();
  await expectAccessible(page);
  await screenshot(page, 'workspace-settings');

  await page.getByTestId('rename-name').fill('New Name GmbH');
  await page.getByTestId('rename-submit').click();
  await expect(page.getByTestId('rename-done')).toContainText('New Name GmbH');
  await expect(page.getByTestId('workspace-switcher').locator('option:checked')).toHaveText('New Name GmbH');
  const summary = await owner.get<Summary>(`/api/v1/workspaces/${workspaceId}`);
  expect(summary.body.name).toBe('New Name GmbH');

  await page.getByTestId('nav-workspaces').click();
  await expect(page.getByTestId('workspace-row')).toContainText('New Name GmbH');
  watch.check();
});

test('deleting takes the exact name typed; afterwards the list no longer holds the workspace', async ({
  page,
}) => {
  const watch = watchPage(page);
  const owner = await createUser(t, { name: 'Dora Delete' });
  const doomed = await createWorkspace(owner, 'Doomed Docs');
  const kept = await createWorkspace(owner, 'Kept Files');
  await signIn(page, t, owner, { next: `/w/${doomed}/settings` });
  await page.getByTestId('delete-workspace').click();
  const dialog = page.getByRole('alertdialog');
  await expect(dialog).toContainText('told to wipe');
  const confirm = page.getByTestId('confirm-delete-workspace');
  await expect(confirm).toBeDisabled();
  await page.getByTestId('delete-confirm-name').fill('doomed docs');
  await expect(confirm).toBeDisabled();
  await page.getByTestId('delete-confirm-name').fill('Doomed Docs ');
  await expect(confirm).toBeDisabled();
  await expectAccessible(page);
  await screenshot(page, 'workspace-delete-dialog');

  // Cancelling deletes nothing.
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  expect((await owner.get(`/api/v1/workspaces/${doomed}`)).status).toBe(200);

  await page.getByTestId('delete-workspace').click();
  await page.getByTestId('delete-confirm-name').fill('Doomed Docs');
  await expect(confirm).toBeEnabled();
  await confirm.click();
  await expect(page).toHaveURL(/\/console\/workspaces$/);
  await expect(page.getByTestId('workspace-row')).toHaveCount(1);
  await expect(page.getByTestId('workspace-row')).toContainText('Kept Files');
  await expect(page.getByTestId('workspaces-page')).not.toContainText('Doomed Docs');
  expect((await workspacesOf(owner)).map((w) => w.id)).toEqual([kept]);
  expect((await owner.get(`/api/v1/workspaces/${doomed}`)).status).toBe(404);
  watch.check();
});

test('a member without the right gets no delete control, an admin renames but does not delete, and the server refuses anyway', async ({
  page,
}) => {
  const watch = watchPage(page);
  const owner = await createUser(t, { name: 'Owen Owner' });
  const workspaceId = await createWorkspace(owner, 'Guarded Works');
  const member = await createUser(t, { name: 'Mia Member' });
  const admin = await createUser(t, { name: 'Ada Admin' });
  await addMember(owner, workspaceId, member, ['member']);
  await addMember(owner, workspaceId, admin, ['admin']);

  await signIn(page, t, member, { next: `/w/${workspaceId}/settings` });
  await expect(page.getByTestId('workspace-settings-page')).toBeVisible();
  await expect(page.getByTestId('workspace-name')).toHaveText('Guarded Works');
  await expect(page.getByTestId('workspace-my-roles')).toHaveText('Member');
  await expect(page.getByTestId('delete-workspace')).toHaveCount(0);
  await expect(page.getByTestId('rename-name')).toHaveCount(0);
  await expect(page.getByTestId('delete-owner-only')).toBeVisible();
  await expectAccessible(page);
  await screenshot(page, 'workspace-settings-member');
  // What the page does not offer, the server refuses on its own: with the exact name, too.
  const byMember = await member.request<{ error: { code: string } }>(
    'DELETE',
    `/api/v1/workspaces/${workspaceId}`,
    { confirmName: 'Guarded Works' },
  );
  expect(byMember.status).toBe(403);
  expect(byMember.body.error.code).toBe('forbidden');
  const renameByMember = await member.patch<{ error: { code: string } }>(
    `/api/v1/workspaces/${workspaceId}`,
    {
      name: 'Taken Over',
    },
  );
  expect(renameByMember.status).toBe(403);

  await page.getByTestId('sign-out').click();
  await signIn(page, t, admin, { next: `/w/${workspaceId}/settings` });
  await expect(page.getByTestId('delete-workspace')).toHaveCount(0);
  await page.getByTestId('rename-name').fill('Guarded Works II');
  await page.getByTestId('rename-submit').click();
  await expect(page.getByTestId('workspace-switcher').locator('option:checked')).toHaveText(
    'Guarded Works II',
  );
  const byAdmin = await admin.request<{ error: { code: string } }>(
    'DELETE',
    `/api/v1/workspaces/${workspaceId}`,
    {
      confirmName: 'Guarded Works II',
    },
  );
  expect(byAdmin.status).toBe(403);
  const summary = await owner.get<Summary>(`/api/v1/workspaces/${workspaceId}`);
  expect(summary.status).toBe(200);
  expect(summary.body.name).toBe('Guarded Works II');
  watch.check();
});

test('a workspace whose database file is gone stays in the list, marked unavailable', async ({ page }) => {
  const watch = watchPage(page);
  const first = await startTestServer();
  const owner = await createUser(first, { name: 'Una Unavailable' });
  const healthy = await createWorkspace(owner, 'Healthy Books');
  const lost = await createWorkspace(owner, 'Lost Ledger');
  await first.stop();
  rmSync(workspaceDbPath(first.dataDir, lost));
  const restarted = await startTestServer({ dataDir: first.dataDir });
  try {
    await signIn(page, restarted, owner);
    const row = page.locator(`[data-workspace-id="${lost}"]`);
    await expect(row).toHaveAttribute('data-available', 'false');
    await expect(row.getByTestId('workspace-unavailable-mark')).toContainText('missing or damaged');
    await expect(page.locator(`[data-workspace-id="${healthy}"]`)).toHaveAttribute('data-available', 'true');
    await expectAccessible(page);
    await screenshot(page, 'workspaces-unavailable');
    await row.getByTestId('workspace-link').click();
    await expect(page.getByTestId('workspace-unavailable')).toBeVisible();
    await page.goto(consoleUrl(restarted, '/workspaces'));
    await expect(page.locator(`[data-workspace-id="${lost}"]`)).toBeVisible();
  } finally {
    await restarted.close();
    rmSync(first.dataDir, { recursive: true, force: true });
  }
  watch.check();
});
