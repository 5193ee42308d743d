import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import keytar from 'keytar';
import { expect, test } from '@playwright/test';
import type { AuditPage, Device } from '@enclave/shared';
import type { TestClient } from '../../server/src/test-support/test-client';
import {
  createUser,
  createWorkspace,
  startTestServer,
  type TestServer,
} from '../../server/src/test-support/test-server';
import { DesktopHarness } from './harness/desktop-harness';
import { seedClients } from '../support/seed-clients';
import {
  CONSOLE_VIEWPORT,
  consoleUrl,
  expectAccessible,
  screenshot,
  signIn,
  watchPage,
} from './console/console-support';

/**
 * The product's main path across both apps: an admin in the web console pairs a desktop app with
 * the code the console shows, watches it come online and sync, and revokes it with wipe; the app
 * wipes itself, says so, and the console shows the wipe the app confirmed with its own key.
 */

const CLIENTS = 25;

let t: TestServer;
let owner: TestClient;
let workspaceId: string;
let harness: DesktopHarness | null = null;
const dataDir = mkdtempSync(join(tmpdir(), 'enclave-main-path-'));
const keychainService = `Enclave-main-path-${randomUUID()}`;

test.use({ viewport: CONSOLE_VIEWPORT });

test.beforeAll(async () => {
  t = await startTestServer();
  owner = await createUser(t, { name: 'Olga Owner' });
  workspaceId = await createWorkspace(owner, 'Acme Legal');
  await seedClients(owner, workspaceId, CLIENTS);
});

test.afterAll(async () => {
  await harness?.close();
  await t.close();
  for (const { account } of await keytar.findCredentials(keychainService))
    await keytar.deletePassword(keychainService, account);
  rmSync(dataDir, { recursive: true, force: true });
});

function replicaFiles(): string[] {
  try {
    return readdirSync(join(dataDir, 'replica'));
  } catch {
    return [];
  }
}

test('an admin pairs a desktop app from the console, watches it sync, and revokes it with wipe', async ({
  context,
}) => {
  // The admin signs in to the console and opens Devices → Pair a device: the words the desktop
  // app's pairing screen uses.
  const console = await context.newPage();
  const watch = watchPage(console);
  await signIn(console, t, owner);
  await console.goto(consoleUrl(t, `/w/${workspaceId}/devices`));
  await expect(console.getByTestId('devices-page')).toBeVisible();
  await expect(console.getByRole('heading', { name: 'Devices', exact: true })).toBeVisible();
  await console.getByTestId('pair-open').click();
  await expect(console.getByTestId('pair-open')).toContainText('Pair a device');
  await console.getByTestId('pair-create').click();
  // As read aloud: groups of four, however the page lays them out.
  const code = (await console.getByTestId('pair-code').innerText()).trim().replace(/\s+/g, ' ');
  expect(code).toMatch(/^[0-9A-Z]{4}( ?- ?[0-9A-Z]{4}| [0-9A-Z]{4}){4}$/);
  await expect(console.getByTestId('pair-qr')).toHaveAttribute('src', /^data:image\//);
  await expect(console.getByTestId('pair-countdown')).toContainText(/1[45]:\d\d/);

  // The desktop app, with its real core (keychain, encrypted replica, sync), is paired with the
  // code as a person reads it off the screen.
  harness = await DesktopHarness.start({ dataDir, keychainService });
  const app = await harness.open(context);
  await app.getByTestId('pair-server').fill(t.url);
  await app.getByTestId('pair-code').fill(code);
  await app.getByTestId('pair-device-name').fill('Reception laptop');
  await app.getByTestId('pair-submit').click();

  // The console changes by itself, without a reload: paired, then online, then synced.
  await expect(console.getByTestId('pair-paired')).toContainText('Paired: Reception laptop, Linux');
  const row = console.getByTestId('device-row').filter({ hasText: 'Reception laptop' });
  await expect(row.getByTestId('device-presence')).toContainText('Online');
  await app.getByTestId('nav-type-client').click();
  await expect(app.getByTestId('nav-type-client')).toContainText(String(CLIENTS));
  await expect(app.getByTestId('sync-status')).toHaveAttribute('data-status', 'online');
  const { seq: headSeq } = await (async () => {
    const page = await owner.get<AuditPage>(`/api/v1/workspaces/${workspaceId}/audit?limit=1`);
    return { seq: page.body.items[0]!.seq };
  })();
  await expect(row.getByTestId('device-seq')).toContainText(new Intl.NumberFormat().format(headSeq));
  await expect(row.getByTestId('device-fingerprint')).toHaveText(/^([0-9a-f]{4} ){7}[0-9a-f]{4}$/);
  await expectAccessible(console);
  await screenshot(console, 'main-path-device-online');
  expect(replicaFiles().length).toBeGreaterThan(0);
  expect((await keytar.findCredentials(keychainService)).length).toBeGreaterThan(0);

  // Revoke with wipe, confirmed in the console.
  await row.getByTestId('device-revoke').click();
  await console.getByTestId('revoke-wipe').check();
  await console.getByTestId('revoke-confirm').click();

  // The app is told at once, wipes its replica and keychain entries, and shows the revoked screen.
  await expect(app.getByTestId('revoked-screen')).toHaveAttribute('data-wiped', 'true');
  expect(replicaFiles()).toEqual([]);
  expect(await keytar.findCredentials(keychainService)).toEqual([]);

  // The console shows the connection closing (measured) and the wipe the app signed for.
  await expect(row.getByTestId('device-closed')).toContainText(/closed after \d+ ms/i);
  await expect(row.getByTestId('device-wipe')).toContainText('Wipe confirmed');
  await screenshot(console, 'main-path-wipe-confirmed');

  // The receipt is in the audit log, with the device itself as the actor.
  const devices = await owner.get<{ items: Device[] }>(`/api/v1/workspaces/${workspaceId}/devices`);
  const device = devices.body.items.find((d) => d.name === 'Reception laptop')!;
  expect(device.status).toBe('revoked');
  expect(device.wipeConfirmedAt).not.toBeNull();
  expect(device.revokeClosedMs).not.toBeNull();
  const audit = await owner.get<AuditPage>(
    `/api/v1/workspaces/${workspaceId}/audit?action=device.wipe_confirmed`,
  );
  expect(audit.body.items).toHaveLength(1);
  expect(audit.body.items[0]).toMatchObject({
    actor: { kind: 'device', id: device.id },
    target: { kind: 'device', id: device.id },
  });
  watch.check();
});
