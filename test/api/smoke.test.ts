import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createUser,
  createWorkspace,
  startTestServer,
  type TestServer,
} from '../../server/src/test-support/test-server';

describe('a workspace from sign-up to records', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(() => t.close());

  it('signs up, creates a workspace from the template, and writes an audited record', async () => {
    const owner = await createUser(t);
    const ws = await createWorkspace(owner);
    const schema = await owner.get<{ entityTypes: { key: string }[] }>(`/api/v1/workspaces/${ws}/schema`);
    expect(schema.body.entityTypes.map((e) => e.key)).toEqual(['client', 'invoice', 'ticket']);
    const created = await owner.post<{ id: string; rev: number }>(`/api/v1/workspaces/${ws}/records`, {
      type: 'client',
      data: { name: 'Globex', status: 'active', email: 'ops@globex.example' },
    });
    expect(created.status).toBe(201);
    expect(created.body.rev).toBe(1);
    const audit = await owner.get<{ items: { action: string; target: { id: string } }[] }>(
      `/api/v1/workspaces/${ws}/audit`,
    );
    expect(audit.body.items[0]).toMatchObject({ action: 'record.create', target: { id: created.body.id } });
    const verify = await owner.get<{ ok: boolean; checked: number }>(`/api/v1/workspaces/${ws}/audit/verify`);
    expect(verify.body).toMatchObject({ ok: true, checked: 2 });
  });
});
