import type { OperationOf, WorkspaceSchema } from '@enclave/shared';
import { hashToken, newToken } from '../crypto/tokens';
import { can, isBuiltInRole, type WorkspaceAbility } from '../policy/policy';
import type { InvitationRow, MemberRow } from '../store/types';
import type { Handler, HandlerEnv } from './context';
import { revokeDevicesOf } from './device-ops';
import { AppError, conflict, forbidden, invalid, notFound } from './errors';

export const INVITATION_TTL_MS = 7 * 24 * 60 * 60 * 1000;

function requireAbility(env: HandlerEnv, ability: WorkspaceAbility): void {
  if (!can(env.perms, ability)) throw forbidden();
}

async function checkRolesExist(env: HandlerEnv, roles: readonly string[]): Promise<void> {
  const custom = await env.store.listRoles();
  const unknown = roles.filter((r) => !isBuiltInRole(r) && !custom.some((c) => c.key === r));
  if (unknown.length > 0)
    throw invalid(`Unknown role: ${unknown.join(', ')}`, [{ path: 'roles', message: 'unknown role' }]);
}

async function ownersOtherThan(env: HandlerEnv, userId: string): Promise<number> {
  return (await env.store.listMembers()).filter((m) => m.userId !== userId && m.roles.includes('owner'))
    .length;
}

export const putEntityType: Handler<OperationOf<'schema.putEntityType'>> = async (op, env) => {
  requireAbility(env, 'schema.manage');
  const def = op.entityType;
  const others = env.schema.entityTypes.filter((e) => e.key !== def.key);
  const knownTypes = new Set([...others.map((e) => e.key), def.key]);
  for (const field of def.fields) {
    if (field.type === 'reference' && field.refType !== undefined && !knownTypes.has(field.refType)) {
      throw invalid(`Field ${field.key} refers to unknown entity type ${field.refType}`, [
        { path: `fields.${field.key}.refType`, message: 'unknown entity type' },
      ]);
    }
  }
  const previous = env.schema.entityTypes.find((e) => e.key === def.key) ?? null;
  const entityTypes = previous
    ? env.schema.entityTypes.map((e) => (e.key === def.key ? def : e))
    : [...env.schema.entityTypes, def];
  const schema: WorkspaceSchema = { version: env.schema.version + 1, entityTypes };
  return {
    change: {
      action: previous ? 'schema.updateEntityType' : 'schema.createEntityType',
      target: { kind: 'schema', entityType: def.key, id: def.key },
      before: previous,
      after: def,
      details: { schemaVersion: schema.version },
      mutations: [{ kind: 'schema.put', schema }],
    },
    result: { schema },
  };
};

export const removeEntityType: Handler<OperationOf<'schema.removeEntityType'>> = async (op, env) => {
  requireAbility(env, 'schema.manage');
  const previous = env.schema.entityTypes.find((e) => e.key === op.key);
  if (!previous) throw notFound('Entity type');
  const live = await env.store.countLiveRecords(op.key);
  if (live > 0) throw conflict(`The entity type still has ${live} records; delete them first`);
  const referrers = env.schema.entityTypes.filter(
    (e) => e.key !== op.key && e.fields.some((f) => f.type === 'reference' && f.refType === op.key),
  );
  if (referrers.length > 0)
    throw conflict(`Entity types refer to it: ${referrers.map((e) => e.key).join(', ')}`);
  const schema: WorkspaceSchema = {
    version: env.schema.version + 1,
    entityTypes: env.schema.entityTypes.filter((e) => e.key !== op.key),
  };
  return {
    change: {
      action: 'schema.removeEntityType',
      target: { kind: 'schema', entityType: op.key, id: op.key },
      before: previous,
      after: null,
      details: { schemaVersion: schema.version },
      mutations: [{ kind: 'schema.put', schema }],
    },
    result: { schema },
  };
};

export const putRole: Handler<OperationOf<'role.put'>> = async (op, env) => {
  requireAbility(env, 'roles.manage');
  const unknown = Object.keys(op.role.permissions).filter(
    (t) => !env.schema.entityTypes.some((e) => e.key === t),
  );
  if (unknown.length > 0) {
    throw invalid(`Unknown entity type: ${unknown.join(', ')}`, [
      { path: 'permissions', message: 'unknown entity type' },
    ]);
  }
  const previous = (await env.store.listRoles()).find((r) => r.key === op.role.key) ?? null;
  return {
    change: {
      action: previous ? 'role.update' : 'role.create',
      target: { kind: 'role', entityType: null, id: op.role.key },
      before: previous,
      after: op.role,
      details: null,
      mutations: [{ kind: 'role.put', role: op.role }],
    },
    result: { role: op.role },
  };
};

export const removeRole: Handler<OperationOf<'role.remove'>> = async (op, env) => {
  requireAbility(env, 'roles.manage');
  const previous = (await env.store.listRoles()).find((r) => r.key === op.key);
  if (!previous) throw notFound('Role');
  const holders = (await env.store.listMembers()).filter((m) => m.roles.includes(op.key));
  if (holders.length > 0)
    throw conflict(`${holders.length} members hold this role; change their roles first`);
  // A pending invitation would otherwise hand out a dangling key that a later role of the same
  // name would quietly bring back to life.
  const invited = (await env.store.listInvitations()).filter(
    (i) => i.roles.includes(op.key) && invitationStatus(i, env.now) === 'pending',
  );
  if (invited.length > 0)
    throw conflict(`${invited.length} pending invitations give this role; cancel them first`);
  return {
    change: {
      action: 'role.remove',
      target: { kind: 'role', entityType: null, id: op.key },
      before: previous,
      after: null,
      details: null,
      mutations: [{ kind: 'role.delete', key: op.key }],
    },
  };
};

/** Invitations as they appear in the audit log: never the token hash. */
const publicInvitation = ({ tokenHash: _omit, ...rest }: InvitationRow) => rest;

export const invite: Handler<OperationOf<'member.invite'>> = async (op, env) => {
  requireAbility(env, 'members.manage');
  if (op.roles.includes('owner')) requireAbility(env, 'owners.manage');
  await checkRolesExist(env, op.roles);
  const members = await env.store.listMembers();
  if (members.some((m) => m.email === op.email)) throw conflict('That person is already a member');
  const token = newToken();
  const invitation: InvitationRow = {
    id: env.newId(),
    email: op.email,
    roles: op.roles,
    tokenHash: hashToken(token),
    invitedBy: env.ctx.principal.userId,
    createdAt: env.now,
    expiresAt: new Date(Date.parse(env.now) + INVITATION_TTL_MS).toISOString(),
    acceptedAt: null,
    acceptedBy: null,
    cancelledAt: null,
  };
  return {
    change: {
      action: 'member.invite',
      target: { kind: 'invitation', entityType: null, id: invitation.id },
      before: null,
      after: publicInvitation(invitation),
      details: null,
      mutations: [{ kind: 'invitation.put', invitation }],
    },
    result: { invitation, token },
  };
};

export function invitationStatus(
  inv: InvitationRow,
  now: string,
): 'pending' | 'accepted' | 'cancelled' | 'expired' {
  if (inv.acceptedAt) return 'accepted';
  if (inv.cancelledAt) return 'cancelled';
  return inv.expiresAt <= now ? 'expired' : 'pending';
}

export const cancelInvitation: Handler<OperationOf<'member.cancelInvitation'>> = async (op, env) => {
  requireAbility(env, 'members.manage');
  const inv = await env.store.getInvitation(op.invitationId);
  if (!inv) throw notFound('Invitation');
  if (invitationStatus(inv, env.now) !== 'pending') throw conflict('The invitation is no longer pending');
  const after = { ...inv, cancelledAt: env.now };
  return {
    change: {
      action: 'member.cancelInvitation',
      target: { kind: 'invitation', entityType: null, id: inv.id },
      before: publicInvitation(inv),
      after: publicInvitation(after),
      details: null,
      mutations: [{ kind: 'invitation.put', invitation: after }],
    },
  };
};

/** Accepting needs no workspace right: the invitation, made out to the caller's email, is the right. */
export const acceptInvitation: Handler<OperationOf<'member.accept'>> = async (op, env) => {
  const inv = await env.store.getInvitation(op.invitationId);
  // The same answer for "no such invitation" and "not yours": the caller learns nothing.
  if (!inv || inv.email !== env.ctx.principal.email) throw notFound('Invitation');
  if (invitationStatus(inv, env.now) !== 'pending')
    throw new AppError('gone', 'The invitation is no longer valid');
  if (await env.store.getMember(env.ctx.principal.userId)) throw conflict('You are already a member');
  const member: MemberRow = {
    userId: env.ctx.principal.userId,
    email: env.ctx.principal.email,
    name: env.ctx.principal.name,
    roles: inv.roles,
    joinedAt: env.now,
  };
  const accepted = { ...inv, acceptedAt: env.now, acceptedBy: member.userId };
  return {
    change: {
      action: 'member.join',
      target: { kind: 'member', entityType: null, id: member.userId },
      before: null,
      after: member,
      details: { invitationId: inv.id },
      mutations: [
        { kind: 'member.put', member },
        { kind: 'invitation.put', invitation: accepted },
      ],
    },
    result: { member },
  };
};

export const setMemberRoles: Handler<OperationOf<'member.setRoles'>> = async (op, env) => {
  requireAbility(env, 'members.manage');
  const member = await env.store.getMember(op.userId);
  if (!member) throw notFound('Member');
  const touchesOwner = member.roles.includes('owner') || op.roles.includes('owner');
  if (touchesOwner) requireAbility(env, 'owners.manage');
  await checkRolesExist(env, op.roles);
  if (
    member.roles.includes('owner') &&
    !op.roles.includes('owner') &&
    (await ownersOtherThan(env, member.userId)) === 0
  ) {
    throw conflict('A workspace must keep at least one owner');
  }
  const after = { ...member, roles: op.roles };
  return {
    change: {
      action: 'member.setRoles',
      target: { kind: 'member', entityType: null, id: member.userId },
      before: member,
      after,
      details: null,
      mutations: [{ kind: 'member.put', member: after }],
    },
  };
};

export const removeMember: Handler<OperationOf<'member.remove'>> = async (op, env) => {
  const leaving = op.userId === env.ctx.principal.userId;
  if (!leaving) requireAbility(env, 'members.manage');
  const member = await env.store.getMember(op.userId);
  if (!member) throw notFound('Member');
  if (member.roles.includes('owner')) {
    if (!leaving) requireAbility(env, 'owners.manage');
    if ((await ownersOtherThan(env, member.userId)) === 0) throw conflict('The last owner cannot be removed');
  }
  // A member's devices leave with the member: a device is never more than its owner's access.
  const revoked = await revokeDevicesOf(env, member.userId, false);
  return {
    change: {
      action: 'member.remove',
      target: { kind: 'member', entityType: null, id: member.userId },
      before: member,
      after: null,
      details: revoked.ids.length > 0 ? { revokedDevices: revoked.ids } : null,
      mutations: [{ kind: 'member.delete', userId: member.userId }, ...revoked.mutations],
    },
  };
};

export const renameWorkspace: Handler<OperationOf<'workspace.rename'>> = async (op, env) => {
  requireAbility(env, 'workspace.manage');
  const previous = (await env.store.getMeta('name')) ?? '';
  if (previous === op.name) return { change: null };
  return {
    change: {
      action: 'workspace.rename',
      target: { kind: 'workspace', entityType: null, id: env.ctx.workspaceId },
      before: { name: previous },
      after: { name: op.name },
      details: null,
      mutations: [{ kind: 'meta.put', key: 'name', value: op.name }],
    },
  };
};
