import type { Authenticated } from '../auth/sessions.service';
import type { OperationContext, RequestMeta } from '../engine/context';
import { notFound } from '../engine/errors';
import type { Permissions } from '../policy/policy';
import type { MemberRow, WorkspaceStore } from '../store/types';
import type { AppDeps } from './deps';

export interface WorkspaceAccess {
  ws: WorkspaceStore;
  member: MemberRow;
  perms: Permissions;
  ctx: OperationContext;
}

/**
 * Opens a workspace for a signed-in user. Not a member and no such workspace get the same 404,
 * so ids of other tenants' workspaces reveal nothing. Membership is read on every request: a
 * removed member is refused at once.
 */
export async function workspaceAccess(
  deps: AppDeps,
  auth: Authenticated,
  workspaceId: string,
  meta: RequestMeta,
): Promise<WorkspaceAccess> {
  const ws = await deps.store.workspace(workspaceId);
  const member = ws ? await ws.getMember(auth.user.id) : null;
  if (!ws || !member) throw notFound('Workspace');
  // From the row just read: one membership read per request here (the engine reads it again,
  // under its lock, before it writes).
  const perms = await deps.engine.permissionsOfMember(ws, member);
  return {
    ws,
    member,
    perms,
    ctx: {
      workspaceId,
      actor: { kind: 'user', id: auth.user.id, label: auth.user.email },
      principal: { userId: auth.user.id, email: auth.user.email, name: auth.user.name },
      request: meta,
    },
  };
}

/** The operation context of a signed-in user who is not (yet) a member, e.g. accepting an invitation. */
export function userContext(auth: Authenticated, workspaceId: string, meta: RequestMeta): OperationContext {
  return {
    workspaceId,
    actor: { kind: 'user', id: auth.user.id, label: auth.user.email },
    principal: { userId: auth.user.id, email: auth.user.email, name: auth.user.name },
    request: meta,
  };
}
