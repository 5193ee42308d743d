import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LiveCloseCode, type LiveEvent, type WorkspaceRecord } from '@enclave/shared';
import type { TestClient } from '../../server/src/test-support/test-client';
import { expectError } from '../../server/src/test-support/expect-error';
import { createPairing, pairDevice, RawSync, redeem } from '../../server/src/test-support/test-devices';
import { RawLive, type LiveRefusal } from '../../server/src/test-support/test-live';
import {
  addMember,
  createUser,
  createWorkspace,
  startTestServer,
  type TestServer,
} from '../../server/src/test-support/test-server';

/**
 * Promise 1, tenant isolation, over the console's live channel: it opens only from the server's
 * own origin, only on a workspace the user belongs to, and sends each user exactly what the HTTP
 * API would show them — never another workspace's data, never a device or audit event their role
 * may not see — and it ends when their membership does.
 */

function refusal(result: RawLive | LiveRefusal): LiveRefusal {
  if (result instanceof RawLive) {
    result.close();
    throw new Error('the live channel was opened');
  }
  return result;
}

/** Waits a moment for events that must not come: the server has had time to send them. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

function texts(events: readonly LiveEvent[]): string {
  return JSON.stringify(events);
}

describe('live channel: tenant isolation and permissions', () => {
  let t: TestServer;
  let ownerA: TestClient;
  let adminA: TestClient;
  let memberA: TestClient;
  let viewerA: TestClient;
  let ownerB: TestClient;
  let wsA: string;
  let wsB: string;
  const channels: RawLive[] = [];

  beforeAll(async () => {
    t = await startTestServer();
    ownerA = await createUser(t, { name: 'Alpha Owner' });
    adminA = await createUser(t, { name: 'Alpha Admin' });
    memberA = await createUser(t, { name: 'Alpha Member' });
    viewerA = await createUser(t, { name: 'Alpha Viewer' });
    ownerB = await createUser(t, { name: 'Borealis Owner' });
    wsA = await createWorkspace(ownerA, 'Alpha Holdings');
    wsB = await createWorkspace(ownerB, 'Borealis Confidential');
    await addMember(ownerA, wsA, adminA, ['admin']);
    await addMember(ownerA, wsA, memberA, ['member']);
    await addMember(ownerA, wsA, viewerA, ['viewer']);
  });
  afterAll(async () => {
    for (const c of channels) c.close();
    await t.close();
  });

  async function open(client: TestClient, workspaceId: string): Promise<RawLive> {
    const live = await RawLive.connect(t, client, workspaceId);
    channels.push(live);
    return live;
  }

  it('refuses a foreign Origin, a look-alike one, "null" and none, with 403 before upgrading', async () => {
    const port = new URL(t.url).port;
    const origins: (string | null)[] = [
      'https://attacker.example',
      'null',
      null,
      `${t.url}/`,
      t.url.replace('127.0.0.1', 'localhost'),
      t.url.replace('http:', 'https:'),
      t.url.replace(port, String(Number(port) + 1)),
      t.url.toUpperCase(),
      `${t.url}.attacker.example`,
    ];
    for (const origin of origins) {
      const result = refusal(await RawLive.open(t, ownerA, wsA, { origin }));
      expectError(result, 403, 'origin_mismatch', `origin ${String(origin)}`);
      expect(result.text).not.toContain(wsA);
    }
    // The same cookie from the server's own origin opens it: the refusals were about the Origin.
    const own = await open(ownerA, wsA);
    expect(own.events[0]).toEqual({ type: 'hello', workspaceId: wsA });
  });

  it("answers a member of A who names B exactly as for a workspace that doesn't exist", async () => {
    for (const caller of [ownerA, adminA, memberA, viewerA]) {
      const toB = refusal(await RawLive.open(t, caller, wsB));
      const toNothing = refusal(await RawLive.open(t, caller, randomUUID()));
      expectError(toB, 404, 'not_found');
      expect(toB.body).toEqual(toNothing.body);
      expect(toB.text).not.toContain('Borealis');
    }
  });

  it("never sends A's channels anything of B: records, pairings, devices coming online, revocations, audit", async () => {
    const owner = await open(ownerA, wsA);
    const member = await open(memberA, wsA);
    const b = await open(ownerB, wsB);

    const record = await ownerB.post<WorkspaceRecord>(`/api/v1/workspaces/${wsB}/records`, {
      type: 'client',
      data: { name: 'Borealis secret client', status: 'active', tax_id: 'BOREALIS-TAX-1' },
    });
    const pairing = await createPairing(ownerB, wsB);
    const { res } = await redeem(t, pairing.code, 'Borealis laptop');
    expect(res.status).toBe(201);
    const sync = await RawSync.connect(t, res.body.accessToken);
    await b.next((e) => e.type === 'device' && e.device.id === res.body.device.id && e.device.online);
    await ownerB.post(`/api/v1/workspaces/${wsB}/devices/${res.body.device.id}/revoke`, { wipe: true });
    await sync.closed();
    await b.next(
      (e) => e.type === 'device' && e.device.id === res.body.device.id && e.device.revokeClosedMs !== null,
    );
    await settle();

    const secrets = [
      wsB,
      record.body.id,
      'Borealis',
      'BOREALIS-TAX-1',
      pairing.pairing.id,
      res.body.device.id,
      ownerB.userId,
    ];
    for (const channel of [owner, member]) {
      expect(channel.events.filter((e) => e.type !== 'hello')).toEqual([]);
      expect(secrets.filter((s) => texts(channel.events).includes(s))).toEqual([]);
    }
    // B's own owner saw all of it, so there was something to leak.
    expect(b.events.some((e) => e.type === 'audit' && e.event.target.id === record.body.id)).toBe(true);
  });

  it('shows a member only their own devices and pairings, and no audit events; an admin all of them', async () => {
    const admin = await open(adminA, wsA);
    const member = await open(memberA, wsA);
    const viewer = await open(viewerA, wsA);

    const mine = await pairDevice(t, memberA, wsA, 'Member laptop');
    const theirs = await pairDevice(t, ownerA, wsA, 'Owner laptop');
    const forViewer = await createPairing(adminA, wsA, { forUserId: viewerA.userId });
    const mineSync = await RawSync.connect(t, mine.accessToken);
    const theirsSync = await RawSync.connect(t, theirs.accessToken);
    await admin.next((e) => e.type === 'device' && e.device.id === mine.deviceId && e.device.online);
    await admin.next((e) => e.type === 'device' && e.device.id === theirs.deviceId && e.device.online);
    await member.next((e) => e.type === 'device' && e.device.id === mine.deviceId && e.device.online);
    await ownerA.patch(`/api/v1/workspaces/${wsA}/devices/${theirs.deviceId}`, { name: 'Owner laptop 2' });
    await admin.next((e) => e.type === 'device' && e.device.name === 'Owner laptop 2');
    mineSync.close();
    theirsSync.close();
    await admin.next((e) => e.type === 'device' && e.device.id === theirs.deviceId && !e.device.online);
    await member.next((e) => e.type === 'device' && e.device.id === mine.deviceId && !e.device.online);
    await settle();

    // The member: their own device and their own pairing, nothing of the owner's, no audit.
    const memberDevices = new Set(member.events.flatMap((e) => (e.type === 'device' ? [e.device.id] : [])));
    expect([...memberDevices]).toEqual([mine.deviceId]);
    const memberPairings = member.events.flatMap((e) => (e.type === 'pairing' ? [e.pairing] : []));
    expect(memberPairings.length).toBeGreaterThan(0);
    expect(memberPairings.every((p) => p.forUserId === memberA.userId)).toBe(true);
    for (const e of member.events)
      if (e.type === 'pairing' && e.device) expect(e.device.ownerId).toBe(memberA.userId);
    expect(member.events.filter((e) => e.type === 'audit')).toEqual([]);
    expect(texts(member.events)).not.toContain(theirs.deviceId);
    expect(texts(member.events)).not.toContain('Owner laptop');

    // As over HTTP: the member's device list holds the same one device.
    const listed = await memberA.get<{ items: { id: string }[] }>(`/api/v1/workspaces/${wsA}/devices`);
    expect(listed.body.items.map((d) => d.id)).toEqual([mine.deviceId]);

    // The viewer: only the pairing made out to them, no devices, no audit.
    expect(viewer.events.filter((e) => e.type === 'device' || e.type === 'audit')).toEqual([]);
    const viewerPairings = viewer.events.flatMap((e) => (e.type === 'pairing' ? [e.pairing.id] : []));
    expect(viewerPairings).toEqual([forViewer.pairing.id]);

    // The admin: both devices, every pairing, and the audit events.
    const adminDevices = new Set(admin.events.flatMap((e) => (e.type === 'device' ? [e.device.id] : [])));
    expect(adminDevices).toEqual(new Set([mine.deviceId, theirs.deviceId]));
    expect(admin.events.some((e) => e.type === 'pairing' && e.pairing.id === forViewer.pairing.id)).toBe(
      true,
    );
    const actions = admin.events.flatMap((e) => (e.type === 'audit' ? [e.event.action] : []));
    expect(actions).toEqual(expect.arrayContaining(['device.createPairing', 'device.pair', 'device.rename']));
  });

  it('follows role changes: audit events start with a role that may read the log and stop without it', async () => {
    const wsId = await createWorkspace(ownerA, 'Role Shift');
    const shifter = await createUser(t, { name: 'Shifting Person' });
    await addMember(ownerA, wsId, shifter, ['member']);
    const live = await open(shifter, wsId);
    const base = `/api/v1/workspaces/${wsId}`;
    const create = (name: string) =>
      ownerA.post<WorkspaceRecord>(`${base}/records`, { type: 'client', data: { name, status: 'lead' } });

    await create('Before promotion');
    await settle();
    expect(live.events.filter((e) => e.type === 'audit')).toEqual([]);

    expect((await ownerA.patch(`${base}/members/${shifter.userId}`, { roles: ['admin'] })).status).toBe(204);
    const promoted = await create('After promotion');
    await live.next((e) => e.type === 'audit' && e.event.target.id === promoted.body.id);

    // A custom role with record rights but no audit right: the log is closed again.
    expect(
      (
        await ownerA.put(`${base}/roles/clerk`, {
          label: 'Clerk',
          permissions: { client: { read: true, write: true, delete: false } },
        })
      ).status,
    ).toBe(200);
    expect((await ownerA.patch(`${base}/members/${shifter.userId}`, { roles: ['clerk'] })).status).toBe(204);
    const count = live.events.length;
    const demoted = await create('After demotion');
    await settle();
    expect(texts(live.events.slice(count))).not.toContain(demoted.body.id);
    expect(live.events.slice(count).filter((e) => e.type === 'audit')).toEqual([]);
    expect(live.closeCode).toBeNull();
  });

  it("closes a removed member's channel with 4403 and sends them nothing of the removal", async () => {
    const wsId = await createWorkspace(ownerA, 'Short Stay');
    const leaver = await createUser(t, { name: 'Leaving Person' });
    await addMember(ownerA, wsId, leaver, ['admin']);
    const device = await pairDevice(t, leaver, wsId, 'Leaver laptop');
    const live = await open(leaver, wsId);
    const owner = await open(ownerA, wsId);

    expect((await ownerA.delete(`/api/v1/workspaces/${wsId}/members/${leaver.userId}`)).status).toBe(204);
    await live.closed();
    expect(live.closeCode).toBe(LiveCloseCode.forbidden);
    expect(JSON.parse(live.closeReason)).toEqual({ code: 'forbidden' });
    // Not the removal's audit event, nor their device's revocation that came with it.
    expect(live.events.filter((e) => e.type !== 'hello')).toEqual([]);
    // The owner sees the device revoked by the removal.
    await owner.next(
      (e) => e.type === 'device' && e.device.id === device.deviceId && e.device.status === 'revoked',
    );

    // And it does not open again.
    expectError(refusal(await RawLive.open(t, leaver, wsId)), 404, 'not_found');
  });

  it('closes every channel of a deleted workspace with 4403, sending nothing of the deletion', async () => {
    const wsId = await createWorkspace(ownerA, 'Doomed Workspace');
    await addMember(ownerA, wsId, memberA, ['member']);
    const ownerChannel = await open(ownerA, wsId);
    const memberChannel = await open(memberA, wsId);
    const res = await ownerA.request('DELETE', `/api/v1/workspaces/${wsId}`, {
      confirmName: 'Doomed Workspace',
    });
    expect(res.status).toBe(204);
    for (const channel of [ownerChannel, memberChannel]) {
      await channel.closed();
      expect(channel.closeCode).toBe(LiveCloseCode.forbidden);
      expect(channel.events.filter((e) => e.type !== 'hello')).toEqual([]);
    }
    expectError(refusal(await RawLive.open(t, ownerA, wsId)), 404, 'not_found');
  });
});
