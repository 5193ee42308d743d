import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  ErrorBody,
  PushRow,
  ServerFrame,
  SyncCheckpoint,
  SyncDocument,
  WorkspaceRecord,
} from '@enclave/shared';
import type { TestClient } from '../../server/src/test-support/test-client';
import { pairDevice, RawSync, type TestDevice } from '../../server/src/test-support/test-devices';
import {
  addMember,
  createUser,
  createWorkspace,
  startTestServer,
  type TestServer,
} from '../../server/src/test-support/test-server';

/**
 * Promise 1, tenant isolation, over the sync endpoint: a device is bound to the workspace its
 * token names, and nothing it sends (checkpoints, record ids, a doctored token) reaches another.
 */

type PushResult = Extract<ServerFrame, { type: 'push.result' }>;

const B_SECRET = 'Borealis-confidential';

interface Tenant {
  owner: TestClient;
  wsId: string;
  records: WorkspaceRecord[];
  device: TestDevice;
}

async function createRecord(
  user: TestClient,
  wsId: string,
  type: string,
  data: Record<string, unknown>,
): Promise<WorkspaceRecord> {
  const res = await user.post<WorkspaceRecord>(`/api/v1/workspaces/${wsId}/records`, { type, data });
  if (res.status !== 201) throw new Error(`create failed: ${res.status} ${res.text}`);
  return res.body;
}

async function makeTenant(t: TestServer, name: string, secret: string, count: number): Promise<Tenant> {
  const owner = await createUser(t);
  const wsId = await createWorkspace(owner, name);
  const records: WorkspaceRecord[] = [];
  for (let i = 0; i < count; i++) {
    const client = await createRecord(owner, wsId, 'client', {
      name: `${secret} client ${String(i)}`,
      status: 'active',
      notes: `${secret} notes`,
    });
    records.push(client);
    records.push(
      await createRecord(owner, wsId, 'ticket', {
        subject: `${secret} ticket ${String(i)}`,
        client: client.id,
        priority: 'high',
        status: 'open',
      }),
    );
  }
  const device = await pairDevice(t, owner, wsId);
  return { owner, wsId, records, device };
}

function docOf(record: WorkspaceRecord): SyncDocument {
  return {
    id: record.id,
    type: record.type,
    data: record.data,
    rev: record.rev,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    _deleted: record.deletedAt !== null,
  };
}

async function pullAll(raw: RawSync, checkpoint: SyncCheckpoint | null): Promise<SyncDocument[]> {
  const documents: SyncDocument[] = [];
  let at = checkpoint;
  for (let pages = 0; pages < 100; pages++) {
    const page = await raw.request({ type: 'pull', checkpoint: at, batchSize: 7 });
    if (page.type !== 'pull.result') throw new Error(`pull answered ${JSON.stringify(page)}`);
    if (page.documents.length === 0) return documents;
    documents.push(...page.documents);
    at = page.checkpoint;
  }
  throw new Error('pull did not end');
}

/**
 * What of B appears in a text: its record ids and its secret. An id that A's store holds as well
 * (a device of A may create a record under any id, B's included) is A's own record there.
 */
async function leaks(t: TestServer, a: Tenant, b: Tenant, text: string, extraIds: string[] = []) {
  const aIds = new Set((await snapshot(t, a)).records.map((r) => r.id));
  const bIds = [...b.records.map((r) => r.id), ...extraIds].filter((id) => !aIds.has(id));
  return [...bIds, B_SECRET, b.wsId].filter((s) => text.includes(s));
}

/**
 * A push answer may only hold A's own records (as A's store has them) or the deleted stub of a
 * document the device itself sent: never anything read from B.
 */
async function expectOnlyOwnOrA(
  t: TestServer,
  a: Tenant,
  rows: PushRow[],
  answer: PushResult,
): Promise<void> {
  const aStore = await t.server.deps.store.workspace(a.wsId);
  for (const conflict of answer.conflicts) {
    const stored = await aStore!.getRecord(conflict.id);
    const stubs = rows
      .map((r) => ({ ...r.newDocumentState, _deleted: true }))
      .filter((stub) => stub.id === conflict.id);
    const allowed = [...(stored ? [docOf(stored)] : []), ...stubs];
    expect(allowed, JSON.stringify(conflict)).toContainEqual(conflict);
  }
  expect(JSON.stringify(answer.rejected)).not.toContain(B_SECRET);
}

/** B's state as the store holds it: its audit head and every record. */
async function snapshot(t: TestServer, tenant: Tenant) {
  const ws = await t.server.deps.store.workspace(tenant.wsId);
  if (!ws) throw new Error('no workspace');
  return {
    head: await ws.head(),
    records: await ws.recordsChangedSince(0, 10_000),
  };
}

describe('sync tenant isolation', () => {
  let t: TestServer;
  let a: Tenant;
  let b: Tenant;
  /** A member of both A and B, and their device paired to A. */
  let both: TestClient;
  let bothDevice: TestDevice;
  const open: RawSync[] = [];
  const connect = async (token: string) => {
    const raw = await RawSync.connect(t, token);
    open.push(raw);
    return raw;
  };

  beforeAll(async () => {
    t = await startTestServer();
    a = await makeTenant(t, 'Alpha', 'Alpha-public', 3);
    // B has more changes than A, so that its sequence numbers run past A's.
    b = await makeTenant(t, 'Borealis', B_SECRET, 8);
    both = await createUser(t);
    await addMember(a.owner, a.wsId, both, ['member']);
    await addMember(b.owner, b.wsId, both, ['member']);
    bothDevice = await pairDevice(t, both, a.wsId, 'Shared laptop');
  });
  afterAll(async () => {
    for (const raw of open) raw.close();
    await t.close();
  });

  it("pulls only A's records, whatever checkpoint the device sends", async () => {
    const bHead = (await snapshot(t, b)).head.seq;
    const aIds = new Set(a.records.map((r) => r.id));
    for (const device of [a.device, bothDevice]) {
      const raw = await connect(device.accessToken);
      expect(raw.frames[0]).toMatchObject({ type: 'hello', workspaceId: a.wsId });
      expect(new Set((await pullAll(raw, null)).map((d) => d.id))).toEqual(aIds);
      for (const seq of [0, 1, 5, bHead - 3, bHead, bHead + 1, 2 ** 31, Number.MAX_SAFE_INTEGER]) {
        const documents = await pullAll(raw, { seq: Math.max(0, seq) });
        for (const d of documents) expect(aIds.has(d.id), `seq ${String(seq)}: ${d.id}`).toBe(true);
      }
      expect(await leaks(t, a, b, JSON.stringify(raw.frames))).toEqual([]);
    }
  });

  it("gives B's record ids no meaning in a push from A: B is untouched", async () => {
    const before = await snapshot(t, b);
    const [bClient, bTicket] = b.records as [WorkspaceRecord, WorkspaceRecord];
    for (const device of [a.device, bothDevice]) {
      const raw = await connect(device.accessToken);
      const rows: PushRow[] = [
        // A create under B's id.
        {
          assumedMasterState: null,
          newDocumentState: {
            id: bClient.id,
            type: 'client',
            data: { name: 'Planted', status: 'lead' },
            _deleted: false,
          },
        },
        // An update and a delete that claim to know B's records.
        {
          assumedMasterState: docOf(bClient),
          newDocumentState: { ...docOf(bClient), data: { name: 'Taken over', status: 'inactive' } },
        },
        { assumedMasterState: docOf(bTicket), newDocumentState: { ...docOf(bTicket), _deleted: true } },
      ];
      const answer = await raw.request({ type: 'push', rows });
      expect(answer.type).toBe('push.result');
      await expectOnlyOwnOrA(t, a, rows, answer as PushResult);
    }
    expect(await snapshot(t, b)).toEqual(before);
  });

  it('never streams B changes to devices of A', async () => {
    const aRaw = await connect(a.device.accessToken);
    const bothRaw = await connect(bothDevice.accessToken);
    const bRaw = await connect(b.device.accessToken);
    const base = `/api/v1/workspaces/${b.wsId}/records`;
    const newInB: string[] = [];

    // Changes in B through every path: its owner, the member of both, and B's own device.
    newInB.push(
      (await createRecord(b.owner, b.wsId, 'client', { name: `${B_SECRET} new`, status: 'lead' })).id,
    );
    newInB.push(
      (await createRecord(both, b.wsId, 'client', { name: `${B_SECRET} by both`, status: 'lead' })).id,
    );
    const target = b.records[2]!;
    expect(
      (await b.owner.patch(`${base}/${target.id}`, { data: { notes: `${B_SECRET} edited` } })).status,
    ).toBe(200);
    expect((await b.owner.delete(`${base}/${b.records[4]!.id}`)).status).toBe(200);
    const pushedId = `b-device-${Date.now().toString(36)}`;
    newInB.push(pushedId);
    const pushed = await bRaw.request({
      type: 'push',
      rows: [
        {
          assumedMasterState: null,
          newDocumentState: {
            id: pushedId,
            type: 'client',
            data: { name: `${B_SECRET} pushed`, status: 'lead' },
            _deleted: false,
          },
        },
      ],
    });
    expect(pushed).toMatchObject({ type: 'push.result', conflicts: [], rejected: [] });
    // B's own device heard about its changes: the stream was live.
    await bRaw.next((f) => f.type === 'stream' && f.documents.some((d) => d.id === pushedId));

    // Then a sentinel in A: once A's devices have it, anything of B would have come before it.
    const sentinel = await createRecord(a.owner, a.wsId, 'client', {
      name: 'Alpha sentinel',
      status: 'lead',
    });
    const hasSentinel = (f: ServerFrame) =>
      f.type === 'stream' && f.documents.some((d) => d.id === sentinel.id);
    await aRaw.next(hasSentinel);
    await bothRaw.next(hasSentinel);
    for (const raw of [aRaw, bothRaw]) {
      expect(await leaks(t, a, b, JSON.stringify(raw.frames), newInB)).toEqual([]);
      const streamedIds = raw.frames.flatMap((f) =>
        f.type === 'stream' ? f.documents.map((d) => d.id) : [],
      );
      expect(streamedIds).toEqual([sentinel.id]);
    }
    a.records.push(sentinel);
  });

  it("refuses a token of A's device whose workspace claim was changed to B", async () => {
    for (const device of [a.device, bothDevice]) {
      const [header, payload, signature] = device.accessToken.split('.') as [string, string, string];
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { ws: string };
      expect(claims.ws).toBe(a.wsId);
      const forged = `${header}.${Buffer.from(JSON.stringify({ ...claims, ws: b.wsId })).toString('base64url')}.${signature}`;
      const result = await RawSync.open(t, forged);
      expect(result).not.toBeInstanceOf(RawSync);
      if (result instanceof RawSync) {
        result.close();
        continue;
      }
      expect(result.status).toBe(401);
      expect((result.body as ErrorBody).error.code).toBe('unauthorized');
      expect(JSON.stringify(result.body)).not.toContain(B_SECRET);
    }
    // The genuine token still works, and still names A.
    const raw = await connect(a.device.accessToken);
    expect(raw.frames[0]).toMatchObject({ type: 'hello', workspaceId: a.wsId });
  });

  it('shows a member of both workspaces, on a device paired to A, only A', async () => {
    const raw = await connect(bothDevice.accessToken);
    expect(raw.frames[0]).toMatchObject({
      type: 'hello',
      workspaceId: a.wsId,
      deviceId: bothDevice.deviceId,
    });
    const pulled = await pullAll(raw, null);
    const aIds = new Set((await snapshot(t, a)).records.map((r) => r.id));
    expect(new Set(pulled.map((d) => d.id))).toEqual(aIds);

    // What they do in B by hand does not follow them to their A device.
    const beforeB = await snapshot(t, b);
    const inB = await createRecord(both, b.wsId, 'ticket', {
      subject: `${B_SECRET} filed by both`,
      priority: 'low',
      status: 'open',
    });
    // And what their A device pushes under that id stays in A.
    const rows: PushRow[] = [
      {
        assumedMasterState: docOf(inB),
        newDocumentState: { ...docOf(inB), data: { ...inB.data, status: 'closed' } },
      },
    ];
    const answer = await raw.request({ type: 'push', id: 'into-b', rows });
    expect(answer.type).toBe('push.result');
    await expectOnlyOwnOrA(t, a, rows, answer as PushResult);
    const sentinel = await createRecord(both, a.wsId, 'client', { name: 'Alpha by both', status: 'lead' });
    await raw.next((f) => f.type === 'stream' && f.documents.some((d) => d.id === sentinel.id));
    // Apart from the answer checked above (which may echo the device's own document), nothing of B.
    const received = raw.frames.filter((f) => !('id' in f && f.id === 'into-b'));
    expect(await leaks(t, a, b, JSON.stringify(received), [inB.id])).toEqual([]);
    expect(await (await t.server.deps.store.workspace(a.wsId))!.getRecord(inB.id)).toBeNull();
    const afterB = await snapshot(t, b);
    expect(afterB.head.seq).toBe(beforeB.head.seq + 1);
    expect(afterB.records.find((r) => r.id === inB.id)).toEqual({ ...inB });
    a.records.push(sentinel);
  });
});
