import { z } from 'zod';
import { Email, OneTimeToken } from './auth';
import { IsoDateTime, Uuid } from './ids';
import { nameText } from './names';
import { MemberRoles, RoleKey } from './roles';

export const WorkspaceTemplate = z.enum(['standard', 'empty']);

export const CreateWorkspaceBody = z.strictObject({
  name: nameText(100),
  template: WorkspaceTemplate.default('standard'),
});
export type CreateWorkspaceBody = z.infer<typeof CreateWorkspaceBody>;

export const RenameWorkspaceBody = z.strictObject({ name: nameText(100) });

export const WorkspaceSummary = z.object({
  id: Uuid,
  name: z.string(),
  roles: z.array(RoleKey),
  createdAt: IsoDateTime,
  /**
   * False when the workspace's database is missing or damaged: it stays in its members' list, so
   * that it does not silently vanish, but nothing of it (roles included) can be read until restored.
   */
  available: z.boolean(),
});
export type WorkspaceSummary = z.infer<typeof WorkspaceSummary>;

export const WorkspaceList = z.object({ items: z.array(WorkspaceSummary) });

export const Member = z.object({
  userId: Uuid,
  email: z.string(),
  name: z.string(),
  roles: z.array(RoleKey),
  joinedAt: IsoDateTime,
});
export type Member = z.infer<typeof Member>;

export const MemberList = z.object({ items: z.array(Member) });

export const SetRolesBody = z.strictObject({ roles: MemberRoles });

export const InviteBody = z.strictObject({ email: Email, roles: MemberRoles });

export const Invitation = z.object({
  id: Uuid,
  email: z.string(),
  roles: z.array(RoleKey),
  invitedBy: Uuid,
  createdAt: IsoDateTime,
  expiresAt: IsoDateTime,
  status: z.enum(['pending', 'accepted', 'cancelled', 'expired']),
});
export type Invitation = z.infer<typeof Invitation>;

export const InvitationList = z.object({ items: z.array(Invitation) });

/** Returned once, when the invitation is made: the token is never stored in the clear. */
export const InvitationCreated = z.object({
  invitation: Invitation,
  token: z.string(),
  link: z.string(),
});

export const AcceptInvitationBody = z.strictObject({ token: OneTimeToken });
