import { expect, test, type Locator, type Page, type WebSocketRoute } from '@playwright/test';
import QRCode from 'qrcode';
import {
  normalisePairingCode,
  wipeReceiptMessage,
  type AuditPage,
  type Device,
  type Pairing,
  type ServerFrame,
} from '@enclave/shared';
import type { TestClient } from '../../../server/src/test-support/test-client';
import {
  createPairing,
  pairDevice,
  RawSync,
  redeem,
  type TestDevice,
} from '../../../server/src/test-support/test-devices';
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
let ws: string;
const syncs: RawSync[] = [];

useConsoleServer(
  async (server) => {
    t = server;
    owner = await createUser(t, { name: 'Olivia Owner' });
    member = await createUser(t, { name: 'Max Member' });
    ws = await createWorkspace(owner, 'Northwind Devices');
    await addMember(owner, ws, member, ['member']);
  },
  {
    tearDown: () => {
      for (const sync of syncs) sync.close();
    },
  },
);

const devicesPath = () => `/w/${ws}/devices`;

async function openDevices(page: Page, user: TestClient): Promise<void> {
  await signIn(page, t, user, { next: devicesPath() });
  await expect(page.getByTestId('devices-page')).toBeVisible();
  // The live channel is open before anything is done that the page should see live.
  await expect(page.getByTestId('live-status')).toHaveAttribute('data-state', 'live');
}

function rowOf(page: Page, deviceId: string): Locator {
  return page.locator(`[data-testid="device-row"][data-device-id="${deviceId}"]`);
}

async function connect(device: TestDevice): Promise<RawSync> {
  const sync = await RawSync.connect(t, device.accessToken);
  syncs.push(sync);
  return sync;
}

async function devicesOf(user: TestClient): Promise<Device[]> {
  const res = await user.get<{ items: Device[] }>(`/api/v1/workspaces/${ws}/devices`);
  expect(res.status, res.text).toBe(200);
  return res.body.items;
}

async function pairingsOf(user: TestClient): Promise<Pairing[]> {
  const res = await user.get<{ items: Pairing[] }>(`/api/v1/workspaces/${ws}/pairings`);
  expect(res.status, res.text).toBe(200);
  return res.body.items;
}

/** Leaves a mark in the page's window: still there later means the page was not reloaded. */
async function markPage(page: Page): Promise<() => Promise<boolean>> {
  await page.evaluate(() => Object.assign(window, { __stillTheSamePage: true }));
  return () => page.evaluate(() => '__stillTheSamePage' in window);
}

/**
 * The QR image's modules, read back from its pixels: one character per module, `1` for dark.
 * The image is drawn on a canvas in the page and sampled at the centre of every module.
 */
async function qrModulesOnPage(img: Locator, size: number, margin: number): Promise<string> {
  return img.evaluate(
    (element, { size, margin }) => {
      const image = element as HTMLImageElement;
      const canvas = document.createElement('canvas');
      canvas.width = image.naturalWidth;
      canvas.height = image.naturalHeight;
      const context = canvas.getContext('2d');
      if (!context) throw new Error('no 2d context');
      context.drawImage(image, 0, 0);
      const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
      const scale = canvas.width / (size + margin * 2);
      let bits = '';
      for (let row = 0; row < size; row++) {
        for (let column = 0; column < size; column++) {
          const x = Math.floor((margin + column + 0.5) * scale);
          const y = Math.floor((margin + row + 0.5) * scale);
          bits += (pixels[(y * canvas.width + x) * 4] ?? 255) < 128 ? '1' : '0';
        }
      }
      return bits;
    },
    { size, margin },
  );
}

test('an admin pairs a computer with the code on the page: the panel turns to Paired and the device shows Online, live', async ({
  page,
}) => {
  const watch = watchPage(page);
  await openDevices(page, owner);
  await expect(page.getByTestId('devices-empty')).toContainText('No devices paired yet');
  await expectAccessible(page);
  await screenshot(page, 'devices-empty');

  await page.getByTestId('pair-open').click();
  // Admins choose whose device it is; the lifetime is 15 minutes unless chosen otherwise.
  await expect(page.getByTestId('pair-owner')).toHaveValue(owner.userId);
  await expect(page.getByTestId('pair-owner').locator('option')).toHaveCount(2);
  await expect(page.getByTestId('pair-ttl')).toHaveValue('900');
  await page.getByTestId('pair-create').click();

  // The code, grouped in fours, exactly as the app will take it.
  const shown = page.getByTestId('pair-code');
  await expect(shown).toBeVisible();
  await expect(shown.locator('.pair-code-group')).toHaveCount(5);
  const code = normalisePairingCode((await shown.textContent()) ?? '');
  expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{20}$/);
  await expect(page.getByTestId('pair-once')).toContainText('shown only now');
  await expect(page.getByTestId('pair-for')).toContainText('The computer will be yours');

  // The link carries the same code and the server's address, and the QR image encodes that link.
  const link = (await page.getByTestId('pair-link').textContent()) ?? '';
  expect(link).toMatch(/^enclave:\/\/pair\?/);
  const linkUrl = new URL(link);
  expect(normalisePairingCode(linkUrl.searchParams.get('code') ?? '')).toBe(code);
  await expect(page.getByTestId('pair-server')).toHaveText(linkUrl.searchParams.get('server') ?? '');
  const qr = page.getByTestId('pair-qr');
  await expect(qr).toHaveAttribute('src', /^data:image\/png;base64,/);
  await expect(qr).toHaveAttribute('alt', /QR code/);
  await expect.poll(() => qr.evaluate((img) => (img as HTMLImageElement).naturalWidth)).toBeGreaterThan(0);
  const matrix = QRCode.create(link, { errorCorrectionLevel: 'M' }).modules;
  const expected = Array.from(matrix.data, (dark) => (dark ? '1' : '0')).join('');
  expect(await qrModulesOnPage(qr, matrix.size, 2)).toBe(expected);

  // The countdown runs: about 15 minutes, and it ticks.
  const countdown = page.getByTestId('pair-countdown');
  await expect(countdown).toContainText(/Expires in 1[45]:\d\d/);
  const first = await countdown.textContent();
  await expect.poll(() => countdown.textContent(), { timeout: 5000 }).not.toBe(first);

  // What the server holds: one pending code, for the owner, that lives 15 minutes.
  const [made] = (await pairingsOf(owner)).filter((p) => p.status === 'pending');
  expect(made?.forUserId).toBe(owner.userId);
  expect(Date.parse(made?.expiresAt ?? '') - Date.parse(made?.createdAt ?? '')).toBe(15 * 60_000);
  await expect(page.getByTestId('pairing-row')).toHaveCount(1);
  await expectAccessible(page);
  await screenshot(page, 'devices-pairing-panel');

  // The desktop app's side: the code read from the page, redeemed with a fresh device key.
  const samePage = await markPage(page);
  const { res, keys } = await redeem(t, code, 'Olivia laptop');
  expect(res.status, res.text).toBe(201);
  const deviceId = res.body.device.id;
  await expect(page.getByTestId('pair-paired')).toHaveText('Paired: Olivia laptop, Linux');
  await expect(page.getByTestId('pairings')).toHaveCount(0);
  const row = rowOf(page, deviceId);
  await expect(row).toBeVisible();
  await expect(row.getByTestId('device-presence')).toHaveText('Offline');

  // Its sync connection opens: the row says Online, without a reload.
  const device: TestDevice = {
    workspaceId: ws,
    deviceId,
    accessToken: res.body.accessToken,
    keys,
    paired: res.body,
  };
  const sync = await connect(device);
  await expect(row).toHaveAttribute('data-online', 'true');
  await expect(row.getByTestId('device-presence')).toHaveText('Online');
  await expect(row.getByTestId('device-last-seen')).toHaveText('Now');
  expect(await samePage()).toBe(true);

  const [held] = (await devicesOf(owner)).filter((d) => d.id === deviceId);
  expect(held?.online).toBe(true);
  await expect(row.getByTestId('device-name')).toHaveText('Olivia laptop');
  await expect(row.getByTestId('device-owner')).toHaveText('Olivia Owner (you)');
  await expect(row.getByTestId('device-paired')).toContainText('by Olivia Owner (you)');
  await expect(row.getByTestId('device-platform')).toHaveText('Linux · app 0.1.0');
  await expect(row.getByTestId('device-fingerprint')).toHaveText(held?.keyFingerprint ?? '');
  await expect(row.getByTestId('device-fingerprint')).toHaveText(/^([0-9a-f]{4} ){7}[0-9a-f]{4}$/);
  await expect(row.getByTestId('device-ip')).toHaveText(held?.lastIp ?? 'Not known');

  // The device pulls the workspace, as the app does first; then a change is made and streamed to
  // it: the row shows how far it has synced.
  let checkpoint: { seq: number } | null = null;
  for (;;) {
    const pulled: ServerFrame = await sync.request({ type: 'pull', checkpoint, batchSize: 500 });
    if (pulled.type !== 'pull.result') throw new Error(`pull refused: ${JSON.stringify(pulled)}`);
    if (pulled.documents.length === 0) break;
    checkpoint = pulled.checkpoint;
  }
  const record = await owner.post<{ id: string; seq: number }>(`/api/v1/workspaces/${ws}/records`, {
    type: 'client',
    data: { name: 'Streamed Co', status: 'lead' },
  });
  expect(record.status, record.text).toBe(201);
  await sync.next((f) => f.type === 'stream' && f.documents.some((d) => d.id === record.body.id));
  await expect(row.getByTestId('device-seq')).toHaveText(`change #${record.body.seq}`);
  expect((await devicesOf(owner)).find((d) => d.id === deviceId)?.lastSyncedSeq).toBe(record.body.seq);

  await page.getByTestId('pair-close').click();
  await expect(page.getByTestId('pair-panel')).toHaveCount(0);
  // Focus goes back to where the panel was opened from.
  await expect(page.getByTestId('pair-open')).toBeFocused();
  await expectAccessible(page);
  await screenshot(page, 'devices-list');
  watch.check();
});

test('revoking with a wipe shows, live, the measured close of its connection and then the receipt the device signed', async ({
  page,
}) => {
  const watch = watchPage(page);
  const device = await pairDevice(t, owner, ws, 'Lost laptop');
  const sync = await connect(device);
  await openDevices(page, owner);
  const row = rowOf(page, device.deviceId);
  await expect(row).toHaveAttribute('data-online', 'true');

  await row.getByTestId('device-revoke').click();
  const dialog = page.getByTestId('revoke-dialog');
  await expect(dialog).toContainText('the next time it is online');
  await expectAccessible(page);
  await dialog.getByTestId('revoke-wipe').check();
  await screenshot(page, 'devices-revoke-dialog');
  await page.getByTestId('revoke-confirm').click();
  await expect(dialog).toBeHidden();

  // The device's connection is closed by the server; the row shows how long that took.
  await sync.closed();
  await expect(row).toHaveAttribute('data-status', 'revoked');
  await expect(row.getByTestId('device-revoked')).toContainText('Revoked');
  await expect(row.getByTestId('device-closed')).toHaveText(/^Connection closed after \d+ ms$/);
  await expect(row.getByTestId('device-wipe')).toHaveText(
    'Not yet confirmed — the computer has not been online since',
  );
  const [revoked] = (await devicesOf(owner)).filter((d) => d.id === device.deviceId);
  expect(revoked?.status).toBe('revoked');
  expect(revoked?.wipe).toBe(true);
  expect(revoked?.wipeConfirmedAt).toBeNull();
  await expect(row.getByTestId('device-closed')).toHaveText(
    `Connection closed after ${revoked?.revokeClosedMs ?? 'none'} ms`,
  );

  // The app wipes and says so, signed with its device key: the row turns to "Wipe confirmed", live.
  const wipedAt = new Date().toISOString();
  const app = t.client();
  app.origin = null;
  const receipt = await app.post('/api/v1/devices/wipe-receipt', {
    workspaceId: ws,
    deviceId: device.deviceId,
    wipedAt,
    signature: device.keys.sign(wipeReceiptMessage(ws, device.deviceId, wipedAt)),
  });
  expect(receipt.status, receipt.text).toBe(204);
  await expect(row.getByTestId('device-wipe')).toHaveAttribute('data-state', 'confirmed');
  await expect(row.getByTestId('device-wipe')).toHaveText(/^Wipe confirmed .+ — signed by the device$/);

  const [confirmed] = (await devicesOf(owner)).filter((d) => d.id === device.deviceId);
  expect(confirmed?.wipeConfirmedAt).not.toBeNull();
  const audit = await owner.get<AuditPage>(`/api/v1/workspaces/${ws}/audit?action=device.wipe_confirmed`);
  expect(audit.status, audit.text).toBe(200);
  expect(audit.body.items.map((e) => e.target.id)).toEqual([device.deviceId]);
  await expectAccessible(page);
  await screenshot(page, 'devices-revoked');
  watch.check();
});

test('a code runs out on the page: the panel and its row say Expired when the countdown reaches 0', async ({
  page,
}) => {
  const watch = watchPage(page);
  // The browser's clock only: moving it on shows what the page does at expiry without waiting.
  await page.clock.install();
  await openDevices(page, owner);
  await page.getByTestId('pair-open').click();
  await page.getByTestId('pair-ttl').selectOption({ label: '1 hour' });
  await page.getByTestId('pair-create').click();
  await expect(page.getByTestId('pair-countdown')).toContainText(/Expires in (1:00:00|59:\d\d)/);
  const [made] = (await pairingsOf(owner))
    .filter((p) => p.status === 'pending')
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  expect(Date.parse(made?.expiresAt ?? '') - Date.parse(made?.createdAt ?? '')).toBe(3600_000);
  const pendingRow = page.locator(`[data-testid="pairing-row"][data-pairing-id="${made?.id}"]`);
  await expect(pendingRow.getByTestId('pairing-expires')).toHaveText(/^(1:00:00|59:\d\d)$/);

  await page.clock.fastForward('59:00');
  await expect(page.getByTestId('pair-countdown')).toContainText(/Expires in [01]:\d\d/);
  await page.clock.fastForward('01:01');
  await expect(page.getByTestId('pair-result')).toHaveAttribute('data-state', 'expired');
  await expect(page.getByTestId('pair-ended')).toHaveText('Expired');
  await expect(page.getByTestId('pair-code')).toHaveCount(0);
  await expect(pendingRow).toHaveAttribute('data-state', 'expired');
  await expect(pendingRow.getByTestId('pairing-expires')).toHaveText('Expired');
  await expect(pendingRow.getByTestId('pairing-cancel')).toHaveCount(0);
  await expectAccessible(page);

  // Clean up for the tests after: the code is still pending on the server (its clock did not move).
  const cancelled = await owner.delete(`/api/v1/workspaces/${ws}/pairings/${made?.id}`);
  expect(cancelled.status, cancelled.text).toBe(204);
  watch.check();
});

test('pending codes are listed live with whom they are for, and cancelling one stops it working', async ({
  page,
}) => {
  const watch = watchPage(page);
  await openDevices(page, owner);
  // A code made elsewhere (another admin, the API) appears without a reload.
  const forMember = await createPairing(owner, ws, { forUserId: member.userId });
  const row = page.locator(`[data-testid="pairing-row"][data-pairing-id="${forMember.pairing.id}"]`);
  await expect(row).toBeVisible();
  await expect(row.getByTestId('pairing-for')).toHaveText('Max Member');
  await expect(row.getByTestId('pairing-expires')).toHaveText(/^1[45]:\d\d$/);
  await expectAccessible(page);

  await row.getByTestId('pairing-cancel').click();
  await expect(row).toHaveCount(0);
  const held = (await pairingsOf(owner)).find((p) => p.id === forMember.pairing.id);
  expect(held?.status).toBe('cancelled');
  const refused = await redeem(t, forMember.code);
  expect(refused.res.status).toBe(410);

  // The panel's own code, cancelled from the panel.
  await page.getByTestId('pair-open').click();
  await page.getByTestId('pair-owner').selectOption(member.userId);
  await page.getByTestId('pair-create').click();
  await expect(page.getByTestId('pair-code')).toBeVisible();
  await expect(page.getByTestId('pair-for')).toContainText('Max Member’s');
  const code = normalisePairingCode((await page.getByTestId('pair-code').textContent()) ?? '');
  await page.getByTestId('pair-cancel').click();
  await expect(page.getByTestId('pair-ended')).toHaveText('Cancelled');
  await expect(page.getByTestId('pairings')).toHaveCount(0);
  expect((await redeem(t, code)).res.status).toBe(410);
  expect((await pairingsOf(owner)).filter((p) => p.status === 'pending')).toEqual([]);
  watch.check();
});

test('a member sees and revokes only their own devices, and pairs only for themselves', async ({ page }) => {
  const watch = watchPage(page);
  const own = await pairDevice(t, member, ws, 'Max desktop');
  const ownersDevices = await devicesOf(owner);
  await openDevices(page, member);

  const rows = page.getByTestId('device-row');
  await expect(rows).toHaveCount(1);
  const visible = await rows.evaluateAll((elements) => elements.map((e) => e.getAttribute('data-device-id')));
  expect(visible).toEqual((await devicesOf(member)).map((d) => d.id));
  expect(visible).toEqual([own.deviceId]);
  for (const other of ownersDevices.filter((d) => d.ownerId !== member.userId))
    await expect(rowOf(page, other.id)).toHaveCount(0);
  await expect(rowOf(page, own.deviceId).getByTestId('device-owner')).toHaveText('Max Member (you)');
  await expect(page.getByTestId('devices-page')).toContainText('Your computers');

  await page.getByTestId('pair-open').click();
  await expect(page.getByTestId('pair-owner')).toHaveCount(0);
  await expect(page.getByTestId('pair-owner-self')).toHaveText('Yours (Max Member)');
  await expectAccessible(page);
  await screenshot(page, 'devices-member');
  await page.getByTestId('pair-close').click();

  // Revoked without a wipe while offline: it says so, and offers to add the wipe.
  const row = rowOf(page, own.deviceId);
  await row.getByTestId('device-revoke').click();
  await expect(page.getByTestId('revoke-wipe')).not.toBeChecked();
  await page.getByTestId('revoke-confirm').click();
  await expect(row).toHaveAttribute('data-status', 'revoked');
  await expect(row.getByTestId('device-closed')).toHaveText('It was offline');
  await expect(row.getByTestId('device-wipe')).toHaveAttribute('data-state', 'none');
  const [held] = await devicesOf(member);
  expect(held?.status).toBe('revoked');
  expect(held?.wipe).toBe(false);

  await row.getByTestId('device-ask-wipe').click();
  await page.getByTestId('revoke-confirm').click();
  await expect(row.getByTestId('device-wipe')).toHaveText(
    'Not yet confirmed — the computer has not been online since',
  );
  expect((await devicesOf(member))[0]?.wipe).toBe(true);
  watch.check();
});

test('after the live channel drops, the page reconnects and fetches what it missed', async ({ page }) => {
  const watch = watchPage(page);
  // The page's live channel goes through a route the test can cut, and hold cut for a while.
  let hold = false;
  let current: WebSocketRoute | null = null;
  await page.routeWebSocket(/\/api\/v1\/live/, (ws) => {
    current = ws;
    if (!hold) ws.connectToServer();
  });
  await openDevices(page, owner);

  hold = true;
  const cut = (): WebSocketRoute => {
    if (!current) throw new Error('no live channel');
    return current;
  };
  const dropped = cut();
  await dropped.close({ code: 4000, reason: 'network gone' });
  await expect(page.getByTestId('live-status')).toHaveAttribute('data-state', 'offline');
  // The page tries again; that attempt is held, unanswered, while things change on the server.
  await expect.poll(() => current !== dropped).toBe(true);
  const missedCode = await createPairing(owner, ws, { forUserId: member.userId });
  const missedDevice = await pairDevice(t, owner, ws, 'Paired while away');

  hold = false;
  await cut().close({ code: 4000, reason: 'network gone' });
  await expect(page.getByTestId('live-status')).toHaveAttribute('data-state', 'live');
  await expect(rowOf(page, missedDevice.deviceId)).toBeVisible();
  await expect(
    page.locator(`[data-testid="pairing-row"][data-pairing-id="${missedCode.pairing.id}"]`),
  ).toBeVisible();
  await owner.delete(`/api/v1/workspaces/${ws}/pairings/${missedCode.pairing.id}`);
  watch.check();
});
