import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditEvent } from '@enclave/shared';
import { runCli } from '../../server/src/cli';
import {
  addMember,
  createUser,
  createWorkspace,
  startTestServer,
  type TestServer,
} from '../../server/src/test-support/test-server';
import type { TestClient } from '../../server/src/test-support/test-client';

interface Page {
  items: AuditEvent[];
  nextBefore: number | null;
}

describe('audit log', () => {
  let t: TestServer;
  let owner: TestClient;
  let ws: string;
  let recordId: string;

  beforeAll(async () => {
    t = await startTestServer({ env: { ENCLAVE_EXPORT_RATE_PER_USER: '3' } });
    owner = await createUser(t);
    ws = await createWorkspace(owner);
    const created = await owner.post<{ id: string }>(
      `/api/v1/workspaces/${ws}/records`,
      { type: 'client', data: { name: 'Initech', status: 'lead' } },
      { 'user-agent': "=cmd|' /C calc'!A0", 'x-request-id': 'req-create-initech' },
    );
    recordId = created.body.id;
    await owner.patch(`/api/v1/workspaces/${ws}/records/${recordId}`, { data: { status: 'active' } });
    await owner.delete(`/api/v1/workspaces/${ws}/records/${recordId}`);
  });
  afterAll(() => t.close());

  it('records who did what, from where, with before and after', async () => {
    const page = await owner.get<Page>(`/api/v1/workspaces/${ws}/audit?recordId=${recordId}`);
    expect(page.status).toBe(200);
    expect(page.body.items.map((e) => e.action)).toEqual(['record.delete', 'record.update', 'record.create']);
    const [deleted, updated, created] = page.body.items as [AuditEvent, AuditEvent, AuditEvent];
    expect(created).toMatchObject({
      actor: { kind: 'user', id: owner.userId, label: owner.email },
      target: { kind: 'record', entityType: 'client', id: recordId },
      before: null,
      ip: expect.stringMatching(/127\.0\.0\.1/) as unknown,
      userAgent: "=cmd|' /C calc'!A0",
      requestId: 'req-create-initech',
    });
    expect(updated.before).toMatchObject({ data: { status: 'lead' }, rev: 1 });
    expect(updated.after).toMatchObject({ data: { status: 'active' }, rev: 2 });
    expect((deleted.after as { deletedAt: string | null }).deletedAt).not.toBeNull();
    // Each event links to the one before it.
    expect(updated.prevHash).toBe(created.hash);
    expect(deleted.prevHash).toBe(updated.hash);
    for (const e of page.body.items) expect(AuditEvent.safeParse(e).success).toBe(true);
  });

  it('filters by action, actor, entity type and time, and pages newest first', async () => {
    const byAction = await owner.get<Page>(`/api/v1/workspaces/${ws}/audit?action=record.update`);
    expect(byAction.body.items.map((e) => e.target.id)).toEqual([recordId]);
    const byActor = await owner.get<Page>(`/api/v1/workspaces/${ws}/audit?actorId=${owner.userId}`);
    expect(byActor.body.items).toHaveLength(4);
    const byType = await owner.get<Page>(`/api/v1/workspaces/${ws}/audit?entityType=invoice`);
    expect(byType.body.items).toHaveLength(0);
    const future = new Date(Date.now() + 60_000).toISOString();
    const fromFuture = await owner.get<Page>(`/api/v1/workspaces/${ws}/audit?from=${future}`);
    expect(fromFuture.body.items).toHaveLength(0);
    const first = await owner.get<Page>(`/api/v1/workspaces/${ws}/audit?limit=2`);
    expect(first.body.items.map((e) => e.seq)).toEqual([4, 3]);
    expect(first.body.nextBefore).toBe(3);
    const second = await owner.get<Page>(`/api/v1/workspaces/${ws}/audit?limit=2&before=3`);
    expect(second.body.items.map((e) => e.seq)).toEqual([2, 1]);
  });

  it('exports JSONL and CSV in sequence order, defusing spreadsheet formulas', async () => {
    const jsonl = await owner.get(`/api/v1/workspaces/${ws}/audit/export?format=jsonl`);
    expect(jsonl.status).toBe(200);
    expect(jsonl.headers.get('content-type')).toContain('application/x-ndjson');
    expect(jsonl.headers.get('content-disposition')).toMatch(/attachment; filename="audit-.*\.jsonl"/);
    const events = jsonl.text
      .trim()
      .split('\n')
      .map((line) => AuditEvent.parse(JSON.parse(line)));
    // The export is on the record before its first line is written, so the file holds it too.
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(events.at(-1)).toMatchObject({
      action: 'audit.exported',
      details: { format: 'jsonl', filter: {} },
    });

    const csv = await owner.get(`/api/v1/workspaces/${ws}/audit/export?format=csv&action=record.create`);
    expect(csv.headers.get('content-type')).toContain('text/csv');
    const lines = csv.text.trim().split('\n');
    expect(lines[0]).toMatch(/^seq,id,time,actor_kind/);
    expect(lines).toHaveLength(2);
    // The user agent a client sent is data, never a formula a spreadsheet would run.
    expect(lines[1]).toContain(`,'=cmd|' /C calc'!A0,`);
    expect(lines[1]).not.toContain(`,=cmd`);
  });

  it('records each export as an audit event, with who took it, its format and its filter', async () => {
    const exported = async () =>
      (await owner.get<Page>(`/api/v1/workspaces/${ws}/audit?action=audit.exported`)).body.items;
    const before = await exported();
    const from = '2020-01-01T00:00:00.000Z';
    const csv = await owner.get(
      `/api/v1/workspaces/${ws}/audit/export?format=csv&entityType=client&from=${from}`,
      { 'x-request-id': 'req-export-clients' },
    );
    expect(csv.status).toBe(200);
    const after = await exported();
    expect(after).toHaveLength(before.length + 1);
    expect(after[0]).toMatchObject({
      actor: { kind: 'user', id: owner.userId, label: owner.email },
      action: 'audit.exported',
      target: { kind: 'workspace', entityType: null, id: ws },
      details: { format: 'csv', filter: { entityType: 'client', from } },
      ip: expect.stringMatching(/127\.0\.0\.1/) as unknown,
      requestId: 'req-export-clients',
    });

    // A refused export is not one: a member who may not read the log leaves no event.
    const member = await createUser(t);
    await addMember(owner, ws, member, ['member']);
    expect((await member.get(`/api/v1/workspaces/${ws}/audit/export`)).status).toBe(403);
    expect(await exported()).toHaveLength(after.length);
    expect((await owner.get(`/api/v1/workspaces/${ws}/audit/verify`)).body).toMatchObject({ ok: true });
  });

  it('rate-limits exports', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++)
      statuses.push((await owner.get(`/api/v1/workspaces/${ws}/audit/export`)).status);
    const limited = await owner.get(`/api/v1/workspaces/${ws}/audit/export`);
    expect(statuses).toContain(429);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('is readable by owners and admins only', async () => {
    const member = await createUser(t);
    await addMember(owner, ws, member, ['member']);
    const denied = await member.get<{ error: { code: string } }>(`/api/v1/workspaces/${ws}/audit`);
    expect(denied.status).toBe(403);
    expect(denied.body.error.code).toBe('forbidden');
    expect((await member.get(`/api/v1/workspaces/${ws}/audit/verify`)).status).toBe(403);
    expect((await member.get(`/api/v1/workspaces/${ws}/audit/export`)).status).toBe(403);
  });

  it('verifies the chain over the API and from the command line', async () => {
    const api = await owner.get<{ ok: boolean; checked: number; headSeq: number }>(
      `/api/v1/workspaces/${ws}/audit/verify`,
    );
    expect(api.body.ok).toBe(true);
    expect(api.body.checked).toBe(api.body.headSeq);

    const lines: string[] = [];
    const saved = { ...process.env };
    process.env.ENCLAVE_DATA_DIR = t.dataDir;
    try {
      expect(await runCli(['audit:verify', ws], (l) => lines.push(l))).toBe(0);
      expect(
        await runCli(['audit:verify', '00000000-0000-4000-8000-000000000000'], (l) => lines.push(l)),
      ).toBe(1);
      expect(await runCli(['no-such-command'], (l) => lines.push(l))).toBe(2);
    } finally {
      process.env = saved;
    }
    expect(JSON.parse(lines[0] as string)).toMatchObject({ workspaceId: ws, ok: true, firstBroken: null });
    expect(JSON.parse(lines[1] as string)).toMatchObject({ error: 'no such workspace' });
  });
});
