import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  Device,
  LiveCloseCode,
  SessionList,
  wipeReceiptMessage,
  type ServerFrame,
  type WorkspaceRecord,
} from '@enclave/shared';
import { expectError } from '../../server/src/test-support/expect-error';
import type { TestClient } from '../../server/src/test-support/test-client';
import { createPairing, pairDevice, RawSync, redeem } from '../../server/src/test-support/test-devices';
import { RawLive, type LiveRefusal } from '../../server/src/test-support/test-live';
import {
  createUser,
  createWorkspace,
  startTestServer,
  TEST_PASSWORD,
  type TestServer,
} from '../../server/src/test-support/test-server';

/** What the console checks by eye: SHA-256 of the raw key, first 16 bytes, hex in fours. */
function fingerprintOf(publicKey: string): string {
  const hex = createHash('sha256').update(Buffer.from(publicKey, 'base64url')).digest('hex').slice(0, 32);
  return hex.match(/.{4}/g)!.join(' ');
}

function refusal(result: RawLive | LiveRefusal): LiveRefusal {
  if (result instanceof RawLive) {
    result.close();
    throw new Error('the live channel was opened');
  }
  return result;
}

async function signInAgain(t: TestServer, user: TestClient): Promise<TestClient> {
  const other = t.client();
  const res = await other.post('/api/v1/auth/signin', { email: user.email, password: TEST_PASSWORD });
  if (res.status !== 200) throw new Error(`sign-in failed: ${res.status} ${res.text}`);
  other.email = user.email;
  other.userId = user.userId;
  return other;
}

async function currentSessionId(client: TestClient): Promise<string> {
  const list = SessionList.parse((await client.get('/api/v1/auth/sessions')).body);
  return list.items.find((s) => s.current)!.id;
}

describe('the live channel', () => {
  let t: TestServer;
  let owner: TestClient;
  let ws: string;
  const channels: RawLive[] = [];

  beforeAll(async () => {
    t = await startTestServer();
    owner = await createUser(t, { name: 'Olga Owner' });
    ws = await createWorkspace(owner, 'Live Desk');
  });
  afterAll(async () => {
    for (const c of channels) c.close();
    await t.close();
  });

  async function open(client: TestClient = owner, workspaceId = ws): Promise<RawLive> {
    const live = await RawLive.connect(t, client, workspaceId);
    channels.push(live);
    return live;
  }

  const devicesPath = () => `/api/v1/workspaces/${ws}/devices`;
  async function listed(deviceId: string): Promise<Device> {
    const res = await owner.get<{ items: Device[] }>(devicesPath());
    const device = res.body.items.find((d) => d.id === deviceId);
    if (!device) throw new Error(`device ${deviceId} not listed`);
    return Device.strict().parse(device);
  }

  it('says hello first, naming the workspace, and sends only contract frames', async () => {
    const live = await open();
    expect(live.events[0]).toEqual({ type: 'hello', workspaceId: ws });
    await owner.post(`/api/v1/workspaces/${ws}/records`, {
      type: 'client',
      data: { name: 'Hello Ltd', status: 'lead' },
    });
    await live.next((e) => e.type === 'audit');
    expect(live.malformed).toEqual([]);
  });

  it('pushes every new audit event to an owner, in sequence order, as the audit log has it', async () => {
    const live = await open();
    const created = await owner.post<WorkspaceRecord>(`/api/v1/workspaces/${ws}/records`, {
      type: 'client',
      data: { name: 'Initech', status: 'active' },
    });
    await owner.patch(`/api/v1/workspaces/${ws}/records/${created.body.id}`, {
      data: { status: 'inactive' },
    });
    await owner.patch(`/api/v1/workspaces/${ws}`, { name: 'Live Desk Renamed' });
    const renamed = await live.next((e) => e.type === 'audit' && e.event.action === 'workspace.rename');
    const audits = live.events.flatMap((e) => (e.type === 'audit' ? [e.event] : []));
    expect(audits.map((e) => e.action)).toEqual(['record.create', 'record.update', 'workspace.rename']);
    const seqs = audits.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    const log = await owner.get<{ items: unknown[] }>(`/api/v1/workspaces/${ws}/audit?limit=1`);
    expect(log.body.items[0]).toEqual(renamed.type === 'audit' ? renamed.event : null);
  });

  it('shows a pairing made, then used with the new device, then the device itself; and a cancelled one', async () => {
    const live = await open();
    const created = await createPairing(owner, ws);
    const made = await live.next(
      (e) => e.type === 'pairing' && e.pairing.id === created.pairing.id && e.pairing.status === 'pending',
    );
    expect(made).toEqual({ type: 'pairing', pairing: created.pairing, device: null });

    const { res, keys } = await redeem(t, created.code, 'Front desk laptop');
    expect(res.status).toBe(201);
    const deviceId = res.body.device.id;
    const used = await live.next(
      (e) => e.type === 'pairing' && e.pairing.id === created.pairing.id && e.pairing.status === 'used',
    );
    if (used.type !== 'pairing') throw new Error('not a pairing event');
    expect(used.pairing.deviceId).toBe(deviceId);
    expect(used.device).toMatchObject({
      id: deviceId,
      name: 'Front desk laptop',
      platform: 'linux',
      ownerId: owner.userId,
      status: 'active',
      keyFingerprint: fingerprintOf(keys.publicKey),
      online: false,
      lastSyncedSeq: null,
      revokeClosedMs: null,
      wipeConfirmedAt: null,
    });
    const device = await live.next((e) => e.type === 'device' && e.device.id === deviceId);
    expect(device).toMatchObject({ type: 'device', device: { id: deviceId, status: 'active' } });
    // The pairing's answer shows the same fingerprint as the console.
    expect(res.body.device.keyFingerprint).toBe(fingerprintOf(keys.publicKey));

    const second = await createPairing(owner, ws);
    expect((await owner.delete(`/api/v1/workspaces/${ws}/pairings/${second.pairing.id}`)).status).toBe(204);
    const cancelled = await live.next(
      (e) => e.type === 'pairing' && e.pairing.id === second.pairing.id && e.pairing.status === 'cancelled',
    );
    expect(cancelled).toMatchObject({ device: null });
  });

  it('shows a device come online when it connects to sync, how far it synced, and go offline when it leaves', async () => {
    const device = await pairDevice(t, owner, ws, 'Sync laptop');
    const live = await open();
    const sync = await RawSync.connect(t, device.accessToken);
    const online = await live.next(
      (e) => e.type === 'device' && e.device.id === device.deviceId && e.device.online,
    );
    expect(online).toMatchObject({ device: { online: true, name: 'Sync laptop' } });
    expect((await listed(device.deviceId)).online).toBe(true);

    // It pulls everything: the workspace's head is what it has, though the last events were no records.
    const head = (await owner.get<{ headSeq: number }>(`/api/v1/workspaces/${ws}/audit/verify`)).body.headSeq;
    let checkpoint: { seq: number } | null = null;
    for (;;) {
      const page: ServerFrame = await sync.request({ type: 'pull', checkpoint, batchSize: 100 });
      if (page.type !== 'pull.result') throw new Error(JSON.stringify(page));
      if (page.documents.length === 0) break;
      checkpoint = page.checkpoint;
    }
    expect(checkpoint?.seq).toBeLessThan(head);
    await live.next(
      (e) => e.type === 'device' && e.device.id === device.deviceId && e.device.lastSyncedSeq === head,
    );

    // A live change it is sent moves it on.
    const record = await owner.post<WorkspaceRecord>(`/api/v1/workspaces/${ws}/records`, {
      type: 'client',
      data: { name: 'Streamed Co', status: 'lead' },
    });
    await sync.next((f) => f.type === 'stream' && f.documents.some((d) => d.id === record.body.id));
    await live.next(
      (e) =>
        e.type === 'device' && e.device.id === device.deviceId && e.device.lastSyncedSeq === record.body.seq,
    );
    expect((await listed(device.deviceId)).lastSyncedSeq).toBe(record.body.seq);

    sync.close();
    await live.next((e) => e.type === 'device' && e.device.id === device.deviceId && !e.device.online);
    const after = await listed(device.deviceId);
    expect(after).toMatchObject({ online: false, lastSyncedSeq: record.body.seq, revokeClosedMs: null });
  });

  it('shows a revocation, then the measured time until its sync connection closed', async () => {
    const device = await pairDevice(t, owner, ws, 'Doomed laptop');
    const live = await open();
    const sync = await RawSync.connect(t, device.accessToken);
    await live.next((e) => e.type === 'device' && e.device.id === device.deviceId && e.device.online);

    const asked = Date.now();
    const res = await owner.post<Device>(`${devicesPath()}/${device.deviceId}/revoke`, { wipe: true });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'revoked', wipe: true, revokeClosedMs: null });
    const revoked = await live.next(
      (e) => e.type === 'device' && e.device.id === device.deviceId && e.device.status === 'revoked',
    );
    expect(revoked).toMatchObject({ device: { wipe: true } });
    const closed = await live.next(
      (e) => e.type === 'device' && e.device.id === device.deviceId && e.device.revokeClosedMs !== null,
    );
    await sync.closed();
    const observed = (sync.closedAt ?? Date.now()) - asked;
    if (closed.type !== 'device') throw new Error('not a device event');
    expect(closed.device.online).toBe(false);
    expect(closed.device.revokeClosedMs).toBeGreaterThanOrEqual(0);
    // Measured from the commit to the socket's close: within what the client itself saw, plus slack.
    expect(closed.device.revokeClosedMs).toBeLessThanOrEqual(observed + 50);
    expect(sync.closeCode).toBe(4001);
    expect((await listed(device.deviceId)).revokeClosedMs).toBe(closed.device.revokeClosedMs);

    // A device revoked while offline had no connection to close.
    const offline = await pairDevice(t, owner, ws, 'Drawer laptop');
    await owner.post(`${devicesPath()}/${offline.deviceId}/revoke`, { wipe: false });
    await live.next(
      (e) => e.type === 'device' && e.device.id === offline.deviceId && e.device.status === 'revoked',
    );
    expect((await listed(offline.deviceId)).revokeClosedMs).toBeNull();
  });

  it("shows a revoked device's wipe confirmed by its signed receipt", async () => {
    const device = await pairDevice(t, owner, ws, 'Wiped laptop');
    const live = await open();
    await owner.post(`${devicesPath()}/${device.deviceId}/revoke`, { wipe: true });
    await live.next((e) => e.type === 'device' && e.device.id === device.deviceId && e.device.wipe);
    const app = t.client();
    app.origin = null;
    const wipedAt = new Date().toISOString();
    const receipt = await app.post('/api/v1/devices/wipe-receipt', {
      workspaceId: ws,
      deviceId: device.deviceId,
      wipedAt,
      signature: device.keys.sign(wipeReceiptMessage(ws, device.deviceId, wipedAt)),
    });
    expect(receipt.status).toBe(204);
    const confirmed = await live.next(
      (e) => e.type === 'device' && e.device.id === device.deviceId && e.device.wipeConfirmedAt !== null,
    );
    expect(confirmed).toMatchObject({ device: { status: 'revoked', wipe: true } });
    expect((await listed(device.deviceId)).wipeConfirmedAt).toBe(
      confirmed.type === 'device' ? confirmed.device.wipeConfirmedAt : null,
    );
    await live.next((e) => e.type === 'audit' && e.event.action === 'device.wipe_confirmed');
  });

  it('shows a rename', async () => {
    const device = await pairDevice(t, owner, ws, 'Old name');
    const live = await open();
    await owner.patch(`${devicesPath()}/${device.deviceId}`, { name: 'New name' });
    await live.next(
      (e) => e.type === 'device' && e.device.id === device.deviceId && e.device.name === 'New name',
    );
  });

  it('closes with 4401 within a second when its session is revoked elsewhere, signed out, or revoked with the others', async () => {
    // Revoked from another session of the same user.
    const second = await signInAgain(t, owner);
    const live = await open(second);
    const id = await currentSessionId(second);
    const revokedAt = Date.now();
    expect((await owner.delete(`/api/v1/auth/sessions/${id}`)).status).toBe(204);
    await live.closed(1000);
    expect(live.closedAt! - revokedAt).toBeLessThan(1000);
    expect(live.closeCode).toBe(LiveCloseCode.sessionEnded);
    expect(JSON.parse(live.closeReason)).toEqual({ code: 'unauthorized' });
    // And it does not open again with that cookie.
    expectError(refusal(await RawLive.open(t, second, ws)), 401, 'unauthorized');

    // Signed out.
    const third = await signInAgain(t, owner);
    const signingOut = await open(third);
    expect((await third.post('/api/v1/auth/signout')).status).toBe(204);
    await signingOut.closed(1000);
    expect(signingOut.closeCode).toBe(LiveCloseCode.sessionEnded);

    // "Sign out everywhere else" ends the other channels, not this session's own.
    const fourth = await signInAgain(t, owner);
    const others = await open(fourth);
    const mine = await open(owner);
    const res = await owner.post<{ revoked: number }>('/api/v1/auth/sessions/revoke-others');
    expect(res.status).toBe(200);
    expect(res.body.revoked).toBeGreaterThanOrEqual(1);
    await others.closed(1000);
    expect(others.closeCode).toBe(LiveCloseCode.sessionEnded);
    await owner.post(`/api/v1/workspaces/${ws}/records`, {
      type: 'client',
      data: { name: 'Still here', status: 'lead' },
    });
    await mine.next(
      (e) =>
        e.type === 'audit' &&
        e.event.action === 'record.create' &&
        JSON.stringify(e.event).includes('Still here'),
    );
    expect(mine.closeCode).toBeNull();
  });

  it('closes with 4401 at its next session check when the session goes without this process being told', async () => {
    // As another server process, or the command line, would delete it: straight in the store.
    const other = await signInAgain(t, owner);
    const live = await open(other);
    await t.server.deps.store.control.deleteSession(await currentSessionId(other));
    await live.closed(12_000);
    expect(live.closeCode).toBe(LiveCloseCode.sessionEnded);
    expect(JSON.parse(live.closeReason)).toEqual({ code: 'unauthorized' });
  }, 15_000);

  it('closes with 1008 on any frame from the browser: it is read-only', async () => {
    const live = await open();
    live.socket.send(JSON.stringify({ type: 'subscribe', workspaceId: ws }));
    await live.closed();
    expect(live.closeCode).toBe(LiveCloseCode.readOnly);
    expect(JSON.parse(live.closeReason)).toEqual({ code: 'bad_request' });

    const binary = await open();
    binary.socket.send(Buffer.from([1, 2, 3]));
    await binary.closed();
    expect(binary.closeCode).toBe(LiveCloseCode.readOnly);
  });

  it('refuses a garbage upgrade query with 400 in the one error shape, before any WebSocket exists', async () => {
    const queries: [string, string][] = [
      ['no workspace', ''],
      ['not a uuid', 'workspaceId=not-a-uuid'],
      ['repeated', `workspaceId=${ws}&workspaceId=${ws}`],
      ['unknown parameter', `workspaceId=${ws}&since=0`],
      ['percent garbage', 'workspaceId=%ZZ%00'],
      ['sql', `workspaceId=${encodeURIComponent(`${ws}' OR 1=1 --`)}`],
      ['huge', `workspaceId=${'a'.repeat(6000)}`],
    ];
    for (const [label, query] of queries) {
      const result = refusal(await RawLive.open(t, owner, ws, { query }));
      expectError(result, 400, 'validation_failed', label);
    }
  });

  it('refuses without a session (401), and a workspace that does not exist (404)', async () => {
    expectError(refusal(await RawLive.open(t, null, ws)), 401, 'unauthorized');
    const forged = t.client();
    forged.cookie = `enclave_session=${'A'.repeat(43)}`;
    expectError(refusal(await RawLive.open(t, forged, ws)), 401, 'unauthorized');
    const ghost = refusal(await RawLive.open(t, owner, crypto.randomUUID()));
    expectError(ghost, 404, 'not_found');
    // A path next to it is no live channel.
    const near = await new Promise<number>((resolve) => {
      const socket = new WebSocket(`${t.url.replace(/^http/, 'ws')}/api/v1/live2?workspaceId=${ws}`, {
        headers: { origin: t.url, cookie: owner.cookie ?? '' },
      });
      socket.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      socket.once('open', () => resolve(101));
    });
    expect(near).toBe(404);
  });
});

describe('the live channel at shutdown', () => {
  it('closes with 1001 when the server stops', async () => {
    const t = await startTestServer();
    try {
      const owner = await createUser(t);
      const ws = await createWorkspace(owner, 'Closing Time');
      const live = await RawLive.connect(t, owner, ws);
      const stopping = t.stop();
      await live.closed();
      await stopping;
      expect(live.closeCode).toBe(LiveCloseCode.serverShutdown);
      expect(JSON.parse(live.closeReason)).toEqual({ code: 'server_shutdown' });
    } finally {
      await t.close();
    }
  });
});
