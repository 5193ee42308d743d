import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkspaceRecord } from '@enclave/shared';
import {
  addMember,
  createUser,
  createWorkspace,
  startTestServer,
  type TestServer,
} from '../../server/src/test-support/test-server';
import { TestClient } from '../../server/src/test-support/test-client';
import {
  deviceRoutes,
  expectError,
  ghostIds,
  idsFor,
  leaked,
  makeTenant,
  publicDeviceRoutes,
  requestFor,
  send,
  sessionRoutes,
  snapshot,
  workspaceScoped,
  type Tenant,
} from './attack-support';

/**
 * Promise 1, tenant isolation, attacked through every workspace-scoped route of the contract in
 * shared/: the route list is read from the table, so a route added later is attacked too.
 */
describe('tenant isolation', () => {
  let t: TestServer;
  let a: Tenant;
  let b: Tenant;

  beforeAll(async () => {
    t = await startTestServer();
    a = await makeTenant(t, 'Alpha');
    b = await makeTenant(t, 'Borealis');
  });
  afterAll(() => t.close());

  it('covers every workspace-scoped route', () => {
    // A sanity floor: if the filter broke, the loops below would pass on nothing.
    expect(workspaceScoped.length).toBeGreaterThanOrEqual(25);
  });

  it("answers a member of A who names workspace B exactly as it answers a workspace that doesn't exist", async () => {
    const before = await snapshot(b);
    for (const [who, caller] of [
      ['owner of A', a.owner],
      ['member of A', a.member],
      ['viewer of A', a.viewer],
    ] as const) {
      for (const [name, route] of workspaceScoped) {
        const req = requestFor(name, route, idsFor(b, name));
        const res = await send(caller, req);
        const label = `${who}: ${name} ${req.method} ${req.path}`;
        expect([403, 404], `${label} → ${res.status} ${res.text}`).toContain(res.status);
        expectError(res, res.status, res.status === 404 ? 'not_found' : 'forbidden', label);
        expect(leaked(res, req, b.secrets), label).toEqual([]);

        const ghost = await send(
          caller,
          requestFor(name, route, { ...idsFor(b, name), workspaceId: randomUUID() }),
        );
        expect(res.status, label).toBe(ghost.status);
        expect(res.body, label).toEqual(ghost.body);
      }
    }
    expect(await snapshot(b)).toEqual(before);
    // Deletion was among the routes tried, with B's name typed right: B is all there, and its
    // device still works.
    const survived = await b.owner.get<{ name: string }>(`/api/v1/workspaces/${b.wsId}`);
    expect(survived.status).toBe(200);
    expect(survived.body.name).toBe(b.ids.workspaceName);
    expect(
      (await t.client().get('/api/v1/device', { authorization: `Bearer ${b.device.accessToken}` })).status,
    ).toBe(200);
  });

  it("refuses B's record, event, member and invitation ids under A's path as if they did not exist", async () => {
    const beforeA = await snapshot(a);
    const beforeB = await snapshot(b);
    const foreign = [
      ...Object.entries(b.ids)
        .filter(([kind]) => !['workspaceId', 'sessionId', 'workspaceName'].includes(kind))
        .map(([, value]) => value),
      b.deletedId,
    ];
    let attacked = 0;
    for (const [name, route] of workspaceScoped) {
      // A PUT names a slot in the caller's own workspace (create or replace): it cannot address B.
      if (route.method === 'put') continue;
      const req = requestFor(name, route, { ...idsFor(b, name), workspaceId: a.wsId });
      const sent = req.path + JSON.stringify(req.body ?? null);
      if (!foreign.some((id) => sent.includes(encodeURIComponent(id)) || sent.includes(id))) continue;
      attacked += 1;
      const label = `${name} ${req.method} ${req.path}`;
      const res = await send(a.owner, req);
      expectError(res, 404, 'not_found', label);
      expect(leaked(res, req, b.secrets), label).toEqual([]);
      const ghost = await send(a.owner, requestFor(name, route, { ...ghostIds(), workspaceId: a.wsId }));
      expect(res.body, label).toEqual(ghost.body);
    }
    // Records (get, patch, delete, restore), members (roles, remove), invitations (cancel, accept),
    // entity types and roles (remove), audit events (undo), pairings (create for B's member,
    // cancel), devices (rename, revoke).
    expect(attacked).toBeGreaterThanOrEqual(15);
    expect(await snapshot(a)).toEqual(beforeA);
    expect(await snapshot(b)).toEqual(beforeB);
  });

  it("gives B's record ids no meaning in A: references, audit queries and client-chosen ids", async () => {
    const base = `/api/v1/workspaces/${a.wsId}`;
    const beforeB = await snapshot(b);

    // A reference to B's client is refused word for word like a reference to nothing.
    const invoice = (client: string) => ({
      type: 'invoice',
      data: { number: 'INV-1', client, amount: 100, issued_on: '2024-05-01', status: 'draft' },
    });
    const toB = await a.owner.post(`${base}/records`, invoice(b.ids.recordId));
    expectError(toB, 400, 'validation_failed');
    const toNothing = await a.owner.post(`${base}/records`, invoice(randomUUID()));
    expect(toB.body).toEqual(toNothing.body);

    // A filter or audit query naming B's record finds nothing in A.
    const filtered = await a.owner.get<{ items: WorkspaceRecord[] }>(
      `${base}/records?type=ticket&filter=client:eq:${b.ids.recordId}`,
    );
    expect(filtered.status).toBe(200);
    expect(filtered.body.items).toEqual([]);
    const audit = await a.owner.get<{ items: unknown[] }>(`${base}/audit?recordId=${b.ids.recordId}`);
    expect(audit.status).toBe(200);
    expect(audit.body.items).toEqual([]);

    // Creating a record in A under the id of B's record is not refused: a conflict would tell A
    // that the id exists somewhere.
    const twin = await a.owner.post<WorkspaceRecord>(`${base}/records`, {
      type: 'client',
      id: b.ids.recordId,
      data: { name: 'Twin', status: 'lead' },
    });
    expect(twin.status).toBe(201);
    expect(twin.body.data).toEqual({ name: 'Twin', status: 'lead' });

    // A's workspace list does not mention B.
    const mine = await a.owner.get(`/api/v1/workspaces`);
    expect(leaked(mine, { method: 'GET', path: '' }, b.secrets)).toEqual([]);
    expect(await snapshot(b)).toEqual(beforeB);
  });

  it('refuses every write of a viewer with 403 and changes nothing', async () => {
    const before = await snapshot(a);
    // Another member's device, pairing or AI proposal is not the viewer's to see: absent, as an unknown id is.
    const othersOwn = new Set([
      'cancelPairing',
      'renameDevice',
      'revokeDevice',
      'approveProposal',
      'rejectProposal',
    ]);
    let attacked = 0;
    for (const [name, route] of workspaceScoped) {
      // Reading is the viewer's right, and so is asking the AI (which acts with the viewer's rights);
      // accepting an invitation needs one made out to the caller.
      if (route.method === 'get' || name === 'acceptInvitation' || name === 'aiRequest') continue;
      attacked += 1;
      const req = requestFor(name, route, idsFor(a, name));
      const res = await send(a.viewer, req);
      const label = `viewer: ${name} ${req.method} ${req.path}`;
      if (othersOwn.has(name)) {
        expectError(res, 404, 'not_found', label);
        const ghost = await send(a.viewer, requestFor(name, route, { ...ghostIds(), workspaceId: a.wsId }));
        expect(res.body, label).toEqual(ghost.body);
      } else {
        expectError(res, 403, 'forbidden', label);
      }
    }
    expect(attacked).toBeGreaterThanOrEqual(19);
    expect(await snapshot(a)).toEqual(before);
    // Deletion was tried with the right name: the workspace and its device are still there.
    expect((await a.owner.get(`/api/v1/workspaces/${a.wsId}`)).status).toBe(200);
    expect(
      (await t.client().get('/api/v1/device', { authorization: `Bearer ${a.device.accessToken}` })).status,
    ).toBe(200);

    // The refusals come from the role, not from a broken membership: the viewer still reads.
    const read = await a.viewer.get<WorkspaceRecord>(
      `/api/v1/workspaces/${a.wsId}/records/${a.ids.recordId}`,
    );
    expect(read.status).toBe(200);
    expect(read.body.id).toBe(a.ids.recordId);
  });

  it('keeps the audit log and invitations from viewers and members', async () => {
    const base = `/api/v1/workspaces/${a.wsId}`;
    for (const caller of [a.viewer, a.member]) {
      for (const path of [
        `${base}/audit`,
        `${base}/audit/verify`,
        `${base}/audit/export`,
        `${base}/invitations`,
      ]) {
        expectError(await caller.get(path), 403, 'forbidden', path);
      }
    }
  });

  it('gives a custom role exactly its per-type rights, and the union of several roles', async () => {
    const owner = a.owner;
    const wsId = await createWorkspace(owner, 'Role Lab');
    const base = `/api/v1/workspaces/${wsId}`;
    const client = await owner.post<WorkspaceRecord>(`${base}/records`, {
      type: 'client',
      data: { name: 'Hidden Client', status: 'active' },
    });
    const ticket = await owner.post<WorkspaceRecord>(`${base}/records`, {
      type: 'ticket',
      data: { subject: 'Printer on fire', priority: 'urgent', status: 'open' },
    });
    expect(
      (
        await owner.put(`${base}/roles/ticket_desk`, {
          label: 'Ticket desk',
          permissions: { ticket: { read: true, write: true, delete: false } },
        })
      ).status,
    ).toBe(200);
    const desk = await createUser(t);
    await addMember(owner, wsId, desk, ['ticket_desk']);
    const clientPath = `${base}/records/${client.body.id}`;
    const ticketPath = `${base}/records/${ticket.body.id}`;

    // Read and write on tickets.
    const tickets = await desk.get<{ items: WorkspaceRecord[] }>(`${base}/records?type=ticket`);
    expect(tickets.status).toBe(200);
    expect(tickets.body.items.map((r) => r.id)).toEqual([ticket.body.id]);
    expect(
      (
        await desk.post(`${base}/records`, {
          type: 'ticket',
          data: { subject: 'New one', priority: 'low', status: 'open' },
        })
      ).status,
    ).toBe(201);
    expect((await desk.patch(ticketPath, { data: { status: 'pending' } })).status).toBe(200);
    // No delete on tickets.
    expectError(await desk.delete(ticketPath), 403, 'forbidden');
    // Nothing on clients or invoices: a record it may not read is reported as absent.
    expectError(await desk.get(`${base}/records?type=client`), 403, 'forbidden');
    expectError(await desk.get(`${base}/records?type=invoice`), 403, 'forbidden');
    expectError(await desk.get(clientPath), 404, 'not_found');
    expectError(await desk.patch(clientPath, { data: { name: 'Mine now' } }), 404, 'not_found');
    expectError(await desk.delete(clientPath), 404, 'not_found');
    expectError(
      await desk.post(`${base}/records`, { type: 'client', data: { name: 'X', status: 'lead' } }),
      403,
      'forbidden',
    );
    // And no workspace abilities.
    expectError(
      await desk.put(`${base}/roles/ticket_desk`, {
        label: 'Ticket desk',
        permissions: {
          ticket: { read: true, write: true, delete: true },
          client: { read: true, write: true, delete: true },
        },
      }),
      403,
      'forbidden',
    );
    expectError(await desk.get(`${base}/audit`), 403, 'forbidden');
    expect((await owner.get<WorkspaceRecord>(clientPath)).body).toEqual(client.body);
    expect((await owner.get<WorkspaceRecord>(ticketPath)).body.deletedAt).toBeNull();

    // A second role adds read on clients and delete on tickets; the union applies.
    expect(
      (
        await owner.put(`${base}/roles/client_reader`, {
          label: 'Client reader',
          permissions: {
            client: { read: true, write: false, delete: false },
            ticket: { read: false, write: false, delete: true },
          },
        })
      ).status,
    ).toBe(200);
    expect(
      (await owner.patch(`${base}/members/${desk.userId}`, { roles: ['ticket_desk', 'client_reader'] }))
        .status,
    ).toBe(204);
    expect((await desk.get<WorkspaceRecord>(clientPath)).body).toEqual(client.body);
    expectError(await desk.patch(clientPath, { data: { name: 'Mine now' } }), 403, 'forbidden');
    expectError(await desk.delete(clientPath), 403, 'forbidden');
    expect((await desk.delete(ticketPath)).status).toBe(200);
    expect((await desk.post(`${ticketPath}/restore`)).status).toBe(200);
    expect((await desk.patch(ticketPath, { data: { status: 'closed' } })).status).toBe(200);
    expectError(await desk.get(`${base}/records?type=invoice`), 403, 'forbidden');

    // With a built-in role beside it, the built-in rights and the custom ones add up.
    expect(
      (await owner.patch(`${base}/members/${desk.userId}`, { roles: ['viewer', 'ticket_desk'] })).status,
    ).toBe(204);
    expect((await desk.get(`${base}/records?type=invoice`)).status).toBe(200);
    expectError(await desk.patch(clientPath, { data: { name: 'Mine now' } }), 403, 'forbidden');
    expect((await desk.patch(ticketPath, { data: { priority: 'low' } })).status).toBe(200);
    expectError(await desk.delete(ticketPath), 403, 'forbidden');
    expect((await owner.get<WorkspaceRecord>(clientPath)).body).toEqual(client.body);
  });

  it('refuses a removed member on the very next request, with their session still valid', async () => {
    const owner = a.owner;
    const wsId = await createWorkspace(owner, 'Short Stay');
    const base = `/api/v1/workspaces/${wsId}`;
    const leaver = await createUser(t);
    const demoted = await createUser(t);
    await addMember(owner, wsId, leaver, ['member']);
    await addMember(owner, wsId, demoted, ['member']);
    const own = await leaver.post<WorkspaceRecord>(`${base}/records`, {
      type: 'client',
      data: { name: 'Leaver Client', status: 'lead' },
    });
    expect(own.status).toBe(201);
    expect((await leaver.get(`${base}/records?type=client`)).status).toBe(200);

    expect((await owner.delete(`${base}/members/${leaver.userId}`)).status).toBe(204);
    expect((await owner.patch(`${base}/members/${demoted.userId}`, { roles: ['viewer'] })).status).toBe(204);
    const head = (await owner.get<{ headSeq: number }>(`${base}/audit/verify`)).body.headSeq;

    // The same cookie from another client too: the refusal is about the membership, not the client.
    const copy = new TestClient(t.url);
    copy.cookie = leaver.cookie;
    for (const caller of [leaver, copy]) {
      expectError(await caller.get(base), 404, 'not_found');
      expectError(await caller.get(`${base}/records?type=client`), 404, 'not_found');
      expectError(await caller.get(`${base}/records/${own.body.id}`), 404, 'not_found');
      expectError(
        await caller.patch(`${base}/records/${own.body.id}`, { data: { name: 'Still mine' } }),
        404,
        'not_found',
      );
      expectError(
        await caller.post(`${base}/records`, { type: 'client', data: { name: 'Late', status: 'lead' } }),
        404,
        'not_found',
      );
      expectError(await caller.delete(`${base}/members/${owner.userId}`), 404, 'not_found');
    }
    expect((await leaver.get('/api/v1/auth/me')).status).toBe(200);
    const list = await leaver.get<{ items: { id: string }[] }>('/api/v1/workspaces');
    expect(list.body.items.map((w) => w.id)).not.toContain(wsId);

    // A role change binds on the next request too.
    expectError(
      await demoted.post(`${base}/records`, { type: 'client', data: { name: 'Late', status: 'lead' } }),
      403,
      'forbidden',
    );
    expect((await owner.get<{ headSeq: number }>(`${base}/audit/verify`)).body.headSeq).toBe(head);
    expect((await owner.get<WorkspaceRecord>(`${base}/records/${own.body.id}`)).body).toEqual(own.body);
  });

  it('answers 401 to every session route without a session, or with a signed-out one', async () => {
    // An owner's session, signed out: its cookie must be worth nothing afterwards.
    const signedOut = await createUser(t);
    await addMember(a.owner, a.wsId, signedOut, ['owner']);
    const stale = signedOut.cookie;
    expect((await signedOut.post('/api/v1/auth/signout')).status).toBe(204);
    const before = await snapshot(a);

    const anonymous = t.client();
    const replay = t.client();
    const forged = t.client();
    forged.cookie = `enclave_session=${'A'.repeat(43)}`;
    expect(sessionRoutes.length).toBeGreaterThan(workspaceScoped.length);
    for (const [name, route] of sessionRoutes) {
      for (const [who, caller] of [
        ['no cookie', anonymous],
        ['signed-out cookie', replay],
        ['forged cookie', forged],
      ] as const) {
        if (caller === replay) replay.cookie = stale;
        const req = requestFor(name, route, idsFor(a, name));
        expectError(
          await send(caller, req),
          401,
          'unauthorized',
          `${who}: ${name} ${req.method} ${req.path}`,
        );
      }
    }
    expect(await snapshot(a)).toEqual(before);
  });
  it('takes a device token for no session: every session route answers 401 to a bearer alone', async () => {
    const authorization = `Bearer ${a.device.accessToken}`;
    const app = t.client();
    app.origin = null;
    // The token is good, and what it reaches tells nothing of B.
    const self = await app.get('/api/v1/device', { authorization });
    expect(self.status).toBe(200);
    expect(leaked(self, { method: 'GET', path: '' }, b.secrets)).toEqual([]);
    // Using the device moves its last-seen time, which is no change to the workspace.
    const settled = async () => {
      const state = await snapshot(a);
      state.devices = (state.devices as { items: Record<string, unknown>[] }).items.map(
        ({ lastSeenAt: _seen, lastIp: _ip, ...rest }) => rest,
      );
      return state;
    };
    const before = await settled();
    for (const [name, route] of sessionRoutes) {
      const req = requestFor(name, route, idsFor(a, name));
      const res = await app.request(req.method, req.path, req.body, { authorization });
      expectError(res, 401, 'unauthorized', `bearer: ${name} ${req.method} ${req.path}`);
    }
    expect(await settled()).toEqual(before);
  });

  it('answers 401 on every device route to a session, no token, or a token with a borrowed signature', async () => {
    expect(deviceRoutes.length).toBeGreaterThanOrEqual(2);
    const anonymous = t.client();
    anonymous.origin = null;
    const [header, payload] = a.device.accessToken.split('.');
    const borrowed = `${header ?? ''}.${payload ?? ''}.${b.device.accessToken.split('.')[2] ?? ''}`;
    const before = await snapshot(a);
    for (const [name, route] of deviceRoutes) {
      for (const [who, caller, headers] of [
        ['no token', anonymous, {}],
        ["owner's session", a.owner, {}],
        ["the device owner's session", a.member, {}],
        ['borrowed signature', anonymous, { authorization: `Bearer ${borrowed}` }],
      ] as const) {
        const req = requestFor(name, route, idsFor(a, name));
        const res = await caller.request(req.method, req.path, req.body, headers);
        expectError(res, 401, 'unauthorized', `${who}: ${name} ${req.method} ${req.path}`);
      }
    }
    expect(await snapshot(a)).toEqual(before);
  });

  it("answers the public device routes for B's workspace and device exactly as for ids that name nothing", async () => {
    expect(publicDeviceRoutes.map(([name]) => name).sort()).toEqual([
      'confirmWipe',
      'deviceChallenge',
      'redeemPairing',
      'renewDeviceToken',
    ]);
    const before = await snapshot(b);
    const anonymous = t.client();
    anonymous.origin = null;
    for (const [name, route] of publicDeviceRoutes) {
      const req = requestFor(name, route, b.ids);
      const label = `${name} ${req.method} ${req.path}`;
      const res = await send(anonymous, req);
      const ghost = await send(anonymous, requestFor(name, route, ghostIds()));
      expect(res.status, `${label} → ${res.text}`).toBe(ghost.status);
      expect(leaked(res, req, b.secrets), label).toEqual([]);
      if (res.status === 200) {
        // A challenge is handed to anyone: whether the device exists is not told here.
        expect(Object.keys(res.body as object).sort(), label).toEqual(
          Object.keys(ghost.body as object).sort(),
        );
      } else {
        expect(res.status, label).toBe(401);
        expect(res.body, label).toEqual(ghost.body);
      }
    }
    expect(await snapshot(b)).toEqual(before);
  });
});
