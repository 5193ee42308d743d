import { createPublicKey, randomUUID, verify } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wipeReceiptMessage, type AuditEvent, type Device, type ErrorBody } from '@enclave/shared';
import { expectError } from '../../server/src/test-support/expect-error';
import type { TestClient, TestResponse } from '../../server/src/test-support/test-client';
import { newDeviceKeys, pairDevice, type TestDevice } from '../../server/src/test-support/test-devices';
import {
  addMember,
  createUser,
  createWorkspace,
  startTestServer,
  type TestServer,
} from '../../server/src/test-support/test-server';

const RECEIPT_PATH = '/api/v1/devices/wipe-receipt';
const MINUTE_MS = 60_000;

/**
 * Wipe receipts against a real server: a revoked app's signed word that it deleted its replica
 * and keychain entries. Accepted only from the device's own key, for a device revoked with a
 * wipe, at a plausible time; recorded on the device and in the audit log as the device's act.
 * Every refusal is in the one error shape and leaves the workspace exactly as it was.
 */
describe('wipe receipts', () => {
  let t: TestServer;
  let owner: TestClient;
  let member: TestClient;
  let ws: string;
  let otherOwner: TestClient;
  let otherWs: string;

  beforeAll(async () => {
    t = await startTestServer();
    owner = await createUser(t, { name: 'Olga Owner' });
    member = await createUser(t, { name: 'Mia Member' });
    ws = await createWorkspace(owner, 'Receipts Inc');
    await addMember(owner, ws, member, ['member']);
    otherOwner = await createUser(t, { name: 'Oscar Other' });
    otherWs = await createWorkspace(otherOwner, 'Another Tenant');
  });
  afterAll(() => t.close());

  const wsPath = (id: string) => `/api/v1/workspaces/${id}`;

  /** The desktop app sends receipts with no session and no Origin. */
  function app(): TestClient {
    const client = t.client();
    client.origin = null;
    return client;
  }

  function send(body: unknown): Promise<TestResponse> {
    return app().post(RECEIPT_PATH, body);
  }

  /** A receipt as the app makes it: signed by the device's key, for now unless told otherwise. */
  function receiptOf(device: TestDevice, wipedAt = new Date().toISOString()) {
    return {
      workspaceId: device.workspaceId,
      deviceId: device.deviceId,
      wipedAt,
      signature: device.keys.sign(wipeReceiptMessage(device.workspaceId, device.deviceId, wipedAt)),
    };
  }

  async function revoke(by: TestClient, device: TestDevice, wipe: boolean): Promise<Device> {
    const res = await by.post<Device>(`${wsPath(device.workspaceId)}/devices/${device.deviceId}/revoke`, {
      wipe,
    });
    expect(res.status, res.text).toBe(200);
    return res.body;
  }

  async function listed(by: TestClient, id: string, deviceId: string): Promise<Device | undefined> {
    const res = await by.get<{ items: Device[] }>(`${wsPath(id)}/devices`);
    expect(res.status, res.text).toBe(200);
    return res.body.items.find((d) => d.id === deviceId);
  }

  async function events(id: string, action: string, by = owner): Promise<AuditEvent[]> {
    const res = await by.get<{ items: AuditEvent[] }>(`${wsPath(id)}/audit?limit=500&action=${action}`);
    expect(res.status, res.text).toBe(200);
    return res.body.items;
  }

  /** What a refusal must not move: every device row as stored, and the head of the audit chain. */
  async function state(id: string) {
    const store = await t.server.deps.store.workspace(id);
    if (!store) throw new Error(`no workspace ${id}`);
    return { devices: await store.listDevices(), head: await store.head() };
  }

  /** A device of the member's, revoked with a wipe by the owner. */
  async function wipedDevice(name: string): Promise<{ device: TestDevice; revokedAt: string }> {
    const device = await pairDevice(t, member, ws, name);
    const revoked = await revoke(owner, device, true);
    return { device, revokedAt: revoked.revokedAt ?? '' };
  }

  it('records an accepted receipt on the device and in the audit log, as the device’s own act', async () => {
    const { device, revokedAt } = await wipedDevice('Lost laptop');
    expect((await listed(owner, ws, device.deviceId))?.wipeConfirmedAt).toBeNull();
    const receipt = receiptOf(device);

    const res = await send(receipt);
    expect(res.status, res.text).toBe(204);
    expect(res.text).toBe('');

    const shown = await listed(owner, ws, device.deviceId);
    expect(shown).toMatchObject({ status: 'revoked', wipe: true, revokedAt });
    expect(Date.parse(shown?.wipeConfirmedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(revokedAt));
    // The device's owner, a plain member, sees the confirmation on their own device too.
    expect((await listed(member, ws, device.deviceId))?.wipeConfirmedAt).toBe(shown?.wipeConfirmedAt);

    const [event, ...more] = await events(ws, 'device.wipe_confirmed');
    expect(more).toEqual([]);
    expect(event).toMatchObject({
      actor: { kind: 'device', id: device.deviceId, label: 'Lost laptop' },
      action: 'device.wipe_confirmed',
      target: { kind: 'device', id: device.deviceId },
      before: { wipeConfirmedAt: null },
      after: { wipeConfirmedAt: shown?.wipeConfirmedAt },
      details: { wipedAt: receipt.wipedAt, signedBy: device.keys.publicKey, signature: receipt.signature },
    });
    // The event carries what it takes to check the receipt again, with nothing but the log.
    const details = event?.details as { wipedAt: string; signedBy: string; signature: string };
    const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: details.signedBy }, format: 'jwk' });
    const message = wipeReceiptMessage(ws, event?.target.id ?? '', details.wipedAt);
    expect(verify(null, Buffer.from(message), key, Buffer.from(details.signature, 'base64url'))).toBe(true);

    const chain = await owner.get<{ ok: boolean }>(`${wsPath(ws)}/audit/verify`);
    expect(chain.body.ok, chain.text).toBe(true);
  });

  it('answers a second receipt for the same wipe with 204, and records nothing more', async () => {
    const { device } = await wipedDevice('Retrying laptop');
    const first = receiptOf(device);
    expect((await send(first)).status).toBe(204);
    const after = await state(ws);
    const confirmedAt = after.devices.find((d) => d.id === device.deviceId)?.wipeConfirmedAt;
    expect(confirmedAt).not.toBeNull();

    // The same receipt again (the app did not hear the answer), and a later one of the same wipe.
    expect((await send(first)).status).toBe(204);
    expect((await send(receiptOf(device, new Date(Date.now() + 1000).toISOString()))).status).toBe(204);
    expect(await state(ws)).toEqual(after);
    const confirmed = (await events(ws, 'device.wipe_confirmed')).filter(
      (e) => e.target.id === device.deviceId,
    );
    expect(confirmed).toHaveLength(1);
  });

  describe('refusals, each of which changes nothing', () => {
    let lost: TestDevice;
    let lostRevokedAt: string;
    let sibling: TestDevice;
    let active: TestDevice;
    let notWiped: TestDevice;
    let foreign: TestDevice;

    beforeAll(async () => {
      ({ device: lost, revokedAt: lostRevokedAt } = await wipedDevice('Stolen laptop'));
      ({ device: sibling } = await wipedDevice('Stolen tablet'));
      active = await pairDevice(t, member, ws, 'Desk PC');
      notWiped = await pairDevice(t, member, ws, 'Returned laptop');
      await revoke(owner, notWiped, false);
      foreign = await pairDevice(t, otherOwner, otherWs, 'Other tenant laptop');
      await revoke(otherOwner, foreign, true);
    });

    /** Sends `body` and checks the refusal, with both workspaces exactly as they were. */
    async function refused(label: string, body: unknown, status: number, code: ErrorBody['error']['code']) {
      const before = [await state(ws), await state(otherWs)];
      const res = await send(body);
      expectError(res, status, code, label);
      expect([await state(ws), await state(otherWs)], label).toEqual(before);
      return res;
    }

    it('refuses a signature that is not the device’s over this receipt (401)', async () => {
      const good = receiptOf(lost);
      await refused('random signature', { ...good, signature: 'A'.repeat(86) }, 401, 'unauthorized');
      // A genuine signature, but over another wipe time: the signed message covers every field.
      const other = receiptOf(lost, new Date(Date.now() - 1000).toISOString());
      await refused(
        'signature of another time',
        { ...good, signature: other.signature },
        401,
        'unauthorized',
      );
      // Another device of the same workspace, revoked with a wipe too, cannot vouch for this one.
      await refused(
        'signed by a sibling device',
        { ...good, signature: sibling.keys.sign(wipeReceiptMessage(ws, lost.deviceId, good.wipedAt)) },
        401,
        'unauthorized',
      );
      const stranger = newDeviceKeys();
      await refused(
        'signed by a key no device has',
        { ...good, signature: stranger.sign(wipeReceiptMessage(ws, lost.deviceId, good.wipedAt)) },
        401,
        'unauthorized',
      );
      expect((await listed(owner, ws, lost.deviceId))?.wipeConfirmedAt).toBeNull();
    });

    it('answers an unknown device, an unknown workspace and another tenant’s workspace alike', async () => {
      const wipedAt = new Date().toISOString();
      const unknownDevice = randomUUID();
      const unknownWs = randomUUID();
      const answers = [
        await refused(
          'unknown device in a real workspace',
          receiptOf({ ...lost, deviceId: unknownDevice }, wipedAt),
          401,
          'unauthorized',
        ),
        await refused(
          'unknown workspace',
          receiptOf({ ...lost, workspaceId: unknownWs }, wipedAt),
          401,
          'unauthorized',
        ),
        // The device's own key, but the other tenant's workspace: no device of that workspace.
        await refused(
          'real device, another tenant’s workspace',
          receiptOf({ ...lost, workspaceId: otherWs }, wipedAt),
          401,
          'unauthorized',
        ),
        await refused(
          'another tenant’s device, this workspace',
          receiptOf({ ...foreign, workspaceId: ws }, wipedAt),
          401,
          'unauthorized',
        ),
      ];
      // The same words for all: nothing tells which workspaces or devices exist.
      for (const res of answers) expect(res.body).toEqual(answers[0]?.body);
      expect((await listed(otherOwner, otherWs, foreign.deviceId))?.wipeConfirmedAt).toBeNull();
    });

    it('refuses a receipt from a device that was not told to wipe (409)', async () => {
      await refused('device still active', receiptOf(active), 409, 'conflict');
      await refused('revoked without a wipe', receiptOf(notWiped), 409, 'conflict');
      // Still active and usable: the refused receipt revoked nothing.
      const self = await app().get('/api/v1/device', { authorization: `Bearer ${active.accessToken}` });
      expect(self.status, self.text).toBe(200);
    });

    it('refuses a wipe time far in the future or before the revocation (400)', async () => {
      const revokedMs = Date.parse(lostRevokedAt);
      for (const [label, wipedAt] of [
        ['an hour ahead', new Date(Date.now() + 60 * MINUTE_MS).toISOString()],
        ['a year ahead', new Date(Date.now() + 365 * 24 * 60 * MINUTE_MS).toISOString()],
        ['an hour before the revocation', new Date(revokedMs - 60 * MINUTE_MS).toISOString()],
        ['long before', '2001-01-01T00:00:00Z'],
      ] as const) {
        const res = await refused(label, receiptOf(lost, wipedAt), 400, 'validation_failed');
        expect((res.body as ErrorBody).error.details, label).toEqual([
          { path: 'body.wipedAt', message: expect.any(String) as unknown },
        ]);
      }
      // Within the allowed clock difference either way, the same device's receipt is fine.
      expect((await send(receiptOf(lost, new Date(revokedMs - MINUTE_MS).toISOString()))).status).toBe(204);
    });

    it('refuses malformed bodies before looking anything up (400)', async () => {
      const good = receiptOf(sibling);
      const cases: [string, unknown][] = [
        ['empty object', {}],
        ['missing signature', { ...good, signature: undefined }],
        ['missing wipedAt', { ...good, wipedAt: undefined }],
        ['unknown field', { ...good, wiped: true }],
        ['workspace id not a uuid', { ...good, workspaceId: 'receipts-inc' }],
        ['device id not a uuid', { ...good, deviceId: `${good.deviceId}x` }],
        ['wipedAt not a date-time', { ...good, wipedAt: 'yesterday' }],
        ['wipedAt with an offset', { ...good, wipedAt: good.wipedAt.replace('Z', '+00:00') }],
        ['wipedAt a number', { ...good, wipedAt: Date.now() }],
        ['signature too short', { ...good, signature: good.signature.slice(1) }],
        ['signature not base64url', { ...good, signature: `${good.signature.slice(2)}+/` }],
        ['an array', [good]],
      ];
      for (const [label, body] of cases) await refused(label, body, 400, 'validation_failed');
      await refused('null', 'null', 400, 'bad_request');
      await refused('broken JSON', '{"workspaceId":', 400, 'bad_request');
      const before = await state(ws);
      expectError(
        await app().post(RECEIPT_PATH, 'workspaceId=x', {
          'content-type': 'application/x-www-form-urlencoded',
        }),
        415,
        'unsupported_media_type',
        'a form post',
      );
      expect(await state(ws)).toEqual(before);
      // The receipt itself was fine all along.
      expect((await send(good)).status).toBe(204);
    });
  });

  it('refuses a receipt for a deleted workspace: there is nothing left to record it in', async () => {
    const gone = await createWorkspace(owner, 'Short Lived');
    const device = await pairDevice(t, owner, gone, 'Doomed laptop');
    const res = await owner.request('DELETE', wsPath(gone), { confirmName: 'Short Lived' });
    expect(res.status, res.text).toBe(204);
    expectError(await send(receiptOf(device)), 401, 'unauthorized');
  });
});

describe('wipe receipts are rate-limited per address', () => {
  let t: TestServer;
  beforeAll(async () => {
    // The unauthenticated device endpoints allow four times the credential limit a minute.
    t = await startTestServer({ env: { ENCLAVE_AUTH_RATE_PER_IP: '2' } });
  });
  afterAll(() => t.close());

  it('answers 429 in the error shape, with Retry-After, once the limit is spent', async () => {
    const client = t.client();
    client.origin = null;
    const body = {
      workspaceId: randomUUID(),
      deviceId: randomUUID(),
      wipedAt: new Date().toISOString(),
      signature: 'A'.repeat(86),
    };
    for (let i = 0; i < 8; i++) expectError(await client.post(RECEIPT_PATH, body), 401, 'unauthorized');
    const limited = await client.post(RECEIPT_PATH, body);
    expectError(limited, 429, 'rate_limited');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});
