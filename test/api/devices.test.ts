import { createHash, createPublicKey, randomUUID } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  AuditPage,
  Device,
  DevicePaired,
  DeviceSelf,
  normalisePairingCode,
  PAIRING_ALPHABET,
  pairingProofMessage,
  PairingCreated,
  renewalProofMessage,
  SyncCloseCode,
  type AuditEvent,
  type ErrorBody,
  type Pairing,
  type WorkspaceSchema,
  type WorkspaceSummary,
} from '@enclave/shared';
import { expectError } from '../../server/src/test-support/expect-error';
import type { TestClient, TestResponse } from '../../server/src/test-support/test-client';
import {
  createPairing,
  newDeviceKeys,
  pairDevice,
  RawSync,
  redeem,
  renewToken,
} from '../../server/src/test-support/test-devices';
import {
  addMember,
  createUser,
  createWorkspace,
  startTestServer,
  type TestServer,
} from '../../server/src/test-support/test-server';

const MINUTE_MS = 60_000;
const DAY_S = 24 * 3600;
const CODE_FORMAT = new RegExp(`^[${PAIRING_ALPHABET}]{4}(-[${PAIRING_ALPHABET}]{4}){4}$`);

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('device pairing and the devices API', () => {
  let t: TestServer;
  let owner: TestClient;
  let admin: TestClient;
  let member: TestClient;
  let member2: TestClient;
  let viewer: TestClient;
  let outsider: TestClient;
  let ws: string;

  beforeAll(async () => {
    t = await startTestServer();
    owner = await createUser(t, { name: 'Olga Owner' });
    admin = await createUser(t, { name: 'Adam Admin' });
    member = await createUser(t, { name: 'Mia Member' });
    member2 = await createUser(t, { name: 'Max Member' });
    viewer = await createUser(t, { name: 'Vera Viewer' });
    outsider = await createUser(t, { name: 'Otto Outsider' });
    ws = await createWorkspace(owner, 'Device Team');
    await addMember(owner, ws, admin, ['admin']);
    await addMember(owner, ws, member, ['member']);
    await addMember(owner, ws, member2, ['member']);
    await addMember(owner, ws, viewer, ['viewer']);
  });
  afterAll(() => t.close());

  const wsPath = (id: string) => `/api/v1/workspaces/${id}`;

  /** A client as the desktop app is: no cookie, no Origin. */
  function app(): TestClient {
    const client = t.client();
    client.origin = null;
    return client;
  }

  async function storeOf(id: string) {
    const store = await t.server.deps.store.workspace(id);
    if (!store) throw new Error(`no workspace ${id}`);
    return store;
  }

  async function pairingsOf(client: TestClient, id: string): Promise<Pairing[]> {
    const res = await client.get<{ items: Pairing[] }>(`${wsPath(id)}/pairings`);
    expect(res.status, res.text).toBe(200);
    return res.body.items;
  }

  async function devicesOf(client: TestClient, id: string): Promise<Device[]> {
    const res = await client.get<{ items: Device[] }>(`${wsPath(id)}/devices`);
    expect(res.status, res.text).toBe(200);
    return res.body.items;
  }

  /** Audit events of one action, newest first, as the workspace owner reads them. */
  async function events(id: string, action: string, by: TestClient = owner): Promise<AuditEvent[]> {
    const res = await by.get<{ items: AuditEvent[] }>(`${wsPath(id)}/audit?limit=500&action=${action}`);
    expect(res.status, res.text).toBe(200);
    return res.body.items;
  }

  async function headSeq(id: string): Promise<number> {
    return (await (await storeOf(id)).head()).seq;
  }

  /** Redeems with a body the test chooses (bad proofs, odd spellings of the code). */
  function redeemRaw(body: Record<string, unknown>): Promise<TestResponse<DevicePaired>> {
    return app().post<DevicePaired>('/api/v1/devices/pair', {
      name: 'Odd laptop',
      platform: 'macos',
      appVersion: '2.0.0',
      ...body,
    });
  }

  function redeemSpelled(code: string, spelled: string) {
    const keys = newDeviceKeys();
    return redeemRaw({
      code: spelled,
      publicKey: keys.publicKey,
      proof: keys.sign(pairingProofMessage(normalisePairingCode(code))),
    });
  }

  function self(token: string) {
    return app().get<DeviceSelf>('/api/v1/device', bearer(token));
  }

  function expectRevoked(res: TestResponse, wipe: boolean, label = '') {
    expectError(res, 401, 'device_revoked', label);
    expect((res.body as ErrorBody).error.details, label).toEqual({ wipe });
  }

  function revoke(by: TestClient, id: string, deviceId: string, body: { wipe?: boolean } = {}) {
    return by.post<Device>(`${wsPath(id)}/devices/${deviceId}/revoke`, body);
  }

  describe('pairing codes', () => {
    it('makes a 100-bit code in groups of four and a link, shown once and stored only as its hash', async () => {
      const res = await owner.post<PairingCreated>(`${wsPath(ws)}/pairings`, {});
      expect(res.status, res.text).toBe(201);
      const created = PairingCreated.parse(res.body);
      expect(created.code).toMatch(CODE_FORMAT);
      const plain = normalisePairingCode(created.code);
      expect(plain).toHaveLength(20);
      expect(plain).toBe(created.code.replaceAll('-', ''));
      expect(created.link).toBe(
        `enclave://pair?${new URLSearchParams({ server: t.url, code: created.code }).toString()}`,
      );
      const link = new URL(created.link);
      expect(link.protocol).toBe('enclave:');
      expect(link.host).toBe('pair');
      expect(link.searchParams.get('server')).toBe(t.url);
      expect(link.searchParams.get('code')).toBe(created.code);
      expect(created.pairing).toEqual({
        id: expect.any(String) as unknown,
        forUserId: owner.userId,
        createdBy: owner.userId,
        createdAt: expect.any(String) as unknown,
        expiresAt: expect.any(String) as unknown,
        status: 'pending',
        deviceId: null,
      });

      // Listed, but without the code, in any spelling.
      const list = await owner.get<{ items: Pairing[] }>(`${wsPath(ws)}/pairings`);
      expect(list.body.items).toContainEqual(created.pairing);
      for (const spelling of [created.code, plain]) expect(list.text).not.toContain(spelling);

      // Stored as SHA-256 of the normalised code; no column holds the code itself.
      const store = await storeOf(ws);
      const row = (await store.listPairings()).find((p) => p.id === created.pairing.id);
      expect(row?.tokenHash).toBe(sha256(plain));
      expect(JSON.stringify(row)).not.toContain(plain);
      expect(await store.getPairingByTokenHash(sha256(plain))).toEqual(row);

      // On the record, without the code.
      const [event] = await events(ws, 'device.createPairing');
      expect(event).toMatchObject({
        actor: { kind: 'user', id: owner.userId },
        target: { kind: 'pairing', id: created.pairing.id },
        before: null,
        after: created.pairing,
      });
      const audit = JSON.stringify(await store.queryAudit({ limit: 500 }));
      for (const spelling of [created.code, plain]) expect(audit).not.toContain(spelling);
    });

    it('draws every code afresh', async () => {
      const codes = new Set<string>();
      const symbols = new Set<string>();
      for (let i = 0; i < 12; i++) {
        const { code } = await createPairing(member, ws);
        codes.add(code);
        for (const c of code.replaceAll('-', '')) symbols.add(c);
      }
      expect(codes.size).toBe(12);
      // 240 symbols drawn from 32: a generator stuck on a few letters would not reach this.
      expect(symbols.size).toBeGreaterThanOrEqual(24);
      for (const s of symbols) expect(PAIRING_ALPHABET).toContain(s);
    });

    it('lives 15 minutes by default, up to 30 days on request, and no longer', async () => {
      const life = (p: Pairing) => Date.parse(p.expiresAt) - Date.parse(p.createdAt);
      expect(life((await createPairing(owner, ws)).pairing)).toBe(15 * MINUTE_MS);
      expect(life((await createPairing(owner, ws, { ttlSeconds: 60 })).pairing)).toBe(MINUTE_MS);
      expect(life((await createPairing(owner, ws, { ttlSeconds: 30 * DAY_S })).pairing)).toBe(
        30 * DAY_S * 1000,
      );

      const pairings = (await storeOf(ws)).listPairings();
      const before = { count: (await pairings).length, head: await headSeq(ws) };
      for (const ttlSeconds of [30 * DAY_S + 1, 365 * DAY_S, 59, 0, -60, 90.5, '900']) {
        const res = await owner.post(`${wsPath(ws)}/pairings`, { ttlSeconds });
        expectError(res, 400, 'validation_failed', `ttlSeconds ${String(ttlSeconds)}`);
        expect(res.text).not.toMatch(CODE_FORMAT);
      }
      expect((await (await storeOf(ws)).listPairings()).length).toBe(before.count);
      expect(await headSeq(ws)).toBe(before.head);
    });

    it('lists an expired code as expired and refuses it with 410', async () => {
      const created = await createPairing(owner, ws, { ttlSeconds: 60 });
      // The server runs in this process: only its clock moves, its timers stay real.
      vi.useFakeTimers({ toFake: ['Date'], now: Date.parse(created.pairing.expiresAt) + 1000 });
      try {
        const { res } = await redeem(t, created.code);
        expectError(res, 410, 'gone');
        const listed = (await pairingsOf(owner, ws)).find((p) => p.id === created.pairing.id);
        expect(listed?.status).toBe('expired');
        expectError(await owner.delete(`${wsPath(ws)}/pairings/${created.pairing.id}`), 409, 'conflict');
      } finally {
        vi.useRealTimers();
      }
      const row = (await (await storeOf(ws)).listPairings()).find((p) => p.id === created.pairing.id);
      expect(row).toMatchObject({ usedAt: null, deviceId: null, cancelledAt: null });
    });
  });

  describe('redeeming a code', () => {
    it('pairs a device and answers with a short-lived EdDSA token bound to it', async () => {
      const created = await createPairing(member, ws);
      const before = await devicesOf(owner, ws);
      const { res, keys } = await redeem(t, created.code, 'Mia’s MacBook');
      expect(res.status, res.text).toBe(201);
      const paired = DevicePaired.parse(res.body);
      const deviceId = paired.device.id;
      expect(before.map((d) => d.id)).not.toContain(deviceId);
      expect(paired.workspace).toEqual({ id: ws, name: 'Device Team' });
      expect(paired.device).toMatchObject({
        name: 'Mia’s MacBook',
        platform: 'linux',
        appVersion: '0.1.0',
        ownerId: member.userId,
        pairedBy: member.userId,
        status: 'active',
        revokedAt: null,
        wipe: false,
      });
      expect(res.text).not.toContain(keys.publicKey);

      const { tokens } = t.server.deps.devices;
      expect(decodeProtectedHeader(paired.accessToken)).toEqual({
        alg: 'EdDSA',
        typ: 'JWT',
        kid: tokens.keyId,
      });
      const claims = decodeJwt(paired.accessToken);
      expect(claims).toEqual({
        iss: tokens.issuer,
        aud: 'enclave-device',
        sub: deviceId,
        ws,
        iat: expect.any(Number) as unknown,
        exp: expect.any(Number) as unknown,
        jti: expect.any(String) as unknown,
      });
      const { iat = 0, exp = 0 } = claims;
      expect(exp).toBeGreaterThan(iat);
      expect(exp - iat).toBeLessThanOrEqual(15 * 60);
      expect(Math.abs(iat * 1000 - Date.now())).toBeLessThan(MINUTE_MS);
      expect(paired.expiresAt).toBe(new Date(exp * 1000).toISOString());
      // A real signature by the server's key, not just a well-formed token.
      await expect(
        jwtVerify(paired.accessToken, createPublicKey(tokens.publicKeyPem()), { algorithms: ['EdDSA'] }),
      ).resolves.toBeTruthy();

      // The pairing is used, by this device; the device is on the record as its own actor.
      const pairing = (await pairingsOf(member, ws)).find((p) => p.id === created.pairing.id);
      expect(pairing).toMatchObject({ status: 'used', deviceId });
      const [event] = await events(ws, 'device.pair');
      expect(event).toMatchObject({
        actor: { kind: 'device', id: deviceId, label: 'Mia’s MacBook' },
        target: { kind: 'device', id: deviceId },
        details: { pairingId: created.pairing.id },
      });
      const stored = await (await storeOf(ws)).getDevice(deviceId);
      expect(stored?.publicKey).toBe(keys.publicKey);

      // The token works at once.
      const me = await self(paired.accessToken);
      expect(me.status, me.text).toBe(200);
      expect(me.body.device.id).toBe(deviceId);
    });

    it('reads the code forgivingly: any case, spaces or no dashes, and O, I, L as 0, 1, 1', async () => {
      const variants: [string, (code: string) => string][] = [
        ['lower case', (c) => c.toLowerCase()],
        ['no dashes', (c) => c.replaceAll('-', '')],
        ['spaces', (c) => c.replaceAll('-', ' ')],
        ['mixed, padded', (c) => `  ${c.slice(0, 12).toLowerCase()}${c.slice(12).replaceAll('-', ' - ')} `],
      ];
      for (const [label, spell] of variants) {
        const { code } = await createPairing(owner, ws);
        const res = await redeemSpelled(code, spell(code));
        expect(res.status, `${label}: ${res.text}`).toBe(201);
      }
      // A code with a 0 or a 1 in it, typed with the letters people mistake for them.
      let confusable: PairingCreated | null = null;
      for (let i = 0; i < 40 && !confusable; i++) {
        const created = await createPairing(owner, ws);
        if (/[01]/.test(created.code)) confusable = created;
      }
      if (!confusable) throw new Error('no code with a 0 or 1 in 40 tries');
      let n = 0;
      const misread = confusable.code.replace(/[01]/g, (d) =>
        d === '0' ? 'O' : ['I', 'l', 'L', 'i'][n++ % 4]!,
      );
      expect(misread).not.toBe(confusable.code);
      const res = await redeemSpelled(confusable.code, misread);
      expect(res.status, res.text).toBe(201);
      expect((await pairingsOf(owner, ws)).find((p) => p.id === confusable.pairing.id)?.status).toBe('used');
    });

    it('is single use: a second redeem is refused with 410 and pairs nothing', async () => {
      const { code, pairing } = await createPairing(member, ws);
      const first = await redeem(t, code);
      expect(first.res.status).toBe(201);
      const count = (await devicesOf(owner, ws)).length;
      const head = await headSeq(ws);
      for (const spelling of [code, code.toLowerCase()]) {
        const again = await redeem(t, spelling);
        expectError(again.res, 410, 'gone');
      }
      expect((await devicesOf(owner, ws)).length).toBe(count);
      expect(await headSeq(ws)).toBe(head);
      expect((await pairingsOf(member, ws)).find((p) => p.id === pairing.id)).toMatchObject({
        status: 'used',
        deviceId: first.res.body.device.id,
      });
    });

    it('lets exactly one of two concurrent redeems of a code win', async () => {
      const before = (await devicesOf(owner, ws)).length;
      const winners: string[] = [];
      for (let round = 0; round < 10; round++) {
        const { code, pairing } = await createPairing(owner, ws);
        const [a, b] = await Promise.all([
          redeem(t, code, `racer ${round}a`),
          redeem(t, code, `racer ${round}b`),
        ]);
        const results = [a.res, b.res];
        const won = results.filter((r) => r.status === 201);
        const lost = results.filter((r) => r.status !== 201);
        expect(won.length, `round ${round}: ${results.map((r) => r.status).join(', ')}`).toBe(1);
        expectError(lost[0]!, 410, 'gone', `round ${round}`);
        const winner = won[0]!.body.device.id;
        winners.push(winner);
        expect((await pairingsOf(owner, ws)).find((p) => p.id === pairing.id)).toMatchObject({
          status: 'used',
          deviceId: winner,
        });
      }
      const after = await devicesOf(owner, ws);
      expect(after.length).toBe(before + 10);
      expect(
        after
          .filter((d) => d.name.startsWith('racer '))
          .map((d) => d.id)
          .sort(),
      ).toEqual([...winners].sort());
    });

    it('refuses a code it never made with 401 invalid_credentials', async () => {
      const head = await headSeq(ws);
      const made = normalisePairingCode((await createPairing(owner, ws)).code);
      // One symbol off a real code is as unknown as any other.
      const last = made.at(-1) === '0' ? '1' : '0';
      for (const code of ['0000-0000-0000-0000-0000', 'ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ', made.slice(0, 19) + last]) {
        const { res } = await redeem(t, code);
        expectError(res, 401, 'invalid_credentials', code);
      }
      expect(await headSeq(ws)).toBe(head + 1);
    });

    it('refuses a proof by another key, or a malformed key, and leaves the code usable', async () => {
      const { code, pairing } = await createPairing(member, ws);
      const plain = normalisePairingCode(code);
      const count = (await devicesOf(owner, ws)).length;
      const head = await headSeq(ws);
      const keys = newDeviceKeys();
      const thief = newDeviceKeys();
      const attempts: [string, Record<string, unknown>][] = [
        [
          "another key's proof",
          { code, publicKey: keys.publicKey, proof: thief.sign(pairingProofMessage(plain)) },
        ],
        [
          'proof of another code',
          { code, publicKey: keys.publicKey, proof: keys.sign(pairingProofMessage('0'.repeat(20))) },
        ],
        [
          'a renewal signature as proof',
          { code, publicKey: keys.publicKey, proof: keys.sign(renewalProofMessage(pairing.id, plain)) },
        ],
        ['proof over the code as typed', { code, publicKey: keys.publicKey, proof: keys.sign(code) }],
        [
          'key too short',
          { code, publicKey: keys.publicKey.slice(1), proof: keys.sign(pairingProofMessage(plain)) },
        ],
        [
          'key not base64url',
          { code, publicKey: `${'+'.repeat(42)}/`, proof: keys.sign(pairingProofMessage(plain)) },
        ],
        [
          'key of zeros',
          {
            code,
            publicKey: Buffer.alloc(32).toString('base64url'),
            proof: keys.sign(pairingProofMessage(plain)),
          },
        ],
        ['no proof', { code, publicKey: keys.publicKey }],
      ];
      for (const [label, body] of attempts) {
        expectError(await redeemRaw(body), 400, 'validation_failed', label);
      }
      expect((await devicesOf(owner, ws)).length).toBe(count);
      expect(await headSeq(ws)).toBe(head);
      expect((await pairingsOf(member, ws)).find((p) => p.id === pairing.id)?.status).toBe('pending');
      // The owner of the code, with a proof by its own key, still pairs.
      expect((await redeemSpelled(code, code)).status).toBe(201);
    });
  });

  describe('cancelling a code', () => {
    it('cancels a pending code: it cannot be redeemed or cancelled again, and the list tells the states apart', async () => {
      const pending = await createPairing(member, ws);
      const used = await createPairing(member, ws);
      const cancelled = await createPairing(member, ws);
      expect((await redeem(t, used.code)).res.status).toBe(201);

      const res = await member.delete(`${wsPath(ws)}/pairings/${cancelled.pairing.id}`);
      expect(res.status, res.text).toBe(204);
      const count = (await devicesOf(owner, ws)).length;
      expectError((await redeem(t, cancelled.code)).res, 410, 'gone');
      expect((await devicesOf(owner, ws)).length).toBe(count);
      expectError(await member.delete(`${wsPath(ws)}/pairings/${cancelled.pairing.id}`), 409, 'conflict');
      expectError(await member.delete(`${wsPath(ws)}/pairings/${used.pairing.id}`), 409, 'conflict');

      const statuses = new Map((await pairingsOf(member, ws)).map((p) => [p.id, p.status]));
      expect(statuses.get(pending.pairing.id)).toBe('pending');
      expect(statuses.get(used.pairing.id)).toBe('used');
      expect(statuses.get(cancelled.pairing.id)).toBe('cancelled');

      const [event] = await events(ws, 'device.cancelPairing');
      expect(event).toMatchObject({
        actor: { kind: 'user', id: member.userId },
        target: { kind: 'pairing', id: cancelled.pairing.id },
        before: { status: 'pending' },
        after: { status: 'cancelled' },
      });
      expect(JSON.stringify(event)).not.toContain(normalisePairingCode(cancelled.code));
    });

    it('lets the maker, the person it is for and an admin cancel; to other members it does not exist', async () => {
      const forMember = await createPairing(admin, ws, { forUserId: member.userId });
      const path = `${wsPath(ws)}/pairings/${forMember.pairing.id}`;
      for (const stranger of [member2, viewer]) expectError(await stranger.delete(path), 404, 'not_found');
      expectError(await outsider.delete(path), 404, 'not_found');
      expect((await member.delete(path)).status).toBe(204);

      const byMember = await createPairing(member, ws);
      expect((await owner.delete(`${wsPath(ws)}/pairings/${byMember.pairing.id}`)).status).toBe(204);
      expectError((await redeem(t, byMember.code)).res, 410, 'gone');
    });
  });

  describe('who may pair', () => {
    it('lets members and viewers pair their own devices, admins anyone’s, and no one else', async () => {
      const mine = await pairDevice(t, member, ws, 'member own');
      expect(mine.paired.device).toMatchObject({ ownerId: member.userId, pairedBy: member.userId });
      const viewers = await pairDevice(t, viewer, ws, 'viewer own');
      expect(viewers.paired.device).toMatchObject({ ownerId: viewer.userId, pairedBy: viewer.userId });

      const head = await headSeq(ws);
      expectError(
        await member.post(`${wsPath(ws)}/pairings`, { forUserId: member2.userId }),
        403,
        'forbidden',
      );
      expectError(await viewer.post(`${wsPath(ws)}/pairings`, { forUserId: owner.userId }), 403, 'forbidden');
      expectError(await outsider.post(`${wsPath(ws)}/pairings`, {}), 404, 'not_found');
      expectError(
        await outsider.post(`${wsPath(ws)}/pairings`, { forUserId: outsider.userId }),
        404,
        'not_found',
      );
      // An admin pairs for members only.
      expectError(
        await admin.post(`${wsPath(ws)}/pairings`, { forUserId: outsider.userId }),
        404,
        'not_found',
      );
      expect(await headSeq(ws)).toBe(head);

      const forMember = await createPairing(admin, ws, { forUserId: member.userId });
      expect(forMember.pairing).toMatchObject({ forUserId: member.userId, createdBy: admin.userId });
      const { res } = await redeem(t, forMember.code, 'handed over');
      expect(res.status, res.text).toBe(201);
      expect(res.body.device).toMatchObject({ ownerId: member.userId, pairedBy: admin.userId });
      // The device acts for the member it belongs to, not for the admin who paired it.
      const [event] = await events(ws, 'device.pair');
      expect(event?.actor).toEqual({ kind: 'device', id: res.body.device.id, label: 'handed over' });
      const me = await self(res.body.accessToken);
      expect(me.body.device.ownerId).toBe(member.userId);
    });

    it('shows members their own devices and pairings, and admins everyone’s', async () => {
      await pairDevice(t, member, ws, 'member listed');
      await pairDevice(t, member2, ws, 'member2 listed');
      const forMember = await createPairing(admin, ws, { forUserId: member.userId });
      const adminsOwn = await createPairing(admin, ws);

      const memberDevices = await devicesOf(member, ws);
      expect(memberDevices.length).toBeGreaterThan(0);
      expect(memberDevices.every((d) => d.ownerId === member.userId)).toBe(true);
      expect(memberDevices.map((d) => d.name)).toContain('member listed');
      const member2Devices = await devicesOf(member2, ws);
      expect(member2Devices.every((d) => d.ownerId === member2.userId)).toBe(true);
      expect(member2Devices.map((d) => d.name)).toContain('member2 listed');
      expect(member2Devices.map((d) => d.name)).not.toContain('member listed');

      const memberPairings = await pairingsOf(member, ws);
      expect(
        memberPairings.every((p) => p.forUserId === member.userId || p.createdBy === member.userId),
      ).toBe(true);
      expect(memberPairings.map((p) => p.id)).toContain(forMember.pairing.id);
      expect(memberPairings.map((p) => p.id)).not.toContain(adminsOwn.pairing.id);

      for (const manager of [admin, owner]) {
        const all = await devicesOf(manager, ws);
        expect(all.map((d) => d.ownerId)).toEqual(expect.arrayContaining([member.userId, member2.userId]));
        expect(all.map((d) => d.name)).toEqual(expect.arrayContaining(['member listed', 'member2 listed']));
        const pairings = (await pairingsOf(manager, ws)).map((p) => p.id);
        expect(pairings).toEqual(expect.arrayContaining([forMember.pairing.id, adminsOwn.pairing.id]));
      }
      expectError(await outsider.get(`${wsPath(ws)}/devices`), 404, 'not_found');
      expectError(await outsider.get(`${wsPath(ws)}/pairings`), 404, 'not_found');
    });
  });

  describe('managing devices', () => {
    it('lists a device with its name, platform, version, who paired it, when and from where', async () => {
      const device = await pairDevice(t, member2, ws, 'Max’s ThinkPad');
      const listed = (await devicesOf(member2, ws)).find((d) => d.id === device.deviceId);
      expect(Device.strict().parse(listed)).toEqual({
        id: device.deviceId,
        name: 'Max’s ThinkPad',
        platform: 'linux',
        appVersion: '0.1.0',
        ownerId: member2.userId,
        pairedBy: member2.userId,
        pairedAt: device.paired.device.pairedAt,
        lastSeenAt: expect.any(String) as unknown,
        lastIp: expect.stringContaining('127.0.0.1') as unknown,
        status: 'active',
        revokedAt: null,
        wipe: false,
        // SHA-256 of the raw key, first 16 bytes, in groups of four hex digits.
        keyFingerprint: createHash('sha256')
          .update(Buffer.from(device.keys.publicKey, 'base64url'))
          .digest('hex')
          .slice(0, 32)
          .replace(/(.{4})(?!$)/g, '$1 '),
        // Paired, but never connected to sync.
        online: false,
        lastSyncedSeq: null,
        revokeClosedMs: null,
        wipeConfirmedAt: null,
      });
      expect(Date.parse(listed?.lastSeenAt ?? '')).toBeGreaterThanOrEqual(Date.parse(listed?.pairedAt ?? ''));
      // The device key is the device's business: not listed.
      const res = await member2.get(`${wsPath(ws)}/devices`);
      expect(res.text).not.toContain(device.keys.publicKey);
    });

    it('renames: the device’s owner and an admin may; to another member the device does not exist', async () => {
      const device = await pairDevice(t, member, ws, 'old name');
      const path = `${wsPath(ws)}/devices/${device.deviceId}`;

      const byOwner = await member.patch<Device>(path, { name: '  Work laptop  ' });
      expect(byOwner.status, byOwner.text).toBe(200);
      expect(byOwner.body).toMatchObject({ id: device.deviceId, name: 'Work laptop' });
      const [renamed] = await events(ws, 'device.rename');
      expect(renamed).toMatchObject({
        actor: { kind: 'user', id: member.userId },
        target: { kind: 'device', id: device.deviceId },
        before: { name: 'old name' },
        after: { name: 'Work laptop' },
      });

      expect((await admin.patch<Device>(path, { name: 'Asset 42' })).body.name).toBe('Asset 42');
      const head = await headSeq(ws);
      for (const stranger of [member2, viewer]) {
        const res = await stranger.patch(path, { name: 'Mine now' });
        expectError(res, 404, 'not_found');
        // The same answer as for a device that does not exist at all.
        const ghost = await stranger.patch(`${wsPath(ws)}/devices/${randomUUID()}`, { name: 'x' });
        expect(res.body).toEqual(ghost.body);
      }
      expectError(await outsider.patch(path, { name: 'Mine now' }), 404, 'not_found');
      // Renaming to the same name is no change: nothing is written.
      expect((await admin.patch<Device>(path, { name: 'Asset 42' })).status).toBe(200);
      expect(await headSeq(ws)).toBe(head);
      expectError(await member.patch(path, { name: '   ' }), 400, 'validation_failed');
      expectError(await member.patch(path, { name: 'n'.repeat(81) }), 400, 'validation_failed');
      expect((await self(device.accessToken)).body.device.name).toBe('Asset 42');
    });

    it('revokes, with or without a wipe; revoking again only adds a wipe', async () => {
      const kept = await pairDevice(t, member, ws, 'kept');
      const lost = await pairDevice(t, member, ws, 'lost');
      const stolen = await pairDevice(t, member2, ws, 'stolen');

      const head = await headSeq(ws);
      expectError(await revoke(member2, ws, lost.deviceId), 404, 'not_found');
      expectError(await revoke(viewer, ws, lost.deviceId, { wipe: true }), 404, 'not_found');
      expect(await headSeq(ws)).toBe(head);

      const plain = await revoke(member, ws, lost.deviceId);
      expect(plain.status, plain.text).toBe(200);
      expect(plain.body).toMatchObject({ id: lost.deviceId, status: 'revoked', wipe: false });
      expect(plain.body.revokedAt).toEqual(expect.any(String));
      expectRevoked(await self(lost.accessToken), false);
      expectRevoked(await renewToken(t, lost), false);
      const [first] = await events(ws, 'device.revoke');
      expect(first).toMatchObject({
        actor: { kind: 'user', id: member.userId },
        target: { kind: 'device', id: lost.deviceId },
        before: { status: 'active' },
        after: { status: 'revoked', wipe: false },
        details: { wipe: false },
      });

      expectError(await revoke(member, ws, lost.deviceId), 409, 'conflict');
      expectError(await revoke(admin, ws, lost.deviceId, { wipe: false }), 409, 'conflict');
      const wiped = await revoke(admin, ws, lost.deviceId, { wipe: true });
      expect(wiped.status, wiped.text).toBe(200);
      // The first revocation's time stands; the wipe is added.
      expect(wiped.body).toMatchObject({ status: 'revoked', wipe: true, revokedAt: plain.body.revokedAt });
      expectRevoked(await self(lost.accessToken), true);
      const [second] = await events(ws, 'device.revoke');
      expect(second).toMatchObject({ actor: { id: admin.userId }, details: { wipe: true } });
      const head2 = await headSeq(ws);
      expectError(await revoke(admin, ws, lost.deviceId, { wipe: true }), 409, 'conflict');
      expectError(await revoke(admin, ws, lost.deviceId), 409, 'conflict');
      expect(await headSeq(ws)).toBe(head2);

      // An admin revokes anyone's device, with a wipe at once.
      const byAdmin = await revoke(admin, ws, stolen.deviceId, { wipe: true });
      expect(byAdmin.body).toMatchObject({ status: 'revoked', wipe: true });
      expectRevoked(await self(stolen.accessToken), true);

      // The member's other device is untouched.
      expect((await self(kept.accessToken)).status).toBe(200);
      const listed = new Map((await devicesOf(member, ws)).map((d) => [d.id, d]));
      expect(listed.get(kept.deviceId)?.status).toBe('active');
      expect(listed.get(lost.deviceId)).toMatchObject({ status: 'revoked', wipe: true });
      // A revoked device cannot be renamed back to life, but is still listed (with its history).
      const renamed = await member.patch<Device>(`${wsPath(ws)}/devices/${lost.deviceId}`, { name: 'found' });
      expect(renamed.body.status).toBe('revoked');
    });
  });

  describe('the device’s own view', () => {
    it('tells a device about itself, its workspace and the schema, for its bearer token only', async () => {
      const device = await pairDevice(t, member, ws, 'self aware');
      const res = await self(device.accessToken);
      expect(res.status, res.text).toBe(200);
      const body = DeviceSelf.parse(res.body);
      expect(body.device).toMatchObject({ id: device.deviceId, name: 'self aware', ownerId: member.userId });
      expect(body.workspace).toEqual({ id: ws, name: 'Device Team' });
      const schema = await owner.get<WorkspaceSchema>(`${wsPath(ws)}/schema`);
      expect(body.schema).toEqual(schema.body);

      // A session is not a device.
      expectError(await member.get('/api/v1/device'), 401, 'unauthorized');
      expectError(await app().get('/api/v1/device'), 401, 'unauthorized');
      // And a device token is not a session.
      expectError(await app().get(`${wsPath(ws)}/devices`, bearer(device.accessToken)), 401, 'unauthorized');
    });

    it('unpairs itself: revoked, on the record as the device, and its token refused after', async () => {
      const device = await pairDevice(t, member, ws, 'leaving laptop');
      const res = await app().post('/api/v1/device/unpair', undefined, bearer(device.accessToken));
      expect(res.status, res.text).toBe(204);
      const [event] = await events(ws, 'device.revoke');
      expect(event).toMatchObject({
        actor: { kind: 'device', id: device.deviceId, label: 'leaving laptop' },
        target: { kind: 'device', id: device.deviceId },
        details: { wipe: false },
      });
      expect((await devicesOf(member, ws)).find((d) => d.id === device.deviceId)).toMatchObject({
        status: 'revoked',
        wipe: false,
      });
      expectRevoked(await self(device.accessToken), false);
      expectRevoked(await app().post('/api/v1/device/unpair', undefined, bearer(device.accessToken)), false);
      expectRevoked(await renewToken(t, device), false);
      const refused = await RawSync.open(t, device.accessToken);
      expect(refused).not.toBeInstanceOf(RawSync);
      expect(refused).toMatchObject({
        status: 401,
        body: { error: { code: 'device_revoked', details: { wipe: false } } },
      });
    });
  });

  describe('the device’s activity', () => {
    const activity = (token: string, query = '') =>
      app().get<AuditPage>(`/api/v1/device/activity${query}`, bearer(token));

    it('shows an owner’s or admin’s device every event, newest first, with before and after', async () => {
      const activityWs = await createWorkspace(owner, 'Activity Team');
      const device = await pairDevice(t, owner, activityWs, 'activity laptop');
      const created = await owner.post<{ id: string }>(`${wsPath(activityWs)}/records`, {
        type: 'client',
        data: { name: 'Ada Client', status: 'lead' },
      });
      expect(created.status, created.text).toBe(201);
      const patched = await owner.patch(`${wsPath(activityWs)}/records/${created.body.id}`, {
        data: { name: 'Ada Lovelace' },
      });
      expect(patched.status, patched.text).toBe(200);

      const res = await activity(device.accessToken);
      expect(res.status, res.text).toBe(200);
      const page = AuditPage.parse(res.body);
      const all = await owner.get<AuditPage>(`${wsPath(activityWs)}/audit?limit=50`);
      expect(page.items).toEqual(all.body.items);
      const [update] = page.items;
      expect(update).toMatchObject({
        action: 'record.update',
        target: { kind: 'record', entityType: 'client', id: created.body.id },
        before: { data: { name: 'Ada Client' } },
        after: { data: { name: 'Ada Lovelace' } },
      });
      expect(page.items.map((e) => e.action)).toContain('device.pair');
    });

    it('shows other members only changes to records of types they can read', async () => {
      const activityWs = await createWorkspace(owner, 'Billing Activity');
      const role = await owner.put(`${wsPath(activityWs)}/roles/billing`, {
        label: 'Billing',
        permissions: { invoice: { read: true, write: false, delete: false } },
      });
      expect(role.status, role.text).toBe(200);
      const biller = await createUser(t, { name: 'Bill Biller' });
      await addMember(owner, activityWs, biller, ['billing']);
      const device = await pairDevice(t, biller, activityWs, 'billing laptop');
      const client = await owner.post<{ id: string }>(`${wsPath(activityWs)}/records`, {
        type: 'client',
        data: { name: 'Hidden Client', status: 'lead' },
      });
      expect(client.status, client.text).toBe(201);
      const invoice = await owner.post<{ id: string }>(`${wsPath(activityWs)}/records`, {
        type: 'invoice',
        data: {
          number: 'INV-1',
          client: client.body.id,
          amount: 1000,
          issued_on: '2026-01-01',
          status: 'draft',
        },
      });
      expect(invoice.status, invoice.text).toBe(201);

      const res = await activity(device.accessToken);
      expect(res.status, res.text).toBe(200);
      const page = AuditPage.parse(res.body);
      expect(page.items.map((e) => [e.action, e.target.entityType, e.target.id])).toEqual([
        ['record.create', 'invoice', invoice.body.id],
      ]);
      expect(JSON.stringify(page)).not.toContain('Hidden Client');
    });

    it('pages back with before, without gaps or repeats, and refuses bad paging', async () => {
      const activityWs = await createWorkspace(owner, 'Paging Activity');
      const device = await pairDevice(t, owner, activityWs, 'paging laptop');
      for (let i = 0; i < 7; i++) {
        const res = await owner.post(`${wsPath(activityWs)}/records`, {
          type: 'client',
          data: { name: `Client ${i}`, status: 'lead' },
        });
        expect(res.status, res.text).toBe(201);
      }
      const seen: number[] = [];
      let query = '?limit=3';
      for (let pages = 0; pages < 20; pages++) {
        const res = await activity(device.accessToken, query);
        expect(res.status, res.text).toBe(200);
        expect(res.body.items.length).toBeLessThanOrEqual(3);
        seen.push(...res.body.items.map((e) => e.seq));
        if (res.body.nextBefore === null) break;
        query = `?limit=3&before=${res.body.nextBefore}`;
      }
      const head = await headSeq(activityWs);
      expect(seen).toEqual(Array.from({ length: head }, (_, i) => head - i));

      expectError(await activity(device.accessToken, '?limit=0'), 400, 'validation_failed');
      expectError(await activity(device.accessToken, '?limit=101'), 400, 'validation_failed');
      expectError(await activity(device.accessToken, '?before=-1'), 400, 'validation_failed');
      expectError(await activity(device.accessToken, '?actorId=x'), 400, 'validation_failed');
      // A session is not a device, and a revoked device sees nothing.
      expectError(await owner.get('/api/v1/device/activity'), 401, 'unauthorized');
      await revoke(owner, activityWs, device.deviceId);
      expectRevoked(await activity(device.accessToken), false);
    });
  });

  describe('leaving and deleting', () => {
    it('revokes the devices of a removed member, and cuts their live connections', async () => {
      const boss = await createUser(t, { name: 'Boss' });
      const leaver = await createUser(t, { name: 'Leaver' });
      const stayer = await createUser(t, { name: 'Stayer' });
      const id = await createWorkspace(boss, 'Short Tenure');
      await addMember(boss, id, leaver, ['member']);
      await addMember(boss, id, stayer, ['member']);
      const laptop = await pairDevice(t, leaver, id, 'leaver laptop');
      const phone = await pairDevice(t, leaver, id, 'leaver desktop');
      const spare = await createPairing(leaver, id);
      const staying = await pairDevice(t, stayer, id, 'stayer laptop');
      const live = await RawSync.connect(t, laptop.accessToken);
      const other = await RawSync.connect(t, staying.accessToken);

      expect((await boss.delete(`${wsPath(id)}/members/${leaver.userId}`)).status).toBe(204);

      await live.closed();
      expect(live.closeCode).toBe(SyncCloseCode.deviceRevoked);
      expect(JSON.parse(live.closeReason)).toEqual({ code: 'device_revoked', wipe: false });
      expect(live.frames).toContainEqual(
        expect.objectContaining({
          type: 'error',
          error: expect.objectContaining({ code: 'device_revoked' }) as unknown,
        }),
      );
      for (const device of [laptop, phone]) {
        expectRevoked(await self(device.accessToken), false, device.paired.device.name);
        expectRevoked(await renewToken(t, device), false);
      }
      const listed = new Map((await devicesOf(boss, id)).map((d) => [d.id, d]));
      expect(listed.get(laptop.deviceId)?.status).toBe('revoked');
      expect(listed.get(phone.deviceId)?.status).toBe('revoked');
      expect(listed.get(staying.deviceId)?.status).toBe('active');
      const [removal] = await events(id, 'member.remove', boss);
      expect(removal?.target).toMatchObject({ kind: 'member', id: leaver.userId });
      expect(new Set((removal?.details as { revokedDevices: string[] }).revokedDevices)).toEqual(
        new Set([laptop.deviceId, phone.deviceId]),
      );
      // A code made for them pairs nothing any more.
      expectError((await redeem(t, spare.code)).res, 410, 'gone');

      // The other member's device carries on, on the same connection.
      const pulled = await other.request({ type: 'pull', checkpoint: null, batchSize: 10 });
      expect(pulled.type).toBe('pull.result');
      expect(other.closeCode).toBeNull();
      expect((await self(staying.accessToken)).status).toBe(200);
      other.close();
    });

    it('deletes a workspace for its owner, who must type its name; every device is told to wipe', async () => {
      const boss = await createUser(t, { name: 'Boss' });
      const helper = await createUser(t, { name: 'Helper' });
      const id = await createWorkspace(boss, 'Doomed Ltd');
      await addMember(boss, id, helper, ['admin']);
      const bossDevice = await pairDevice(t, boss, id, 'boss laptop');
      const helperDevice = await pairDevice(t, helper, id, 'helper laptop');
      const live = await RawSync.connect(t, helperDevice.accessToken);
      const path = wsPath(id);

      const head = await headSeq(id);
      const wrong = await boss.request('DELETE', path, { confirmName: 'doomed ltd' });
      expectError(wrong, 400, 'validation_failed');
      expectError(
        await boss.request('DELETE', path, { confirmName: 'Doomed Ltd ' }),
        400,
        'validation_failed',
      );
      expectError(await boss.request('DELETE', path, {}), 400, 'validation_failed');
      expectError(await boss.delete(path), 400, 'validation_failed');
      // Admins are not owners; outsiders learn nothing.
      expectError(await helper.request('DELETE', path, { confirmName: 'Doomed Ltd' }), 403, 'forbidden');
      expectError(await outsider.request('DELETE', path, { confirmName: 'Doomed Ltd' }), 404, 'not_found');
      expect(await headSeq(id)).toBe(head);
      expect((await boss.get(path)).status).toBe(200);
      expect((await self(helperDevice.accessToken)).status).toBe(200);
      expect(live.closeCode).toBeNull();

      const res = await boss.request('DELETE', path, { confirmName: 'Doomed Ltd' });
      expect(res.status, res.text).toBe(204);

      await live.closed();
      expect(live.closeCode).toBe(SyncCloseCode.deviceRevoked);
      expect(JSON.parse(live.closeReason)).toEqual({ code: 'device_revoked', wipe: true });

      for (const who of [boss, helper]) {
        expectError(await who.get(path), 404, 'not_found');
        expectError(await who.get(`${path}/devices`), 404, 'not_found');
        const list = await who.get<{ items: WorkspaceSummary[] }>('/api/v1/workspaces');
        expect(list.body.items.map((w) => w.id)).not.toContain(id);
      }
      expectError(await boss.request('DELETE', path, { confirmName: 'Doomed Ltd' }), 404, 'not_found');
      for (const device of [bossDevice, helperDevice]) {
        expectRevoked(await self(device.accessToken), true);
        expectRevoked(await renewToken(t, device), true);
        const refused = await RawSync.open(t, device.accessToken);
        expect(refused).toMatchObject({
          status: 401,
          body: { error: { code: 'device_revoked', details: { wipe: true } } },
        });
      }
      expect(await t.server.deps.store.workspace(id)).toBeNull();
    });
  });
});
