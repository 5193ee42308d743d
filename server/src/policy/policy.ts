import type { AuditTarget, BuiltInRole, CustomRole, EntityPermission } from '@enclave/shared';

/**
 * The one place that says who may do what in a workspace. Routes and the command engine ask it;
 * nothing else decides permissions.
 */

export type WorkspaceAbility =
  | 'schema.manage'
  | 'roles.manage'
  | 'members.manage'
  /** Granting or taking the owner role, removing an owner. */
  | 'owners.manage'
  | 'workspace.manage'
  /** Pairing devices for other members, and renaming or revoking anyone's device. */
  | 'devices.manage'
  /** Deleting the workspace. */
  | 'workspace.delete'
  | 'audit.read';

export type RecordAbility = keyof EntityPermission;

export interface Permissions {
  readonly roles: readonly string[];
  readonly abilities: ReadonlySet<WorkspaceAbility>;
  /** Record rights on every entity type (built-in roles), or per type (custom roles). */
  readonly allTypes: EntityPermission;
  readonly perType: ReadonlyMap<string, EntityPermission>;
}

const NONE: EntityPermission = { read: false, write: false, delete: false };
const ALL: EntityPermission = { read: true, write: true, delete: true };

const builtIns: Record<BuiltInRole, { abilities: WorkspaceAbility[]; records: EntityPermission }> = {
  owner: {
    abilities: [
      'schema.manage',
      'roles.manage',
      'members.manage',
      'owners.manage',
      'workspace.manage',
      'devices.manage',
      'workspace.delete',
      'audit.read',
    ],
    records: ALL,
  },
  admin: {
    abilities: [
      'schema.manage',
      'roles.manage',
      'members.manage',
      'workspace.manage',
      'devices.manage',
      'audit.read',
    ],
    records: ALL,
  },
  member: { abilities: [], records: ALL },
  viewer: { abilities: [], records: { read: true, write: false, delete: false } },
};

export function isBuiltInRole(role: string): role is BuiltInRole {
  return Object.hasOwn(builtIns, role);
}

function union(a: EntityPermission, b: EntityPermission): EntityPermission {
  return { read: a.read || b.read, write: a.write || b.write, delete: a.delete || b.delete };
}

/** A member holding several roles gets the union of their rights. Unknown roles grant nothing. */
export function resolvePermissions(
  roles: readonly string[],
  customRoles: readonly CustomRole[],
): Permissions {
  const abilities = new Set<WorkspaceAbility>();
  let allTypes = NONE;
  const perType = new Map<string, EntityPermission>();
  for (const role of roles) {
    if (isBuiltInRole(role)) {
      for (const a of builtIns[role].abilities) abilities.add(a);
      allTypes = union(allTypes, builtIns[role].records);
      continue;
    }
    const custom = customRoles.find((r) => r.key === role);
    if (!custom) continue;
    for (const [type, perm] of Object.entries(custom.permissions)) {
      perType.set(type, union(perType.get(type) ?? NONE, perm));
    }
  }
  return { roles, abilities, allTypes, perType };
}

export function can(perms: Permissions, ability: WorkspaceAbility): boolean {
  return perms.abilities.has(ability);
}

export function canRecord(perms: Permissions, ability: RecordAbility, entityType: string): boolean {
  return perms.allTypes[ability] || (perms.perType.get(entityType)?.[ability] ?? false);
}

/** Which devices a member sees and manages: all of them with `devices.manage`, else their own. */
export function canSeeDevice(perms: Permissions, userId: string, device: { ownerId: string }): boolean {
  return can(perms, 'devices.manage') || device.ownerId === userId;
}

/** Which pairing codes a member sees: all with `devices.manage`, else those made by or for them. */
export function canSeePairing(
  perms: Permissions,
  userId: string,
  pairing: { createdBy: string; forUserId: string },
): boolean {
  return can(perms, 'devices.manage') || pairing.createdBy === userId || pairing.forUserId === userId;
}

/**
 * Whether a member may see an audit event outside the audit log itself (a device's activity
 * view): readers of the log see everything; others see changes to records of types they can read,
 * whose contents they can read anyway.
 */
export function canSeeAuditEvent(perms: Permissions, target: AuditTarget): boolean {
  if (can(perms, 'audit.read')) return true;
  return (
    target.kind === 'record' && target.entityType !== null && canRecord(perms, 'read', target.entityType)
  );
}

/**
 * Who sees and decides an AI proposal: the person who asked for it, and owners and admins. The
 * command engine still checks that the approver may do what the operation does.
 */
export function canDecideProposal(
  perms: Permissions,
  userId: string,
  proposal: { requestedBy: { id: string } },
): boolean {
  return can(perms, 'workspace.manage') || proposal.requestedBy.id === userId;
}
