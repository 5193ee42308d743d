import { Router } from 'express';
import { routes, type Invitation } from '@enclave/shared';
import { hashToken } from '../../crypto/tokens';
import { invitationStatus } from '../../engine/admin-ops';
import { AppError, forbidden, invalid, notFound } from '../../engine/errors';
import { can } from '../../policy/policy';
import type { InvitationRow } from '../../store/types';
import type { AppDeps } from '../deps';
import { bind } from '../route';
import { userContext, workspaceAccess } from '../workspace-access';

function presentInvitation(inv: InvitationRow, now: string): Invitation {
  return {
    id: inv.id,
    email: inv.email,
    roles: inv.roles,
    invitedBy: inv.invitedBy,
    createdAt: inv.createdAt,
    expiresAt: inv.expiresAt,
    status: invitationStatus(inv, now),
  };
}

export function workspaceRoutes(deps: AppDeps): Router {
  const router = Router();
  const { engine, workspaces } = deps;

  bind(router, routes.listWorkspaces, async (call) => ({
    items: await workspaces.listFor(call.auth.user.id),
  }));

  bind(router, routes.createWorkspace, async (call) =>
    workspaces.create(call.auth.user, call.body.name, call.body.template, call.meta),
  );

  bind(router, routes.getWorkspace, async (call) => {
    await workspaceAccess(deps, call.auth, call.params.workspaceId, call.meta);
    const summary = await workspaces.summary(call.params.workspaceId, call.auth.user.id);
    if (!summary) throw notFound('Workspace');
    return summary;
  });

  bind(router, routes.renameWorkspace, async (call) => {
    const access = await workspaceAccess(deps, call.auth, call.params.workspaceId, call.meta);
    await engine.execute(access.ctx, { type: 'workspace.rename', name: call.body.name });
    return workspaces.summary(call.params.workspaceId, call.auth.user.id);
  });

  // Schema

  bind(router, routes.getSchema, async (call) => {
    const { ws } = await workspaceAccess(deps, call.auth, call.params.workspaceId, call.meta);
    return ws.getSchema();
  });

  bind(router, routes.putEntityType, async (call) => {
    const access = await workspaceAccess(deps, call.auth, call.params.workspaceId, call.meta);
    if (call.body.key !== call.params.key) throw invalid('The key in the body must match the path');
    const result = await engine.execute(access.ctx, { type: 'schema.putEntityType', entityType: call.body });
    return result.extra.schema ?? access.ws.getSchema();
  });

  bind(router, routes.removeEntityType, async (call) => {
    const access = await workspaceAccess(deps, call.auth, call.params.workspaceId, call.meta);
    const result = await engine.execute(access.ctx, {
      type: 'schema.removeEntityType',
      key: call.params.key,
    });
    return result.extra.schema;
  });

  // Roles

  bind(router, routes.listRoles, async (call) => {
    const { ws } = await workspaceAccess(deps, call.auth, call.params.workspaceId, call.meta);
    return { items: await ws.listRoles() };
  });

  bind(router, routes.putRole, async (call) => {
    const access = await workspaceAccess(deps, call.auth, call.params.workspaceId, call.meta);
    const role = { key: call.params.key, ...call.body };
    await engine.execute(access.ctx, { type: 'role.put', role });
    return role;
  });

  bind(router, routes.removeRole, async (call) => {
    const access = await workspaceAccess(deps, call.auth, call.params.workspaceId, call.meta);
    await engine.execute(access.ctx, { type: 'role.remove', key: call.params.key });
  });

  // Members

  bind(router, routes.listMembers, async (call) => {
    const { ws } = await workspaceAccess(deps, call.auth, call.params.workspaceId, call.meta);
    const members = await ws.listMembers();
    return {
      items: members.map((m) => ({
        userId: m.userId,
        email: m.email,
        name: m.name,
        roles: m.roles,
        joinedAt: m.joinedAt,
      })),
    };
  });

  bind(router, routes.setMemberRoles, async (call) => {
    const access = await workspaceAccess(deps, call.auth, call.params.workspaceId, call.meta);
    await engine.execute(access.ctx, {
      type: 'member.setRoles',
      userId: call.params.userId,
      roles: call.body.roles,
    });
  });

  bind(router, routes.removeMember, async (call) => {
    const access = await workspaceAccess(deps, call.auth, call.params.workspaceId, call.meta);
    await engine.execute(access.ctx, { type: 'member.remove', userId: call.params.userId });
  });

  // Invitations

  bind(router, routes.listInvitations, async (call) => {
    const { ws, perms } = await workspaceAccess(deps, call.auth, call.params.workspaceId, call.meta);
    if (!can(perms, 'members.manage')) throw forbidden();
    const now = new Date().toISOString();
    return { items: (await ws.listInvitations()).map((i) => presentInvitation(i, now)) };
  });

  bind(router, routes.invite, async (call) => {
    const access = await workspaceAccess(deps, call.auth, call.params.workspaceId, call.meta);
    const result = await engine.execute(access.ctx, {
      type: 'member.invite',
      email: call.body.email,
      roles: call.body.roles,
    });
    const invitation = result.extra.invitation as InvitationRow;
    const token = result.extra.token as string;
    const link = `${deps.origin()}/console/invite?workspace=${call.params.workspaceId}&token=${token}`;
    const name = (await access.ws.getMeta('name')) ?? 'a workspace';
    await deps.mailer.send({
      to: invitation.email,
      subject: `${call.auth.user.name} invited you to ${name} on Enclave`,
      text: `${call.auth.user.name} (${call.auth.user.email}) invited you to the workspace "${name}" on Enclave.\n\nAccept the invitation:\n${link}\n\nThe link works once and expires on ${invitation.expiresAt}.`,
    });
    return { invitation: presentInvitation(invitation, new Date().toISOString()), token, link };
  });

  bind(router, routes.cancelInvitation, async (call) => {
    const access = await workspaceAccess(deps, call.auth, call.params.workspaceId, call.meta);
    await engine.execute(access.ctx, {
      type: 'member.cancelInvitation',
      invitationId: call.params.invitationId,
    });
  });

  bind(router, routes.acceptInvitation, async (call) => {
    if (!call.auth.user.emailVerifiedAt)
      throw new AppError('email_not_verified', 'Confirm your email address first');
    const ws = await deps.store.workspace(call.params.workspaceId);
    const invitation = ws ? await ws.getInvitationByTokenHash(hashToken(call.body.token)) : null;
    if (!invitation) throw notFound('Invitation');
    await engine.execute(userContext(call.auth, call.params.workspaceId, call.meta), {
      type: 'member.accept',
      invitationId: invitation.id,
    });
    return workspaces.summary(call.params.workspaceId, call.auth.user.id);
  });

  return router;
}
