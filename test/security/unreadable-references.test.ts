import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addMember,
  createUser,
  createWorkspace,
  startTestServer,
  type TestServer,
} from '../../server/src/test-support/test-server';

describe('what a member may not read does not exist for them', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(() => t.close());

  it('refuses a reference to a record of a type the caller cannot read, like a missing one', async () => {
    const owner = await createUser(t);
    const ws = await createWorkspace(owner);
    const client = await owner.post<{ id: string }>(`/api/v1/workspaces/${ws}/records`, {
      type: 'client',
      data: { name: 'Hidden Corp', status: 'active' },
    });
    await owner.put(`/api/v1/workspaces/${ws}/roles/ticket_desk`, {
      label: 'Ticket desk',
      permissions: { ticket: { read: true, write: true, delete: false } },
    });
    const desk = await createUser(t);
    await addMember(owner, ws, desk, ['ticket_desk']);

    const ticket = (client: string) => ({
      type: 'ticket',
      data: { subject: 'Printer', priority: 'low', status: 'open', client },
    });
    const toHidden = await desk.post<{ error: { code: string; message: string } }>(
      `/api/v1/workspaces/${ws}/records`,
      ticket(client.body.id),
    );
    const toNothing = await desk.post<{ error: { code: string; message: string } }>(
      `/api/v1/workspaces/${ws}/records`,
      ticket('no-such-client'),
    );
    expect(toHidden.status).toBe(400);
    expect(toHidden.body).toEqual(toNothing.body);
    // Without the reference the same member can create the ticket: the refusal is about the client.
    const plain = await desk.post(`/api/v1/workspaces/${ws}/records`, {
      type: 'ticket',
      data: { subject: 'Printer', priority: 'low', status: 'open' },
    });
    expect(plain.status).toBe(201);
  });

  it('refuses query parameters on endpoints that take none, and changes nothing', async () => {
    const owner = await createUser(t);
    const ws = await createWorkspace(owner);
    const rec = await owner.post<{ id: string }>(`/api/v1/workspaces/${ws}/records`, {
      type: 'client',
      data: { name: 'Query Co', status: 'lead' },
    });
    const head = (await owner.get<{ headSeq: number }>(`/api/v1/workspaces/${ws}/audit/verify`)).body.headSeq;
    const get = await owner.get<{ error: { code: string } }>(
      `/api/v1/workspaces/${ws}/records/${rec.body.id}?admin=true`,
    );
    expect(get.status).toBe(400);
    expect(get.body.error.code).toBe('validation_failed');
    const del = await owner.delete<{ error: { code: string } }>(
      `/api/v1/workspaces/${ws}/records/${rec.body.id}?force=1`,
    );
    expect(del.status).toBe(400);
    expect((await owner.get<{ headSeq: number }>(`/api/v1/workspaces/${ws}/audit/verify`)).body.headSeq).toBe(
      head,
    );
    expect(
      (await owner.get<{ deletedAt: string | null }>(`/api/v1/workspaces/${ws}/records/${rec.body.id}`)).body
        .deletedAt,
    ).toBeNull();
  });
});
