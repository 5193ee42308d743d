import { expect, test, type Browser, type Page } from '@playwright/test';
import type { TestClient } from '../../../server/src/test-support/test-client';
import { pairDevice } from '../../../server/src/test-support/test-devices';
import {
  addMember,
  createUser,
  createWorkspace,
  TEST_PASSWORD,
  type TestServer,
} from '../../../server/src/test-support/test-server';
import {
  CONSOLE_VIEWPORT,
  expectAccessible,
  screenshot,
  signIn,
  useConsoleServer,
  watchPage,
} from './console-support';

let t: TestServer;
let owner: TestClient;
let workspaceId: string;

interface MemberBody {
  userId: string;
  email: string;
  roles: string[];
}
interface InvitationBody {
  id: string;
  email: string;
  roles: string[];
  status: string;
}

const api = () => `/api/v1/workspaces/${workspaceId}`;

async function members(): Promise<MemberBody[]> {
  const res = await owner.get<{ items: MemberBody[] }>(`${api()}/members`);
  expect(res.status).toBe(200);
  return res.body.items;
}

async function invitations(): Promise<InvitationBody[]> {
  const res = await owner.get<{ items: InvitationBody[] }>(`${api()}/invitations`);
  expect(res.status).toBe(200);
  return res.body.items;
}

function row(page: Page, email: string) {
  return page.getByTestId('member-row').and(page.locator(`[data-email="${email}"]`));
}

/** The invitee opens the link in a browser of their own, signs in there and accepts. */
async function acceptThroughLink(browser: Browser, link: string, invitee: TestClient) {
  const context = await browser.newContext({ viewport: CONSOLE_VIEWPORT });
  const page = await context.newPage();
  const watch = watchPage(page);
  await page.goto(link);
  await page.getByTestId('invite-sign-in').click();
  await page.getByTestId('sign-in-email').fill(invitee.email);
  await page.getByTestId('sign-in-password').fill(TEST_PASSWORD);
  await page.getByTestId('sign-in-submit').click();
  await page.getByTestId('invite-accept').click();
  await expect(page).toHaveURL(new RegExp(`/console/w/${workspaceId}/`));
  watch.check();
  return { page, context };
}

useConsoleServer(async (server) => {
  t = server;
  owner = await createUser(t, { name: 'Olivia Owner' });
  workspaceId = await createWorkspace(owner, 'Harbour Legal');
  const role = await owner.put(`${api()}/roles/billing`, {
    label: 'Billing',
    permissions: { invoice: { read: true, write: true, delete: false } },
  });
  expect(role.status).toBe(200);
});

test('an invitation with two roles shows its link once, with a copy button, and the invitee joins through it', async ({
  page,
  context,
  browser,
}) => {
  const invitee = await createUser(t, { name: 'Ivy Invitee' });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: t.url });
  const watch = watchPage(page);
  await signIn(page, t, owner, { next: `/w/${workspaceId}/members` });
  await expect(page.getByTestId('members-page')).toBeVisible();
  await expect(row(page, owner.email)).toContainText('Owner');
  await expect(page.getByTestId('invitations-empty')).toBeVisible();
  await expectAccessible(page);
  await screenshot(page, 'members');

  await page.getByTestId('invite-email').fill(invitee.email);
  // "Member" is ticked to start with; the workspace's custom role is offered beside the built-in ones.
  await expect(page.getByTestId('invite-role-member')).toBeChecked();
  await page.getByTestId('invite-role-billing').check();
  await page.getByTestId('invite-submit').click();

  const shown = page.getByTestId('invitation-link');
  await expect(shown).toBeVisible();
  await expect(shown).toContainText('shown only now');
  await expect(shown).toContainText('If this server sends email, it was emailed');
  const link = await page.getByTestId('invitation-link-value').inputValue();
  expect(link).toMatch(new RegExp(`^${t.url}/console/invite\\?workspace=${workspaceId}&token=`));
  // The same link went out by email (this server has a mailer).
  expect(t.outbox.lastTo(invitee.email)?.text).toContain(link);

  await page.getByTestId('invitation-link-copy').click();
  await expect(page.getByTestId('invitation-link-copy')).toHaveText('Copied');
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(link);
  await expectAccessible(page);
  await screenshot(page, 'members-invitation-link');

  const pendingRow = page.getByTestId('invitation-row').and(page.locator(`[data-email="${invitee.email}"]`));
  await expect(pendingRow).toContainText('Member');
  await expect(pendingRow).toContainText('Billing');
  const held = (await invitations()).find((i) => i.email === invitee.email);
  expect(held).toMatchObject({ status: 'pending', roles: ['member', 'billing'] });

  // Once: after a reload the link is nowhere on the page (the server keeps only its hash).
  await page.reload();
  await expect(pendingRow).toBeVisible();
  await expect(page.getByTestId('invitation-link')).toHaveCount(0);
  const token = new URL(link).searchParams.get('token') ?? '';
  expect(token.length).toBeGreaterThan(20);
  expect(await page.content()).not.toContain(token);

  const other = await acceptThroughLink(browser, link, invitee);
  // The admin's page shows the new member without a reload (the live channel), roles and all.
  await expect(row(page, invitee.email)).toContainText('Member');
  await expect(row(page, invitee.email)).toContainText('Billing');
  await expect(pendingRow).toHaveCount(0);
  expect((await members()).find((m) => m.email === invitee.email)?.roles).toEqual(['member', 'billing']);
  await other.context.close();
  watch.check();
});

test('a cancelled invitation disappears from the list and its link is refused', async ({ page, browser }) => {
  const invitee = await createUser(t, { name: 'Carl Cancelled' });
  const made = await owner.post<{ link: string; invitation: { id: string } }>(`${api()}/invitations`, {
    email: invitee.email,
    roles: ['viewer'],
  });
  expect(made.status).toBe(201);
  const watch = watchPage(page);
  await signIn(page, t, owner, { next: `/w/${workspaceId}/members` });
  const pendingRow = page.getByTestId('invitation-row').and(page.locator(`[data-email="${invitee.email}"]`));
  await pendingRow.getByTestId('invitation-cancel').click();
  await expect(page.getByRole('alertdialog')).toContainText('stops working');
  await page.getByTestId('cancel-invitation-confirm').click();
  await expect(pendingRow).toHaveCount(0);
  expect((await invitations()).find((i) => i.id === made.body.invitation.id)?.status).toBe('cancelled');

  const context = await browser.newContext({ viewport: CONSOLE_VIEWPORT });
  const other = await context.newPage();
  await signIn(other, t, invitee);
  await other.goto(made.body.link);
  await other.getByTestId('invite-accept').click();
  await expect(other.getByText('expired or was already used')).toBeVisible();
  expect((await members()).some((m) => m.email === invitee.email)).toBe(false);
  await context.close();
  watch.check();
});

test('an admin changes a member’s roles, several at once, and the last owner is kept', async ({ page }) => {
  const member = await createUser(t, { name: 'Rita Roles' });
  await addMember(owner, workspaceId, member, ['viewer']);
  const watch = watchPage(page);
  await signIn(page, t, owner, { next: `/w/${workspaceId}/members` });
  await expect(row(page, member.email)).toContainText('Viewer');

  await row(page, member.email).getByTestId('member-change-roles').click();
  const dialog = page.getByTestId('roles-dialog');
  await expect(dialog).toBeVisible();
  await expectAccessible(page);
  await dialog.getByTestId('roles-dialog-role-viewer').uncheck();
  await dialog.getByTestId('roles-dialog-role-admin').check();
  await dialog.getByTestId('roles-dialog-role-billing').check();
  await page.getByTestId('roles-dialog-save').click();
  await expect(dialog).toBeHidden();
  await expect(row(page, member.email)).toContainText('Admin');
  await expect(row(page, member.email)).toContainText('Billing');
  await expect(row(page, member.email)).not.toContainText('Viewer');
  expect((await members()).find((m) => m.email === member.email)?.roles).toEqual(['admin', 'billing']);

  // The only owner cannot give the role up: the server says why, and nothing changes.
  await row(page, owner.email).getByTestId('member-change-roles').click();
  await dialog.getByTestId('roles-dialog-role-owner').uncheck();
  await dialog.getByTestId('roles-dialog-role-admin').check();
  await page.getByTestId('roles-dialog-save').click();
  await expect(page.getByTestId('roles-dialog-error')).toContainText('at least one owner');
  await page.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toBeHidden();
  expect((await members()).find((m) => m.email === owner.email)?.roles).toEqual(['owner']);
  watch.check();
});

test('removing a member revokes their devices in the workspace, and can ask for a wipe', async ({ page }) => {
  const leaving = await createUser(t, { name: 'Lee Leaving' });
  await addMember(owner, workspaceId, leaving, ['member']);
  const device = await pairDevice(t, leaving, workspaceId, 'Lee’s laptop');
  const lost = await createUser(t, { name: 'Lou Lost' });
  await addMember(owner, workspaceId, lost, ['member']);
  const lostDevice = await pairDevice(t, lost, workspaceId, 'Lou’s laptop');

  const watch = watchPage(page);
  await signIn(page, t, owner, { next: `/w/${workspaceId}/members` });
  await row(page, leaving.email).getByTestId('member-remove').click();
  const dialog = page.getByTestId('remove-member-dialog');
  await expect(dialog).toContainText('Their devices in this workspace are revoked too');
  await expectAccessible(page);
  await screenshot(page, 'members-remove');
  await page.getByTestId('remove-member-confirm').click();
  await expect(row(page, leaving.email)).toHaveCount(0);

  expect((await members()).some((m) => m.email === leaving.email)).toBe(false);
  const devices = await owner.get<{ items: { id: string; revokedAt: string | null; wipe: boolean }[] }>(
    `${api()}/devices`,
  );
  const revoked = devices.body.items.find((d) => d.id === device.deviceId);
  expect(revoked?.revokedAt).not.toBeNull();
  expect(revoked?.wipe).toBe(false);
  // The device itself is refused from now on.
  const self = t.client();
  self.origin = null;
  const refused = await self.get<{ error: { code: string } }>('/api/v1/device', {
    authorization: `Bearer ${device.accessToken}`,
  });
  expect(refused.status).toBe(401);
  expect(refused.body.error.code).toBe('device_revoked');
  // And the person has no access left.
  expect((await leaving.get(`${api()}/members`)).status).toBe(404);

  // With the wipe asked for, the device is told to delete its copy.
  await row(page, lost.email).getByTestId('member-remove').click();
  await page.getByTestId('remove-member-wipe').check();
  await page.getByTestId('remove-member-confirm').click();
  await expect(row(page, lost.email)).toHaveCount(0);
  await expect
    .poll(async () => {
      const after = await owner.get<{ items: { id: string; revokedAt: string | null; wipe: boolean }[] }>(
        `${api()}/devices`,
      );
      return after.body.items.find((d) => d.id === lostDevice.deviceId);
    })
    .toMatchObject({ wipe: true, revokedAt: expect.any(String) });
  watch.check();
});

test('a member sees the list read-only', async ({ page }) => {
  const viewer = await createUser(t, { name: 'Val Viewer' });
  await addMember(owner, workspaceId, viewer, ['viewer']);
  const watch = watchPage(page);
  await signIn(page, t, viewer, { next: `/w/${workspaceId}/members` });
  await expect(row(page, viewer.email)).toContainText('Viewer');
  await expect(row(page, owner.email)).toContainText('Owner');
  await expect(page.getByTestId('invite-form')).toHaveCount(0);
  await expect(page.getByTestId('member-change-roles')).toHaveCount(0);
  await expect(page.getByTestId('member-remove')).toHaveCount(0);
  await expect(page.getByTestId('invitations-table')).toHaveCount(0);
  await expectAccessible(page);
  await screenshot(page, 'members-read-only');
  watch.check();
});
