import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  SYNC_PATH,
  SYNC_PROTOCOL_VERSION,
  SyncCloseCode,
  SyncCloseReason,
  syncSubprotocol,
  type AuditEvent,
  type ErrorBody,
  type PushRow,
  type ServerFrame,
  type SyncCheckpoint,
  type SyncDocument,
  type WorkspaceRecord,
} from '@enclave/shared';
import {
  pairDevice,
  RawSync,
  syncUrl,
  type Refusal,
  type TestDevice,
} from '../../server/src/test-support/test-devices';
import type { TestClient } from '../../server/src/test-support/test-client';
import {
  addMember,
  createUser,
  createWorkspace,
  startTestServer,
  type TestServer,
} from '../../server/src/test-support/test-server';

type Frame<K extends ServerFrame['type']> = Extract<ServerFrame, { type: K }>;
type PullResult = Frame<'pull.result'>;
type PushResult = Frame<'push.result'>;
type ErrorFrame = Frame<'error'>;
type StreamFrame = Frame<'stream'>;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `probe` gives something truthy. */
async function until<T>(probe: () => T | false | undefined | null, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting for a condition');
    await sleep(10);
  }
}

async function storeOf(t: TestServer, workspaceId: string) {
  const ws = await t.server.deps.store.workspace(workspaceId);
  if (!ws) throw new Error(`no workspace ${workspaceId}`);
  return ws;
}

/** The sequence number of the workspace's last audit event: unchanged means nothing was written. */
async function headSeq(t: TestServer, workspaceId: string): Promise<number> {
  return (await (await storeOf(t, workspaceId)).head()).seq;
}

/** Audit events after `afterSeq`, oldest first. */
async function eventsAfter(t: TestServer, workspaceId: string, afterSeq: number): Promise<AuditEvent[]> {
  return (await storeOf(t, workspaceId)).queryAudit({ order: 'asc', after: afterSeq, limit: 500 });
}

async function storedRecord(t: TestServer, workspaceId: string, id: string) {
  return (await storeOf(t, workspaceId)).getRecord(id);
}

function recordsPath(workspaceId: string): string {
  return `/api/v1/workspaces/${workspaceId}/records`;
}

async function createRecord(
  user: TestClient,
  workspaceId: string,
  type: string,
  data: Record<string, unknown>,
): Promise<WorkspaceRecord> {
  const res = await user.post<WorkspaceRecord>(recordsPath(workspaceId), { type, data });
  if (res.status !== 201) throw new Error(`create failed: ${res.status} ${res.text}`);
  return res.body;
}

let clientCounter = 0;
function clientData(name = `Client ${String(++clientCounter)}`): Record<string, unknown> {
  return { name, status: 'lead' };
}

/** The document a client holds for a stored record, as the server would send it. */
function docOf(record: Omit<WorkspaceRecord, 'seq'>): SyncDocument {
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

function newDoc(id: string, data: Record<string, unknown>, type = 'client'): SyncDocument {
  return { id, type, data, _deleted: false };
}

let docCounter = 0;
function freshId(prefix = 'doc'): string {
  return `${prefix}-${String(process.pid)}-${String(++docCounter)}-${Date.now().toString(36)}`;
}

async function pull(raw: RawSync, checkpoint: SyncCheckpoint | null, batchSize = 100): Promise<PullResult> {
  const answer = await raw.request({ type: 'pull', checkpoint, batchSize });
  if (answer.type !== 'pull.result') throw new Error(`pull answered ${JSON.stringify(answer)}`);
  return answer;
}

/** Pulls page after page until an empty page; returns every document and the final checkpoint. */
async function pullAll(raw: RawSync, checkpoint: SyncCheckpoint | null, batchSize = 100) {
  const documents: SyncDocument[] = [];
  let at = checkpoint;
  for (let pages = 0; pages < 1000; pages++) {
    const page = await pull(raw, at, batchSize);
    expect(page.documents.length).toBeLessThanOrEqual(batchSize);
    if (page.documents.length === 0) return { documents, checkpoint: page.checkpoint, pages };
    documents.push(...page.documents);
    at = page.checkpoint;
  }
  throw new Error('pull did not end');
}

async function push(raw: RawSync, rows: PushRow[]): Promise<PushResult> {
  const answer = await raw.request({ type: 'push', rows });
  if (answer.type !== 'push.result') throw new Error(`push answered ${JSON.stringify(answer)}`);
  return answer;
}

function isRefusal(result: RawSync | Refusal): result is Refusal {
  return !(result instanceof RawSync);
}

async function refusal(
  t: TestServer,
  token: string | null,
  options?: { protocols?: string[]; headers?: Record<string, string> },
): Promise<Refusal & { body: ErrorBody }> {
  const result = await RawSync.open(t, token, options);
  if (!isRefusal(result)) {
    result.close();
    throw new Error('the upgrade was accepted');
  }
  return result as Refusal & { body: ErrorBody };
}

/** A plain ws client: for what RawSync does not let a test choose (path, autoPong). */
function openSocket(
  url: string,
  token: string,
  options: { autoPong?: boolean } = {},
): Promise<{ socket: WebSocket; frames: ServerFrame[] } | Refusal> {
  const socket = new WebSocket(url, [syncSubprotocol(SYNC_PROTOCOL_VERSION)], {
    headers: { authorization: `Bearer ${token}` },
    autoPong: options.autoPong ?? true,
  });
  const frames: ServerFrame[] = [];
  return new Promise((resolve, reject) => {
    socket.once('unexpected-response', (_req, res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: text ? (JSON.parse(text) as unknown) : null }),
      );
    });
    socket.once('error', reject);
    socket.on('message', (data: Buffer) => {
      frames.push(JSON.parse(data.toString('utf8')) as ServerFrame);
      if (frames.length === 1) resolve({ socket, frames });
    });
  });
}

function closeReason(raw: RawSync): SyncCloseReason {
  return SyncCloseReason.parse(JSON.parse(raw.closeReason));
}

function streamed(raw: RawSync): SyncDocument[] {
  return raw.frames.filter((f): f is StreamFrame => f.type === 'stream').flatMap((f) => f.documents);
}

interface Setup {
  owner: TestClient;
  wsId: string;
  device: TestDevice;
}

/** A fresh workspace with its owner and one of the owner's devices. */
async function setup(t: TestServer, name = 'Sync Co'): Promise<Setup> {
  const owner = await createUser(t);
  const wsId = await createWorkspace(owner, name);
  const device = await pairDevice(t, owner, wsId);
  return { owner, wsId, device };
}

describe('sync protocol', () => {
  let t: TestServer;
  const open: RawSync[] = [];
  const connect = async (token: string) => {
    const raw = await RawSync.connect(t, token);
    open.push(raw);
    return raw;
  };

  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => {
    for (const raw of open) raw.close();
    await t.close();
  });

  it('greets with hello: protocol, workspace, device and the limits', async () => {
    const { wsId, device } = await setup(t);
    const raw = await connect(device.accessToken);
    const headSeq = (await (await t.server.deps.store.workspace(wsId))!.head()).seq;
    expect(raw.frames[0]).toEqual({
      type: 'hello',
      protocol: SYNC_PROTOCOL_VERSION,
      workspaceId: wsId,
      deviceId: device.deviceId,
      heartbeatMs: t.config.sync.heartbeatMs,
      maxFrameBytes: t.config.sync.maxFrameBytes,
      headSeq,
    });
  });

  it('tells in hello how far the workspace has come, so a device can show its initial sync progress', async () => {
    const { owner, wsId, device } = await setup(t);
    const before = await connect(device.accessToken);
    const headBefore = (before.frames[0] as { headSeq: number }).headSeq;
    expect(headBefore).toBeGreaterThan(0);
    await createRecord(owner, wsId, 'client', clientData());
    await createRecord(owner, wsId, 'client', clientData());
    const after = await connect(device.accessToken);
    expect((after.frames[0] as { headSeq: number }).headSeq).toBe(headBefore + 2);
    // The last record change is the last event, so a pull to the end lands on the announced head.
    const pulled = await pullAll(after, null);
    expect(pulled.checkpoint).toEqual({ seq: headBefore + 2 });
  });

  describe('pull', () => {
    it('returns documents oldest first, with the last seq as checkpoint, and nothing after it', async () => {
      const { owner, wsId, device } = await setup(t);
      const created: WorkspaceRecord[] = [];
      for (let i = 0; i < 5; i++) created.push(await createRecord(owner, wsId, 'client', clientData()));
      // A change moves a record to the end: the order is by last change.
      const first = created[0]!;
      const patched = await owner.patch<WorkspaceRecord>(`${recordsPath(wsId)}/${first.id}`, {
        data: { status: 'active' },
      });
      expect(patched.status).toBe(200);

      const raw = await connect(device.accessToken);
      const page = await pull(raw, null, 100);
      const order = [...created.slice(1).map((r) => r.id), first.id];
      expect(page.documents.map((d) => d.id)).toEqual(order);
      const stored = await Promise.all(order.map((id) => storedRecord(t, wsId, id)));
      expect(page.documents).toEqual(stored.map((r) => docOf(r!)));
      expect(page.checkpoint).toEqual({ seq: stored.at(-1)!.seq });
      expect(page.checkpoint).toEqual({ seq: await headSeq(t, wsId) });

      const after = await pull(raw, page.checkpoint, 100);
      expect(after.documents).toEqual([]);
      expect(after.checkpoint).toEqual(page.checkpoint);
    });

    it('walks every record exactly once in pages of batchSize', async () => {
      const { owner, wsId, device } = await setup(t);
      const ids: string[] = [];
      for (let i = 0; i < 11; i++) ids.push((await createRecord(owner, wsId, 'client', clientData())).id);
      const raw = await connect(device.accessToken);
      const walked = await pullAll(raw, null, 3);
      expect(walked.documents.map((d) => d.id)).toEqual(ids);
      expect(new Set(walked.documents.map((d) => d.id)).size).toBe(ids.length);
      // 11 records in pages of 3: four pages, then the empty one.
      expect(walked.pages).toBe(4);
      expect(walked.checkpoint).toEqual({ seq: await headSeq(t, wsId) });
    });

    it('sends a deleted record as _deleted: true', async () => {
      const { owner, wsId, device } = await setup(t);
      const kept = await createRecord(owner, wsId, 'client', clientData());
      const gone = await createRecord(owner, wsId, 'client', clientData());
      const raw = await connect(device.accessToken);
      const before = await pull(raw, null);
      expect(before.documents.map((d) => [d.id, d._deleted])).toEqual([
        [kept.id, false],
        [gone.id, false],
      ]);
      expect((await owner.delete(`${recordsPath(wsId)}/${gone.id}`)).status).toBe(200);
      const after = await pull(raw, before.checkpoint);
      expect(after.documents).toHaveLength(1);
      expect(after.documents[0]).toMatchObject({ id: gone.id, type: 'client', _deleted: true });
      expect(after.documents[0]!.rev).toBe(2);
      // From the start, the deleted record is there too, as deleted.
      const all = await pull(raw, null);
      expect(all.documents.find((d) => d.id === gone.id)?._deleted).toBe(true);
    });
  });

  describe('push', () => {
    it('creates, updates and deletes with server-assigned rev and times, one device-audited event each', async () => {
      const { wsId, device } = await setup(t);
      const raw = await connect(device.accessToken);
      const id = freshId('client');
      const claimed = {
        rev: 99,
        createdAt: '1999-01-01T00:00:00.000Z',
        updatedAt: '1999-01-01T00:00:00.000Z',
      };
      const startedAt = new Date(Date.now() - 1000).toISOString();

      // Create.
      let seq = await headSeq(t, wsId);
      const created = await push(raw, [
        {
          assumedMasterState: null,
          newDocumentState: { ...newDoc(id, { name: 'Ada', status: 'lead' }), ...claimed },
        },
      ]);
      expect(created.conflicts).toEqual([]);
      expect(created.rejected).toEqual([]);
      const afterCreate = await storedRecord(t, wsId, id);
      expect(afterCreate).toMatchObject({
        id,
        type: 'client',
        data: { name: 'Ada', status: 'lead' },
        rev: 1,
      });
      expect(afterCreate!.createdAt > startedAt).toBe(true);
      expect(afterCreate!.updatedAt > startedAt).toBe(true);
      expect(afterCreate!.deletedAt).toBeNull();
      let events = await eventsAfter(t, wsId, seq);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        action: 'record.create',
        actor: { kind: 'device', id: device.deviceId },
        target: { kind: 'record', id },
      });

      // Update: the pushed document is the whole new state; the client's rev and times are ignored.
      seq = await headSeq(t, wsId);
      const updated = await push(raw, [
        {
          assumedMasterState: docOf(afterCreate!),
          newDocumentState: { ...newDoc(id, { name: 'Ada L.', status: 'active' }), ...claimed },
        },
      ]);
      expect(updated).toMatchObject({ conflicts: [], rejected: [] });
      const afterUpdate = await storedRecord(t, wsId, id);
      expect(afterUpdate).toMatchObject({ data: { name: 'Ada L.', status: 'active' }, rev: 2 });
      expect(afterUpdate!.createdAt).toBe(afterCreate!.createdAt);
      expect(afterUpdate!.updatedAt > startedAt).toBe(true);
      events = await eventsAfter(t, wsId, seq);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        action: 'record.update',
        actor: { kind: 'device', id: device.deviceId },
        target: { kind: 'record', id },
      });

      // Delete.
      seq = await headSeq(t, wsId);
      const deleted = await push(raw, [
        {
          assumedMasterState: docOf(afterUpdate!),
          newDocumentState: { ...docOf(afterUpdate!), ...claimed, _deleted: true },
        },
      ]);
      expect(deleted).toMatchObject({ conflicts: [], rejected: [] });
      const afterDelete = await storedRecord(t, wsId, id);
      expect(afterDelete!.deletedAt).not.toBeNull();
      expect(afterDelete!.rev).toBe(3);
      events = await eventsAfter(t, wsId, seq);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        action: 'record.delete',
        actor: { kind: 'device', id: device.deviceId },
        target: { kind: 'record', id },
      });
    });

    it('answers a stale assumed state with the master state as a conflict, and writes nothing', async () => {
      const { owner, wsId, device } = await setup(t);
      const raw = await connect(device.accessToken);
      const record = await createRecord(owner, wsId, 'client', { name: 'Grace', status: 'lead' });
      const seen = docOf(record);
      // Someone else changes it on the server meanwhile.
      expect(
        (await owner.patch(`${recordsPath(wsId)}/${record.id}`, { data: { status: 'active' } })).status,
      ).toBe(200);
      const master = await storedRecord(t, wsId, record.id);
      const seq = await headSeq(t, wsId);

      const answer = await push(raw, [
        {
          assumedMasterState: seen,
          newDocumentState: { ...seen, data: { name: 'Grace H.', status: 'inactive' } },
        },
      ]);
      expect(answer.rejected).toEqual([]);
      expect(answer.conflicts).toEqual([docOf(master!)]);
      expect(await headSeq(t, wsId)).toBe(seq);
      expect(await storedRecord(t, wsId, record.id)).toEqual(master);

      // A create over an existing record (assumed null) is a conflict too.
      const overwrite = await push(raw, [
        {
          assumedMasterState: null,
          newDocumentState: newDoc(record.id, { name: 'Impostor', status: 'lead' }),
        },
      ]);
      expect(overwrite).toEqual({
        type: 'push.result',
        id: overwrite.id,
        conflicts: [docOf(master!)],
        rejected: [],
      });
      expect(await headSeq(t, wsId)).toBe(seq);
    });

    it('writes and audits a retried push frame once; the retry is accepted without conflicts', async () => {
      const { owner, wsId, device } = await setup(t);
      const raw = await connect(device.accessToken);
      const existing = await createRecord(owner, wsId, 'client', { name: 'Linus', status: 'lead' });
      const id = freshId('retry');
      const frame = JSON.stringify({
        type: 'push',
        id: 'retry-1',
        rows: [
          { assumedMasterState: null, newDocumentState: newDoc(id, { name: 'Retry', status: 'lead' }) },
          {
            assumedMasterState: docOf(existing),
            newDocumentState: { ...docOf(existing), data: { name: 'Linus T.', status: 'active' } },
          },
        ],
      });
      const seq = await headSeq(t, wsId);
      raw.sendRaw(frame);
      raw.sendRaw(frame);
      const answers = await until(() => {
        const found = raw.frames.filter(
          (f): f is PushResult => f.type === 'push.result' && f.id === 'retry-1',
        );
        return found.length === 2 && found;
      });
      expect(answers[0]).toMatchObject({ conflicts: [], rejected: [] });
      expect(answers[1]).toMatchObject({ conflicts: [], rejected: [] });
      const events = await eventsAfter(t, wsId, seq);
      expect(events.map((e) => [e.action, e.target.id])).toEqual([
        ['record.create', id],
        ['record.update', existing.id],
      ]);
      expect(await storedRecord(t, wsId, id)).toMatchObject({ rev: 1 });
      expect(await storedRecord(t, wsId, existing.id)).toMatchObject({
        rev: 2,
        data: { name: 'Linus T.', status: 'active' },
      });
    });

    it('rejects a row invalid for the schema with validation_failed and the master (or a deleted stub)', async () => {
      const { owner, wsId, device } = await setup(t);
      const raw = await connect(device.accessToken);
      const existing = await createRecord(owner, wsId, 'client', { name: 'Margaret', status: 'active' });
      const id = freshId('invalid');
      const seq = await headSeq(t, wsId);
      const invalidNew = newDoc(id, { name: 'No status' });
      const answer = await push(raw, [
        // A new document without the required status.
        { assumedMasterState: null, newDocumentState: invalidNew },
        // An existing one that drops its required name.
        {
          assumedMasterState: docOf(existing),
          newDocumentState: { ...docOf(existing), data: { status: 'lead' } },
        },
      ]);
      expect(answer.rejected.map((r) => [r.id, r.error.code])).toEqual([
        [id, 'validation_failed'],
        [existing.id, 'validation_failed'],
      ]);
      expect(answer.conflicts).toEqual([{ ...invalidNew, _deleted: true }, docOf(existing)]);
      expect(await headSeq(t, wsId)).toBe(seq);
      expect(await storedRecord(t, wsId, id)).toBeNull();
      expect(await storedRecord(t, wsId, existing.id)).toMatchObject({ rev: 1, data: existing.data });
    });

    it("lets a viewer's device pull but refuses every row it pushes with forbidden", async () => {
      const { owner, wsId } = await setup(t);
      const record = await createRecord(owner, wsId, 'client', { name: 'Visible', status: 'lead' });
      const viewer = await createUser(t);
      await addMember(owner, wsId, viewer, ['viewer']);
      const device = await pairDevice(t, viewer, wsId);
      const raw = await connect(device.accessToken);

      const page = await pull(raw, null);
      expect(page.documents.map((d) => d.id)).toContain(record.id);

      const seq = await headSeq(t, wsId);
      const id = freshId('viewer');
      const answer = await push(raw, [
        { assumedMasterState: null, newDocumentState: newDoc(id, { name: 'Sneaky', status: 'lead' }) },
        {
          assumedMasterState: docOf(record),
          newDocumentState: { ...docOf(record), data: { name: 'Changed', status: 'lead' } },
        },
        { assumedMasterState: docOf(record), newDocumentState: { ...docOf(record), _deleted: true } },
      ]);
      expect(answer.rejected.map((r) => [r.id, r.error.code])).toEqual([
        [id, 'forbidden'],
        [record.id, 'forbidden'],
        [record.id, 'forbidden'],
      ]);
      expect(answer.conflicts).toHaveLength(3);
      expect(answer.conflicts[0]).toMatchObject({ id, _deleted: true });
      expect(answer.conflicts[1]).toEqual(docOf(record));
      expect(answer.conflicts[2]).toEqual(docOf(record));
      expect(await headSeq(t, wsId)).toBe(seq);
      expect(await storedRecord(t, wsId, id)).toBeNull();
      expect(await storedRecord(t, wsId, record.id)).toMatchObject({ rev: 1, deletedAt: null });
    });
  });

  describe('stream', () => {
    it("delivers another device's push and a record created through the API", async () => {
      const { owner, wsId, device } = await setup(t);
      const other = await pairDevice(t, owner, wsId, 'Second laptop');
      const a = await connect(device.accessToken);
      const b = await connect(other.accessToken);

      const id = freshId('streamed');
      const fromA = b.wait((f) => f.type === 'stream' && f.documents.some((d) => d.id === id));
      await push(a, [
        { assumedMasterState: null, newDocumentState: newDoc(id, { name: 'Pushed', status: 'lead' }) },
      ]);
      const frame = (await fromA) as StreamFrame;
      const stored = await storedRecord(t, wsId, id);
      expect(frame.documents).toEqual([docOf(stored!)]);
      expect(frame.checkpoint).toEqual({ seq: stored!.seq });

      const viaApi = b.wait(
        (f) => f.type === 'stream' && f.documents.some((d) => d.data.name === 'From API'),
      );
      const record = await createRecord(owner, wsId, 'client', { name: 'From API', status: 'active' });
      expect(((await viaApi) as StreamFrame).documents).toEqual([docOf(record)]);
      // The pusher receives its own change as well.
      await a.next((f) => f.type === 'stream' && f.documents.some((d) => d.id === id));
    });

    it('sends nothing of an entity type the owner may not read, in pull or stream', async () => {
      const { owner, wsId } = await setup(t);
      const base = `/api/v1/workspaces/${wsId}`;
      const role = {
        label: 'Clients only',
        permissions: { client: { read: true, write: false, delete: false } },
      };
      expect((await owner.put(`${base}/roles/clients_only`, role)).status).toBe(200);
      const clerk = await createUser(t);
      await addMember(owner, wsId, clerk, ['clients_only']);
      const customer = await createRecord(owner, wsId, 'client', { name: 'Customer', status: 'active' });
      const invoiceData = (n: string) => ({
        number: n,
        client: customer.id,
        amount: 100,
        issued_on: '2024-05-01',
        status: 'draft',
      });
      const invoice = await createRecord(owner, wsId, 'invoice', invoiceData('INV-SECRET-1'));
      const device = await pairDevice(t, clerk, wsId);
      const raw = await connect(device.accessToken);

      const page = await pull(raw, null);
      expect(page.documents.map((d) => d.id)).toEqual([customer.id]);
      // The checkpoint still moves past the unreadable invoice, the last record changed.
      expect(page.checkpoint).toEqual({ seq: (await storedRecord(t, wsId, invoice.id))!.seq });

      const later = await createRecord(owner, wsId, 'invoice', invoiceData('INV-SECRET-2'));
      const sentinel = raw.wait(
        (f) => f.type === 'stream' && f.documents.some((d) => d.data.name === 'Sentinel'),
      );
      const next = await createRecord(owner, wsId, 'client', { name: 'Sentinel', status: 'lead' });
      await sentinel;
      const seen = streamed(raw);
      expect(seen.map((d) => d.id)).toEqual([next.id]);
      const everything = JSON.stringify(raw.frames);
      for (const secret of [invoice.id, later.id, 'INV-SECRET']) expect(everything).not.toContain(secret);
      const rest = await pull(raw, page.checkpoint);
      expect(rest.documents.map((d) => d.id)).toEqual([next.id]);
    });
  });

  it('answers bad frames with an error frame, keeps the connection and writes nothing', async () => {
    const { wsId, device } = await setup(t);
    const raw = await connect(device.accessToken);
    const seq = await headSeq(t, wsId);
    const errorFor = async (data: string, id: string | null) => {
      const answer = raw.wait((f) => f.type === 'error' && f.id === id);
      raw.sendRaw(data);
      const frame = (await answer) as ErrorFrame;
      expect(['bad_request', 'validation_failed'], data.slice(0, 80)).toContain(frame.error.code);
      expect(JSON.stringify(frame)).not.toMatch(/"stack"|node_modules|\.ts:\d+/);
      return frame;
    };
    const row = (n: number): PushRow => ({
      assumedMasterState: null,
      newDocumentState: newDoc(`flood-${String(n)}`, { name: `Flood ${String(n)}`, status: 'lead' }),
    });

    expect((await errorFor('this is not JSON', null)).error.code).toBe('bad_request');
    await errorFor('null', null);
    await errorFor('[1,2,3]', null);
    await errorFor(JSON.stringify({ type: 'subscribe', id: 'unknown-type' }), 'unknown-type');
    await errorFor(JSON.stringify({ type: 'pull', id: 'zero', checkpoint: null, batchSize: 0 }), 'zero');
    await errorFor(
      JSON.stringify({ type: 'pull', id: 'negative', checkpoint: { seq: -1 }, batchSize: 10 }),
      'negative',
    );
    await errorFor(
      JSON.stringify({ type: 'push', id: 'too-many', rows: Array.from({ length: 501 }, (_, i) => row(i)) }),
      'too-many',
    );
    await errorFor(
      JSON.stringify({ type: 'push', id: 'bad-row', rows: [{ newDocumentState: { id: '../x' } }] }),
      'bad-row',
    );
    await errorFor(JSON.stringify({ type: 'pull', checkpoint: null, batchSize: 10 }), null);
    await errorFor(JSON.stringify({ type: 'push', rows: [row(0)] }), null);

    expect(raw.closeCode).toBeNull();
    const page = await pull(raw, null);
    expect(page.documents).toEqual([]);
    expect(await headSeq(t, wsId)).toBe(seq);
    // Of the 501 valid rows, none was applied; the same row alone is accepted.
    expect(await storedRecord(t, wsId, 'flood-0')).toBeNull();
    const ok = await push(raw, [row(0)]);
    expect(ok).toMatchObject({ conflicts: [], rejected: [] });
    expect(await headSeq(t, wsId)).toBe(seq + 1);
  });

  /** A push frame written out by hand, for data that JSON.stringify would not produce. */
  const handWrittenPush = (id: string, docId: string, dataJson: string) =>
    `{"type":"push","id":"${id}","rows":[{"assumedMasterState":null,"newDocumentState":` +
    `{"id":"${docId}","type":"client","data":${dataJson},"_deleted":false}}]}`;

  it('refuses a pushed record whose data carries "__proto__", as HTTP does, and writes nothing', async () => {
    const { owner, wsId, device } = await setup(t);
    const raw = await connect(device.accessToken);
    const seq = await headSeq(t, wsId);
    const docId = freshId('proto');
    const data = '{"name":"Proto","status":"lead","__proto__":{"admin":true}}';
    const answer = raw.wait((f) => 'id' in f && f.id === 'proto');
    raw.sendRaw(handWrittenPush('proto', docId, data));
    const frame = (await answer) as ErrorFrame;
    expect(frame).toMatchObject({ type: 'error', error: { code: 'bad_request' } });
    expect(frame.error.message).toMatch(/"__proto__" is not allowed as a key/);
    expect(await storedRecord(t, wsId, docId)).toBeNull();
    expect(await headSeq(t, wsId)).toBe(seq);
    expect(raw.closeCode).toBeNull();

    const http = await owner.request('POST', recordsPath(wsId), `{"type":"client","data":${data}}`);
    expect(http.status).toBe(400);
    expect((http.body as ErrorBody).error.code).toBe('bad_request');
    expect(await headSeq(t, wsId)).toBe(seq);
  });

  it('answers a frame nested 5,000 deep with a clear error frame and stays usable; HTTP answers 400', async () => {
    const { owner, wsId, device } = await setup(t);
    const raw = await connect(device.accessToken);
    const seq = await headSeq(t, wsId);
    const docId = freshId('deep');
    const data = `{"name":"Deep","status":"lead","notes":${'['.repeat(5000)}${']'.repeat(5000)}}`;
    const answer = raw.wait((f) => 'id' in f && f.id === 'deep');
    raw.sendRaw(handWrittenPush('deep', docId, data));
    const frame = (await answer) as ErrorFrame;
    expect(frame).toMatchObject({ type: 'error', error: { code: 'bad_request' } });
    expect(frame.error.message).toMatch(/at most 64 levels deep/);
    expect(await storedRecord(t, wsId, docId)).toBeNull();
    expect(await headSeq(t, wsId)).toBe(seq);

    // The connection goes on: the same document, shallow, is accepted.
    await sleep(100);
    expect(raw.closeCode).toBeNull();
    const ok = await push(raw, [
      { assumedMasterState: null, newDocumentState: newDoc(docId, { name: 'Shallow', status: 'lead' }) },
    ]);
    expect(ok).toMatchObject({ conflicts: [], rejected: [] });
    expect(await headSeq(t, wsId)).toBe(seq + 1);

    const http = await owner.request('POST', recordsPath(wsId), `{"type":"client","data":${data}}`);
    expect(http.status).toBe(400);
    expect((http.body as ErrorBody).error).toMatchObject({ code: 'bad_request' });
    expect((http.body as ErrorBody).error.message).toMatch(/at most 64 levels deep/);
    expect(await headSeq(t, wsId)).toBe(seq + 1);
    expect(t.logs()).not.toMatch(/Maximum call stack|"code":"internal"/);
  });

  describe('upgrade', () => {
    it('refuses an app that does not speak this protocol version with 426 update_required', async () => {
      const { device } = await setup(t);
      for (const protocols of [[syncSubprotocol(0)], [], ['enclave-sync.2', 'chat']]) {
        const res = await refusal(t, device.accessToken, { protocols });
        expect(res.status, JSON.stringify(protocols)).toBe(426);
        expect(res.body.error.code).toBe('update_required');
        expect((res.body.error.details as { supported: number[] }).supported).toContain(
          SYNC_PROTOCOL_VERSION,
        );
      }
      // Offering several, ours among them, is fine.
      const raw = await RawSync.open(t, device.accessToken, {
        protocols: [syncSubprotocol(0), syncSubprotocol(SYNC_PROTOCOL_VERSION)],
      });
      expect(raw).toBeInstanceOf(RawSync);
      (raw as RawSync).close();
    });

    it('refuses an upgrade without a valid bearer token with 401', async () => {
      const { device } = await setup(t);
      const none = await refusal(t, null);
      expect(none.status).toBe(401);
      expect(none.body.error.code).toBe('unauthorized');
      const garbage = await refusal(t, 'not.a.token');
      expect(garbage.status).toBe(401);
      expect(garbage.body.error.code).toBe('unauthorized');
      const basic = await refusal(t, null, { headers: { authorization: `Basic ${device.accessToken}` } });
      expect(basic.status).toBe(401);
    });

    it('answers an upgrade on another path with 404', async () => {
      const { device } = await setup(t);
      const url = syncUrl(t).replace(SYNC_PATH, '/api/v1/nope');
      const res = await openSocket(url, device.accessToken);
      expect('status' in res).toBe(true);
      expect((res as Refusal).status).toBe(404);
      expect(((res as Refusal).body as ErrorBody).error.code).toBe('not_found');
    });
  });

  it('closes a connection with 4002 when its token expires, unless an auth frame renewed it', async () => {
    const { owner, wsId, device } = await setup(t);
    const other = await pairDevice(t, owner, wsId, 'Other laptop');
    const { tokens } = t.server.deps.devices;
    const ttl = t.config.deviceTokenTtlSeconds;
    const { token: short, expiresAt } = await tokens.issue(
      device.deviceId,
      wsId,
      new Date(Date.now() - (ttl - 3) * 1000),
    );
    expect(expiresAt.getTime()).toBeGreaterThan(Date.now());

    const expiring = await connect(short);
    const renewed = await connect(short);
    const foreign = await connect(short);

    const fresh = await tokens.issue(device.deviceId, wsId);
    expect(await renewed.request({ type: 'auth', id: 'renew', token: fresh.token })).toEqual({
      type: 'auth.result',
      id: 'renew',
      expiresAt: fresh.expiresAt.toISOString(),
    });

    // Another device's token (valid, same workspace) does not renew this connection.
    const stranger = await tokens.issue(other.deviceId, wsId);
    const refused = await foreign.request({ type: 'auth', token: stranger.token });
    expect(refused).toMatchObject({ type: 'error', error: { code: 'unauthorized' } });
    const garbage = await foreign.request({ type: 'auth', token: 'not-a-token' });
    expect(garbage).toMatchObject({ type: 'error', error: { code: 'unauthorized' } });

    await expiring.closed(10_000);
    expect(expiring.closeCode).toBe(SyncCloseCode.tokenExpired);
    expect(closeReason(expiring).code).toBeTypeOf('string');
    await foreign.closed(2_000);
    expect(foreign.closeCode).toBe(SyncCloseCode.tokenExpired);

    // The renewed one outlives the old expiry.
    await sleep(300);
    expect(renewed.closeCode).toBeNull();
    expect((await pull(renewed, null)).type).toBe('pull.result');
  });

  describe('revocation', () => {
    it('closes a revoked device at once with 4001 and the wipe flag, after an error frame', async () => {
      const { owner, wsId, device } = await setup(t);
      const kept = await pairDevice(t, owner, wsId, 'Kept laptop');
      const wiped = await pairDevice(t, owner, wsId, 'Lost laptop');
      const raw = await connect(device.accessToken);
      const keptRaw = await connect(kept.accessToken);
      const wipedRaw = await connect(wiped.accessToken);

      for (const [target, conn, wipe] of [
        [device, raw, false],
        [wiped, wipedRaw, true],
      ] as const) {
        const asked = Date.now();
        const res = await owner.post(`/api/v1/workspaces/${wsId}/devices/${target.deviceId}/revoke`, {
          wipe,
        });
        expect(res.status).toBe(200);
        await conn.closed(2_000);
        expect(conn.closedAt! - asked).toBeLessThanOrEqual(1000);
        expect(conn.closeCode).toBe(SyncCloseCode.deviceRevoked);
        expect(closeReason(conn)).toEqual({ code: 'device_revoked', wipe });
        const errors = conn.frames.filter((f): f is ErrorFrame => f.type === 'error');
        expect(errors).toHaveLength(1);
        expect(errors[0]).toMatchObject({ id: null, error: { code: 'device_revoked', details: { wipe } } });

        const again = await refusal(t, target.accessToken);
        expect(again.status).toBe(401);
        expect(again.body.error).toMatchObject({ code: 'device_revoked', details: { wipe } });
      }
      // The other device of the same owner is untouched.
      expect(keptRaw.closeCode).toBeNull();
      expect((await pull(keptRaw, null)).type).toBe('pull.result');
    });

    it('never applies a push that reaches the server after the revocation', async () => {
      const { owner, wsId, device } = await setup(t);
      const raw = await connect(device.accessToken);
      const { engine } = t.server.deps;
      // The race, made deterministic: the workspace's writer is held busy (an engine call that
      // writes nothing), so the revocation waits for it, and the device's push is read and checked
      // while the revocation is pending. Then the writer goes: revocation first, the push after it.
      let release = () => {};
      const gate = new Promise<void>((resolve) => (release = resolve));
      const held = engine.executeEach(
        {
          workspaceId: wsId,
          actor: { kind: 'user', id: owner.userId, label: 'test' },
          principal: { userId: owner.userId, email: owner.email, name: 'Test User' },
          request: { ip: null, userAgent: null, requestId: null },
        },
        [
          async () => {
            await gate;
            return [];
          },
        ],
      );
      const revoked = owner.post(`/api/v1/workspaces/${wsId}/devices/${device.deviceId}/revoke`, {
        wipe: false,
      });
      await sleep(100);
      const id = freshId('late');
      raw.sendRaw(
        JSON.stringify({
          type: 'push',
          id,
          rows: [
            { assumedMasterState: null, newDocumentState: newDoc(id, { name: 'Late', status: 'lead' }) },
          ],
        }),
      );
      await sleep(100);
      release();
      await held;
      expect((await revoked).status).toBe(200);
      await raw.closed(5_000);
      expect(raw.closeCode).toBe(SyncCloseCode.deviceRevoked);

      const store = await storeOf(t, wsId);
      const [revocation] = await store.queryAudit({ action: 'device.revoke' });
      expect(revocation?.target.id).toBe(device.deviceId);
      expect(await store.queryAudit({ actorId: device.deviceId, after: revocation!.seq })).toEqual([]);
      expect(await storedRecord(t, wsId, id)).toBeNull();
      // Whatever the device heard back (if anything), it was not an acceptance.
      expect(raw.frames.filter((f) => f.type === 'push.result')).toEqual([]);
      const answered = raw.frames.find((f) => f.type === 'error' && f.id === id);
      if (answered) expect(answered).toMatchObject({ error: { code: 'device_revoked' } });
    });
  });
});

/** Runs `fn` against a server of its own, started with `env`. */
async function withServer(env: Record<string, string>, fn: (t: TestServer) => Promise<void>): Promise<void> {
  const t = await startTestServer({ env });
  try {
    await fn(t);
  } finally {
    await t.close();
  }
}

describe('sync limits', () => {
  it('closes the connection with 1009 on a frame over ENCLAVE_SYNC_MAX_FRAME_BYTES, writing nothing', async () => {
    await withServer({ ENCLAVE_SYNC_MAX_FRAME_BYTES: '65536' }, async (t) => {
      const { wsId, device } = await setup(t);
      const raw = await RawSync.connect(t, device.accessToken);
      expect(raw.frames[0]).toMatchObject({ type: 'hello', maxFrameBytes: 65536 });
      const row = (id: string, notes: number): PushRow => ({
        assumedMasterState: null,
        newDocumentState: newDoc(id, { name: 'Big', status: 'lead', notes: 'n'.repeat(notes) }),
      });
      // Just under the limit is fine.
      const small = freshId('under');
      expect(await push(raw, [row(small, 60_000)])).toMatchObject({ conflicts: [], rejected: [] });
      const seq = await headSeq(t, wsId);

      const big = freshId('over');
      raw.sendRaw(JSON.stringify({ type: 'push', id: 'over', rows: [row(big, 70_000)] }));
      await raw.closed(5_000);
      expect(raw.closeCode).toBe(1009);
      expect(raw.frames.some((f) => 'id' in f && f.id === 'over')).toBe(false);
      expect(await storedRecord(t, wsId, big)).toBeNull();
      expect(await headSeq(t, wsId)).toBe(seq);
      await until(() => t.server.deps.hub!.connectionsOf(wsId).length === 0);
    });
  });

  it('behind one proxy hop, limits upgrades per address the proxy saw, and audits that address', async () => {
    await withServer({ ENCLAVE_AUTH_RATE_PER_IP: '3', ENCLAVE_TRUST_PROXY: '1' }, async (t) => {
      const { wsId, device } = await setup(t);
      // The test client plays the proxy: it appends the address it saw to whatever the client sent.
      const spoofed = (i: number) => ({ 'x-forwarded-for': `198.51.100.${String(i)}, 203.0.113.7` });
      // Three credential requests per address and minute allow twelve upgrades.
      const accepted: RawSync[] = [];
      for (let i = 0; i < 12; i++) {
        const result = await RawSync.open(t, device.accessToken, { headers: spoofed(i) });
        if (isRefusal(result)) throw new Error(`upgrade ${String(i)} refused: ${JSON.stringify(result)}`);
        accepted.push(result);
      }
      const limited = await refusal(t, device.accessToken, { headers: spoofed(12) });
      expect(limited.status).toBe(429);
      expect(limited.body.error.code).toBe('rate_limited');
      // Another client behind the same proxy has its own allowance.
      const neighbour = await RawSync.open(t, device.accessToken, {
        headers: { 'x-forwarded-for': '203.0.113.8' },
      });
      expect(neighbour).toBeInstanceOf(RawSync);
      (neighbour as RawSync).close();

      const raw = accepted[0]!;
      const seq = await headSeq(t, wsId);
      const id = freshId('proxied');
      expect(
        await push(raw, [{ assumedMasterState: null, newDocumentState: newDoc(id, clientData()) }]),
      ).toMatchObject({ conflicts: [], rejected: [] });
      const events = await eventsAfter(t, wsId, seq);
      expect(events.map((e) => e.ip)).toEqual(['203.0.113.7']);
      for (const r of accepted) r.close();
    });
  });

  it('answers frames beyond ENCLAVE_SYNC_FRAMES_PER_SECOND with rate_limited and stays usable', async () => {
    await withServer({ ENCLAVE_SYNC_FRAMES_PER_SECOND: '5' }, async (t) => {
      const { owner, wsId, device } = await setup(t);
      const record = await createRecord(owner, wsId, 'client', clientData());
      const raw = await RawSync.connect(t, device.accessToken);
      for (let i = 0; i < 40; i++) {
        raw.sendRaw(JSON.stringify({ type: 'pull', id: `p${String(i)}`, checkpoint: null, batchSize: 10 }));
      }
      const { pulls, limited } = await until(() => {
        const pulls = raw.frames.filter((f): f is PullResult => f.type === 'pull.result');
        const limited = raw.frames.filter((f): f is ErrorFrame => f.type === 'error');
        return pulls.length + limited.length === 40 && { pulls, limited };
      });
      // A burst of twice the rate passes; the rest is refused, one error frame each.
      expect(pulls.length).toBeGreaterThanOrEqual(10);
      expect(limited.length).toBeGreaterThanOrEqual(20);
      for (const f of limited) expect(f).toMatchObject({ error: { code: 'rate_limited' } });
      for (const f of pulls) expect(f.documents.map((d) => d.id)).toEqual([record.id]);
      // Every request got exactly one answer under its own id: refused requests fail at once.
      const answered = [...pulls, ...limited].map((f) => f.id).sort();
      expect(answered).toEqual(Array.from({ length: 40 }, (_, i) => `p${String(i)}`).sort());

      await sleep(500);
      expect(raw.closeCode).toBeNull();
      expect((await pull(raw, null)).documents.map((d) => d.id)).toEqual([record.id]);
    });
  });

  it('drops a client that does not answer pings, and keeps one that does', async () => {
    await withServer({ ENCLAVE_SYNC_HEARTBEAT_SECONDS: '1' }, async (t) => {
      const { device } = await setup(t);
      const silent = await openSocket(syncUrl(t), device.accessToken, { autoPong: false });
      if ('status' in silent) throw new Error(`refused: ${String(silent.status)}`);
      expect(silent.frames[0]).toMatchObject({ type: 'hello', heartbeatMs: 1000 });
      let silentPings = 0;
      silent.socket.on('ping', () => (silentPings += 1));
      const silentClosed = new Promise<number>((resolve) => silent.socket.once('close', resolve));

      const normal = await RawSync.connect(t, device.accessToken);
      let pings = 0;
      normal.socket.on('ping', () => (pings += 1));

      const code = await Promise.race([silentClosed, sleep(6_000).then(() => null)]);
      expect(code).toBe(1006);
      expect(silentPings).toBeGreaterThanOrEqual(1);

      await until(() => pings >= 3, 6_000);
      expect(normal.closeCode).toBeNull();
      expect((await pull(normal, null)).type).toBe('pull.result');
      normal.close();
    });
  });

  it('bounds what it queues for a client that does not read, then tells it to resync', async () => {
    const limit = 65_536;
    await withServer({ ENCLAVE_SYNC_MAX_BUFFERED_BYTES: String(limit) }, async (t) => {
      const { owner, wsId, device } = await setup(t);
      const slow = await RawSync.connect(t, device.accessToken);
      const start = (await pull(slow, null)).checkpoint;
      const hub = t.server.deps.hub!;
      const mine = () => hub.connectionsOf(wsId).find((c) => c.deviceId === device.deviceId);
      // ws's pause() stops reading the underlying TCP socket: the kernel's buffers fill, then the server's.
      slow.socket.pause();

      // ~20 KB records: the loopback socket buffers (a few MB) must fill before the server's does.
      const notes = 'n'.repeat(20_000);
      const ids: string[] = [];
      let maxBuffered = 0;
      let behindAt = -1;
      while (ids.length < 2_000 && (behindAt < 0 || ids.length < behindAt + 50)) {
        await Promise.all(
          Array.from({ length: 8 }, async (_, i) => {
            const record = await createRecord(owner, wsId, 'client', {
              name: `Bulk ${String(ids.length + i)}`,
              status: 'lead',
              notes,
            });
            ids.push(record.id);
            const state = mine()!;
            maxBuffered = Math.max(maxBuffered, state.bufferedAmount);
            if (state.behind && behindAt < 0) behindAt = ids.length;
          }),
        );
      }
      expect(behindAt, 'the connection never fell behind').toBeGreaterThan(0);
      // At most the limit plus the one frame that crossed it, however much was written.
      expect(maxBuffered).toBeLessThanOrEqual(limit + notes.length + 4_096);
      expect(mine()!.behind).toBe(true);

      slow.socket.resume();
      await slow.next((f) => f.type === 'resync', 15_000);
      const resyncAt = slow.frames.findIndex((f) => f.type === 'resync');
      const before = slow.frames.slice(0, resyncAt).filter((f): f is StreamFrame => f.type === 'stream');
      const streamedIds = before.flatMap((f) => f.documents.map((d) => d.id));
      expect(streamedIds.length).toBeLessThan(ids.length);
      const from = before.at(-1)?.checkpoint ?? start;
      const rest = await pullAll(slow, from, 500);
      const pulledIds = rest.documents.map((d) => d.id);
      expect(new Set([...streamedIds, ...pulledIds])).toEqual(new Set(ids));
      // Nothing was both streamed and pulled again: the checkpoint was exact.
      expect(pulledIds.filter((id) => streamedIds.includes(id))).toEqual([]);
      expect(mine()!.behind).toBe(false);
      slow.close();
    });
  });

  it('keeps tokens and checkpoints valid across a restart on the same data', async () => {
    const first = await startTestServer();
    let second: TestServer | undefined;
    try {
      const { owner, wsId, device } = await setup(first);
      const old = await createRecord(owner, wsId, 'client', clientData());
      const raw = await RawSync.connect(first, device.accessToken);
      const page = await pull(raw, null);
      expect(page.documents.map((d) => d.id)).toEqual([old.id]);
      await first.stop();
      await raw.closed(5_000);
      expect(raw.closeCode).toBe(SyncCloseCode.serverShutdown);

      second = await startTestServer({ dataDir: first.dataDir });
      expect(second.server.deps.devices.tokens.issuer).toBe(first.server.deps.devices.tokens.issuer);
      const again = await RawSync.connect(second, device.accessToken);
      expect(again.frames[0]).toMatchObject({ type: 'hello', workspaceId: wsId, deviceId: device.deviceId });
      expect((await pull(again, page.checkpoint)).documents).toEqual([]);

      const id = freshId('after-restart');
      expect(
        await push(again, [{ assumedMasterState: null, newDocumentState: newDoc(id, clientData()) }]),
      ).toMatchObject({ conflicts: [], rejected: [] });
      const newer = await pull(again, page.checkpoint);
      expect(newer.documents.map((d) => d.id)).toEqual([id]);
      expect(newer.checkpoint!.seq).toBeGreaterThan(page.checkpoint!.seq);
      again.close();
    } finally {
      await second?.close();
      await first.close();
    }
  });
});
