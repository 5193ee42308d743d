import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import keytar from 'keytar';
import { expect, test, type Page } from '@playwright/test';
import type { AuditEvent, Device, WorkspaceRecord } from '@enclave/shared';
import { createPairing, redeem } from '../../server/src/test-support/test-devices';
import type { TestClient } from '../../server/src/test-support/test-client';
import {
  createUser,
  createWorkspace,
  startTestServer,
  type TestServer,
} from '../../server/src/test-support/test-server';
import { DesktopHarness } from './harness/desktop-harness';
import { NetworkSwitch } from '../support/network-switch';
import { seedClients } from '../support/seed-clients';

/**
 * The desktop app end to end: its built renderer in Chromium, its real main core (keychain,
 * encrypted replica, sync client) in a Node process, a real server, and a network that can be cut.
 */

const CLIENTS = 30;

let t: TestServer;
let owner: TestClient;
let workspaceId: string;
let network: NetworkSwitch;
let harness: DesktopHarness | null = null;
const dirs: string[] = [];
const services: string[] = [];

test.beforeAll(async () => {
  t = await startTestServer();
  owner = await createUser(t, { name: 'Olga Owner' });
  workspaceId = await createWorkspace(owner, 'Acme Legal');
  await seedClients(owner, workspaceId, CLIENTS);
  network = await NetworkSwitch.start(t.url);
});

test.afterEach(async () => {
  await harness?.close();
  harness = null;
  network.goOnline();
});

test.afterAll(async () => {
  await network.close();
  await t.close();
  for (const service of services) {
    for (const { account } of await keytar.findCredentials(service))
      await keytar.deletePassword(service, account);
  }
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function startApp(
  env?: Record<string, string>,
): Promise<{ harness: DesktopHarness; dataDir: string; service: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'enclave-e2e-'));
  const service = `Enclave-e2e-${randomUUID()}`;
  dirs.push(dataDir);
  services.push(service);
  harness = await DesktopHarness.start({ dataDir, keychainService: service, env });
  return { harness, dataDir, service };
}

async function pairThroughTheForm(page: Page, code: string, name = 'E2E laptop'): Promise<void> {
  await page.getByTestId('pair-server').fill(network.url);
  await page.getByTestId('pair-code').fill(code);
  await page.getByTestId('pair-device-name').fill(name);
  await page.getByTestId('pair-submit').click();
}

async function serverRecord(id: string): Promise<WorkspaceRecord> {
  const res = await owner.get<WorkspaceRecord>(`/api/v1/workspaces/${workspaceId}/records/${id}`);
  expect(res.status, res.text).toBe(200);
  return res.body;
}

function replicaFiles(dataDir: string): string[] {
  try {
    return readdirSync(join(dataDir, 'replica'));
  } catch {
    return [];
  }
}

test('pair, sync, edit offline, reconnect, and be wiped by an admin', async ({ context }) => {
  const { harness, dataDir, service } = await startApp();
  const page = await harness.open(context);

  // Pair with a code made through the server API.
  const { code } = await createPairing(owner, workspaceId);
  await pairThroughTheForm(page, code);

  // The initial sync brings every record into the local replica, and the list shows them.
  await page.getByTestId('nav-type-client').click();
  await expect(page.getByTestId('nav-type-client')).toContainText(String(CLIENTS));
  await expect(page.getByTestId('sync-status')).toHaveAttribute('data-status', 'online');
  await page.getByTestId('list-search').fill('Client 017');
  await expect(page.getByTestId('record-row')).toHaveCount(1);
  const device = (
    await owner.get<{ items: Device[] }>(`/api/v1/workspaces/${workspaceId}/devices`)
  ).body.items.find((d) => d.name === 'E2E laptop');
  expect(device).toBeDefined();

  // Offline: the edit is made and shown locally, and the server does not have it.
  network.goOffline();
  await expect(page.getByTestId('sync-status')).toHaveAttribute('data-status', 'offline');
  await page.getByTestId('record-row').first().click();
  await page.getByTestId('record-edit').click();
  await page.getByTestId('field-name').fill('Client 017 — renamed offline');
  await page.getByTestId('record-save').click();
  await page.getByTestId('list-search').fill('renamed offline');
  await expect(page.getByTestId('record-row')).toHaveCount(1);
  expect((await serverRecord('client-017')).data.name).toBe('Client 017');

  // Back online: the edit reaches the server, and the audit log names the device.
  network.goOnline();
  await harness.control('reconnectNow');
  await expect(page.getByTestId('sync-status')).toHaveAttribute('data-status', /online|syncing/);
  await expect
    .poll(async () => (await serverRecord('client-017')).data.name)
    .toBe('Client 017 — renamed offline');
  const audit = await owner.get<{ items: AuditEvent[] }>(
    `/api/v1/workspaces/${workspaceId}/audit?recordId=client-017&limit=1`,
  );
  expect(audit.body.items[0]).toMatchObject({
    action: 'record.update',
    actor: { kind: 'device', id: device!.id, label: 'E2E laptop' },
  });

  // An admin revokes the device with wipe: the app says so, and its replica and keys are gone.
  expect(replicaFiles(dataDir).length).toBeGreaterThan(0);
  const revoked = await owner.post(`/api/v1/workspaces/${workspaceId}/devices/${device!.id}/revoke`, {
    wipe: true,
  });
  expect(revoked.status, revoked.text).toBe(200);
  await expect(page.getByTestId('revoked-screen')).toBeVisible();
  await expect(page.getByTestId('revoked-screen')).toHaveAttribute('data-wiped', 'true');
  expect(replicaFiles(dataDir)).toEqual([]);
  expect(await keytar.findCredentials(service)).toEqual([]);
});

test('explains a wrong code, a spent code and an unreachable server, and offers a link to confirm', async ({
  context,
}) => {
  const { harness, dataDir, service } = await startApp();
  const page = await harness.open(context);
  await expect(page.getByTestId('pair-submit')).toBeVisible();

  // A pairing link fills the form and asks the user to confirm the server; it pairs nothing.
  const link = `enclave://pair?${new URLSearchParams({ server: network.url, code: 'ABCD-EFGH-JKMN-PQRS-TVWX' }).toString()}`;
  expect(await harness.control('openLink', link)).toBe(true);
  await expect(page.getByTestId('link-confirm-notice')).toBeVisible();
  await expect(page.getByTestId('pair-server')).toHaveValue(network.url);
  await expect(page.getByTestId('pair-code')).toHaveValue(/ABCD/);

  await page.getByTestId('pair-device-name').fill('Wrong code laptop');
  await page.getByTestId('pair-submit').click();
  await expect(page.getByTestId('pair-error')).toHaveAttribute('data-code', 'invalid_credentials');

  const { code } = await createPairing(owner, workspaceId);
  const spent = await redeem(t, code, 'someone else');
  expect(spent.res.status).toBe(201);
  await pairThroughTheForm(page, code, 'Late laptop');
  await expect(page.getByTestId('pair-error')).toHaveAttribute('data-code', 'gone');

  network.goOffline();
  const fresh = await createPairing(owner, workspaceId);
  await pairThroughTheForm(page, fresh.code, 'Offline laptop');
  await expect(page.getByTestId('pair-error')).toHaveAttribute('data-code', 'server_unreachable');
  network.goOnline();

  // None of it left anything behind, and the unused code still works.
  expect(await keytar.findCredentials(service)).toEqual([]);
  expect(replicaFiles(dataDir)).toEqual([]);
  await pairThroughTheForm(page, fresh.code, 'Finally laptop');
  await expect(page.getByTestId('nav-type-client')).toContainText(String(CLIENTS));
});

test('refuses to pair without a keychain, and says so', async ({ context }) => {
  // A session bus that does not exist: no Secret Service can be reached.
  const { harness, dataDir } = await startApp({
    DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/enclave-bus',
  });
  const page = await harness.open(context);
  await expect(page.getByTestId('keychain-unavailable')).toBeVisible();
  await expect(page.getByTestId('pair-submit')).toHaveCount(0);
  expect(replicaFiles(dataDir)).toEqual([]);
});

test('explains a replica key lost from the keychain, and downloads a fresh copy on request', async ({
  context,
}) => {
  const { harness, dataDir, service } = await startApp();
  const page = await harness.open(context);
  const { code } = await createPairing(owner, workspaceId);
  await pairThroughTheForm(page, code, 'Forgetful laptop');
  await expect(page.getByTestId('nav-type-client')).toContainText(String(CLIENTS));
  const [before] = replicaFiles(dataDir).filter((f) => f.endsWith('.db'));

  // The keyring loses the replica key while the app is closed (a keyring reset).
  await harness.restart(async () => {
    expect(await keytar.deletePassword(service, 'replica-key')).toBe(true);
  });
  await expect(page.getByTestId('replica-unreadable')).toHaveAttribute('data-reason', 'replica_key_missing');
  // Nothing was replaced behind the user's back: the old file is still there.
  expect(replicaFiles(dataDir)).toContain(before);

  await page.getByTestId('replica-reset').click();
  await expect(page.getByTestId('nav-type-client')).toContainText(String(CLIENTS));
  expect(replicaFiles(dataDir)).not.toContain(before);
});

test('shows an edit the server overruled, lets the user restore it, and keeps data when revoked without wipe', async ({
  context,
}) => {
  const { harness, dataDir } = await startApp();
  const page = await harness.open(context);
  const { code } = await createPairing(owner, workspaceId);
  await pairThroughTheForm(page, code, 'Conflicted laptop');
  await page.getByTestId('nav-type-client').click();
  await page.getByTestId('list-search').fill('Client 005');
  await expect(page.getByTestId('record-row')).toHaveCount(1);

  // Offline, the app edits a record that someone changes on the server meanwhile.
  network.goOffline();
  await expect(page.getByTestId('sync-status')).toHaveAttribute('data-status', 'offline');
  await page.getByTestId('record-row').first().click();
  await page.getByTestId('record-edit').click();
  await page.getByTestId('field-name').fill('Client 005 — my offline version');
  await page.getByTestId('record-save').click();
  const current = await serverRecord('client-005');
  const changed = await owner.patch(`/api/v1/workspaces/${workspaceId}/records/client-005`, {
    data: { name: 'Client 005 — changed on the server' },
    rev: current.rev,
  });
  expect(changed.status, changed.text).toBe(200);

  // Back online the server's version wins, and the app says so.
  network.goOnline();
  await harness.control('reconnectNow');
  await expect(page.getByTestId('conflict-notice')).toBeVisible();
  await expect(page.getByTestId('conflict-notice')).toHaveAttribute('data-record-id', 'client-005');
  expect((await serverRecord('client-005')).data.name).toBe('Client 005 — changed on the server');

  // Restoring makes the local version a new edit, which reaches the server.
  await page.getByTestId('conflict-restore').click();
  await expect
    .poll(async () => (await serverRecord('client-005')).data.name)
    .toBe('Client 005 — my offline version');

  // Revoked without wipe: the app stops and says so; the local data stays until the user removes it.
  const device = (
    await owner.get<{ items: Device[] }>(`/api/v1/workspaces/${workspaceId}/devices`)
  ).body.items.find((d) => d.name === 'Conflicted laptop');
  const revoked = await owner.post(`/api/v1/workspaces/${workspaceId}/devices/${device!.id}/revoke`, {});
  expect(revoked.status, revoked.text).toBe(200);
  await expect(page.getByTestId('revoked-screen')).toHaveAttribute('data-wiped', 'false');
  expect(replicaFiles(dataDir).length).toBeGreaterThan(0);
  await page.getByTestId('replica-reset').click();
  await expect(page.getByTestId('pair-submit')).toBeVisible();
  expect(replicaFiles(dataDir)).toEqual([]);
});
