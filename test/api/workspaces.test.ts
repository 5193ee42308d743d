import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  AuditEvent,
  CustomRole,
  EntityTypeDef,
  Invitation,
  Member,
  RecordPage,
  WorkspaceRecord,
  WorkspaceSchema,
  WorkspaceSummary,
} from '@enclave/shared';
import {
  addMember,
  createUser,
  createWorkspace,
  startTestServer,
  uniqueEmail,
  type TestServer,
} from '../../server/src/test-support/test-server';
import { expectError } from '../../server/src/test-support/expect-error';
import type { TestClient } from '../../server/src/test-support/test-client';

interface AuditPage {
  items: AuditEvent[];
}

interface InvitationCreated {
  invitation: Invitation;
  token: string;
  link: string;
}

const matter: EntityTypeDef = {
  key: 'matter',
  label: 'Matter',
  pluralLabel: 'Matters',
  titleField: 'title',
  fields: [
    { key: 'title', label: 'Title', type: 'text', required: true, indexed: true, sensitivity: 'normal' },
    {
      key: 'client',
      label: 'Client',
      type: 'reference',
      refType: 'client',
      required: false,
      indexed: true,
      sensitivity: 'normal',
    },
  ],
};

describe('workspaces, schema, members and roles', () => {
  let t: TestServer;

  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(() => t.close());

  const wsPath = (ws: string) => `/api/v1/workspaces/${ws}`;
  const audit = async (owner: TestClient, ws: string, query = '') =>
    (await owner.get<AuditPage>(`${wsPath(ws)}/audit?limit=500${query}`)).body.items;
  const latest = async (owner: TestClient, ws: string, action: string) => {
    const [event] = await audit(owner, ws, `&action=${action}`);
    if (!event) throw new Error(`no ${action} event`);
    return event;
  };
  const schemaOf = async (client: TestClient, ws: string) =>
    (await client.get<WorkspaceSchema>(`${wsPath(ws)}/schema`)).body;
  const membersOf = async (client: TestClient, ws: string) =>
    (await client.get<{ items: Member[] }>(`${wsPath(ws)}/members`)).body.items;
  const rolesOfMember = async (client: TestClient, ws: string, userId: string) =>
    (await membersOf(client, ws)).find((m) => m.userId === userId)?.roles;

  describe('workspaces', () => {
    it('creates from the standard template, with its creator as owner, on the record', async () => {
      const owner = await createUser(t);
      const res = await owner.post<WorkspaceSummary>('/api/v1/workspaces', {
        name: '  Acme Legal  ',
        template: 'standard',
      });
      expect(res.status, res.text).toBe(201);
      expect(res.body).toMatchObject({ name: 'Acme Legal', roles: ['owner'] });
      const ws = res.body.id;
      const schema = await schemaOf(owner, ws);
      expect(schema.version).toBe(1);
      expect(schema.entityTypes.map((e) => e.key)).toEqual(['client', 'invoice', 'ticket']);
      expect(await membersOf(owner, ws)).toEqual([
        expect.objectContaining({ userId: owner.userId, email: owner.email, roles: ['owner'] }),
      ]);
      const [created] = await audit(owner, ws);
      expect(created).toMatchObject({
        seq: 1,
        action: 'workspace.create',
        actor: { id: owner.userId },
        target: { kind: 'workspace', id: ws },
        after: { name: 'Acme Legal', template: 'standard', owner: owner.userId },
      });
      // The template is usable at once.
      const record = await owner.post(`${wsPath(ws)}/records`, {
        type: 'client',
        data: { name: 'First', status: 'lead' },
      });
      expect(record.status).toBe(201);
    });

    it('creates from the empty template, with no entity types', async () => {
      const owner = await createUser(t);
      const ws = await createWorkspace(owner, 'Blank Slate', 'empty');
      expect(await schemaOf(owner, ws)).toEqual({ version: 1, entityTypes: [] });
      expect((await latest(owner, ws, 'workspace.create')).after).toMatchObject({ template: 'empty' });
      expectError(
        await owner.post(`${wsPath(ws)}/records`, { type: 'client', data: { name: 'X', status: 'lead' } }),
        400,
        'validation_failed',
      );
    });

    it('lists the workspaces I belong to, with my roles, and no one else’s', async () => {
      const alice = await createUser(t);
      const bob = await createUser(t);
      const first = await createWorkspace(alice, 'Alice One');
      const second = await createWorkspace(alice, 'Alice Two', 'empty');
      const bobs = await createWorkspace(bob, 'Bob Only');

      const mine = await alice.get<{ items: WorkspaceSummary[] }>('/api/v1/workspaces');
      expect(mine.status).toBe(200);
      // Workspaces made in the same millisecond may list in either order.
      expect(mine.body.items.map((w) => [w.id, w.name, w.roles])).toHaveLength(2);
      expect(mine.body.items.map((w) => [w.id, w.name, w.roles])).toEqual(
        expect.arrayContaining([
          [first, 'Alice One', ['owner']],
          [second, 'Alice Two', ['owner']],
        ]),
      );
      const his = await bob.get<{ items: WorkspaceSummary[] }>('/api/v1/workspaces');
      expect(his.body.items.map((w) => w.id)).toEqual([bobs]);

      // Joining adds the workspace to the list, with the roles given.
      await addMember(bob, bobs, alice, ['viewer']);
      const after = await alice.get<{ items: WorkspaceSummary[] }>('/api/v1/workspaces');
      expect(after.body.items).toHaveLength(3);
      expect(after.body.items.map((w) => [w.id, w.roles])).toEqual(
        expect.arrayContaining([
          [first, ['owner']],
          [second, ['owner']],
          [bobs, ['viewer']],
        ]),
      );
    });

    it('renames, audited with the old and new names; members below admin may not', async () => {
      const owner = await createUser(t);
      const member = await createUser(t);
      const ws = await createWorkspace(owner, 'Old Name');
      await addMember(owner, ws, member, ['member']);

      const res = await owner.patch<WorkspaceSummary>(wsPath(ws), { name: 'New Name' });
      expect(res.status, res.text).toBe(200);
      expect(res.body).toMatchObject({ id: ws, name: 'New Name', roles: ['owner'] });
      const list = await owner.get<{ items: WorkspaceSummary[] }>('/api/v1/workspaces');
      expect(list.body.items.find((w) => w.id === ws)?.name).toBe('New Name');
      expect((await member.get<WorkspaceSummary>(wsPath(ws))).body.name).toBe('New Name');
      expect(await latest(owner, ws, 'workspace.rename')).toMatchObject({
        actor: { id: owner.userId },
        target: { kind: 'workspace', id: ws },
        before: { name: 'Old Name' },
        after: { name: 'New Name' },
      });

      expectError(await member.patch(wsPath(ws), { name: 'Hijacked' }), 403, 'forbidden');
      expect((await owner.get<WorkspaceSummary>(wsPath(ws))).body.name).toBe('New Name');
      // The same name again is no change, and no event.
      await owner.patch(wsPath(ws), { name: 'New Name' });
      expect(await audit(owner, ws, '&action=workspace.rename')).toHaveLength(1);
    });
  });

  describe('schema', () => {
    let owner: TestClient;
    let ws: string;
    let clientRecord: WorkspaceRecord;

    beforeAll(async () => {
      owner = await createUser(t);
      ws = await createWorkspace(owner, 'Schema Co');
      clientRecord = (
        await owner.post<WorkspaceRecord>(`${wsPath(ws)}/records`, {
          type: 'client',
          data: { name: 'Before Edits', status: 'active', notes: 'kept' },
        })
      ).body;
    });

    it('adds an entity type, audited with its definition', async () => {
      const res = await owner.put<WorkspaceSchema>(`${wsPath(ws)}/schema/entity-types/matter`, matter);
      expect(res.status, res.text).toBe(200);
      expect(res.body.version).toBe(2);
      expect(res.body.entityTypes.map((e) => e.key)).toEqual(['client', 'invoice', 'ticket', 'matter']);
      expect(await schemaOf(owner, ws)).toEqual(res.body);
      expect(await latest(owner, ws, 'schema.createEntityType')).toMatchObject({
        target: { kind: 'schema', entityType: 'matter', id: 'matter' },
        before: null,
        after: { key: 'matter', fields: [{ key: 'title' }, { key: 'client', refType: 'client' }] },
        details: { schemaVersion: 2 },
      });
      const record = await owner.post<WorkspaceRecord>(`${wsPath(ws)}/records`, {
        type: 'matter',
        data: { title: 'Estate of X', client: clientRecord.id },
      });
      expect(record.status, record.text).toBe(201);
    });

    it('adds a field to an existing type and changes another; old records stay readable', async () => {
      const client = (await schemaOf(owner, ws)).entityTypes.find((e) => e.key === 'client');
      if (!client) throw new Error('no client type');
      const withWebsite: EntityTypeDef = {
        ...client,
        fields: [
          ...client.fields,
          {
            key: 'website',
            label: 'Website',
            type: 'text',
            required: false,
            indexed: false,
            sensitivity: 'normal',
          },
        ],
      };
      const added = await owner.put<WorkspaceSchema>(`${wsPath(ws)}/schema/entity-types/client`, withWebsite);
      expect(added.status, added.text).toBe(200);
      const addEvent = await latest(owner, ws, 'schema.updateEntityType');
      expect(addEvent.before).toEqual(client);
      expect(addEvent.after).toEqual(withWebsite);

      // Changing a field: a new status option, and a new label.
      const changed: EntityTypeDef = {
        ...withWebsite,
        fields: withWebsite.fields.map((f) =>
          f.key === 'status'
            ? { ...f, label: 'Stage', options: ['lead', 'active', 'inactive', 'archived'] }
            : f,
        ),
      };
      const res = await owner.put<WorkspaceSchema>(`${wsPath(ws)}/schema/entity-types/client`, changed);
      expect(res.status, res.text).toBe(200);
      const changeEvent = await latest(owner, ws, 'schema.updateEntityType');
      expect(changeEvent.id).not.toBe(addEvent.id);
      expect(changeEvent.before).toEqual(withWebsite);
      expect(changeEvent.after).toEqual(changed);
      expect(changeEvent.details).toEqual({ schemaVersion: res.body.version });

      // The record made before the edits reads and lists as it was, and takes the new field and option.
      const old = await owner.get<WorkspaceRecord>(`${wsPath(ws)}/records/${clientRecord.id}`);
      expect(old.body).toEqual(clientRecord);
      const listed = await owner.get<RecordPage>(`${wsPath(ws)}/records?type=client&sort=website`);
      expect(listed.body.items).toEqual([clientRecord]);
      const patched = await owner.patch<WorkspaceRecord>(`${wsPath(ws)}/records/${clientRecord.id}`, {
        data: { website: 'https://before.example', status: 'archived' },
      });
      expect(patched.status, patched.text).toBe(200);
      expect(patched.body.data).toEqual({
        name: 'Before Edits',
        status: 'archived',
        notes: 'kept',
        website: 'https://before.example',
      });
    });

    it('refuses a reference to an unknown type, a key that differs from the path, and non-admins', async () => {
      const before = await schemaOf(owner, ws);
      const dangling: EntityTypeDef = {
        ...matter,
        key: 'memo',
        fields: [
          ...matter.fields,
          {
            key: 'about',
            label: 'About',
            type: 'reference',
            refType: 'nothing',
            required: false,
            indexed: false,
            sensitivity: 'normal',
          },
        ],
      };
      expectError(
        await owner.put(`${wsPath(ws)}/schema/entity-types/memo`, dangling),
        400,
        'validation_failed',
      );
      expectError(
        await owner.put(`${wsPath(ws)}/schema/entity-types/other`, { ...matter, key: 'memo' }),
        400,
        'validation_failed',
      );
      const member = await createUser(t);
      await addMember(owner, ws, member, ['member']);
      expectError(
        await member.put(`${wsPath(ws)}/schema/entity-types/memo`, { ...matter, key: 'memo' }),
        403,
        'forbidden',
      );
      expectError(await member.delete(`${wsPath(ws)}/schema/entity-types/matter`), 403, 'forbidden');
      expect(await schemaOf(owner, ws)).toEqual(before);
    });

    it('removes a type only once it has no live records and nothing refers to it', async () => {
      const before = await schemaOf(owner, ws);
      // Live records: refused.
      expectError(await owner.delete(`${wsPath(ws)}/schema/entity-types/matter`), 409, 'conflict');
      // Another type refers to client: refused even though that is not about records.
      const clients = await owner.get<RecordPage>(`${wsPath(ws)}/records?type=client`);
      expect(clients.body.items.length).toBeGreaterThan(0);
      expectError(await owner.delete(`${wsPath(ws)}/schema/entity-types/client`), 409, 'conflict');
      expect(await schemaOf(owner, ws)).toEqual(before);

      const matters = await owner.get<RecordPage>(`${wsPath(ws)}/records?type=matter`);
      for (const r of matters.body.items) await owner.delete(`${wsPath(ws)}/records/${r.id}`);
      const removed = await owner.delete<WorkspaceSchema>(`${wsPath(ws)}/schema/entity-types/matter`);
      expect(removed.status, removed.text).toBe(200);
      expect(removed.body.version).toBe(before.version + 1);
      expect(removed.body.entityTypes.map((e) => e.key)).toEqual(['client', 'invoice', 'ticket']);
      const event = await latest(owner, ws, 'schema.removeEntityType');
      expect(event).toMatchObject({ target: { entityType: 'matter' }, after: null });
      expect(event.before).toEqual(matter);

      // A deleted record of the removed type cannot come back as a live record of no type.
      const [deletedMatter] = matters.body.items;
      expect(deletedMatter).toBeDefined();
      const restore = await owner.post(`${wsPath(ws)}/records/${deletedMatter?.id ?? ''}/restore`);
      expectError(restore, 409, 'conflict');
      const undoDelete = (
        await audit(owner, ws, `&recordId=${deletedMatter?.id ?? ''}&action=record.delete`)
      )[0];
      expectError(await owner.post(`${wsPath(ws)}/audit/${undoDelete?.id ?? ''}/undo`), 409, 'conflict');
      expectError(await owner.get(`${wsPath(ws)}/records?type=matter`), 400, 'validation_failed');

      // A type that never had records goes at once.
      const empty = await owner.put(`${wsPath(ws)}/schema/entity-types/scratch`, {
        ...matter,
        key: 'scratch',
      });
      expect(empty.status).toBe(200);
      const gone = await owner.delete<WorkspaceSchema>(`${wsPath(ws)}/schema/entity-types/scratch`);
      expect(gone.status).toBe(200);
      expect(gone.body.entityTypes.map((e) => e.key)).not.toContain('scratch');
      expectError(await owner.delete(`${wsPath(ws)}/schema/entity-types/scratch`), 404, 'not_found');
    });

    it('has every schema edit in the audit log, with before and after, in order', async () => {
      const schemaEvents = (await audit(owner, ws)).filter((e) => e.target.kind === 'schema');
      expect(schemaEvents.map((e) => [e.action, e.target.id]).reverse()).toEqual([
        ['schema.createEntityType', 'matter'],
        ['schema.updateEntityType', 'client'],
        ['schema.updateEntityType', 'client'],
        ['schema.removeEntityType', 'matter'],
        ['schema.createEntityType', 'scratch'],
        ['schema.removeEntityType', 'scratch'],
      ]);
      for (const e of schemaEvents) {
        expect(e.actor.id).toBe(owner.userId);
        expect(e.before === null && e.after === null).toBe(false);
      }
      const versions = schemaEvents
        .map((e) => (e.details as { schemaVersion: number }).schemaVersion)
        .reverse();
      expect(versions).toEqual([2, 3, 4, 5, 6, 7]);
      expect((await schemaOf(owner, ws)).version).toBe(7);
    });
  });

  describe('invitations', () => {
    let owner: TestClient;
    let ws: string;

    beforeAll(async () => {
      owner = await createUser(t, { name: 'Olivia Owner' });
      ws = await createWorkspace(owner, 'Invites Inc');
    });

    const invite = (email: string, roles: string[] = ['member']) =>
      owner.post<InvitationCreated>(`${wsPath(ws)}/invitations`, { email, roles });
    const accept = (who: TestClient, token: string) =>
      who.post<WorkspaceSummary>(`${wsPath(ws)}/invitations/accept`, { token });

    it('shows the token once and mails the link to the invitee', async () => {
      const invitee = await createUser(t);
      const res = await invite(invitee.email.toUpperCase(), ['member', 'viewer']);
      expect(res.status, res.text).toBe(201);
      const { invitation, token, link } = res.body;
      expect(invitation).toMatchObject({
        email: invitee.email,
        roles: ['member', 'viewer'],
        invitedBy: owner.userId,
        status: 'pending',
      });
      expect(token.length).toBeGreaterThanOrEqual(20);
      expect(link).toBe(`${t.url}/console/invite?workspace=${ws}&token=${token}`);

      const mail = t.outbox.lastTo(invitee.email);
      expect(mail?.subject).toContain('Invites Inc');
      expect(mail?.text).toContain(link);

      // Listed without the token; the audit log has no token or hash of it either.
      const list = await owner.get<{ items: Invitation[] }>(`${wsPath(ws)}/invitations`);
      expect(list.body.items.find((i) => i.id === invitation.id)).toEqual(invitation);
      expect(list.text).not.toContain(token);
      const event = await latest(owner, ws, 'member.invite');
      expect(event).toMatchObject({ target: { kind: 'invitation', id: invitation.id }, before: null });
      expect(event.after).toMatchObject({ email: invitee.email, roles: ['member', 'viewer'] });
      expect(JSON.stringify(event)).not.toContain(token);
      expect(event.after).not.toHaveProperty('tokenHash');
    });

    it('lets only the invited person accept, once', async () => {
      const invitee = await createUser(t, { name: 'Ivy Invitee' });
      const stranger = await createUser(t);
      const { token, invitation } = (await invite(invitee.email)).body;

      // Someone else holding the link learns nothing and gets nothing.
      expectError(await accept(stranger, token), 404, 'not_found');
      expect((await stranger.get('/api/v1/workspaces')).body).toEqual({ items: [] });
      expectError(await stranger.get(wsPath(ws)), 404, 'not_found');

      const accepted = await accept(invitee, token);
      expect(accepted.status, accepted.text).toBe(200);
      expect(accepted.body).toMatchObject({ id: ws, name: 'Invites Inc', roles: ['member'] });
      expect(await membersOf(owner, ws)).toContainEqual(
        expect.objectContaining({ userId: invitee.userId, email: invitee.email, name: 'Ivy Invitee' }),
      );
      const joined = await latest(owner, ws, 'member.join');
      expect(joined).toMatchObject({
        actor: { id: invitee.userId },
        target: { kind: 'member', id: invitee.userId },
        before: null,
        after: { userId: invitee.userId, roles: ['member'] },
        details: { invitationId: invitation.id },
      });
      const list = await owner.get<{ items: Invitation[] }>(`${wsPath(ws)}/invitations`);
      expect(list.body.items.find((i) => i.id === invitation.id)?.status).toBe('accepted');

      const again = await accept(invitee, token);
      expect([409, 410]).toContain(again.status);
      expect((await membersOf(owner, ws)).filter((m) => m.userId === invitee.userId)).toHaveLength(1);
      // An invitation to someone already in the workspace is refused outright.
      expectError(await invite(invitee.email), 409, 'conflict');
    });

    it('refuses a token for another workspace and a made-up one alike', async () => {
      const invitee = await createUser(t);
      const { token } = (await invite(invitee.email)).body;
      const otherOwner = await createUser(t);
      const other = await createWorkspace(otherOwner, 'Elsewhere');
      expectError(await invitee.post(`${wsPath(other)}/invitations/accept`, { token }), 404, 'not_found');
      expectError(await accept(invitee, 'x'.repeat(43)), 404, 'not_found');
      expect(await accept(invitee, token)).toMatchObject({ status: 200 });
    });

    it('cancels a pending invitation, which can then not be accepted', async () => {
      const invitee = await createUser(t);
      const { token, invitation } = (await invite(invitee.email)).body;
      const cancelled = await owner.delete(`${wsPath(ws)}/invitations/${invitation.id}`);
      expect(cancelled.status, cancelled.text).toBe(204);
      const list = await owner.get<{ items: Invitation[] }>(`${wsPath(ws)}/invitations`);
      expect(list.body.items.find((i) => i.id === invitation.id)?.status).toBe('cancelled');
      const event = await latest(owner, ws, 'member.cancelInvitation');
      expect(event).toMatchObject({
        target: { kind: 'invitation', id: invitation.id },
        before: { cancelledAt: null },
      });
      expect((event.after as { cancelledAt: string | null }).cancelledAt).not.toBeNull();

      expectError(await accept(invitee, token), 410, 'gone');
      expect((await membersOf(owner, ws)).map((m) => m.userId)).not.toContain(invitee.userId);
      expectError(await owner.delete(`${wsPath(ws)}/invitations/${invitation.id}`), 409, 'conflict');
    });

    // Expiry (7 days) is tested where the clock can be moved: server/src/engine/invitations.test.ts.

    it('keeps invitations to those who manage members', async () => {
      const member = await createUser(t);
      await addMember(owner, ws, member, ['member']);
      expectError(await member.get(`${wsPath(ws)}/invitations`), 403, 'forbidden');
      expectError(
        await member.post(`${wsPath(ws)}/invitations`, { email: 'someone@example.com', roles: ['member'] }),
        403,
        'forbidden',
      );
      const pending = (await invite('later@example.com')).body.invitation;
      expectError(await member.delete(`${wsPath(ws)}/invitations/${pending.id}`), 403, 'forbidden');
    });
  });

  describe('members', () => {
    it('changes roles and removes members, each change audited with before and after', async () => {
      const owner = await createUser(t);
      const ws = await createWorkspace(owner, 'Roles R Us');
      const member = await createUser(t);
      await addMember(owner, ws, member, ['member']);

      const toViewer = await owner.patch(`${wsPath(ws)}/members/${member.userId}`, { roles: ['viewer'] });
      expect(toViewer.status, toViewer.text).toBe(204);
      expect(await rolesOfMember(owner, ws, member.userId)).toEqual(['viewer']);
      expect(await latest(owner, ws, 'member.setRoles')).toMatchObject({
        target: { kind: 'member', id: member.userId },
        before: { roles: ['member'] },
        after: { roles: ['viewer'] },
      });
      // The new roles apply on the very next request.
      expectError(
        await member.post(`${wsPath(ws)}/records`, { type: 'client', data: { name: 'No', status: 'lead' } }),
        403,
        'forbidden',
      );
      expect((await member.get(`${wsPath(ws)}/records?type=client`)).status).toBe(200);
      expectError(
        await owner.patch(`${wsPath(ws)}/members/${member.userId}`, { roles: ['no_such_role'] }),
        400,
        'validation_failed',
      );

      const removed = await owner.delete(`${wsPath(ws)}/members/${member.userId}`);
      expect(removed.status).toBe(204);
      expect((await membersOf(owner, ws)).map((m) => m.userId)).toEqual([owner.userId]);
      expectError(await member.get(wsPath(ws)), 404, 'not_found');
      expect(await latest(owner, ws, 'member.remove')).toMatchObject({
        target: { kind: 'member', id: member.userId },
        before: { userId: member.userId, roles: ['viewer'] },
        after: null,
      });
      expectError(await owner.delete(`${wsPath(ws)}/members/${member.userId}`), 404, 'not_found');
    });

    it('keeps at least one owner, and leaves owners to owners', async () => {
      const owner = await createUser(t);
      const ws = await createWorkspace(owner, 'Owned');
      const admin = await createUser(t);
      const member = await createUser(t);
      await addMember(owner, ws, admin, ['admin']);
      await addMember(owner, ws, member, ['member']);
      const eventsBefore = (await audit(owner, ws)).length;

      // The last owner can neither leave nor be demoted.
      expectError(await owner.delete(`${wsPath(ws)}/members/${owner.userId}`), 409, 'conflict');
      expectError(
        await owner.patch(`${wsPath(ws)}/members/${owner.userId}`, { roles: ['admin'] }),
        409,
        'conflict',
      );

      // An admin manages members, but not owners, and cannot make one.
      expectError(await admin.delete(`${wsPath(ws)}/members/${owner.userId}`), 403, 'forbidden');
      expectError(
        await admin.patch(`${wsPath(ws)}/members/${owner.userId}`, { roles: ['member'] }),
        403,
        'forbidden',
      );
      expectError(
        await admin.patch(`${wsPath(ws)}/members/${member.userId}`, { roles: ['owner'] }),
        403,
        'forbidden',
      );
      expectError(
        await admin.patch(`${wsPath(ws)}/members/${admin.userId}`, { roles: ['admin', 'owner'] }),
        403,
        'forbidden',
      );
      expectError(
        await admin.post(`${wsPath(ws)}/invitations`, { email: 'boss@example.com', roles: ['owner'] }),
        403,
        'forbidden',
      );
      expect(await audit(owner, ws)).toHaveLength(eventsBefore);
      expect(await rolesOfMember(owner, ws, owner.userId)).toEqual(['owner']);

      // An admin may change a plain member's roles.
      expect(
        (await admin.patch(`${wsPath(ws)}/members/${member.userId}`, { roles: ['viewer'] })).status,
      ).toBe(204);

      // An owner can make another owner; then either may step down or be removed.
      expect((await owner.patch(`${wsPath(ws)}/members/${admin.userId}`, { roles: ['owner'] })).status).toBe(
        204,
      );
      expect(await latest(owner, ws, 'member.setRoles')).toMatchObject({
        actor: { id: owner.userId },
        before: { roles: ['admin'] },
        after: { roles: ['owner'] },
      });
      expect((await owner.patch(`${wsPath(ws)}/members/${owner.userId}`, { roles: ['admin'] })).status).toBe(
        204,
      );
      expect(await rolesOfMember(admin, ws, owner.userId)).toEqual(['admin']);
      // Now the former admin is the last owner, and the former owner, an admin, cannot touch them.
      expectError(await owner.delete(`${wsPath(ws)}/members/${admin.userId}`), 403, 'forbidden');
      expectError(await admin.delete(`${wsPath(ws)}/members/${admin.userId}`), 409, 'conflict');

      // With two owners again, an owner removes the other.
      await admin.patch(`${wsPath(ws)}/members/${owner.userId}`, { roles: ['owner'] });
      expect((await admin.delete(`${wsPath(ws)}/members/${owner.userId}`)).status).toBe(204);
      expect((await membersOf(admin, ws)).map((m) => [m.userId, m.roles])).toEqual(
        expect.arrayContaining([
          [admin.userId, ['owner']],
          [member.userId, ['viewer']],
        ]),
      );
      expect(await membersOf(admin, ws)).toHaveLength(2);
    });

    it('lets a member leave by removing themselves, and no one else', async () => {
      const owner = await createUser(t);
      const ws = await createWorkspace(owner, 'Revolving Door');
      const leaver = await createUser(t);
      const other = await createUser(t);
      await addMember(owner, ws, leaver, ['viewer']);
      await addMember(owner, ws, other, ['member']);

      expectError(await leaver.delete(`${wsPath(ws)}/members/${other.userId}`), 403, 'forbidden');
      const left = await leaver.delete(`${wsPath(ws)}/members/${leaver.userId}`);
      expect(left.status, left.text).toBe(204);
      expectError(await leaver.get(wsPath(ws)), 404, 'not_found');
      expect((await leaver.get<{ items: WorkspaceSummary[] }>('/api/v1/workspaces')).body.items).toEqual([]);
      expect(await latest(owner, ws, 'member.remove')).toMatchObject({
        actor: { id: leaver.userId },
        target: { id: leaver.userId },
      });
      expect((await membersOf(owner, ws)).map((m) => m.userId).sort()).toEqual(
        [owner.userId, other.userId].sort(),
      );
    });
  });

  describe('custom roles', () => {
    let owner: TestClient;
    let ws: string;
    let clientId: string;
    let invoiceId: string;
    let ticketId: string;
    const billing = {
      label: 'Billing',
      permissions: {
        invoice: { read: true, write: true, delete: false },
        client: { read: true, write: false, delete: false },
      },
    };

    beforeAll(async () => {
      owner = await createUser(t);
      ws = await createWorkspace(owner, 'Custom Roles Co');
      const client = await owner.post<WorkspaceRecord>(`${wsPath(ws)}/records`, {
        type: 'client',
        data: { name: 'Payer', status: 'active' },
      });
      clientId = client.body.id;
      const invoice = await owner.post<WorkspaceRecord>(`${wsPath(ws)}/records`, {
        type: 'invoice',
        data: { number: 'INV-7', client: clientId, amount: 70_00, issued_on: '2025-02-01', status: 'sent' },
      });
      invoiceId = invoice.body.id;
      const ticket = await owner.post<WorkspaceRecord>(`${wsPath(ws)}/records`, {
        type: 'ticket',
        data: { subject: 'Private matter', priority: 'high', status: 'open' },
      });
      ticketId = ticket.body.id;
    });

    it('creates and lists a custom role, audited, and refuses one naming unknown types or a built-in key', async () => {
      const res = await owner.put<CustomRole>(`${wsPath(ws)}/roles/billing`, billing);
      expect(res.status, res.text).toBe(200);
      expect(res.body).toEqual({ key: 'billing', ...billing });
      const list = await owner.get<{ items: CustomRole[] }>(`${wsPath(ws)}/roles`);
      expect(list.body.items).toEqual([{ key: 'billing', ...billing }]);
      expect(await latest(owner, ws, 'role.create')).toMatchObject({
        target: { kind: 'role', id: 'billing' },
        before: null,
        after: { key: 'billing', ...billing },
      });

      expectError(
        await owner.put(`${wsPath(ws)}/roles/odd`, {
          label: 'Odd',
          permissions: { spaceship: { read: true, write: true, delete: true } },
        }),
        400,
        'validation_failed',
      );
      expectError(await owner.put(`${wsPath(ws)}/roles/admin`, billing), 400, 'validation_failed');
      const admin = await createUser(t);
      const member = await createUser(t);
      await addMember(owner, ws, admin, ['admin']);
      await addMember(owner, ws, member, ['member']);
      expectError(await member.put(`${wsPath(ws)}/roles/sneaky`, billing), 403, 'forbidden');
      // Admins manage roles too.
      expect(
        (await admin.put(`${wsPath(ws)}/roles/auditor`, { label: 'Auditor', permissions: {} })).status,
      ).toBe(200);
      expect(
        (await owner.get<{ items: CustomRole[] }>(`${wsPath(ws)}/roles`)).body.items.map((r) => r.key),
      ).toEqual(expect.arrayContaining(['billing', 'auditor']));
    });

    it('gives a custom role exactly its per-type rights', async () => {
      const clerk = await createUser(t);
      await addMember(owner, ws, clerk, ['billing']);
      const base = wsPath(ws);

      // invoice: read and write, not delete.
      expect(
        (await clerk.get<RecordPage>(`${base}/records?type=invoice`)).body.items.map((r) => r.id),
      ).toEqual([invoiceId]);
      expect((await clerk.get(`${base}/records/${invoiceId}`)).status).toBe(200);
      const paid = await clerk.patch<WorkspaceRecord>(`${base}/records/${invoiceId}`, {
        data: { status: 'paid' },
      });
      expect(paid.status, paid.text).toBe(200);
      const newInvoice = await clerk.post(`${base}/records`, {
        type: 'invoice',
        data: { number: 'INV-8', client: clientId, amount: 1, issued_on: '2025-02-02', status: 'draft' },
      });
      expect(newInvoice.status, newInvoice.text).toBe(201);
      expectError(await clerk.delete(`${base}/records/${invoiceId}`), 403, 'forbidden');

      // client: read only.
      expect((await clerk.get(`${base}/records/${clientId}`)).status).toBe(200);
      expectError(
        await clerk.patch(`${base}/records/${clientId}`, { data: { status: 'inactive' } }),
        403,
        'forbidden',
      );
      expectError(
        await clerk.post(`${base}/records`, { type: 'client', data: { name: 'New', status: 'lead' } }),
        403,
        'forbidden',
      );
      expectError(await clerk.delete(`${base}/records/${clientId}`), 403, 'forbidden');

      // ticket: nothing; a ticket is to them as if it did not exist.
      expectError(await clerk.get(`${base}/records?type=ticket`), 403, 'forbidden');
      expectError(await clerk.get(`${base}/records/${ticketId}`), 404, 'not_found');
      expectError(
        await clerk.patch(`${base}/records/${ticketId}`, { data: { status: 'closed' } }),
        404,
        'not_found',
      );
      expectError(
        await clerk.post(`${base}/records`, {
          type: 'ticket',
          data: { subject: 'x', priority: 'low', status: 'open' },
        }),
        403,
        'forbidden',
      );
      // And no workspace management.
      expectError(await clerk.get(`${base}/audit`), 403, 'forbidden');
      expectError(await clerk.get(`${base}/invitations`), 403, 'forbidden');
      expect((await owner.get<WorkspaceRecord>(`${base}/records/${ticketId}`)).body.data.status).toBe('open');
      expect((await owner.get<WorkspaceRecord>(`${base}/records/${clientId}`)).body.data.status).toBe(
        'active',
      );
    });

    it('gives several roles the union of their rights, and follows a role’s edits', async () => {
      const base = wsPath(ws);
      const support = {
        label: 'Support',
        permissions: { ticket: { read: true, write: true, delete: true } },
      };
      expect((await owner.put(`${base}/roles/support`, support)).status).toBe(200);
      const both = await createUser(t);
      await addMember(owner, ws, both, ['billing', 'support']);
      expect((await both.patch(`${base}/records/${invoiceId}`, { data: { status: 'sent' } })).status).toBe(
        200,
      );
      expect((await both.patch(`${base}/records/${ticketId}`, { data: { status: 'pending' } })).status).toBe(
        200,
      );
      expectError(await both.delete(`${base}/records/${invoiceId}`), 403, 'forbidden');
      expectError(
        await both.patch(`${base}/records/${clientId}`, { data: { status: 'lead' } }),
        403,
        'forbidden',
      );

      // With viewer as well, everything is readable, but writes stay as the custom roles say.
      await owner.patch(`${base}/members/${both.userId}`, { roles: ['viewer', 'support'] });
      expect((await both.get(`${base}/records?type=invoice`)).status).toBe(200);
      expectError(
        await both.patch(`${base}/records/${invoiceId}`, { data: { status: 'void' } }),
        403,
        'forbidden',
      );
      expect((await both.patch(`${base}/records/${ticketId}`, { data: { status: 'open' } })).status).toBe(
        200,
      );

      // Editing the role changes what its holders may do at once; the edit is audited.
      const readOnly = {
        label: 'Support',
        permissions: { ticket: { read: true, write: false, delete: false } },
      };
      expect((await owner.put(`${base}/roles/support`, readOnly)).status).toBe(200);
      expectError(
        await both.patch(`${base}/records/${ticketId}`, { data: { status: 'closed' } }),
        403,
        'forbidden',
      );
      expect(await latest(owner, ws, 'role.update')).toMatchObject({
        target: { kind: 'role', id: 'support' },
        before: { key: 'support', ...support },
        after: { key: 'support', ...readOnly },
      });
    });

    it('removes a role only when no pending invitation gives it', async () => {
      // A workspace of its own: the tests around this one count the shared workspace's events.
      const base = wsPath(await createWorkspace(owner, 'Contractors'));
      const role = {
        label: 'Contractor',
        permissions: { ticket: { read: true, write: false, delete: false } },
      };
      expect((await owner.put(`${base}/roles/contractor`, role)).status).toBe(200);
      const invited = await owner.post<{ invitation: { id: string } }>(`${base}/invitations`, {
        email: uniqueEmail('contractor'),
        roles: ['contractor'],
      });
      expect(invited.status).toBe(201);
      expectError(await owner.delete(`${base}/roles/contractor`), 409, 'conflict');
      expect((await owner.delete(`${base}/invitations/${invited.body.invitation.id}`)).status).toBe(204);
      expect((await owner.delete(`${base}/roles/contractor`)).status).toBe(204);
    });

    it('removes a role only when no member holds it', async () => {
      const base = wsPath(ws);
      const holders = (await membersOf(owner, ws)).filter((m) => m.roles.includes('billing'));
      expect(holders.length).toBeGreaterThan(0);
      expectError(await owner.delete(`${base}/roles/billing`), 409, 'conflict');
      for (const m of holders) await owner.patch(`${base}/members/${m.userId}`, { roles: ['viewer'] });

      const removed = await owner.delete(`${base}/roles/billing`);
      expect(removed.status, removed.text).toBe(204);
      expect(
        (await owner.get<{ items: CustomRole[] }>(`${base}/roles`)).body.items.map((r) => r.key),
      ).not.toContain('billing');
      expect(await latest(owner, ws, 'role.remove')).toMatchObject({
        target: { kind: 'role', id: 'billing' },
        before: { key: 'billing' },
        after: null,
      });
      expectError(await owner.delete(`${base}/roles/billing`), 404, 'not_found');
      // A removed role can no longer be given.
      const [someone] = holders;
      expectError(
        await owner.patch(`${base}/members/${someone?.userId ?? ''}`, { roles: ['billing'] }),
        400,
        'validation_failed',
      );
    });

    it('has every member and role change in the audit log', async () => {
      const actions = (await audit(owner, ws))
        .map((e) => e.action)
        .filter((a) => a.startsWith('member.') || a.startsWith('role.'));
      for (const action of [
        'member.invite',
        'member.join',
        'member.setRoles',
        'role.create',
        'role.update',
        'role.remove',
      ]) {
        expect(actions).toContain(action);
      }
      // Members: one invite and one join per member added, one setRoles per role change made above.
      const members = await membersOf(owner, ws);
      expect(actions.filter((a) => a === 'member.join')).toHaveLength(members.length - 1);
      expect(actions.filter((a) => a === 'member.invite')).toHaveLength(members.length - 1);
      expect((await owner.get<{ ok: boolean }>(`${wsPath(ws)}/audit/verify`)).body.ok).toBe(true);
    });
  });
});

describe('rate limit on writes', () => {
  const wsPath = (ws: string) => `/api/v1/workspaces/${ws}`;
  let t: TestServer;
  beforeAll(async () => {
    // Addresses are believed one proxy hop in, so a test can speak from many of them.
    t = await startTestServer({ env: { ENCLAVE_WRITE_RATE_PER_USER: '5', ENCLAVE_TRUST_PROXY: '1' } });
  });
  afterAll(() => t.close());

  it('limits writes per user, from any address or session, answering 429 with Retry-After and writing nothing', async () => {
    const owner = await createUser(t);
    const ws = await createWorkspace(owner, 'Busy Co');
    const from = (i: number) => ({ 'x-forwarded-for': `203.0.113.${String(i)}` });
    const create = (client: TestClient, i: number) =>
      client.post(
        `${wsPath(ws)}/records`,
        { type: 'client', data: { name: `C${String(i)}`, status: 'lead' } },
        from(i),
      );
    for (let i = 1; i <= 4; i++) expect((await create(owner, i)).status).toBe(201);

    const limited = await create(owner, 5);
    expectError(limited, 429, 'rate_limited', 'sixth write');
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    // A second session of the same user shares the allowance; renames and new workspaces count too.
    const again = t.client();
    const signedIn = await again.post('/api/v1/auth/signin', {
      email: owner.email,
      password: owner.password,
    });
    expect(signedIn.status).toBe(200);
    expectError(await create(again, 6), 429, 'rate_limited', 'other session');
    expectError(await again.patch(wsPath(ws), { name: 'Renamed' }), 429, 'rate_limited', 'rename');
    expectError(
      await again.post('/api/v1/workspaces', { name: 'More' }),
      429,
      'rate_limited',
      'new workspace',
    );

    // Reads go on; nothing refused was written.
    const page = await owner.get<RecordPage>(`${wsPath(ws)}/records?type=client&limit=500`);
    expect(page.status).toBe(200);
    const names = page.body.items.map((r) => String(r.data.name)).filter((n) => /^C\d$/.test(n));
    expect(names.sort()).toEqual(['C1', 'C2', 'C3', 'C4']);
    expect((await owner.get<WorkspaceSummary>(wsPath(ws))).body.name).toBe('Busy Co');

    // Another user is not held back by the first one's writes.
    const other = await createUser(t);
    expect((await other.post('/api/v1/workspaces', { name: 'Quiet Co' })).status).toBe(201);
  });
});
